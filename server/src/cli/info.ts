// `flamelens info`: what a profile holds (format, metadata, metrics, processes and threads, read
// problems), so a user can pick --metric, --pid and --tid for the other commands.
import { aggregate } from '../core/aggregate';
import { formatValue } from '../core/format';
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

function summarise(p: Profile): { pid: string; samples: number | null; total: number; threads: ThreadSummary[] }[] {
  const hasSamples = p.metricIndex('samples') >= 0;
  const metric = p.defaultMetric();
  return p.processes().map((pid) => {
    const threads = p.threadsIn({ pid }).map((t) => ({
      thread: p.threads[t],
      samples: hasSamples ? aggregate(p, { thread: t }, 'samples').total : null,
      total: p.metrics.length ? aggregate(p, { thread: t }, metric).total : 0,
    }));
    return {
      pid,
      samples: hasSamples ? aggregate(p, { pid }, 'samples').total : null,
      total: p.metrics.length ? aggregate(p, { pid }, metric).total : 0,
      threads,
    };
  });
}

export async function runInfo(io: Io, file: string, o: InfoOptions): Promise<number> {
  const loaded = await openProfile(file);
  const p = loaded.profile;
  const def = p.metrics.length ? p.defaultMetric() : undefined;
  const metrics = p.metrics.map((m) => ({ def: m, total: aggregate(p, {}, m.key).total }));
  const procs = summarise(p);
  const issues = loaded.reader.issues;

  if (o.json) {
    writeJson(io, 'info', {
      profile: file,
      size: loaded.size,
      format: p.format,
      meta: Object.fromEntries(p.meta),
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
  out.push(`profile   ${file} (${formatValue(loaded.size, 'bytes')})`);
  out.push(`format    ${p.format}`);
  if (p.meta.size) {
    out.push('metadata');
    out.push(...table([...p.meta].map(([k, v]) => [k, v]), ['left', 'left'], '  '));
  }
  out.push('metrics');
  out.push(
    ...table(
      metrics.map((m) => [m.def.key, m.def.label, `total ${formatValue(m.total, m.def.unit)}`, m.def.key === def ? '(default)' : '']),
      ['left', 'left', 'left', 'left'],
    ),
  );
  const defUnit = p.metrics.find((m) => m.key === def)?.unit ?? 'count';
  const count = (n: number | null) => (n === null ? '' : `${n.toLocaleString('en-US')} samples`);
  out.push(`processes and threads (${def ?? 'no metric'})`);
  const rows: string[][] = [];
  for (const x of procs) {
    rows.push([x.pid ? `pid ${x.pid}` : '(no pid)', `${x.threads.length} thread${x.threads.length === 1 ? '' : 's'}`, count(x.samples), formatValue(x.total, defUnit)]);
    for (const t of x.threads) {
      const name = t.thread.iid && t.thread.iid !== '0' ? `${t.thread.iid}:${t.thread.tid}` : t.thread.tid;
      rows.push([`  thread ${name}`, t.thread.label !== name ? t.thread.label : '', count(t.samples), formatValue(t.total, defUnit)]);
    }
  }
  out.push(...table(rows, ['left', 'left', 'right', 'right']));
  out.push(`source files  ${p.sourceFiles().length}`);
  if (issues.length === 0) out.push('read problems  none');
  else {
    out.push(`read problems  ${issues.length}`);
    for (const i of issues.slice(0, 10)) {
      const where = i.line !== undefined ? `line ${i.line} (byte ${i.offset})` : `byte ${i.offset}`;
      out.push(`  ${where}: ${i.message}${i.fatal ? ' [reading stopped here]' : ''}`);
    }
    if (issues.length > 10) out.push(`  and ${issues.length - 10} more`);
  }
  io.out(out.join('\n') + '\n');
  return finish(io, loaded);
}
