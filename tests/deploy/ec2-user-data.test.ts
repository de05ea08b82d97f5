// The user data Ec2Host gives its machine (components/host/ec2Scripts.ts cloudInit()), checked by cloud-init 25.1
// itself on a simulated host: its schema checker, then a boot from a NoCloud seed holding exactly that user data.
// The simulated host is Debian, the EC2 host Ubuntu: what cannot run here, and why, is in docs/engine.md
// ("What cloud-init does on a simulated host"). Needs Docker; the only network it uses is Debian's mirror (apt-get update).
import assert from "assert";
import { parse } from "yaml";
import { EC2_USER, cloudInit } from "../../components/host/ec2Scripts";
import { SimHost, SimLab } from "../support/simHosts";

const USER_DATA = cloudInit();
const SEED_DIR = "/var/lib/cloud/seed/nocloud";

/**
 * Every cloud-init module the user data switches on, and what this test expects of it here. A key added to the
 * user data that switches on another module fails the test until the module is accounted for in this table.
 */
const EXPECTED_MODULES: Record<string, string> = {
    cc_package_update_upgrade_install: "runs; apt-get update works against Debian, docker-compose-v2 is an Ubuntu-only name",
    cc_runcmd: "runs; its script runs in scripts-user, where `systemctl --now` is refused without systemd as PID 1",
};

// Asks cloud-init's own module metadata which modules the top-level keys of a cloud-config activate.
const ACTIVATED_MODULES_PY = `
import json, pkgutil, sys, yaml
import cloudinit.config
from cloudinit import importer
keys = set(yaml.safe_load(open(sys.argv[1])))
found = []
for info in pkgutil.iter_modules(cloudinit.config.__path__):
    if info.name.startswith("cc_"):
        meta = importer.import_module("cloudinit.config." + info.name).meta
        if keys & set(meta.get("activate_by_schema_keys") or []):
            found.append(info.name)
print(json.dumps(sorted(found)))
`;

async function writeFile(host: SimHost, file: string, text: string): Promise<void> {
    await host.exec(["sh", "-c", 'mkdir -p "$(dirname "$1")" && cat > "$1"', "sh", file], { input: text });
}

