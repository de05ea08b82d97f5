import { dropEverything } from './db';
import { killAll } from './process';

async function cleanUp(): Promise<void> {
  await killAll();
  await dropEverything();
}

/**
 * Root hooks: whatever happens in the suites (failures included), stop the servers the tests
 * started, then drop the databases and roles this run created.
 */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await cleanUp();
  },
};

// Mocha (serial mode) has no handler for these, so an interrupted run would die with its databases left behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping test servers and dropping this run's test databases\n`);
    const deadline = new Promise((resolve) => setTimeout(resolve, 10000).unref());
    void Promise.race([cleanUp(), deadline])
      .catch((error: unknown) => process.stderr.write(`cleanup failed: ${String(error)}\n`))
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}
