/** The policy's `probes` section: parsing (file:line errors), host-namespace rules and the network denylist. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parsePolicy } from '../../../../bot/policy/parse.js';
import {
  hostNamespacesAllowed,
  hostScopeRefusal,
  literalTargetProblems,
  networkRules,
  resolvedTargetProblems,
} from '../../../../bot/policy/probe-scope.js';
import type { Policy } from '../../../../bot/policy/schema.js';
import type { ProbePlan, ProbeSpec } from '../../../../jobs/contracts/probe.js';

const here = dirname(fileURLToPath(import.meta.url));
const minimal = 'version: 1\ncontact: "#sre"\nchannels:\n  ids: [C0ONCALL]\n';

function policy(extra = ''): Policy {
  const r = parsePolicy(minimal + extra, 'policy.yaml');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.policy;
}
const errorsOf = (extra: string): string[] => {
  const r = parsePolicy(minimal + extra, 'policy.yaml');
  if (r.ok) throw new Error('expected the policy to be refused');
  return r.errors;
};

function plan(spec: ProbeSpec, over: Partial<ProbePlan> = {}): ProbePlan {
  return {
    cluster: 'prod-eu',
    namespace: 'kube-system',
    pod: 'cilium-x2',
    podUid: 'u',
    container: 'agent',
    containerId: `containerd://${'a'.repeat(64)}`,
    node: 'node-a',
    image: 'cilium:1',
    spec,
    commandLine: spec.action,
    privileges: [],
    caps: [],
    probeImage: 'poddebug:1',
    capabilities: ['SYS_PTRACE'],
    ...over,
  };
}

const tcpdump = (filter: string): ProbeSpec => ({
  action: 'tcpdump',
  durationSec: 10,
  filter: filter.split(' '),
});
const netcheck = (...targets: Array<{ host: string; port?: number }>): ProbeSpec => ({
  action: 'netcheck',
  targets,
});

describe('policy probes section: parsing', () => {
  it('defaults to no host namespaces and the built-in denylist only', () => {
    const p = policy();
    expect(p.probes).toEqual({
      hostNamespaces: [],
      networkTargets: { deny: { cidrs: [], names: [], ports: [] }, allow: [] },
    });
  });

  it('example.yaml parses and allows hostNetwork probes only where it says', () => {
    const r = parsePolicy(
      readFileSync(join(here, '../../../../bot/policy/example.yaml'), 'utf8'),
      'example.yaml',
    );
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect([...hostNamespacesAllowed(r.policy, 'staging-1', 'kube-system')]).toEqual(['network']);
    expect([...hostNamespacesAllowed(r.policy, 'prod-eu', 'kube-system')]).toEqual([]);
  });

  it.each([
    [
      'probes:\n  hostNamespaces:\n    - clusters: ["*"]\n      namespaces: ["*"]\n      allow: [net]\n',
      /^policy\.yaml:9:15: probes\.hostNamespaces\[0\]\.allow\[0\]: a host namespace: network or pid$/,
    ],
    [
      'probes:\n  hostNamespaces:\n    - clusters: ["*"]\n      allow: [pid]\n',
      /^policy\.yaml:7:7: probes\.hostNamespaces\[0\]\.namespaces: required$/,
    ],
    [
      'probes:\n  networkTargets:\n    deny:\n      cidrs: ["169.254.0.0/33"]\n',
      /^policy\.yaml:8:15: probes\.networkTargets\.deny\.cidrs\[0\]: an IP address or CIDR/,
    ],
    [
      'probes:\n  networkTargets:\n    allow:\n      - clusters: ["*"]\n        namespaces: ["*"]\n        ports: [0]\n',
      /^policy\.yaml:10:17: probes\.networkTargets\.allow\[0\]\.ports\[0\]: a port from 1 to 65535$/,
    ],
    [
      'probes:\n  networkTargets:\n    allow:\n      - clusters: ["*"]\n        namespaces: ["*"]\n',
      /probes\.networkTargets\.allow\[0\]: an allow rule needs at least one of cidrs, names or ports$/,
    ],
    ['probes:\n  hostNetwork: true\n', /^policy\.yaml:6:3: probes\.hostNetwork: unknown key "hostNetwork"$/],
  ])('refuses a bad probes section with file:line: %#', (extra, re) => {
    expect(errorsOf(extra)).toEqual([expect.stringMatching(re)]);
  });
});

describe('host-namespace targets', () => {
  const allowing = policy(
    'probes:\n  hostNamespaces:\n    - clusters: ["prod-*"]\n      namespaces: [kube-system]\n      allow: [network]\n',
  );

  it('refuses a node-wide probe by default, saying which namespace and what would allow it', () => {
    const msg = hostScopeRefusal(policy(), plan(tcpdump('tcp'), { hostScope: { network: true } }));
    expect(msg).toMatch(/shares the node's network namespace \(`hostNetwork: true`\)/);
    expect(msg).toMatch(/tcpdump would see the whole node's network/);
    expect(msg).toMatch(/add a `probes\.hostNamespaces` rule with `allow: \[network\]`/);
    expect(msg).toMatch(/Ask #sre\.$/);
  });

  it('allows it where the policy says, only for the namespaces it names', () => {
    expect(
      hostScopeRefusal(allowing, plan(tcpdump('tcp'), { hostScope: { network: true } })),
    ).toBeUndefined();
    expect(hostScopeRefusal(allowing, plan({ action: 'ps' }, { hostScope: { pid: true } }))).toMatch(
      /PID namespace \(`hostPID: true`\).*whole node's processes/,
    );
    expect(
      hostScopeRefusal(allowing, plan(tcpdump('tcp'), { hostScope: { network: true }, cluster: 'staging' })),
    ).toMatch(/does not allow node-wide probes in cluster staging/);
  });

  it('has nothing to say about a plan without host scope', () => {
    expect(hostScopeRefusal(policy(), plan({ action: 'ps' }))).toBeUndefined();
  });
});

describe('network targets', () => {
  const rules = networkRules(policy(), 'prod-eu', 'shop');
  const refused: Array<[string, ProbeSpec, RegExp]> = [
    [
      'metadata IPv4',
      netcheck({ host: '169.254.169.254', port: 80 }),
      /`169\.254\.169\.254` is in 169\.254\.169\.254\/32 \(cloud metadata/,
    ],
    ['AWS metadata IPv6', netcheck({ host: 'fd00:ec2::254' }), /AWS metadata service \(IPv6\)/],
    ['IPv4-mapped metadata', netcheck({ host: '::ffff:169.254.169.254' }), /cloud metadata/],
    ['link-local', netcheck({ host: '169.254.1.1' }), /link-local/],
    ['link-local v6', netcheck({ host: 'fe80::1' }), /link-local/],
    ['GCP metadata name', netcheck({ host: 'metadata.google.internal' }), /GCP metadata service/],
    ['metadata name with dot', netcheck({ host: 'metadata.google.internal.' }), /GCP metadata service/],
    ['short metadata', netcheck({ host: 'metadata' }), /GCP metadata service \(short name\)/],
    ['loopback', netcheck({ host: '127.0.0.53', port: 53 }), /loopback/],
    ['localhost', netcheck({ host: 'localhost' }), /loopback/],
    ['sub.localhost', netcheck({ host: 'app.localhost' }), /loopback/],
    ['0.0.0.0', netcheck({ host: '0.0.0.0', port: 8080 }), /this host/],
    ['kubelet port', netcheck({ host: '10.0.0.7', port: 10250 }), /port 10250 is the kubelet API/],
    ['etcd port', netcheck({ host: 'etcd.kube-system.svc', port: 2379 }), /etcd client port/],
    ['API server port', netcheck({ host: '10.0.0.1', port: 6443 }), /Kubernetes API server/],
    ['tcpdump metadata host', tcpdump('host 169.254.169.254'), /cloud metadata/],
    ['tcpdump link-local net', tcpdump('net 169.254.0.0/16'), /link-local/],
    ['tcpdump wide net', tcpdump('dst net 0.0.0.0/0'), /`0\.0\.0\.0\/0` includes 169\.254\.169\.254\/32/],
    ['tcpdump etcd port', tcpdump('tcp port 2380'), /etcd peer port/],
    ['tcpdump portrange', tcpdump('portrange 10000-10300'), /ports 10000-10300 include 10250/],
    [
      'tcpdump host name',
      tcpdump('host db.shop.svc'),
      /tcpdump filters take addresses, not names .*Write the IP address/,
    ],
  ];
  it.each(refused)('refuses %s', (_l, spec, re) => {
    const problems = literalTargetProblems(rules, spec);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(re)]));
  });

  const allowed: Array<[string, ProbeSpec]> = [
    ['service name', netcheck({ host: 'db.shop.svc', port: 5432 })],
    ['pod IP', netcheck({ host: '10.1.2.3', port: 8080 })],
    ['public v6', netcheck({ host: '2001:db8::1', port: 443 })],
    ['https', tcpdump('tcp port 443 and host 10.1.2.3')],
    ['not-quite link-local', tcpdump('net 169.255.0.0/16')],
    ['range below kubelet', tcpdump('portrange 8000-8080')],
  ];
  it.each(allowed)('allows %s', (_l, spec) => {
    expect(literalTargetProblems(rules, spec)).toEqual([]);
  });

  it('policy exceptions apply in their scope only, and extra denials add to the built-in list', () => {
    const p = policy(
      [
        'probes:',
        '  networkTargets:',
        '    deny: { cidrs: ["10.96.0.0/28"], names: ["*.admin.internal"], ports: [8200] }',
        '    allow:',
        '      - clusters: ["staging-*"]',
        '        namespaces: [platform]',
        '        cidrs: ["127.0.0.0/8"]',
        '        ports: [10250]',
        '',
      ].join('\n'),
    );
    const kubelet = netcheck({ host: '127.0.0.1', port: 10250 });
    expect(literalTargetProblems(networkRules(p, 'staging-2', 'platform'), kubelet)).toEqual([]);
    expect(literalTargetProblems(networkRules(p, 'prod-eu', 'platform'), kubelet)).toHaveLength(2);
    const inProd = networkRules(p, 'prod-eu', 'shop');
    expect(literalTargetProblems(inProd, netcheck({ host: '10.96.0.5' }))).toEqual([
      expect.stringMatching(/10\.96\.0\.0\/28 \(denied by the poddebug policy\)/),
    ]);
    expect(
      literalTargetProblems(inProd, netcheck({ host: 'vault.admin.internal', port: 8200 })),
    ).toHaveLength(2);
  });

  it('checks the addresses netcheck names resolved to at plan time', () => {
    const problems = resolvedTargetProblems(rules, [
      { name: 'db.shop.svc', addresses: ['10.96.4.2'] },
      { name: 'sneaky.example.com', addresses: ['203.0.113.9', '169.254.169.254'] },
    ]);
    expect(problems).toEqual([
      expect.stringMatching(
        /^`sneaky\.example\.com` resolves to `169\.254\.169\.254` is in .*cloud metadata/,
      ),
    ]);
  });
});
