import type { PoolConfig } from 'pg';

/** Log levels pino understands; anything else is a typo we want to catch at start. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the database is. Kept as the pieces pg needs so the password never travels inside a printable string. */
export interface DatabaseConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string | undefined;
  readonly database: string;
  /** `sslmode` from DATABASE_URL, if any, passed through to pg. */
  readonly sslMode: string | undefined;
}

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  /** Environment name reported by `GET /` (e.g. local, staging, production). */
  readonly appEnv: string;
  /** Version reported by `GET /`; undefined means "use package.json". */
  readonly appVersion: string | undefined;
  readonly gitCommit: string;
  readonly bodyLimitBytes: number;
  /** Hard deadline for a graceful shutdown; after it the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** Time between SIGTERM and closing the listener, while /ready already answers 503. */
  readonly shutdownDelayMs: number;
  /** Proxy hops whose X-Forwarded-For entries are believed: 0 none, 1 the nginx in front (Compose), never "all". */
  readonly trustProxyHops: number;
  /** The bearer token writes need; undefined refuses every write (reads stay open). */
  readonly writeToken: string | undefined;
  readonly dbPoolMax: number;
  readonly dbConnectTimeoutMs: number;
  /** How long start-up waits for the database to accept connections before giving up. */
  readonly dbStartupTimeoutMs: number;
  readonly database: DatabaseConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`,
    );
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const ENV_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/**
 * Reads the whole configuration from `env` and reports every problem at once, so an operator
 * fixes a broken deployment in one round. Pure: no I/O, never echoes a secret value.
 */
export function parseConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const read = (key: string): string | undefined => {
    const value = env[key];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const raw = read(key);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${key} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };

  const port = integer('PORT', 3000, 1, 65535);
  const host = read('HOST') ?? '0.0.0.0';

  const rawLevel = read('LOG_LEVEL') ?? 'info';
  const logLevel = (LOG_LEVELS as readonly string[]).includes(rawLevel) ? (rawLevel as LogLevel) : 'info';
  if (logLevel !== rawLevel) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${rawLevel}")`);

  const appEnv = read('APP_ENV') ?? 'development';
  if (!ENV_NAME_PATTERN.test(appEnv)) {
    problems.push(`APP_ENV must be lower-case letters, digits and dashes, starting with a letter (got "${appEnv}")`);
  }
  const appVersion = read('APP_VERSION');
  if (appVersion !== undefined && !LABEL_PATTERN.test(appVersion)) {
    problems.push(`APP_VERSION must be 1-64 characters of letters, digits, ".", "_", "+" or "-" (got "${appVersion}")`);
  }
  const gitCommit = read('GIT_COMMIT') ?? 'unknown';
  if (!LABEL_PATTERN.test(gitCommit)) {
    problems.push(`GIT_COMMIT must be 1-64 characters of letters, digits, ".", "_", "+" or "-" (got "${gitCommit}")`);
  }

  const bodyLimitBytes = integer('BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024);
  const shutdownTimeoutMs = integer('SHUTDOWN_TIMEOUT_MS', 8000, 100, 60000);
  const shutdownDelayMs = integer('SHUTDOWN_DELAY_MS', 0, 0, 30000);
  if (shutdownDelayMs >= shutdownTimeoutMs) {
    problems.push(
      `SHUTDOWN_DELAY_MS (${shutdownDelayMs}) must be less than SHUTDOWN_TIMEOUT_MS (${shutdownTimeoutMs}), or requests in flight never get time to finish`,
    );
  }
  const trustProxyHops = proxyHops(read('TRUST_PROXY'), problems);
  const writeToken = read('API_WRITE_TOKEN');
  if (writeToken !== undefined && (writeToken.length < MIN_WRITE_TOKEN_LENGTH || /\s/.test(writeToken))) {
    // Its length only: the value is a secret.
    problems.push(
      `API_WRITE_TOKEN must be at least ${MIN_WRITE_TOKEN_LENGTH} characters without spaces (it has ${writeToken.length}); generate one: openssl rand -hex 32`,
    );
  }
  const dbPoolMax = integer('DB_POOL_MAX', 10, 1, 100);
  const dbConnectTimeoutMs = integer('DB_CONNECT_TIMEOUT_MS', 3000, 100, 60000);
  const dbStartupTimeoutMs = integer('DB_STARTUP_TIMEOUT_MS', 30000, 0, 600000);

  const database = parseDatabase(read, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    logLevel,
    appEnv,
    appVersion,
    gitCommit,
    bodyLimitBytes,
    shutdownTimeoutMs,
    shutdownDelayMs,
    trustProxyHops,
    writeToken,
    dbPoolMax,
    dbConnectTimeoutMs,
    dbStartupTimeoutMs,
    database: database as DatabaseConfig,
  };
}

