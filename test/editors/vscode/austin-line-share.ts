// What the editor must show, worked out from the independent sample reading of
// test/helpers/austin-samples.ts (it shares no code with the server's reader).
import { austinSamples } from '../../helpers/austin-samples';

export interface LineShare {
  /** Metric summed over every sample. */
  total: number;
  /** Sum over samples that have file:line anywhere in the stack, once per sample. */
  lineTotal: number;
  /** Sum over samples whose leaf frame is file:line. */
  lineOwn: number;
}

/**
 * Shares of `pathSuffix:line` in an Austin text recording with one metric per sample (cpu/wall mode),
 * over all samples or those of one thread id (`T<iid>:<tid>` in Austin 3.6+, `T<tid>` before).
 */
export function austinLineShare(file: string, pathSuffix: string, line: number, tid?: string): LineShare {
  const out: LineShare = { total: 0, lineTotal: 0, lineOwn: 0 };
  for (const s of austinSamples(file)) {
    if (tid !== undefined && s.thread.slice(1).split(':').pop() !== tid) continue;
    const value = s.values[0];
    out.total += value;
    const hit = (f: { file: string; line: number }) => f.line === line && f.file.endsWith(pathSuffix);
    if (s.frames.some(hit)) out.lineTotal += value;
    if (s.frames.length > 0 && hit(s.frames[s.frames.length - 1])) out.lineOwn += value;
  }
  return out;
}

export interface CallerShare {
  /** Caller function name as recorded. */
  name: string;
  /** Recorded file of the call site. */
  file: string;
  /** 1-based line of the call site. */
  line: number;
  /** Share of the callee's total that passes through this call site, 0-100. */
  share: number;
}

/**
 * Call sites of `func` (defined in a file ending with `pathSuffix`), hottest first: each sample
 * holding the function counts for the call (caller and line) just below its outermost occurrence,
 * as the server counts callers (recursion merged). Cpu/wall-mode Austin text.
 */
export function austinCallers(file: string, pathSuffix: string, func: string): CallerShare[] {
  let funcTotal = 0;
  const sites = new Map<string, number>();
  for (const s of austinSamples(file)) {
    const k = s.frames.findIndex((f) => f.name === func && f.file.endsWith(pathSuffix));
    if (k < 0) continue;
    const value = s.values[0];
    funcTotal += value;
    if (k === 0) continue;
    const c = s.frames[k - 1];
    const key = `${c.file}\u0000${c.name}\u0000${c.line}`;
    sites.set(key, (sites.get(key) ?? 0) + value);
  }
  return [...sites]
    .map(([key, value]) => {
      const [callerFile, name, line] = key.split('\u0000');
      return { name, file: callerFile, line: Number(line), share: (value / funcTotal) * 100 };
    })
    .sort((a, b) => b.share - a.share);
}

/**
 * A function's total (samples holding it, once per sample) and own (samples where it is the leaf),
 * in the recording's unit, and both as percents of all samples.
 */
export function austinFunctionTotal(
  file: string,
  pathSuffix: string,
  func: string,
): { value: number; total: number; percent: number; own: number; ownPercent: number } {
  let value = 0;
  let own = 0;
  let total = 0;
  const is = (f: { name: string; file: string } | undefined) => f !== undefined && f.name === func && f.file.endsWith(pathSuffix);
  for (const s of austinSamples(file)) {
    total += s.values[0];
    if (s.frames.some(is)) value += s.values[0];
    if (is(s.frames[s.frames.length - 1])) own += s.values[0];
  }
  return { value, total, percent: (value / total) * 100, own, ownPercent: (own / total) * 100 };
}

/** The line of `func` where most of its time goes (each line once per sample): where the flame graph opens it. */
export function austinHottestLine(file: string, pathSuffix: string, func: string): number {
  const byLine = new Map<number, number>();
  for (const s of austinSamples(file)) {
    const lines = new Set(s.frames.filter((f) => f.name === func && f.file.endsWith(pathSuffix)).map((f) => f.line));
    for (const l of lines) byLine.set(l, (byLine.get(l) ?? 0) + s.values[0]);
  }
  return [...byLine].sort((a, b) => b[1] - a[1])[0][0];
}

/**
 * Lines of the user's files by own share (the leaf frame's line), hottest first: what hot-line
 * diagnostics list. `mine` says which recorded files are the user's.
 */
export function austinOwnLines(file: string, mine: (recorded: string) => boolean): { file: string; line: number; percent: number }[] {
  const own = new Map<string, number>();
  let total = 0;
  for (const s of austinSamples(file)) {
    total += s.values[0];
    const leaf = s.frames[s.frames.length - 1];
    if (leaf && mine(leaf.file)) {
      const key = `${leaf.file}\u0000${leaf.line}`;
      own.set(key, (own.get(key) ?? 0) + s.values[0]);
    }
  }
  return [...own]
    .map(([key, v]) => {
      const [f, line] = key.split('\u0000');
      return { file: f, line: Number(line), percent: (v / total) * 100 };
    })
    .sort((a, b) => b.percent - a.percent);
}

/**
 * What line heat measures by default: a line's own time plus the time it spends in code outside the
 * user's files, i.e. the samples whose deepest frame in a user's file is that line. As a percent.
 */
export function austinWorkShare(file: string, pathSuffix: string, line: number, mine: (recorded: string) => boolean): number {
  let value = 0;
  let total = 0;
  for (const s of austinSamples(file)) {
    total += s.values[0];
    const deepest = [...s.frames].reverse().find((f) => mine(f.file));
    if (deepest && deepest.line === line && deepest.file.endsWith(pathSuffix)) value += s.values[0];
  }
  return (value / total) * 100;
}
