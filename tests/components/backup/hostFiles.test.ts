import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backupUnits, installScheduleCommand, pgbackrestConf, removeScheduleCommand } from "../../../components/backup";
import { docker, requireDocker, run } from "../../support/docker";
import { ensureSimImages } from "../../support/simHosts";

// What a host that backs up gets (components/backup/hostFiles.ts): pgbackrest.conf and the systemd units of the
// scheduled backup. The units are checked by systemd itself (systemd-analyze verify in the simulated host's image,
// Debian trixie's systemd) and their ExecStart is run by bash, as systemd would hand it over.

const TARGET = {
    bundleDir: "/home/ubuntu/gitlab-docker-delivery/bundles/0123456789abcdef/deploy",
    environment: "production" as const,
    envFile: "/home/ubuntu/gitlab-docker-delivery/production.env",
    composeProject: "gitlab-docker-delivery-production",
    stateDir: "/home/ubuntu/gitlab-docker-delivery/state",
};

/** ExecStart as the process systemd starts sees it: $$ and %% unescaped (no other specifier is used). */
function execStart(service: string): string[] {
    const line = service.split("\n").find((entry) => entry.startsWith("ExecStart="))!;
    const match = /^ExecStart=\/bin\/bash -c '(.*)'$/.exec(line);
    assert.ok(match, line);
    return ["-c", match[1].replace(/\$\$/g, "$").replace(/%%/g, "%")];
}

describe("backup: host files", () => {
    it("pgbackrest.conf names the bucket, region and prefix, takes credentials from the instance role, and holds no key", () => {
        const conf = pgbackrestConf({ bucket: "prod-backup-1a2b", region: "eu-west-3", prefix: "hosts/production", retentionDays: 30 });
        const lines = conf.split("\n");
        for (const line of ["[global]", "repo1-type=s3", "repo1-s3-bucket=prod-backup-1a2b", "repo1-s3-endpoint=s3.eu-west-3.amazonaws.com", "repo1-s3-region=eu-west-3",
            "repo1-s3-key-type=auto", "repo1-path=/hosts/production", "repo1-cipher-type=aes-256-cbc", "repo1-retention-full-type=time", "repo1-retention-full=30",
            "lock-path=/tmp/pgbackrest", "log-level-file=off"]) {
            assert.ok(lines.includes(line), `missing ${line}`);
        }
        assert.doesNotMatch(conf, /cipher-pass|s3-key=|s3-key-secret/);
    });

    it("the scheduled backup runs as the deploy user: incremental on weekdays, full on Sundays (by UTC)", async () => {
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "backup-units-"));
        try {
            const bundleDir = path.join(scratch, "deploy");
            fs.mkdirSync(bundleDir);
            // A stand-in backup.sh that prints what it was given.
            fs.writeFileSync(path.join(bundleDir, "backup.sh"), 'printf "%s\\n" "DEPLOY_STATE_DIR=$DEPLOY_STATE_DIR" "$*"\n');
            const { service } = backupUnits({ ...TARGET, bundleDir }, "ubuntu");
            assert.match(service, /^User=ubuntu$/m);
            assert.match(service, /^Type=oneshot$/m);
            const result = await run("bash", execStart(service));
            const type = new Date().getUTCDay() === 0 ? "full" : "incr";
            assert.equal(result.stdout, `DEPLOY_STATE_DIR=${TARGET.stateDir}\nbackup --type ${type} --env production --dir ${bundleDir} --env-file ${TARGET.envFile} --project ${TARGET.composeProject}\n`);
        } finally {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
    });

    it("refuses paths that a unit file's quoting or systemd's specifiers would change", () => {
        for (const bad of ["/home/a b/deploy", "/home/x/%h", "/home/x/'q'", "/home/x/$HOME"]) {
            assert.throws(() => backupUnits({ ...TARGET, bundleDir: bad }, "ubuntu"), /must be letters, digits and _ \. \/ -/, bad);
        }
        assert.throws(() => backupUnits(TARGET, "Ubuntu;id"), /plain Unix user name/);
    });

    it("install and remove commands are valid shell, and install writes both units before starting the timer", async () => {
        const units = backupUnits(TARGET, "ubuntu");
        const install = installScheduleCommand("production", units);
        await run("bash", ["-n", "-c", install]);
        await run("bash", ["-n", "-c", removeScheduleCommand("production")]);
        const order = ["gitlab-docker-delivery-backup-production.service >/dev/null", "gitlab-docker-delivery-backup-production.timer >/dev/null", "daemon-reload", "enable --now"];
        const positions = order.map((needle) => install.indexOf(needle));
        assert.ok(positions.every((p, i) => p > 0 && (i === 0 || p > positions[i - 1])), `order in:\n${install}`);
    });

    it("systemd accepts both units (systemd-analyze verify on the simulated host's image) and enables the timer", async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        const { SIM_HOST_IMAGE } = await ensureSimImages();
        const units = backupUnits(TARGET, "ubuntu");
        const script = [
            "set -eu",
            "useradd ubuntu",
            `mkdir -p ${TARGET.bundleDir} && touch ${TARGET.bundleDir}/backup.sh`,
            // The install command as the host runs it, minus what needs a running systemd (and sudo: this is root).
            installScheduleCommand("production", units).replace(/^sudo systemctl (daemon-reload|enable --now .*)$/gm, ": $&").replace(/^systemctl list-timers.*$/m, "").replace(/sudo /g, ""),
            "cd /etc/systemd/system",
            "systemd-analyze verify gitlab-docker-delivery-backup-production.timer gitlab-docker-delivery-backup-production.service",
            // No systemd runs in the container: enable works on the files alone, as it would before a boot.
            "systemctl enable gitlab-docker-delivery-backup-production.timer 2>&1",
            "readlink timers.target.wants/gitlab-docker-delivery-backup-production.timer",
        ].join("\n");
        const result = await docker(["run", "--rm", "-i", "--label", "cicd.test=1", "--entrypoint", "bash", SIM_HOST_IMAGE, "-s"], { input: script, allowFailure: true });
        assert.equal(result.code, 0, result.stderr + result.stdout);
        assert.match(result.stdout, /^\/etc\/systemd\/system\/gitlab-docker-delivery-backup-production\.timer$/m);
    });
});
