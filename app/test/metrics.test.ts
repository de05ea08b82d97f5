import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pool } from 'pg';
import { createMetrics } from '../src/metrics';
import { ADMIN_URL, createDatabase, createRole, databaseUrl, endPool, testPool } from './support/db';

/** The value of a labelless sample in Prometheus text, as written (NaN stays NaN). */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no ${name} sample in:\n${text}`);
  return Number(line.split(' ')[1]);
}

describe('WAL archive metrics (pg_stat_archiver)', () => {
  it("report what the database's archiver says", async () => {
    const pool = testPool(ADMIN_URL);
    try {
      const { rows } = await pool.query<{ failed_count: string }>('SELECT failed_count FROM pg_stat_archiver');
      const text = await createMetrics(pool).registry.metrics();
      assert.equal(sample(text, 'pg_wal_archive_failing'), 0);
      assert.equal(sample(text, 'pg_wal_archive_failures'), Number(rows[0].failed_count));
      assert.match(text, /# HELP pg_wal_archive_last_success_age_seconds /);
    } finally {
      await endPool(pool);
    }
  });

  it('are NaN, not a reassuring 0, when the database does not answer', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const pool = new Pool({ connectionString: 'postgres://nobody:none@127.0.0.1:1/none', connectionTimeoutMillis: 2000 });
    try {
      const text = await createMetrics(pool).registry.metrics();
      for (const name of ['pg_wal_archive_failing', 'pg_wal_archive_failures', 'pg_wal_archive_last_success_age_seconds']) {
        assert.ok(Number.isNaN(sample(text, name)), `${name} is NaN`);
      }
    } finally {
      await pool.end();
    }
  });
});

/** The SQL backup.sh records a backup's outcome with (its own heredoc, read from the script), for one outcome. */
function recordedOutcome(status: number, type: string, appRole: string): string {
  const script = fs.readFileSync(path.resolve(__dirname, '../deploy/backup.sh'), 'utf8');
  const sql = /^record_backup_result\(\) \{[\s\S]*?<<'SQL'[^\n]*\n[^\n]*\n([\s\S]*?)\nSQL\n/m.exec(script)?.[1];
  assert.ok(sql, 'backup.sh records the outcome with a SQL heredoc');
  return sql.replaceAll(":'type'", `'${type}'`).replaceAll(':status', String(status)).replaceAll(':"app_role"', `"${appRole}"`);
}

describe('backup job metrics (backup_status.last_job, written by backup.sh)', () => {
  it("are NaN without any recorded job, then report each job's exit status and ages, read with the app's own role", async () => {
    const appRole = await createRole('backupmetrics');
    const db = await createDatabase('backupmetrics');
    const admin = testPool(db.url);
    const app = testPool(databaseUrl(db.name, appRole));
    try {
      const metrics = createMetrics(app).registry;
      const read = async () => {
        const text = await metrics.metrics();
        return ['backup_job_last_exit_status', 'backup_job_last_run_age_seconds', 'backup_job_last_success_age_seconds'].map((name) => sample(text, name));
      };
      for (const value of await read()) assert.ok(Number.isNaN(value), 'nothing recorded: NaN');

      // One scrape's values are read once and kept for a second: the next scrape is what sees a new job.
      const nextScrape = () => new Promise((resolve) => setTimeout(resolve, 1100));
      await admin.query(recordedOutcome(0, 'full', appRole.user));
      await nextScrape();
      const [ok, okRun, okSuccess] = await read();
      assert.equal(ok, 0);
      assert.ok(okRun >= 0 && okRun < 60 && okSuccess >= 0 && okSuccess < 60, `ages ${okRun}, ${okSuccess}`);

      await admin.query(recordedOutcome(82, 'incr', appRole.user));
      await nextScrape();
      const [failed, failedRun, lastSuccess] = await read();
      assert.equal(failed, 82, 'a failed job shows its exit status');
      assert.ok(lastSuccess > failedRun, `the last success (${lastSuccess} s ago) is older than the failed run (${failedRun} s ago)`);
    } finally {
      await endPool(app);
      await endPool(admin);
    }
  });
});
