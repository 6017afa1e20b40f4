/**
 * Runs inside the debug container that `/poddebug connectivity` adds to a pod (kubectl debug's `general`
 * profile, in the pod's network namespace): DNS lookups with the pod's own resolv.conf (its nameservers, search
 * list and ndots), then TCP connects. Prints one line, `PODDEBUG1 {json}`, on stdout. Needs no privileges.
 *
 *   node connectivity.js <base64url JSON {names, tcp, timeoutMs}> [RESOLV_CONF]
 *
 * RESOLV_CONF defaults to /etc/resolv.conf (the pod's, as the kubelet writes it for every container).
 */
import { readFileSync } from 'node:fs';
import { PROBE_LINE_MARKER } from '../../contracts/probe.js';
import { netcheck } from '../../probes/program/netcheck-child.js';
import { parseResolvConf } from '../../probes/program/resolv.js';

interface Input {
  names: string[];
  tcp: { host: string; port: number }[];
  timeoutMs: number;
}

export async function connectivity(input: Input, resolvConf: string) {
  const conf = parseResolvConf(resolvConf);
  const out = await netcheck({ ...input, ...conf });
  return { resolvConf: resolvConf.slice(0, 2000), ...out };
}

const arg = process.argv[2];
if (arg !== undefined && /connectivity\.[jt]s$/.test(process.argv[1] ?? '')) {
  let input: Input;
  try {
    input = JSON.parse(Buffer.from(arg, 'base64url').toString('utf8')) as Input;
  } catch {
    process.stderr.write('connectivity: the input is not base64url JSON\n');
    process.exit(2);
  }
  let resolv = '';
  try {
    resolv = readFileSync(process.argv[3] ?? '/etc/resolv.conf', 'utf8');
  } catch (e) {
    process.stderr.write(`connectivity: cannot read resolv.conf (${String(e)}); using no search list\n`);
  }
  connectivity(input, resolv).then(
    (out) => process.stdout.write(`${PROBE_LINE_MARKER}${JSON.stringify(out)}\n`),
    (e: unknown) => {
      process.stderr.write(`connectivity failed: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
