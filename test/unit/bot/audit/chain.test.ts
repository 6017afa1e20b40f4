import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  type AuditKey,
  canonicalJson,
  checkpointEvent,
  entryHash,
  entryMac,
  formatHead,
  GENESIS,
  type KeyedVerify,
  parseAuditKeys,
  parseHead,
  type RawEntry,
  unrequestedProblems,
  verifyChain,
} from '../../../../bot/audit/chain.js';
import { auditEvent } from '../../../../bot/audit/event.js';

const T0 = 1764300000000;
const idOf = (i: number) => `${T0 + i}-0`;

function eventJson(i: number): string {
  return canonicalJson(
    auditEvent(
      {
        type: i % 2 ? 'succeeded' : 'requested',
        requestId: `req-${i}`,
        cluster: 'prod',
        action: 'diagnose',
        target: { namespace: 'shop', name: `checkout-${i}` },
        actor: 'U0ALICE',
        requester: 'U0ALICE',
        channel: 'C0INCIDENT',
      },
      () => new Date(T0 + i * 1000),
    ),
  );
}

/** A well-formed chain of n entries and its head, as AuditStream writes them. */
function makeChain(n: number): { entries: RawEntry[]; head: string | null } {
  const entries: RawEntry[] = [];
  let prev = GENESIS;
  for (let i = 0; i < n; i++) {
    const seq = i + 1;
    const event = eventJson(i);
    const hash = entryHash(prev, seq, event);
    entries.push({ id: idOf(i * 10), seq: String(seq), prev, hash, event });
    prev = hash;
  }
  return { entries, head: n ? formatHead({ seq: n, hash: prev }) : null };
}

/** An entry someone forged: links to `prev` with sequence number `seq` and a correct hash of its own. */
function forged(id: string, prev: string, seq: number): RawEntry {
  const event = canonicalJson({ ...JSON.parse(eventJson(99)), requestId: 'forged' });
  return { id, seq: String(seq), prev, hash: entryHash(prev, seq, event), event };
}

const rehash = (e: RawEntry) => ({ ...e, hash: entryHash(e.prev!, Number(e.seq), e.event!) });
const editEvent = (e: RawEntry) => ({ ...e, event: e.event!.replace('"U0ALICE"', '"U0MALLORY"') });
const randomHash = (s: string) => createHash('sha256').update(s).digest('hex');

