import pino, { type Logger } from 'pino';
import { Pool } from 'pg';
import { buildApp, isDatabaseUnavailable, Lifecycle } from './app';
import { ConfigError, describeDatabase, parseConfig, poolConfig, type AppConfig } from './config';
import { loadMigrations, runMigrations } from './migrations';

/** Exit code for a configuration error (sysexits' EX_CONFIG), distinct from a crash. */
export const EXIT_CONFIG = 78;

/** Paths pino replaces with "[Redacted]" wherever they appear in a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'connectionString',
  '*.connectionString',
];

export function createLogger(config: Pick<AppConfig, 'logLevel' | 'appEnv'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'notes-service', env: config.appEnv },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Compose starts us alongside the database; give it time to come up instead of crash-looping. */
async function waitForDatabase(pool: Pool, timeoutMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pause = 250;
  for (;;) {
    try {
      await pool.query('SELECT 1');
      return;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + pause > deadline) throw error;
      logger.warn({ err: { message: (error as Error).message }, retryInMs: pause }, 'database not reachable yet');
      await sleep(pause);
      pause = Math.min(pause * 2, 2000);
    }
  }
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: AppConfig;
  try {
    config = parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ERROR: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }

  const logger = createLogger(config);
  const pool = new Pool(poolConfig(config));
  // Idle clients lose their connection when the database restarts; without a listener pg would crash the process.
  pool.on('error', (error) => logger.warn({ err: { message: error.message } }, 'idle database connection lost'));

  logger.info(
    { database: describeDatabase(config.database), port: config.port, version: config.appVersion, commit: config.gitCommit },
    'starting',
  );

  if (config.writeToken === undefined) logger.warn('API_WRITE_TOKEN is not set: every write (POST, PUT, PATCH, DELETE) is refused with 401');

  const migrations = loadMigrations();
  await waitForDatabase(pool, config.dbStartupTimeoutMs, logger);
  const applied = await runMigrations(pool, migrations, logger);
  logger.info({ applied: applied.length, total: migrations.length }, 'migrations up to date');

  const lifecycle = new Lifecycle();
  const app = buildApp({
    pool,
    migrations,
    logger,
    lifecycle,
    appEnv: config.appEnv,
    appVersion: config.appVersion,
    gitCommit: config.gitCommit,
    bodyLimitBytes: config.bodyLimitBytes,
    trustProxyHops: config.trustProxyHops,
    writeToken: config.writeToken,
    readinessTimeoutMs: Math.min(config.dbConnectTimeoutMs, 2000),
  });

  let shutdownStarted = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (shutdownStarted) return;
    shutdownStarted = true;
    lifecycle.beginShutdown();
    logger.info({ signal, delayMs: config.shutdownDelayMs, timeoutMs: config.shutdownTimeoutMs }, 'shutdown started');
    const hardStop = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting with requests still open');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    hardStop.unref();
    try {
      // Keep serving while /ready says 503, so a proxy that polls readiness stops routing here first.
      if (config.shutdownDelayMs > 0) await sleep(config.shutdownDelayMs);
      await app.close();
      await pool.end();
      logger.info('shutdown complete');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  // `on`, not `once`: a second signal must not fall back to node's default of dying mid-request.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    // pino may not exist yet (start-up failure), so write one JSON line by hand.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${JSON.stringify({ level: 60, time: new Date().toISOString(), msg: 'start-up failed', error: message })}\n`);
    process.exit(1);
  });
}
