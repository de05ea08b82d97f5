// The deploy target the backup host-file tests build units for (tests/components/backup, tests/deploy).
export const TARGET = {
    bundleDir: "/home/ubuntu/gitlab-docker-delivery/bundles/0123456789abcdef/deploy",
    environment: "production" as const,
    envFile: "/home/ubuntu/gitlab-docker-delivery/production.env",
    composeProject: "gitlab-docker-delivery-production",
    stateDir: "/home/ubuntu/gitlab-docker-delivery/state",
};