describe("EC2 user data under cloud-init 25.1 on a simulated host (real Docker engine)", function () {
    this.timeout(120_000);
    let lab: SimLab;
    let host: SimHost;

    before(async function () {
        this.timeout(20 * 60_000);
        lab = await SimLab.create({ prefix: "cloudinit" });
        [host] = await lab.startHosts(1);
        await writeFile(host, "/tmp/user-data", USER_DATA);
    });
    after(async function () {
        this.timeout(120_000);
        if (lab) await lab.cleanup();
    });

    it("`cloud-init schema` accepts the user data Ec2Host sends", async () => {
        const result = await host.exec(["cloud-init", "schema", "--config-file", "/tmp/user-data", "--annotate"], { allowFailure: true });
        assert.strictEqual(result.code, 0, `cloud-init schema rejected the user data:\n${result.stdout}${result.stderr}`);
        assert.match(result.stdout, /^Valid schema \/tmp\/user-data$/m);
    });

    it("`cloud-init schema` rejects a copy with a misspelt module key and a wrong type (the check can fail)", async () => {
        const misspelt = USER_DATA.replace(/^runcmd:/m, "runcmds:");
        const broken = misspelt.replace(/^package_update: true$/m, 'package_update: "yes"');
        assert.ok(misspelt !== USER_DATA && broken !== misspelt, "the user data no longer has the keys this control breaks");
        await writeFile(host, "/tmp/broken-user-data", broken);
        const result = await host.exec(["cloud-init", "schema", "--config-file", "/tmp/broken-user-data", "--annotate"], { allowFailure: true });
        assert.notStrictEqual(result.code, 0, `cloud-init schema accepted a broken copy:\n${result.stdout}`);
        assert.match(result.stdout, /'yes' is not of type 'boolean'/);
        assert.match(result.stdout, /Additional properties are not allowed \('runcmds' was unexpected\)/);
    });

    describe("booted by cloud-init from a NoCloud seed holding the user data", function () {
        let status: { errors: string[]; status: string };
        let log: string;
        let output: string;

        before(async function () {
            this.timeout(10 * 60_000);
            await writeFile(host, `${SEED_DIR}/user-data`, USER_DATA);
            await writeFile(host, `${SEED_DIR}/meta-data`, "instance-id: iid-sim-ec2-host\nlocal-hostname: sim-ec2-host\n");
            // NoCloud only: no probing of cloud metadata services. Ubuntu's images name their default user `ubuntu`
            // (Debian's `debian`); the user data relies on it, so the simulated host names it as Ubuntu does.
            await writeFile(host, "/etc/cloud/cloud.cfg.d/90-sim-ec2-host.cfg", `datasource_list: [NoCloud]\nsystem_info:\n  default_user:\n    name: ${EC2_USER}\n`);
            // The stages a boot runs; the final one fails here (see the package test), which `status` reports below.
            await host.exec(["cloud-init", "init"]);
            await host.exec(["cloud-init", "modules", "--mode", "config"]);
            await host.exec(["cloud-init", "modules", "--mode", "final"], { allowFailure: true });
            status = JSON.parse((await host.exec(["cloud-init", "status", "--format", "json"], { allowFailure: true })).stdout);
            log = (await host.exec(["cat", "/var/log/cloud-init.log"])).stdout;
            output = (await host.exec(["cat", "/var/log/cloud-init-output.log"])).stdout;
        });

        it("the user data activates exactly the modules accounted for, and cloud-init ran each of them", async () => {
            await writeFile(host, "/tmp/activated.py", ACTIVATED_MODULES_PY);
            const activated = JSON.parse((await host.exec(["python3", "/tmp/activated.py", `${SEED_DIR}/user-data`])).stdout) as string[];
            assert.deepStrictEqual(activated, Object.keys(EXPECTED_MODULES).sort());
            for (const module of [...activated, "cc_scripts_user"]) {
                const logName = module.replace(/^cc_/, "").replace(/_/g, "[-_]");
                assert.match(log, new RegExp(`Running module ${logName} \\(`), `cloud-init did not run ${module}`);
            }
        });

        it("runcmd: the script holds exactly the user data's commands, and scripts-user ran it", async () => {
            const commands = (parse(USER_DATA) as { runcmd: string[] }).runcmd;
            const script = (await host.exec(["cat", "/var/lib/cloud/instance/scripts/runcmd"])).stdout;
            assert.strictEqual(script, `#!/bin/sh\n${commands.join("\n")}\n`);
            // usermod ran: the default user is in the docker group.
            const groups = (await host.exec(["id", "-nG", EC2_USER])).stdout.trim().split(/\s+/);
            assert.ok(groups.includes("docker"), `${EC2_USER} is in ${groups.join(" ")}, not in docker`);
            // `systemctl enable --now docker` cannot start a unit without systemd as PID 1 (dockerd runs from the
            // simulated host's init instead). The script's status is its last command's, so cloud-init saw no error.
            assert.ok(commands.includes("systemctl enable --now docker"));
            assert.match(output, /--now cannot be used when systemd is not running/);
        });

        it("package-update-upgrade-install: apt-get update and docker.io work; only Ubuntu's docker-compose-v2 fails, and cloud-init reports it", async () => {
            const packages = (parse(USER_DATA) as { packages: string[] }).packages;
            assert.deepStrictEqual(packages, ["docker.io", "docker-compose-v2"]);
            assert.match(log, /Running \['apt-get', [^\]]*'update'\] took/);
            assert.match(log, new RegExp(`Failure when attempting to install packages: \\['docker\\.io', 'docker-compose-v2'\\]`));
            assert.match((await host.exec(["dpkg-query", "-W", "-f", "${Status}", "docker.io"])).stdout, /install ok installed/);
            // Debian ships Compose v2 as `docker-compose`; `docker-compose-v2` exists only in Ubuntu's archive.
            assert.strictEqual((await host.exec(["apt-cache", "show", "docker-compose-v2"], { allowFailure: true })).code !== 0, true);
            assert.match((await host.exec(["apt-cache", "show", "docker-compose"])).stdout, /^Version: 2\./m);
            assert.strictEqual(status.status, "error");
            assert.strictEqual(status.errors.length, 1, `cloud-init errors: ${JSON.stringify(status.errors)}`);
            assert.match(status.errors[0], /package-update-upgrade-install.*Failed to install the following packages: \{'docker-compose-v2'\}/);
        });
    });
});
