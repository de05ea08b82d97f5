import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';

/** The server the tests use; each run works only inside databases and roles it creates and drops itself. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

/** Unique per test run so parallel runs (two engineers, CI) never touch each other's databases. */
export const RUN_ID = `${process.pid}_${randomBytes(3).toString('hex')}`;

const createdDatabases = new Set<string>();
const createdRoles = new Set<string>();
const openPools = new Set<Pool>();

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A URL for `database` on the test server, optionally as another role. */
export function databaseUrl(database: string, credentials?: { user: string; password: string }): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  if (credentials) {
    url.username = encodeURIComponent(credentials.user);
    url.password = encodeURIComponent(credentials.password);
  }
  return url.toString();
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
}

/** Creates an empty database for this run; the root hook drops it at the end, pass or fail. */
export async function createDatabase(label: string, owner?: string): Promise<TestDatabase> {
  const name = `notes_test_${RUN_ID}_${label}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"${owner ? ` OWNER "${owner}"` : ''}`));
  createdDatabases.add(name);
  return { name, url: databaseUrl(name) };
}

export interface TestRole {
  readonly user: string;
  readonly password: string;
}

/** A login role with a distinctive random password, so a test can search logs for it. */
export async function createRole(label: string): Promise<TestRole> {
  const user = `notes_test_${RUN_ID}_${label}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  await admin((client) => client.query(`CREATE ROLE "${user}" LOGIN PASSWORD '${password}'`));
  createdRoles.add(user);
  return { user, password };
}

/** Makes `database` refuse every connection and cuts the ones it has: as good as the database going away. */
export async function takeDatabaseOffline(database: string): Promise<void> {
  await admin(async (client) => {
    await client.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  });
}

export async function bringDatabaseOnline(database: string): Promise<void> {
  await admin((client) => client.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`));
}

/** A pool the root hook ends if a test forgot to (or failed before it could). */
export function testPool(url: string, max = 5): Pool {
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 2000 });
  // Backends are terminated on purpose in some tests; an idle client losing its connection is expected then.
  pool.on('error', () => undefined);
  openPools.add(pool);
  return pool;
}

export async function endPool(pool: Pool): Promise<void> {
  if (!openPools.delete(pool)) return;
  await pool.end();
}

export async function dropEverything(): Promise<void> {
  // A pool with a client still checked out (a test that died mid-query) would wait forever; FORCE below cuts it anyway.
  const poolsEnded = Promise.allSettled([...openPools].map((pool) => endPool(pool)));
  await Promise.race([poolsEnded, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  await admin(async (client) => {
    for (const name of createdDatabases) {
      await client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      createdDatabases.delete(name);
    }
    for (const role of createdRoles) {
      await client.query(`DROP ROLE IF EXISTS "${role}"`);
      createdRoles.delete(role);
    }
  });
}
