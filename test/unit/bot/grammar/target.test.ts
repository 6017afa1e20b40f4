import { describe, expect, it } from '@jest/globals';
import { splitWords } from '../../../../bot/grammar/common.js';
import { parseHostList } from '../../../../bot/grammar/host-port.js';
import { parseCommand } from '../../../../bot/grammar/index.js';
import { takeQuoted } from '../../../../bot/grammar/options.js';
import {
  parsePodTarget,
  parsePodWord,
  parseScope,
  parseTarget,
  podRequest,
} from '../../../../bot/grammar/target.js';

const ctx = { clusters: ['prod', 'staging'], defaultCluster: 'prod' };
const USAGE = 'Usage: `/poddebug x`';

function err(text: string): string {
  const r = parseCommand(text, ctx);
  if (r.ok)
    throw new Error(`expected ${JSON.stringify(text)} to be refused, got ${JSON.stringify(r.command)}`);
  return r.error;
}

/** The message without its usage line, which differs by verb. */
const reason = (text: string): string => err(text).replace(/ Usage: .*$/, '');

describe('parseTarget: one pod or owner', () => {
  const wording = { verb: 'logs', act: 'read the logs of', usage: USAGE };

  it.each<[string[], object]>([
    [['web-0'], { kind: 'pod', name: 'web-0' }],
    [['pod/web-0'], { kind: 'pod', name: 'web-0' }],
    [['Deploy/checkout'], { kind: 'deploy', name: 'checkout' }],
    [['statefulset/db'], { kind: 'sts', name: 'db' }],
    [['jobs/migrate'], { kind: 'job', name: 'migrate' }],
  ])('%j', (words, want) => {
    expect(parseTarget(words, wording)).toEqual({ ok: true, ...want });
  });

  it.each<[string[], string]>([
    [[], 'Missing target: which pod or owner?'],
    [['a', 'b'], 'Two targets given (`a`, `b`): logs takes one pod or owner; give a namespace with `-n`.'],
    [['deploy/'], '`deploy/` needs a name after the slash, e.g. `deploy/checkout`.'],
    [
      ['deploy/Web'],
      "`Web` is not a valid deploy name: it has uppercase letters; use lowercase letters, digits, '-' and '.' (DNS-1123).",
    ],
    [
      ['rs/web'],
      '`rs/` is not a kind logs takes: use a pod name or `deploy/`, `sts/`, `ds/`, `job/` NAME; read the logs of the Deployment that owns it (`deploy/NAME`).',
    ],
    [
      ['shop/web-0'],
      '`shop/` is not a kind logs takes: use a pod name or `deploy/`, `sts/`, `ds/`, `job/` NAME; if `shop` is a namespace, use `-n shop`.',
    ],
    // no namespace hint for what cannot be a namespace
    [
      ['Shop/web-0'],
      '`Shop/` is not a kind logs takes: use a pod name or `deploy/`, `sts/`, `ds/`, `job/` NAME.',
    ],
  ])('refuses %j', (words, message) => {
    expect(parseTarget(words, wording)).toEqual({ ok: false, error: `${message} ${USAGE}` });
  });

  it('the kind hints say what the verb does, the verb itself by default', () => {
    const r = parseTarget(['cj/nightly'], { verb: 'diagnose', usage: USAGE });
    expect(r.ok === false && r.error).toContain('; diagnose one of its Jobs (`job/NAME`).');
  });
});

describe('kinds are the listed ones only', () => {
  // `constructor/x` was read as a target whose kind was Object (a function), `__proto__/x` as {}.
  it.each(['diagnose', 'logs', 'events', 'describe'])('%s refuses constructor/ and __proto__/', (verb) => {
    for (const word of ['constructor', '__proto__']) {
      expect(reason(`${verb} ${word}/x -n shop`)).toMatch(
        new RegExp(`^\`${word}/\` is not a kind ${verb} takes`),
      );
    }
  });

  it.each(['strace', 'ps'])('%s refuses constructor/ as a pod word', (verb) => {
    expect(reason(`${verb} constructor/x -n shop`)).toBe(
      '`constructor/x` is not a pod name: a probe takes `POD` or `pod/POD`; if `constructor` is a namespace, use `-n constructor`.',
    );
  });
});

