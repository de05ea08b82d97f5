import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Pool } from 'pg';

export const TITLE_MAX = 200;
export const BODY_MAX = 10000;
export const LIST_LIMIT_MAX = 100;
/** Ids are PostgreSQL `integer`; a larger number cannot exist, so it is answered 404 without a query. */
const ID_MAX = 2147483647;

interface NoteRow {
  id: number;
  title: string;
  body: string;
  created_at: Date;
  updated_at: Date;
}

interface IdParams {
  id: string;
}
interface NoteInput {
  title: string;
  body?: string;
}
interface ListQuery {
  limit?: string;
  offset?: string;
}

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]*$', maxLength: 20 } },
} as const;

const title = { type: 'string', minLength: 1, maxLength: TITLE_MAX, pattern: '\\S' } as const;
const body = { type: 'string', maxLength: BODY_MAX } as const;

const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['title'],
  properties: { title, body },
} as const;

/** PUT replaces the note, so both fields are required. */
const replaceBody = { ...createBody, required: ['title', 'body'] } as const;

const listQuery = {
  type: 'object',
  properties: {
    limit: { type: 'string', pattern: '^(100|[1-9][0-9]?)$' },
    offset: { type: 'string', pattern: '^(0|[1-9][0-9]{0,8})$' },
  },
} as const;

const noteSchema = {
  type: 'object',
  required: ['id', 'title', 'body', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    title: { type: 'string' },
    body: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

/**
 * Friendlier wording for the schema rules whose default ajv message only quotes a regex.
 * Keyed by `<instancePath>:<keyword>`.
 */
export const VALIDATION_MESSAGES: Readonly<Record<string, string>> = {
  '/id:pattern': 'id must be a positive integer',
  '/id:maxLength': 'id must be a positive integer of at most 20 digits',
  '/title:pattern': 'title must not be blank',
  '/limit:pattern': `limit must be an integer from 1 to ${LIST_LIMIT_MAX}`,
  '/offset:pattern': 'offset must be a non-negative integer',
};

const COLUMNS = 'id, title, body, created_at, updated_at';

function toJson(row: NoteRow) {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({ error: 'Not Found', message: `note ${id} does not exist` });
}

export function registerNoteRoutes(app: FastifyInstance, pool: Pool): void {
  const errorResponse = { $ref: 'error#' };

  app.get<{ Querystring: ListQuery }>(
    '/api/notes',
    {
      schema: {
        querystring: listQuery,
        response: {
          200: {
            type: 'object',
            properties: {
              notes: { type: 'array', items: noteSchema },
              limit: { type: 'integer' },
              offset: { type: 'integer' },
            },
          },
        },
      },
    },
    async (request) => {
      const limit = Number(request.query.limit ?? 50);
      const offset = Number(request.query.offset ?? 0);
      const { rows } = await pool.query<NoteRow>(
        `SELECT ${COLUMNS} FROM notes ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`,
        [limit, offset],
      );
      return { notes: rows.map(toJson), limit, offset };
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/notes/:id',
    { schema: { params: idParams, response: { 200: noteSchema, 404: errorResponse } } },
    async (request, reply) => {
      const id = Number(request.params.id);
      if (id > ID_MAX) return notFound(reply, request.params.id);
      const { rows } = await pool.query<NoteRow>(`SELECT ${COLUMNS} FROM notes WHERE id = $1`, [id]);
      if (rows.length === 0) return notFound(reply, request.params.id);
      return toJson(rows[0]);
    },
  );

  app.post<{ Body: NoteInput }>(
    '/api/notes',
    { schema: { body: createBody, response: { 201: noteSchema } } },
    async (request, reply) => {
      const { rows } = await pool.query<NoteRow>(
        `INSERT INTO notes (title, body) VALUES ($1, $2) RETURNING ${COLUMNS}`,
        [request.body.title, request.body.body ?? ''],
      );
      return reply.code(201).header('location', `/api/notes/${rows[0].id}`).send(toJson(rows[0]));
    },
  );

  app.put<{ Params: IdParams; Body: NoteInput }>(
    '/api/notes/:id',
    { schema: { params: idParams, body: replaceBody, response: { 200: noteSchema, 404: errorResponse } } },
    async (request, reply) => {
      const id = Number(request.params.id);
      if (id > ID_MAX) return notFound(reply, request.params.id);
      const { rows } = await pool.query<NoteRow>(
        `UPDATE notes SET title = $2, body = $3, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, request.body.title, request.body.body ?? ''],
      );
      if (rows.length === 0) return notFound(reply, request.params.id);
      return toJson(rows[0]);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/api/notes/:id',
    { schema: { params: idParams, response: { 404: errorResponse } } },
    async (request, reply) => {
      const id = Number(request.params.id);
      if (id > ID_MAX) return notFound(reply, request.params.id);
      const { rowCount } = await pool.query('DELETE FROM notes WHERE id = $1', [id]);
      if (rowCount === 0) return notFound(reply, request.params.id);
      return reply.code(204).send();
    },
  );
}
