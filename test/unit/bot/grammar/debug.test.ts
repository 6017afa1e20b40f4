import { describe, expect, it } from '@jest/globals';
import { DEBUG_USAGE } from '../../../../bot/grammar/debug.js';
import { type Command, helpText, parseCommand } from '../../../../bot/grammar/index.js';
import { ProbeSpecSchema } from '../../../../jobs/contracts/probe.js';

const ctx = { clusters: ['prod', 'staging'], defaultCluster: 'prod' };

function ok(text: string): Command {
  const r = parseCommand(text, ctx);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${r.error}`);
  return r.command;
}

function err(text: string): string {
  const r = parseCommand(text, ctx);
  if (r.ok)
    throw new Error(`expected ${JSON.stringify(text)} to be refused, got ${JSON.stringify(r.command)}`);
  return r.error;
}

describe('/poddebug debug', () => {
  it.each([
    [
      'debug web-0 -n shop -- cat /etc/resolv.conf',
      { action: 'debug', profile: 'general', image: 'default', argv: ['cat', '/etc/resolv.conf'] },
      {},
    ],
    [
      'debug pod/web-0 -n shop -c app --profile netadmin --image netshoot -- ip -s link show eth0',
      {
        action: 'debug',
        profile: 'netadmin',
        image: 'netshoot',
        argv: ['ip', '-s', 'link', 'show', 'eth0'],
      },
      { container: 'app' },
    ],
    [
      'debug web-0 -n shop --copy --keep 30m -- ls -la /app',
      {
        action: 'debug',
        profile: 'general',
        image: 'default',
        argv: ['ls', '-la', '/app'],
        copy: { keepSec: 1800 },
      },
      {},
    ],
    [
      'debug web-0 -n shop --copy -- sleep 1',
      { action: 'debug', profile: 'general', image: 'default', argv: ['sleep', '1'], copy: { keepSec: 900 } },
      {},
    ],
    [
      'debug web-0 -n shop --copy --keep 0 --profile SYSADMIN -- curl -sS payments:8080/healthz%2C2 -o/dev/null',
      {
        action: 'debug',
        profile: 'sysadmin',
        image: 'default',
        argv: ['curl', '-sS', 'payments:8080/healthz%2C2', '-o/dev/null'],
        copy: { keepSec: 0 },
      },
      {},
    ],
  ])('%s', (text, spec, extra) => {
    const c = ok(text);
    expect(c).toEqual({
      verb: 'probe',
      cluster: 'prod',
      target: { namespace: 'shop', pod: 'web-0', ...extra },
      spec,
    });
    expect(ProbeSpecSchema.parse((c as { spec: unknown }).spec)).toEqual(spec);
  });

  // Each malformed input: a clear message naming what is wrong and how to write it (the listener then queues
  // nothing and opens no form: it answers with the message; commands-refused tests the listener).
  it.each([
    ['debug', /Missing pod/],
    ['debug web-0 -- ls', /namespace with `-n NAMESPACE`/],
    ['debug web-0 -n shop', /command to run after `--`/],
    ['debug web-0 -n shop --', /command after `--` is empty/],
    ['debug web-0 -n shop ls -- ls', /one pod, then `--` and the command/],
    ['debug web-0 -n shop --profile legacy -- ls', /`legacy` is deprecated/],
    ['debug web-0 -n shop --profile root -- ls', /`--profile` is one of/],
    ['debug web-0 -n shop --image docker.io/evil:latest -- ls', /short name of an image the policy lists/],
    ['debug web-0 -n shop --keep 5m -- ls', /goes with `--copy`/],
    ['debug web-0 -n shop --copy --keep 2h -- ls', /`--keep` is at most/],
    ['debug web-0 -n shop --copy --keep soon -- ls', /`--keep` takes a duration/],
    ['debug web-0 -n shop -- sh -c "ls | wc"', /pipe/],
    ['debug web-0 -n shop -- cat /etc/passwd > /tmp/x', /redirect/],
    ['debug web-0 -n shop -- echo $HOME', /dollar sign/],
    ['debug web-0 -n shop -- ls; reboot', /semicolon/],
    ['debug web-0 -n shop -- ls /tmp/*', /wildcard/],
    ['debug web-0 -n shop -- sh -c "echo hi"', /quotes do not group words/],
    ['debug web-0 -n shop -- echo `id`', /backtick/i],
    ['debug deploy/web -n shop -- ls', /one pod, not a deploy/],
    ['debug web-0 -n Shop -- ls', /not a valid namespace/],
    ['debug web-0 -n shop -c App -- ls', /not a valid container name/],
    ['debug web-0 -n shop --cluster moon -- ls', /Unknown cluster `moon`/],
    ['debug web-0 -n shop --privileged -- ls', /Unknown option `--privileged`/],
    ['debug web-0 -n shop --profile -- ls', /needs a value|not another option/],
    [`debug web-0 -n shop -- ${'a '.repeat(33)}`, /at most 32/],
    [`debug web-0 -n shop -- echo ${'x'.repeat(257)}`, /too long/],
    ['debug web-0 -n shop -- ls\n-la', /one line/],
    ['debug web-0 -n shop -- l\u200bs', /invisible/],
  ])('refuses %j', (text, message) => {
    const e = err(text);
    expect(e).toMatch(message);
    expect(e.length).toBeLessThan(800);
  });

  it('help debug shows the full grammar, the profiles, the RBAC it needs and that ephemeral containers stay', () => {
    const h = helpText('debug');
    expect(h).toContain('--profile');
    for (const p of ['general', 'baseline', 'restricted', 'netadmin', 'sysadmin'])
      expect(h).toContain(`\`${p}\``);
    expect(h).toMatch(/cannot be removed/);
    expect(h).toMatch(/--copy/);
    // What the user's own RBAC must allow, where the SubjectAccessReview check is on.
    expect(h).toMatch(/`patch pods\/ephemeralcontainers`.*`--copy` needs `get pods` and `create pods`/);
    expect(ok('help debug')).toEqual({ verb: 'help', topic: 'debug' });
    expect(ok('debug --help')).toEqual({ verb: 'help', topic: 'debug' });
  });
});

