// The restore drill (docs/backups.md), for real: the Compose stack with compose.backup.yaml on the real engine,
// pgBackRest archiving to moto (S3 on loopback, behind TLS), notes written through nginx while it backs up, the
// database volume destroyed, then backup.sh restore to latest and to a recorded point in time.
import assert from "assert";
import * as fs from "fs";
import { RunResult, docker, requireDocker } from "../support/docker";
import { BackupStack, SentNote, pgTime, startWriter } from "./backupStack";
import { request, sharedAppImage } from "./stack";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ARCHIVE_TIMEOUT_SECONDS = 10;

describe("backup and restore drill (pgBackRest to S3 on loopback, real engine)", function () {
    this.timeout(10 * 60_000);
    let stack: BackupStack;
    let baseUrl: string;
    let sent: SentNote[] = [];
    let target = 0;

    before(async function () {
        this.timeout(25 * 60_000);
        await requireDocker();
        // A short archive_timeout makes the check that it is honoured right after a start cheap (seconds, not 30).
        stack = await BackupStack.start("backup-drill", await sharedAppImage(), { archiveTimeoutSeconds: ARCHIVE_TIMEOUT_SECONDS });
        baseUrl = await stack.project.proxyUrl();
        await stack.useS3("drill-backups");
    });
    after(async function () {
        this.timeout(5 * 60_000);
        if (stack) await stack.teardown();
    });

    /** A sample of the app's /metrics, read inside the app container (nginx keeps /metrics private). */
    const appMetric = async (name: string): Promise<number> => {
        const script = "fetch('http://127.0.0.1:3000/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
        const text = (await docker(["exec", await stack.project.container("app"), "node", "-e", script])).stdout;
        const line = text.split("\n").find((entry) => entry.startsWith(`${name} `));
        assert.ok(line, `the app exposes ${name}`);
        return Number(line.split(" ")[1]);
    };
    const titles = async () => new Set(await stack.sql("select title from notes"));
    const appAnswers = async () => {
        for (let attempt = 0; attempt < 30; attempt++) {
            const answer = await request(`${baseUrl}/api/notes?limit=1`).catch(() => undefined);
            if (answer?.status === 200) return;
            await pause(1000);
        }
        assert.fail("the app did not answer GET /api/notes with 200 within 30 s of the restore");
    };

    let init: RunResult;
    it("creates the stanza and archives WAL", async function () {
        init = await stack.backup(["init"]);
        assert.strictEqual(init.code, 0, init.stderr + init.stdout);
        assert.match(init.stdout, /WAL archiving works/);
    });

    // Before any backup: a backup's checkpoint would end the window this is about. After a start, the checkpointer
    // enforces archive_timeout only from its first wake-up, one checkpoint_timeout later (5 min by default; 30 s in
    // compose.backup.yaml). Until then a change waits in an unfinished segment however long archive_timeout is.
    it("archives a change by archive_timeout right after the database started, with nobody forcing a segment switch", async function () {
        const archived = async () => Number((await stack.sql("select archived_count from pg_stat_archiver"))[0]);
        const startedAt = await stack.dbStartedAt();
        const before = await archived();
        await stack.sql("insert into notes (title) values ('waits for archive_timeout')");
        const written = Date.now();
        const limitSeconds = 90;
        let after = before;
        while (after === before && Date.now() - written < limitSeconds * 1000) {
            await pause(1000);
            after = await archived();
        }
        const sinceStart = Math.round((written - startedAt) / 1000);
        assert.ok(after > before, `no segment was archived within ${limitSeconds} s of a change made ${sinceStart} s after the database started (archive_timeout ${ARCHIVE_TIMEOUT_SECONDS} s)`);
    });

    it("takes a full backup while notes are being written", async function () {
        const writer = startWriter(baseUrl, "drill");
        await pause(1500);
        const full = await stack.backup(["backup", "--type", "full"]);
        assert.strictEqual(full.code, 0, full.stderr + full.stdout);
        assert.match(full.stdout, /full backup done/);
        assert.strictEqual(await appMetric("backup_job_last_exit_status"), 0, "the app's /metrics reports the backup that succeeded");
        // Keep writing after the backup; the target lies in the middle of these writes.
        await pause(1500);
        target = Date.now();
        await pause(1500);
        sent = await writer.stop();
        const failed = sent.filter((note) => note.ackAt === undefined);
        assert.deepStrictEqual(failed.slice(0, 5), [], `every write is acknowledged while backing up (${failed.length} of ${sent.length} failed)`);
        assert.ok(sent.filter((note) => note.ackAt! < target).length > 20, `notes before the target: ${sent.length} sent in all`);
        assert.ok(sent.filter((note) => note.sentAt > target).length > 5, "notes sent after the target");

        const check = await stack.backup(["check"]);
        assert.strictEqual(check.code, 0, check.stderr + check.stdout);
        // Nothing in the logs or pgBackRest's output shows the repository key.
        const cipher = /BACKUP_CIPHER_PASS=(.*)/.exec(fs.readFileSync(stack.project.envFile, "utf8"))![1];
        const logs = await stack.compose(["logs", "--no-color", "db"]);
        for (const text of [init.stdout, init.stderr, full.stdout, full.stderr, logs.stdout, logs.stderr]) {
            assert.ok(!text.includes(cipher), "the repository key appears in output");
        }
    });

    it("restores to latest after the database volume is destroyed: every acknowledged note is back, the app answers", async function () {
        await stack.destroyDatabaseVolume();
        const restore = await stack.backup(["restore", "--latest"]);
        assert.strictEqual(restore.code, 0, restore.stderr + restore.stdout);
        const present = await titles();
        const missing = sent.filter((note) => note.ackAt !== undefined && !present.has(note.title)).map((note) => note.title);
        assert.deepStrictEqual(missing, [], "acknowledged notes missing after the restore to latest");
        await appAnswers();
    });

    it("refuses to restore over the running database without --force, and changes nothing", async function () {
        const before = await titles();
        const refused = await stack.backup(["restore", "--latest"]);
        assert.notStrictEqual(refused.code, 0);
        assert.match(refused.stderr, /ERROR: the database is running.*--force/);
        assert.ok(await stack.dbRunning(), "the database still runs");
        assert.deepStrictEqual(await titles(), before);
    });

    it("refuses to restore with a wrong repository key, before stopping the database", async function () {
        const wrongEnv = `${stack.project.envFile}.wrong-key`;
        fs.writeFileSync(wrongEnv, fs.readFileSync(stack.project.envFile, "utf8").replace(/^BACKUP_CIPHER_PASS=.*$/m, "BACKUP_CIPHER_PASS=not-the-key"), { mode: 0o600 });
        const refused = await stack.backup(["restore", "--latest", "--force"], wrongEnv);
        assert.notStrictEqual(refused.code, 0);
        assert.match(refused.stderr, /ERROR: cannot read the backup repository \(wrong BACKUP_CIPHER_PASS/);
        assert.ok(await stack.dbRunning(), "the database was not stopped");
    });

    it("restores to a recorded point in time: notes acknowledged before it are there, none sent after it", async function () {
        const restore = await stack.backup(["restore", "--time", pgTime(target), "--force"]);
        assert.strictEqual(restore.code, 0, restore.stderr + restore.stdout);
        const present = await titles();
        const lost = sent.filter((note) => note.ackAt! < target && !present.has(note.title)).map((note) => note.title);
        const leaked = sent.filter((note) => note.sentAt > target && present.has(note.title)).map((note) => note.title);
        assert.deepStrictEqual(lost, [], "notes acknowledged before the target are missing");
        assert.deepStrictEqual(leaked, [], "notes sent after the target are present");
        await appAnswers();
        const write = await request(`${baseUrl}/api/notes`, "POST", { title: "after the restore", body: "" });
        assert.strictEqual(write.status, 201, "the restored database takes writes");
    });

    it("fails the backup and the archive check loudly when the bucket is gone, and the app's metrics say so (archive and backup job)", async function () {
        assert.strictEqual(await appMetric("pg_wal_archive_failing"), 0, "archiving works before the bucket goes");
        assert.ok(Number.isFinite(await appMetric("pg_wal_archive_last_success_age_seconds")), "a segment was archived");
        await stack.s3!.deleteEverything();

        const backup = await stack.backup(["backup", "--type", "full"]);
        assert.notStrictEqual(backup.code, 0);
        assert.match(backup.stderr, /backup: ERROR: full backup failed/);
        const status = await appMetric("backup_job_last_exit_status");
        assert.ok(status > 0, `the app's /metrics reports the failed backup job (backup_job_last_exit_status ${status})`);
        assert.ok(await appMetric("backup_job_last_success_age_seconds") > await appMetric("backup_job_last_run_age_seconds"), "the last success is older than the failed run");

        // A change and a forced segment switch give the archiver something to push into the missing bucket.
        await stack.sql("insert into notes (title) values ('after the bucket went'); select pg_switch_wal()");
        let failing = 0;
        for (let attempt = 0; attempt < 60 && failing !== 1; attempt++) {
            await pause(1000);
            failing = await appMetric("pg_wal_archive_failing");
        }
        assert.strictEqual(failing, 1, "pg_wal_archive_failing turns 1 within 60 s");
        assert.ok((await appMetric("pg_wal_archive_failures")) > 0);

        const check = await stack.backup(["check"]);
        assert.notStrictEqual(check.code, 0);
        assert.match(check.stderr, /backup: ERROR: WAL archive check failed/);
    });
});
