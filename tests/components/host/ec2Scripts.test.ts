// What Ec2Host runs on its machine, run here with stand-ins for the machine's tools on PATH (only `sh` is real), and
// its check that this machine can dial a private address. No Docker, no network.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { EC2_USER, cloudInit, interfaceAddresses, mountDataVolumeCommand, privateDialProblem, waitReadyCommand } from "../../../components/host/ec2Scripts";

/** Runs `script` with `sh` and the given tools on PATH (each a shell body that also appends its argv to calls.log). */
function runWith(script: string, tools: Record<string, string>): { status: number | null; stdout: string; stderr: string; calls: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec2-scripts-"));
    try {
        for (const [name, body] of Object.entries(tools)) {
            fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*" >> "${dir}/calls.log"\n${body}\n`, { mode: 0o755 });
        }
        const result = spawnSync("/bin/sh", ["-c", script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8" });
        const log = path.join(dir, "calls.log");
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("host: ec2Scripts", () => {
    describe("cloudInit", () => {
        it("is a cloud-config that installs Docker and Compose v2 from the archive, enables Docker and lets the login user use it", () => {
            const text = cloudInit();
            assert.equal(text.split("\n")[0], "#cloud-config", "cloud-init reads user data as cloud-config only after this header line");
            assert.ok(text.endsWith("\n"), "ends with a newline");
            const config = parse(text);
            assert.deepEqual(Object.keys(config).sort(), ["package_update", "packages", "runcmd"], "nothing else: no users, no files, no secrets");
            assert.equal(config.package_update, true);
            assert.deepEqual(config.packages, ["docker.io", "docker-compose-v2"]);
            assert.deepEqual(config.runcmd, ["systemctl enable --now docker", `usermod -aG docker ${EC2_USER}`]);
            assert.equal(EC2_USER, "ubuntu", "the login user of Canonical's Ubuntu images");
        });
    });

    describe("waitReadyCommand", () => {
        const docker = 'case "$*" in "docker version"*) echo "docker 26.1.5";; "docker compose version") echo "Docker Compose version v2.26.1";; *) exit 9;; esac';

        for (const status of [0, 2]) {
            it(`goes on when cloud-init finishes with status ${status}, then checks Docker and Compose through sudo`, () => {
                const run = runWith(waitReadyCommand(), { "cloud-init": `echo waiting; exit ${status}`, sudo: docker });
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(run.calls, ["cloud-init status --wait", "sudo docker version --format docker {{.Server.Version}}", "sudo docker compose version"]);
                assert.equal(run.stdout, "docker 26.1.5\nDocker Compose version v2.26.1\n", "cloud-init's own progress stays out of the output");
            });
        }

        it("fails naming cloud-init's status when it failed, without touching Docker", () => {
            const run = runWith(waitReadyCommand(), { "cloud-init": "exit 1", sudo: docker });
            assert.equal(run.status, 1);
            assert.match(run.stderr, /cloud-init failed with status 1\b/);
            assert.deepEqual(run.calls, ["cloud-init status --wait"]);
        });

        it("fails when Docker or Compose does not answer", () => {
            const noCompose = runWith(waitReadyCommand(), { "cloud-init": "exit 0", sudo: '[ "$2" = compose ] && exit 1; echo docker 26.1.5' });
            assert.notEqual(noCompose.status, 0);
            const noDocker = runWith(waitReadyCommand(), { "cloud-init": "exit 0", sudo: "exit 1" });
            assert.notEqual(noDocker.status, 0);
            assert.deepEqual(noDocker.calls, ["cloud-init status --wait", "sudo docker version --format docker {{.Server.Version}}"], "stops at the first failure");
        });
    });

    describe("mountDataVolumeCommand", () => {
        it("waits two minutes for the volume to attach, then fails naming it", () => {
            const run = runWith(mountDataVolumeCommand("vol-0abc123"), { sleep: "", sudo: "exit 7", mountpoint: "exit 7" });
            assert.equal(run.status, 1);
            assert.match(run.stderr, /data volume vol-0abc123 is not attached/);
            assert.equal(run.calls.length, 60, "60 tries");
            assert.ok(run.calls.every((call) => call === "sleep 2"), `sleeps 2 s between tries: ${run.calls.join(", ")}`);
        });

        it("looks for the EBS NVMe name (volume id without its dash) and the Xen name", () => {
            const script = mountDataVolumeCommand("vol-0abc123");
            assert.match(script, /^device=\/dev\/disk\/by-id\/nvme-Amazon_Elastic_Block_Store_vol0abc123$/m);
            assert.match(script, /\[ -e \/dev\/xvdf \] && device=\/dev\/xvdf/);
        });

        it("formats only a blank device, stops Docker around the mount, and mounts by label at boot without blocking it", () => {
            const lines = mountDataVolumeCommand("vol-0abc").split("\n");
            assert.equal(lines[0], "set -eu");
            const at = (pattern: RegExp) => {
                const index = lines.findIndex((line) => pattern.test(line));
                assert.ok(index >= 0, `a line matching ${pattern}`);
                return index;
            };
            const already = at(/^if mountpoint -q \/var\/lib\/docker\/volumes; then .*exit 0; fi$/);
            const format = at(/^sudo blkid "\$device" >\/dev\/null \|\| sudo mkfs\.ext4 -q -L dockerdata "\$device"$/);
            const stop = at(/^sudo systemctl stop docker\.socket docker$/);
            const mkdir = at(/^sudo mkdir -p \/var\/lib\/docker\/volumes$/);
            const fstab = at(/^grep -q 'LABEL=dockerdata' \/etc\/fstab \|\| echo 'LABEL=dockerdata \/var\/lib\/docker\/volumes ext4 defaults,nofail 0 2' \| sudo tee -a \/etc\/fstab/);
            const mount = at(/^sudo mount \/var\/lib\/docker\/volumes$/);
            const start = at(/^sudo systemctl start docker$/);
            const done = at(/^echo "data volume mounted on \/var\/lib\/docker\/volumes"$/);
            assert.deepEqual([already, format, stop, mkdir, fstab, mount, start, done], [already, format, stop, mkdir, fstab, mount, start, done].slice().sort((a, b) => a - b), "in this order");
        });
    });

    describe("privateDialProblem", () => {
        const cases: [string, string, string[], boolean][] = [
            ["a /16 holds its last address", "172.31.0.0/16", ["172.31.255.255"], true],
            ["the next /16 is outside", "172.31.0.0/16", ["172.32.0.0"], false],
            ["the /16 before is outside", "172.31.0.0/16", ["172.30.255.255"], false],
            ["a /24 by its third octet", "10.0.1.0/24", ["10.0.1.200"], true],
            ["a /24 next to it", "10.0.1.0/24", ["10.0.2.1"], false],
            ["a /32 holds one address", "10.0.1.7/32", ["10.0.1.7"], true],
            ["a /32 not its neighbour", "10.0.1.7/32", ["10.0.1.6"], false],
            ["a /0 holds everything", "0.0.0.0/0", ["192.0.2.1"], true],
            ["IPv6 addresses never match", "172.31.0.0/16", ["fe80::1", "::1"], false],
            // Only dotted decimal quads: Number() alone would read these as addresses inside the block.
            ["no text that is not four numbers, even in a /0", "0.0.0.0/0", [""], false],
            ["no address with a leading blank", "10.0.1.0/24", [" 10.0.1.7"], false],
            ["no address with a trailing blank", "10.0.1.0/24", ["10.0.1.7 "], false],
            ["no hexadecimal octet", "10.0.1.0/24", ["0x0a.0.1.7"], false],
            ["a CIDR whose base is not a dotted quad matches nothing", "0x0a.0.1.0/24", ["10.0.1.7"], false],
            ["nor one whose base has a leading blank", " 10.0.1.0/24", ["10.0.1.7"], false],
            ["nor one whose base has a trailing blank", "10.0.1.0 /24", ["10.0.1.7"], false],
            ["multi-digit octets in the address and the base", "192.168.100.0/24", ["192.168.100.254"], true],
            ["one address of many is enough", "172.31.0.0/16", ["127.0.0.1", "fe80::1", "172.31.4.4"], true],
            ["no address at all", "172.31.0.0/16", [], false],
        ];
        for (const [what, cidr, addresses, dials] of cases) {
            it(`${what}: ${addresses.join(", ") || "(none)"} in ${cidr} -> ${dials ? "dials" : "refused"}`, () => {
                const problem = privateDialProblem("web", "10.9.9.9", cidr, addresses);
                if (dials) assert.equal(problem, undefined);
                // Names the host, the address it would dial, the VPC, and the two settings that would let this machine dial.
                else assert.ok(problem?.startsWith("web: ") && problem.includes("10.9.9.9:22") && problem.includes(cidr) && /sshIngressCidrs.*sshConnectVia to public/.test(problem), problem);
            });
        }
    });

    it("interfaceAddresses lists this machine's addresses, loopback included", () => {
        const addresses = interfaceAddresses();
        assert.ok(addresses.includes("127.0.0.1"), addresses.join(", "));
        assert.ok(addresses.every((address) => typeof address === "string" && address.length > 0));
    });
});
