import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { valueOf } from "../support/mocks";
import { captureStack } from "./stacks";

// The `hosts` host source wired into the remote stacks (components/program/hosts.ts): machines the user already
// has, reached over SSH with their host keys checked; no EC2 host is provisioned.

const KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIBhostkeybodyOfTheServer0123456789abcdef";
const HOSTS = JSON.stringify([
    { address: "192.0.2.10", port: 22, user: "deploy", knownHost: `192.0.2.10 ssh-ed25519 ${KEY}` },
    { address: "192.0.2.11", port: 2222, user: "deploy", knownHost: `[192.0.2.11]:2222 ssh-ed25519 ${KEY}` },
]);
const WITHOUT_EC2 = { hosts: HOSTS, instanceType: undefined, sshIngressCidrs: undefined, sshPublicKey: undefined, sshConnectVia: undefined, subnetId: undefined };

for (const stack of ["staging", "prod"] as const) {
    describe(`program: ${stack} with hosts`, () => {
        it("deploys to every listed host in two phases and provisions no EC2 host", async () => {
            const captured = await captureStack(stack, { config: { ...WITHOUT_EC2, ...(stack === "prod" ? { dataVolumeSizeGb: undefined } : {}) } });
            assert.equal(captured.error, undefined, String(captured.error));
            assert.deepEqual(captured.asyncErrors, []);
            const types = new Set(captured.resources.map((r) => r.type));
            for (const absent of ["cicd:host:Ec2Host", "aws:ebs/volume:Volume", "aws:ec2/eip:Eip"]) assert.ok(!types.has(absent), `${stack} registers ${absent}`);
            // prod's runner is still an EC2 instance (components/runner); no app host is.
            const instances = captured.resources.filter((r) => r.type === "aws:ec2/instance:Instance");
            assert.ok(instances.every((r) => captured.recorder.parentOf(r)?.type === "cicd:runner:Runner"), `app instances: ${instances.map((r) => r.name).join(", ")}`);
            const commands = captured.resources.filter((r) => r.type === "command:remote:Command").map((r) => r.name).sort();
            const environment = stack === "prod" ? "production" : "staging";
            for (const host of ["192-0-2-10-22", "192-0-2-11-2222"]) {
                for (const step of ["prepare", "switch", "env", "registry-credentials", "folder"]) assert.ok(commands.includes(`${environment}-${host}-${step}`), `${environment}-${host}-${step} in ${commands.join(", ")}`);
            }
            const prepare = captured.resources.find((r) => r.name === `${environment}-192-0-2-11-2222-prepare`)!;
            assert.deepEqual(
                { host: prepare.inputs.connection.host, port: prepare.inputs.connection.port, user: prepare.inputs.connection.user, hostKey: prepare.inputs.connection.hostKey },
                { host: "192.0.2.11", port: 2222, user: "deploy", hostKey: `ssh-ed25519 ${KEY}` },
            );
            assert.ok(prepare.secretInputs.includes("connection"), "the private key travels as a secret");
            const rollback = (await valueOf(pulumi.output(captured.outputs!.rollbackCommands))) as Record<string, string>;
            assert.deepEqual(Object.keys(rollback).sort(), ["deploy@192.0.2.10:22", "deploy@192.0.2.11:2222"]);
            assert.match(rollback["deploy@192.0.2.10:22"], new RegExp(`^bash /home/deploy/gitlab-docker-delivery/bundles/[0-9a-f]{16}/deploy/deploy\\.sh rollback --env ${environment}$`));
        });
    });
}

describe("program: hosts need no AWS on staging; prod's AWS is its runners and CI roles only", () => {
    // Without aws:region, and with the region the committed Pulumi.staging.yaml sets (which is then ignored).
    for (const region of [undefined, "eu-central-1"]) {
        it(`staging with hosts and aws:region ${region ?? "unset (nor AWS_REGION)"} registers no AWS provider, resource or invoke`, async () => {
            const captured = await captureStack("staging", { config: { ...WITHOUT_EC2, "aws:region": region }, env: {} });
            assert.equal(captured.error, undefined, String(captured.error));
            assert.deepEqual(captured.asyncErrors, []);
            const aws = captured.resources.filter((r) => r.type === "pulumi:providers:aws" || r.type.startsWith("aws:"));
            assert.deepEqual(aws.map((r) => `${r.type} ${r.name}`), []);
            assert.deepEqual(captured.recorder.calls.filter((c) => c.token.startsWith("aws:")).map((c) => c.token), []);
            // It still deploys: the hosts' rollouts are there.
            assert.ok(captured.resources.some((r) => r.name === "staging-192-0-2-10-22-switch"), "no rollout on the first host");
        });
    }

    it("prod with hosts still needs aws:region, and says for what", async () => {
        const captured = await captureStack("prod", { config: { ...WITHOUT_EC2, dataVolumeSizeGb: undefined, "aws:region": undefined }, env: {} });
        assert.match(String(captured.error), /aws:region is required: prod creates its two GitLab runners on AWS \(and the CI roles, unless you bring your own\), also when hosts is set/);
        assert.deepEqual(captured.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type), [], "nothing is registered after a config error");
    });

    it("prod with hosts: every AWS resource belongs to a runner or to the CI roles", async () => {
        const captured = await captureStack("prod", { config: { ...WITHOUT_EC2, dataVolumeSizeGb: undefined } });
        assert.equal(captured.error, undefined, String(captured.error));
        const owners = new Set(["cicd:runner:Runner", "cicd:ci:OidcRoles"]);
        const aws = captured.resources.filter((r) => r.type.startsWith("aws:"));
        assert.ok(aws.length > 0, "prod registers its runners and CI roles");
        const stray = aws.filter((r) => !owners.has(captured.recorder.parentOf(r)?.type ?? "")).map((r) => `${r.type} ${r.name}`);
        assert.deepEqual(stray, []);
    });
});
