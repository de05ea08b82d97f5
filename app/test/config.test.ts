import assert from 'node:assert/strict';
import { ConfigError, describeDatabase, parseConfig, poolConfig, redactDatabaseUrl } from '../src/config';
import { EXIT_CONFIG } from '../src/server';
import { ensureBuilt, SERVER_JS, spawnNode } from './support/process';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    parseConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected parseConfig to reject the configuration');
}

describe('configuration', () => {
  const SECRET = 's3cr3t-Pa55word';
  const url = `postgres://notes:${SECRET}@db.internal:6543/notes?sslmode=require`;

  it('applies documented defaults when only the database is given', () => {
    const config = parseConfig({ DATABASE_URL: 'postgres://notes@db/notes' });
    assert.equal(config.port, 3000);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.appEnv, 'development');
    assert.equal(config.appVersion, undefined);
    assert.equal(config.gitCommit, 'unknown');
    assert.equal(config.bodyLimitBytes, 65536);
    assert.equal(config.shutdownTimeoutMs, 8000);
    assert.equal(config.shutdownDelayMs, 0);
    assert.equal(config.database.port, 5432);
  });

  it('reads DATABASE_URL into its parts, password included, and passes sslmode on', () => {
    const config = parseConfig({ DATABASE_URL: url, PORT: '8080', LOG_LEVEL: 'debug', APP_ENV: 'staging' });
    assert.deepEqual(config.database, {
      host: 'db.internal',
      port: 6543,
      user: 'notes',
      password: SECRET,
      database: 'notes',
      sslMode: 'require',
    });
    assert.equal(config.port, 8080);
    assert.deepEqual(poolConfig(config).ssl, { rejectUnauthorized: false });
  });

  it('falls back to PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE', () => {
    const config = parseConfig({ PGHOST: 'db', PGPORT: '5433', PGUSER: 'app', PGPASSWORD: SECRET, PGDATABASE: 'notes' });
    assert.deepEqual(config.database, { host: 'db', port: 5433, user: 'app', password: SECRET, database: 'notes', sslMode: undefined });
  });

  it('names every problem at once, each with its key and what is allowed', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      APP_ENV: 'Prod!',
      BODY_LIMIT_BYTES: '-5',
      SHUTDOWN_TIMEOUT_MS: '1000',
      SHUTDOWN_DELAY_MS: '2000',
      TRUST_PROXY: 'maybe',
      PGPORT: '99999',
    });
    const expected = [
      /^PORT must be an integer from 1 to 65535 \(got "eighty"\)$/,
      /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)$/,
      /^APP_ENV must be lower-case/,
      /^BODY_LIMIT_BYTES must be an integer from 1024 to 10485760 \(got "-5"\)$/,
      /^SHUTDOWN_DELAY_MS \(2000\) must be less than SHUTDOWN_TIMEOUT_MS \(1000\)/,
      /^TRUST_PROXY must be false, true \(one proxy in front\) or a number of proxies from 0 to 5 \(got "maybe"\)$/,
      /^DATABASE_URL is not set, so PGHOST, PGUSER and PGDATABASE are required \(missing: PGHOST, PGUSER, PGDATABASE\)$/,
      /^PGPORT must be an integer from 1 to 65535 \(got "99999"\)$/,
    ];
    assert.equal(problems.length, expected.length, problems.join('\n'));
    for (const pattern of expected) assert.ok(problems.some((p) => pattern.test(p)), `no problem matches ${pattern}:\n${problems.join('\n')}`);
  });

  it('trusts proxies by hop count, never all of them: true means the one nginx in front', () => {
    const hops = (value: string | undefined) => parseConfig({ DATABASE_URL: 'postgres://notes@db/notes', TRUST_PROXY: value }).trustProxyHops;
    assert.equal(hops(undefined), 0);
    assert.equal(hops('false'), 0);
    assert.equal(hops('0'), 0);
    assert.equal(hops('true'), 1);
    assert.equal(hops('1'), 1);
    assert.equal(hops('2'), 2);
    assert.match(problemsOf({ DATABASE_URL: 'postgres://notes@db/notes', TRUST_PROXY: '99' })[0], /^TRUST_PROXY must be/);
  });

  it('reads API_WRITE_TOKEN, refuses a short one without printing it, and leaves writes closed without one', () => {
    const base = { DATABASE_URL: 'postgres://notes@db/notes' };
    assert.equal(parseConfig(base).writeToken, undefined);
    assert.equal(parseConfig({ ...base, API_WRITE_TOKEN: 'a'.repeat(32) }).writeToken, 'a'.repeat(32));
    const problems = problemsOf({ ...base, API_WRITE_TOKEN: 'short-secret' });
    assert.deepEqual(problems, ['API_WRITE_TOKEN must be at least 16 characters without spaces (it has 12); generate one: openssl rand -hex 32']);
    assert.ok(!problems.join().includes('short-secret'));
  });

  it('says what is wrong with a DATABASE_URL without repeating its password', () => {
    const wrongScheme = problemsOf({ DATABASE_URL: `mysql://root:${SECRET}@db/` });
    assert.deepEqual(wrongScheme, ['DATABASE_URL must have the scheme postgres://, a database name (postgres://user:password@host:5432/dbname)']);
    const unparseable = problemsOf({ DATABASE_URL: `not a url ${SECRET}` });
    assert.match(unparseable[0], /^DATABASE_URL must be a URL like/);
    assert.ok(!unparseable.join().includes(SECRET));
  });

  it('prints database targets with the password masked', () => {
    const config = parseConfig({ DATABASE_URL: url });
    assert.equal(describeDatabase(config.database), 'postgres://notes:***@db.internal:6543/notes');
    assert.equal(redactDatabaseUrl(url), 'postgres://notes:***@db.internal:6543/notes?sslmode=require');
    assert.ok(!redactDatabaseUrl(url).includes(SECRET));
  });

  describe('the server process with a bad environment', () => {
    before(function () {
      this.timeout(60000);
      ensureBuilt();
    });

    it(`exits ${EXIT_CONFIG} with one message naming every problem, and no secret`, async () => {
      const server = spawnNode(SERVER_JS, { PORT: '0x50', LOG_LEVEL: 'verbose', PGPASSWORD: SECRET, PGUSER: 'notes' });
      const code = await server.exited;
      assert.equal(code, EXIT_CONFIG, server.stderr());
      const lines = server.stderr().trim().split('\n');
      assert.equal(lines.length, 1, `expected one message, got:\n${server.stderr()}`);
      assert.match(lines[0], /^ERROR: invalid configuration \(3 problems\): /);
      assert.match(lines[0], /PORT must be an integer/);
      assert.match(lines[0], /LOG_LEVEL must be one of/);
      assert.match(lines[0], /missing: PGHOST, PGDATABASE/);
      assert.equal(server.stdout(), '', 'nothing should start, so nothing should be logged');
      assert.ok(!server.stderr().includes(SECRET));
    });
  });
});
