import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { loadMigrations, pendingMigrations, runMigrations, type Migration } from '../src/migrations';
import { createDatabase, endPool, testPool } from './support/db';

/** The columns of `table` as `name:type:nullable`, to compare a schema after concurrent runs. */
async function columns(pool: Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ column_name: string; data_type: string; is_nullable: string }>(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((row) => `${row.column_name}:${row.data_type}:${row.is_nullable}`);
}

async function recordedVersions(pool: Pool): Promise<number[]> {
  const { rows } = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return rows.map((row) => row.version);
}

describe('migrations', () => {
  const migrations = loadMigrations();
  const versions = migrations.map((m) => m.version);
  let scratchDir: string | undefined;

  afterEach(() => {
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
    scratchDir = undefined;
  });

  function scratchMigrations(files: Record<string, string>): string {
    scratchDir = mkdtempSync(path.join(os.tmpdir(), 'notes-migrations-'));
    for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(scratchDir, name), sql);
    return scratchDir;
  }

  it('ships numbered files in order, starting with the notes table', () => {
    assert.ok(migrations.length >= 2);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
    assert.equal(migrations[0].name, 'create_notes');
  });

  it('applies everything once; a second run applies nothing and leaves the schema alone', async () => {
    const pool = testPool((await createDatabase('mig_twice')).url);
    try {
      assert.deepEqual(await pendingMigrations(pool, migrations), versions);
      assert.deepEqual(await runMigrations(pool, migrations), versions);
      const schema = await columns(pool, 'notes');
      assert.deepEqual(await runMigrations(pool, migrations), []);
      assert.deepEqual(await columns(pool, 'notes'), schema);
      assert.deepEqual(await recordedVersions(pool), versions);
      assert.deepEqual(await pendingMigrations(pool, migrations), []);
    } finally {
      await endPool(pool);
    }
  });

  it('four replicas migrating at once: exactly one applies, the schema is whole, nothing is recorded twice', async () => {
    const db = await createDatabase('mig_race');
    // Separate pools, as separate replicas would have: each run holds its own session and its own lock attempt.
    const pools = [1, 2, 3, 4].map(() => testPool(db.url, 1));
    try {
      const results = await Promise.all(pools.map((pool) => runMigrations(pool, migrations)));
      const appliers = results.filter((applied) => applied.length > 0);
      assert.equal(appliers.length, 1, `runs applied ${JSON.stringify(results)}`);
      assert.deepEqual(appliers[0], versions);
      assert.deepEqual(await recordedVersions(pools[0]), versions);
      assert.deepEqual(await columns(pools[0], 'notes'), [
        'id:integer:NO',
        'title:text:NO',
        'body:text:NO',
        'created_at:timestamp with time zone:NO',
        'updated_at:timestamp with time zone:NO',
      ]);
      const { rows } = await pools[0].query("SELECT indexname FROM pg_indexes WHERE tablename = 'notes' ORDER BY indexname");
      assert.deepEqual(rows.map((r) => r.indexname), ['notes_created_at_idx', 'notes_pkey']);
    } finally {
      await Promise.all(pools.map((pool) => endPool(pool)));
    }
  });

  it('a failing migration rolls back completely, records nothing, and does not hold the lock', async () => {
    const pool = testPool((await createDatabase('mig_fail')).url);
    try {
      const dir = scratchMigrations({
        '001_good.sql': 'CREATE TABLE good (id integer);',
        '002_bad.sql': 'CREATE TABLE half_done (id integer); SELECT * FROM no_such_table;',
      });
      const broken = loadMigrations(dir);
      await assert.rejects(runMigrations(pool, broken), /migration 002_bad failed: relation "no_such_table" does not exist/);
      assert.deepEqual(await recordedVersions(pool), [1]);
      const { rows } = await pool.query("SELECT to_regclass('half_done') IS NULL AS gone");
      assert.equal(rows[0].gone, true, 'the failed migration left a table behind');
      // If the lock were still held this would wait forever (and the test time out).
      assert.deepEqual(await runMigrations(pool, broken.slice(0, 1)), []);
    } finally {
      await endPool(pool);
    }
  });

  it('refuses to start when an applied migration was edited afterwards', async () => {
    const pool = testPool((await createDatabase('mig_edit')).url);
    try {
      await runMigrations(pool, migrations);
      const edited: Migration[] = migrations.map((m, i) => (i === 0 ? { ...m, checksum: 'different' } : m));
      await assert.rejects(runMigrations(pool, edited), /001_create_notes was changed after it was applied/);
    } finally {
      await endPool(pool);
    }
  });

  it('rejects migration files that do not follow NNN_name.sql', () => {
    const dir = scratchMigrations({ '1_short.sql': 'SELECT 1;' });
    assert.throws(() => loadMigrations(dir), /1_short\.sql must be named NNN_name\.sql/);
  });

  it('rejects two files with the same version', () => {
    const dir = scratchMigrations({ '001_a.sql': 'SELECT 1;', '001_b.sql': 'SELECT 1;' });
    assert.throws(() => loadMigrations(dir), /two migration files share version 001/);
  });
});
