import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export const APP_DIR = path.join(__dirname, '..', '..');
export const SERVER_JS = path.join(APP_DIR, 'dist', 'server.js');
export const HEALTHCHECK_JS = path.join(APP_DIR, 'dist', 'healthcheck.js');

const running = new Set<ChildProcess>();

/** Compiles src/ to dist/ with the project's own `npm run build`, unless dist/ is newer than every source file. */
export function ensureBuilt(): void {
  const srcDir = path.join(APP_DIR, 'src');
  const newestSource = Math.max(...readdirSync(srcDir).map((file) => statSync(path.join(srcDir, file)).mtimeMs));
  const outputs = [SERVER_JS, HEALTHCHECK_JS];
  if (outputs.every((file) => existsSync(file) && statSync(file).mtimeMs >= newestSource)) return;
  execFileSync(process.execPath, [path.join(APP_DIR, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: APP_DIR,
    stdio: 'inherit',
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
}

/** Starts a node script with exactly `env` (plus PATH): nothing leaks in from the test runner's environment. */
export function spawnNode(script: string, env: Record<string, string>, port = 0): RunningProcess {
  const child = spawn(process.execPath, [script], {
    cwd: APP_DIR,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      // Lets c8 (or NODE_V8_COVERAGE set by CI) see the code the server process runs.
      ...(process.env.NODE_V8_COVERAGE ? { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return { child, port, stdout: () => out, stderr: () => err, exited };
}

/** The write token startServer gives the server unless a test sets its own; `request` sends it unless told otherwise. */
export const TEST_WRITE_TOKEN = 'server-test-token-0123456789abcdef';

/** Starts dist/server.js and waits until /health answers; fails with the process output if it dies first. */
export async function startServer(env: Record<string, string>): Promise<RunningProcess> {
  const port = await freePort();
  const server = spawnNode(SERVER_JS, { HOST: '127.0.0.1', PORT: String(port), API_WRITE_TOKEN: TEST_WRITE_TOKEN, ...env }, port);
  const deadline = Date.now() + 15000;
  let exitCode: number | string | undefined;
  void server.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`server exited with ${exitCode} before it was healthy:\n${server.stdout()}\n${server.stderr()}`);
    }
    const response = await request(port, 'GET', '/health').catch(() => undefined);
    if (response?.status === 200) return server;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not become healthy within 15 s:\n${server.stdout()}\n${server.stderr()}`);
}

/** Kills whatever a test left running (a failed assertion must not leave a server behind). */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/** One request on its own connection (no keep-alive agent), so "connection refused" means what it says. */
export function request(
  port: number,
  method: string,
  urlPath: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent: false,
        headers: {
          authorization: `Bearer ${TEST_WRITE_TOKEN}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
