import { strict as assert } from "assert";
import { ProductionConfig, StagingConfig } from "../../components/config";
import { configProblems as problemsOf, validateStack as validate } from "./configHarness";

// The `hosts` host source's config (components/config/host.ts): machines the user already has, no EC2 host.

describe("config validation: the `hosts` host source", () => {
    const KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIBhostkeybodyOfTheServer0123456789abcdef";
    const host = (extra: Record<string, unknown> = {}) => ({ address: "192.0.2.10", port: 2222, user: "deploy", knownHost: `[192.0.2.10]:2222 ssh-ed25519 ${KEY}`, ...extra });

    it("takes a list of {address, port, user, knownHost}; the EC2 public key is not needed", () => {
        const config = validate("staging", { hosts: JSON.stringify([host(), host({ address: "web2.example.com", port: undefined, knownHost: `web2.example.com ssh-ed25519 ${KEY}` })]), sshPublicKey: undefined, instanceType: undefined, sshIngressCidrs: undefined }) as StagingConfig;
        assert.deepEqual(config.host.hosts, [
            { address: "192.0.2.10", port: 2222, user: "deploy", hostKey: `ssh-ed25519 ${KEY}` },
            { address: "web2.example.com", port: 22, user: "deploy", hostKey: `ssh-ed25519 ${KEY}` },
        ]);
    });

    it("refuses a known_hosts line of another host, a bad user or port, unknown fields and EC2-only keys, each named", () => {
        const problems = problemsOf(() =>
            validate("staging", {
                hosts: JSON.stringify([host({ knownHost: `[192.0.2.99]:2222 ssh-ed25519 ${KEY}` }), host({ address: "192.0.2.11", user: "Root!", port: 70000, knownHost: "nonsense", extra: 1 })]),
                instanceType: "t3.small",
            }),
        );
        const joined = problems.join("\n");
        assert.match(joined, /hosts\[0\]\.knownHost names \[192\.0\.2\.99\]:2222, not \[192\.0\.2\.10\]:2222: it is another host's key/);
        assert.match(joined, /hosts\[1\]\.user must be the Unix user/);
        assert.match(joined, /hosts\[1\]\.port must be a port number/);
        assert.match(joined, /hosts\[1\]\.knownHost must be the host's known_hosts line/);
        assert.match(joined, /hosts\[1\]\.extra is not a known key/);
        assert.match(joined, /instanceType configures the EC2 host, which is not created when hosts is set/);
        assert.ok(problems.length >= 6);
    });

    const ONLY_HOSTS = { hosts: JSON.stringify([host()]), "aws:region": undefined, sshPublicKey: undefined, instanceType: undefined, sshIngressCidrs: undefined };

    it("staging with hosts needs no AWS config: no aws:region, no AWS_REGION, and no region kept", () => {
        const config = validate("staging", ONLY_HOSTS) as StagingConfig;
        assert.equal(config.host.hosts?.length, 1);
        assert.equal(config.awsRegion, undefined);
        // The region the committed Pulumi.staging.yaml sets is not read either.
        assert.equal((validate("staging", { ...ONLY_HOSTS, "aws:region": "eu-central-1" }) as StagingConfig).awsRegion, undefined);
        // Without hosts, staging provisions its EC2 host and still needs the region.
        assert.deepEqual(problemsOf(() => validate("staging", { "aws:region": undefined })), ["aws:region is required: the AWS region of the hosts (pulumi config set aws:region eu-central-1)"]);
    });

    it("prod with hosts still needs aws:region, with one problem naming what lives on AWS", () => {
        const problems = problemsOf(() => validate("prod", ONLY_HOSTS));
        assert.deepEqual(problems, [
            "aws:region is required: prod creates its two GitLab runners on AWS (and the CI roles, unless you bring your own), also when hosts is set (pulumi config set aws:region eu-central-1)",
        ]);
        assert.equal((validate("prod", { ...ONLY_HOSTS, "aws:region": "eu-central-1" }) as ProductionConfig).awsRegion, "eu-central-1");
    });

    it("keeps refusing every EC2-only key when hosts is set, on staging and prod", () => {
        const ec2Only = { instanceType: "t3.medium", rootVolumeSizeGb: "30", sshIngressCidrs: JSON.stringify(["203.0.113.4/32"]), sshConnectVia: "public", subnetId: "subnet-0123456789abcdef0" };
        for (const stack of ["staging", "prod"]) {
            const extra = stack === "prod" ? { dataVolumeSizeGb: "40", "aws:region": "eu-central-1" } : {};
            const problems = problemsOf(() => validate(stack, { ...ONLY_HOSTS, ...ec2Only, ...extra }));
            const refused = problems.filter((p) => p.includes("configures the EC2 host, which is not created when hosts is set")).map((p) => p.split(" ")[0]).sort();
            const expected = [...Object.keys(ec2Only), ...(stack === "prod" ? ["dataVolumeSizeGb"] : [])].map((k) => `gitlab-docker-delivery:${k}`).sort();
            assert.deepEqual(refused, expected, problems.join("\n"));
        }
    });

    it("takes any platforms: the EC2 default instanceType (amd64) is not what the user's machines run", () => {
        for (const stack of ["staging", "prod"]) {
            const region = stack === "prod" ? { "aws:region": "eu-central-1" } : {};
            const config = validate(stack, { ...ONLY_HOSTS, ...region, platforms: JSON.stringify(["linux/arm64"]) }) as StagingConfig | ProductionConfig;
            assert.deepEqual(config.platforms, ["linux/arm64"], stack);
        }
        // Without hosts, the EC2 host's instanceType still decides.
        assert.match(problemsOf(() => validate("staging", { platforms: JSON.stringify(["linux/arm64"]) })).join("\n"), /platforms must include linux\/amd64 because instanceType t3\.small/);
    });

    it("refuses an empty list or a non-list", () => {
        assert.match(problemsOf(() => validate("staging", { hosts: "[]" })).join("\n"), /hosts must be a list of \{address, port, user, knownHost\}/);
        assert.match(problemsOf(() => validate("prod", { hosts: "web1" })).join("\n"), /hosts must be a list/);
    });
});
