import { describe, expect, it } from '@jest/globals';
import { type Command, MAX_COMMAND_LENGTH, parseCommand } from '../../../bot/grammar/index.js';
import { PROBE_USAGE } from '../../../bot/grammar/probes.js';
import {
  PROBE_ACTIONS,
  PROBE_LIMITS,
  type ProbeAction,
  type ProbeSpec,
  ProbeSpecSchema,
} from '../../../jobs/contracts/probe.js';

/**
 * Hostile input against every probe verb: shell metacharacters, option
 * injection, `--` tricks, oversized values, unicode look-alikes, Slack markup,
 * URL encoding and `..` paths. Every row is refused (parse → ok: false, so
 * nothing is queued and nothing runs) with a message that names the problem,
 * echoes no raw control or invisible character, and ends with the usage line.
 */

const ctx = { clusters: ['prod', 'staging'], defaultCluster: 'prod' };

/** Characters that must never come back raw in a message. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of the test
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/;

const fullwidth = (s: string) =>
  [...s].map((c) => (/[!-~]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('');

type Row = {
  label: string;
  text: string;
  names: RegExp;
  /** The verb whose usage line ends the message; undefined: the verb itself is unreadable. */
  usageOf?: ProbeAction;
};

/** Rows that apply to every probe verb. */
function genericRows(v: ProbeAction): Row[] {
  const rows: Array<[string, string, RegExp]> = [
    // shell metacharacters
    ['semicolon', `${v} web-0 -n shop; reboot`, /`;` \(semicolon\) is not allowed/],
    ['semicolon glued', `${v} web-0;id -n shop`, /`;` \(semicolon\)/],
    ['pipe', `${v} web-0 -n shop | sh`, /`\|` \(pipe\) is not allowed/],
    ['&& as Slack sends it', `${v} web-0 -n shop &amp;&amp; reboot`, /`&amp;` \(ampersand\) is not allowed/],
    ['background &', `${v} web-0 -n shop &amp;`, /`&amp;` \(ampersand\)/],
    ['backticks', `${v} \`id\` -n shop`, /A backtick is not allowed/],
    ['$(…)', `${v} $(id) -n shop`, /`\$` \(dollar sign\) is not allowed/],
    ['parameter expansion', `${v} web-0 -n \${NS}`, /`\$` \(dollar sign\)/],
    ['redirect >', `${v} web-0 -n shop &gt; /etc/passwd`, /`&gt;` \(redirect\) is not allowed/],
    ['redirect <', `${v} web-0 -n shop &lt; /etc/passwd`, /`&lt;` \(redirect\) is not allowed/],
    ['backslash', `${v} web\\-0 -n shop`, /`\\` \(backslash\)/],
    ['glob', `${v} web-* -n shop`, /`\*` \(wildcard\)/],
    ['question mark glob', `${v} web-? -n shop`, /`\?` \(wildcard\)/],
    ['brace expansion', `${v} web-{0..9} -n shop`, /`\{` \(brace\)/],
    ['tilde', `${v} ~root -n shop`, /`~` \(tilde\)/],
    ['comment', `${v} web-0 -n shop #--full`, /`#` \(hash\)/],
    ['newline', `${v} web-0 -n shop\nrm -rf /`, /one line.*line break \(`\\u000a`\)/],
    ['carriage return', `${v} web-0 -n shop\r--cluster staging`, /one line.*line break \(`\\u000d`\)/],
    ['NUL', `${v} web\u00000 -n shop`, /control character \(`\\u0000`\)/],
    ['ESC sequence', `${v} web-0 -n shop \u001b[2J`, /control character \(`\\u001b`\)/],
    ['DEL', `${v} web-0\u007f -n shop`, /control character \(`\\u007f`\)/],
    ['C1 control', `${v} web-0\u009b -n shop`, /control character \(`\\u009b`\)/],
    // option injection in values
    [
      '-c -o/etc/x',
      `${v} web-0 -n shop -c -o/etc/x`,
      /`-c` needs a value, not another option \(`-o\/etc\/x`\)/,
    ],
    [
      '--container=-o…',
      `${v} web-0 -n shop --container=-oProxyCommand`,
      /`-oProxyCommand` is not a valid container name/,
    ],
    [
      '-n=--all',
      `${v} web-0 -n=--all`,
      /`--all` is not a valid namespace: it must start with a letter or digit/,
    ],
    ['-n --all', `${v} web-0 -n --all`, /`-n` needs a value, not another option \(`--all`\)/],
    ['-n -x', `${v} web-0 -n -x`, /`-n` needs a value, not another option \(`-x`\)/],
    ['unknown -o', `${v} web-0 -n shop -o /tmp/x`, /Unknown option `-o`/],
    ['unknown --output=', `${v} web-0 -n shop --output=/tmp/x`, /Unknown option `--output`/],
    ['unknown --privileged', `${v} web-0 -n shop --privileged`, /Unknown option `--privileged`/],
    ['pod that is an option', `${v} -web-0 -n shop`, /Unknown option `-w`/],
    ['--cluster=-x', `${v} web-0 -n shop --cluster=-x`, /Unknown cluster `-x`/],
    ['triple dash', `${v} web-0 ---namespace shop`, /Unknown option `---namespace`/],
    [
      'option given twice',
      `${v} web-0 -n shop --namespace kube-system`,
      /given twice.*`-n` and `--namespace`/,
    ],
    // -- tricks
    [
      '-- then an option-like word',
      `${v} web-0 -n shop -- -oProxyCommand`,
      /`--` is not accepted in a probe command/,
    ],
    ['-- before the pod', `${v} -n shop -- web-0`, /`--` is not accepted/],
    ['-- then an option', `${v} web-0 -n shop -- --privileged`, /`--` is not accepted/],
    ['em dash as --', `${v} web-0 -n shop \u2014 -x`, /`--` is not accepted/],
    // oversized values
    [
      '10k-character pod',
      `${v} ${'a'.repeat(10_000)} -n shop`,
      new RegExp(`too long \\(${10_009 + v.length} characters; at most ${MAX_COMMAND_LENGTH}\\)`),
    ],
    [
      '254-character pod',
      `${v} ${'a'.repeat(254)} -n s`,
      /too long for a pod name \(254 characters; at most 253\)/,
    ],
    [
      '64-character namespace',
      `${v} web-0 -n ${'n'.repeat(64)}`,
      /too long for a namespace \(64 characters; at most 63\)/,
    ],
    ['64-character container', `${v} web-0 -n shop -c ${'c'.repeat(64)}`, /too long for a container name/],
    // unicode look-alikes
    [
      'fullwidth pod',
      `${v} ${fullwidth('web')}-0 -n shop`,
      /non-ASCII character \(`\\uff57`\) that looks like `w`/,
    ],
    [
      'Cyrillic а in the pod',
      `${v} p\u0430yments -n shop`,
      /non-ASCII character \(`\\u0430`\) that looks like `a`.*look-alike/,
    ],
    ['Cyrillic о in the namespace', `${v} web-0 -n sh\u043ep`, /`\\u043e`\) that looks like `o`/],
    ['Greek ο in the container', `${v} web-0 -n shop -c app-\u03bf`, /`\\u03bf`/],
    ['U+2212 minus as -n', `${v} web-0 \u2212n shop`, /`\\u2212`\) that looks like `-`/],
    ['U+2010 hyphen in the pod', `${v} web\u20100 -n shop`, /`\\u2010`\) that looks like `-`/],
    [
      'U+2013 en dash as --cluster',
      `${v} web-0 -n shop \u2013cluster staging`,
      /`-cluster` has one dash: long options take two, `--cluster`/,
    ],
    ['zero-width joiner', `${v} web\u200d-0 -n shop`, /invisible formatting character \(`\\u200d`/],
    ['zero-width space', `${v} web-0 -n sh\u200bop`, /invisible formatting character \(`\\u200b`/],
    ['RTL override', `${v} web-0 -n \u202epohs`, /invisible formatting character \(`\\u202e`/],
    ['bidi isolate', `${v} web-0 -n shop\u2066`, /\\u2066/],
    ['byte order mark', `\ufeff${v} web-0 -n shop`, /invisible formatting character \(`\\ufeff`/],
    ['line separator', `${v} web-0\u2028-n shop`, /\\u2028/],
    [
      'fullwidth space is a space, fullwidth letters are not',
      `${v}\u3000web-0 -n ${fullwidth('shop')}`,
      /`\\uff53`\) that looks like `s`/,
    ],
    // Slack markup
    ['link with another label', `${v} <http://evil.example/x|web-0> -n shop`, /Links are not allowed/],
    ['user mention', `${v} <@U123> -n shop`, /A user mention is not a pod name/],
    ['@here', `${v} web-0 -n shop <!here>`, /Special mentions/],
    ['channel link', `${v} <#C123|general> -n shop`, /A channel link is not a pod name/],
    ['mailto', `${v} <mailto:a@b.io|a@b.io> -n shop`, /An email address is not a pod name/],
    ['escaped <', `${v} web-0 -n shop&lt;x`, /`&lt;` \(redirect\)/],
    ['escaped &', `${v} web-0 -n shop&amp;x`, /`&amp;` \(ampersand\)/],
    // percent / URL encoding
    ['percent-encoded dash', `${v} web%2D0 -n shop`, /`%` \(percent sign\) is not allowed/],
    ['percent-encoded newline', `${v} web-0 -n shop%0A--full`, /`%` \(percent sign\)/],
    ['percent-encoded option', `${v} web-0 -n shop %2D%2Dprivileged`, /`%` \(percent sign\)/],
    ['at sign', `${v} web-0@shop -n shop`, /`@` \(at sign\)/],
    // .. paths
    [
      '.. as the pod',
      `${v} .. -n shop`,
      /`\.\.` is not a valid pod name: it must start with a letter or digit/,
    ],
    ['../ path as the pod', `${v} ../../etc/passwd -n shop`, /`\.\.\/\.\.\/etc\/passwd` is not a pod name/],
    ['absolute path as the pod', `${v} /etc/passwd -n shop`, /`\/etc\/passwd` is not a pod name/],
    ['.. inside the pod', `${v} a..b -n shop`, /`a\.\.b` is not a valid pod name: '\.\.' is not allowed/],
    ['.. as the namespace', `${v} web-0 -n ..`, /`\.\.` is not a valid namespace/],
    ['.. as the container', `${v} web-0 -n shop -c ..`, /`\.\.` is not a valid container name/],
    [
      'namespace/pod',
      `${v} kube-system/etcd-0`,
      /is not a pod name.*if `kube-system` is a namespace, use `-n kube-system`/,
    ],
    // not a pod
    [
      'owner instead of a pod',
      `${v} deploy/checkout -n shop`,
      /Probes target one pod.*`\/poddebug diagnose deploy\/checkout -n shop` to find the pod/,
    ],
    ['no namespace', `${v} web-0`, /Say which namespace with `-n NAMESPACE`/],
    ['empty namespace', `${v} web-0 -n ""`, /The namespace is empty/],
  ];
  return rows.map(([label, text, names]) => ({ label: `${v}: ${label}`, text, names, usageOf: v }));
}

const VERB_ROWS: Row[] = [
  // strace
  ...(
    [
      [
        '--duration -1',
        'strace web-0 -n shop --duration -1',
        /`--duration` takes a positive value, not `-1`/,
      ],
      ['--duration=-1', 'strace web-0 -n shop --duration=-1', /`--duration` cannot be negative \(`-1`\)/],
      [
        '--duration 99999999999s',
        'strace web-0 -n shop --duration 99999999999s',
        /`--duration` is at most 120 s \(2m\): `99999999999s` is too long/,
      ],
      [
        '--duration 1e309',
        'strace web-0 -n shop --duration 1e309',
        /`--duration` takes a duration, not `1e309`/,
      ],
      ['--duration Infinity', 'strace web-0 -n shop --duration Infinity', /takes a duration, not `Infinity`/],
      ['--duration 0x10', 'strace web-0 -n shop --duration 0x10', /takes a duration, not `0x10`/],
      ['--duration 0', 'strace web-0 -n shop --duration 0', /at least 1 s/],
      ['--duration 120.5', 'strace web-0 -n shop --duration 120.5', /whole seconds, not `120\.5`/],
      ['--duration 20-digit', `strace web-0 -n shop --duration ${'9'.repeat(20)}`, /far too long/],
      ['--duration $((…))', 'strace web-0 -n shop --duration $((1&lt;&lt;40))', /`\$` \(dollar sign\)/],
      ['--trace=all -o /tmp/x', 'strace web-0 -n shop --trace=all -o /tmp/x', /Unknown option `-o`/],
      ['--trace=all', 'strace web-0 -n shop --trace=all', /`--trace` takes a class, not `all`/],
      ['--trace file,-o', 'strace web-0 -n shop --trace file,-o', /`--trace` takes one class/],
      [
        '--trace -o',
        'strace web-0 -n shop --trace -o',
        /`--trace` needs a value, not another option \(`-o`\)/,
      ],
      ['--trace %file', 'strace web-0 -n shop --trace %file', /`%` \(percent sign\)/],
      ['--trace=trace=open', 'strace web-0 -n shop --trace=trace=open', /takes a class, not `trace=open`/],
      ['-e injection', 'strace web-0 -n shop -e trace=all', /Unknown option `-e`/],
      ['-p injection', 'strace web-0 -n shop -p 1', /Unknown option `-p`/],
      ['--full=-o', 'strace web-0 -n shop --full=-o', /`--full` takes no value/],
      [
        'fullwidth verb',
        `${fullwidth('strace')} web-0 -n shop`,
        /non-ASCII character \(`\\uff53`\) that looks like `s`/,
        'none',
      ],
      ['en dash --duration', 'strace web-0 -n shop \u2013duration 30s', /`-duration` has one dash/],
      ['comma list in pod', 'strace a,b -n shop', /`a,b` is not a valid pod name/],
    ] as const
  ).map(([l, t, n, u]) => ({
    label: `strace: ${l}`,
    text: t,
    names: n,
    usageOf: u === 'none' ? undefined : ('strace' as const),
  })),
  // mem
  ...(
    [
      ['--watch -1', 'mem web-0 -n shop --watch -1', /`--watch` cannot be negative/],
      ['--watch 99999999999', 'mem web-0 -n shop --watch 99999999999', /`--watch` is at most 600 s \(10m\)/],
      ['--watch 1e309', 'mem web-0 -n shop --watch 1e309', /`--watch` takes a duration, not `1e309`/],
      ['--watch 0', 'mem web-0 -n shop --watch 0', /`--watch` is at least 5 s/],
      ['--watch=-o', 'mem web-0 -n shop --watch=-o', /`--watch` cannot be negative|takes a duration/],
      ['--watch twice', 'mem web-0 -n shop --watch --watch 5', /`--watch` is given twice/],
      ['fullwidth verb', `${fullwidth('mem')} web-0 -n shop`, /`\\uff4d`\) that looks like `m`/, 'none'],
    ] as const
  ).map(([l, t, n, u]) => ({
    label: `mem: ${l}`,
    text: t,
    names: n,
    usageOf: u === 'none' ? undefined : ('mem' as const),
  })),
  // ps, fds
  ...(
    [
      ['extra word', 'ps web-0 -n shop aux', /ps takes one pod, but got 2 words/],
      ['ps flags', 'ps web-0 -n shop -ef', /Unknown option `-e`/],
      ['fds path', 'fds web-0 -n shop /proc/1/fd', /fds takes one pod, but got 2 words/],
      ['fullwidth verb', `${fullwidth('ps')} web-0 -n shop`, /`\\uff50`\) that looks like `p`/, 'none'],
    ] as const
  ).map(([l, t, n, u]) => ({
    label: `${t.startsWith('fds') ? 'fds' : 'ps'}: ${l}`,
    text: t,
    names: n,
    usageOf: u === 'none' ? undefined : t.startsWith('fds') ? ('fds' as const) : ('ps' as const),
  })),
  // netcheck
  ...(
    [
      ['a host of -x', 'netcheck web-0 -n shop -x', /Unknown option `-x`/],
      ['-- -oProxyCommand', 'netcheck web-0 -n shop -- -oProxyCommand', /`--` is not accepted/],
      ['host -oProxyCommand=…', 'netcheck web-0 -n shop -oProxyCommand=nc', /Unknown option `-o`/],
      [
        '10k-character host',
        `netcheck web-0 -n shop ${'h'.repeat(10_000)}`,
        /too long \(10023 characters; at most 300\)/,
      ],
      [
        '254-character host',
        `netcheck web-0 -n shop ${'h'.repeat(254)}`,
        /too long for a host name \(254; at most 253\)/,
      ],
      ['64-character label', `netcheck web-0 -n shop ${'h'.repeat(64)}.io`, /is not a host name/],
      [
        '60 targets',
        `netcheck web-0 -n shop ${Array.from({ length: 60 }, (_, i) => `h${i}`).join(' ')}`,
        /at most 8 hosts at once \(60 given\)/,
      ],
      ['port 0', 'netcheck web-0 -n shop db:0', /`0` is not a port: ports are 1 to 65535/],
      ['port 1e309', 'netcheck web-0 -n shop db:1e309', /`1e309` is not a port/],
      ['port 99999999999', 'netcheck web-0 -n shop db:99999999999', /`99999999999` is not a port/],
      ['port -1', 'netcheck web-0 -n shop db:-1', /`-1` is not a port/],
      ['port with protocol', 'netcheck web-0 -n shop db:22/tcp', /`22\/tcp` is not a port/],
      ['URL', 'netcheck web-0 -n shop http://evil.example', /`\/\/evil\.example` is not a port/],
      ['IPv6 zone id', 'netcheck web-0 -n shop [fe80::1%eth0]:80', /`%` \(percent sign\)/],
      [
        'IPv6 unbracketed with port',
        'netcheck web-0 -n shop fd00::1::80',
        /is not a host: put an IPv6 address in brackets/,
      ],
      ['bracketed name', 'netcheck web-0 -n shop [evil.example]:80', /only an IPv6 address goes in brackets/],
      ['stray bracket', 'netcheck web-0 -n shop [::1]:443]', /brackets go around a whole IPv6 address/],
      ['.. host', 'netcheck web-0 -n shop ..', /`\.\.` is not a host name/],
      [
        'path host',
        'netcheck web-0 -n shop ../../etc/passwd',
        /`\.\.\/\.\.\/etc\/passwd` is not a host name/,
      ],
      [
        'fullwidth host',
        `netcheck web-0 -n shop ${fullwidth('evil')}.example`,
        /`\\uff45`\) that looks like `e`/,
      ],
      ['Cyrillic host', 'netcheck web-0 -n shop \u0430pi.example.com', /`\\u0430`\) that looks like `a`/],
      ['shell in host', 'netcheck web-0 -n shop db;id', /`;` \(semicolon\)/],
      ['fullwidth verb', `${fullwidth('netcheck')} web-0 -n shop`, /`\\uff4e`\) that looks like `n`/, 'none'],
      // Numbers in other notations that resolvers read as addresses (issue 9): never a "host name".
      [
        'hex host',
        'netcheck web-0 -n shop 0x7f.1:10250',
        /`0x7f\.1` is not .* \(it looks like a hex address\)/,
      ],
      ['hex integer host', 'netcheck web-0 -n shop 0xa9fea9fe', /`0xa9fea9fe` .* hex address/],
      ['octal host', 'netcheck web-0 -n shop 0177.0.0.1:80', /`0177\.0\.0\.1` .* octal address/],
      ['integer host', 'netcheck web-0 -n shop 2130706433:80', /`2130706433` is not a valid IPv4 address/],
      ['short dotted host', 'netcheck web-0 -n shop 127.1', /`127\.1` is not a valid IPv4 address/],
      ['numeric last label', 'netcheck web-0 -n shop metadata.1', /`metadata\.1` .* last label is a number/],
    ] as const
  ).map(([l, t, n, u]) => ({
    label: `netcheck: ${l}`,
    text: t,
    names: n,
    usageOf: u === 'none' ? undefined : ('netcheck' as const),
  })),
  // tcpdump
  ...(
    [
      [
        '--filter -w /etc/passwd',
        'tcpdump web-0 -n shop --filter -w /etc/passwd',
        /Filter: `-w` is an option, not part of a filter/,
      ],
      ['--filter -z sh', 'tcpdump web-0 -n shop --filter -z sh', /`-z` is an option, not part of a filter/],
      ['--filter=-w', 'tcpdump web-0 -n shop --filter=-w x', /`-w` is an option/],
      [
        '-w after the filter',
        'tcpdump web-0 -n shop --filter port 80 -w /tmp/x',
        /`-w` is an option, not part of a filter/,
      ],
      [
        '-w after a quoted filter',
        'tcpdump web-0 -n shop --filter "port 80" -w /tmp/x',
        /Unknown option `-w`/,
      ],
      [
        '-- inside the filter',
        'tcpdump web-0 -n shop --filter -- -w x',
        /`--` is an option, not part of a filter/,
      ],
      [
        '; in the filter',
        'tcpdump web-0 -n shop --filter port 80; reboot',
        /`;` \(semicolon\) is not allowed/,
      ],
      ['$(…) in the filter', 'tcpdump web-0 -n shop --filter host $(id)', /`\$` \(dollar sign\)/],
      ['backticks in the filter', 'tcpdump web-0 -n shop --filter host `id`', /A backtick is not allowed/],
      ['> in the filter', 'tcpdump web-0 -n shop --filter port 80 &gt; /tmp/x', /`&gt;` \(redirect\)/],
      ['< in the filter', 'tcpdump web-0 -n shop --filter len &lt; 100', /`&lt;` \(redirect\)/],
      [
        'single | in the filter',
        'tcpdump web-0 -n shop --filter host a | sh',
        /`\|` alone is not a filter operator/,
      ],
      [
        'single & in the filter',
        'tcpdump web-0 -n shop --filter host a &amp; id',
        /`&amp;` alone is not a filter operator/,
      ],
      ['newline in the filter', 'tcpdump web-0 -n shop --filter host a\nid', /one line/],
      ['NUL in the filter', 'tcpdump web-0 -n shop --filter host a\u0000', /control character \(`\\u0000`\)/],
      [
        'quote inside the filter',
        'tcpdump web-0 -n shop --filter host "a" or port 1',
        /quotes may only surround the whole filter/,
      ],
      ['byte offsets', 'tcpdump web-0 -n shop --filter tcp[13] = 2', /`\[` \(bracket\)/],
      [
        'unknown keyword',
        'tcpdump web-0 -n shop --filter ether host aa',
        /`ether` is not a filter primitive/,
      ],
      ['bare word', 'tcpdump web-0 -n shop --filter sh', /`sh` is not a filter primitive/],
      ['path', 'tcpdump web-0 -n shop --filter /etc/passwd', /`\/etc\/passwd` is not a filter primitive/],
      ['unbalanced (', 'tcpdump web-0 -n shop --filter ((port 1)', /a `\(` is not closed/],
      ['unbalanced )', 'tcpdump web-0 -n shop --filter port 1))', /`\)` has no matching `\(`/],
      [
        '41 filter words',
        `tcpdump web-0 -n shop --filter ${Array.from({ length: 21 }, () => 'ip').join(' or ')}`,
        /too many words \(41; at most 40\)/,
      ],
      ['oversized filter host', `tcpdump web-0 -n shop --filter host ${'a'.repeat(65)}`, /at most 64/],
      [
        '10k-character filter',
        `tcpdump web-0 -n shop --filter host ${'a'.repeat(10_000)}`,
        /too long \(10036 characters; at most 300\)/,
      ],
      [
        'port 1e309',
        'tcpdump web-0 -n shop --filter port 1e309',
        /`port` needs a port number \(1 to 65535\), not `1e309`/,
      ],
      ['port 99999999999', 'tcpdump web-0 -n shop --filter port 99999999999', /not `99999999999`/],
      [
        '--duration -1',
        'tcpdump web-0 -n shop --duration -1',
        /`--duration` takes a positive value, not `-1`/,
      ],
      ['--duration 99999999999s', 'tcpdump web-0 -n shop --duration 99999999999s', /at most 120 s/],
      ['--duration 1e309', 'tcpdump web-0 -n shop --duration 1e309', /takes a duration, not `1e309`/],
      ['two filters', 'tcpdump web-0 -n shop --filter "port 1" --filter port 2', /`--filter` is given twice/],
      ['unclosed quote', 'tcpdump web-0 -n shop --filter "port 1', /opening quote is never closed/],
      [
        'Cyrillic in the filter',
        'tcpdump web-0 -n shop --filter h\u043est a',
        /`\\u043e`\) that looks like `o`/,
      ],
      ['U+2212 in the filter', 'tcpdump web-0 -n shop --filter \u2212w x', /`\\u2212`\) that looks like `-`/],
      ['en dash in the filter', 'tcpdump web-0 -n shop --filter \u2013w x', /`-w` is an option/],
      ['em dash in the filter', 'tcpdump web-0 -n shop --filter \u2014write x', /`--write` is an option/],
      [
        'link in the filter',
        'tcpdump web-0 -n shop --filter host <http://evil.example/x|a>',
        /Links are not allowed/,
      ],
      ['fullwidth verb', `${fullwidth('tcpdump')} web-0 -n shop`, /`\\uff54`\) that looks like `t`/, 'none'],
      ['hex host in filter', 'tcpdump web-0 -n shop --filter host 0x7f.1', /`0x7f\.1` .* hex address/],
      ['octal host in filter', 'tcpdump web-0 -n shop --filter host 0177.0.0.1', /octal address/],
      [
        'integer host in filter',
        'tcpdump web-0 -n shop --filter host 2130706433',
        /`2130706433` is not a valid IPv4/,
      ],
      ['hex label in filter', 'tcpdump web-0 -n shop --filter dst host a.0x10', /`a\.0x10` .* hex address/],
    ] as const
  ).map(([l, t, n, u]) => ({
    label: `tcpdump: ${l}`,
    text: t,
    names: n,
    usageOf: u === 'none' ? undefined : ('tcpdump' as const),
  })),
];

