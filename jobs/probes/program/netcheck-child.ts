/**
 * Runs inside the target's network namespace (`nsenter --net=… -- node netcheck-child.js <base64url JSON>`):
 * DNS lookups through the container's nameservers with its search list and ndots, then TCP connects.
 * Prints one JSON object on stdout. Nothing here reads files: the parent passes everything in.
 */
import { Resolver } from 'node:dns/promises';
import { isIP, Socket } from 'node:net';
import { candidateNames } from './resolv.js';

export interface NetcheckChildInput {
  names: string[];
  tcp: { host: string; port: number }[];
  nameservers: string[];
  search: string[];
  ndots: number;
  timeoutMs: number;
}

export interface NetcheckChildOutput {
  dns: { name: string; addresses: string[]; error?: string; ms: number }[];
  tcp: { host: string; port: number; address?: string; ok: boolean; error?: string; ms: number }[];
}

async function lookup(resolver: Resolver, name: string, input: NetcheckChildInput) {
  const t0 = performance.now();
  if (isIP(name)) return { name, addresses: [name], ms: 0 };
  let lastError = 'ENOTFOUND';
  for (const candidate of candidateNames(name, input)) {
    for (const rr of ['A', 'AAAA'] as const) {
      try {
        const addresses =
          rr === 'A' ? await resolver.resolve4(candidate) : await resolver.resolve6(candidate);
        if (addresses.length > 0) return { name, addresses, ms: Math.round(performance.now() - t0) };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'ERROR';
        if (code !== 'ENODATA' || lastError === 'ENOTFOUND') lastError = code;
        if (code === 'ETIMEOUT' || code === 'ECONNREFUSED') break;
      }
    }
  }
  return { name, addresses: [], error: lastError, ms: Math.round(performance.now() - t0) };
}

function connect(
  address: string,
  port: number,
  timeoutMs: number,
): Promise<{ ok: boolean; error?: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean, error?: string) => {
      s.destroy();
      resolve({ ok, ...(error ? { error } : {}), ms: Math.round(performance.now() - t0) });
    };
    s.setTimeout(timeoutMs, () => done(false, 'ETIMEDOUT'));
    s.once('connect', () => done(true));
    s.once('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message));
    s.connect({ host: address, port });
  });
}

export async function netcheck(input: NetcheckChildInput): Promise<NetcheckChildOutput> {
  const resolver = new Resolver({ timeout: Math.min(input.timeoutMs, 2000), tries: 2 });
  resolver.setServers(input.nameservers.length > 0 ? input.nameservers : ['127.0.0.1']);
  const dns = await Promise.all(input.names.map((n) => lookup(resolver, n, input)));
  const tcp = await Promise.all(
    input.tcp.map(async ({ host, port }) => {
      const found = dns.find((d) => d.name === host);
      const address = isIP(host) ? host : found?.addresses[0];
      if (address === undefined) return { host, port, ok: false, error: found?.error ?? 'ENOTFOUND', ms: 0 };
      return { host, port, address, ...(await connect(address, port, input.timeoutMs)) };
    }),
  );
  return { dns, tcp };
}

const arg = process.argv[2];
if (arg !== undefined && process.argv[1] !== undefined && /netcheck-child\.[jt]s$/.test(process.argv[1])) {
  const input = JSON.parse(Buffer.from(arg, 'base64url').toString('utf8')) as NetcheckChildInput;
  netcheck(input).then(
    (out) => process.stdout.write(`${JSON.stringify(out)}\n`),
    (e: unknown) => {
      process.stderr.write(`netcheck failed: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
