/** The strace action: a bounded `-f -C -T` run on every thread; summary, errors by errno, slow calls. */
import { PROBE_LIMITS, type ProbeSpec } from '../../contracts/probe.js';
import { toolArgv } from '../../contracts/probe-argv.js';
import {
  type ActionContext,
  type ActionResult,
  checkExec,
  lineSplitter,
  ProbeFailure,
  runTool,
} from './common.js';
import { isSummaryHeader, parseStraceSummary, TraceMiner, threadsFromStraceStderr } from './strace-parse.js';

type StraceSpec = Extract<ProbeSpec, { action: 'strace' }>;

export async function runStrace(spec: StraceSpec, ctx: ActionContext): Promise<ActionResult> {
  const argv = toolArgv(spec, ctx.pid);
  const miner = new TraceMiner();
  const summaryLines: string[] = [];
  let inSummary = false;
  let messages = '';
  const lines = lineSplitter((line) => {
    if (line.startsWith('strace: ')) {
      if (messages.length < 64 * 1024) messages += `${line}\n`;
      return;
    }
    if (!inSummary && isSummaryHeader(line)) inSummary = true;
    if (inSummary) {
      if (summaryLines.join('\n').length < PROBE_LIMITS.maxTextBytes) summaryLines.push(line);
    } else miner.line(line);
  });
  await ctx.confirm();
  const run = await runTool(argv, {
    stdoutCap: spec.full ? PROBE_LIMITS.maxArtefactBytes : 0,
    dataStream: 'stderr',
    onStdout: (c) => lines.push(c),
    killAfterMs: (spec.durationSec + 20) * 1000,
    // strace attaches by PID number: once it says so, the PID must still be the container's process.
    attached: { marker: /strace: Process \d+ attached/, check: () => ctx.changed() },
  });
  if (run.ownerChanged !== undefined) {
    throw new ProbeFailure(
      'container_changed',
      `container ${ctx.shortId} changed while strace attached to pid ${ctx.pid}: ${run.ownerChanged}; strace was stopped and its output discarded`,
      argv,
    );
  }
  lines.end();
  ctx.log(messages);
  checkExec(run, messages, argv);
  if (
    /ptrace\(PTRACE_SEIZE|Operation not permitted/.test(messages) &&
    threadsFromStraceStderr(messages) === null
  ) {
    throw new ProbeFailure(
      'permission_denied',
      `strace could not attach to pid ${ctx.pid}: ${lastLine(messages)} (the probe needs CAP_SYS_PTRACE)`,
      argv,
    );
  }
  if (run.exitCode !== 0 && run.exitCode !== 124 && summaryLines.length === 0) {
    throw new ProbeFailure('tool_failed', `strace exited ${run.exitCode}: ${lastLine(messages)}`, argv);
  }
  const summaryText = summaryLines.join('\n').trim();
  const threads = Math.max(threadsFromStraceStderr(messages) ?? 0, miner.threadsSeen(), 1);
  const artefacts = [];
  if (spec.full) {
    const truncated = run.stdoutTruncated;
    artefacts.push({
      name: `strace-${ctx.shortId}.txt`,
      contentType: 'text/plain',
      bytes: run.stdout,
      truncated,
      title: `strace of pid ${ctx.pid} (${spec.durationSec} s)`,
      ...(truncated
        ? {
            note: `cut at ${run.stdout.length} of ${run.stdoutBytes} bytes; the summary covers the whole run`,
          }
        : {}),
    });
    if (truncated) ctx.notes.push(`the full trace was cut at ${PROBE_LIMITS.maxArtefactBytes} bytes`);
  }
  if (summaryText === '') ctx.notes.push('strace printed no summary (did the process exit?)');
  return {
    argv,
    exitCode: run.exitCode,
    artefacts,
    data: {
      action: 'strace',
      summary: parseStraceSummary(summaryText),
      errors: miner.errors(),
      slowCalls: miner.slowCalls(),
      threads,
      summaryText,
    },
  };
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
