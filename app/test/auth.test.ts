import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Pool } from 'pg';
import { bearerTokenMatches, buildApp } from '../src/app';
import { loadMigrations, runMigrations } from '../src/migrations';
import { createDatabase, endPool, testPool } from './support/db';

const TOKEN = 'auth-test-token-5f0c8a2e9b7d4c1a';
const UNAUTHORIZED_MESSAGE = 'writes need the header Authorization: Bearer <token>, with the token the operator issued';

describe('writes need the bearer token; reads stay open (issue 18)', () => {
  let pool: Pool;
  let app: FastifyInstance;
  let closed: FastifyInstance;
  let noteId: number;

  before(async () => {
    const db = await createDatabase('auth');
    pool = testPool(db.url);
    const migrations = loadMigrations();
    await runMigrations(pool, migrations);
    app = buildApp({ pool, migrations, writeToken: TOKEN });
    closed = buildApp({ pool, migrations });
    const created = await app.inject({ method: 'POST', url: '/api/notes', payload: { title: 'kept' }, headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(created.statusCode, 201, created.body);
    noteId = created.json<{ id: number }>().id;
  });

  after(async () => {
    await app?.close();
    await closed?.close();
    if (pool) await endPool(pool);
  });

  const snapshot = async () => JSON.stringify((await pool.query('SELECT * FROM notes ORDER BY id')).rows);

  it('answers 401 in the JSON error shape to every write without the token, and changes nothing', async () => {
    const before = await snapshot();
    const writes = [
      { method: 'POST' as const, url: '/api/notes', payload: { title: 'spam' } },
      { method: 'PUT' as const, url: `/api/notes/${noteId}`, payload: { title: 'defaced', body: '' } },
      { method: 'PATCH' as const, url: `/api/notes/${noteId}`, payload: { title: 'defaced' } },
      { method: 'DELETE' as const, url: `/api/notes/${noteId}` },
    ];
    for (const write of writes) {
      for (const authorization of [undefined, 'Bearer wrong-token-0000000000000', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, TOKEN]) {
        const response = await app.inject({ ...write, headers: authorization === undefined ? {} : { authorization } });
        assert.equal(response.statusCode, 401, `${write.method} with ${String(authorization)}: ${response.body}`);
        assert.deepEqual(response.json(), { error: 'Unauthorized', message: UNAUTHORIZED_MESSAGE });
        assert.match(String(response.headers['content-type']), /^application\/json/);
        assert.equal(response.headers['www-authenticate'], 'Bearer realm="notes"');
      }
    }
    assert.equal(await snapshot(), before, 'a refused write changed the table');
  });

  it('accepts writes with the token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const created = await app.inject({ method: 'POST', url: '/api/notes', payload: { title: 'allowed' }, headers: auth });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json<{ id: number }>().id;
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/notes/${id}`, headers: { authorization: `bearer ${TOKEN}` } })).statusCode, 204);
  });

  it('keeps reads open without a token', async () => {
    for (const url of ['/api/notes', `/api/notes/${noteId}`, '/', '/health', '/ready']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
    }
  });

  it('refuses every write when no token is configured (the safe default), saying why', async () => {
    const response = await closed.inject({ method: 'POST', url: '/api/notes', payload: { title: 'x' }, headers: { authorization: 'Bearer anything-at-all-000000' } });
    assert.equal(response.statusCode, 401);
    assert.deepEqual(response.json(), { error: 'Unauthorized', message: 'writes are disabled: the service has no API_WRITE_TOKEN configured' });
    assert.equal((await closed.inject({ method: 'GET', url: '/api/notes' })).statusCode, 200);
  });

  it('compares tokens by their SHA-256 digests, so a wrong length is just a wrong token', () => {
    assert.equal(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(bearerTokenMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN), false);
    assert.equal(bearerTokenMatches('Bearer ', TOKEN), false);
    assert.equal(bearerTokenMatches(undefined, TOKEN), false);
  });
});

describe('the client address behind one proxy (issue 18)', () => {
  let pool: Pool;

  before(async () => {
    const db = await createDatabase('proxy');
    pool = testPool(db.url);
  });
  after(async () => {
    if (pool) await endPool(pool);
  });

  /** The remoteAddress the app logs for one GET / that reached it through nginx at 10.9.0.2. */
  async function loggedClient(trustProxyHops: number | undefined, forwardedFor: string): Promise<string> {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const app = buildApp({ pool, migrations: [], logger: pino({ level: 'info' }, sink), trustProxyHops });
    try {
      const response = await app.inject({ method: 'GET', url: '/', remoteAddress: '10.9.0.2', headers: { 'x-forwarded-for': forwardedFor } });
      assert.equal(response.statusCode, 200);
    } finally {
      await app.close();
    }
    const incoming = lines.map((line) => JSON.parse(line) as { msg: string; req?: { remoteAddress?: string } }).find((entry) => entry.msg === 'incoming request');
    assert.ok(incoming?.req, `no "incoming request" log line in:\n${lines.join('\n')}`);
    return String(incoming.req.remoteAddress);
  }

  it('takes the address nginx appended, not one the client wrote into X-Forwarded-For', async () => {
    // nginx appends the address it saw ($proxy_add_x_forwarded_for) to whatever the client sent.
    assert.equal(await loggedClient(1, '6.6.6.6, 203.0.113.9'), '203.0.113.9');
    assert.equal(await loggedClient(1, '203.0.113.9'), '203.0.113.9');
  });

  it('believes no header at all by default', async () => {
    assert.equal(await loggedClient(undefined, '6.6.6.6'), '10.9.0.2');
  });
});
