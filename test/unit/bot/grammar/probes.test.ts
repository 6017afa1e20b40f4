import { describe, expect, it } from '@jest/globals';
import { parseDuration } from '../../../../bot/grammar/duration.js';
import { parseHostPort } from '../../../../bot/grammar/host-port.js';
import { type Command, helpText, parseCommand } from '../../../../bot/grammar/index.js';
import { parsePcapFilter } from '../../../../bot/grammar/pcap-filter.js';
import { PROBE_USAGE } from '../../../../bot/grammar/probes.js';
import {
  PROBE_ACTIONS,
  PROBE_LIMITS,
  type ProbeAction,
  type ProbeSpec,
  ProbeSpecSchema,
  ProbeTargetSchema,
} from '../../../../jobs/contracts/probe.js';

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

const pod = { namespace: 'shop', pod: 'web-0' };
const probe = (spec: ProbeSpec, extra: Partial<{ cluster: string; container: string }> = {}): Command => ({
  verb: 'probe',
  cluster: extra.cluster ?? 'prod',
  target: extra.container ? { ...pod, container: extra.container } : pod,
  spec,
});
const strace = (o: Partial<Extract<ProbeSpec, { action: 'strace' }>> = {}): ProbeSpec => ({
  action: 'strace',
  durationSec: 30,
  full: false,
  failedOnly: false,
  ...o,
});

