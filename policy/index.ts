import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// The rules live in ./rules as pure functions; ./policies adapts them so tests and the pack share them.
new PolicyPack("gitlab-docker-delivery-guardrails", {
    description: "Guardrails for the GitLab + Docker delivery stacks: network, EC2, GitLab CI secrets, approvals, images, protection, tags.",
    policies,
});
