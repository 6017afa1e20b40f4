import { describe, expect, it } from '@jest/globals';
import { humanBytes } from '../../../../jobs/contracts/index.js';

describe("humanBytes, 'compact' (artefact sizes, the default)", () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [1_258_291, '1.2 MiB'],
    [8 * 1024 * 1024, '8 MiB'],
    [Math.round(23.4 * 1024 * 1024), '23.4 MiB'],
    [120 * 1024 * 1024, '120 MiB'],
  ])('%d → %s', (n, s) => {
    expect(humanBytes(n)).toBe(s);
  });
});

describe("humanBytes, 'fixed' (probe findings)", () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [412.3 * 1024 * 1024, '412.3 MiB'],
    [1.25 * 1024 ** 3, '1.25 GiB'],
    [2 * 1024 ** 4, '2.00 TiB'],
  ])('%d → %s', (n, want) => expect(humanBytes(n, 'fixed')).toBe(want));
});
