import { Command, InvalidArgumentError } from 'commander';
import { asCodedError, isDns1123Label, parseTargetSpec, type TargetRef } from '../contracts/index.js';
import { diagnose } from '../diagnose/diagnose.js';
import { createKubeReader, loadKubeConfig } from '../k8s/client.js';
import { renderText } from './render-text.js';

/**
 * `poddebug` in a terminal: the same gathering and rules as the worker,
 * in-process, against the current kubeconfig. No Slack, no Redis.
 */
function label(kind: string) {
  return (v: string) => {
    if (!isDns1123Label(v)) {
      throw new InvalidArgumentError(
        `not a valid ${kind} name (lowercase letters, digits and '-', at most 63).`,
      );
    }
    return v;
  };
}

interface DiagnoseOpts {
  namespace?: string;
  container?: string;
  json?: boolean;
  kubeconfig?: string;
  color: boolean;
  timeout: string;
}

async function runDiagnose(spec: string, opts: DiagnoseOpts): Promise<number> {
  const parsed = parseTargetSpec(spec);
  if ('error' in parsed) {
    process.stderr.write(`poddebug: ${parsed.error.replaceAll('`', '')}\n`);
    return 2;
  }
  if (parsed.kind !== 'pod' && !opts.namespace) {
    process.stderr.write(`poddebug: say which namespace ${spec} is in: -n NAMESPACE\n`);
    return 2;
  }
  const target: TargetRef = { ...parsed, namespace: opts.namespace, container: opts.container };
  const timeoutMs = Number(opts.timeout) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    process.stderr.write('poddebug: --timeout takes a number of seconds, e.g. --timeout 10\n');
    return 2;
  }
  let kc: ReturnType<typeof loadKubeConfig>;
  try {
    kc = loadKubeConfig(opts.kubeconfig);
  } catch (e) {
    process.stderr.write(`poddebug: cannot load a kubeconfig: ${(e as Error).message}\n`);
    return 1;
  }
  const cluster = kc.getCurrentContext() || 'current';
  try {
    const result = await diagnose(target, {
      reader: createKubeReader(kc, { timeoutMs }),
      cluster,
      now: () => new Date(),
      logTailLines: 200,
      logLimitBytes: 65_536,
    });
    if (result.outcome === 'ambiguous') {
      const list = result.candidates.map((c) => `  poddebug diagnose ${c.name} -n ${c.namespace}`).join('\n');
      process.stderr.write(
        `poddebug: pod name ${result.name} matches pods in several namespaces; pick one:\n${list}\n`,
      );
      return 1;
    }
    if (opts.json) {
      const { target: t, findings, owner, siblings, gaps } = result;
      process.stdout.write(`${JSON.stringify({ target: t, findings, owner, siblings, gaps }, null, 2)}\n`);
    } else {
      process.stdout.write(renderText(result, { color: opts.color, cluster }));
    }
    return 0;
  } catch (e) {
    const c = asCodedError(e);
    const next = c.next.length ? `\n${c.next.map((n) => `  next: ${n}`).join('\n')}` : '';
    process.stderr.write(`poddebug: ${c.message.replaceAll('`', '')}${next.replaceAll('`', '')}\n`);
    if (c.code === 'internal' && c.cause) process.stderr.write(`  cause: ${String(c.cause)}\n`);
    return 1;
  }
}

export function buildProgram(): Command {
  const program = new Command('poddebug')
    .description('Diagnose Kubernetes pods: what is wrong and what to do next.')
    .showHelpAfterError('(run poddebug help diagnose for usage)')
    .addHelpText(
      'after',
      '\nThe audit trail: poddebug audit verify | poddebug audit export [--since 24h] (see poddebug audit --help)',
    )
    .exitOverride();
  program
    .command('diagnose')
    .description('diagnose a pod, or the worst pod of deploy/NAME, sts/NAME, ds/NAME, job/NAME')
    .argument('<target>', 'pod name, or KIND/NAME')
    .option(
      '-n, --namespace <ns>',
      'namespace (default: search every namespace for a pod name)',
      label('namespace'),
    )
    .option('-c, --container <name>', 'only this container', label('container'))
    .option('--json', 'print {"target", "findings"} as JSON')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)')
    .option('--timeout <seconds>', 'timeout of each API request', '10')
    .option('--no-color', 'no ANSI colours')
    .action(async (spec: string, opts: DiagnoseOpts) => {
      process.exitCode = await runDiagnose(spec, {
        ...opts,
        color: opts.color && Boolean(process.stdout.isTTY),
      });
    });
  program
    .command('redis-acl')
    .description(
      'print ACL SETUSER lines: a bot user, and per cluster a worker user limited to its own queue and probe keys',
    )
    .requiredOption('--clusters <names>', "comma-separated cluster names, as the bot's CLUSTERS")
    .option('--bot-user <name>', "the bot's user", 'poddebug-bot')
    .option('--worker-prefix <prefix>', 'worker users are <prefix><cluster>', 'poddebug-worker-')
    .option('--keep-default-user', 'do not print ACL SETUSER default off')
    .action(
      async (o: { clusters: string; botUser: string; workerPrefix: string; keepDefaultUser?: boolean }) => {
        // Loaded only for this command: it names the probe slots' keys, which diagnose never touches.
        const { redisAclLines } = await import('./redis-acl.js');
        const clusters = o.clusters
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean);
        try {
          const lines = redisAclLines({
            clusters,
            botUser: o.botUser,
            workerPrefix: o.workerPrefix,
            disableDefault: !o.keepDefaultUser,
          });
          process.stdout.write(`${lines.join('\n')}\n`);
          process.exitCode = 0;
        } catch (e) {
          process.stderr.write(`poddebug: ${(e as Error).message}\n`);
          process.exitCode = 2;
        }
      },
    );
  return program;
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // commander already printed its message (unknown option, missing argument, help)
    const err = e as { exitCode?: number; code?: string };
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.help' ||
      err.code === 'commander.version'
    ) {
      return 0;
    }
    return err.code?.startsWith('commander.') ? 2 : 1;
  }
}
