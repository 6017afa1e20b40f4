/** Display units shared by the worker (artefact notes) and the bot (artefact lines). Pure. */

/** 512 B, 1.2 MiB, 8 MiB, 23.4 MiB, 120 MiB: binary units, one decimal under 100 (`.0` dropped). */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const s = v < 100 ? v.toFixed(1) : v.toFixed(0);
  return `${s.replace(/\.0$/, '')} ${units[u]}`;
}
