/**
 * `/poddebug jobs` and `/poddebug cancel ID`: the grammar, usage lines and help. Pure.
 * An id is a request id as the bot shows it (`diag-<cluster>-…`, `prb-<cluster>-…`), or one of its job ids
 * (`run-prb-…`, `plan-prb-…`, as a thread's footer shows them); ids are built and parsed by the contracts only.
 * An id of the form before ids named their cluster (`prb-<24 hex>`) is answered as such: its request is no
 * longer tracked.
 */
import {
  isPreUpgradeRequestId,
  parseJobId,
  parseRequestId,
  REQUEST_KINDS,
} from '../../jobs/contracts/requests.js';
import { type Fail, fail, show } from './common.js';

export const JOB_CONTROL_VERBS = ['jobs', 'cancel'] as const;
export type JobControlVerb = (typeof JOB_CONTROL_VERBS)[number];

export function isJobControlVerb(verb: string): verb is JobControlVerb {
  return (JOB_CONTROL_VERBS as readonly string[]).includes(verb);
}

export const JOB_CONTROL_USAGE: Record<JobControlVerb, string> = {
  jobs: 'Usage: `/poddebug jobs`',
  cancel:
    'Usage: `/poddebug cancel ID` (an id from `/poddebug jobs`, e.g. `prb-prod-eu-3f2a9c0d1e2f3a4b5c6d7e8f`)',
};

export const JOB_CONTROL_SUMMARY: Record<JobControlVerb, string> = {
  jobs: "this channel's queued and running requests: id, action, target, requester, age, state",
  cancel: 'cancel a queued request, or stop a running one (its requester, or an approver in its scope)',
};

export type JobControlParse = { ok: true; verb: 'jobs' } | { ok: true; verb: 'cancel'; id: string } | Fail;
export type JobControlHelp = { ok: true; help: JobControlVerb };

const HELP_FLAGS = new Set(['-h', '--help']);

/** Parses the words after `jobs` / `cancel`. */
export function parseJobControl(verb: JobControlVerb, args: string[]): JobControlParse | JobControlHelp {
  if (args.some((a) => HELP_FLAGS.has(a.toLowerCase()))) return { ok: true, help: verb };
  if (verb === 'jobs') {
    if (args.length === 0) return { ok: true, verb: 'jobs' };
    return fail(
      `\`jobs\` takes no arguments (got ${args.slice(0, 3).map(show).join(', ')}): it lists the queued and running requests of the channel it is typed in. ${JOB_CONTROL_USAGE.jobs}`,
    );
  }
  if (args.length === 0) {
    return fail(
      `Missing request id: which request? \`/poddebug jobs\` lists this channel's. ${JOB_CONTROL_USAGE.cancel}`,
    );
  }
  if (args.length > 1) {
    return fail(
      `\`cancel\` takes one request id (got ${args.length} words: ${args.slice(0, 3).map(show).join(', ')}); cancel several one at a time. ${JOB_CONTROL_USAGE.cancel}`,
    );
  }
  const raw = args[0]!;
  if (raw.startsWith('-')) {
    return fail(`\`cancel\` has no option ${show(raw)}. ${JOB_CONTROL_USAGE.cancel}`);
  }
  const word = raw.toLowerCase();
  const id = parseRequestId(word)?.id ?? parseJobId(word)?.requestId;
  if (!id && isPreUpgradeRequestId(word)) {
    return fail(
      `${show(raw)} is an id from before an upgrade of poddebug: that request is no longer tracked, so there is nothing to cancel. \`/poddebug jobs\` lists this channel's current requests. ${JOB_CONTROL_USAGE.cancel}`,
    );
  }
  if (!id) {
    const forms = Object.values(REQUEST_KINDS)
      .map((p) => `\`${p}-<cluster>-<24 hex>\``)
      .join(' or ');
    return fail(
      `${show(raw)} is not a request id: ids are ${forms}, as \`/poddebug jobs\` and the request's messages show them. ${JOB_CONTROL_USAGE.cancel}`,
    );
  }
  return { ok: true, verb: 'cancel', id };
}

/** `/poddebug help jobs` and `/poddebug help cancel`. */
export function jobControlHelpText(verb: JobControlVerb): string {
  if (verb === 'jobs') {
    return [
      "*`/poddebug jobs`*: this channel's queued and running requests.",
      '',
      '*Form*',
      '• `/poddebug jobs`: no arguments; lists the requests made in the channel it is typed in that have not ended yet',
      '',
      'Each line shows the request id (for `cancel`), the action and its options, the target and cluster, who asked, how long ago, and where it stands: `queued`, `running`, `preparing`, `waiting for approval (1 of 2)`, `approved, starting`. Only you see the answer.',
      '',
      '*Example*',
      '• `/poddebug jobs`',
      '  → `prb-prod-3f2a9c…` strace --duration 20s on `shop/checkout-7d9f8b-x2kq` in prod — @bob, 2 min ago — *running*',
    ].join('\n');
  }
  return [
    '*`/poddebug cancel`*: cancel a queued request, or stop a running one.',
    '',
    '*Form*',
    '• `/poddebug cancel ID`: ID as `/poddebug jobs` or the request shows it (`prb-<cluster>-<24 hex>`, `diag-<cluster>-<24 hex>`; a job id such as `run-prb-…` works too)',
    '',
    "Who: the requester, or an approver whose grant covers the request's cluster and namespace. Typed in an allowed channel.",
    '• A queued request is taken off the queue: nothing runs.',
    '• A request waiting for approval (or approved and not started) is cancelled; its approval can never be used.',
    '• A running probe is stopped and its probe pod deleted; a running diagnose (read only) finishes its reads and its result is not posted.',
    "The request's thread and status message say who cancelled it, and the audit trail records it.",
    'An id from before an upgrade of poddebug (`prb-` and 24 hex digits, no cluster) names a request that is no longer tracked: there is nothing to cancel.',
    '',
    '*Examples*',
    '• `/poddebug cancel prb-prod-eu-3f2a9c0d1e2f3a4b5c6d7e8f`',
    '• `/poddebug cancel run-prb-prod-eu-3f2a9c0d1e2f3a4b5c6d7e8f`',
  ].join('\n');
}
