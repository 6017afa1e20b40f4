/** Hosts that look like numbers in another notation are refused by both host grammars; real names are not. */
import { describe, expect, it } from '@jest/globals';
import { parseHostPort } from '../../../../bot/grammar/host-port.js';
import { parsePcapFilter } from '../../../../bot/grammar/pcap-filter.js';
import { isHostName } from '../../../../jobs/contracts/probe.js';

const REFUSED: Array<[string, RegExp]> = [
  ['0x7f.1', /looks like a hex address/],
  ['0x7f000001', /looks like a hex address/],
  ['0XA9.0XFE.0XA9.0XFE', /looks like a hex address/],
  ['host.0x10', /looks like a hex address/],
  ['0177.0.0.1', /looks like an octal address/],
  ['010.0.0.1', /looks like an octal address/],
  ['2130706433', /some resolvers read it as an address/],
  ['127.1', /some resolvers read it as an address/],
  ['169.254.43518', /some resolvers read it as an address/],
  ['metadata.1', /last label is a number/],
];

const ACCEPTED = [
  '127.0.0.1',
  '0.0.0.0',
  'db.shop.svc',
  'web-0',
  '0xdead-beef.example.com',
  'x0x7f.internal',
  'a1.b2',
];

describe('numeric-looking host labels', () => {
  it.each(REFUSED)('netcheck refuses %s', (host, why) => {
    const r = parseHostPort(`${host}:443`);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(why);
      expect(r.reason).toContain(`\`${host}\``);
      expect(r.reason).toMatch(/write the address as four decimal numbers/);
    }
  });

  it.each(REFUSED)('tcpdump filters refuse host %s', (host, why) => {
    const r = parsePcapFilter(`tcp and host ${host}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(why);
  });

  it.each(REFUSED.filter(([h]) => !/^[0-9.]+$/.test(h)))(
    'the contracts refuse %s as a host name too',
    (h) => {
      // The worker and the probe program validate specs with the same HostSchema.
      expect(isHostName(h.toLowerCase())).toBe(false);
    },
  );

  it.each(ACCEPTED)('%s is still a host', (host) => {
    expect(parseHostPort(host)).toMatchObject({ ok: true, value: { host } });
    expect(parsePcapFilter(`host ${host}`)).toEqual({ ok: true, tokens: ['host', host] });
  });
});
