import { dropEverything } from './db';
import { killAll } from './process';

/**
 * Root hooks: whatever happens in the suites (failures included), stop the servers the tests
 * started, then drop the databases and roles this run created.
 */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await killAll();
    await dropEverything();
  },
};
