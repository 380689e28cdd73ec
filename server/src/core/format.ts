import type { Unit } from './model';

/** Formats a value in the metric's unit with a readable magnitude: 840 µs, 12.5 ms, 3.20 s, 512 B, 4.0 KiB, 1.25 MiB. */
export function formatValue(value: number, unit: Unit | string): string {
  const sign = value < 0 ? '-' : '';
  const v = Math.abs(value);
  switch (unit) {
    case 'nanoseconds':
      return sign + formatSeconds(v / 1e9);
    case 'microseconds':
      return sign + formatSeconds(v / 1e6);
    case 'milliseconds':
      return sign + formatSeconds(v / 1e3);
    case 'seconds':
      return sign + formatSeconds(v);
    case 'bytes':
      return sign + formatBytes(v);
    default:
      return sign + (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2));
  }
}

function formatSeconds(s: number): string {
  if (s === 0) return '0 s';
  if (s < 1e-3) return `${trim(s * 1e6)} µs`;
  if (s < 1) return `${trim(s * 1e3)} ms`;
  return `${trim(s)} s`;
}

function formatBytes(b: number): string {
  if (b < 1024) return `${Math.round(b)} B`;
  if (b < 1024 * 1024) return `${trim(b / 1024)} KiB`;
  if (b < 1024 * 1024 * 1024) return `${trim(b / 1024 / 1024)} MiB`;
  return `${trim(b / 1024 / 1024 / 1024)} GiB`;
}

/** Three significant digits, no trailing zeros beyond them: 1.25, 12.5, 125. */
function trim(x: number): string {
  if (x >= 100) return Math.round(x).toString();
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** A share as shown to users: one decimal, `<0.1%` for tiny non-zero shares. */
export function formatPercent(p: number): string {
  if (p > 0 && p < 0.05) return '<0.1%';
  return `${p.toFixed(1)}%`;
}

/** `value` as a percent of `whole`; 0 when the whole is 0. The one place shares are computed. */
export function percentOf(value: number, whole: number): number {
  return whole === 0 ? 0 : (value / whole) * 100;
}
