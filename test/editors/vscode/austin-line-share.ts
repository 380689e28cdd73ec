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
