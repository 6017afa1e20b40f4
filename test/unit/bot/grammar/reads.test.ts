import { describe, expect, it } from '@jest/globals';
import { type Command, helpText, parseCommand } from '../../../../bot/grammar/index.js';
import { splitGrep } from '../../../../bot/grammar/reads.js';
import { READ_LIMITS, ReadSpecSchema } from '../../../../jobs/contracts/reads.js';

const ctx = { clusters: ['prod', 'staging'], defaultCluster: 'prod' };

function ok(text: string): Extract<Command, { verb: 'read' }> {
  const r = parseCommand(text, ctx);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${r.error}`);
  if (r.command.verb !== 'read') throw new Error(`expected a read, got ${r.command.verb}`);
  return r.command;
}

function err(text: string): string {
  const r = parseCommand(text, ctx);
  if (r.ok)
    throw new Error(`expected ${JSON.stringify(text)} to be refused, got ${JSON.stringify(r.command)}`);
  return r.error;
}

describe('logs', () => {
  it.each<[string, object]>([
    ['logs web-0 -n shop', { action: 'logs', previous: false, allContainers: false, timestamps: false }],
    ['logs web-0 -n shop -p', { previous: true }],
    ['logs web-0 -n shop --previous -c app --tail 100', { previous: true, container: 'app', tailLines: 100 }],
    ['logs web-0 -n shop --since 15m', { sinceSeconds: 900 }],
    ['logs web-0 -n shop --since 1h30m', { sinceSeconds: 5400 }],
    ['logs web-0 -n shop --since-time 2026-01-02T15:04:05Z', { sinceTime: '2026-01-02T15:04:05Z' }],
    [
      'logs web-0 -n shop --since-time 2026-01-02T17:04:05.5+02:00',
      { sinceTime: '2026-01-02T17:04:05.5+02:00' },
    ],
    ['logs web-0 -n shop --all-containers --timestamps', { allContainers: true, timestamps: true }],
    ['logs web-0 -n shop --grep timeout', { grep: 'timeout' }],
    ['logs web-0 -n shop --grep (a+)+$', { grep: '(a+)+$' }],
    [
      'logs web-0 -n shop --grep "connection (reset|refused)" --tail 5',
      { grep: 'connection (reset|refused)', tailLines: 5 },
    ],
    ['logs web-0 -n shop --grep=ERROR|WARN', { grep: 'ERROR|WARN' }],
    ['logs web-0 -n shop --grep &lt;html&gt;', { grep: '<html>' }],
    ['logs web-0 -n shop --grep (?i)oom', { grep: '(?i)oom' }],
  ])('%s', (text, want) => {
    const c = ok(text);
    expect(c.spec).toMatchObject(want);
    expect(c.target).toEqual({ kind: 'pod', name: 'web-0', namespace: 'shop' });
    expect(ReadSpecSchema.safeParse(c.spec).success).toBe(true);
  });

  it('owners: deploy/, sts/, ds/, job/ and their long names', () => {
    expect(ok('logs deploy/checkout -n shop').target).toEqual({
      kind: 'deploy',
      name: 'checkout',
      namespace: 'shop',
    });
    expect(ok('logs statefulset/db -n shop').target.kind).toBe('sts');
    expect(ok('logs ds/agent -n kube-system').target.kind).toBe('ds');
    expect(ok('logs job/migrate -n shop --cluster staging')).toMatchObject({ cluster: 'staging' });
  });
});

describe('events and describe', () => {
  it('parse with their options', () => {
    expect(ok('events web-0 -n shop').spec).toEqual({ action: 'events', warningsOnly: false });
    expect(ok('events deploy/web -n shop --since 1h --warnings').spec).toEqual({
      action: 'events',
      warningsOnly: true,
      sinceSeconds: 3600,
    });
    expect(ok('describe web-0 -n shop').spec).toEqual({ action: 'describe' });
    expect(ok('describe sts/db -n shop').target).toEqual({ kind: 'sts', name: 'db', namespace: 'shop' });
  });
});

/** Each malformed input: refused with a message naming what was wrong, and the usage of that verb. */
const MALFORMED: [input: string, mentions: RegExp][] = [
  ['logs', /Missing target/],
  ['logs web-0', /namespace/],
  ['logs deploy/web', /namespace/],
  ['logs web-0 other -n shop', /Two targets/],
  ['logs Web-0 -n shop', /uppercase/],
  ['logs rs/web -n shop', /`rs\/` is not a kind logs takes/],
  ['logs deploy/ -n shop', /needs a name/],
  ['logs web-0 -n Shop', /namespace/],
  ['logs web-0 -n shop --cluster mars', /Unknown cluster `mars`/],
  ['logs web-0 -n shop -c App', /container name/],
  ['logs web-0 -n shop -c app --all-containers', /exclude each other/],
  ['logs web-0 -n shop --since 15m --since-time 2026-01-02T15:04:05Z', /exclude each other/],
  ['logs web-0 -n shop --since 8d', /takes a duration|not a duration/],
  ['logs web-0 -n shop --since 999h', /at most/],
  ['logs web-0 -n shop --since 0', /at least/],
  ['logs web-0 -n shop --since-time yesterday', /RFC 3339/],
  ['logs web-0 -n shop --since-time 2026-01-02', /RFC 3339/],
  ['logs web-0 -n shop --tail -1', /positive value|--tail/],
  ['logs web-0 -n shop --tail 0', /from 1 to/],
  [`logs web-0 -n shop --tail ${READ_LIMITS.maxTailLines + 1}`, /from 1 to/],
  ['logs web-0 -n shop --tail lots', /whole number/],
  ['logs web-0 -n shop --grep', /needs a pattern/],
  ['logs web-0 -n shop --grep (?=x)', /RE2|pattern poddebug can run/],
  ['logs web-0 -n shop --grep (a', /missing closing/],
  ['logs web-0 -n shop --grep \\1', /RE2|pattern poddebug can run/],
  ['logs web-0 -n shop --grep "unclosed', /never closed/],
  ['logs web-0 -n shop --grep a --grep b', /twice/],
  [`logs web-0 -n shop --grep ${'x'.repeat(READ_LIMITS.maxGrepChars + 1)}`, /too long/],
  ['logs web-0 -n shop --follow', /Unknown option `--follow`/],
  ['logs web-0 -n shop;reboot', /`;`.*not allowed/],
  ['logs web-0 -n shop $(id)', /not allowed/],
  ['logs web-0 -n shop -- -x', /`--` is not accepted/],
  ['logs web-0 -n shop -n prod', /twice/],
  ['logs web-0 -n shop --previous=yes', /takes no value/],
  ['events', /Missing target/],
  ['events web-0', /namespace/],
  ['events web-0 -n shop --since never', /duration/],
  ['events web-0 -n shop --warnings=true', /takes no value/],
  ['events web-0 -n shop --tail 5', /Unknown option `--tail`/],
  ['events web-0 -n shop --since-time 2026-01-02T15:04:05Z', /not allowed|Unknown option/],
  ['describe', /Missing target/],
  ['describe web-0', /namespace/],
  ['describe svc/web -n shop', /`svc\/` is not a kind describe takes/],
  ['describe web-0 -n shop --previous', /Unknown option `--previous`/],
  ['describe web-0 -n shop --grep x', /not allowed|Unknown option/],
];

describe('malformed read commands', () => {
  it.each(MALFORMED)('%j', (input, mentions) => {
    const e = err(input);
    expect(e).toMatch(mentions);
    const verb = input.split(' ')[0]!;
    expect(e).toContain(`Usage: \`/poddebug ${verb}`);
    expect(e.length).toBeLessThan(700);
  });
});

