/**
 * `/poddebug jobs` and `/poddebug cancel ID` through the whole grammar (parseCommand): the forms it takes,
 * a table of malformed inputs (each a clear message with the usage line, never a command), and the help.
 */
import { describe, expect, it } from '@jest/globals';
import { type Command, helpText, parseCommand } from '../../../../bot/grammar/index.js';

const ctx = { clusters: ['prod', 'staging'], defaultCluster: 'prod' };
const ID = 'prb-prod-0123456789abcdef01234567';
const DIAG = 'diag-prod-89abcdef0123456789abcdef';

function ok(text: string): Command {
  const r = parseCommand(text, ctx);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${r.error}`);
  return r.command;
}

describe('jobs and cancel: valid forms', () => {
  it.each<[string, Command]>([
    ['jobs', { verb: 'jobs' }],
    ['  JOBS  ', { verb: 'jobs' }],
    [`cancel ${ID}`, { verb: 'cancel', id: ID }],
    [`cancel ${DIAG}`, { verb: 'cancel', id: DIAG }],
    [`Cancel ${ID.toUpperCase()}`, { verb: 'cancel', id: ID }],
    // The job ids a thread shows (`run-prb-…`, `plan-prb-…`) name their request.
    [`cancel run-${ID}`, { verb: 'cancel', id: ID }],
    [`cancel plan-${ID}`, { verb: 'cancel', id: ID }],
    [`cancel "${ID}"`, { verb: 'cancel', id: ID }],
    ['jobs --help', { verb: 'help', topic: 'jobs' }],
    ['cancel -h', { verb: 'help', topic: 'cancel' }],
    ['help jobs', { verb: 'help', topic: 'jobs' }],
    ['help cancel', { verb: 'help', topic: 'cancel' }],
  ])('%j', (text, command) => {
    expect(ok(text)).toEqual(command);
  });
});

describe('jobs and cancel: malformed input', () => {
  // Each: the input, what the message must say. Every message ends with the command's usage line.
  const cases: Array<[string, RegExp]> = [
    ['jobs all', /`jobs` takes no arguments \(got `all`\)/],
    ['jobs -n shop', /`jobs` takes no arguments/],
    ['jobs --cluster prod', /`jobs` takes no arguments/],
    ['cancel', /Missing request id: which request\? `\/poddebug jobs` lists this channel's/],
    [`cancel ${ID} ${DIAG}`, /`cancel` takes one request id \(got 2 words/],
    ['cancel --all', /`cancel` has no option `--all`/],
    [
      'cancel prb-123',
      /`prb-123` is not a request id: ids are `diag-<cluster>-<24 hex>` or `prb-<cluster>-<24 hex>`/,
    ],
    [`cancel ${ID}0`, /is not a request id/],
    ['cancel prb-0123456789abcdef0123456g', /is not a request id/],
    ['cancel checkout-7d9f8b-x2kq', /`checkout-7d9f8b-x2kq` is not a request id/],
    [`cancel diagnose-${ID}`, /is not a request id/],
    [`cancel run-${DIAG}`, /is not a request id/],
    [`cancel \`${ID}\``, /A backtick is not allowed/],
    [`cancel ${ID};rm`, /`;` \(semicolon\) is not allowed/],
    [`cancel ${ID} | true`, /`\|` \(pipe\) is not allowed/],
    [`cancel <@U0ALICE>`, /A user mention is not a pod name/],
    [`cancel ${ID}\nrm -rf /`, /one line, but this one has a line break/],
    [`cancel \u0440rb-0123456789abcdef01234567`, /non-ASCII character \(`\\u0440`\) that looks like `p`/],
    [`cancel ${ID}\u200b`, /invisible formatting character/],
    [`canсel ${ID}`, /non-ASCII character/],
    ['cancle prb-prod-0123456789abcdef01234567', /Unknown command `cancle`\. Did you mean `cancel`\?/],
    ['job', /Did you mean `jobs`\?/],
  ];
  it.each(cases)('%j', (text, message) => {
    const r = parseCommand(text, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(message);
    expect(r.error).not.toMatch(/before an upgrade/);
    // The right usage follows, so the user sees how to do it right.
    if (/^(jobs|cancel)\b/i.test(text) && !/\\u|line break|non-ASCII/.test(r.error)) {
      expect(r.error).toMatch(/Usage: `\/poddebug (jobs|cancel)/);
    }
    expect(r.error.length).toBeLessThan(600);
  });
});

describe('cancel with an id from before an upgrade (no cluster in it)', () => {
  const HEX = '3f2a9c0d1e2f3a4b5c6d7e8f';
  it.each([`prb-${HEX}`, `diag-${HEX}`, `run-prb-${HEX}`, `plan-prb-${HEX}`, `PRB-${HEX.toUpperCase()}`])(
    '%j: its request is no longer tracked, nothing to cancel',
    (id) => {
      const r = parseCommand(`cancel ${id}`, ctx);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error).toBe(
        `\`${id}\` is an id from before an upgrade of poddebug: that request is no longer tracked, so there is nothing to cancel. \`/poddebug jobs\` lists this channel's current requests. Usage: \`/poddebug cancel ID\` (an id from \`/poddebug jobs\`, e.g. \`prb-prod-eu-3f2a9c0d1e2f3a4b5c6d7e8f\`)`,
      );
      expect(r.error).not.toMatch(/not a request id/);
    },
  );
  it.each([`prb-${HEX}0`, `prb-${HEX.slice(1)}`, `run-diag-${HEX}`, `cancel-prb-${HEX}`])(
    '%j is not one: not a request id',
    (id) => {
      const r = parseCommand(`cancel ${id}`, ctx);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error).toMatch(/is not a request id/);
    },
  );
});