describe('probe commands: valid forms give the exact ProbeSpec', () => {
  const cases: Array<[string, Command]> = [
    // strace
    ['strace web-0 -n shop', probe(strace())],
    ['STRACE web-0 --namespace shop', probe(strace())],
    [
      'strace -n shop web-0 -c app --cluster staging',
      probe(strace(), { cluster: 'staging', container: 'app' }),
    ],
    ['strace pod/web-0 -n shop', probe(strace())],
    ['strace po/web-0 -n=shop', probe(strace())],
    ['strace web-0 -n shop --duration 90s', probe(strace({ durationSec: 90 }))],
    ['strace web-0 -n shop --duration 2m', probe(strace({ durationSec: 120 }))],
    ['strace web-0 -n shop --duration 1m30s', probe(strace({ durationSec: 90 }))],
    ['strace web-0 -n shop --duration 45', probe(strace({ durationSec: 45 }))],
    ['strace web-0 -n shop --duration=1s', probe(strace({ durationSec: 1 }))],
    ['strace web-0 -n shop --duration 120', probe(strace({ durationSec: 120 }))],
    ['strace web-0 -n shop --duration 10S', probe(strace({ durationSec: 10 }))],
    ['strace web-0 -n shop --full', probe(strace({ full: true }))],
    ['strace web-0 -n shop --failed-only', probe(strace({ failedOnly: true }))],
    // data buffers only when asked, with or without the trace file; absent (not false) otherwise
    ['strace web-0 -n shop --data', probe(strace({ data: true }))],
    ['strace web-0 -n shop --full --data', probe(strace({ full: true, data: true }))],
    [
      'strace web-0 -n shop --data --trace network --full',
      probe(strace({ full: true, data: true, trace: 'network' })),
    ],
    ...(['file', 'network', 'process', 'desc'] as const).map((t): [string, Command] => [
      `strace web-0 -n shop --trace ${t}`,
      probe(strace({ trace: t })),
    ]),
    ['strace web-0 -n shop --trace=Network', probe(strace({ trace: 'network' }))],
    [
      'strace web-0 -n shop --duration 20s --full --trace file --failed-only -c app',
      probe(strace({ durationSec: 20, full: true, trace: 'file', failedOnly: true }), { container: 'app' }),
    ],
    // macOS smart punctuation: em dash and curly quotes
    ['strace web-0 \u2014namespace \u201cshop\u201d \u2014full', probe(strace({ full: true }))],
    // mem
    ['mem web-0 -n shop', probe({ action: 'mem' })],
    ['mem web-0 -n shop --watch', probe({ action: 'mem', watchSec: PROBE_LIMITS.defaultWatchSec })],
    ['mem --watch web-0 -n shop', probe({ action: 'mem', watchSec: 60 })],
    ['mem web-0 --watch -n shop', probe({ action: 'mem', watchSec: 60 })],
    ['mem web-0 -n shop --watch 2m', probe({ action: 'mem', watchSec: 120 })],
    ['mem web-0 -n shop --watch=5', probe({ action: 'mem', watchSec: 5 })],
    ['mem web-0 -n shop --watch 10m', probe({ action: 'mem', watchSec: 600 })],
    // ps, fds
    ['ps web-0 -n shop', probe({ action: 'ps' })],
    ['ps web-0 -n shop -c sidecar', probe({ action: 'ps' }, { container: 'sidecar' })],
    ['fds web-0 -n shop', probe({ action: 'fds' })],
    ['fds web-0 -n shop --cluster staging', probe({ action: 'fds' }, { cluster: 'staging' })],
    // netcheck
    ['netcheck web-0 -n shop', probe({ action: 'netcheck', targets: [] })],
    [
      'netcheck web-0 -n shop payments.shop.svc:8080 10.0.0.7:5432 db',
      probe({
        action: 'netcheck',
        targets: [
          { host: 'payments.shop.svc', port: 8080 },
          { host: '10.0.0.7', port: 5432 },
          { host: 'db' },
        ],
      }),
    ],
    [
      'netcheck web-0 -n shop [::1]:443 [fd00::1] 2001:db8::7',
      probe({
        action: 'netcheck',
        targets: [{ host: '::1', port: 443 }, { host: 'fd00::1' }, { host: '2001:db8::7' }],
      }),
    ],
    // host names are case-insensitive: normalised to lower case; duplicates dropped
    [
      'netcheck web-0 -n shop API.Example.com:443 api.example.com:443',
      probe({ action: 'netcheck', targets: [{ host: 'api.example.com', port: 443 }] }),
    ],
    // Slack auto-links dotted names, also with a port
    [
      'netcheck web-0 -n shop <http://api.example.com:443|api.example.com:443>',
      probe({ action: 'netcheck', targets: [{ host: 'api.example.com', port: 443 }] }),
    ],
    [
      `netcheck web-0 -n shop ${Array.from({ length: 8 }, (_, i) => `h${i}`).join(' ')}`,
      probe({ action: 'netcheck', targets: Array.from({ length: 8 }, (_, i) => ({ host: `h${i}` })) }),
    ],
    // tcpdump
    ['tcpdump web-0 -n shop', probe({ action: 'tcpdump', durationSec: 30, filter: [] })],
    ['tcpdump web-0 -n shop --duration 10s', probe({ action: 'tcpdump', durationSec: 10, filter: [] })],
    [
      'tcpdump web-0 -n shop --filter tcp port 443',
      probe({ action: 'tcpdump', durationSec: 30, filter: ['tcp', 'port', '443'] }),
    ],
    [
      'tcpdump web-0 -n shop --duration 1m --filter host 10.0.0.1 and not port 22',
      probe({
        action: 'tcpdump',
        durationSec: 60,
        filter: ['host', '10.0.0.1', 'and', 'not', 'port', '22'],
      }),
    ],
    // a quoted filter may be followed by options
    [
      'tcpdump web-0 --filter "udp port 53 or tcp port 53" -n shop --duration 5',
      probe({ action: 'tcpdump', durationSec: 5, filter: ['udp', 'port', '53', 'or', 'tcp', 'port', '53'] }),
    ],
    [
      "tcpdump web-0 -n shop --filter='src net 10.0.0.0/8'",
      probe({ action: 'tcpdump', durationSec: 30, filter: ['src', 'net', '10.0.0.0/8'] }),
    ],
    // Slack sends && as &amp;&amp;; !, || and touching parentheses are normalised
    [
      'tcpdump web-0 -n shop --filter (host db.shop.svc || src or dst port 5432) &amp;&amp; !icmp',
      probe({
        action: 'tcpdump',
        durationSec: 30,
        filter: [
          '(',
          'host',
          'db.shop.svc',
          'or',
          'src',
          'or',
          'dst',
          'port',
          '5432',
          ')',
          'and',
          'not',
          'icmp',
        ],
      }),
    ],
    [
      'tcpdump web-0 -n shop --filter ip6 and dst host FD00::1 or portrange 8000-8080',
      probe({
        action: 'tcpdump',
        durationSec: 30,
        filter: ['ip6', 'and', 'dst', 'host', 'fd00::1', 'or', 'portrange', '8000-8080'],
      }),
    ],
    // curly quotes around the filter (macOS)
    [
      'tcpdump web-0 -n shop --filter \u201carp\u201d',
      probe({ action: 'tcpdump', durationSec: 30, filter: ['arp'] }),
    ],
  ];

  it.each(cases)('%j', (text, expected) => {
    const command = ok(text);
    expect(command).toEqual(expected);
    // The contract agrees with the grammar.
    if (command.verb === 'probe') {
      expect(ProbeSpecSchema.parse(command.spec)).toEqual(command.spec);
      expect(ProbeTargetSchema.parse(command.target)).toEqual(command.target);
    }
  });

  it('covers every probe action', () => {
    const actions = new Set(
      cases.map(([, c]) => (c.verb === 'probe' ? c.spec.action : undefined)).filter(Boolean),
    );
    expect([...actions].sort()).toEqual([...PROBE_ACTIONS].sort());
  });

  it('never lets a filter token start with "-", and every token is a separate word', () => {
    for (const [, c] of cases) {
      if (c.verb !== 'probe' || c.spec.action !== 'tcpdump') continue;
      for (const t of c.spec.filter) {
        expect(t.startsWith('-')).toBe(false);
        expect(t).not.toMatch(/\s/);
      }
    }
  });
});