describe('parsePodWord: one pod', () => {
  const wording = { usage: USAGE, onePod: 'Probes target one pod', takes: 'a probe takes' };

  it.each(['web-0', 'pod/web-0', 'po/web-0', 'PODS/web-0'])('%j is the pod web-0', (word) => {
    expect(parsePodWord(word, 'shop', wording)).toEqual({ ok: true, name: 'web-0' });
  });

  it.each<[string, string | undefined, string]>([
    ['pod/', 'shop', '`pod/` needs a name after the slash, e.g. `pod/checkout`.'],
    [
      'deploy/web',
      'shop',
      'Probes target one pod, not a deploy: run `/poddebug diagnose deploy/web -n shop` to find the pod.',
    ],
    // what is not a valid name is not put in the suggested command
    [
      'deployment/Web',
      'Shop',
      'Probes target one pod, not a deployment: run `/poddebug diagnose deploy/NAME -n NS` to find the pod.',
    ],
    [
      'shop/web-0',
      undefined,
      '`shop/web-0` is not a pod name: a probe takes `POD` or `pod/POD`; if `shop` is a namespace, use `-n shop`.',
    ],
    ['/web-0', undefined, '`/web-0` is not a pod name: a probe takes `POD` or `pod/POD`.'],
  ])('refuses %j (-n %j)', (word, namespace, message) => {
    expect(parsePodWord(word, namespace, wording)).toEqual({ ok: false, error: `${message} ${USAGE}` });
  });
});

describe('parseScope: -n, -c, --cluster', () => {
  const missing = `Say which namespace. ${USAGE}`;

  it('gives the namespace, the container when given, and the default cluster', () => {
    expect(parseScope({ namespace: 'shop' }, ctx, USAGE, missing)).toEqual({
      ok: true,
      namespace: 'shop',
      cluster: 'prod',
    });
    expect(parseScope({ namespace: 'shop', container: 'app', cluster: 'staging' }, ctx, USAGE)).toEqual({
      ok: true,
      namespace: 'shop',
      container: 'app',
      cluster: 'staging',
    });
  });

  it("a missing namespace is refused with the verb's own message only when the verb requires one", () => {
    expect(parseScope({}, ctx, USAGE, missing)).toEqual({ ok: false, error: missing });
    expect(parseScope({}, ctx, USAGE)).toEqual({ ok: true, namespace: undefined, cluster: 'prod' });
  });

  it('checks in one order: namespace, container, cluster', () => {
    const all = { namespace: 'Shop', container: 'App', cluster: 'qa' };
    expect(parseScope(all, ctx, USAGE, missing)).toMatchObject({ error: /`Shop` is not a valid namespace/ });
    expect(parseScope({ ...all, namespace: undefined }, ctx, USAGE, missing)).toEqual({
      ok: false,
      error: missing,
    });
    expect(parseScope({ ...all, namespace: 'shop' }, ctx, USAGE)).toMatchObject({
      error: /`App` is not a valid container name/,
    });
    expect(parseScope({ namespace: 'shop', cluster: 'qa' }, ctx, USAGE)).toEqual({
      ok: false,
      error: `Unknown cluster \`qa\`: known clusters are \`prod\`, \`staging\`. ${USAGE}`,
    });
    expect(parseScope({}, { clusters: [], defaultCluster: 'prod' }, USAGE)).toMatchObject({
      error: /known clusters are none configured/,
    });
  });
});

describe('parsePodTarget: the pod word, then the scope', () => {
  const wording = {
    usage: USAGE,
    onePod: 'A debug container goes into one pod',
    takes: 'give',
    missingNamespace: `Say which namespace. ${USAGE}`,
  };

  it('gives the pod and where it is', () => {
    expect(parsePodTarget('pod/web-0', { namespace: 'shop', container: 'app' }, ctx, wording)).toEqual({
      ok: true,
      pod: 'web-0',
      namespace: 'shop',
      container: 'app',
      cluster: 'prod',
    });
  });

  it('refuses the pod word first, then a missing namespace', () => {
    expect(parsePodTarget('Web', {}, ctx, wording)).toMatchObject({ error: /`Web` is not a valid pod name/ });
    expect(parsePodTarget('web', {}, ctx, wording)).toEqual({ ok: false, error: wording.missingNamespace });
  });
});

