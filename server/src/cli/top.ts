// `flamelens top`: the hottest lines or functions of a profile, like `pprof -top`.
import { aggregate, type Aggregation } from '../core/aggregate';
import { formatPercent, formatValue } from '../core/format';
import type { Profile } from '../core/model';
import {
  CliError,
  describeScope,
  finish,
  issuesJson,
  metricJson,
  openProfile,
  pct,
  pickMetric,
  pickScope,
  scopeJson,
  table,
  writeJson,
  type Io,
} from './common';

export interface TopOptions {
  metric?: string;
  pid?: string;
  tid?: string;
  by?: string;
  sort?: string;
  limit?: string;
  json?: boolean;
}

export const DEFAULT_LIMIT = 20;

interface TopEntry {
  file: string;
  /** Line for `--by line`; the definition line (0 when unknown) for `--by function`. */
  line: number;
  function: string;
  kind: string;
  own: number;
  total: number;
}

/** For each line id, a function it belongs to (the first frame that names it), -1 when none. */
export function lineFunctions(p: Profile): Int32Array {
  const out = new Int32Array(p.lineCount).fill(-1);
  for (let f = 0; f < p.frameCount; f++) {
    const l = p.frameLine[f];
    if (out[l] < 0) out[l] = p.frameFunc[f];
  }
  return out;
}

function lineEntries(p: Profile, agg: Aggregation, sort: 'own' | 'total', limit: number): { entries: TopEntry[]; count: number } {
  const ids = agg.topLines(sort);
  const funcs = lineFunctions(p);
  const entries = ids.slice(0, limit).map((id) => {
    const key = p.lineKey(id);
    const fn = funcs[id] >= 0 ? p.functionAt(funcs[id]) : undefined;
    return {
      file: key.file,
      line: key.line,
      function: fn?.name ?? '',
      kind: fn?.kind ?? 'source',
      own: agg.lineOwn[id],
      total: agg.lineTotal[id],
    };
  });
  return { entries, count: ids.length };
}

function functionEntries(p: Profile, agg: Aggregation, sort: 'own' | 'total', limit: number): { entries: TopEntry[]; count: number } {
  const ids = agg.topFunctions(sort);
  const entries = ids.slice(0, limit).map((id) => {
    const fn = p.functionAt(id);
    return { file: fn.file, line: fn.defLine, function: fn.name, kind: fn.kind, own: agg.funcOwn[id], total: agg.funcTotal[id] };
  });
  return { entries, count: ids.length };
}

function location(e: TopEntry): string {
  if (e.file === '') return '';
  return e.line > 0 ? `${e.file}:${e.line}` : e.file;
}

export async function runTop(io: Io, file: string, o: TopOptions): Promise<number> {
  const by = o.by ?? 'line';
  if (by !== 'line' && by !== 'function') throw new CliError(`--by must be line or function, not '${by}'`);
  const sort = o.sort ?? 'own';
  if (sort !== 'own' && sort !== 'total') throw new CliError(`--sort must be own or total, not '${sort}'`);
  let limit = DEFAULT_LIMIT;
  if (o.limit !== undefined) {
    if (!/^\d+$/.test(o.limit)) throw new CliError(`--limit must be a whole number (0 for all), not '${o.limit}'`);
    limit = Number(o.limit) === 0 ? Infinity : Number(o.limit);
  }

  const loaded = await openProfile(file);
  const p = loaded.profile;
  const metric = pickMetric(loaded, o.metric);
  const scope = pickScope(loaded, o.pid, o.tid);
  const agg = aggregate(p, scope, metric.key);
  const { entries, count } = by === 'line' ? lineEntries(p, agg, sort, limit) : functionEntries(p, agg, sort, limit);

  if (o.json) {
    writeJson(io, 'top', {
      profile: file,
      format: p.format,
      metric: metricJson(metric),
      scope: scopeJson(p, scope),
      total: agg.total,
      by,
      sort,
      count,
      entries: entries.map((e) => ({
        file: e.file,
        // A function's line is where it is defined, known only for formats that record it
        ...(by === 'line' ? { line: e.line } : { defLine: e.line }),
        function: e.function,
        kind: e.kind,
        own: e.own,
        ownPercent: pct(agg.percent(e.own)),
        total: e.total,
        totalPercent: pct(agg.percent(e.total)),
      })),
      issues: issuesJson(loaded.reader.issues),
    });
    return finish(io, loaded);
  }

  const unit = metric.unit;
  const lines: string[] = [];
  lines.push(`${file}: ${metric.label} (${metric.key}), ${describeScope(p, scope)}, total ${formatValue(agg.total, unit)}`);
  const what = by === 'line' ? 'lines' : 'functions';
  const shown = entries.length < count ? `${entries.length} of ${count}` : `${count}`;
  lines.push(`hottest ${what} by ${sort} ${metric.label}: ${shown}`);
  lines.push('');
  const rows: string[][] = [['own%', 'own', 'total%', 'total', by === 'line' ? 'line' : 'file', 'function']];
  for (const e of entries) {
    rows.push([
      formatPercent(agg.percent(e.own)),
      formatValue(e.own, unit),
      formatPercent(agg.percent(e.total)),
      formatValue(e.total, unit),
      location(e),
      e.kind === 'synthetic' && e.file === '' ? `(${e.function})` : e.function,
    ]);
  }
  if (entries.length === 0) lines.push('  (no samples with frames in this scope)');
  else lines.push(...table(rows, ['right', 'right', 'right', 'right', 'left', 'left']));
  io.out(lines.join('\n') + '\n');
  return finish(io, loaded);
}
