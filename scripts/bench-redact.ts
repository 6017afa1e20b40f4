/**
 * Times the redactor on hostile input at sizes the unit test does not afford (1 and 5 MiB), and prints the
 * figures. A benchmark, not a test: it never fails on a time. `npm run bench:redact [-- --json]`.
 */
import { redactText } from '../jobs/redact.js';
import { hostileLines, pathologicalInputs } from './bench/redact-shapes.js';

interface Row {
  family: string;
  size: number;
  inputs: number;
  worstMs: number;
  worst: string;
  mibPerSecond: number;
}

function measure(family: string, size: number, inputs: [string, string][]): Row {
  let worstMs = 0;
  let worst = '';
  let chars = 0;
  let total = 0;
  for (const [what, input] of inputs) {
    const started = performance.now();
    redactText(input);
    const ms = performance.now() - started;
    total += ms;
    chars += input.length;
    if (ms > worstMs) {
      worstMs = ms;
      worst = what;
    }
  }
  return {
    family,
    size,
    inputs: inputs.length,
    worstMs,
    worst,
    mibPerSecond: chars / 1048576 / (total / 1000),
  };
}

const MiB = 1024 * 1024;
const rows: Row[] = [];
for (const size of [MiB, 5 * MiB]) {
  rows.push(
    measure(
      'pathological',
      size,
      pathologicalInputs(size).map((s, i) => [`input ${i + 1}`, s]),
    ),
  );
  rows.push(measure('strace rules', size, hostileLines(size)));
}
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, rows }, null, 2));
} else {
  console.log(`redactText on hostile input (node ${process.version})`);
  console.log('family        size    inputs  worst ms  MiB/s  worst input');
  for (const r of rows) {
    console.log(
      `${r.family.padEnd(13)} ${`${r.size / MiB} MiB`.padEnd(7)} ${String(r.inputs).padStart(6)}  ${r.worstMs.toFixed(0).padStart(8)}  ${r.mibPerSecond.toFixed(1).padStart(5)}  ${r.worst}`,
    );
  }
}
