import { describe, expect, it } from '@jest/globals';
import { type Command, helpText, MAX_COMMAND_LENGTH, parseCommand } from '../../../../bot/grammar/index.js';

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

describe('parseCommand: valid forms', () => {
  const cases: Array<[string, Command]> = [
    ['', { verb: 'help' }],
    ['   \t ', { verb: 'help' }],
    ['help', { verb: 'help' }],
    ['HELP', { verb: 'help' }],
    ['help diagnose', { verb: 'help', topic: 'diagnose' }],
    ['diagnose --help', { verb: 'help', topic: 'diagnose' }],
    [
      'diagnose checkout-7d9f8b-x2kq',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'pod', name: 'checkout-7d9f8b-x2kq' } },
    ],
    [
      'diagnose checkout-7d9f8b-x2kq -n shop',
      {
        verb: 'diagnose',
        cluster: 'prod',
        target: { kind: 'pod', name: 'checkout-7d9f8b-x2kq', namespace: 'shop' },
      },
    ],
    [
      'Diagnose web-0 --namespace shop',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'pod', name: 'web-0', namespace: 'shop' } },
    ],
    [
      'diagnose web-0 -n=shop',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'pod', name: 'web-0', namespace: 'shop' } },
    ],
    [
      'diagnose web-0 --namespace=shop',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'pod', name: 'web-0', namespace: 'shop' } },
    ],
    [
      'diagnose -n shop web-0 -c app --cluster staging',
      {
        verb: 'diagnose',
        cluster: 'staging',
        target: { kind: 'pod', name: 'web-0', namespace: 'shop', container: 'app' },
      },
    ],
    [
      'diagnose deploy/checkout -n shop',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'deploy', name: 'checkout', namespace: 'shop' } },
    ],
    [
      'diagnose deployment/checkout -n shop',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'deploy', name: 'checkout', namespace: 'shop' } },
    ],
    [
      'diagnose statefulset/pg -n db',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'sts', name: 'pg', namespace: 'db' } },
    ],
    [
      'diagnose sts/pg -n db',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'sts', name: 'pg', namespace: 'db' } },
    ],
    [
      'diagnose daemonset/fluent-bit -n logging',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'ds', name: 'fluent-bit', namespace: 'logging' } },
    ],
    [
      'diagnose ds/fluent-bit -n logging',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'ds', name: 'fluent-bit', namespace: 'logging' } },
    ],
    [
      'diagnose job/migrate-42 -n shop',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'job', name: 'migrate-42', namespace: 'shop' } },
    ],
    // Slack auto-links dotted names; the label is the name the user typed.
    [
      'diagnose <http://api.v2|api.v2> -n shop',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'pod', name: 'api.v2', namespace: 'shop' } },
    ],
    // Non-breaking spaces, tabs and runs of spaces separate words like spaces.
    [
      'diagnose\u00a0web-0\t\t-n\u00a0 shop',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'pod', name: 'web-0', namespace: 'shop' } },
    ],
    // macOS turns "--" into an em dash and quotes into curly quotes.
    [
      'diagnose web-0 \u2014namespace \u201cshop\u201d',
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'pod', name: 'web-0', namespace: 'shop' } },
    ],
    [
      `diagnose ${'a'.repeat(253)}`,
      { verb: 'diagnose', cluster: 'prod', target: { kind: 'pod', name: 'a'.repeat(253) } },
    ],
  ];
  it.each(cases)('%j', (text, expected) => {
    expect(ok(text)).toEqual(expected);
  });
});

