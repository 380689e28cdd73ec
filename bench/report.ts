/**
 * The figures of a bench run as Markdown tables (FLAMELENS_BENCH_MD=<file>), so that
 * docs/performance.md quotes a run instead of retyped numbers.
 */
import type { ChildResult } from './child';
import type { Input } from './inputs';
import type { LspLatencyResult } from './lsp-latency';

export interface ReportRow {
  label: string;
  input: Input;
  r: ChildResult;
}

const fixed = (x: number, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** One table row per reader run: size, MB/s, units/s, ratio to the newline count, peak RSS, nodes. */
export function markdownTable(rows: readonly ReportRow[]): string {
  const out = [
    '| Input | Size | Read time | MB/s | Rate | × newline count | Peak RSS | Tree nodes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { label, input, r } of rows) {
    const secs = r.readMs / 1000;
    const rate = (input.samples * r.times) / secs;
    const unit = input.unit ?? 'samples';
    out.push(
      `| ${label}${r.times > 1 ? ` (×${fixed(r.times)})` : ''} | ${fixed(r.bytes / 1e6)} MB | ${fixed(secs, 2)} s | ${fixed(r.bytes / 1e6 / secs)} | ${fixed(rate / 1e6, 2)} M ${unit}/s | ${fixed(r.readMs / r.baselineMs, 1)} | ${fixed(r.maxRssMiB)} MiB | ${fixed(r.stacks)} |`,
    );
  }
  return out.join('\n') + '\n';
}

export function markdownLsp(res: LspLatencyResult & { maxRssMiB: number }, profileBytes: number): string {
  const ms = (x: number) => `${fixed(x, 2)} ms`;
  return [
    `Profile: ${fixed(profileBytes / 1e6)} MB of Austin text; source file: ${fixed(res.sourceLines)} lines; the server read the profile in ${fixed(res.loadMs / 1000, 1)} s; peak RSS ${fixed(res.maxRssMiB)} MiB.`,
    '',
    '| Request | p50 | p99 |',
    '|---|---:|---:|',
    `| inlay hints (whole file) | ${ms(res.inlayHint.p50)} | ${ms(res.inlayHint.p99)} |`,
    `| code lenses | ${ms(res.codeLens.p50)} | ${ms(res.codeLens.p99)} |`,
    `| hover | ${ms(res.hover.p50)} | ${ms(res.hover.p99)} |`,
    `| hover while loading (${fixed(res.hoversWhileLoading)} hovers) | ${ms(res.hoverWhileLoading.p50)} | ${ms(res.hoverWhileLoading.p99)} (max ${ms(res.hoverWhileLoadingMs)}) |`,
    '',
  ].join('\n');
}