describe('podRequest: the contract has the last word', () => {
  it('builds the target, with the container only when given', () => {
    expect(podRequest({ action: 'ps' }, { pod: 'web-0', namespace: 'shop', cluster: 'prod' }, USAGE)).toEqual(
      {
        ok: true,
        help: false,
        cluster: 'prod',
        target: { namespace: 'shop', pod: 'web-0' },
        spec: { action: 'ps' },
      },
    );
    expect(
      podRequest(
        { action: 'fds' },
        { pod: 'web-0', namespace: 'shop', container: 'app', cluster: 'prod' },
        USAGE,
      ),
    ).toMatchObject({ target: { namespace: 'shop', pod: 'web-0', container: 'app' } });
  });

  it('refuses, sending nothing, what the grammar let through but the contract does not take', () => {
    const spec = { action: 'strace' as const, durationSec: 10_000, full: false, failedOnly: false };
    expect(podRequest(spec, { pod: 'web-0', namespace: 'shop', cluster: 'prod' }, USAGE)).toEqual({
      ok: false,
      error: `That strace request does not fit the request contract, so it was not sent. ${USAGE}`,
    });
  });
});

describe('takeQuoted, parseHostList, splitWords', () => {
  it('takeQuoted: the quoted value and what follows; the messages name the value', () => {
    expect(takeQuoted('"a b" -n x', 'filter', USAGE)).toEqual({ ok: true, value: 'a b', tail: ' -n x' });
    expect(takeQuoted("'x'", 'pattern', USAGE)).toEqual({ ok: true, value: 'x', tail: '' });
    expect(takeQuoted('a b', 'filter', USAGE)).toBeUndefined();
    expect(takeQuoted('"a b', 'pattern', USAGE)).toEqual({
      ok: false,
      error: `The pattern's opening quote is never closed. ${USAGE}`,
    });
    expect(takeQuoted('"a"b', 'filter', USAGE)).toEqual({
      ok: false,
      error: `Put a space after the filter's closing quote. ${USAGE}`,
    });
  });

  it('parseHostList: each host once, at most max, the first bad word refused', () => {
    expect(parseHostList(['db:5432', 'DB:5432', 'db'], 8, 'netcheck')).toEqual({
      ok: true,
      hosts: [{ host: 'db', port: 5432 }, { host: 'db' }],
    });
    expect(parseHostList(['a', 'b', 'c'], 2, 'connectivity')).toEqual({
      ok: false,
      error: 'connectivity checks at most 2 hosts at once (3 given).',
    });
    expect(parseHostList(['db', 'a:0', 'b_c'], 8, 'netcheck')).toMatchObject({ error: /`0` is not a port/ });
  });

  it('splitWords: split on white space, one pair of quotes off each word', () => {
    expect(splitWords('  logs "web-0"\t-n  \'shop\' ')).toEqual(['logs', 'web-0', '-n', 'shop']);
    expect(splitWords('   ')).toEqual([]);
  });
});

describe('every verb that takes a target checks it alike', () => {
  // {T}: the target word, {O}: the options; the rest makes each command otherwise valid.
  const forms: Record<string, string> = {
    diagnose: 'diagnose {T} {O}',
    logs: 'logs {T} {O}',
    events: 'events {T} {O}',
    describe: 'describe {T} {O}',
    strace: 'strace {T} {O}',
    mem: 'mem {T} {O}',
    ps: 'ps {T} {O}',
    fds: 'fds {T} {O}',
    netcheck: 'netcheck {T} {O} db:5432',
    tcpdump: 'tcpdump {T} {O} --duration 5',
    debug: 'debug {T} {O} -- ls',
    connectivity: 'connectivity {T} {O} db:5432',
  };
  const takesContainer = (verb: string) => verb !== 'events' && verb !== 'describe';
  const command = (verb: string, target: string, options: string) =>
    forms[verb]!.replace('{T}', target).replace('{O}', options);

  it.each<[string, string, string, (verb: string) => boolean]>([
    ['web-0', '-n Shop', '`Shop` is not a valid namespace', () => true],
    ['web-0', '--namespace=""', 'The namespace is empty', () => true],
    ['web-0', '-n shop -c App', '`App` is not a valid container name', takesContainer],
    [
      'web-0',
      '-n shop --cluster qa',
      'Unknown cluster `qa`: known clusters are `prod`, `staging`.',
      () => true,
    ],
    ['web-0', '-n shop -c App --cluster qa', '`App` is not a valid container name', takesContainer],
    ['Web-0', '-n shop', '`Web-0` is not a valid pod name: it has uppercase letters', () => true],
    ['pod/', '-n shop', '`pod/` needs a name after the slash, e.g. `pod/checkout`.', () => true],
  ])('%s %s', (target, options, expected, applies) => {
    const verbs = Object.keys(forms).filter(applies);
    const messages = new Set(verbs.map((verb) => reason(command(verb, target, options))));
    expect([...messages]).toHaveLength(1);
    expect([...messages][0]).toContain(expected);
  });
});

