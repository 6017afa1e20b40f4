/**
 * The exact tool command line of each probe action, in one place: the plan
 * shows it to approvers (with `<PID>`), the approval is bound to it, and the
 * probe program runs it (with the PID it resolved). Pure.
 *
 * The probe program (`jobs/probes/program/strace.ts`, `program/tcpdump.ts`) calls
 * `toolArgv` itself, so what approvers see and what runs cannot drift. It sits in
 * the contracts because both sides of that promise read it: the worker's plan and
 * the probe program, which runs as root in the probe pod and imports nothing of
 * `jobs/` but `jobs/contracts/` (scripts/check-boundaries.mjs).
 *
 * - strace: always bounded by `timeout -s INT` (strace prints its summary on
 *   SIGINT and detaches, leaving the target running); never `--kill-on-exit`.
 *   Data buffers only with `--data` (`-s 128`); otherwise `-s 0`: calls,
 *   file paths, addresses, sizes and errors, but no bytes read or written.
 * - tcpdump: in the pod's network namespace (`nsenter --net=/proc/PID/ns/net`)
 *   on `any` with `-p` (never promiscuous), snap length and packet count capped, `-U`
 *   so a cut capture is still readable; the user's filter tokens follow `--`
 *   as separate argv elements, so none can be read as an option (never
 *   `-z`/`-Z`/`-w` from a user).
 * - mem, ps, fds, netcheck read /proc (and the cgroup files) in the program
 *   itself: no external tool, `toolArgv` is undefined; `commandLine` says what
 *   is read.
 */
import { PROBE_LIMITS, type ProbeSpec } from './probe.js';

/** Stands for the target's host PID until the program resolves it. */
export const PID_PLACEHOLDER = '<PID>';

/** Seconds a non-timed action (ps, fds, netcheck, mem without --watch) may take. */
export const QUICK_ACTION_SEC = 20;

export interface ArgvOptions {
  /** The host's /proc as the probe pod sees it (ProbeInput.procRoot). Default /proc. */
  procRoot?: string;
}

/**
 * `timeout -s INT -k 5 N`: SIGINT at N s (strace prints its summary and detaches), SIGKILL 5 s later.
 * Exit 124 is the timeout ending the run as planned, not a failure.
 */
export function timeoutArgv(secs: number): string[] {
  return ['timeout', '-s', 'INT', '-k', '5', String(secs)];
}

/** How long the action itself runs, in seconds (without pod start-up). */
export function probeDurationSec(spec: ProbeSpec): number {
  switch (spec.action) {
    case 'strace':
    case 'tcpdump':
      return spec.durationSec;
    case 'mem':
      return spec.watchSec ?? QUICK_ACTION_SEC;
    default:
      return QUICK_ACTION_SEC;
  }
}

type ToolSpec = Extract<ProbeSpec, { action: 'strace' | 'tcpdump' }>;

/**
 * argv of the external tool the action runs, PID filled in (or the
 * placeholder), or undefined for actions the program does itself.
 */
export function toolArgv(spec: ToolSpec, pid: number | typeof PID_PLACEHOLDER, opts?: ArgvOptions): string[];
export function toolArgv(
  spec: ProbeSpec,
  pid: number | typeof PID_PLACEHOLDER,
  opts?: ArgvOptions,
): string[] | undefined;
export function toolArgv(
  spec: ProbeSpec,
  pid: number | typeof PID_PLACEHOLDER,
  opts: ArgvOptions = {},
): string[] | undefined {
  const procRoot = (opts.procRoot ?? '/proc').replace(/\/+$/, '');
  const p = String(pid);
  switch (spec.action) {
    case 'strace':
      // -C: the summary and the trace (on strace's stderr, which the program streams, mines and caps: no trace
      // file grows on the node's disk; `-o /dev/stdout` fails on a socket); -T: time in each call.
      return [
        ...timeoutArgv(spec.durationSec),
        'strace',
        '-f',
        '-C',
        '-T',
        '-s',
        String(spec.data ? PROBE_LIMITS.straceStringLength : PROBE_LIMITS.straceStringLengthNoData),
        ...(spec.trace ? ['-e', `trace=%${spec.trace}`] : []),
        ...(spec.failedOnly ? ['-e', 'status=failed'] : []),
        '-p',
        p,
      ];
    case 'tcpdump':
      // The pcap goes to stdout (-w -) so the program caps it as it streams; the filter follows `--`.
      return [
        ...timeoutArgv(spec.durationSec),
        'nsenter',
        `--net=${procRoot}/${p}/ns/net`,
        '--',
        'tcpdump',
        '-i',
        'any',
        '-p',
        '-n',
        '-s',
        String(PROBE_LIMITS.snapLength),
        '-c',
        String(PROBE_LIMITS.maxPackets),
        '-U',
        '-w',
        '-',
        '--',
        ...spec.filter,
      ];
    default:
      return undefined;
  }
}

/** Shell-style quoting for display only (nothing is ever run through a shell). */
function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./<>-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The command line approvers see, PID as `<PID>`. */
export function commandLine(spec: ProbeSpec, opts: ArgvOptions = {}): string {
  const argv = toolArgv(spec, PID_PLACEHOLDER, opts);
  if (argv) return argv.map(quoteArg).join(' ');
  const pid = PID_PLACEHOLDER;
  switch (spec.action) {
    case 'mem':
      return `read /proc/${pid}/status /proc/${pid}/smaps_rollup and the container's cgroup memory files${
        spec.watchSec ? `, sampled every second for ${spec.watchSec} s` : ''
      }`;
    case 'ps':
      return `read /proc/*/{status,stat,cmdline} of the processes in the container of ${pid}`;
    case 'fds':
      return `read /proc/${pid}/fd, /proc/${pid}/limits and /proc/${pid}/net/{tcp,tcp6,udp,udp6}`;
    case 'netcheck': {
      const withPort = spec.targets.filter((t) => t.port).map((t) => `${t.host}:${t.port}`);
      const names = ['kubernetes.default.svc', ...spec.targets.map((t) => t.host)];
      const connect = withPort.length > 0 ? `, connect to ${withPort.join(', ')}` : '';
      return `read /proc/${pid}/root/etc/resolv.conf; nsenter --net=/proc/${pid}/ns/net: resolve ${names.join(', ')}${connect}; list the listening sockets`;
    }
    default:
      return spec.action;
  }
}