describe('parseCommand: refused input names the problem', () => {
  const long = 'a'.repeat(254);
  const cases: Array<[string, string, RegExp]> = [
    ['unknown verb, close', 'diagnos web-0', /Unknown command `diagnos`.*did you mean `diagnose`/i],
    ['unknown verb, close 2', 'dignose web-0', /did you mean `diagnose`/i],
    ['unknown verb, far', 'restart web-0', /Unknown command `restart`.*Commands are `diagnose`, `help`/],
    ['unknown flag', 'diagnose web-0 --force', /Unknown option `--force`/],
    ['unknown short flag', 'diagnose web-0 -x', /Unknown option `-x`/],
    ['repeated flag', 'diagnose web-0 -n a -n b', /`-n` is given twice/],
    [
      'repeated flag, mixed forms',
      'diagnose web-0 -n a --namespace=b',
      /given twice.*`-n` and `--namespace`/,
    ],
    ['flag without value', 'diagnose web-0 -n', /`-n` needs a value/],
    [
      'flag followed by flag',
      'diagnose web-0 -n --all',
      /`-n` needs a value, not another option \(`--all`\)/,
    ],
    ['boolean flag with value', 'diagnose web-0 --help=yes', /`--help` takes no value/],
    ['missing target', 'diagnose', /Missing target/],
    ['missing target with ns', 'diagnose -n shop', /Missing target/],
    ['two targets', 'diagnose web-0 shop', /Two targets given \(`web-0`, `shop`\)/],
    ['uppercase pod', 'diagnose Checkout', /`Checkout` is not a valid pod name: it has uppercase letters/],
    ['underscore pod', 'diagnose check_out', /`check_out` is not a valid pod name: '_' is not allowed/],
    // `--` is refused like the reads refuse it (it used to let `-web` through to the name check).
    ['leading dash via --', 'diagnose -- -web', /`--` is not accepted here: names never start with '-'/],
    ['trailing dash', 'diagnose web-', /`web-` is not a valid pod name: it must end with a letter or digit/],
    ['uppercase namespace', 'diagnose web-0 -n Shop', /`Shop` is not a valid namespace: it has uppercase/],
    ['dotted namespace', 'diagnose web-0 -n a.b', /`a\.b` is not a valid namespace: '\.' is not allowed/],
    [
      '64-char namespace',
      `diagnose web-0 -n ${'n'.repeat(64)}`,
      /too long for a namespace \(64 characters; at most 63\)/,
    ],
    ['254-char pod', `diagnose ${long}`, /too long for a pod name \(254 characters; at most 253\)/],
    [
      'over-long input',
      `diagnose ${'a'.repeat(MAX_COMMAND_LENGTH)}`,
      /too long \(309 characters; at most 300\)/,
    ],
    ['NUL', 'diagnose web\u00000', /control character \(`\\u0000`\)/],
    ['ESC', 'diagnose web-0\u001b[2J', /control character \(`\\u001b`\)/],
    ['DEL', 'diagnose web\u007f', /control character \(`\\u007f`\)/],
    // A paste of several lines: refused like every control character, naming it (never read as spaces).
    ['LF', 'diagnose web-0\n-n shop', /one line, but this one has a line break \(`\\u000a`\)/],
    ['CR', 'diagnose web-0\r-n shop', /one line, but this one has a line break \(`\\u000d`\)/],
    ['CRLF', 'diagnose web-0 -n shop\r\nreboot', /line break \(`\\u000d`\)/],
    ['LF after the verb', 'diagnose\ndeploy/checkout -n shop', /line break \(`\\u000a`\)/],
    ['zero-width space', 'diagnose web\u200b-0', /invisible formatting character \(`\\u200b`/],
    ['bidi override', 'diagnose web-0\u202e', /invisible formatting character \(`\\u202e`/],
    ['Cyrillic look-alike', 'diagnose ch\u0435ckout', /non-ASCII character \(`\\u0435`\).*look-alike/],
    ['semicolon', 'diagnose web-0; rm -rf /', /`;` \(semicolon\) is not allowed/],
    ['pipe', 'diagnose web-0 | sh', /`\|` \(pipe\) is not allowed/],
    ['command substitution', 'diagnose $(whoami)', /`\$` \(dollar sign\) is not allowed/],
    ['backticks', 'diagnose `id`', /A backtick is not allowed/],
    ['&& as Slack sends it', 'diagnose web-0 &amp;&amp; reboot', /`&amp;` \(ampersand\) is not allowed/],
    ['redirect as Slack sends it', 'diagnose web-0 &gt; /etc/passwd', /`&gt;` \(redirect\) is not allowed/],
    [
      'option injection',
      'diagnose web-0 --namespace=--all',
      /`--all` is not a valid namespace: it must start with a letter/,
    ],
    ['rs owner', 'diagnose rs/checkout-7d9f -n shop', /`rs\/` is not a kind diagnose takes.*Deployment/],
    ['svc owner', 'diagnose svc/checkout -n shop', /`svc\/` is not a kind diagnose takes.*Service/],
    [
      'namespace/pod form',
      'diagnose shop/web-0',
      /`shop\/` is not a kind.*if `shop` is a namespace, use `-n shop`/,
    ],
    ['deploy without name', 'diagnose deploy/ -n shop', /`deploy\/` needs a name/],
    ['owner without -n', 'diagnose deploy/checkout', /Say which namespace: `-n NS`/],
    ['invalid owner name', 'diagnose deploy/Checkout -n shop', /`Checkout` is not a valid deploy name/],
    [
      'unknown cluster',
      'diagnose web-0 --cluster qa',
      /Unknown cluster `qa`: known clusters are `prod`, `staging`/,
    ],
    ['invalid container', 'diagnose web-0 -c App_1', /`App_1` is not a valid container name/],
    ['empty namespace', 'diagnose web-0 -n ""', /The namespace is empty/],
    ['empty namespace, inline', 'diagnose web-0 --namespace=""', /The namespace is empty/],
    ['user mention', 'diagnose <@U0123ABC>', /A user mention is not a pod name/],
    ['@channel', 'diagnose <!channel>', /Special mentions/],
    ['mailto link', 'diagnose <mailto:a@b.io|a@b.io>', /An email address is not a pod name/],
    ['real link', 'diagnose <https://evil.example/x|web-0>', /Links are not allowed/],
    ['help for unknown verb', 'help restart', /There is no help for `restart`/],
  ];

  it('has at least 30 refusal cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s: %j', (_label, text, expected) => {
    const message = err(text);
    expect(message).toMatch(expected);
    // One short message, ending in the right form.
    expect(message.length).toBeLessThan(600);
    expect(message).not.toContain('\n');
    expect(message).toMatch(/Usage: `\/poddebug (diagnose|help)/);
  });

  it('never echoes control or invisible characters back', () => {
    for (const text of [
      'diagnose web\u001b[31m',
      'diagnose web\u0000',
      'diagnose w\u202eeb',
      'diagnose w\u200beb',
    ]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of the test
      expect(err(text)).not.toMatch(/[\u0000-\u001f\u007f\u200b\u202e]/);
    }
  });

  it('shortens very long input in the message instead of echoing all of it', () => {
    expect(err(`diagnose ${'a'.repeat(254)}`)).not.toContain('a'.repeat(41));
  });

  it('does not echo a mention, so the error cannot ping anyone', () => {
    expect(err('diagnose <@U0123ABC>')).not.toContain('U0123ABC');
    expect(err('diagnose <!here>')).not.toContain('<!here>');
  });
});

describe('helpText', () => {
  it('lists the verbs, the forms and examples', () => {
    const text = helpText();
    expect(text).toContain('/poddebug diagnose POD');
    expect(text).toContain('deploy/NAME -n NAMESPACE');
    expect(text).toContain('/poddebug help');
    expect(text).toMatch(/Examples/);
  });

  it('explains every diagnose option for the diagnose topic', () => {
    const text = helpText('diagnose');
    for (const option of [
      '`-n`',
      '`--namespace',
      '`-c`',
      '`--container',
      '`--cluster',
      'sts/',
      'ds/',
      'job/',
    ]) {
      expect(text).toContain(option);
    }
  });

  it('contains no raw angle brackets that Slack would read as links', () => {
    expect(helpText()).not.toMatch(/[<>]/);
    expect(helpText('diagnose')).not.toMatch(/[<>]/);
  });
});

describe('parseCommand: probe verbs at the top level', () => {
  it.each([
    ['help strace', 'strace'],
    ['help MEM', 'mem'],
    ['help ps', 'ps'],
    ['help fds', 'fds'],
    ['help netcheck', 'netcheck'],
    ['help tcpdump', 'tcpdump'],
    ['tcpdump --help', 'tcpdump'],
    ['strace -h', 'strace'],
  ])('%j is help on %s', (text, topic) => {
    expect(ok(text)).toEqual({ verb: 'help', topic });
  });

  it('a probe is a probe command with the exact spec', () => {
    expect(ok('strace web-0 -n shop')).toEqual({
      verb: 'probe',
      cluster: 'prod',
      target: { namespace: 'shop', pod: 'web-0' },
      spec: { action: 'strace', durationSec: 30, full: false, failedOnly: false },
    });
  });

  it.each([
    [
      'stace web-0 -n shop',
      /Unknown command `stace`\. Did you mean `strace`\? Usage: `\/poddebug strace POD/,
    ],
    ['tcpdum web-0 -n shop', /Did you mean `tcpdump`\? Usage: `\/poddebug tcpdump/],
    ['netchek web-0', /Did you mean `netcheck`/],
    ['restart web-0', /Commands are `diagnose`, `help`, `strace`, `mem`, `ps`, `fds`, `netcheck`, `tcpdump`/],
    ['help strace mem', /`help` takes at most one command name/],
    ['help kill', /There is no help for `kill`: commands are `diagnose`, `help`, `strace`/],
  ])('%j', (text, expected) => {
    expect(err(text)).toMatch(expected);
  });

  it('diagnose keeps its own characters: no `:` or brackets, which only netcheck takes', () => {
    expect(err('diagnose web-0:80')).toMatch(/`:` \(colon\) is not allowed.*Usage: `\/poddebug diagnose/);
    expect(err('diagnose [web-0]')).toMatch(/`\[` \(bracket\) is not allowed/);
  });

  it('a single-dash long option is named, not read as a group of short options', () => {
    expect(err('diagnose web-0 -namespace shop')).toMatch(/`-namespace` has one dash.*`--namespace`/);
  });
});

describe('helpText: probes', () => {
  it('the overview lists the probes and says they are privileged', () => {
    const text = helpText();
    for (const verb of ['strace', 'mem', 'ps', 'fds', 'netcheck', 'tcpdump']) {
      expect(text).toContain(`/poddebug ${verb}`);
    }
    expect(text).toMatch(/privileged/i);
    expect(text).toMatch(/strace.*slows/);
  });

  it('each probe topic gives its usage, and strace its overhead warning', () => {
    expect(helpText('strace')).toMatch(/Overhead/);
    expect(helpText('tcpdump')).toContain('--filter EXPR');
    for (const topic of ['strace', 'mem', 'ps', 'fds', 'netcheck', 'tcpdump']) {
      expect(helpText(topic)).not.toMatch(/[<>]/);
    }
  });
});