// Each case below is input on which the verbs' own copies of the target parsing used to answer differently.
describe('where the verbs used to disagree, they now agree', () => {
  it('debug and connectivity name the owner in the diagnose command they suggest, and only a valid namespace', () => {
    expect(err('debug deploy/web -n shop -- ls')).toContain('run `/poddebug diagnose deploy/web -n shop`');
    // was `deploy/NAME -n shop`, and `-n shop-` for an invalid namespace
    expect(err('connectivity sts/db -n shop- db')).toContain('run `/poddebug diagnose sts/db -n NS`');
  });

  it('debug and connectivity say when the word before the slash may be the namespace', () => {
    for (const text of ['debug shop/web-0 -- ls', 'connectivity shop/web-0 db']) {
      expect(reason(text)).toBe(
        '`shop/web-0` is not a pod name: give `POD` or `pod/POD`; if `shop` is a namespace, use `-n shop`.',
      );
    }
  });

  it('`pod/` without a name gets one message everywhere (the probes and debug said "The pod name is empty")', () => {
    for (const [text, kind] of [
      ['strace pod/ -n shop', 'pod'],
      ['debug po/ -n shop -- ls', 'po'],
      ['logs pod/ -n shop', 'pod'],
      ['diagnose pod/', 'pod'],
    ]) {
      expect(reason(text!)).toBe(`\`${kind}/\` needs a name after the slash, e.g. \`${kind}/checkout\`.`);
    }
  });

  it('the reads give the hints diagnose gives for kinds they do not take', () => {
    expect(reason('logs rs/web -n shop')).toMatch(
      /; read the logs of the Deployment that owns it \(`deploy\/NAME`\)\.$/,
    );
    expect(reason('events svc/web -n shop')).toMatch(
      /; a Service has no pods of its own; read the events of one of its pods or its Deployment\.$/,
    );
    expect(reason('describe cronjob/nightly -n shop')).toMatch(
      /; describe one of its Jobs \(`job\/NAME`\)\.$/,
    );
    expect(reason('logs shop/web-0')).toMatch(/; if `shop` is a namespace, use `-n shop`\.$/);
    // diagnose's own hints read as before
    expect(reason('diagnose rs/web -n shop')).toMatch(
      /; diagnose the Deployment that owns it \(`deploy\/NAME`\)\.$/,
    );
  });

  it('diagnose refuses `--` as the reads do (it accepted it)', () => {
    for (const text of ['diagnose web-0 -n shop --', 'diagnose -- web-0', 'logs -- web-0 -n shop']) {
      expect(reason(text)).toBe("`--` is not accepted here: names never start with '-'.");
    }
  });

  it('the reads and diagnose check -n, -c and --cluster in the order the probes do', () => {
    // logs checked the cluster before the container
    for (const text of ['logs web-0 -n shop -c App --cluster qa', 'ps web-0 -n shop -c App --cluster qa']) {
      expect(reason(text)).toMatch(/^`App` is not a valid container name/);
    }
    // diagnose checked the container before asking for an owner's namespace
    for (const text of ['diagnose deploy/web -c App', 'logs deploy/web -c App']) {
      expect(reason(text)).toMatch(/^Say which namespace/);
    }
  });
});
