import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface AppMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
}

/**
 * One registry per app instance (not prom-client's global one) so that several apps in one
 * process, as in the tests, never collide on metric names.
 */
export function createMetrics(pool: Pool): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting clients).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  registerArchiverMetrics(registry, pool);
  registerBackupJobMetrics(registry, pool);
  return { registry, httpRequests, httpDuration };
}

/**
 * WAL archiving as PostgreSQL reports it (pg_stat_archiver, readable by every role), read at each scrape: a backup
 * that stopped archiving (a missing bucket, a wrong key, no route to S3) shows here even when no backup job runs.
 * A database without archiving reports 0 failures; values nobody knows (no segment archived yet, the database not
 * answering) are NaN, never a reassuring 0.
 */
function registerArchiverMetrics(registry: Registry, pool: Pool): void {
  const gauge = rowGauges(registry, () => readArchiver(pool));
  gauge('pg_wal_archive_failing', '1 when the newest WAL archive attempt failed (pg_stat_archiver), else 0: backups are not keeping up.',
    (row) => (row.failing ? 1 : 0));
  gauge('pg_wal_archive_failures', 'Failed WAL archive attempts since the statistics were reset (pg_stat_archiver.failed_count).',
    (row) => row.failed_count);
  gauge('pg_wal_archive_last_success_age_seconds', 'Seconds since a WAL segment last reached the backup repository; NaN before the first one.',
    (row) => row.last_archived_age);
}

interface ArchiverRow {
  failing: boolean;
  failed_count: string;
  last_archived_age: string | null;
}

async function readArchiver(pool: Pool): Promise<ArchiverRow | undefined> {
  try {
    const { rows } = await pool.query<ArchiverRow>(
      `SELECT coalesce(last_failed_time > coalesce(last_archived_time, 'epoch'), false) AS failing,
              failed_count, extract(epoch FROM now() - last_archived_time) AS last_archived_age
         FROM pg_stat_archiver`,
    );
    return rows[0];
  } catch {
    return undefined;
  }
}

/**
 * The newest backup job (app/deploy/backup.sh backup, run by the hosts' timer or by hand), as backup.sh records it in
 * backup_status.last_job of this database. A failed scheduled backup shows here as a non-zero exit status, and one
 * that stopped running as a growing age. Without backups (no such table) or without an answer, every value is NaN.
 */
function registerBackupJobMetrics(registry: Registry, pool: Pool): void {
  const gauge = rowGauges(registry, () => readBackupJob(pool));
  gauge('backup_job_last_exit_status', "Exit status of the newest backup job (pgBackRest's; 0 = it succeeded); NaN when none ran.",
    (row) => row.exit_status);
  gauge('backup_job_last_run_age_seconds', 'Seconds since the newest backup job finished, whatever its outcome; NaN when none ran.',
    (row) => row.finished_age);
  gauge('backup_job_last_success_age_seconds', 'Seconds since a backup job last succeeded; NaN when none has.',
    (row) => row.success_age);
}

interface BackupJobRow {
  exit_status: number;
  finished_age: string | null;
  success_age: string | null;
}

async function readBackupJob(pool: Pool): Promise<BackupJobRow | undefined> {
  try {
    // Checked first so that a stack without backups does not log an error in PostgreSQL at every scrape.
    const exists = await pool.query<{ found: boolean }>("SELECT to_regclass('backup_status.last_job') IS NOT NULL AS found");
    if (!exists.rows[0]?.found) return undefined;
    const { rows } = await pool.query<BackupJobRow>(
      `SELECT exit_status, extract(epoch FROM now() - finished_at) AS finished_age,
              extract(epoch FROM now() - last_success_at) AS success_age
         FROM backup_status.last_job`,
    );
    return rows[0];
  } catch {
    return undefined;
  }
}

/**
 * A maker of gauges that share one database row. The registry collects every metric at once, so the row is read at
 * most once a second however many gauges ask for it. A value nobody knows (no row, no answer, NULL) is NaN.
 */
function rowGauges<Row>(registry: Registry, readRow: () => Promise<Row | undefined>) {
  let snapshot: { at: number; row: Promise<Row | undefined> } | undefined;
  const read = () => {
    if (!snapshot || Date.now() - snapshot.at > 1000) snapshot = { at: Date.now(), row: readRow() };
    return snapshot.row;
  };
  return (name: string, help: string, value: (row: Row) => number | string | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const row = await read();
        const known = row ? value(row) : null;
        this.set(known === null ? NaN : Number(known));
      },
    });
}
