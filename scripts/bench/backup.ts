// npm run bench:backup [-- --sizes 100000,1000000|none] [--load-seconds 120]
//
// Measures the backup stack of tests/deploy/backupStack.ts (pgBackRest to moto on loopback, behind TLS) on this
// machine's engine and prints one table:
//   RPO: under a steady write load through nginx, how far behind the WAL archive runs: each second, the age of the
//        oldest write not yet in the repository (an upper bound at 1 s resolution; max and median), with the
//        stack's archive_timeout (compose.backup.yaml).
//   RTO: for each size, the notes inserted, a full backup, the database volume destroyed, and the wall time of
//        `backup.sh restore --latest` until the database accepts writes again.
// Goals (issue 17): RPO <= 60 s; RTO for 1M notes < 5 min on 2 cores.
import * as os from "os";
import { requireDocker } from "../../tests/support/docker";
import { BackupStack, startWriter } from "../../tests/deploy/backupStack";
import { sharedAppImage } from "../../tests/deploy/stack";

const WAL_SEGMENT_BYTES = 16n * 1024n * 1024n;

function option(name: string, fallback: string): string {
    const index = process.argv.indexOf(name);
    return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}

function lsnToBytes(lsn: string): bigint {
    const [high, low] = lsn.split("/");
    return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/** The first byte after the WAL segment file `name` (TTTTTTTTXXXXXXXXYYYYYYYY: timeline, log, segment). */
function segmentEnd(name: string): bigint {
    const log = BigInt(`0x${name.slice(8, 16)}`);
    const segment = BigInt(`0x${name.slice(16, 24)}`);
    return (log << 32n) + (segment + 1n) * WAL_SEGMENT_BYTES;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const progress = (message: string) => console.error(`==> bench:backup: ${message}`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measureRpo(stack: BackupStack, seconds: number): Promise<{ max: number; median: number; writes: number }> {
    progress(`RPO: ${seconds} s of steady writes through nginx`);
    const writer = startWriter(await stack.project.proxyUrl(), "rpo", 1_000_000, 20);
    const positions: { at: number; lsn: bigint }[] = [];
    const lags: number[] = [];
    const started = Date.now();
    while (Date.now() - started < seconds * 1000) {
        const [row] = await stack.sql("select pg_current_wal_lsn(), coalesce(last_archived_wal, '') from pg_stat_archiver");
        const [lsn, archived] = row.split("|");
        const now = Date.now();
        positions.push({ at: now, lsn: lsnToBytes(lsn) });
        // Only whole segments are archived (a .backup or .history name is not a segment end).
        if (/^[0-9A-F]{24}$/.test(archived)) {
            const safe = segmentEnd(archived);
            // The oldest unarchived write came after the last sample still inside the archive: an upper bound.
            const first = positions.findIndex((p) => p.lsn > safe);
            const since = first < 0 ? now : positions[Math.max(first - 1, 0)].at;
            lags.push((now - since) / 1000);
        }
        await pause(1000);
    }
    const sent = await writer.stop();
    return { max: Math.max(...lags), median: median(lags), writes: sent.filter((note) => note.ackAt !== undefined).length };
}

async function measureRto(stack: BackupStack, notes: number): Promise<{ backup: number; restore: number; size: string }> {
    progress(`RTO: ${notes} notes: insert, full backup, volume destroyed, restore --latest`);
    await stack.sql("truncate notes");
    await stack.sql(`insert into notes (title, body) select 'bench-' || i, repeat('x', 200) from generate_series(1, ${notes}) as i`);
    const size = (await stack.sql("select pg_size_pretty(pg_database_size(current_database()))"))[0];
    let started = Date.now();
    const backup = await stack.backup(["backup", "--type", "full"]);
    if (backup.code !== 0) throw new Error(`backup failed:\n${backup.stderr}`);
    const backupSeconds = (Date.now() - started) / 1000;
    const check = await stack.backup(["check"]);
    if (check.code !== 0) throw new Error(`check failed:\n${check.stderr}`);
    await stack.destroyDatabaseVolume();
    started = Date.now();
    const restore = await stack.backup(["restore", "--latest"]);
    if (restore.code !== 0) throw new Error(`restore failed:\n${restore.stderr}`);
    const restoreSeconds = (Date.now() - started) / 1000;
    const count = Number((await stack.sql("select count(*) from notes"))[0]);
    if (count !== notes) throw new Error(`restored ${count} notes, expected ${notes}`);
    return { backup: backupSeconds, restore: restoreSeconds, size };
}

async function main(): Promise<void> {
    const sizesText = option("--sizes", "100000,1000000");
    const sizes = sizesText === "none" ? [] : sizesText.split(",").map(Number);
    if (sizes.some((size) => !Number.isInteger(size) || size < 1)) throw new Error(`--sizes must be whole numbers separated by commas, or none (got "${sizesText}")`);
    const loadSeconds = Number(option("--load-seconds", "120"));
    await requireDocker();
    progress("starting the stack with backups on (pgBackRest to moto on loopback)");
    const stack = await BackupStack.start("bench-backup", await sharedAppImage());
    try {
        await stack.useS3("bench-backups");
        const init = await stack.backup(["init"]);
        if (init.code !== 0) throw new Error(`init failed:\n${init.stderr}`);
        const archiveTimeout = (await stack.sql("show archive_timeout"))[0];
        const rpo = await measureRpo(stack, loadSeconds);
        const rows = [["measure", "value", "goal"], ["---", "---", "---"],
            [`RPO max over ${loadSeconds} s of steady writes (${rpo.writes} notes, archive_timeout ${archiveTimeout})`, `${rpo.max.toFixed(1)} s`, "<= 60 s"],
            ["RPO median", `${rpo.median.toFixed(1)} s`, ""]];
        for (const notes of sizes) {
            const rto = await measureRto(stack, notes);
            rows.push([`full backup of ${notes} notes (${rto.size})`, `${rto.backup.toFixed(1)} s`, ""]);
            rows.push([`RTO: restore --latest of ${notes} notes, volume destroyed`, `${rto.restore.toFixed(1)} s`, notes >= 1_000_000 ? "< 300 s" : ""]);
        }
        console.log(`\nbench:backup on ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} (shared machine)\n`);
        for (const row of rows) console.log(`| ${row.join(" | ")} |`);
    } finally {
        await stack.teardown();
    }
}

main().catch((error: Error) => {
    console.error(`ERROR: bench:backup: ${error.message}`);
    process.exit(1);
});
