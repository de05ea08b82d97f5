import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Pool } from 'pg';
import { buildApp } from '../src/app';
import { loadMigrations, runMigrations } from '../src/migrations';
import { createDatabase, endPool, testPool } from './support/db';

interface Note {
  id: number;
  title: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

describe('notes API against PostgreSQL', () => {
  let pool: Pool;
  let app: FastifyInstance;
  const BODY_LIMIT = 4096;
  const WRITE_TOKEN = 'notes-test-token-0123456789abcdef';
  /** Every request of these tests carries the write token (test/auth.test.ts covers requests without it). */
  const send = (options: InjectOptions) =>
    app.inject({ ...options, headers: { authorization: `Bearer ${WRITE_TOKEN}`, ...(options.headers ?? {}) } });

  before(async () => {
    const db = await createDatabase('notes');
    pool = testPool(db.url);
    const migrations = loadMigrations();
    await runMigrations(pool, migrations);
    app = buildApp({ pool, migrations, bodyLimitBytes: BODY_LIMIT, appEnv: 'test', appVersion: '1.2.3', gitCommit: 'abc1234', writeToken: WRITE_TOKEN });
    await app.ready();
  });

  after(async () => {
    await app?.close();
    if (pool) await endPool(pool);
  });

  /** Every row as stored, to prove a rejected request changed nothing. */
  async function tableSnapshot(): Promise<string> {
    const { rows } = await pool.query('SELECT id, title, body, created_at, updated_at FROM notes ORDER BY id');
    return JSON.stringify(rows);
  }

  async function createNote(title: string, body?: string): Promise<Note> {
    const response = await send({ method: 'POST', url: '/api/notes', payload: body === undefined ? { title } : { title, body } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<Note>();
  }

  describe('CRUD', () => {
    it('creates a note, stores it, and answers 201 with its Location', async () => {
      const response = await send({ method: 'POST', url: '/api/notes', payload: { title: 'groceries', body: 'milk, eggs' } });
      assert.equal(response.statusCode, 201);
      const note = response.json<Note>();
      assert.equal(response.headers.location, `/api/notes/${note.id}`);
      assert.equal(note.title, 'groceries');
      assert.equal(note.body, 'milk, eggs');
      assert.ok(!Number.isNaN(Date.parse(note.createdAt)));
      const { rows } = await pool.query('SELECT title, body FROM notes WHERE id = $1', [note.id]);
      assert.deepEqual(rows, [{ title: 'groceries', body: 'milk, eggs' }]);
    });

    it('defaults body to an empty string when only a title is given', async () => {
      const note = await createNote('title only');
      assert.equal(note.body, '');
    });

    it('gets one note by id', async () => {
      const created = await createNote('fetch me', 'please');
      const response = await send({ method: 'GET', url: `/api/notes/${created.id}` });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), created);
    });

    it('lists notes newest first, with limit and offset', async () => {
      const first = await createNote('list one');
      const second = await createNote('list two');
      const response = await send({ method: 'GET', url: '/api/notes?limit=2' });
      assert.equal(response.statusCode, 200);
      const page = response.json<{ notes: Note[]; limit: number; offset: number }>();
      assert.equal(page.limit, 2);
      assert.equal(page.offset, 0);
      assert.deepEqual(page.notes.map((n) => n.id), [second.id, first.id]);
      const next = (await send({ method: 'GET', url: '/api/notes?limit=1&offset=1' })).json<{ notes: Note[] }>();
      assert.deepEqual(next.notes.map((n) => n.id), [first.id]);
    });

    it('replaces a note with PUT and moves updatedAt forward', async () => {
      const created = await createNote('draft', 'v1');
      const response = await send({ method: 'PUT', url: `/api/notes/${created.id}`, payload: { title: 'final', body: 'v2' } });
      assert.equal(response.statusCode, 200);
      const updated = response.json<Note>();
      assert.equal(updated.title, 'final');
      assert.equal(updated.body, 'v2');
      assert.equal(updated.createdAt, created.createdAt);
      assert.ok(Date.parse(updated.updatedAt) >= Date.parse(created.updatedAt));
      const stored = await send({ method: 'GET', url: `/api/notes/${created.id}` });
      assert.deepEqual(stored.json(), updated);
    });

    it('deletes a note: 204, then 404 on the next read and the next delete', async () => {
      const created = await createNote('to delete');
      const response = await send({ method: 'DELETE', url: `/api/notes/${created.id}` });
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');
      assert.equal((await send({ method: 'GET', url: `/api/notes/${created.id}` })).statusCode, 404);
      assert.equal((await send({ method: 'DELETE', url: `/api/notes/${created.id}` })).statusCode, 404);
      const { rowCount } = await pool.query('SELECT 1 FROM notes WHERE id = $1', [created.id]);
      assert.equal(rowCount, 0);
    });
  });

  describe('bad input gets a clear 4xx JSON error and changes nothing', () => {
    let existing: Note;
    before(async () => {
      existing = await createNote('keep me', 'unchanged');
    });

    const json = { 'content-type': 'application/json' };
    const post = (payload: unknown): InjectOptions => ({ method: 'POST', url: '/api/notes', payload: payload as object });
    const postRaw = (raw: string): InjectOptions => ({ method: 'POST', url: '/api/notes', headers: json, payload: raw });
    const put = (payload: unknown, id: number | string = existing.id): InjectOptions => ({
      method: 'PUT',
      url: `/api/notes/${id}`,
      payload: payload as object,
    });
    const putRaw = (raw: string): InjectOptions => ({ method: 'PUT', url: `/api/notes/${existing.id}`, headers: json, payload: raw });
    const get = (url: string): InjectOptions => ({ method: 'GET', url });
    const del = (url: string): InjectOptions => ({ method: 'DELETE', url });
    const big = 'x'.repeat(BODY_LIMIT);

    // [case, expected status, expected message, request]
    const cases: Array<[string, number, RegExp, () => InjectOptions]> = [
      ['malformed JSON on create', 400, /not valid JSON/, () => postRaw('{"title": "unterminated')],
      ['malformed JSON on replace', 400, /not valid JSON/, () => putRaw('{title: nope}')],
      ['empty body with a JSON content type', 400, /empty/, () => postRaw('')],
      ['a text/plain body', 415, /Content-Type must be application\/json/, () => ({ ...postRaw('hello'), headers: { 'content-type': 'text/plain' } })],
      ['no body at all', 400, /request body must be a JSON object/, () => ({ method: 'POST', url: '/api/notes' })],
      ['a JSON array instead of an object', 400, /request body must be a JSON object/, () => postRaw('[]')],
      ['JSON null', 400, /request body must be a JSON object/, () => postRaw('null')],
      ['missing title', 400, /title is required/, () => post({ body: 'no title' })],
      ['title of the wrong type', 400, /title must be a string/, () => post({ title: 42 })],
      ['body of the wrong type', 400, /body must be a string/, () => post({ title: 'ok', body: ['a'] })],
      ['blank title', 400, /title must not be blank/, () => post({ title: '   ' })],
      ['empty title', 400, /title must not be empty/, () => post({ title: '' })],
      ['title over 200 characters', 400, /title must be at most 200 characters/, () => post({ title: 'x'.repeat(201) })],
      ['an unknown field', 400, /unknown field "tags"/, () => post({ title: 'ok', tags: ['x'] })],
      ['two problems, both named', 400, /(?=.*unknown field "extra")(?=.*title must be a string)/, () => post({ title: 1, extra: true })],
      ['PUT without body (replace needs both fields)', 400, /body is required/, () => put({ title: 'changed' })],
      ['PUT with a wrong type', 400, /title must be a string/, () => put({ title: false, body: 'b' })],
      ['oversized body on create', 413, /larger than the limit of 4096 bytes/, () => post({ title: 'big', body: big })],
      ['oversized body on replace', 413, /larger than the limit of 4096 bytes/, () => put({ title: 'big', body: big })],
      ['non-numeric id on get', 400, /id must be a positive integer/, () => get('/api/notes/abc')],
      ['zero id', 400, /id must be a positive integer/, () => get('/api/notes/0')],
      ['negative id on delete', 400, /id must be a positive integer/, () => del('/api/notes/-1')],
      ['fractional id on replace', 400, /id must be a positive integer/, () => put({ title: 't', body: 'b' }, '1.5')],
      ['unknown id on get', 404, /note 999999 does not exist/, () => get('/api/notes/999999')],
      ['unknown id on replace', 404, /note 999999 does not exist/, () => put({ title: 't', body: 'b' }, 999999)],
      ['unknown id on delete', 404, /note 999999 does not exist/, () => del('/api/notes/999999')],
      ['id beyond the integer column', 404, /note 99999999999 does not exist/, () => del('/api/notes/99999999999')],
      ['list limit out of range', 400, /limit must be an integer from 1 to 100/, () => get('/api/notes?limit=1000')],
      ['unknown route', 404, /no route for GET \/api\/nope/, () => get('/api/nope')],
    ];

    for (const [name, status, message, buildRequest] of cases) {
      it(`${name}: ${status}`, async () => {
        const before = await tableSnapshot();
        const response = await send(buildRequest());
        assert.equal(response.statusCode, status, response.body);
        assert.match(String(response.headers['content-type']), /application\/json/);
        const error = response.json<{ error: string; message: string }>();
        assert.deepEqual(Object.keys(error).sort(), ['error', 'message']);
        assert.match(error.message, message);
        assert.equal(await tableSnapshot(), before, 'the notes table changed');
      });
    }

    it('leaves the existing note exactly as it was after all of the above', async () => {
      const response = await send({ method: 'GET', url: `/api/notes/${existing.id}` });
      assert.deepEqual(response.json(), existing);
    });
  });

  describe('service endpoints', () => {
    it('GET / names the service, version, commit and environment', async () => {
      const response = await send({ method: 'GET', url: '/' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { name: 'notes-service', version: '1.2.3', commit: 'abc1234', environment: 'test' });
    });

    it('GET /health answers 200', async () => {
      const response = await send({ method: 'GET', url: '/health' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { status: 'ok' });
    });

    it('GET /ready answers 200 when the database is reachable and migrated', async () => {
      const response = await send({ method: 'GET', url: '/ready' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().status, 'ready');
    });

    it('echoes a sane X-Request-Id and replaces a hostile one', async () => {
      const kept = await send({ method: 'GET', url: '/health', headers: { 'x-request-id': 'trace-123' } });
      assert.equal(kept.headers['x-request-id'], 'trace-123');
      const replaced = await send({ method: 'GET', url: '/health', headers: { 'x-request-id': 'bad id\twith spaces' } });
      assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    });

    it('GET /metrics counts requests by route pattern and status', async () => {
      const countOf = (text: string, labels: string): number => {
        const line = text.split('\n').find((l) => l.startsWith(`http_requests_total{${labels}}`));
        return line === undefined ? 0 : Number(line.split(' ').pop());
      };
      const before = (await send({ method: 'GET', url: '/metrics' })).body;
      const missing = 'method="GET",route="/api/notes/:id",status_code="404"';
      await send({ method: 'GET', url: '/api/notes/424242' });
      await send({ method: 'GET', url: '/api/notes/424243' });
      const response = await send({ method: 'GET', url: '/metrics' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/plain/);
      assert.equal(countOf(response.body, missing) - countOf(before, missing), 2);
      assert.match(response.body, /# TYPE http_request_duration_seconds histogram/);
      assert.match(response.body, /db_pool_connections\{state="total"\} \d+/);
      assert.match(response.body, /process_cpu_seconds_total/);
    });
  });
});