describe('splitGrep', () => {
  it.each<[string, string | undefined, string]>([
    ['logs a -n b --grep x|y --tail 3', 'x|y', 'logs a -n b   --tail 3'],
    ["logs a -n b --grep 'two words' -p", 'two words', 'logs a -n b   -p'],
    ['logs a -n b --grep=x$', 'x$', 'logs a -n b  '],
    ['logs a -n b', undefined, 'logs a -n b'],
  ])('%j', (text, grep, rest) => {
    const r = splitGrep(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.grep).toBe(grep);
    if (r.ok) expect(r.rest.replace(/\s+/g, ' ').trim()).toBe(rest.replace(/\s+/g, ' ').trim());
  });
});

describe('help', () => {
  it.each(['logs', 'events', 'describe'])('help %s shows the full grammar with examples', (verb) => {
    const r = parseCommand(`help ${verb}`, ctx);
    expect(r).toEqual({ ok: true, command: { verb: 'help', topic: verb } });
    const text = helpText(verb);
    expect(text).toContain(`/poddebug ${verb}`);
    expect(text).toContain('*Examples*');
    expect(text).toContain('-n');
  });

  it('`logs --help` and `logs -h` show the help of logs', () => {
    expect(parseCommand('logs --help', ctx)).toEqual({ ok: true, command: { verb: 'help', topic: 'logs' } });
    expect(parseCommand('describe -h', ctx)).toEqual({
      ok: true,
      command: { verb: 'help', topic: 'describe' },
    });
  });

  it('the overview names the read commands; a typo suggests one', () => {
    expect(helpText()).toContain('logs|events|describe');
    expect(err('lgos web-0 -n shop')).toMatch(/Did you mean `logs`/);
  });
});