export const MIN_WRITE_TOKEN_LENGTH = 16;
const MAX_PROXY_HOPS = 5;

/**
 * TRUST_PROXY counts hops, never "trust everything": with `true` Fastify would take the left-most X-Forwarded-For
 * entry, which the client writes itself. `true` and `1` mean one hop, the nginx in front.
 */
function proxyHops(raw: string | undefined, problems: string[]): number {
  if (raw === undefined || raw === 'false') return 0;
  if (raw === 'true') return 1;
  if (/^\d+$/.test(raw) && Number(raw) <= MAX_PROXY_HOPS) return Number(raw);
  problems.push(`TRUST_PROXY must be false, true (one proxy in front) or a number of proxies from 0 to ${MAX_PROXY_HOPS} (got "${raw}")`);
  return 0;
}

/** DATABASE_URL wins; otherwise PGHOST, PGUSER and PGDATABASE are required (PGPORT and PGPASSWORD optional). */
function parseDatabase(read: (key: string) => string | undefined, problems: string[]): DatabaseConfig | undefined {
  const url = read('DATABASE_URL');
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      // The value may hold a password, so say what is wrong without repeating it.
      problems.push('DATABASE_URL must be a URL like postgres://user:password@host:5432/dbname (it does not parse as a URL)');
      return undefined;
    }
    const missing: string[] = [];
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') missing.push('the scheme postgres://');
    if (parsed.hostname === '') missing.push('a host');
    if (parsed.username === '') missing.push('a user');
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (database === '') missing.push('a database name');
    const port = parsed.port === '' ? 5432 : Number(parsed.port);
    if (missing.length > 0) {
      problems.push(`DATABASE_URL must have ${missing.join(', ')} (postgres://user:password@host:5432/dbname)`);
      return undefined;
    }
    return {
      host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port,
      user: decodeURIComponent(parsed.username),
      password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
      database,
      sslMode: parsed.searchParams.get('sslmode') ?? undefined,
    };
  }

  const host = read('PGHOST');
  const user = read('PGUSER');
  const database = read('PGDATABASE');
  const missing = [
    host === undefined ? 'PGHOST' : undefined,
    user === undefined ? 'PGUSER' : undefined,
    database === undefined ? 'PGDATABASE' : undefined,
  ].filter((key): key is string => key !== undefined);
  if (missing.length > 0) {
    problems.push(`DATABASE_URL is not set, so PGHOST, PGUSER and PGDATABASE are required (missing: ${missing.join(', ')})`);
  }
  const rawPort = read('PGPORT');
  let port = 5432;
  if (rawPort !== undefined) {
    if (!/^\d+$/.test(rawPort) || Number(rawPort) < 1 || Number(rawPort) > 65535) {
      problems.push(`PGPORT must be an integer from 1 to 65535 (got "${rawPort}")`);
    } else {
      port = Number(rawPort);
    }
  }
  if (missing.length > 0) return undefined;
  return {
    host: host as string,
    port,
    user: user as string,
    password: read('PGPASSWORD'),
    database: database as string,
    sslMode: read('PGSSLMODE'),
  };
}

/** pg pool settings for a validated configuration. */
export function poolConfig(config: AppConfig): PoolConfig {
  const { database } = config;
  return {
    host: database.host,
    port: database.port,
    user: database.user,
    password: database.password,
    database: database.database,
    ssl: sslFor(database.sslMode),
    max: config.dbPoolMax,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    idleTimeoutMillis: 30000,
    application_name: 'notes-service',
  };
}

function sslFor(mode: string | undefined): PoolConfig['ssl'] {
  if (mode === undefined || mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  return true;
}

/** A printable description of the database target, with the password left out. */
export function describeDatabase(database: DatabaseConfig): string {
  const auth = database.password === undefined ? database.user : `${database.user}:***`;
  return `postgres://${auth}@${database.host}:${database.port}/${database.database}`;
}

/** Masks the password of a postgres URL (for anything that must print one). */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable DATABASE_URL]';
  }
}
