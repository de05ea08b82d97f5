import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ComposeDeployment, Ec2Host, Ec2HostArgs, cloudInit, mountDataVolumeCommand, privateDialProblem, validateSshIngress } from "../../../components/host";
import { defaultConnectVia } from "../../../components/checks";
import { MockRecorder, RecorderOptions, installMocks, valueOf } from "../../support/mocks";
import { generateDeployKey } from "../../support/simHosts";

const BUNDLE = path.resolve(__dirname, "../../../app/deploy");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nFAKEHOSTKEYBODY\n-----END OPENSSH PRIVATE KEY-----\n";

function args(overrides: Partial<Ec2HostArgs> = {}): Ec2HostArgs {
    return {
        environment: "staging",
        host: { instanceType: "t3.small", availabilityZone: "eu-central-1a", tags: { Project: "p", Stack: "s", ManagedBy: "pulumi" } },
        ssh: { publicKey: "ssh-ed25519 AAAA test", privateKey: pulumi.secret(KEY), ingressCidrs: ["198.51.100.0/24", "2001:db8::/48"] },
        ...overrides,
    };
}

/** An Ec2Host and the ComposeDeployment onto it, wired as the program wires them. */
async function build(a: Ec2HostArgs, options: RecorderOptions = {}): Promise<{ recorder: MockRecorder; host: Ec2Host; deployment: ComposeDeployment }> {
    const recorder = await installMocks({ stack: "test", ...options });
    const host = new Ec2Host("web", a);
    const deployment = new ComposeDeployment("web", {
        environment: a.environment,
        hosts: [{ name: "web", label: "web host", user: host.user, connection: host.connection, machineId: host.instanceId, dependsOn: host.ready }],
        imageRef: `r.example/app@sha256:${"ab".repeat(32)}`,
        imageDigest: `sha256:${"ab".repeat(32)}`,
        bundleDir: BUNDLE,
        env: pulumi.secret({ POSTGRES_PASSWORD: "FAKEPGPASSWORD1234" }),
        registry: { address: "r.example", username: "deploy", password: pulumi.secret("FAKEPULLTOKEN") },
    });
    await recorder.settle();
    return { recorder, host, deployment };
}

