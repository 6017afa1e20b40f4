/** Plan-time resolution of netcheck names with the target pod's resolver settings. */
import { describe, expect, it } from '@jest/globals';
import type { Pod } from '../../../../jobs/k8s/types.js';
import { clusterDomainOf, targetResolvConf, targetResolver } from '../../../../jobs/probes/resolve-target.js';

const own = { nameservers: ['10.96.0.10'], clusterDomain: 'cluster.local' };
const pod = (spec: Record<string, unknown>): Pod => ({ spec: { containers: [], ...spec } }) as Pod;

describe('targetResolvConf', () => {
  it('ClusterFirst (the default): the cluster DNS with the target namespace search path, ndots 5', () => {
    expect(targetResolvConf(pod({}), 'shop', own)).toEqual({
      nameservers: ['10.96.0.10'],
      search: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 5,
    });
  });

  it('ClusterFirst with hostNetwork falls back to the node resolver; ClusterFirstWithHostNet keeps the cluster', () => {
    expect(targetResolvConf(pod({ hostNetwork: true }), 'shop', own)).toEqual({
      nameservers: ['10.96.0.10'],
      search: [],
      ndots: 1,
    });
    expect(
      targetResolvConf(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), 'shop', own).search,
    ).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
  });

  it('None: exactly the dnsConfig; dnsConfig adds to ClusterFirst', () => {
    const cfg = {
      nameservers: ['1.1.1.1'],
      searches: ['corp.example'],
      options: [{ name: 'ndots', value: '2' }],
    };
    expect(targetResolvConf(pod({ dnsPolicy: 'None', dnsConfig: cfg }), 'shop', own)).toEqual({
      nameservers: ['1.1.1.1'],
      search: ['corp.example'],
      ndots: 2,
    });
    expect(targetResolvConf(pod({ dnsConfig: cfg }), 'shop', own)).toEqual({
      nameservers: ['10.96.0.10', '1.1.1.1'],
      search: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
      ndots: 2,
    });
  });

  it("reads the cluster domain from the worker's own search list", () => {
    expect(
      clusterDomainOf({ nameservers: [], search: ['poddebug.svc.k8s.corp', 'svc.k8s.corp'], ndots: 5 }),
    ).toBe('k8s.corp');
    expect(clusterDomainOf({ nameservers: [], search: [], ndots: 1 })).toBe('cluster.local');
  });
});

describe('targetResolver', () => {
  const ownConf =
    'nameserver 10.96.0.10\nsearch poddebug.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n';

  it('tries the names a stub resolver in the target would, first answer wins', async () => {
    const asked: string[] = [];
    const resolve = targetResolver({
      ownResolvConf: async () => ownConf,
      query: async (fqdn, servers) => {
        asked.push(`${fqdn}@${servers.join(',')}`);
        return fqdn === 'metadata.google.internal' ? ['169.254.169.254'] : [];
      },
    });
    const addresses = await resolve('metadata.google.internal', { namespace: 'shop', pod: pod({}) });
    expect(addresses).toEqual(['169.254.169.254']);
    expect(asked).toEqual([
      'metadata.google.internal.shop.svc.cluster.local@10.96.0.10',
      'metadata.google.internal.svc.cluster.local@10.96.0.10',
      'metadata.google.internal.cluster.local@10.96.0.10',
      'metadata.google.internal@10.96.0.10',
    ]);
  });

  it('a short service name resolves in the target namespace, not the worker one', async () => {
    const resolve = targetResolver({
      ownResolvConf: async () => ownConf,
      query: async (fqdn) => (fqdn === 'db.payments.svc.cluster.local' ? ['10.96.7.7'] : []),
    });
    expect(await resolve('db', { namespace: 'payments', pod: pod({}) })).toEqual(['10.96.7.7']);
    expect(await resolve('db', { namespace: 'shop', pod: pod({}) })).toEqual([]);
  });
});
