import http from 'node:http';

/**
 * Docker HEALTHCHECK probe: `node dist/healthcheck.js`. Uses node itself so the runtime image needs no curl.
 * Exit 0 when GET /health on this container answers 200 within the timeout, 1 otherwise.
 */
export function checkHealth(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/health', timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false));
  });
}

if (require.main === module) {
  const raw = process.env.PORT ?? '3000';
  const port = /^\d+$/.test(raw) ? Number(raw) : 3000;
  checkHealth(port, 3000).then((healthy) => {
    if (!healthy) process.stderr.write(`healthcheck: GET http://127.0.0.1:${port}/health did not answer 200\n`);
    process.exit(healthy ? 0 : 1);
  });
}
