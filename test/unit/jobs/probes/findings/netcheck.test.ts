import { describe, expect, it } from '@jest/globals';
import type { NetcheckData, ProbeSpec } from '../../../../../jobs/contracts/probe.js';
import { probeFindings, probeText } from '../../../../../jobs/probes/findings/index.js';
import { resolvConfAsWritten, serviceOf } from '../../../../../jobs/probes/findings/netcheck.js';
import { byId, ctxFor, evidenceOf, expectWellFormed, idSev } from './helpers.js';

const spec: ProbeSpec = { action: 'netcheck', targets: [] };
const ctx = ctxFor(spec);

/** resolv.conf as the kubelet writes it for a ClusterFirst pod on EKS. */
const RESOLV = `search shop.svc.cluster.local svc.cluster.local cluster.local ec2.internal
nameserver 10.96.0.10
options ndots:5
`;

const apiOk = { name: 'kubernetes.default.svc', addresses: ['10.96.0.1'], ms: 3 };
const apiTcp = { host: 'kubernetes.default.svc', port: 443, address: '10.96.0.1', ok: true, ms: 1 };
const listen8080 = { proto: 'tcp', local: '0.0.0.0:8080', remote: '0.0.0.0:*', state: 'LISTEN' };

function net(over: Partial<NetcheckData>): NetcheckData {
  return {
    action: 'netcheck',
    resolvConf: RESOLV,
    dns: [apiOk],
    tcp: [apiTcp],
    listening: [listen8080],
    ...over,
  };
}

interface Case {
  name: string;
  data: NetcheckData;
  want: [string, string][];
  evidence?: Record<string, string[]>;
  titles?: Record<string, RegExp>;
  next?: Record<string, string[]>;
}

const cases: Case[] = [
  {
    name: 'quiet',
    data: net({}),
    want: [['no-problem-found', 'info']],
    evidence: {
      'no-problem-found': [
        'DNS: 1 of 1 names resolved',
        'TCP: 1 of 1 ports connected',
        'kubernetes.default.svc: 10.96.0.1 in 3 ms',
      ],
    },
  },
  {
    name: 'a short Service name that does not exist in this namespace',
    data: net({
      dns: [apiOk, { name: 'postgres', addresses: [], error: 'ENOTFOUND', ms: 14 }],
      tcp: [apiTcp, { host: 'postgres', port: 5432, ok: false, error: 'ENOTFOUND', ms: 14 }],
    }),
    want: [['dns-unresolvable', 'warning']],
    evidence: {
      'dns-unresolvable': [
        'postgres: ENOTFOUND after 14 ms',
        'resolv.conf: nameserver 10.96.0.10; search shop.svc.cluster.local svc.cluster.local cluster.local ec2.internal; ndots:5',
      ],
    },
    next: {
      'dns-unresolvable': [
        'kubectl -n shop get svc,endpoints postgres',
        'If the Service lives in another namespace, use its full name `postgres.<namespace>.svc.cluster.local`: `kubectl get svc -A --field-selector metadata.name=postgres`',
      ],
    },
  },
  {
    name: 'every lookup times out: cluster DNS is down',
    data: net({
      dns: [
        { name: 'kubernetes.default.svc', addresses: [], error: 'ETIMEOUT', ms: 5003 },
        { name: 'redis.cache.svc.cluster.local', addresses: [], error: 'ESERVFAIL', ms: 12 },
      ],
      tcp: [],
    }),
    want: [['dns-server-failing', 'critical']],
    titles: { 'dns-server-failing': /ETIMEOUT, ESERVFAIL.*10\.96\.0\.10/ },
    next: { 'dns-server-failing': ['kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide'] },
  },
  {
    name: 'the database Service refuses: no endpoints',
    data: net({
      dns: [apiOk, { name: 'postgres.data.svc.cluster.local', addresses: ['10.96.12.7'], ms: 2 }],
      tcp: [
        apiTcp,
        {
          host: 'postgres.data.svc.cluster.local',
          port: 5432,
          address: '10.96.12.7',
          ok: false,
          error: 'ECONNREFUSED',
          ms: 0,
        },
      ],
    }),
    want: [['tcp-refused', 'critical']],
    titles: { 'tcp-refused': /postgres\.data\.svc\.cluster\.local:5432 \(10\.96\.12\.7\)/ },
    evidence: {
      'tcp-refused': ['postgres.data.svc.cluster.local:5432 (10.96.12.7): ECONNREFUSED after 0 ms'],
    },
    next: {
      'tcp-refused': [
        'kubectl -n data get endpoints postgres',
        '/poddebug tcpdump checkout-7d9f8b6c5-x2kqp -n shop -c app --cluster prod tcp port 5432',
      ],
    },
  },
  {
    name: 'an outside API times out',
    data: net({
      dns: [apiOk, { name: 'api.stripe.com', addresses: ['52.94.236.248'], ms: 18 }],
      tcp: [
        apiTcp,
        {
          host: 'api.stripe.com',
          port: 443,
          address: '52.94.236.248',
          ok: false,
          error: 'ETIMEDOUT',
          ms: 10_000,
        },
      ],
    }),
    want: [
      ['tcp-timeout', 'critical'],
      ['dns-ndots', 'info'],
    ],
    next: { 'tcp-timeout': ['kubectl -n shop get networkpolicy'] },
  },
  {
    name: 'a 5 s lookup of an outside name with ndots:5',
    data: net({ dns: [apiOk, { name: 'api.stripe.com', addresses: ['52.94.236.248'], ms: 5012 }] }),
    want: [
      ['dns-slow', 'warning'],
      ['dns-ndots', 'info'],
    ],
    titles: {
      'dns-slow': /`api\.stripe\.com` 5\.0 s/,
      'dns-ndots': /`ndots:5`.*`api\.stripe\.com`.*4 search domains.*up to 10 queries/,
    },
    evidence: {
      'dns-slow': ['api.stripe.com: 52.94.236.248 in 5012 ms', 'conntrack'],
      'dns-ndots': [
        'api.stripe.com: 2 dot(s) < ndots:5, tried as api.stripe.com.shop.svc.cluster.local first; took 5012 ms',
      ],
    },
  },
  {
    name: 'an app that listens on 127.0.0.1 only',
    data: net({
      listening: [
        { proto: 'tcp', local: '127.0.0.1:8080', remote: '0.0.0.0:*', state: 'LISTEN' },
        { proto: 'tcp', local: '0.0.0.0:9090', remote: '0.0.0.0:*', state: 'LISTEN' },
      ],
    }),
    want: [
      ['no-problem-found', 'info'],
      ['listen-localhost-only', 'info'],
    ],
    titles: { 'listen-localhost-only': /^Port 8080 listens on localhost only/ },
  },
  {
    name: 'slow connect',
    data: net({ tcp: [{ ...apiTcp, ms: 3012 }] }),
    want: [['tcp-slow', 'warning']],
  },
];