describe('cancel: the usage line', () => {
  it('the usage line shows an id of the current form', () => {
    const r = parseCommand('cancel', ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain('e.g. `prb-prod-eu-3f2a9c0d1e2f3a4b5c6d7e8f`');
  });
});

describe('help', () => {
  it('the overview lists jobs and cancel with what they do', () => {
    const text = helpText();
    expect(text).toContain('*Job control*');
    expect(text).toContain("• `/poddebug jobs`: this channel's queued and running requests");
    expect(text).toContain('• `/poddebug cancel ID`: cancel a queued request, or stop a running one');
    expect(text).toMatch(/help \[diagnose\|strace\|.*\|jobs\|cancel\]/);
  });
  it('help jobs and help cancel give the full form, who may, and examples', () => {
    const jobs = helpText('jobs');
    expect(jobs).toContain('*`/poddebug jobs`*');
    expect(jobs).toContain('*Example*');
    const cancel = helpText('cancel');
    expect(cancel).toContain('• `/poddebug cancel ID`');
    expect(cancel).toMatch(/the requester, or an approver/);
    expect(cancel).toMatch(/probe pod deleted/);
    expect(cancel).toContain('`/poddebug cancel run-prb-');
    expect(cancel).toContain('`/poddebug cancel prb-prod-eu-3f2a9c0d1e2f3a4b5c6d7e8f`');
    expect(cancel).toContain('`prb-<cluster>-<24 hex>`');
    expect(cancel).toMatch(
      /from before an upgrade of poddebug .* no longer tracked: there is nothing to cancel/,
    );
  });
  it('every help topic has its own full text, with examples', () => {
    for (const topic of ['diagnose', 'strace', 'mem', 'ps', 'fds', 'netcheck', 'tcpdump', 'jobs', 'cancel']) {
      const r = parseCommand(`help ${topic}`, ctx);
      expect(r).toEqual({ ok: true, command: { verb: 'help', topic } });
      const text = helpText(topic);
      expect(text).not.toBe(helpText());
      expect(text).toMatch(/\*Examples?\*/);
    }
  });
});
