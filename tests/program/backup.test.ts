import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { valueOf } from "../support/mocks";
import { hostsSource } from "./configHarness";
import { CapturedStack, captureStack } from "./stacks";

// Backups of the stacks (issue 17): how the program puts pgBackRest (the config keys' checks: tests/components/config/
// backup.test.ts) on the EC2 host (components/program/backup.ts, hosts.ts): bucket, instance role, metadata hop limit, repository key,
// pgbackrest.conf, `backup.sh init` and the systemd timer.

const HOSTS = hostsSource();
/** Provider-computed names of the mocked instance profiles. */
const PROFILE_STATE = { "aws:iam/instanceProfile:InstanceProfile": (_inputs: Record<string, unknown>, name: string) => ({ name: `${name}-name` }) };
/** What the mocked random provider makes: a recognisable value per resource, to look for where it must not be. */
const generated = (_inputs: Record<string, unknown>, name: string) => ({ result: `Generated${name.replace(/[^A-Za-z0-9]/g, "")}0123456789` });
const CIPHER = generated({}, "production-backup-cipher-pass").result;

function command(captured: CapturedStack, name: string) {
    return captured.recorder.find("command:remote:Command", name);
}
const text = async (value: unknown) => String(await valueOf(pulumi.output(value)));

describe("program: backups of the production EC2 host", () => {
    let captured: CapturedStack;
    before(async () => {
        captured = await captureStack("prod", { state: { ...PROFILE_STATE, "random:index/randomPassword:RandomPassword": generated } });
        assert.equal(captured.error, undefined, String(captured.error));
        assert.deepEqual(captured.asyncErrors.map(String), []);
    });

    it("gives the instance the backup role's profile and a metadata hop limit of 2, so pgBackRest in its container gets the role's credentials", () => {
        const instance = captured.resources.find((r) => r.type === "aws:ec2/instance:Instance" && r.name === "production-instance")!;
        assert.ok(captured.recorder.find("aws:iam/instanceProfile:InstanceProfile", "production-backup-host-profile"));
        assert.equal(instance.inputs.iamInstanceProfile, "production-backup-host-profile-name");
        assert.deepEqual(instance.inputs.metadataOptions, { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 2 });
        const policy = JSON.parse(captured.recorder.find("aws:iam/rolePolicy:RolePolicy", "production-backup-host-backup").inputs.policy);
        assert.match(policy.Statement[1].Resource, /\/hosts\/production\/\*$/);
        assert.deepEqual(captured.resources.filter((r) => r.type === "aws:iam/accessKey:AccessKey"), [], "no static key");
    });

    it("puts the repository key in the 0600 env file only: in no command line, user data, other input or output", async () => {
        assert.equal(CIPHER.length > 20, true);
        const env = command(captured, "production-env");
        assert.match(env.inputs.stdin, new RegExp(`^BACKUP_CIPHER_PASS=${CIPHER}$`, "m"));
        assert.match(env.inputs.stdin, /^BACKUP_ENABLED=true$/m);
        assert.match(env.inputs.stdin, /^BACKUP_CONFIG_DIR=\/home\/ubuntu\/gitlab-docker-delivery\/backup$/m);
        assert.match(env.inputs.stdin, /^BACKUP_DB_IMAGE=gitlab-docker-delivery\/postgres-pgbackrest:[0-9a-f]{12}$/m);
        assert.ok(env.secretInputs.includes("stdin"), "the env file's content is a secret input");
        assert.match(env.inputs.create, /umask 077; .*chmod 600/);
        const password = captured.recorder.find("random:index/randomPassword:RandomPassword", "production-backup-cipher-pass");
        assert.deepEqual([password.inputs.length, password.inputs.special], [64, false]);
        for (const resource of captured.resources) {
            if (resource.type === "command:remote:Command" && resource.name === "production-env") continue;
            assert.ok(!JSON.stringify(resource.plainInputs).includes(CIPHER), `${resource.type} ${resource.name} carries the repository key in plain text`);
        }
        for (const [key, value] of Object.entries(captured.outputs!)) {
            const output = pulumi.output(value);
            if (await pulumi.isSecret(output)) continue;
            assert.ok(!String(JSON.stringify(await valueOf(output))).includes(CIPHER), `output ${key} shows the repository key`);
        }
    });

    it("writes pgbackrest.conf for the bucket and the host's prefix, with the instance role's credentials, before the first deploy", async () => {
        const conf = command(captured, "production-pgbackrest-conf");
        const bucket = captured.recorder.find("aws:s3/bucket:Bucket", "production-backup-bucket");
        assert.equal(bucket.protect, true);
        const content = String(conf.inputs.stdin);
        for (const line of ["repo1-type=s3", "repo1-s3-region=eu-central-1", "repo1-s3-endpoint=s3.eu-central-1.amazonaws.com", "repo1-s3-key-type=auto",
            "repo1-path=/hosts/production", "repo1-cipher-type=aes-256-cbc", "repo1-retention-full-type=time", "repo1-retention-full=14"]) {
            assert.ok(content.split("\n").includes(line), `pgbackrest.conf has ${line}:\n${content}`);
        }
        assert.match(content, /^repo1-s3-bucket=production-backup-bucket-id-\d+$/m);
        assert.doesNotMatch(content, /repo1-s3-key=|repo1-s3-key-secret=|cipher-pass/, "no key of any kind in the file");
        assert.equal(conf.inputs.create, "set -eu; mkdir -p /home/ubuntu/gitlab-docker-delivery/backup; chmod 755 /home/ubuntu/gitlab-docker-delivery/backup; cat > /home/ubuntu/gitlab-docker-delivery/backup/pgbackrest.conf.tmp; chmod 644 /home/ubuntu/gitlab-docker-delivery/backup/pgbackrest.conf.tmp; mv -f /home/ubuntu/gitlab-docker-delivery/backup/pgbackrest.conf.tmp /home/ubuntu/gitlab-docker-delivery/backup/pgbackrest.conf");
        const deploy = command(captured, "production-deploy");
        assert.ok(deploy.dependencies.some((urn) => urn.endsWith("::production-pgbackrest-conf")), "the deploy waits for pgbackrest.conf");
    });

    it("runs backup.sh init after every rollout, then installs the daily systemd timer (removed with the stack)", async () => {
        const init = command(captured, "production-init");
        const create = await text(init.inputs.create);
        assert.match(create, /^: after the rollout of registry\.gitlab\.com\/acme\/gitlab-docker-delivery@sha256:[0-9a-f]{64}; set -eu; /);
        assert.match(create, / bash \/home\/ubuntu\/gitlab-docker-delivery\/bundles\/[0-9a-f]{16}\/deploy\/backup\.sh init --env production --dir \S+ --env-file \/home\/ubuntu\/gitlab-docker-delivery\/production\.env --project gitlab-docker-delivery-production$/);
        assert.match(create, /DEPLOY_STATE_DIR=\/home\/ubuntu\/gitlab-docker-delivery\/state /);
        assert.equal(await text(init.inputs.update), create);
        const timer = command(captured, "production-timer");
        assert.ok(timer.dependencies.some((urn) => urn.endsWith("::production-init")), "the timer comes after init");
        const install = await text(timer.inputs.create);
        assert.match(install, /sudo tee \/etc\/systemd\/system\/gitlab-docker-delivery-backup-production\.timer/);
        assert.match(install, /^OnCalendar=\*-\*-\* 03:15:00 UTC$/m);
        assert.match(install, /^Persistent=true$/m);
        assert.match(install, /^User=ubuntu$/m);
        assert.match(install, /^ExecStart=\/bin\/bash -c 'set -eu; type=incr; if \[ "\$\$\(date -u \+%%u\)" = 7 \]; then type=full; fi; DEPLOY_STATE_DIR=\S+ bash \S+\/deploy\/backup\.sh backup --type "\$\$type" --env production /m);
        assert.match(install, /sudo systemctl enable --now gitlab-docker-delivery-backup-production\.timer/);
        assert.match(String(timer.inputs.delete), /systemctl disable --now gitlab-docker-delivery-backup-production\.timer .*rm -f/);
    });

    it("says where backups go and how to restore in the backup output", async () => {
        assert.match(await text(captured.outputs!.backup), /^on: pgBackRest to s3:\/\/production-backup-bucket-id-\d+\/hosts\/production, .*kept 14 days; restore on the host with backup\.sh restore --env production --latest/);
    });
});

describe("program: stacks without backups", () => {
    it("prod with backupEnabled false: no bucket, no role, hop limit 1, no backup keys in the env file, and the output says so", async () => {
        const captured = await captureStack("prod", { config: { backupEnabled: "false" } });
        assert.equal(captured.error, undefined, String(captured.error));
        assert.deepEqual(captured.resources.filter((r) => /^aws:(s3|iam)\//.test(r.type) && r.name.startsWith("production-backup")), []);
        const instance = captured.resources.find((r) => r.type === "aws:ec2/instance:Instance" && r.name === "production-instance")!;
        assert.equal(instance.inputs.iamInstanceProfile, undefined);
        assert.equal(instance.inputs.metadataOptions.httpPutResponseHopLimit, 1);
        assert.doesNotMatch(command(captured, "production-env").inputs.stdin, /BACKUP_/);
        assert.match(await text(captured.outputs!.backup), /^off: backupEnabled is false/);
    });

    it("staging with backupEnabled true gets its own bucket and timer under hosts/staging", async () => {
        const captured = await captureStack("staging", { config: { backupEnabled: "true" }, state: { "random:index/randomPassword:RandomPassword": generated } });
        assert.equal(captured.error, undefined, String(captured.error));
        assert.match(String(command(captured, "staging-pgbackrest-conf").inputs.stdin), /^repo1-path=\/hosts\/staging$/m);
        assert.ok(command(captured, "staging-timer"));
    });

    it("prod with hosts: nothing of backups, and the output says why", async () => {
        const captured = await captureStack("prod", { config: HOSTS });
        assert.equal(captured.error, undefined, String(captured.error));
        assert.deepEqual(captured.resources.filter((r) => r.name.includes("backup")), []);
        assert.match(await text(captured.outputs!.backup), /^off: hosts is set, and backups need the EC2 host's instance role/);
    });
});

describe("program: backups of the local stack", () => {
    it("backupEnabled: the env file turns them on with a generated key, and backup.sh init runs once the stack is deployed", async () => {
        const captured = await captureStack("local", { config: { backupEnabled: "true" }, state: { "command:local:Command": (inputs) => ({ stdout: String(inputs.create).includes("urandom") ? "b".repeat(48) : "" }) } });
        assert.equal(captured.error, undefined, String(captured.error));
        const env = captured.recorder.find("command:local:Command", "local-env");
        assert.match(env.inputs.stdin, /^BACKUP_ENABLED=true$/m);
        assert.match(env.inputs.stdin, /^BACKUP_CIPHER_PASS=b{48}$/m);
        assert.match(env.inputs.stdin, /^BACKUP_DB_IMAGE=gitlab-docker-delivery\/postgres-pgbackrest:[0-9a-f]{12}$/m);
        // The bundle's own pgbackrest.conf (a local, encrypted repository) stays the one used: no config folder of the host's.
        assert.doesNotMatch(env.inputs.stdin, /BACKUP_CONFIG_DIR/);
        const key = captured.recorder.find("command:local:Command", "local-backup-cipher-pass");
        assert.deepEqual(key.additionalSecretOutputs, ["stdout", "stderr"]);
        const init = captured.recorder.find("command:local:Command", "local-backup-init");
        assert.match(init.inputs.create, /^set -eu; DEPLOY_STATE_DIR=\S+\/deploy bash \S+\/app\/deploy\/backup\.sh init --env local --dir \S+\/app\/deploy --env-file \S+\/local\.env --project gitlab-docker-delivery-local$/);
        assert.ok(init.dependencies.some((urn) => urn.endsWith("::local-deploy")), "after the deploy");
        for (const resource of captured.resources) {
            if (resource.name === "local-env") continue;
            assert.ok(!JSON.stringify(resource.plainInputs).includes("b".repeat(48)), `${resource.name} carries the repository key`);
        }
    });

    it("is off by default: no key, no init, nothing about backups in the env file", async () => {
        const captured = await captureStack("local");
        assert.equal(captured.error, undefined, String(captured.error));
        assert.deepEqual(captured.resources.filter((r) => r.name.includes("backup")), []);
        assert.doesNotMatch(captured.recorder.find("command:local:Command", "local-env").inputs.stdin ?? "", /BACKUP_/);
    });
});