describe('canonicalJson and entryHash', () => {
  it('gives one text per value: keys sorted at every level, no whitespace, undefined dropped', () => {
    const a = canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined });
    const b = canonicalJson({ a: { c: 'x', d: [3, { y: 2, z: 1 }] }, b: 1 });
    expect(a).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(b).toBe(a);
  });

  it('hashes prev, sequence number and event as documented: sha256(prev \\n seq \\n json)', () => {
    const expected = createHash('sha256').update(`${GENESIS}\n1\n{"a":1}`).digest('hex');
    expect(entryHash(GENESIS, 1, '{"a":1}')).toBe(expected);
    expect(entryHash(GENESIS, 2, '{"a":1}')).not.toBe(expected);
    expect(GENESIS).toMatch(/^0{64}$/);
  });

  it('parses the head value and refuses anything else', () => {
    const h = 'a'.repeat(64);
    expect(parseHead(`17:${h}`)).toEqual({ seq: 17, hash: h });
    expect(parseHead(null)).toBeNull();
    for (const bad of ['', '17', `0:${h}`, `x:${h}`, `17:${h}x`, `17:${'A'.repeat(64)}`]) {
      expect(parseHead(bad)).toBe('malformed');
    }
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and says how many entries it has', () => {
    const { entries, head } = makeChain(20);
    expect(verifyChain(entries, head)).toEqual({ ok: true, count: 20 });
    expect(verifyChain([], null)).toEqual({ ok: true, count: 0 });
  });

  type Case = {
    name: string;
    tamper: (c: { entries: RawEntry[]; head: string | null }) => { entries: RawEntry[]; head: string | null };
    problems: { kind: string; index: number; id?: string; message: RegExp }[];
  };
  const n = 10;
  const cases: Case[] = [
    {
      name: 'an edited event (hash left alone)',
      tamper: ({ entries, head }) => ({ entries: entries.map((e, i) => (i === 4 ? editEvent(e) : e)), head }),
      problems: [
        {
          kind: 'edited',
          index: 4,
          message:
            /^entry 1764300000040-0 \(#5\): its content does not match its hash: the entry was edited$/,
        },
      ],
    },
    {
      name: 'an edited hash field',
      tamper: ({ entries, head }) => ({
        entries: entries.map((e, i) => (i === 4 ? { ...e, hash: randomHash('x') } : e)),
        head,
      }),
      problems: [{ kind: 'edited', index: 4, message: /#5\): its content does not match its hash/ }],
    },
    {
      name: 'an edited event whose hash was recomputed',
      tamper: ({ entries, head }) => ({
        entries: entries.map((e, i) => (i === 4 ? rehash(editEvent(e)) : e)),
        head,
      }),
      problems: [
        {
          kind: 'edited',
          index: 4,
          message:
            /^entry 1764300000040-0 \(#5\): its hash does not match the prev hash of entry 1764300000050-0 \(#6\): the entry was edited and its hash recomputed$/,
        },
      ],
    },
    {
      name: 'the last event edited and its hash recomputed (seen from the head)',
      tamper: ({ entries, head }) => ({
        entries: entries.map((e, i) => (i === n - 1 ? rehash(editEvent(e)) : e)),
        head,
      }),
      problems: [{ kind: 'edited', index: n - 1, message: /#10\): its hash does not match the head/ }],
    },
    {
      name: 'an edited sequence number',
      tamper: ({ entries, head }) => ({
        entries: entries.map((e, i) => (i === 3 ? { ...e, seq: '40' } : e)),
        head,
      }),
      problems: [
        {
          kind: 'edited',
          index: 3,
          message: /#4\): its sequence number 40 should be 4: the entry was edited/,
        },
      ],
    },
    {
      name: 'an entry inserted that links to its predecessor (seq and hash made to fit)',
      tamper: ({ entries, head }) => {
        const x = forged('1764300000035-0', entries[3]!.hash!, 5);
        return { entries: [...entries.slice(0, 4), x, ...entries.slice(4)], head };
      },
      problems: [
        {
          kind: 'inserted',
          index: 4,
          id: '1764300000035-0',
          message:
            /^entry 1764300000035-0 \(#5\): it is not part of the chain: entry 1764300000040-0 \(#6\) links straight to entry 1764300000030-0 \(#4\): the entry was inserted$/,
        },
      ],
    },
    {
      name: 'a copy of an entry with other content inserted after it',
      tamper: ({ entries, head }) => {
        const x = { ...editEvent(entries[3]!), id: '1764300000035-0' };
        return { entries: [...entries.slice(0, 4), x, ...entries.slice(4)], head };
      },
      problems: [
        {
          kind: 'inserted',
          index: 4,
          message:
            /^entry 1764300000035-0 \(#5\): it repeats the link after entry 1764300000020-0 \(#3\) \(sequence number 4\) and its content does not match its hash: the entry was inserted$/,
        },
      ],
    },
    {
      name: 'a copy of an entry with other content inserted before it',
      tamper: ({ entries, head }) => {
        const x = { ...editEvent(entries[3]!), id: '1764300000025-0' };
        return { entries: [...entries.slice(0, 3), x, ...entries.slice(3)], head };
      },
      problems: [
        {
          kind: 'inserted',
          index: 3,
          message:
            /^entry 1764300000025-0 \(#4\): it is not part of the chain: entry 1764300000030-0 \(#5\) links straight to entry 1764300000020-0 \(#3\)/,
        },
      ],
    },
    {
      name: 'two entries inserted in a row',
      tamper: ({ entries, head }) => {
        const x = forged('1764300000035-0', entries[3]!.hash!, 5);
        const y = forged('1764300000036-0', x.hash!, 6);
        return { entries: [...entries.slice(0, 4), x, y, ...entries.slice(4)], head };
      },
      problems: [
        { kind: 'inserted', index: 4, message: /#5\): it is not part of the chain/ },
        { kind: 'inserted', index: 5, message: /#6\): it is not part of the chain/ },
      ],
    },
    {
      name: 'a crude insertion: prev hash from nowhere, sequence number from the past',
      tamper: ({ entries, head }) => {
        const x = forged('1764300000035-0', randomHash('nowhere'), 2);
        return { entries: [...entries.slice(0, 4), x, ...entries.slice(4)], head };
      },
      problems: [
        {
          kind: 'inserted',
          index: 4,
          message:
            /#5\): its prev hash matches no earlier entry and its sequence number 2 does not follow 4: the entry was inserted/,
        },
      ],
    },
    {
      name: 'a crude insertion that takes the next sequence number',
      tamper: ({ entries, head }) => {
        const x = forged('1764300000035-0', randomHash('nowhere'), 5);
        return { entries: [...entries.slice(0, 4), x, ...entries.slice(4)], head };
      },
      problems: [{ kind: 'inserted', index: 4, message: /#5\): it is not part of the chain/ }],
    },
    {
      name: 'a crude insertion that claims a sequence number far ahead',
      tamper: ({ entries, head }) => {
        const x = forged('1764300000035-0', randomHash('nowhere'), 9);
        return { entries: [...entries.slice(0, 4), x, ...entries.slice(4)], head };
      },
      problems: [{ kind: 'inserted', index: 4, message: /#5\): it is not part of the chain/ }],
    },
    {
      name: 'an entry inserted before the first one',
      tamper: ({ entries, head }) => ({ entries: [forged('1764299999999-0', GENESIS, 1), ...entries], head }),
      problems: [
        {
          kind: 'inserted',
          index: 0,
          message: /#1\): it is not part of the chain: .* links straight to the start/,
        },
      ],
    },
    {
      name: 'an entry appended without moving the head',
      tamper: ({ entries, head }) => ({
        entries: [...entries, forged('1764300000999-0', entries[n - 1]!.hash!, n + 1)],
        head,
      }),
      problems: [
        {
          kind: 'inserted',
          index: n,
          message: /#11\): it comes after the last entry the head records \(sequence number 10\)/,
        },
      ],
    },
    {
      name: 'a deleted middle entry',
      tamper: ({ entries, head }) => ({ entries: entries.filter((_, i) => i !== 6), head }),
      problems: [
        {
          kind: 'deleted',
          index: 6,
          id: '1764300000070-0',
          message: /^before entry 1764300000070-0 \(#7\): 1 entry is missing \(sequence number 7\): deleted$/,
        },
      ],
    },
    {
      name: 'two deleted middle entries',
      tamper: ({ entries, head }) => ({ entries: entries.filter((_, i) => i !== 2 && i !== 3), head }),
      problems: [
        {
          kind: 'deleted',
          index: 2,
          message: /#3\): 2 entries are missing \(sequence numbers 3–4\): deleted/,
        },
      ],
    },
    {
      name: 'the first entry deleted',
      tamper: ({ entries, head }) => ({ entries: entries.slice(1), head }),
      problems: [
        {
          kind: 'deleted',
          index: 0,
          message: /^before entry 1764300000010-0 \(#1\): 1 entry is missing \(sequence number 1\)/,
        },
      ],
    },
    {
      name: 'the last three entries deleted',
      tamper: ({ entries, head }) => ({ entries: entries.slice(0, n - 3), head }),
      problems: [
        {
          kind: 'deleted-at-end',
          index: n - 3,
          message:
            /^after entry 1764300000060-0 \(#7\): the head records 10 entries but the chain ends at 7: the last 3 entries were deleted \(sequence numbers 8–10\)$/,
        },
      ],
    },
    {
      name: 'every entry deleted, the head left',
      tamper: ({ head }) => ({ entries: [], head }),
      problems: [
        {
          kind: 'deleted-at-end',
          index: 0,
          id: 'head',
          message: /the stream is empty: the head records 10 entries/,
        },
      ],
    },
    {
      name: 'the head deleted',
      tamper: ({ entries }) => ({ entries, head: null }),
      problems: [
        {
          kind: 'deleted-at-end',
          index: n,
          id: 'head',
          message: /head key is missing although the stream has 10 entries/,
        },
      ],
    },
    {
      name: 'an entry with its hash field removed',
      tamper: ({ entries, head }) => ({
        entries: entries.map((e, i) =>
          i === 2 ? { id: e.id, seq: e.seq, prev: e.prev, event: e.event } : e,
        ),
        head,
      }),
      problems: [
        {
          kind: 'malformed',
          index: 2,
          message: /^entry 1764300000020-0 \(#3\): field hash missing: the entry is malformed/,
        },
      ],
    },
    {
      name: 'an entry whose event is not JSON',
      tamper: ({ entries, head }) => ({
        entries: entries.map((e, i) => (i === 2 ? { ...e, event: '{"type":' } : e)),
        head,
      }),
      problems: [{ kind: 'malformed', index: 2, message: /#3\): its event is not JSON/ }],
    },
    {
      name: 'a malformed last entry',
      tamper: ({ entries, head }) => ({
        entries: entries.map((e, i) => (i === n - 1 ? { ...e, prev: 'nope' } : e)),
        head,
      }),
      problems: [{ kind: 'malformed', index: n - 1, message: /#10\): its prev field is not a sha256 hash/ }],
    },
    {
      name: 'a malformed head',
      tamper: ({ entries }) => ({ entries, head: 'garbage' }),
      problems: [{ kind: 'malformed', index: n, id: 'head', message: /head key is not `seq:hash`/ }],
    },
  ];

  it.each(cases)('finds $name, and only that', ({ tamper, problems }) => {
    const { entries, head } = tamper(makeChain(n));
    const r = verifyChain(entries, head);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.count).toBe(entries.length);
    expect(r.problems.map((p) => ({ kind: p.kind, index: p.index }))).toEqual(
      problems.map((p) => ({ kind: p.kind, index: p.index })),
    );
    problems.forEach((want, i) => {
      const got = r.problems[i]!;
      expect(got.message).toMatch(want.message);
      expect(got.id).toBe(want.id ?? entries[want.index]?.id ?? entries[entries.length - 1]?.id);
    });
  });

  it('reports separate tamperings separately', () => {
    const { entries, head } = makeChain(n);
    const t = entries.map((e, i) => (i === 1 ? editEvent(e) : e)).filter((_, i) => i !== 5);
    const r = verifyChain(t.slice(0, 7), head);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => `${p.kind}@${p.index}`)).toEqual([
      'edited@1',
      'deleted@5',
      'deleted-at-end@7',
    ]);
  });
});

describe('unrequestedProblems', () => {
  const prb = `prb-prod-${'a'.repeat(24)}`;
  const diag = `diag-prod-${'b'.repeat(24)}`;
  const entry = (i: number, requestId: string, type: string) => ({
    id: `${i}-0`,
    event: JSON.stringify({ requestId, type }),
  });
  it('is quiet when every request starts with its requested entry; commands that never became requests do not count', () => {
    expect(
      unrequestedProblems([
        entry(1, prb, 'requested'),
        entry(2, prb, 'approval'),
        entry(3, 'cmd-123.456', 'refused'),
        entry(4, diag, 'requested'),
        entry(5, diag, 'succeeded'),
      ]),
    ).toEqual([]);
  });
  it('names each request that has entries but no requested entry before them, once', () => {
    const problems = unrequestedProblems([
      entry(1, diag, 'succeeded'),
      entry(2, diag, 'failed'),
      entry(3, prb, 'approval'),
      entry(4, prb, 'requested'),
      { id: '5-0', event: '{broken' },
    ]);
    expect(problems.map((p) => [p.kind, p.id])).toEqual([
      ['unrequested', '1-0'],
      ['unrequested', '3-0'],
    ]);
    expect(problems[0]!.message).toMatch(new RegExp(`${diag} has a succeeded entry but no requested entry`));
  });
});

describe('keyed chain (HMAC with a key id, checkpoints)', () => {
  const K1: AuditKey = { kid: 'k2026a', secret: Buffer.alloc(32, 1) };
  const K2: AuditKey = { kid: 'k2026b', secret: Buffer.alloc(32, 2) };
  const CHECKPOINT_MS = 300_000;

  /**
   * A keyed chain as the bot writes it: `n` events with a checkpoint before every `every`-th one, written with
   * `keyOf(i)`; entry i at T0 + i min (so a checkpoint every 5 minutes, as the bot's default). Returns the entries, the head and the time of the newest checkpoint.
   */
  function keyedChain(n: number, keyOf: (i: number) => AuditKey = () => K1, every = 5) {
    const entries: RawEntry[] = [];
    let prev = GENESIS;
    let lastCheckpoint = 0;
    const push = (event: string, key: AuditKey, t: number) => {
      const seq = entries.length + 1;
      const hash = entryMac(key, prev, seq, event);
      entries.push({ id: `${t}-${seq}`, seq: String(seq), prev, hash, event, kid: key.kid });
      prev = hash;
    };
    for (let i = 0; i < n; i++) {
      const t = T0 + i * 60_000;
      if (i % every === 0) {
        push(checkpointEvent(new Date(t)), keyOf(i), t);
        lastCheckpoint = t;
      }
      push(eventJson(i), keyOf(i), t);
    }
    return { entries, head: formatHead({ seq: entries.length, hash: prev }), lastCheckpoint };
  }
  const opts = (nowMs: number, keys: AuditKey[] = [K1, K2]): KeyedVerify => ({
    keys,
    now: new Date(nowMs),
    maxCheckpointAgeMs: 2 * CHECKPOINT_MS,
  });
  const kinds = (r: ReturnType<typeof verifyChain>) =>
    r.ok ? [] : r.problems.map((p) => `${p.kind}@${p.index}`);

  it('an intact keyed chain verifies with its keys (two of them during a rotation)', () => {
    const { entries, head, lastCheckpoint } = keyedChain(20, (i) => (i < 10 ? K1 : K2));
    expect(verifyChain(entries, head, opts(lastCheckpoint + 60_000))).toEqual({
      ok: true,
      count: entries.length,
    });
  });

  it('HMACs the key id, prev, sequence number and event with the key', () => {
    expect(entryMac(K1, GENESIS, 1, '{}')).not.toBe(entryMac(K2, GENESIS, 1, '{}'));
    expect(entryMac(K1, GENESIS, 1, '{}')).not.toBe(entryMac({ ...K1, kid: 'other' }, GENESIS, 1, '{}'));
    expect(entryMac(K1, GENESIS, 1, '{}')).not.toBe(entryHash(GENESIS, 1, '{}'));
  });

  it('finds an edited entry even when its MAC was recomputed with another key', () => {
    const { entries, head, lastCheckpoint } = keyedChain(12);
    const wrong: AuditKey = { kid: K1.kid, secret: Buffer.alloc(32, 9) };
    const t = entries.map((e, i) =>
      i === 4 ? { ...editEvent(e), hash: entryMac(wrong, e.prev!, Number(e.seq), editEvent(e).event!) } : e,
    );
    expect(kinds(verifyChain(t, head, opts(lastCheckpoint)))).toContain('edited@4');
  });

  it('finds an inserted and a deleted entry', () => {
    const { entries, head, lastCheckpoint } = keyedChain(12);
    const ins = [
      ...entries.slice(0, 6),
      { ...forged('x-1', entries[5]!.hash!, 7), kid: K1.kid },
      ...entries.slice(6),
    ];
    expect(verifyChain(ins, head, opts(lastCheckpoint)).ok).toBe(false);
    const del = entries.filter((_, i) => i !== 7);
    expect(kinds(verifyChain(del, head, opts(lastCheckpoint)))).toEqual(['deleted@7']);
  });

  it('finds a chain rewritten whole without the key (sha256 like an unkeyed chain, head reset to match)', () => {
    const { entries } = keyedChain(12);
    let prev = GENESIS;
    const rewritten = entries.map((e) => {
      const event = editEvent(e).event!;
      const seq = Number(e.seq);
      const hash = entryHash(prev, seq, event);
      const r: RawEntry = { id: e.id, seq: e.seq, prev, hash, event };
      prev = hash;
      return r;
    });
    const head = formatHead({ seq: rewritten.length, hash: prev });
    // Unkeyed, it looks intact: exactly what the key is for.
    expect(verifyChain(rewritten, head).ok).toBe(true);
    const r = verifyChain(rewritten, head, opts(T0));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.filter((p) => p.kind === 'unkeyed')).toHaveLength(rewritten.length);
    expect(r.problems[0]!.message).toMatch(/carries no key id: it was not written with the audit key/);
    expect(r.problems.at(-1)!.kind).toBe('checkpoint');
  });

  it('finds a chain rewritten with a guessed key under the real key id', () => {
    const guess: AuditKey = { kid: K1.kid, secret: Buffer.alloc(32, 7) };
    const { entries, head, lastCheckpoint } = keyedChain(8, () => guess);
    const r = verifyChain(entries, head, opts(lastCheckpoint));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.some((p) => p.kind === 'edited')).toBe(true);
    // No checkpoint with a valid MAC either.
    expect(r.problems.at(-1)!.kind).toBe('checkpoint');
  });

  it('names entries written with a key it was not given', () => {
    const { entries, head, lastCheckpoint } = keyedChain(4, () => K2);
    const r = verifyChain(entries, head, opts(lastCheckpoint, [K1]));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems[0]!.message).toMatch(/written with key "k2026b", which is not among the keys given/);
  });

  it('finds a truncated tail: the newest entries deleted and the head reset to the entry before them', () => {
    const { entries, lastCheckpoint } = keyedChain(30);
    // An attacker drops everything from the last two checkpoints on and points the head at what is left.
    const cut = entries.findIndex(
      (e) => e.event!.includes('"checkpoint"') && e.id.startsWith(String(T0 + 20 * 60_000)),
    );
    const kept = entries.slice(0, cut);
    const head = formatHead({ seq: kept.length, hash: kept.at(-1)!.hash! });
    // Within the interval, a consistent shorter chain is all there is to see…
    expect(verifyChain(kept, head, opts(T0 + 15 * 60_000 + 60_000)).ok).toBe(true);
    // …but the bot kept writing checkpoints: by now the newest one must be recent, and it is not.
    const now = lastCheckpoint + 60_000;
    const r = verifyChain(kept, head, opts(now));
    expect(kinds(r)).toEqual([`checkpoint@${kept.length}`]);
    if (!r.ok)
      expect(r.problems[0]!.message).toMatch(
        /newest checkpoint.*is \d+ s old, more than the 600 s allowed: the newest entries were deleted/,
      );
  });

  it('reports a stream without any checkpoint', () => {
    const { entries, head } = keyedChain(3, () => K1, 1000);
    const noCheckpoints = entries.slice(1).map((e, i) => ({ ...e, seq: String(i + 1) }));
    const r = verifyChain(noCheckpoints, head, opts(T0));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems.some((p) => p.kind === 'checkpoint' && /no checkpoint/.test(p.message))).toBe(true);
  });

  it('an unkeyed check refuses keyed entries rather than pass them unchecked', () => {
    const { entries, head } = keyedChain(3);
    const r = verifyChain(entries, head);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems[0]!.message).toMatch(/written with audit key "k2026a": verify with the keys/);
  });

  it('reads a key file: kid:base64 lines, first writes; refuses short secrets, bad ids, duplicates', () => {
    const b64 = (n: number) => Buffer.alloc(32, n).toString('base64');
    const keys = parseAuditKeys(`# audit keys\nnew:${b64(1)}\n\nold:${b64(2)}\n`);
    expect(keys.map((k) => k.kid)).toEqual(['new', 'old']);
    expect(keys[0]!.secret.equals(Buffer.alloc(32, 1))).toBe(true);
    expect(() => parseAuditKeys(`k:${Buffer.alloc(16).toString('base64')}`)).toThrow(/at least 32 bytes/);
    expect(() => parseAuditKeys(`K Y:${b64(1)}`)).toThrow(/line 1/);
    expect(() => parseAuditKeys(`a:${b64(1)}\na:${b64(2)}`)).toThrow(/given twice/);
    expect(() => parseAuditKeys('# nothing\n')).toThrow(/holds no key/);
  });
});
