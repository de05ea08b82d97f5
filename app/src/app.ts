import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifySchemaValidationError,
} from 'fastify';
import type { Pool } from 'pg';
import { createMetrics } from './metrics';
import { pendingMigrations, type Migration } from './migrations';
import { registerNoteRoutes, VALIDATION_MESSAGES } from './notes';

/** Shared between the HTTP layer and the signal handler: readiness flips the moment shutdown begins. */
export class Lifecycle {
  shuttingDown = false;
  beginShutdown(): void {
    this.shuttingDown = true;
  }
}

export interface BuildAppOptions {
  /** The pool the app queries; the caller owns it and closes it after the app. */
  readonly pool: Pool;
  /** Migrations the schema must have for `/ready` to answer 200. */
  readonly migrations: readonly Migration[];
  /** A pino logger; omitted means no logging (tests). */
  readonly logger?: FastifyBaseLogger;
  readonly lifecycle?: Lifecycle;
  readonly appEnv?: string;
  /** Reported by `GET /`; defaults to the version in package.json. */
  readonly appVersion?: string;
  readonly gitCommit?: string;
  readonly bodyLimitBytes?: number;
  /** Proxy hops whose X-Forwarded-For entries are believed (default 0: the socket's address is the client). */
  readonly trustProxyHops?: number;
  /** The bearer token POST, PUT, PATCH and DELETE need; undefined (the default) refuses every write. */
  readonly writeToken?: string;
  /** How long `/ready` waits for the database before calling it unreachable. */
  readonly readinessTimeoutMs?: number;
}

interface PackageInfo {
  name: string;
  version: string;
}

function readPackageInfo(): PackageInfo {
  try {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as Partial<PackageInfo>;
    return { name: pkg.name ?? 'notes-service', version: pkg.version ?? '0.0.0' };
  } catch {
    return { name: 'notes-service', version: '0.0.0' };
  }
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Errors that mean "the database is not there right now" rather than "this request is wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  const err = error as { code?: string; message?: string };
  if (typeof err?.code === 'string') {
    // Connection refused/reset/unresolvable, admin shutdown, cannot connect now, database not accepting connections.
    if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', '57P01', '57P02', '57P03'].includes(err.code)) {
      return true;
    }
  }
  const message = err?.message ?? '';
  return /timeout exceeded when trying to connect|Connection terminated|is not currently accepting connections/.test(message);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Compares a presented bearer token with the configured one in constant time: both sides are hashed first, so
 * neither the content nor the length of the secret shows in how long a wrong guess takes.
 */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(match[1]), digest(token));
}

/** Turns ajv's errors into one sentence a client can act on. */
export function formatValidationErrors(errors: readonly FastifySchemaValidationError[], dataVar: string): string {
  const subject = dataVar === 'body' ? 'request body' : dataVar;
  const messages = errors.map((error) => {
    const custom = VALIDATION_MESSAGES[`${error.instancePath}:${error.keyword}`];
    if (custom !== undefined) return custom;
    const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
    switch (error.keyword) {
      case 'required':
        return `${String(error.params.missingProperty)} is required`;
      case 'additionalProperties':
        return `unknown field "${String(error.params.additionalProperty)}"`;
      case 'type':
        return field === '' ? `${subject} must be a JSON ${String(error.params.type)}` : `${field} must be a ${String(error.params.type)}`;
      case 'minLength':
        return `${field} must not be empty`;
      case 'maxLength':
        return `${field} must be at most ${String(error.params.limit)} characters`;
      default:
        return `${field === '' ? subject : field} ${error.message ?? 'is invalid'}`;
    }
  });
  return [...new Set(messages)].join('; ');
}