describe('probe commands: refused input names the problem and ends with the verb usage', () => {
  const cases: Array<[ProbeAction, string, RegExp]> = [
    ['strace', 'strace', /Missing pod/],
    ['strace', 'strace web-0', /Say which namespace with `-n NAMESPACE`.*never guesses/],
    ['ps', 'ps web-0 -c app', /Say which namespace/],
    [
      'strace',
      'strace deploy/checkout -n shop',
      /Probes target one pod.*`\/poddebug diagnose deploy\/checkout -n shop`/,
    ],
    ['mem', 'mem deploy/checkout', /run `\/poddebug diagnose deploy\/checkout -n NS` to find the pod/],
    ['fds', 'fds statefulset/pg -n db', /`\/poddebug diagnose sts\/pg -n db`/],
    ['netcheck', 'netcheck job/migrate -n shop', /`\/poddebug diagnose job\/migrate -n shop`/],
    ['ps', 'ps shop/web-0', /`shop\/web-0` is not a pod name.*if `shop` is a namespace, use `-n shop`/],
    ['ps', 'ps web-0 other -n shop', /ps takes one pod, but got 2 words \(`web-0`, `other`\)/],
    ['ps', 'ps Web-0 -n shop', /`Web-0` is not a valid pod name: it has uppercase/],
    ['ps', 'ps web-0 -n Shop', /`Shop` is not a valid namespace/],
    ['fds', 'fds web-0 -n shop -c App', /`App` is not a valid container name/],
    ['ps', 'ps web-0 -n shop --cluster qa', /Unknown cluster `qa`/],
    ['ps', 'ps web-0 -n shop -n prod', /`-n` is given twice/],
    ['ps', 'ps web-0 -n shop --duration 30s', /Unknown option `--duration`: ps takes `-n`\/`--namespace`/],
    ['mem', 'mem web-0 -n shop --full', /Unknown option `--full`: mem takes .*`--watch`/],
    [
      'strace',
      'strace web-0 -n shop -duration 30s',
      /`-duration` has one dash: long options take two, `--duration`/,
    ],
    ['strace', 'strace web-0 -n shop --full=yes', /`--full` takes no value/],
    ['strace', 'strace web-0 -n shop --data=yes', /`--data` takes no value/],
    ['strace', 'strace web-0 -n shop --data --data', /`--data` is given twice/],
    ['strace', 'strace web-0 -n shop -data', /`-data` has one dash: long options take two, `--data`/],
    ['strace', 'strace web-0 -n shop --datas', /Unknown option `--datas`: strace takes .*`--data`/],
    ['mem', 'mem web-0 -n shop --data', /Unknown option `--data`: mem takes .*`--watch`/],
    ['tcpdump', 'tcpdump web-0 -n shop --data', /Unknown option `--data`: tcpdump takes/],
    ['strace', 'strace web-0 -n shop --duration', /`--duration` needs a value, e.g. `--duration 30s`/],
    ['strace', 'strace web-0 -n shop --duration 0', /`--duration` is at least 1 s: `0` is too short/],
    [
      'strace',
      'strace web-0 -n shop --duration 121',
      /`--duration` is at most 120 s \(2m\): `121` is too long/,
    ],
    ['strace', 'strace web-0 -n shop --duration 3m', /at most 120 s/],
    ['strace', 'strace web-0 -n shop --duration 1h', /at most 120 s/],
    ['strace', 'strace web-0 -n shop --duration 1.5m', /takes whole seconds, not `1\.5m`/],
    ['strace', 'strace web-0 -n shop --duration 500ms', /takes a duration, not `500ms`: e\.g\. `30s`/],
    ['strace', 'strace web-0 -n shop --duration=-5', /cannot be negative \(`-5`\)/],
    [
      'strace',
      'strace web-0 -n shop --trace all',
      /`--trace` takes a class, not `all`: one of `file`, `network`/,
    ],
    ['strace', 'strace web-0 -n shop --trace file,network', /`--trace` takes one class/],
    ['strace', 'strace web-0 -n shop --trace', /`--trace` needs a value, e.g. `--trace file`/],
    ['mem', 'mem web-0 -n shop --watch 4', /`--watch` is at least 5 s: `4` is too short/],
    ['mem', 'mem web-0 -n shop --watch 601', /`--watch` is at most 600 s \(10m\)/],
    ['mem', 'mem web-0 -n shop --watch -5', /`--watch` cannot be negative/],
    ['mem', 'mem web-0 -n shop --watch 1.5', /whole seconds/],
    ['netcheck', 'netcheck web-0 -n shop a:0', /`0` is not a port: ports are 1 to 65535/],
    ['netcheck', 'netcheck web-0 -n shop a:65536', /`65536` is not a port/],
    ['netcheck', 'netcheck web-0 -n shop a:', /`a:` has no port after the ':'/],
    ['netcheck', 'netcheck web-0 -n shop :443', /has no host before the ':'/],
    ['netcheck', 'netcheck web-0 -n shop a:b:c', /put an IPv6 address in brackets/],
    ['netcheck', 'netcheck web-0 -n shop [10.0.0.1]:80', /only an IPv6 address goes in brackets/],
    ['netcheck', 'netcheck web-0 -n shop 1.2.3:80', /`1\.2\.3` is not a valid IPv4 address/],
    ['netcheck', 'netcheck web-0 -n shop 300.1.1.1', /not a valid IPv4 address/],
    ['netcheck', 'netcheck web-0 -n shop bad_host', /`bad_host` is not a host name/],
    [
      'netcheck',
      `netcheck web-0 -n shop ${Array.from({ length: 9 }, (_, i) => `h${i}`).join(' ')}`,
      /at most 8 hosts at once \(9 given\)/,
    ],
    ['tcpdump', 'tcpdump web-0 -n shop --filter', /`--filter` needs an expression/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter "host a', /opening quote is never closed/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter "host a"x', /space after the filter's closing quote/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter "host a" --filter port 1', /`--filter` is given twice/],
    ['tcpdump', 'tcpdump web-0 --filter host a -n shop', /`-n` is an option, not part of a filter/],
    [
      'tcpdump',
      'tcpdump web-0 -n shop --filter port 80 port 81',
      /`port` must be joined .* with `and` or `or`/,
    ],
    ['tcpdump', 'tcpdump web-0 -n shop --filter host', /the filter ends too early|`host` needs a value/],
    [
      'tcpdump',
      'tcpdump web-0 -n shop --filter host and',
      /`host` needs an IP address or host name, not `and`/,
    ],
    ['tcpdump', 'tcpdump web-0 -n shop --filter port http', /`port` needs a port number.*not `http`/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter portrange 90-80', /`90-80` runs backwards: write `80-90`/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter net 10.0.0.1/8', /has host bits set: write `10\.0\.0\.0\/8`/],
    [
      'tcpdump',
      'tcpdump web-0 -n shop --filter net 10.0.0.0',
      /`net` needs a prefix length: `10\.0\.0\.0\/24`/,
    ],
    ['tcpdump', 'tcpdump web-0 -n shop --filter net 10.0.0.0/33', /an IPv4 prefix is at most \/32/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter net fd00::1/64', /host bits set below \/64/],
    [
      'tcpdump',
      'tcpdump web-0 -n shop --filter tcp host a',
      /`host` cannot follow `tcp`: write `tcp and host …`/,
    ],
    ['tcpdump', 'tcpdump web-0 -n shop --filter ip port 80', /`port` goes with `tcp` or `udp`/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter icmp port 1', /`icmp` stands alone/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter ip6 host 10.0.0.1', /is IPv4: use `ip`, not `ip6`/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter ip host ::1', /is IPv6: use `ip6`/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter src port', /`port` needs a value/],
    [
      'tcpdump',
      'tcpdump web-0 -n shop --filter src or host a',
      /`src` must be followed by `host`, `net`, `port` or `portrange`/,
    ],
    ['tcpdump', 'tcpdump web-0 -n shop --filter (port 80', /a `\(` is not closed/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter port 80)', /`\)` has no matching `\(`/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter ()', /`\)` where a primitive was expected/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter and port 1', /`and` where a primitive was expected/],
    ['tcpdump', 'tcpdump web-0 -n shop --filter not', /ends where a primitive was expected after `not`/],
    [
      'tcpdump',
      'tcpdump web-0 -n shop --filter host a &amp; host b',
      /`&amp;` alone is not a filter operator: use `and`/,
    ],
    [
      'tcpdump',
      'tcpdump web-0 -n shop --filter host a | host b',
      /`\|` alone is not a filter operator: use `or`/,
    ],
    ['tcpdump', 'tcpdump web-0 -n shop --filter less 100', /`less` is not a filter primitive/],
    [
      'tcpdump',
      'tcpdump web-0 -n shop --filter host less',
      /`host` needs an IP address or host name, not `less`/,
    ],
    [
      'tcpdump',
      `tcpdump web-0 -n shop --filter ${'('.repeat(11)}port 1${')'.repeat(11)}`,
      /nested too deeply/,
    ],
    [
      'tcpdump',
      `tcpdump web-0 -n shop --filter ${Array.from({ length: 21 }, () => 'tcp').join(' or ')}`,
      /too many words \(41; at most 40\)/,
    ],
    [
      'tcpdump',
      `tcpdump web-0 -n shop --filter host ${'a'.repeat(65)}`,
      /too long for a filter \(65 characters; at most 64\)/,
    ],
    [
      'tcpdump',
      `tcpdump web-0 -n shop --filter ${'port 1 or '.repeat(20)}port 2`,
      /the filter is too long \(206 characters; at most 200\)/,
    ],
    [
      'tcpdump',
      'tcpdump web-0 -n shop --filter host a --duration 5',
      /`--duration` is an option, not part of a filter/,
    ],
  ];

  it.each(cases)('%s: %j', (verb, text, expected) => {
    const message = err(text);
    expect(message).toMatch(expected);
    expect(message.endsWith(PROBE_USAGE[verb])).toBe(true);
    expect(message.length).toBeLessThan(600);
    expect(message).not.toContain('\n');
  });

  it('the filter error shows the accepted forms', () => {
    expect(err('tcpdump web-0 -n shop --filter proto 6')).toMatch(
      /Accepted: .*host IP\|NAME.*net CIDR.*port N.*portrange N-M.*tcp.*and.*or.*not/,
    );
  });
});

describe('parseDuration', () => {
  const b = { min: 1, max: 120 };
  it.each([
    ['1', 1],
    ['30s', 30],
    ['2m', 120],
    ['1m30s', 90],
    ['0m45s', 45],
    ['120', 120],
    ['007', 7],
  ])('%s → %d s', (text, sec) => {
    expect(parseDuration(text, '--duration', b)).toEqual({ ok: true, seconds: sec });
  });
  it.each([
    '',
    '0',
    '0s',
    '-1',
    '+5',
    '1.5',
    '.5s',
    '1e3',
    '1e309',
    'Infinity',
    'NaN',
    '30 s',
    's',
    'm',
    '1s1m',
    '99999999999s',
    '9'.repeat(17),
    '0x10',
  ])('refuses %j', (text) => {
    const r = parseDuration(text, '--duration', b);
    expect(r.ok).toBe(false);
  });
});

describe('parseHostPort', () => {
  it.each([
    ['db', { host: 'db' }],
    ['DB.shop.svc.cluster.local.', { host: 'db.shop.svc.cluster.local.' }],
    ['10.0.0.1:5432', { host: '10.0.0.1', port: 5432 }],
    ['[::1]:443', { host: '::1', port: 443 }],
    ['[::ffff:10.0.0.1]', { host: '::ffff:10.0.0.1' }],
    ['fe80::1', { host: 'fe80::1' }],
    ['a:65535', { host: 'a', port: 65535 }],
  ])('%s', (text, value) => {
    expect(parseHostPort(text)).toEqual({ ok: true, value });
  });
  it.each([
    '-x',
    '--',
    'a:0',
    'a:01',
    'a:-1',
    '[::1',
    '::1]',
    '[::g]',
    'a..b',
    '.a',
    'a_b',
    '1.2.3.4.5',
    'a/b',
    '[]',
    '[::1]:',
    '256.0.0.1',
    `${'a'.repeat(64)}.b`,
  ])('refuses %j', (text) => {
    expect(parseHostPort(text).ok).toBe(false);
  });
});

describe('parsePcapFilter', () => {
  it.each([
    ['tcp', ['tcp']],
    ['TCP PORT 80', ['tcp', 'port', '80']],
    ['udp dst port 53', ['udp', 'dst', 'port', '53']],
    ['src or dst host a.b', ['src', 'or', 'dst', 'host', 'a.b']],
    ['ip src net 10.0.0.0/8', ['ip', 'src', 'net', '10.0.0.0/8']],
    ['arp net 192.168.0.0/16', ['arp', 'net', '192.168.0.0/16']],
    ['net fd00::/8', ['net', 'fd00::/8']],
    ['net 0.0.0.0/0', ['net', '0.0.0.0/0']],
    ['not not icmp6', ['not', 'not', 'icmp6']],
    ['!(tcp||udp)', ['not', '(', 'tcp', 'or', 'udp', ')']],
    [
      '(host a and (port 1 or port 2))',
      ['(', 'host', 'a', 'and', '(', 'port', '1', 'or', 'port', '2', ')', ')'],
    ],
    ['portrange 1-65535', ['portrange', '1-65535']],
    ['host ::ffff:10.0.0.1', ['host', '::ffff:10.0.0.1']],
  ])('%j', (text, tokens) => {
    expect(parsePcapFilter(text)).toEqual({ ok: true, tokens });
  });

  it.each([
    '-w /tmp/x',
    'host -x',
    'host a -z sh',
    'host a; id',
    'host "a"',
    'ether host aa:bb:cc:dd:ee:ff',
    'host a or b',
    'port 0',
    'port 65536',
    'portrange 1-',
    'net 10/8',
    'net 10.0.0.0 mask 255.0.0.0',
    'net fd00::/129',
    'tcp[13] & 2 != 0',
    'greater 100',
    'len > 100',
    '',
    '   ',
  ])('refuses %j', (text) => {
    const r = parsePcapFilter(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/^Filter: .*Accepted: /);
  });
});

describe('help for probes', () => {
  it.each(PROBE_ACTIONS.map((a) => [a]))('help %s and %s --help give the topic', (action) => {
    expect(ok(`help ${action}`)).toEqual({ verb: 'help', topic: action });
    expect(ok(`${action} --help`)).toEqual({ verb: 'help', topic: action });
    expect(ok(`${action} -h`)).toEqual({ verb: 'help', topic: action });
  });

  it.each(PROBE_ACTIONS.map((a) => [a]))('helpText(%s) gives the form, options and an example', (action) => {
    const text = helpText(action);
    expect(text).toContain(`/poddebug ${action} POD -n NAMESPACE`);
    expect(text).toContain('--namespace');
    expect(text).toContain('--cluster');
    expect(text).toMatch(/Example/);
    expect(text).toMatch(/Privileged/);
    expect(text).not.toMatch(/[<>]/);
  });

  it('warns about the overhead of strace', () => {
    expect(helpText('strace')).toMatch(/Overhead:.*slows the traced process/);
  });

  it('explains each probe option', () => {
    expect(helpText('strace')).toMatch(/--duration.*--full.*--data.*--trace.*--failed-only/s);
    expect(helpText('strace')).toMatch(/--data`: also print the first 128 bytes of every data buffer/);
    expect(helpText('strace')).toMatch(
      /without it the trace shows calls, file paths, addresses, sizes and errors but no data/,
    );
    expect(helpText('mem')).toMatch(/--watch/);
    expect(helpText('netcheck')).toMatch(/HOST\[:PORT\]/);
    expect(helpText('tcpdump')).toMatch(/--filter EXPR.*portrange/);
    expect(helpText('strace')).toMatch(/bare number of seconds/);
  });

  it('the overview lists every probe with one line', () => {
    const text = helpText();
    for (const action of PROBE_ACTIONS) expect(text).toMatch(new RegExp(`• \`/poddebug ${action}\`: \\S`));
  });
});