const ROWS: Row[] = [...PROBE_ACTIONS.flatMap(genericRows), ...VERB_ROWS];

describe('hostile input is refused, names the problem, and runs nothing', () => {
  it(`is a big table over every probe verb (${ROWS.length} rows)`, () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(400);
    for (const action of PROBE_ACTIONS) {
      expect(ROWS.filter((r) => r.usageOf === action).length).toBeGreaterThanOrEqual(75);
    }
  });

  it.each(ROWS.map((r) => [r.label, r] as const))('%s', (_label, row) => {
    const r = parseCommand(row.text, ctx);
    if (r.ok) throw new Error(`accepted ${JSON.stringify(row.text)} as ${JSON.stringify(r.command)}`);
    expect(r.error).toMatch(row.names);
    expect(r.error).not.toMatch(RAW_CONTROL);
    expect(r.error).not.toContain('\n');
    expect(r.error.length).toBeLessThan(600);
    if (row.usageOf) expect(r.error.endsWith(PROBE_USAGE[row.usageOf])).toBe(true);
    else expect(r.error).toMatch(/Usage: `\/poddebug [^`]+`$/);
    // A mention or a link never comes back in a form Slack would render.
    expect(r.error).not.toMatch(/<[@#!]|<https?:/);
  });
});

describe('the near misses that are fine parse to the exact ProbeSpec', () => {
  const pod = { namespace: 'shop', pod: 'web-0' };
  const cases: Array<[string, ProbeSpec, Partial<{ cluster: string; container: string }>?]> = [
    ['strace web-0 -n shop', { action: 'strace', durationSec: 30, full: false, failedOnly: false }],
    // NBSP and tabs are spaces; an em dash is `--` and curly quotes are quotes (macOS autocorrect)
    [
      'strace\u00a0web-0\t-n\u00a0shop \u2014duration \u201c45s\u201d',
      { action: 'strace', durationSec: 45, full: false, failedOnly: false },
    ],
    [
      `strace web-0 -n shop --duration ${PROBE_LIMITS.maxDurationSec}`,
      { action: 'strace', durationSec: 120, full: false, failedOnly: false },
    ],
    [
      'strace web-0 -n shop --duration 1s --trace desc --full --failed-only',
      { action: 'strace', durationSec: 1, full: true, trace: 'desc', failedOnly: true },
    ],
    ['mem web-0 -n shop --watch', { action: 'mem', watchSec: 60 }],
    ['mem web-0 -n shop --watch 5', { action: 'mem', watchSec: 5 }],
    ['mem web-0 -n shop --watch 10m', { action: 'mem', watchSec: 600 }],
    ['ps web-0 -n shop -c app', { action: 'ps' }, { container: 'app' }],
    ['fds web-0 -n shop --cluster staging', { action: 'fds' }, { cluster: 'staging' }],
    [
      'netcheck web-0 -n shop <http://api.example.com|api.example.com> [::1]:443 10.0.0.7:5432',
      {
        action: 'netcheck',
        targets: [{ host: 'api.example.com' }, { host: '::1', port: 443 }, { host: '10.0.0.7', port: 5432 }],
      },
    ],
    [
      'tcpdump web-0 -n shop --duration 2m --filter tcp port 443 &amp;&amp; !(host 10.0.0.1 || net fd00::/8)',
      {
        action: 'tcpdump',
        durationSec: 120,
        filter: ['tcp', 'port', '443', 'and', 'not', '(', 'host', '10.0.0.1', 'or', 'net', 'fd00::/8', ')'],
      },
    ],
    [
      'tcpdump web-0 --filter \u201cudp port 53\u201d -n shop',
      { action: 'tcpdump', durationSec: 30, filter: ['udp', 'port', '53'] },
    ],
  ];

  it.each(cases)('%j', (text, spec, extra = {}) => {
    const r = parseCommand(text, ctx);
    if (!r.ok) throw new Error(`refused ${JSON.stringify(text)}: ${r.error}`);
    const expected: Command = {
      verb: 'probe',
      cluster: extra.cluster ?? 'prod',
      target: extra.container ? { ...pod, container: extra.container } : pod,
      spec,
    };
    expect(r.command).toEqual(expected);
    expect(ProbeSpecSchema.parse(spec)).toEqual(spec);
  });
});
