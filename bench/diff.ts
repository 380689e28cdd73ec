/**
 * `flamelens diff` on two big runs: the real before/after pair (test/fixtures/pairs/audit-fix)
 * repeated to the bench size, each read with the CLI's loader, then compared by function and by
 * line with the CLI's own computation (cli/diff.ts `computeDiff`). The figure that carries over
 * between machines is the ratio of reading plus comparing to reading alone (target: under 2).
 */
import { computeDiff } from '../server/src/cli/diff';
import { openProfile } from '../server/src/cli/common';

export interface DiffBenchResult {
  bytes: number;
  readMs: number;
  byFunctionMs: number;
  byLineMs: number;
  functions: number;
  lines: number;
  flaggedFunctions: number;
  /** (read + both comparisons) / read. */
  ratio: number;
}

export async function runDiffBench(basePath: string, currentPath: string, bytes: number): Promise<DiffBenchResult> {
  let t = performance.now();
  const base = await openProfile(basePath);
  const current = await openProfile(currentPath);
  const readMs = performance.now() - t;
  t = performance.now();
  const byFunction = computeDiff(base, current, { by: 'function' });
  const byFunctionMs = performance.now() - t;
  t = performance.now();
  const byLine = computeDiff(base, current, { by: 'line' });
  const byLineMs = performance.now() - t;
  return {
    bytes,
    readMs,
    byFunctionMs,
    byLineMs,
    functions: byFunction.entries.length,
    lines: byLine.entries.length,
    flaggedFunctions: byFunction.flagged.length,
    ratio: (readMs + byFunctionMs + byLineMs) / readMs,
  };
}

export function printDiffBench(r: DiffBenchResult): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`\nflamelens diff of two ${Math.round(r.bytes / 2 / 1e6)} MB Austin text runs (the audit-fix pair, repeated)`);
  console.log(`  read both                 ${s(r.readMs)}`);
  console.log(`  compare by function       ${s(r.byFunctionMs)}  (${r.functions} functions, ${r.flaggedFunctions} flagged)`);
  console.log(`  compare by line           ${s(r.byLineMs)}  (${r.lines} lines)`);
  console.log(`  (read + compare) / read   x${r.ratio.toFixed(2)}; target < 2: ${r.ratio < 2 ? 'met' : 'NOT met'}`);
}
