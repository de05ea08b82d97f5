import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BUNDLE_PGBACKREST_CONF, backupUnits, installScheduleCommand, pgbackrestConf, removeScheduleCommand } from "../../../components/backup";
import { run } from "../../support/docker";
import { TARGET } from "./target";

// What a host that backs up gets (components/backup/hostFiles.ts): pgbackrest.conf and the systemd units of the
// scheduled backup, their ExecStart run by bash as systemd would hand it over. systemd itself checks the units in
// tests/deploy/backup-units.test.ts, which needs Docker (the pipeline's test job, which runs this file, has none).

const BUNDLE_CONF = fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "app", "deploy", BUNDLE_PGBACKREST_CONF), "utf8");
const S3_SETTINGS = { bucket: "prod-backup-1a2b", region: "eu-west-3", prefix: "hosts/production", retentionDays: 30 };

/** The settings of a pgbackrest.conf, key to value (no comments, no section headers). */
function settingsOf(conf: string): Map<string, string> {
    return new Map(conf.split("\n").filter((line) => /^[a-z0-9-]+=/.test(line)).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
}

/** ExecStart as the process systemd starts sees it: $$ and %% unescaped (no other specifier is used). */
function execStart(service: string): string[] {
    const line = service.split("\n").find((entry) => entry.startsWith("ExecStart="))!;
    const match = /^ExecStart=\/bin\/bash -c '(.*)'$/.exec(line);
    assert.ok(match, line);
    return ["-c", match[1].replace(/\$\$/g, "$").replace(/%%/g, "%")];
}

describe("backup: host files", () => {
    it("pgbackrest.conf names the bucket, region and prefix, takes credentials from the instance role, and holds no key", () => {
        const conf = pgbackrestConf(S3_SETTINGS, BUNDLE_CONF);
        const lines = conf.split("\n");
        for (const line of ["[global]", "repo1-type=s3", "repo1-s3-bucket=prod-backup-1a2b", "repo1-s3-endpoint=s3.eu-west-3.amazonaws.com", "repo1-s3-region=eu-west-3",
            "repo1-s3-key-type=auto", "repo1-path=/hosts/production", "repo1-cipher-type=aes-256-cbc", "repo1-retention-full-type=time", "repo1-retention-full=30",
            "lock-path=/tmp/pgbackrest", "log-level-file=off"]) {
            assert.ok(lines.includes(line), `missing ${line}`);
        }
        assert.doesNotMatch(conf, /cipher-pass|s3-key=|s3-key-secret/);
        assert.equal(conf.split("\n").filter((line) => line.startsWith("[")).join(), "[global]");
    });

    it("pgbackrest.conf keeps every setting of the bundle's own conf but where the repository is and how long it keeps", () => {
        const hosts = settingsOf(pgbackrestConf(S3_SETTINGS, BUNDLE_CONF));
        const bundle = settingsOf(BUNDLE_CONF);
        const replaced = [...bundle.keys()].filter((key) => hosts.get(key) !== bundle.get(key)).sort();
        assert.deepEqual(replaced, ["repo1-path", "repo1-retention-full", "repo1-type"]);
        // A shared setting changed in the bundle reaches the hosts too: it has one owner.
        const changed = settingsOf(pgbackrestConf(S3_SETTINGS, BUNDLE_CONF.replace(/^process-max=.*$/m, "process-max=4")));
        assert.equal(changed.get("process-max"), "4");
        assert.equal([...changed.keys()].filter((key) => key === "process-max").length, 1);
    });

    it("refuses a bundle conf with more than the [global] section, which one flat file would merge", () => {
        assert.throws(() => pgbackrestConf(S3_SETTINGS, `${BUNDLE_CONF}\n[demo]\npg1-path=/x\n`), /postgres\/backup\/pgbackrest\.conf must hold one \[global\] section \(found \[global\], \[demo\]\)/);
        assert.throws(() => pgbackrestConf(S3_SETTINGS, "repo1-type=posix\n"), /found none/);
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
});
