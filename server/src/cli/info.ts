// `flamelens info`: what a profile holds (format, metadata, metrics, processes and threads, read
// problems), so a user can pick --metric, --pid and --tid for the other commands.
import { formatValue } from '../core/format';
import { inert } from '../core/present';
import { lineDataOf } from '../core/view';
import type { Profile, ThreadInfo } from '../core/model';
import { finish, issuesJson, metricJson, openProfile, table, threadJson, writeJson, type Io } from './common';

export interface InfoOptions {
  json?: boolean;
}

interface ThreadSummary {
  thread: ThreadInfo;
  samples: number | null;
  total: number;
}

/**
 * Per process and thread: sample count and the default metric's total, from one pass over the
 * call tree's own values (an aggregation per thread and metric took minutes on big profiles).
 */
function summarise(p: Profile): { pid: string; samples: number | null; total: number; threads: ThreadSummary[] }[] {
  const m = p.metricsPerNode;
  const si = p.metricIndex('samples');
  const di = p.metrics.length ? p.metricIndex(p.defaultMetric()) : -1;
  const samples = new Float64Array(p.threads.length);
  const totals = new Float64Array(p.threads.length);
  for (let n = 0; n < p.nodeCount; n++) {
    const t = p.nodeThread[n];
    if (si >= 0) samples[t] += p.nodeSelf[n * m + si];
    if (di >= 0) totals[t] += p.nodeSelf[n * m + di];
  }
  return p.processes().map((pid) => {
    const threads = p.threadsIn({ pid }).map((t) => ({ thread: p.threads[t], samples: si >= 0 ? samples[t] : null, total: totals[t] }));
    return {
      pid,
      samples: si >= 0 ? threads.reduce((s, t) => s + (t.samples ?? 0), 0) : null,
      total: threads.reduce((s, t) => s + t.total, 0),
      threads,
    };
  });
}

/** Totals of every metric over the whole profile, in one pass. */
function metricTotals(p: Profile): number[] {
  const m = p.metricsPerNode;
  const out = new Array<number>(p.metrics.length).fill(0);
  for (let n = 0; n < p.nodeCount; n++) for (let k = 0; k < p.metrics.length; k++) out[k] += p.nodeSelf[n * m + k];
  return out;
}

export async function runInfo(io: Io, file: string, o: InfoOptions): Promise<number> {
  const loaded = await openProfile(file);
  const p = loaded.profile;
  const def = p.metrics.length ? p.defaultMetric() : undefined;
  const sums = metricTotals(p);
  const metrics = p.metrics.map((m, k) => ({ def: m, total: sums[k] }));
  const procs = summarise(p);
  const issues = loaded.reader.issues;

  if (o.json) {
    writeJson(io, 'info', {
      profile: loaded.file,
      size: loaded.size,
      format: p.format,
      meta: Object.fromEntries(p.meta),
      lineData: lineDataOf(p),
      defaultMetric: def ?? null,
      metrics: metrics.map((m) => ({ ...metricJson(m.def), total: m.total })),
      processes: procs.map((x) => ({
        pid: x.pid,
        samples: x.samples,
        total: x.total,
        threads: x.threads.map((t) => ({ ...threadJson(t.thread), samples: t.samples, total: t.total })),
      })),
      sourceFiles: p.sourceFiles().length,
      issues: issuesJson(issues),
    });
    return finish(io, loaded);
  }

  const out: string[] = [];
  out.push(`profile   ${inert(file)} (${formatValue(loaded.size, 'bytes')})`);
  out.push(`format    ${p.format}`);
  const data = lineDataOf(p);
  if (data !== 'full') out.push(`lines     ${data === 'own' ? 'own values only (the format records no per-line totals)' : 'none (the format records functions only)'}`);
  // flamelens.* keys are the readers' notes to the engine, said above in words
  const meta = [...p.meta].filter(([k]) => !k.startsWith('flamelens.'));
  if (meta.length) {
    out.push('metadata');
    for (const line of table(meta.map(([k, v]) => [inert(k), inert(v)]), ['left', 'left'], '  ')) out.push(line);
  }
  out.push('metrics');
  const metricRows = metrics.map((m) => [m.def.key, m.def.label, `total ${formatValue(m.total, m.def.unit)}`, m.def.key === def ? '(default)' : '']);
  for (const line of table(metricRows, ['left', 'left', 'left', 'left'])) out.push(line);
  const defUnit = p.metrics.find((m) => m.key === def)?.unit ?? 'count';
  const count = (n: number | null) => (n === null ? '' : `${n.toLocaleString('en-US')} samples`);
  out.push(`processes and threads (${def ?? 'no metric'})`);
  const rows: string[][] = [];
  for (const x of procs) {
    rows.push([x.pid ? `pid ${inert(x.pid)}` : '(no pid)', `${x.threads.length} thread${x.threads.length === 1 ? '' : 's'}`, count(x.samples), formatValue(x.total, defUnit)]);
    for (const t of x.threads) {
      const name = t.thread.iid && t.thread.iid !== '0' ? `${t.thread.iid}:${t.thread.tid}` : t.thread.tid;
      rows.push([`  thread ${inert(name)}`, t.thread.label !== name ? inert(t.thread.label) : '', count(t.samples), formatValue(t.total, defUnit)]);
    }
  }
  for (const line of table(rows, ['left', 'left', 'right', 'right'])) out.push(line);
  out.push(`source files  ${p.sourceFiles().length}`);
  if (issues.length === 0) out.push('read problems  none');
  else {
    out.push(`read problems  ${issues.length}`);
    for (const i of issues.slice(0, 10)) {
      const where = i.line !== undefined ? `line ${i.line} (byte ${i.offset})` : `byte ${i.offset}`;
      out.push(`  ${where}: ${inert(i.message)}${i.fatal ? ' [reading stopped here]' : ''}`);
    }
    if (issues.length > 10) out.push(`  and ${issues.length - 10} more`);
  }
  io.out(out.join('\n') + '\n');
  return finish(io, loaded);
}
