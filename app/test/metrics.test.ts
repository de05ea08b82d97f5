import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { createMetrics } from '../src/metrics';
import { ADMIN_URL, endPool, testPool } from './support/db';

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