describe("host: Ec2Host with its ComposeDeployment", () => {
    it("must not open port 22 to the internet: refuses 0.0.0.0/0 and ::/0 and registers nothing", async () => {
        assert.throws(() => validateSshIngress(["10.0.0.0/8", "0.0.0.0/0"]), /\[ssh\.ingressCidrs\[1\]\] "0\.0\.0\.0\/0" would open SSH to the whole internet/);
        assert.throws(() => validateSshIngress(["::/0"]), /whole internet/);
        assert.throws(() => validateSshIngress(["nope"]), /is not a CIDR block/);
        const recorder = await installMocks({ stack: "test" });
        assert.throws(() => new Ec2Host("web", args({ ssh: { publicKey: "k", privateKey: "x", ingressCidrs: ["0.0.0.0/0"] } })), /whole internet/);
        await recorder.settle();
        assert.equal(recorder.resources.length, 0);
    });

    it("hardens the instance: Canonical Ubuntu, IMDSv2, encrypted gp3, AMI updates never replace it", async () => {
        const { recorder } = await build(args());
        const instance = recorder.find("aws:ec2/instance:Instance", "web-instance");
        assert.equal(instance.inputs.metadataOptions.httpTokens, "required");
        assert.equal(instance.inputs.metadataOptions.httpPutResponseHopLimit, 1);
        assert.deepEqual(
            { type: instance.inputs.rootBlockDevice.volumeType, encrypted: instance.inputs.rootBlockDevice.encrypted },
            { type: "gp3", encrypted: true },
        );
        assert.deepEqual(instance.ignoreChanges, ["ami", "keyName"]);
        assert.equal(instance.inputs.ami, "ami-0123456789abcdef0");
        assert.equal(instance.protect, false, "not protected unless asked");
        assert.equal(recorder.parentOf(instance)?.type, "cicd:host:Ec2Host");
        const ami = recorder.calls.find((c) => c.token === "aws:ec2/getAmi:getAmi");
        assert.deepEqual(ami?.inputs.owners, ["099720109477"]);
    });

    it("with an instance profile (backups): the profile on the instance and a metadata hop limit of 2 for the containers; IMDSv2 stays required", async () => {
        const { recorder } = await build(args({ instanceProfileName: "web-backup-profile" }));
        const instance = recorder.find("aws:ec2/instance:Instance", "web-instance");
        assert.equal(instance.inputs.iamInstanceProfile, "web-backup-profile");
        assert.deepEqual(instance.inputs.metadataOptions, { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 2 });
    });

    it("opens the web port (80, no 443: nothing listens there) to all, SSH only to the listed ranges and security groups", async () => {
        const { recorder } = await build(args({ ssh: { ...args().ssh, ingressSecurityGroupIds: ["sg-runner"] } }));
        const sg = recorder.find("aws:ec2/securityGroup:SecurityGroup", "web-sg");
        const ports = sg.inputs.ingress.map((r: any) => [r.fromPort, r.cidrBlocks ?? [], r.ipv6CidrBlocks ?? [], r.securityGroups ?? []]);
        assert.deepEqual(ports, [
            [80, ["0.0.0.0/0"], ["::/0"], []],
            [22, ["198.51.100.0/24"], ["2001:db8::/48"], []],
            [22, [], [], ["sg-runner"]],
        ]);
    });

    it("opens 443 only when given an HTTPS port (TLS on), beside 80 for the ACME challenge and the redirect", async () => {
        const { recorder } = await build(args({ httpsPort: 443 }));
        const sg = recorder.find("aws:ec2/securityGroup:SecurityGroup", "web-sg");
        assert.deepEqual(sg.inputs.ingress.filter((r: any) => (r.cidrBlocks ?? []).includes("0.0.0.0/0")).map((r: any) => [r.description, r.fromPort, r.toPort]), [
            ["HTTP", 80, 80],
            ["HTTPS", 443, 443],
        ]);
    });

    it("waits for cloud-init, then copies the bundle, writes secrets with logging off, and deploys by digest", async () => {
        const { recorder, host } = await build(args());
        const ready = recorder.find("command:remote:Command", "web-ready");
        assert.match(ready.inputs.create, /cloud-init status --wait/);
        assert.ok(ready.inputs.connection.dialErrorLimit >= 10, "keeps dialing while the host boots");
        const env = recorder.find("command:remote:Command", "web-env");
        assert.equal(env.inputs.logging, "none");
        assert.match(env.inputs.stdin, /^POSTGRES_PASSWORD=FAKEPGPASSWORD1234$/m);
        const deploy = recorder.find("command:remote:Command", "web-deploy");
        assert.match(deploy.inputs.create, /deploy --image r\.example\/app@sha256:(ab){32} --env staging/);
        assert.match(deploy.inputs.create, /--project gitlab-docker-delivery-staging/);
        assert.match(deploy.inputs.create, /DEPLOY_STATE_DIR=\/home\/ubuntu\/gitlab-docker-delivery\/state bash /, "release history outlives bundle versions");
        // The digest, bundle and host are part of the command text: a change is an in-place update (the
        // gated rollout), never a replacement whose delete would stop the stack.
        assert.equal(deploy.inputs.triggers, undefined);
        assert.match(deploy.inputs.create, new RegExp(`^set -eu; : revision bundle=[0-9a-f]{16} host=web-instance-id-\\d+ image=sha256:(ab){32} settings=[0-9a-f]{16}; `));
        assert.equal(deploy.inputs.update, deploy.inputs.create, "rollouts are in-place updates");
        assert.equal(deploy.deleteBeforeReplace, true, "a replaced command stops the old stack before deploying, not after");
        const copy = recorder.find("command:remote:CopyToRemote", "web-bundle");
        assert.ok(deploy.inputs.create.includes(`bundle=${copy.inputs.triggers[0].slice(0, 16)}`), "the bundle hash drives both the copy and the rollout");
        for (const r of recorder.resources) {
            const plain = JSON.stringify(r.plainInputs);
            for (const secret of ["FAKEHOSTKEYBODY", "FAKEPGPASSWORD1234", "FAKEPULLTOKEN"]) assert.ok(!plain.includes(secret), `${r.name} leaks ${secret}`);
        }
        assert.equal(await valueOf(host.url), "http://203.0.113.10");
    });

    it("#12 item 1: runs deploy.sh where CopyToRemote puts the bundle (a directory lands in remotePath/<dirname>/)", async () => {
        const { recorder } = await build(args());
        const copy = recorder.find("command:remote:CopyToRemote", "web-bundle");
        // The official provider's rule, written out here so that the test does not trust the code under test.
        const landed = `${copy.inputs.remotePath}/${path.basename(BUNDLE)}`;
        const deploy = recorder.find("command:remote:Command", "web-deploy");
        assert.ok(deploy.inputs.create.includes(` bash ${landed}/deploy.sh deploy `), `runs ${landed}/deploy.sh: ${deploy.inputs.create}`);
        assert.ok(deploy.inputs.create.includes(` --dir ${landed} `), `hands deploy.sh the bundle folder ${landed}`);
    });

    it("puts nothing secret in user data: cloud-init only installs Docker and Compose", () => {
        const userData = cloudInit();
        assert.match(userData, /^#cloud-config/);
        assert.match(userData, /docker-compose-v2/);
        assert.doesNotMatch(userData, /PASSWORD|TOKEN|PRIVATE KEY/i);
    });

    it("production: the database volume is separate, encrypted, protected and mounted where Docker keeps volumes", async () => {
        const { recorder, host } = await build(args({ environment: "production", dataVolume: { sizeGb: 50 }, protect: true }));
        const volume = recorder.find("aws:ebs/volume:Volume", "web-data");
        assert.deepEqual([volume.inputs.size, volume.inputs.type, volume.inputs.encrypted, volume.protect], [50, "gp3", true, true]);
        assert.equal(recorder.find("aws:ec2/instance:Instance", "web-instance").protect, true);
        const mount = recorder.find("command:remote:Command", "web-mount-data");
        assert.match(mount.inputs.create, /\/var\/lib\/docker\/volumes/);
        const deploy = recorder.find("command:remote:Command", "web-deploy");
        assert.equal(deploy.inputs.delete, undefined, "production keeps its stack when the command goes away");
        assert.ok(deploy.dependencies.some((d) => d.endsWith("web-mount-data")), "deploys only after the data volume is mounted");
        assert.match(await valueOf(host.dataVolumeId!), /^web-data-id-\d+$/);
    });

    it("mount script formats only a blank device and is idempotent", () => {
        const script = mountDataVolumeCommand("vol-0abc");
        assert.match(script, /nvme-Amazon_Elastic_Block_Store_vol0abc/);
        assert.match(script, /blkid "\$device" >\/dev\/null \|\| sudo mkfs\.ext4/);
        assert.match(script, /mountpoint -q \/var\/lib\/docker\/volumes.*exit 0/);
    });
    it("#12 item 11: with sshConnectVia private and no address of this machine in the VPC, fails fast naming the address dialled and why", async () => {
        const problem = privateDialProblem("web", "10.0.1.10", "172.31.0.0/16", ["127.0.0.1", "192.168.1.20"]);
        assert.match(problem ?? "", /web: the deploy commands would dial the host's private IP 10\.0\.1\.10:22, because sshConnectVia is "private"/);
        assert.match(problem ?? "", /sshIngressCidrs is empty.*no address in the host's VPC 172\.31\.0\.0\/16.*Run `pulumi up` from the runner/);
        assert.equal(privateDialProblem("web", "10.0.1.10", "172.31.0.0/16", ["172.31.7.9"]), undefined, "a machine inside the VPC (the runner) dials");

        // Wired into the component: no remote command may be sent to an address that cannot answer.
        const errors: Error[] = [];
        const onError = (error: Error) => errors.push(error);
        process.on("unhandledRejection", onError);
        try {
            const { recorder } = await build(args({ ssh: { ...args().ssh, ingressCidrs: [], connectVia: "private" }, localAddresses: () => ["192.168.1.20"] }));
            assert.deepEqual(recorder.findAll("command:remote:Command").map((c) => c.name), [], "no command registered with an unreachable address");
            assert.ok(errors.some((e) => /dial the host's private IP 10\.0\.1\.10:22/.test(String(e?.message ?? e))), `the program fails with the reason: ${errors.map(String).join("; ")}`);
        } finally {
            process.off("unhandledRejection", onError);
        }
        const { recorder } = await build(args({ ssh: { ...args().ssh, ingressCidrs: [], connectVia: "private" }, localAddresses: () => ["172.31.7.9"] }));
        assert.equal(recorder.find("command:remote:Command", "web-deploy").inputs.connection.host, "10.0.1.10", "inside the VPC the private IP is dialled");
    });

    it("connectVia unset: the same default as config (defaultConnectVia): private without sshIngressCidrs, public with them", async () => {
        // Was public in the component and private from config; the old component dialled the Elastic IP here.
        const inside = await build(args({ ssh: { ...args().ssh, ingressCidrs: [] }, localAddresses: () => ["172.31.7.9"] }));
        assert.equal(inside.recorder.find("command:remote:Command", "web-deploy").inputs.connection.host, "10.0.1.10", "no ingress CIDRs: the private IP is dialled");
        const outside = await build(args());
        assert.equal(outside.recorder.find("command:remote:Command", "web-deploy").inputs.connection.host, "203.0.113.10", "ingress CIDRs: the Elastic IP is dialled");
        assert.equal(defaultConnectVia([]), "private");
        assert.equal(defaultConnectVia(["198.51.100.0/24"]), "public");
    });

    describe("#12 item 12: a key rotation, an AMI move and an instance replacement leave the data volume's inputs stable", () => {
        const production = (overrides: Partial<Ec2HostArgs> = {}) => args({ environment: "production", dataVolume: { sizeGb: 50 }, protect: true, ...overrides });
        const volumeOf = (recorder: MockRecorder) => {
            const volume = recorder.find("aws:ebs/volume:Volume", "web-data");
            return { inputs: volume.plainInputs, dependsOnInstance: volume.dependencies.some((d) => d.endsWith("web-instance")) };
        };

        it("the volume's zone comes from config, not from the instance, and its attachment is deleted before it is replaced", async () => {
            const { recorder } = await build(production());
            const volume = volumeOf(recorder);
            assert.equal(volume.inputs.availabilityZone, "eu-central-1a");
            assert.equal(volume.dependsOnInstance, false, "the volume waits for nothing of the instance");
            assert.equal(recorder.find("aws:ec2/volumeAttachment:VolumeAttachment", "web-data-attachment").deleteBeforeReplace, true, "detach first: a volume attaches to one instance");
        });

        it("a new sshPublicKey does not replace the instance: the key is installed by a command", async () => {
            const before = await build(production());
            const after = await build(production({ ssh: { ...production().ssh, publicKey: "ssh-ed25519 BBBB rotated" } }));
            const instance = after.recorder.find("aws:ec2/instance:Instance", "web-instance");
            assert.ok(instance.ignoreChanges.includes("keyName"), "a replaced key pair must not replace the instance");
            assert.deepEqual(volumeOf(after.recorder), volumeOf(before.recorder));
            assert.match(after.recorder.find("command:remote:Command", "web-ssh-key").plainInputs.create, /KEYS_INSTALL='ssh-ed25519 BBBB rotated gitlab-docker-delivery:test'/);
        });

        describe("key rotation in two `up` runs leaves only the new key of ours next to hand-added keys", () => {
            const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "keyrot-ec2-"));
            after(() => fs.rmSync(scratch, { recursive: true, force: true }));
            const oldKey = generateDeployKey("deploy@old", fs.mkdtempSync(path.join(scratch, "old-")));
            const newKey = generateDeployKey("deploy@new", fs.mkdtempSync(path.join(scratch, "new-")));
            const withKeys = (publicKey: string, privateKey: string) => production({ ssh: { ...production().ssh, publicKey, privateKey: pulumi.secret(privateKey) } });
            const sshKeyCommand = async (a: Ec2HostArgs) => (await build(a, { stack: "prod" })).recorder.find("command:remote:Command", "web-ssh-key");
            const material = (publicKey: string) => publicKey.split(" ").slice(0, 2).join(" ");
            const hand = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHandHandHandHandHandHandHandHandHand alice@laptop";

            it("refuses a public key that is not an OpenSSH key line before anything registers", async () => {
                const recorder = await installMocks({ stack: "test" });
                assert.throws(() => new Ec2Host("web", args({ ssh: { ...args().ssh, publicKey: "ssh-ed25519 AAAA\nssh-ed25519 BBBB" } })), /\[ssh\.publicKey\] [\s\S]* is not an OpenSSH public key line/);
                await recorder.settle();
                assert.equal(recorder.resources.length, 0);
            });

            it("the command's inputs carry the key to install and the key it dials with, re-run on a new instance, and no private key", async () => {
                const steps = [await sshKeyCommand(withKeys(oldKey.publicKey, oldKey.privateKey)), await sshKeyCommand(withKeys(newKey.publicKey, oldKey.privateKey)), await sshKeyCommand(withKeys(newKey.publicKey, newKey.privateKey))];
                const creates = steps.map((c) => c.plainInputs.create as string);
                const has = (text: string, part: string) => assert.ok(text.includes(part), `${part} in:\n${text}`);
                has(creates[0], `KEYS_INSTALL='${oldKey.publicKey} gitlab-docker-delivery:prod'`);
                assert.match(creates[0], /KEYS_DIALLING=''/, "the key installed is the key dialling");
                has(creates[1], `KEYS_INSTALL='${newKey.publicKey} gitlab-docker-delivery:prod'`);
                has(creates[1], `KEYS_DIALLING='${material(oldKey.publicKey)} gitlab-docker-delivery:prod'`); // the old key still dials in step 1
                assert.match(creates[2], /KEYS_DIALLING=''/);
                assert.ok(creates.every((c) => /KEYS_REMOVE_OLD='yes'/.test(c)));
                for (const command of steps) {
                    assert.match(String(command.plainInputs.triggers[0]), /web-instance/, "a replaced instance gets its keys installed again");
                    assert.deepEqual(command.secretInputs, ["connection"], "only the connection is secret: the create text holds public keys only");
                    const body = [oldKey, newKey].flatMap((k) => k.privateKey.split("\n").filter((l) => l !== "" && !l.startsWith("-----")));
                    const plain = JSON.stringify({ ...command.plainInputs, connection: undefined });
                    for (const line of body) assert.ok(!plain.includes(line), "no private key material outside the secret connection");
                    assert.equal(command.plainInputs.connection, "[secret]", "the private key travels only in the secret connection");
                }
            });

            it("the generated scripts, run in order in bash against a scratch HOME, rotate the key and keep the hand-added one", async () => {
                const home = fs.mkdtempSync(path.join(scratch, "home-"));
                fs.mkdirSync(path.join(home, ".ssh"), { mode: 0o700 });
                const keysFile = path.join(home, ".ssh", "authorized_keys");
                // What cloud-init wrote from the key pair, plus a key the operator added by hand.
                fs.writeFileSync(keysFile, `${material(oldKey.publicKey)} web-key-1234\n${hand}\n`, { mode: 0o600 });
                const run = async (a: Ec2HostArgs) => {
                    const result = spawnSync("bash", ["-c", (await sshKeyCommand(a)).plainInputs.create], { env: { HOME: home, PATH: "/usr/bin:/bin" }, encoding: "utf8" });
                    assert.equal(result.status, 0, result.stderr);
                    return fs.readFileSync(keysFile, "utf8").split("\n").filter((l) => l !== "");
                };
                assert.deepEqual(await run(withKeys(oldKey.publicKey, oldKey.privateKey)), [hand, `${oldKey.publicKey} gitlab-docker-delivery:prod`]);
                assert.deepEqual(await run(withKeys(newKey.publicKey, oldKey.privateKey)), [hand, `${material(oldKey.publicKey)} gitlab-docker-delivery:prod`, `${newKey.publicKey} gitlab-docker-delivery:prod`]);
                const rotated = await run(withKeys(newKey.publicKey, newKey.privateKey));
                assert.deepEqual(rotated, [hand, `${newKey.publicKey} gitlab-docker-delivery:prod`]);
                assert.equal(fs.statSync(keysFile).mode & 0o777, 0o600);
                assert.deepEqual(await run(withKeys(newKey.publicKey, newKey.privateKey)), rotated, "a second run with the same keys changes nothing");
            });
        });

        it("an AMI move leaves the volume's inputs as they were", async () => {
            const before = await build(production());
            const after = await build(production(), { calls: { "aws:ec2/getAmi:getAmi": { id: "ami-0fedcba9876543210", architecture: "x86_64" } } });
            assert.deepEqual(volumeOf(after.recorder), volumeOf(before.recorder));
        });

        it("an instance replacement (its outputs unknown until created) leaves the volume's inputs as they were", async () => {
            const before = await build(production());
            const after = await build(production(), { state: { "aws:ec2/instance:Instance": { availabilityZone: undefined, privateIp: undefined } } });
            assert.deepEqual(volumeOf(after.recorder), volumeOf(before.recorder));
        });
    });
});
