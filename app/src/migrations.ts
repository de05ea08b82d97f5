import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';

/** Migrations ship next to the compiled code: dist/../migrations in the image, src/../migrations in a checkout. */
export const DEFAULT_MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');

/**
 * Session-level advisory lock key shared by every replica of this service. Any constant works as long as
 * nothing else in the database uses it; this one spells "notesmig" in ASCII.
 */
export const MIGRATION_LOCK_KEY = '7957707045664024935';

const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationLogger {
  info(obj: object, msg: string): void;
}

/** Reads `NNN_name.sql` files in version order; any other `.sql` name is a mistake worth failing on. */
export function loadMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (match === null) {
      throw new Error(`migration file ${file} must be named NNN_name.sql (three digits, lower-case name)`);
    }
    const sql = readFileSync(path.join(dir, file), 'utf8');
    migrations.push({
      version: Number(match[1]),
      name: match[2],
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new Error(`two migration files share version ${String(migrations[i].version).padStart(3, '0')}`);
    }
  }
  return migrations;
}

/**
 * Applies every migration not yet recorded in schema_migrations, each in its own transaction.
 * A session advisory lock serialises concurrent callers (replicas starting together): the second one
 * waits, then finds nothing left to do. Returns the versions this call applied.
 */
export async function runMigrations(
  pool: Pool,
  migrations: readonly Migration[],
  logger?: MigrationLogger,
): Promise<number[]> {
  const client = await pool.connect();
  let released = false;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      const { rows } = await client.query<{ version: number; checksum: string }>(
        'SELECT version, checksum FROM schema_migrations',
      );
      const recorded = new Map(rows.map((row) => [row.version, row.checksum]));
      const applied: number[] = [];
      for (const migration of migrations) {
        const checksum = recorded.get(migration.version);
        if (checksum !== undefined) {
          if (checksum !== migration.checksum) {
            throw new Error(
              `migration ${label(migration)} was changed after it was applied; add a new migration instead of editing it`,
            );
          }
          continue;
        }
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            migration.checksum,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${label(migration)} failed: ${(error as Error).message}`);
        }
        applied.push(migration.version);
        logger?.info({ migration: label(migration) }, 'migration applied');
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } catch (error) {
    // A connection in an unknown state must not go back to the pool.
    client.release(true);
    released = true;
    throw error;
  } finally {
    if (!released) client.release();
  }
}

/** Versions that exist as files but are not recorded in the database (empty when the schema is current). */
export async function pendingMigrations(pool: Pool, migrations: readonly Migration[]): Promise<number[]> {
  const { rows } = await pool.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  );
  if (!rows[0].present) return migrations.map((m) => m.version);
  const recorded = await pool.query<{ version: number }>('SELECT version FROM schema_migrations');
  const done = new Set(recorded.rows.map((row) => row.version));
  return migrations.filter((m) => !done.has(m.version)).map((m) => m.version);
}

function label(migration: Migration): string {
  return `${String(migration.version).padStart(3, '0')}_${migration.name}`;
}
