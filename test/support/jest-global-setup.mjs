// jest globalSetup: this run's Redis (see test-redis.ts). jest loads global hooks without its
// module mapping, so the TypeScript is loaded with tsx.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup(globalConfig) {
  const { setup } = await tsImport('./test-redis.ts', import.meta.url);
  await setup(globalConfig);
}
