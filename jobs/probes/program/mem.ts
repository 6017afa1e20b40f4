/** The mem action: /proc/PID/status, smaps_rollup and the container's memory cgroup, optionally sampled. */
import { type Dirent, existsSync, readdirSync } from 'node:fs';
import type { MemData, ProbeSpec } from '../../contracts/probe.js';
import { type ActionContext, type ActionResult, ProbeFailure, readText, sleep } from './common.js';
import { parseSmapsRollup, parseStatusKb, STATUS_MEM_KEYS } from './proc-parse.js';

type MemSpec = Extract<ProbeSpec, { action: 'mem' }>;

export interface MemCgroupCandidate {
  version: 1 | 2;
  /** The path as the process's cgroup file shows it. */
  path: string;
  dir: string;
}

/**
 * Where the process's memory cgroup may be, best first: v2 at the root on a pure v2 host, v1's `memory`
 * hierarchy, then v2 under `unified` (hybrid hosts). Pure.
 */
export function memoryCgroupCandidates(
  cgroupText: string,
  cgroupRoot: string,
  pureV2: boolean,
): MemCgroupCandidate[] {
  const v1: MemCgroupCandidate[] = [];
  const v2: MemCgroupCandidate[] = [];
  for (const line of cgroupText.split('\n')) {
    const m = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (!m) continue;
    const [, hier, ctrls, path] = m;
    if (hier === '0' && ctrls === '') {
      v2.push({
        version: 2,
        path: path!,
        dir: pureV2 ? join(cgroupRoot, path!) : join(`${cgroupRoot}/unified`, path!),
      });
    } else if (ctrls!.split(',').includes('memory')) {
      v1.push({ version: 1, path: path!, dir: join(`${cgroupRoot}/${ctrls}`, path!) });
    }
  }
  return pureV2 ? [...v2, ...v1] : [...v1, ...v2];
}

/**
 * A cgroup path relative to a cgroup namespace (`/../../a/b`) → the directory under `root` whose path
 * ends with `/a/b` and holds `file`; a breadth-first search of at most 8 levels and 20 000 directories.
 */
export function findBySuffix(root: string, path: string, file: string): string | undefined {
  const suffix = path.split('/').filter((s) => s !== '' && s !== '..' && s !== '.');
  if (suffix.length === 0) return undefined;
  const tail = `/${suffix.join('/')}`;
  const last = suffix[suffix.length - 1]!;
  let level = [root];
  let seen = 0;
  for (let depth = 0; depth < 8 && level.length > 0 && seen < 20_000; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const child = `${dir}/${e.name}`;
        seen++;
        if (e.name === last && child.endsWith(tail) && existsSync(`${child}/${file}`)) return child;
        next.push(child);
      }
    }
    level = next;
  }
  return undefined;
}

function join(root: string, path: string): string {
  return path === '/' ? root : `${root}${path}`;
}

