/**
 * Follow-up buttons under a diagnosis: "Logs (previous)", "Events", "Debug container", "Connectivity",
 * "strace — needs approval". A button's value is the text of the command it stands for (`strace POD -n NS
 * --cluster C`); a click runs that text through the very path a typed `/poddebug` command takes (grammar →
 * policy → queue: bot/listeners/actions/follow-up.ts), so a button grants nothing a user could not type.
 * A button is shown only when this bot's grammar accepts its command: the verbs that land later light up
 * their buttons without a change here. Pure.
 */
import type { Button } from '@slack/types';
import { parseCommand } from '../grammar/index.js';
import { button } from './blocks.js';
import { LIMITS } from './limits.js';

/** action_id prefix of every follow-up button (each button's id is unique within its message). */
export const FOLLOW_UP_ACTION_PREFIX = 'poddebug_followup';

/** The pod a follow-up acts on. */
export interface FollowUpTarget {
  cluster: string;
  namespace: string;
  pod: string;
  container?: string;
}

interface FollowUp {
  key: string;
  label: string;
  command(t: FollowUpTarget): string;
}

const c = (t: FollowUpTarget) => (t.container ? ` -c ${t.container}` : '');
const at = (t: FollowUpTarget) => `${t.pod} -n ${t.namespace}`;

/** The follow-ups, in the order they are shown. */
export const FOLLOW_UPS: readonly FollowUp[] = [
  {
    key: 'logs-previous',
    label: 'Logs (previous)',
    command: (t) => `logs ${at(t)}${c(t)} --previous --cluster ${t.cluster}`,
  },
  { key: 'events', label: 'Events', command: (t) => `events ${at(t)} --cluster ${t.cluster}` },
  {
    key: 'debug',
    label: 'Debug container',
    command: (t) => `debug ${at(t)}${c(t)} --profile general --cluster ${t.cluster} -- ps aux`,
  },
  {
    key: 'connectivity',
    label: 'Connectivity',
    command: (t) => `connectivity ${at(t)} --cluster ${t.cluster} kubernetes.default.svc`,
  },
  {
    key: 'strace',
    label: 'strace — needs approval',
    command: (t) => `strace ${at(t)}${c(t)} --cluster ${t.cluster}`,
  },
];

/** The buttons whose commands this bot's grammar accepts for `t`. */
export function followUpButtons(t: FollowUpTarget): Button[] {
  const grammar = { clusters: [t.cluster], defaultCluster: t.cluster };
  const out: Button[] = [];
  for (const f of FOLLOW_UPS) {
    const text = f.command(t);
    const parsed = parseCommand(text, grammar);
    if (!parsed.ok || parsed.command.verb === 'help') continue;
    out.push(button(f.label, `${FOLLOW_UP_ACTION_PREFIX}_${f.key}`, text));
  }
  return out;
}

/** A click's value back as command text; undefined when it cannot be one (the grammar checks the rest). */
export function parseFollowUpValue(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > LIMITS.buttonValue) return undefined;
  return value;
}