describe('/poddebug connectivity', () => {
  it('parses hosts with and without ports, IPv6 in brackets, duplicates once', () => {
    expect(ok('connectivity web-0 -n shop payments.shop.svc:8080 10.0.0.7:5432 [fd00::1]:443 db db')).toEqual(
      {
        verb: 'probe',
        cluster: 'prod',
        target: { namespace: 'shop', pod: 'web-0' },
        spec: {
          action: 'connectivity',
          targets: [
            { host: 'payments.shop.svc', port: 8080 },
            { host: '10.0.0.7', port: 5432 },
            { host: 'fd00::1', port: 443 },
            { host: 'db' },
          ],
        },
      },
    );
  });

  it.each([
    ['connectivity web-0 -n shop', /at least one host/],
    ['connectivity web-0 -n shop -- db:5432', /`--` is not used by connectivity/],
    ['connectivity web-0 payments:80', /namespace/],
    ['connectivity web-0 -n shop db:99999', /not a port/],
    ['connectivity web-0 -n shop 0x7f.1:80', /hex address/],
    ['connectivity web-0 -n shop a b c d e f g h i', /at most 8 hosts/],
    ['connectivity web-0 -n shop db;ls', /semicolon/],
    ['connectivity web-0 -n shop --profile sysadmin db', /Unknown option `--profile`/],
  ])('refuses %j', (text, message) => {
    expect(err(text)).toMatch(message);
  });

  it('help connectivity names the node probe to use when a pod cannot take a debug container', () => {
    expect(helpText('connectivity')).toMatch(/netcheck/);
    expect(helpText()).toContain('/poddebug connectivity');
    expect(DEBUG_USAGE.connectivity).toContain('HOST[:PORT]');
  });
});
