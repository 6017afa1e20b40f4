/** Runs the probe program in-process against a fake container and parses its marker lines (jest helpers). */
import { expect } from '@jest/globals';
import {
  PROBE_LINE_MARKER,
  ProbeChunkLineSchema,
  type ProbeInput,
  type ProbeResultLine,
  ProbeResultLineSchema,
  type ProbeSpec,
} from '../../jobs/contracts/probe.js';
import { runProbe } from '../../jobs/probes/program/run-probe.js';
import type { FakeContainer } from './fake-container.js';

export interface Run {
  code: number;
  result: ProbeResultLine;
  chunks: Map<string, Buffer[]>;
}

/** The probe input for a fake container on this host, with `extra` fields (e.g. hostScope, podUid). */
export function inputFor(
  fc: Pick<FakeContainer, 'containerId' | 'podUid'>,
  spec: ProbeSpec,
  extra: Partial<ProbeInput> = {},
): ProbeInput {
  return {
    spec,
    containerId: fc.containerId,
    podUid: fc.podUid,
    procRoot: '/proc',
    cgroupRoot: '/sys/fs/cgroup',
    workDir: '/tmp',
    ...extra,
  };
}

export async function probe(
  fc: Pick<FakeContainer, 'containerId' | 'podUid'>,
  spec: ProbeSpec,
  beforeTool?: () => Promise<void>,
  extra: Partial<ProbeInput> = {},
): Promise<Run> {
  const lines: string[] = [];
  const code = await runProbe(
    inputFor(fc, spec, extra),
    { write: (l) => void lines.push(l) },
    { beforeTool, log: () => undefined },
  );
  return parseOutput(code, lines);
}

export function parseOutput(code: number, lines: string[]): Run {
  const chunks = new Map<string, Buffer[]>();
  const results: ProbeResultLine[] = [];
  for (const l of lines) {
    expect(l.startsWith(PROBE_LINE_MARKER)).toBe(true);
    const obj = JSON.parse(l.slice(PROBE_LINE_MARKER.length)) as { type: string };
    if (obj.type === 'chunk') {
      const c = ProbeChunkLineSchema.parse(obj);
      const list = chunks.get(c.name) ?? [];
      expect(c.seq).toBe(list.length);
      list.push(Buffer.from(c.data, 'base64'));
      chunks.set(c.name, list);
    } else results.push(ProbeResultLineSchema.parse(obj));
  }
  expect(results).toHaveLength(1);
  return { code, result: results[0]!, chunks };
}

export function ok(run: Run) {
  if (!run.result.ok) throw new Error(`probe failed: ${run.result.code}: ${run.result.message}`);
  expect(run.code).toBe(0);
  return run.result;
}
