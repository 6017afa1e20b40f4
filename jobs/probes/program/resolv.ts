/** resolv.conf and `crictl inspect` parsing for the probe program. Pure. */

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  ndots: number;
}

/** The parts of resolv.conf a resolver needs (glibc defaults: ndots 1; last `search` wins). */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], ndots: 1 };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...vals] = line.split(/\s+/);
    if (key === 'nameserver' && vals[0]) conf.nameservers.push(vals[0]);
    else if (key === 'search' || key === 'domain') conf.search = vals.filter((v) => v !== '').slice(0, 6);
    else if (key === 'options') {
      for (const o of vals) {
        const m = /^ndots:(\d+)$/.exec(o);
        if (m) conf.ndots = Math.min(15, Number(m[1]));
      }
    }
  }
  conf.nameservers = conf.nameservers.slice(0, 3);
  return conf;
}

/** The names to try for `name`, in the order a stub resolver with this search list and ndots tries them. */
export function candidateNames(name: string, conf: Pick<ResolvConf, 'search' | 'ndots'>): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const dots = name.split('.').length - 1;
  const searched = conf.search.map((d) => `${name}.${d.replace(/\.$/, '')}`);
  return dots >= conf.ndots ? [name, ...searched] : [...searched, name];
}

/**
 * `crictl inspect <id>` JSON → the container's host PID. CRI's verbose info has `info.pid`;
 * CRI-O ≤ 1.17 puts `pid` at the top. PID 0 means the container is not running.
 */
export function parseCrictlInspect(
  json: string,
): { pid: number } | { notRunning: string } | { error: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return { error: 'crictl inspect did not print JSON' };
  }
  if (doc === null || typeof doc !== 'object') return { error: 'crictl inspect printed no object' };
  const d = doc as { info?: { pid?: unknown }; pid?: unknown; status?: { state?: unknown } };
  const pid = d.info?.pid ?? d.pid;
  const state = typeof d.status?.state === 'string' ? d.status.state : undefined;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid < 0) {
    return { error: 'crictl inspect gave no pid (info.pid)' };
  }
  if (pid === 0 || (state !== undefined && state !== 'CONTAINER_RUNNING')) {
    return { notRunning: `the runtime reports the container ${state ?? 'not running'} (pid ${pid})` };
  }
  return { pid };
}
