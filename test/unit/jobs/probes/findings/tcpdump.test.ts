import { describe, expect, it } from '@jest/globals';
import type { ProbeSpec, TcpdumpData } from '../../../../../jobs/contracts/probe.js';
import { probeFindings, probeText } from '../../../../../jobs/probes/findings/index.js';
import { tcpdumpCounters } from '../../../../../jobs/probes/findings/tcpdump.js';
import { byId, ctxFor, evidenceOf, expectWellFormed, idSev } from './helpers.js';

const spec: ProbeSpec = { action: 'tcpdump', durationSec: 30, filter: ['tcp', 'port', '5432'] };
const ctx = ctxFor(spec);

/** tcpdump's closing lines, as it prints them on stderr. */
const stats = (captured: number, received: number, dropped: number) => [
  `${captured} packets captured`,
  `${received} packets received by filter`,
  `${dropped} packets dropped by kernel`,
];

const cases: [string, TcpdumpData, [string, string][], string[]][] = [
  [
    'a clean capture',
    { action: 'tcpdump', packets: 1842, stats: stats(1842, 1842, 0) },
    [['tcpdump-captured', 'info']],
    ['filter: tcp port 5432', '1842 packets captured'],
  ],
  [
    'the kernel dropped packets',
    { action: 'tcpdump', packets: 9120, stats: stats(9120, 9987, 867) },
    [
      ['tcpdump-dropped', 'warning'],
      ['tcpdump-captured', 'info'],
    ],
    ['867 packets dropped by kernel'],
  ],
  [
    'nothing matched',
    { action: 'tcpdump', packets: 0, stats: stats(0, 0, 0) },
    [['tcpdump-no-packets', 'info']],
    ['0 packets captured'],
  ],
  [
    'stopped at the packet cap',
    { action: 'tcpdump', packets: 10_000, stats: stats(10_000, 10_412, 0) },
    [['tcpdump-packet-cap', 'info']],
    [],
  ],
];

describe('tcpdump findings', () => {
  it.each(cases)('%s', (_n, data, want, evidence) => {
    const findings = probeFindings(data, ctx);
    expectWellFormed(findings);
    expect(idSev(findings)).toEqual(want);
    for (const l of evidence) expect(findings.map(evidenceOf).join('\n')).toContain(l);
  });

  it('says how many were seen when packets were dropped', () => {
    const f = byId(probeFindings(cases[1]![1], ctx), 'tcpdump-dropped');
    expect(f.title).toBe('The capture is incomplete: 867 packets dropped by the kernel (of 9,987 seen)');
  });

  it('parses the closing lines', () => {
    expect(tcpdumpCounters(stats(12, 14, 2))).toEqual({ captured: 12, received: 14, dropped: 2 });
    expect(tcpdumpCounters(['tcpdump: listening on eth0'])).toEqual({});
  });

  it('text shows packets, filter and statistics', () => {
    expect(probeText(cases[1]![1], spec)).toBe(
      'packets  9,120\nfilter   tcp port 5432\n9120 packets captured\n9987 packets received by filter\n867 packets dropped by kernel',
    );
  });
});