/** Builds the HTTP app around a pool; `main()` in server.ts wires config, signals and the listener. */
export function buildApp(options: BuildAppOptions): FastifyInstance {
  const lifecycle = options.lifecycle ?? new Lifecycle();
  const pkg = readPackageInfo();
  const appVersion = options.appVersion ?? pkg.version;
  const gitCommit = options.gitCommit ?? 'unknown';
  const appEnv = options.appEnv ?? 'development';
  const bodyLimit = options.bodyLimitBytes ?? 64 * 1024;
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2000;
  const { pool, migrations } = options;
  const trustHops = options.trustProxyHops ?? 0;

  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit,
    // Exactly `hops` peers, counted from the socket: with `true` Fastify would believe the left-most X-Forwarded-For
    // entry, which the client wrote, and a bare number makes this Fastify trust nothing. Only nginx reaches the app
    // (the edge network), so the peer is always that one hop.
    trustProxy: trustHops > 0 ? (_address: string, hop: number) => hop < trustHops : false,
    // In-flight requests finish on close; idle keep-alive sockets are closed so close() is not held up by them.
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    ajv: {
      // Wrong types are errors, not something to coerce; unknown fields are rejected, not silently dropped.
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true },
    },
    schemaErrorFormatter: (errors, dataVar) => new Error(formatValidationErrors(errors, dataVar)),
  });

  // A JSON API: a text/plain body is a client mistake (415), not a string to validate.
  app.removeContentTypeParser('text/plain');

  app.addSchema({
    $id: 'error',
    type: 'object',
    required: ['error', 'message'],
    properties: { error: { type: 'string' }, message: { type: 'string' } },
  });

  const metrics = createMetrics(pool);

  // Reads stay open; a write without the token is refused before its body is even read.
  const writeToken = options.writeToken;
  app.addHook('onRequest', async (request, reply) => {
    if (!WRITE_METHODS.has(request.method)) return;
    if (writeToken !== undefined && bearerTokenMatches(request.headers.authorization, writeToken)) return;
    reply.header('www-authenticate', 'Bearer realm="notes"');
    return reply.code(401).send({
      error: 'Unauthorized',
      message:
        writeToken === undefined
          ? 'writes are disabled: the service has no API_WRITE_TOKEN configured'
          : 'writes need the header Authorization: Bearer <token>, with the token the operator issued',
    });
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    // Tell keep-alive clients (nginx upstreams) to reconnect elsewhere once this replica is going away.
    if (lifecycle.shuttingDown) reply.header('connection', 'close');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({ error: 'Bad Request', message: error.message });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return reply.code(503).send({ error: 'Service Unavailable', message: 'the database is unavailable; try again shortly' });
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send({ error: 'Internal Server Error', message: 'the request could not be completed; see the service logs' });
    }
    const messages: Record<string, string> = {
      FST_ERR_CTP_INVALID_JSON_BODY: 'request body is not valid JSON',
      FST_ERR_CTP_EMPTY_JSON_BODY: 'request body is empty but Content-Type says JSON',
      FST_ERR_CTP_BODY_TOO_LARGE: `request body is larger than the limit of ${bodyLimit} bytes`,
      FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Content-Type must be application/json',
    };
    return reply.code(status).send({ error: STATUS_CODES[status] ?? 'Error', message: messages[error.code] ?? error.message });
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ error: 'Not Found', message: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });

  app.get('/', async () => ({ name: pkg.name, version: appVersion, commit: gitCommit, environment: appEnv }));

  // Liveness only: the process answers. The database is /ready's business, so a database outage does not
  // make the orchestrator restart healthy app containers.
  app.get('/health', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/ready', async (request, reply) => {
    if (lifecycle.shuttingDown) {
      return reply.code(503).send({ status: 'shutting_down' });
    }
    try {
      const pending = await withTimeout(pendingMigrations(pool, migrations), readinessTimeoutMs, 'database check');
      if (pending.length > 0) {
        return reply.code(503).send({ status: 'not_ready', database: 'ok', migrations: `pending: ${pending.join(', ')}` });
      }
      return { status: 'ready', database: 'ok', migrations: 'ok' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: database unreachable');
      return reply.code(503).send({ status: 'not_ready', database: 'unreachable' });
    }
  });

  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  registerNoteRoutes(app, pool);
  return app;
}