/** v1's "no limit" is PAGE_COUNTER_MAX in bytes (about 2^63); anything that large is no limit. */
export function parseLimit(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim();
  if (t === 'max' || !/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= 2 ** 60 ? null : n;
}

/** `key value` lines (memory.events, memory.oom_control) → the value of `key`. */
export function keyedValue(text: string | null, key: string): number | null {
  if (text === null) return null;
  const m = new RegExp(`^${key}\\s+(\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

function num(text: string | null): number | null {
  return text !== null && /^\d+$/.test(text.trim()) ? Number(text.trim()) : null;
}

export async function readMemCgroup(
  c: MemCgroupCandidate,
): Promise<MemData['cgroup'] & { failcnt: number | null }> {
  const f = (name: string) => readText(`${c.dir}/${name}`, 64 * 1024);
  if (c.version === 2) {
    const events = await f('memory.events');
    return {
      version: 2,
      path: c.path,
      usageBytes: num(await f('memory.current')),
      limitBytes: parseLimit(await f('memory.max')),
      oomEvents: keyedValue(events, 'oom'),
      oomKills: keyedValue(events, 'oom_kill'),
      failcnt: null,
    };
  }
  return {
    version: 1,
    path: c.path,
    usageBytes: num(await f('memory.usage_in_bytes')),
    limitBytes: parseLimit(await f('memory.limit_in_bytes')),
    oomEvents: null,
    oomKills: keyedValue(await f('memory.oom_control'), 'oom_kill'),
    failcnt: num(await f('memory.failcnt')),
  };
}

export async function runMem(spec: MemSpec, ctx: ActionContext): Promise<ActionResult> {
  const { procRoot, cgroupRoot } = ctx.input;
  const base = `${procRoot}/${ctx.pid}`;
  const argv = [
    'poddebug-probe',
    'mem',
    '--pid',
    String(ctx.pid),
    ...(spec.watchSec ? ['--watch', String(spec.watchSec)] : []),
  ];
  await ctx.confirm();
  const statusText = await readText(`${base}/status`);
  if (statusText === null) throw new ProbeFailure('container_changed', `pid ${ctx.pid} exited`, argv);
  const parsed = parseStatusKb(statusText);
  const status: Record<string, number> = {};
  for (const k of STATUS_MEM_KEYS) if (parsed.bytes[k] !== undefined) status[k] = parsed.bytes[k]!;
  const threads = /^\d+$/.test(parsed.fields.Threads ?? '') ? Number(parsed.fields.Threads) : undefined;
  const smapsText = await readText(`${base}/smaps_rollup`).catch((e: unknown) => {
    ctx.notes.push(`smaps_rollup unreadable: ${(e as Error).message}`);
    return null;
  });
  const smapsRollup = smapsText === null ? {} : parseSmapsRollup(smapsText);

  const cgroupText = (await readText(`${base}/cgroup`)) ?? '';
  const pureV2 = existsSync(`${cgroupRoot}/cgroup.controllers`);
  const candidates = memoryCgroupCandidates(cgroupText, cgroupRoot, pureV2);
  const usageFile = (c: MemCgroupCandidate) => (c.version === 2 ? 'memory.current' : 'memory.usage_in_bytes');
  // In the probe pod's own cgroup namespace (cgroup v2) the target's path is relative (`/../../kubepods…`):
  // find the directory by its relative suffix under the host's cgroup filesystem.
  for (const c of candidates) {
    if (c.path.includes('/..')) {
      const found = findBySuffix(
        c.dir.slice(0, c.dir.length - c.path.length) || cgroupRoot,
        c.path,
        usageFile(c),
      );
      if (found) c.dir = found;
    }
  }
  const chosen = candidates.find((c) => existsSync(`${c.dir}/${usageFile(c)}`));
  let cgroup: MemData['cgroup'];
  if (chosen) {
    const { failcnt, ...cg } = await readMemCgroup(chosen);
    cgroup = cg;
    if (failcnt !== null) ctx.notes.push(`memory.failcnt ${failcnt}: times the cgroup's usage hit its limit`);
  } else {
    const first = candidates[0];
    cgroup = {
      version: first?.version ?? 2,
      path: first?.path ?? '',
      usageBytes: null,
      limitBytes: null,
      oomEvents: null,
      oomKills: null,
    };
    ctx.notes.push(`no memory cgroup found under ${cgroupRoot} (is the host's cgroup filesystem mounted?)`);
  }

  // Everything above was read by PID number: it is the container's only if the PID still is.
  await ctx.recheck('mem');
  const samples: MemData['samples'] = [];
  if (spec.watchSec) {
    const t0 = Date.now();
    for (let i = 0; i <= spec.watchSec && i <= 600; i++) {
      if (i > 0) await sleep(Math.max(0, t0 + i * 1000 - Date.now()));
      const st = await readText(`${base}/status`).catch(() => null);
      if (st === null) {
        ctx.notes.push(`pid ${ctx.pid} exited after ${Math.round((Date.now() - t0) / 1000)} s of watching`);
        break;
      }
      const rss = parseStatusKb(st).bytes.VmRSS ?? 0;
      const usage = chosen ? ((await readMemCgroup(chosen).catch(() => null))?.usageBytes ?? null) : null;
      // After the reads: the same start time means this sample is still the container's process.
      const changed = await ctx.changed();
      if (changed) {
        ctx.notes.push(
          `watching stopped after ${Math.round((Date.now() - t0) / 1000)} s: ${changed}; the samples before are the container's`,
        );
        break;
      }
      samples.push({ t: Date.now() - t0, rssBytes: rss, cgroupUsageBytes: usage });
    }
  }
  return {
    argv,
    exitCode: 0,
    artefacts: [],
    data: {
      action: 'mem',
      status,
      ...(threads !== undefined ? { threads } : {}),
      smapsRollup,
      cgroup,
      samples,
    },
  };
}
