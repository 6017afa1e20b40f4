// jest globalTeardown: stops the Redis globalSetup started, if it started one (see test-redis.ts).
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { teardown } = await tsImport('./test-redis.ts', import.meta.url);
  await teardown();
}
