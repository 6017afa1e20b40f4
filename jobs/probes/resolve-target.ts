/**
 * Resolves netcheck target names at plan time as the target pod would, so the bot can refuse a name that
 * leads to a denied address (metadata, link-local, loopback) before anyone approves it, and approvers see
 * where each name leads.
 *
 * The target's resolver, from its pod spec:
 * - `ClusterFirst` (the default) without hostNetwork, or `ClusterFirstWithHostNet`: the cluster DNS, with
 *   the search path of the target's namespace (`<ns>.svc.<domain> svc.<domain> <domain>`, ndots 5) plus
 *   its `dnsConfig`. The worker is a ClusterFirst pod of the same cluster, so its own nameservers are the
 *   cluster DNS (or the node-local cache in front of it): no Service read and no extra RBAC are needed.
 * - `None`: exactly the pod's `dnsConfig` (nameservers, searches, ndots).
 * - `Default`, or `ClusterFirst` with hostNetwork: the node's resolv.conf, which the worker cannot read;
 *   the worker's nameservers answer instead (the cluster DNS forwards names outside the cluster upstream).
 *
 * The check is a guard, not the last word: the probe resolves again at run time inside the target.
 */
import { Resolver } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Pod } from '../k8s/types.js';
import type { PlanResolver } from './plan.js';
import { candidateNames, parseResolvConf, type ResolvConf } from './program/resolv.js';

/** Queries A and AAAA for one fully qualified name against these servers; [] when there is none. */
export type DnsQuery = (fqdn: string, servers: string[]) => Promise<string[]>;

/** The resolver settings the target pod gets. Pure. */
export function targetResolvConf(
  pod: Pod,
  namespace: string,
  own: { nameservers: string[]; clusterDomain: string },
): ResolvConf {
  const spec = pod.spec;
  const policy = spec?.dnsPolicy ?? 'ClusterFirst';
  const cfg = spec?.dnsConfig ?? {};
  const ndotsOpt = (cfg.options ?? []).find((o) => o.name === 'ndots')?.value;
  const ndots =
    ndotsOpt !== undefined && /^[0-9]{1,2}$/.test(ndotsOpt) ? Math.min(15, Number(ndotsOpt)) : undefined;
  if (policy === 'None') {
    return {
      nameservers: (cfg.nameservers ?? []).slice(0, 3),
      search: (cfg.searches ?? []).slice(0, 6),
      ndots: ndots ?? 1,
    };
  }
  const cluster =
    policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && spec?.hostNetwork !== true);
  const d = own.clusterDomain;
  const search = cluster ? [`${namespace}.svc.${d}`, `svc.${d}`, d] : [];
  return {
    nameservers: [...own.nameservers, ...(cfg.nameservers ?? [])].slice(0, 3),
    search: [...search, ...(cfg.searches ?? [])].slice(0, 6),
    ndots: ndots ?? (cluster ? 5 : 1),
  };
}

/** The cluster domain from the worker's own search list (`<ns>.svc.<domain>`); default cluster.local. Pure. */
export function clusterDomainOf(conf: ResolvConf): string {
  for (const s of conf.search) {
    const m = /^[a-z0-9-]+\.svc\.(.+?)\.?$/.exec(s);
    if (m?.[1]) return m[1];
  }
  return 'cluster.local';
}

/** A/AAAA through node's resolver library against the given servers, 2 s and one try per query. */
export const dnsQuery: DnsQuery = async (fqdn, servers) => {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  if (servers.length > 0) r.setServers(servers.map((s) => (isIP(s) === 6 ? `[${s}]` : s)));
  const [a, aaaa] = await Promise.all([r.resolve4(fqdn).catch(() => []), r.resolve6(fqdn).catch(() => [])]);
  return [...a, ...aaaa];
};

/**
 * The worker's PlanResolver: the target's resolver settings (above), each candidate name in the order a
 * stub resolver tries them, the first one with addresses wins.
 */
export function targetResolver(
  o: { query?: DnsQuery; ownResolvConf?: () => Promise<string> } = {},
): PlanResolver {
  const query = o.query ?? dnsQuery;
  const readOwn = o.ownResolvConf ?? (() => readFile('/etc/resolv.conf', 'utf8'));
  return async (name, ctx) => {
    const own = parseResolvConf(await readOwn().catch(() => ''));
    const conf = targetResolvConf(ctx.pod, ctx.namespace, {
      nameservers: own.nameservers,
      clusterDomain: clusterDomainOf(own),
    });
    for (const fqdn of candidateNames(name, conf)) {
      const addresses = await query(fqdn, conf.nameservers);
      if (addresses.length > 0) return addresses;
    }
    return [];
  };
}
