/** What a container exit code means. */
export interface ExitMeaning {
  code: number;
  /** Set when the code is 128+n: the process died of signal n. */
  signal?: number;
  signalName?: string;
  meaning: string;
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  16: 'SIGSTKFLT',
  17: 'SIGCHLD',
  18: 'SIGCONT',
  19: 'SIGSTOP',
  20: 'SIGTSTP',
  21: 'SIGTTIN',
  22: 'SIGTTOU',
  23: 'SIGURG',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  26: 'SIGVTALRM',
  27: 'SIGPROF',
  28: 'SIGWINCH',
  29: 'SIGIO',
  30: 'SIGPWR',
  31: 'SIGSYS',
};

const SIGNAL_MEANING: Record<number, string> = {
  2: 'interrupted (as by Ctrl-C)',
  6: 'aborted: abort(), a failed assertion or a runtime crash (JVM, glibc)',
  9: 'killed outright: by the OOM killer, a failed liveness probe or an expired grace period',
  11: 'segmentation fault: invalid memory access in native code',
  15: 'asked to stop: normal when a pod is stopped by a rollout, scale-down or drain',
};

const PLAIN: Record<number, string> = {
  0: 'exited successfully',
  1: 'general application error',
  2: 'invalid command-line arguments or shell builtin misuse (Go programs also exit 2 on panic)',
  126: 'command found but not executable (permission denied or wrong format)',
  127: 'command not found',
  128: 'invalid exit argument, or the runtime failed to start the process',
  255: 'exit status out of range (the process exited with -1 or a fatal runtime error)',
};

/** Explains an exit code: 128+n is signal n (137 SIGKILL, 139 SIGSEGV, 143 SIGTERM …). */
export function exitCodeMeaning(code: number): ExitMeaning {
  const plain = PLAIN[code];
  if (plain !== undefined) return { code, meaning: plain };
  if (code > 128 && code < 128 + 65) {
    const signal = code - 128;
    const signalName = SIGNALS[signal] ?? `signal ${signal}`;
    return { code, signal, signalName, meaning: SIGNAL_MEANING[signal] ?? `killed by signal ${signal}` };
  }
  return { code, meaning: 'application-defined error code' };
}
