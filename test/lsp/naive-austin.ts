/**
 * Line and caller shares of an Austin 3 text file (single-metric modes), worked out from the
 * independent sample reading in test/helpers/austin-samples.ts, to compute what a test expects.
 */
import { austinSamples } from '../helpers/austin-samples';

export interface NaiveFrame {
  file: string;
  name: string;
  line: number;
}

export interface NaiveSample {
  pid: string;
  frames: NaiveFrame[];
  value: number;
}

export function naiveAustin(path: string, pid?: string): { samples: NaiveSample[]; total: number } {
  const all = austinSamples(path).map((s) => ({ pid: s.pid, frames: s.frames, value: s.values[0] }));
  const samples = pid === undefined ? all : all.filter((x) => x.pid === pid);
  return { samples, total: samples.reduce((s, x) => s + x.value, 0) };
}

const at = (f: NaiveFrame, file: string, line: number) => f.file.endsWith(file) && f.line === line;

/** Own and total percent of a line (total counts a sample once). */
export function lineShares(p: { samples: NaiveSample[]; total: number }, file: string, line: number): { own: number; total: number } {
  let own = 0;
  let total = 0;
  for (const s of p.samples) {
    const leaf = s.frames[s.frames.length - 1];
    if (leaf && at(leaf, file, line)) own += s.value;
    if (s.frames.some((f) => at(f, file, line))) total += s.value;
  }
  return { own: (own / p.total) * 100, total: (total / p.total) * 100 };
}

/**
 * The frames next to a function's outermost occurrence in each sample (`step` -1: its caller, +1:
 * its callee), by name, as a share of the function's total, hottest first.
 */
function neighbourShares(p: { samples: NaiveSample[] }, file: string, name: string, step: -1 | 1): { name: string; share: number }[] {
  let fnTotal = 0;
  const by = new Map<string, number>();
  for (const s of p.samples) {
    const i = s.frames.findIndex((f) => f.file.endsWith(file) && f.name === name);
    if (i < 0) continue;
    fnTotal += s.value;
    const next = s.frames[i + step];
    if (next) by.set(next.name, (by.get(next.name) ?? 0) + s.value);
  }
  return [...by].map(([n, v]) => ({ name: n, share: (v / fnTotal) * 100 })).sort((a, b) => b.share - a.share);
}

/**
 * Callers of a function by calling function name, as a share of the function's total, hottest
 * first; recursion merged: a sample counts for the frame below the function's outermost occurrence.
 */
export function callerShares(p: { samples: NaiveSample[] }, file: string, name: string): { name: string; share: number }[] {
  return neighbourShares(p, file, name, -1);
}

/** Own and total percent of a function (file suffix and recorded name), total counting a sample once. */
export function functionShares(p: { samples: NaiveSample[]; total: number }, file: string, name: string): { own: number; total: number } {
  let own = 0;
  let total = 0;
  const is = (f: NaiveFrame) => f.file.endsWith(file) && f.name === name;
  for (const s of p.samples) {
    const leaf = s.frames[s.frames.length - 1];
    if (leaf && is(leaf)) own += s.value;
    if (s.frames.some(is)) total += s.value;
  }
  return { own: (own / p.total) * 100, total: (total / p.total) * 100 };
}

/**
 * Callees of a function by name, as a share of the function's total, hottest first: the frame
 * above its outermost occurrence in each sample.
 */
export function calleeShares(p: { samples: NaiveSample[] }, file: string, name: string): { name: string; share: number }[] {
  return neighbourShares(p, file, name, 1);
}

/** Call-site lines (1-based) in `callerName` from which `calleeName` is called, with the value under each. */
export function callSiteLines(p: { samples: NaiveSample[] }, callerName: string, calleeName: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of p.samples) {
    const i = s.frames.findIndex((f) => f.name === calleeName);
    if (i <= 0 || s.frames[i - 1].name !== callerName) continue;
    out.set(s.frames[i - 1].line, (out.get(s.frames[i - 1].line) ?? 0) + s.value);
  }
  return out;
}