describe('netcheck findings', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const findings = probeFindings(c.data, ctx);
    expectWellFormed(findings);
    expect(idSev(findings)).toEqual(c.want);
    for (const [id, lines] of Object.entries(c.evidence ?? {}))
      for (const l of lines) expect(evidenceOf(byId(findings, id))).toContain(l);
    for (const [id, re] of Object.entries(c.titles ?? {})) expect(byId(findings, id).title).toMatch(re);
    for (const [id, lines] of Object.entries(c.next ?? {}))
      for (const l of lines) expect(byId(findings, id).next).toContain(l);
  });
});

describe('resolv.conf and names', () => {
  it('parses the kubelet resolv.conf', () => {
    expect(resolvConfAsWritten(RESOLV)).toEqual({
      nameservers: ['10.96.0.10'],
      search: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'ec2.internal'],
      ndots: 5,
      options: ['ndots:5'],
    });
    expect(resolvConfAsWritten('nameserver 1.1.1.1\n').ndots).toBe(1);
  });
  it.each([
    ['postgres', { name: 'postgres', namespace: 'shop' }],
    ['postgres.data.svc.cluster.local', { name: 'postgres', namespace: 'data' }],
    ['postgres.data.svc', { name: 'postgres', namespace: 'data' }],
    ['api.stripe.com', undefined],
  ])('%s', (name, want) => expect(serviceOf(name, 'shop')).toEqual(want));
});

describe('netcheck text', () => {
  it('shows resolv.conf, each lookup and connect with aligned times, and listeners', () => {
    const text = probeText(
      net({
        dns: [apiOk, { name: 'postgres', addresses: [], error: 'ENOTFOUND', ms: 14 }],
        tcp: [
          apiTcp,
          {
            host: 'redis.cache.svc.cluster.local',
            port: 6379,
            address: '10.96.40.2',
            ok: false,
            error: 'ETIMEDOUT',
            ms: 10_000,
          },
        ],
      }),
      spec,
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('nameserver  10.96.0.10');
    expect(lines[2]).toBe('options     ndots:5');
    const dns = lines.slice(lines.indexOf('DNS') + 1, lines.indexOf('DNS') + 3);
    expect(dns[0]).toMatch(/^ {2}kubernetes\.default\.svc\s+10\.96\.0\.1\s+3 ms$/);
    expect(dns[1]).toMatch(/^ {2}postgres\s+ENOTFOUND\s+14 ms$/);
    expect(dns[0]!.length).toBe(dns[1]!.length);
    const tcp = lines.slice(lines.indexOf('TCP') + 1, lines.indexOf('TCP') + 3);
    expect(tcp[1]).toMatch(
      /^ {2}redis\.cache\.svc\.cluster\.local:6379\s+10\.96\.40\.2\s+ETIMEDOUT\s+10000 ms$/,
    );
    expect(tcp[0]!.length).toBe(tcp[1]!.length);
    expect(text).toContain('listening\n  tcp  0.0.0.0:8080');
  });
});
