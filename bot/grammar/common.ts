/**
 * Pieces every part of the command grammar shares: the failure shape, how
 * user input is shown in a message, Kubernetes name checks and kind aliases.
 * Pure.
 */
import { isDns1123Label, isDns1123Subdomain } from '../../jobs/contracts/names.js';
import type { TargetKind } from '../../jobs/contracts/target.js';

/** What the grammar needs to know about the deployment: configured clusters and the default one. */
export interface GrammarContext {
  clusters: readonly string[];
  defaultCluster: string;
}

export type Fail = { ok: false; error: string };
export const fail = (error: string): Fail => ({ ok: false, error });

/** Owner kinds as users type them (kubectl short and long names), normalised to a TargetKind. */
export const KIND_ALIASES: Record<string, TargetKind> = {
  po: 'pod',
  pod: 'pod',
  pods: 'pod',
  deploy: 'deploy',
  deployment: 'deploy',
  deployments: 'deploy',
  sts: 'sts',
  statefulset: 'sts',
  statefulsets: 'sts',
  ds: 'ds',
  daemonset: 'ds',
  daemonsets: 'ds',
  job: 'job',
  jobs: 'job',
};

/**
 * Shows user input in a code span: long input is shortened, a backtick cannot
 * close the span, and `& < >` are escaped as Slack mrkdwn requires. Callers
 * only show text that passed the character checks (no control characters).
 */
export function show(s: string): string {
  const short = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return `\`${short.replace(/`/g, "'").replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}\``;
}

/** Removes one pair of matching surrounding quotes: `"prod"` → `prod`, `""` → empty. */
export function stripQuotes(token: string): string {
  const m = /^(["'])(.*)\1$/s.exec(token);
  return m ? m[2]! : token;
}

/** The words of a command text: split on white space, one pair of surrounding quotes removed from each. */
export function splitWords(text: string): string[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .map(stripQuotes);
}

export function escapeCodePoint(cp: number): string {
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** Why `s` is not a valid Kubernetes name of the given grammar, or undefined when it is. */
export function nameProblem(s: string, what: string, grammar: 'label' | 'subdomain'): string | undefined {
  const valid = grammar === 'label' ? isDns1123Label(s) : isDns1123Subdomain(s);
  if (valid) return undefined;
  const max = grammar === 'label' ? 63 : 253;
  if (s.length === 0)
    return `The ${what} is empty: give a name, e.g. \`${grammar === 'label' ? 'prod' : 'checkout'}\`.`;
  if (s.length > max) return `${show(s)} is too long for a ${what} (${s.length} characters; at most ${max}).`;
  const allowed =
    grammar === 'label' ? "lowercase letters, digits and '-'" : "lowercase letters, digits, '-' and '.'";
  let reason: string | undefined;
  if (/[A-Z]/.test(s)) reason = 'it has uppercase letters';
  else if (/^[-.]/.test(s)) reason = "it must start with a letter or digit, not '-' or '.'";
  else if (/[-.]$/.test(s)) reason = "it must end with a letter or digit, not '-' or '.'";
  else if (s.includes('_')) reason = "'_' is not allowed";
  else if (s.includes('..')) reason = "'..' is not allowed";
  else if (grammar === 'label' && s.includes('.')) reason = "'.' is not allowed";
  return `${show(s)} is not a valid ${what}: ${reason ? `${reason}; ` : ''}use ${allowed} (DNS-1123).`;
}
