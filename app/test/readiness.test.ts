import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp, Lifecycle } from '../src/app';
import { loadMigrations, runMigrations } from '../src/migrations';
import { bringDatabaseOnline, createDatabase, endPool, takeDatabaseOffline, testPool } from './support/db';

/**
 * The database "stops" by refusing all connections (ALTER DATABASE ... ALLOW_CONNECTIONS false) and
 * having its backends terminated: the app sees exactly what it sees when PostgreSQL goes away
 * (its pooled connections die, new ones are refused), and it comes back without restarting the server.
 */
const TOKEN = 'readiness-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('readiness', () => {
  const migrations = loadMigrations();

  it('answers 503 while the database is unreachable and 200 again once it returns', async () => {
    const db = await createDatabase('ready');
    const pool = testPool(db.url);
    let app: FastifyInstance | undefined;
    try {
      await runMigrations(pool, migrations);
      app = buildApp({ pool, migrations, readinessTimeoutMs: 2000, writeToken: TOKEN });
      assert.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
      const created = await app.inject({ method: 'POST', url: '/api/notes', payload: { title: 'before the outage' }, headers: AUTH });
      assert.equal(created.statusCode, 201);

      await takeDatabaseOffline(db.name);
      const down = await app.inject({ method: 'GET', url: '/ready' });
      assert.equal(down.statusCode, 503);
      assert.deepEqual(down.json(), { status: 'not_ready', database: 'unreachable' });
      // Liveness stays green: a database outage is no reason to restart the app.
      assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
      const write = await app.inject({ method: 'POST', url: '/api/notes', payload: { title: 'during the outage' }, headers: AUTH });
      assert.equal(write.statusCode, 503);
      assert.deepEqual(write.json(), { error: 'Service Unavailable', message: 'the database is unavailable; try again shortly' });

      await bringDatabaseOnline(db.name);
      const up = await app.inject({ method: 'GET', url: '/ready' });
      assert.equal(up.statusCode, 200, up.body);
      const { rows } = await pool.query('SELECT title FROM notes ORDER BY id');
      assert.deepEqual(rows.map((r) => r.title), ['before the outage']);
    } finally {
      await app?.close();
      await bringDatabaseOnline(db.name);
      await endPool(pool);
    }
  });

  it('answers 503 naming the pending migrations until they are applied', async () => {
    const db = await createDatabase('ready_pending');
    const pool = testPool(db.url);
    const app = buildApp({ pool, migrations });
    try {
      const pending = await app.inject({ method: 'GET', url: '/ready' });
      assert.equal(pending.statusCode, 503);
      assert.deepEqual(pending.json(), { status: 'not_ready', database: 'ok', migrations: `pending: ${migrations.map((m) => m.version).join(', ')}` });
      await runMigrations(pool, migrations.slice(0, 1));
      assert.match((await app.inject({ method: 'GET', url: '/ready' })).json().migrations, /^pending: 2/);
      await runMigrations(pool, migrations);
      assert.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
    } finally {
      await app.close();
      await endPool(pool);
    }
  });

  it('answers 503 as soon as shutdown begins, even with the database fine', async () => {
    const db = await createDatabase('ready_shutdown');
    const pool = testPool(db.url);
    const lifecycle = new Lifecycle();
    const app = buildApp({ pool, migrations, lifecycle });
    try {
      await runMigrations(pool, migrations);
      assert.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
      lifecycle.beginShutdown();
      const response = await app.inject({ method: 'GET', url: '/ready' });
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json(), { status: 'shutting_down' });
      assert.equal(response.headers.connection, 'close');
    } finally {
      await app.close();
      await endPool(pool);
    }
  });
});
