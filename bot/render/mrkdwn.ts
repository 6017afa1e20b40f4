/**
 * Slack mrkdwn helpers: escaping (Slack's rule: `&`, `<`, `>` and nothing
 * else), code spans and code blocks that survive backticks and control
 * characters in log lines. Pure.
 */
import type { MrkdwnElement } from '@slack/types';
import { truncate } from './limits.js';

/** Escapes `&`, `<`, `>` so text cannot form links, mentions (`<!channel>`) or entities. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Shows control and invisible characters (ANSI colour codes in logs, NUL, bidi overrides) as `\u001b` instead of sending them raw. */
export function visibleControls(s: string): string {
  // Cc: C0/C1 controls (tab and newline are kept); Cf: zero-width and bidi controls.
  return s.replace(/(?![\t\n])[\p{Cc}\p{Cf}]/gu, (c) => escapeCodePoint(c.codePointAt(0)!));
}

function escapeCodePoint(cp: number): string {
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** Breaks runs of backticks with zero-width spaces so text cannot close a code span or block. */
export function defuseBackticks(s: string): string {
  return s.replace(/`{2,}/g, (run) => run.split('').join('\u200b'));
}

/** One line of user or cluster text, safe inside mrkdwn: escaped, no newlines, no controls. */
export function inline(s: string, max = 500): string {
  return escapeMrkdwn(visibleControls(truncate(s.replace(/\s*[\r\n]+\s*/g, ' '), max)));
}

/** An inline code span for names; a backtick (never valid in a name) becomes `'`. */
export function code(s: string, max = 200): string {
  return `\`${inline(s, max).replace(/`/g, "'")}\``;
}

/** A mention for a Slack user id; anything that is not an id is shown as escaped text. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : inline(userId, 40);
}

/** A mrkdwn text object with Slack's automatic parsing of names and mentions turned off. */
export function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

/** Result of fitting lines into a code block. */
export interface CodeBlock {
  /** The mrkdwn, or '' when there was nothing to show. */
  text: string;
  shown: number;
  cut: number;
}

const LINE_MAX = 300;

/**
 * Fits `lines` into a ``` block of at most `maxChars` characters and `maxLines`
 * lines. When lines are cut, the block ends with "…(truncated, N more lines)".
 * Each line is escaped, backtick-defused and capped at 300 characters.
 */
export function codeBlock(lines: readonly string[], maxChars: number, maxLines: number): CodeBlock {
  const all = lines.flatMap((l) => l.split(/\r?\n/));
  if (all.length === 0) return { text: '', shown: 0, cut: 0 };
  const note = (n: number) => `…(truncated, ${n} more line${n === 1 ? '' : 's'})`;
  const fence = '```';
  const rendered: string[] = [];
  // Budget: opening + closing fence and newlines, plus room for the truncation note.
  let used = fence.length * 2 + 2;
  for (const line of all) {
    if (rendered.length >= maxLines) break;
    const r = defuseBackticks(escapeMrkdwn(visibleControls(truncate(line, LINE_MAX)))) || ' ';
    const remaining = all.length - rendered.length - 1;
    const reserve = remaining > 0 ? note(all.length).length + 1 : 0;
    if (used + r.length + 1 + reserve > maxChars) break;
    rendered.push(r);
    used += r.length + 1;
  }
  const cut = all.length - rendered.length;
  if (cut > 0) rendered.push(note(cut));
  if (rendered.length === 1 && cut > 0 && used + rendered[0]!.length > maxChars) {
    return { text: '', shown: 0, cut };
  }
  return { text: `${fence}\n${rendered.join('\n')}\n${fence}`, shown: all.length - cut, cut };
}
