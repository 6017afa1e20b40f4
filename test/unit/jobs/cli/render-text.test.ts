import { describe, expect, it } from '@jest/globals';
import { renderText } from '../../../../jobs/cli/render-text.js';
import type { Finding } from '../../../../jobs/contracts/finding.js';
import { diagnosed } from '../../bot/render/fixtures.js';

const crashLoop: Finding = {
  id: 'crash-loop-back-off',
  severity: 'critical',
  title: 'Container app is in CrashLoopBackOff',
  evidence: ['restartCount: 14', 'log: Error: connect ECONNREFUSED 10.0.3.17:5432'],
  next: ['kubectl logs -n shop checkout-7d9f8b-x2kq -c app --previous'],
};
const oom: Finding = {
  id: 'oom-killed',
  severity: 'warning',
  title: 'Container app was OOMKilled 2 times',
  evidence: ['lastState.terminated.reason: OOMKilled'],
  next: ['Raise resources.limits.memory'],
};
const note: Finding = {
  id: 'node-ok',
  severity: 'info',
  title: 'Node has no pressure',
  evidence: [],
  next: [],
};

const lines = (s: string) => s.split('\n');

describe('renderText', () => {
  const result = diagnosed([note, oom, crashLoop], {
    owner: { kind: 'Deployment', name: 'checkout', reason: 'most restarts (14) of 2 pods' },
    siblings: [
      {
        name: 'checkout-7d9f8b-x2kq',
        phase: 'Running',
        status: 'CrashLoopBackOff',
        ready: '0/1',
        restarts: 14,
        node: 'node-a',
      },
      { name: 'checkout-7d9f8b-a1b2', phase: 'Running', status: 'Running', ready: '1/1', restarts: 0 },
    ],
    gaps: ['node node-a: forbidden'],
  });
  const out = renderText(result, { color: false, cluster: 'prod' });
  const ls = lines(out);

  it('starts with the target, owner and verdict', () => {
    expect(ls[0]).toBe('pod:      shop/checkout-7d9f8b-x2kq  (cluster prod)');
    expect(ls[1]).toBe('owner:    Deployment checkout, picked this pod: most restarts (14) of 2 pods');
    expect(ls[2]).toBe('verdict:  CRITICAL  Container app is in CrashLoopBackOff (+1 more problem)');
  });

  it('lists findings worst first with tags, indented evidence and next steps', () => {
    const crashAt = ls.indexOf('[CRITICAL] Container app is in CrashLoopBackOff  (crash-loop-back-off)');
    expect(crashAt).toBeGreaterThan(2);
    expect(ls.slice(crashAt + 1, crashAt + 4)).toEqual([
      '    restartCount: 14',
      '    log: Error: connect ECONNREFUSED 10.0.3.17:5432',
      '  next: kubectl logs -n shop checkout-7d9f8b-x2kq -c app --previous',
    ]);
    const oomAt = ls.indexOf('[WARNING] Container app was OOMKilled 2 times  (oom-killed)');
    const infoAt = ls.indexOf('[INFO] Node has no pressure  (node-ok)');
    expect(crashAt).toBeLessThan(oomAt);
    expect(oomAt).toBeLessThan(infoAt);
  });

  it('shows the pods of the owner as an aligned table', () => {
    const at = ls.indexOf('pods of Deployment checkout (2):');
    expect(at).toBeGreaterThan(0);
    expect(ls[at + 1]).toMatch(/^ {2}NAME\s+STATUS\s+READY\s+RESTARTS\s+NODE$/);
    expect(ls[at + 2]).toMatch(/^ {2}checkout-7d9f8b-x2kq\s+CrashLoopBackOff\s+0\/1\s+14\s+node-a$/);
    expect(ls[at + 3]).toMatch(/^ {2}checkout-7d9f8b-a1b2\s+Running\s+1\/1\s+0\s+-$/);
    expect(ls[at + 1]!.indexOf('STATUS')).toBe(ls[at + 2]!.indexOf('CrashLoopBackOff'));
  });

  it('says what could not be read and how much work it did', () => {
    expect(ls).toContain('could not read (checks that need these did not run):');
    expect(ls).toContain('  - node node-a: forbidden');
    expect(ls.at(-2)).toBe('7 API requests in 1.8 s');
    expect(out.endsWith('\n')).toBe(true);
  });

  it('uses no ANSI codes without colour, and colours tags with it', () => {
    expect(out).not.toContain('\u001b');
    const coloured = renderText(result, { color: true });
    expect(coloured).toContain('\u001b[1;31m[CRITICAL]\u001b[0m Container app is in CrashLoopBackOff');
    expect(coloured).toContain('\u001b[1;33m[WARNING]\u001b[0m');
  });

  it('says healthy when nothing is wrong', () => {
    expect(lines(renderText(diagnosed([]), { color: false }))[1]).toBe(
      'verdict:  HEALTHY  no problems found',
    );
    expect(lines(renderText(diagnosed([note]), { color: false }))[1]).toBe(
      'verdict:  HEALTHY  no problems found (1 note)',
    );
  });

  it('cannot be hijacked by escape sequences in log lines', () => {
    const hostile: Finding = {
      ...crashLoop,
      evidence: ['log: \u001b[2J\u001b[Hcleared\u0007 and \u202ereversed', 'multi\nline'],
    };
    const text = renderText(diagnosed([hostile]), { color: false });
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u202e');
    expect(lines(text)).toContain('    log: \\u001b[2J\\u001b[Hcleared\\u0007 and \\u202ereversed');
    expect(lines(text)).toContain('    multi');
    expect(lines(text)).toContain('    line');
  });

  it('lists ambiguous candidates with the command that picks each', () => {
    const text = renderText(
      {
        outcome: 'ambiguous',
        name: 'web-0',
        candidates: [
          { namespace: 'shop', name: 'web-0' },
          { namespace: 'shop-staging', name: 'web-0' },
        ],
      },
      { color: false, cluster: 'prod' },
    );
    expect(lines(text)).toEqual([
      'pod name web-0 matches pods in 2 namespaces on prod; pick one:',
      '  shop/web-0          poddebug diagnose web-0 -n shop',
      '  shop-staging/web-0  poddebug diagnose web-0 -n shop-staging',
      '',
    ]);
  });
});

describe('renderText causes', () => {
  const cause: Finding = {
    id: 'dns-failure',
    severity: 'critical',
    title: 'Container `web` cannot resolve `payments-api.payment.svc`',
    evidence: ['previous log: Error: getaddrinfo ENOTFOUND payments-api.payment.svc'],
    next: ['/poddebug netcheck web-1 -n shop payments-api.payment.svc'],
    causes: ['app-error'],
  };
  const effect: Finding = {
    id: 'app-error',
    severity: 'critical',
    title: 'Container `web` exited with code 1 (application error)',
    evidence: ['exit 1: general application error'],
    next: ['kubectl logs -n shop web-1 -c web --previous'],
    causedBy: ['dns-failure'],
  };

  it('puts the cause first, in the verdict too, and says "because" under the effect', () => {
    const out = lines(renderText(diagnosed([effect, cause]), { color: false }));
    expect(out.find((l) => l.startsWith('verdict:'))).toContain('cannot resolve');
    const causeAt = out.findIndex((l) => l.includes('(dns-failure)'));
    const effectAt = out.findIndex((l) => l.includes('(app-error)'));
    expect(causeAt).toBeGreaterThan(0);
    expect(effectAt).toBeGreaterThan(causeAt);
    expect(out[effectAt + 1]).toBe(`  because ${cause.title} (dns-failure)`);
  });
});
