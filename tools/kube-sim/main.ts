/**
 * CLI: npm run kube-sim -- --fixtures PATH [--fixtures PATH2] --port PORT
 *   --kubeconfig-out FILE [--rebase-time ISO] [--latency-ms N] [--host H] [--user U]
 *   [--run-containers] [--no-ephemeral-containers]
 * Serves until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startKubeSim } from './index.js';

const USAGE = `Usage: npm run kube-sim -- --fixtures PATH [--fixtures PATH2 ...] [options]

A Kubernetes API server double on loopback, loaded from fixture files (tools/kube-sim/README.md).

Options:
  --fixtures PATH        fixture directory or file (repeatable, required)
  --port PORT            port to listen on (default 0: a free port)
  --host HOST            interface to listen on (default 127.0.0.1)
  --kubeconfig-out FILE  where to write a kubeconfig pointing at the simulator
  --rebase-time ISO      instant the fixtures were written against (timestamps shift to now)
  --latency-ms N         delay added to every request (default 0)
  --user USER            identity named in 403 messages
  --run-containers       run ephemeral containers' and created pods' command+args as LOCAL processes
                         (argv, no shell; anyone who can reach the port can run commands: loopback only)
  --no-ephemeral-containers  answer pods/ephemeralcontainers with 404, like a cluster without the feature
  -h, --help             this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fixtures: { type: 'string', multiple: true },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'kubeconfig-out': { type: 'string' },
      'rebase-time': { type: 'string' },
      'latency-ms': { type: 'string', default: '0' },
      user: { type: 'string' },
      'run-containers': { type: 'boolean', default: false },
      'no-ephemeral-containers': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values.fixtures || values.fixtures.length === 0) throw new Error('--fixtures PATH is required');
  const port = Number(values.port);
  const latencyMs = Number(values['latency-ms']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got ${values.port}`);
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new Error(`--latency-ms must be ≥ 0, got ${values['latency-ms']}`);
  // Running containers means running any argv a client sends: never on an address others can reach.
  if (values['run-containers'] && !['127.0.0.1', '::1', 'localhost'].includes(values.host))
    throw new Error(
      `--run-containers runs commands sent by clients: only with a loopback --host, not ${values.host}`,
    );
  const sim = await startKubeSim({
    fixtures: values.fixtures,
    port,
    host: values.host,
    latencyMs,
    ...(values['kubeconfig-out'] ? { kubeconfigOut: values['kubeconfig-out'] } : {}),
    ...(values['rebase-time'] ? { rebaseTime: values['rebase-time'] } : {}),
    ...(values.user ? { user: values.user } : {}),
    ...(values['run-containers'] ? { containerRuntime: {} } : {}),
    ...(values['no-ephemeral-containers'] ? { ephemeralContainers: false } : {}),
  });
  process.stdout.write(`kube-sim listening on ${sim.url} (${sim.objectCount()} objects)\n`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`kube-sim: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
