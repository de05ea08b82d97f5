import assert from 'node:assert/strict';
import { Client } from 'pg';
import { createDatabase, createRole, databaseUrl, type TestDatabase, type TestRole } from './support/db';
import { ensureBuilt, freePort, HEALTHCHECK_JS, request, SERVER_JS, spawnNode, startServer, type RunningProcess } from './support/process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * These tests run the compiled server (dist/server.js, what the image runs) as a real process.
 * It connects as its own role with a random password, so its logs can be searched for that password.
 *
 * A slow request without any test-only code in the app: the test takes a row lock on a note
 * (SELECT ... FOR UPDATE in an open transaction), then sends PUT for that note. The app's UPDATE waits on
 * the lock inside PostgreSQL, so the request is genuinely in flight, for as long as the test chooses, and
 * pg_stat_activity shows exactly when it is waiting. Committing the test's transaction lets it finish.
 */
describe('the server process', function () {
  this.timeout(30000);
  let role: TestRole;
  let db: TestDatabase;
  let url: string;

  before(async function () {
    this.timeout(60000);
    ensureBuilt();
    role = await createRole('srv');
    db = await createDatabase('server', role.user);
    url = databaseUrl(db.name, role);
  });

  /** Holds a row lock on note `id` until `release` is called. */
  async function lockNote(id: number): Promise<{ release(): Promise<void> }> {
    const client = new Client({ connectionString: databaseUrl(db.name) });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT id FROM notes WHERE id = $1 FOR UPDATE', [id]);
    return {
      async release() {
        await client.query('COMMIT');
        await client.end();
      },
    };
  }

  async function appWaitingOnLock(): Promise<boolean> {
    const client = new Client({ connectionString: databaseUrl(db.name) });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'notes-service' AND wait_event_type = 'Lock'",
        [db.name],
      );
      return rows.length > 0;
    } finally {
      await client.end();
    }
  }

  async function createNote(server: RunningProcess, title: string): Promise<number> {
    const response = await request(server.port, 'POST', '/api/notes', { body: { title, body: '' } });
    assert.equal(response.status, 201, response.text);
    return response.json<{ id: number }>().id;
  }

  it('starts from the environment alone, migrates, reports version, commit and environment, and applies BODY_LIMIT_BYTES', async () => {
    const server = await startServer({
      DATABASE_URL: url,
      APP_ENV: 'staging',
      APP_VERSION: '2.0.0-rc.1',
      GIT_COMMIT: 'deadbeef',
      BODY_LIMIT_BYTES: '2048',
    });
    try {
      const info = await request(server.port, 'GET', '/');
      assert.deepEqual(info.json(), { name: 'notes-service', version: '2.0.0-rc.1', commit: 'deadbeef', environment: 'staging' });
      const oversized = await request(server.port, 'POST', '/api/notes', { body: { title: 't', body: 'x'.repeat(2048) } });
      assert.equal(oversized.status, 413);
      assert.match(oversized.json<{ message: string }>().message, /limit of 2048 bytes/);
      assert.equal((await request(server.port, 'GET', '/ready')).status, 200);
      const check = new Client({ connectionString: databaseUrl(db.name) });
      await check.connect();
      const { rows } = await check.query('SELECT version FROM schema_migrations ORDER BY version');
      await check.end();
      assert.deepEqual(rows.map((r) => r.version), [1, 2]);
    } finally {
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    }
  });

  it('finishes a request in flight on SIGTERM, answers /ready 503 meanwhile, refuses new connections, then exits 0', async () => {
    const server = await startServer({ DATABASE_URL: url, SHUTDOWN_DELAY_MS: '1500', SHUTDOWN_TIMEOUT_MS: '9000' });
    const id = await createNote(server, 'before shutdown');
    const lock = await lockNote(id);
    let exitCode: number | string | undefined;
    void server.exited.then((code) => (exitCode = code));
    try {
      const inFlight = request(server.port, 'PUT', `/api/notes/${id}`, { body: { title: 'written during shutdown', body: 'ok' } });
      await waitFor('the PUT to wait on the row lock', appWaitingOnLock);

      server.child.kill('SIGTERM');
      // During SHUTDOWN_DELAY_MS the listener is still open, but readiness already says "send nothing new".
      await waitFor('readiness to report shutting_down', async () => {
        const ready = await request(server.port, 'GET', '/ready');
        // A 200 here only means the signal has not been handled yet; keep asking.
        return ready.status === 503 && ready.json().status === 'shutting_down';
      });
      await waitFor('the listener to close', () =>
        request(server.port, 'GET', '/health').then(
          () => false,
          (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
        ),
      );
      assert.equal(exitCode, undefined, 'the process exited with a request still in flight');

      await lock.release();
      const response = await inFlight;
      assert.equal(response.status, 200, response.text);
      assert.equal(response.json().title, 'written during shutdown');
      assert.equal(await server.exited, 0, server.stdout() + server.stderr());
      assert.match(server.stdout(), /"msg":"shutdown complete"/);

      const check = new Client({ connectionString: databaseUrl(db.name) });
      await check.connect();
      const { rows } = await check.query('SELECT title FROM notes WHERE id = $1', [id]);
      await check.end();
      assert.deepEqual(rows, [{ title: 'written during shutdown' }]);
    } finally {
      await lock.release().catch(() => undefined);
    }
  });

  it('exits non-zero at SHUTDOWN_TIMEOUT_MS when a request never finishes', async () => {
    const server = await startServer({ DATABASE_URL: url, SHUTDOWN_TIMEOUT_MS: '500' });
    const id = await createNote(server, 'stuck');
    const lock = await lockNote(id);
    try {
      const stuck = request(server.port, 'PUT', `/api/notes/${id}`, { body: { title: 'never', body: '' } }).catch(() => 'aborted');
      await waitFor('the PUT to wait on the row lock', appWaitingOnLock);
      server.child.kill('SIGTERM');
      // Without the hard timeout the process would wait for the lock forever (and this test would time out).
      assert.equal(await server.exited, 1);
      assert.match(server.stdout(), /shutdown timed out/);
      assert.equal(await stuck, 'aborted');
    } finally {
      await lock.release();
    }
  });

  it('never writes the database password or an Authorization header to its logs', async () => {
    const token = 'Bearer tok-7f3c9e1d2b';
    const server = await startServer({ DATABASE_URL: url, LOG_LEVEL: 'trace' });
    try {
      await request(server.port, 'GET', '/api/notes', { headers: { authorization: token, cookie: 'session=abc123def' } });
      await request(server.port, 'POST', '/api/notes', { body: { title: 7 }, headers: { authorization: token } });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const output = server.stdout() + server.stderr();
    assert.match(output, /"msg":"starting"/, 'the server should have logged its start');
    assert.match(output, new RegExp(`postgres://${role.user}:\\*\\*\\*@`), 'the database target should be logged, masked');
    assert.ok(!output.includes(role.password), 'the database password appears in the logs');
    assert.ok(!output.includes('tok-7f3c9e1d2b'), 'the Authorization header appears in the logs');
    assert.ok(!output.includes('abc123def'), 'the Cookie header appears in the logs');
    for (const line of server.stdout().trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), `not a JSON log line: ${line}`);
  });

  it('fails start-up without leaking the password when the database cannot be reached', async () => {
    const port = await freePort();
    const dead = new URL(url);
    dead.port = String(port);
    const server = spawnNode(SERVER_JS, {
      DATABASE_URL: dead.toString(),
      PORT: String(await freePort()),
      DB_STARTUP_TIMEOUT_MS: '0',
    });
    assert.equal(await server.exited, 1);
    assert.match(server.stderr(), /start-up failed.*ECONNREFUSED/);
    assert.ok(!(server.stdout() + server.stderr()).includes(role.password));
  });

  it('dist/healthcheck.js exits 0 while /health answers and 1 when nothing listens', async () => {
    const server = await startServer({ DATABASE_URL: url });
    try {
      const healthy = spawnNode(HEALTHCHECK_JS, { PORT: String(server.port) });
      assert.equal(await healthy.exited, 0, healthy.stderr());
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const down = spawnNode(HEALTHCHECK_JS, { PORT: String(server.port) });
    assert.equal(await down.exited, 1);
    assert.match(down.stderr(), /did not answer 200/);
  });
});
