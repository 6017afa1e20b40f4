/**
 * `npm run playground`: the whole Slack loop on one machine. Starts the API simulator with the sample
 * incident, a Redis (REDIS_URL, or a redis-server of its own on a free port), the real bot (Bolt HTTP
 * receiver) and worker in this process against the Slack Web API double, and the page's server, which
 * wraps that same double (tools/slack-double): the bot's Web API calls are checked by the double exactly as
 * in the tests, and the page reads what the double recorded.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type FakeContainer,
  fakeContainerSupport,
  startFakeContainer,
} from '../../test/support/fake-container.js';
import { haveRedisServer, PrivateRedis, redisAnswers } from '../../test/support/redis-server.js';
import { type Stack, startStack } from '../../test/support/stack.js';
import { putLivePod, realProbeExecutor } from './live-pod.js';
import { type PageServer, startPageServer } from './page-server.js';
import { PEOPLE, PLAYGROUND_CHANNEL } from './people.js';

export const POLICY_PATH = fileURLToPath(new URL('./policy.yaml', import.meta.url));
export const SAMPLE_INCIDENT = fileURLToPath(new URL('../../test/fixtures/sample-incident', import.meta.url));
/** The pod node probes run against when this machine can run them (a real process in namespaces). */
export const LIVE_POD = { namespace: 'shop', name: 'checkout-live-0' };

export interface PlaygroundOptions {
  /** The page's port (default 0: a free one). */
  port?: number;
  /** Default: $REDIS_URL, else a redis-server of the playground's own. */
  redisUrl?: string;
  logLevel?: string;
  /** Try to run node probes for real (default true; they need root, util-linux and iproute2). */
  probes?: boolean;
}

export interface Playground {
  url: string;
  stack: Stack;
  page: PageServer;
  /** Why node probes cannot run here, or null when they can. */
  probesUnavailable: string | null;
  close(): Promise<void>;
}

/** A clear error for a missing redis-server (the message names the package). */
export class MissingRedisError extends Error {
  constructor() {
    super(
      'The playground needs Redis and redis-server is not on PATH: install the `redis-server` package ' +
        '(apt-get install redis-server; Homebrew: redis), or set REDIS_URL to a Redis it may use.',
    );
  }
}

async function redisFor(o: PlaygroundOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const given = o.redisUrl ?? process.env.REDIS_URL;
  if (given) {
    if (!(await redisAnswers(given, 3000)))
      throw new Error('REDIS_URL does not answer: start that Redis, or unset REDIS_URL');
    return { url: given, stop: async () => undefined };
  }
  if (!haveRedisServer()) throw new MissingRedisError();
  const r = await PrivateRedis.start();
  return { url: r.url, stop: () => r.stop() };
}

export async function startPlayground(o: PlaygroundOptions = {}): Promise<Playground> {
  const redis = await redisFor(o);
  const cleanups: Array<() => Promise<void>> = [() => redis.stop()];
  const undo = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const probesUnavailable =
      o.probes === false ? 'node probes are switched off (--no-probes)' : fakeContainerSupport();
    let fake: FakeContainer | undefined;
    if (!probesUnavailable) {
      fake = await startFakeContainer({ layout: 'containerd-systemd', memoryLimitBytes: 256 * 1024 * 1024 });
      const f = fake;
      cleanups.push(() => f.stop());
    }
    const stack = await startStack({
      cluster: 'playground',
      fixtures: SAMPLE_INCIDENT,
      redisUrl: redis.url,
      policy: readFileSync(POLICY_PATH, 'utf8'),
      logLevel: o.logLevel ?? 'silent',
      ...(fake ? { probes: { executor: realProbeExecutor() } } : {}),
    });
    cleanups.push(() => stack.close());
    if (fake) putLivePod(stack.sim, { ...LIVE_POD, containerId: fake.containerId, uid: fake.podUid });
    for (const p of PEOPLE) stack.slack.addUser({ id: p.id, name: p.name, email: p.email });
    stack.slack.addChannel({ id: PLAYGROUND_CHANNEL.id, name: PLAYGROUND_CHANNEL.name });
    const page = await startPageServer({ stack, port: o.port ?? 0, probesUnavailable, livePod: LIVE_POD });
    cleanups.push(() => page.close());
    return { url: page.url, stack, page, probesUnavailable, close: undo };
  } catch (e) {
    await undo();
    throw e;
  }
}
