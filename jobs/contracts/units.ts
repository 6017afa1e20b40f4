/** Display units shared by the worker (artefact notes, probe findings) and the bot (artefact lines). Pure. */

/**
 * How {@link humanBytes} writes the number:
 * - `compact` (artefact sizes, notes): one decimal under 100, none from 100, `.0` dropped: `1 KiB`, `1.2 MiB`, `120 MiB`;
 * - `fixed` (probe findings and their aligned columns): one decimal, two from GiB up, always shown:
 *   `1.0 KiB`, `412.3 MiB`, `1.25 GiB`.
 */
export type BytesStyle = 'compact' | 'fixed';

const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Bytes in binary units: `512 B`, then KiB … TiB in the given style. Negative sizes keep their sign; `?` when not finite. */
export function humanBytes(n: number, style: BytesStyle = 'compact'): string {
  if (!Number.isFinite(n)) return '?';
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  if (abs < 1024) return `${sign}${Math.round(abs)} B`;
  let v = abs / 1024;
  let u = 0;
  while (v >= 1024 && u < BINARY_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits =
    style === 'fixed'
      ? u >= 2
        ? v.toFixed(2)
        : v.toFixed(1)
      : (v < 100 ? v.toFixed(1) : v.toFixed(0)).replace(/\.0$/, '');
  return `${sign}${digits} ${BINARY_UNITS[u]}`;
}
