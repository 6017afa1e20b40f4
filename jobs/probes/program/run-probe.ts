/**
 * The probe program: validate the input, find the container's host PID, run the action's tool under
 * time and size caps, and print marker lines (artefact chunks, then exactly one result line).
 */
import { createHash } from 'node:crypto';
import {
  type ArtefactMeta,
  PROBE_LINE_MARKER,
  type ProbeInput,
  ProbeInputSchema,
  type ProbeResultLine,
} from '../../contracts/probe.js';
import { type ActionContext, type ActionResult, type Artefact, ProbeFailure } from './common.js';
import { runFds } from './fds.js';
import { checkHostScope } from './host-scope.js';
import { runMem } from './mem.js';
import { runNetcheck } from './netcheck.js';
import { runPs } from './ps.js';
import { confirmSame, resolveContainer } from './resolve.js';
import { runStrace } from './strace.js';
import { runTcpdump } from './tcpdump.js';

/** Raw bytes per chunk line (base64 makes 64 KiB of text). */
export const CHUNK_BYTES = 48 * 1024;

export interface ProbeIo {
  /** One output line, without the newline. */
  write(line: string): void;
}

export interface RunProbeOptions {
  /** Called after the container was resolved and before the tool starts (tests use it to swap the container). */
  beforeTool?: () => Promise<void> | void;
  /** Tool stderr and diagnostics (default: process.stderr). */
  log?: (text: string) => void;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INVALID = 2;

function emit(io: ProbeIo, line: Record<string, unknown>): void {
  io.write(`${PROBE_LINE_MARKER}${JSON.stringify(line)}`);
}

/** Streams one artefact as consecutive chunk lines and returns its meta. */
export function emitArtefact(io: ProbeIo, a: Artefact): ArtefactMeta {
  let seq = 0;
  for (let off = 0; off < a.bytes.length || seq === 0; off += CHUNK_BYTES) {
    emit(io, {
      type: 'chunk',
      name: a.name,
      seq,
      data: a.bytes.subarray(off, off + CHUNK_BYTES).toString('base64'),
    });
    seq++;
    if (a.bytes.length === 0) break;
  }
  return {
    name: a.name,
    contentType: a.contentType,
    bytes: a.bytes.length,
    sha256: createHash('sha256').update(a.bytes).digest('hex'),
    truncated: a.truncated,
    ...(a.note !== undefined ? { note: a.note } : {}),
    ...(a.title !== undefined ? { title: a.title } : {}),
  };
}

function fail(io: ProbeIo, f: ProbeFailure): number {
  const line: ProbeResultLine = {
    type: 'result',
    ok: false,
    code: f.code,
    message: f.message.slice(0, 1000),
    ...(f.argv ? { argv: f.argv } : {}),
  };
  emit(io, line);
  return f.code === 'invalid_input' ? EXIT_INVALID : EXIT_FAILED;
}

/** Runs one probe in-process; prints marker lines through `io`; resolves to the process exit code. */
export async function runProbe(
  rawInput: ProbeInput | unknown,
  io: ProbeIo,
  opts: RunProbeOptions = {},
): Promise<number> {
  const log = opts.log ?? ((t: string) => void (t && process.stderr.write(t.endsWith('\n') ? t : `${t}\n`)));
  const parsed = ProbeInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'input';
    return fail(
      io,
      new ProbeFailure('invalid_input', `invalid probe input: ${where}: ${issue?.message ?? 'invalid'}`),
    );
  }
  const input = parsed.data;
  const t0 = Date.now();
  try {
    const resolved = await resolveContainer(input);
    const notes = [...resolved.notes];
    let hookRan = false;
    const ctx: ActionContext = {
      input,
      pid: resolved.pid,
      shortId: resolved.id.slice(0, 12),
      notes,
      log,
      async confirm() {
        if (!hookRan) {
          hookRan = true;
          await opts.beforeTool?.();
        }
        const changed = await confirmSame(input.procRoot, resolved);
        if (changed) {
          throw new ProbeFailure(
            'container_changed',
            `container ${ctx.shortId} changed before the probe started: ${changed}`,
          );
        }
      },
      changed: () => confirmSame(input.procRoot, resolved),
      async recheck(what) {
        const changed = await confirmSame(input.procRoot, resolved);
        if (changed) {
          throw new ProbeFailure(
            'container_changed',
            `container ${ctx.shortId} changed during ${what} on pid ${resolved.pid}: ${changed}; its output was discarded`,
          );
        }
      },
    };
    await checkHostScope(input, resolved.pid);
    const result = await runAction(ctx);
    const artefacts = result.artefacts.map((a) => emitArtefact(io, a));
    const line: ProbeResultLine = {
      type: 'result',
      ok: true,
      pid: resolved.pid,
      containerId: input.containerId,
      resolvedVia: resolved.resolvedVia,
      argv: result.argv,
      exitCode: result.exitCode,
      durationMs: Date.now() - t0,
      data: result.data,
      artefacts,
      notes,
    };
    emit(io, line);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof ProbeFailure) return fail(io, e);
    log(`probe failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return fail(
      io,
      new ProbeFailure('tool_failed', `the probe failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }
}

function runAction(ctx: ActionContext): Promise<ActionResult> {
  const spec = ctx.input.spec;
  switch (spec.action) {
    case 'strace':
      return runStrace(spec, ctx);
    case 'mem':
      return runMem(spec, ctx);
    case 'ps':
      return runPs(ctx);
    case 'fds':
      return runFds(ctx);
    case 'netcheck':
      return runNetcheck(spec, ctx);
    case 'tcpdump':
      return runTcpdump(spec, ctx);
    default:
      // debug and connectivity run in the pod (jobs/debug/), never from a probe pod.
      return Promise.reject(new ProbeFailure('invalid_input', `${spec.action} is not a node probe`));
  }
}

/** `--input <base64url JSON>` → the raw input, or an error message. Pure. */
export function parseArgs(argv: string[]): { input: unknown } | { error: string } {
  if (argv.length !== 2 || argv[0] !== '--input')
    return { error: 'usage: main.js --input <base64url of JSON ProbeInput>' };
  const b64 = argv[1]!;
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(b64) || b64.length > 64 * 1024)
    return { error: '--input is not base64url' };
  try {
    return { input: JSON.parse(Buffer.from(b64, 'base64url').toString('utf8')) };
  } catch {
    return { error: '--input does not hold JSON' };
  }
}

/** The entry point: parses argv, prints to stdout, returns the exit code. */
export async function main(
  argv: string[],
  io: ProbeIo = { write: (l) => void process.stdout.write(`${l}\n`) },
): Promise<number> {
  const args = parseArgs(argv);
  if ('error' in args) return fail(io, new ProbeFailure('invalid_input', args.error));
  return runProbe(args.input, io);
}
