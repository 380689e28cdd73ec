// `flamelens top`: the hottest lines or functions of a profile, like `pprof -top`. The rows come
// from the engine's ProfileView, the same query the editor's hints and lenses use, so a format
// that records no lines gets function rows (said so), never invented line rows.
import { formatPercent, formatValue } from '../core/format';
import { inert } from '../core/present';
import type { FunctionRow, LineRow, ProfileView } from '../core/view';
import {
  CliError,
  describeScope,
  finish,
  issuesJson,
  metricJson,
  metricName,
  openProfile,
  pct,
  profileView,
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

interface Entry {
  file: string;
  /** The line for line rows; the definition line (0 when unknown) for function rows. */
  line: number;
  function: string;
  kind: string;
  own: number;
  total: number;
}

/** Why line rows cannot be given, or undefined when they can. */
function noLines(view: ProfileView, count: number): string | undefined {
  if (view.lineData === 'none') return `${view.profile.format} records no per-line data`;
  if (count === 0) return 'no frame of this profile carries a line number';
  return undefined;
}

function lineEntry(view: ProfileView, r: LineRow): Entry {
  const fn = r.funcId >= 0 ? view.fn(r.funcId) : undefined;
  return { file: r.file, line: r.line, function: fn?.name ?? '', kind: fn?.kind ?? 'source', own: r.own, total: r.total };
}

function functionEntry(r: FunctionRow): Entry {
  return { file: r.fn.file, line: r.fn.defLine, function: r.fn.name, kind: r.fn.kind, own: r.own, total: r.total };
}

function location(e: Entry): string {
  if (e.file === '') return '';
  return e.line > 0 ? `${e.file}:${e.line}` : e.file;
}

/** The value in samples whose leaf frame has no line (synthetic frames, binaries without line info). */
function withoutLine(view: ProfileView): number {
  const all = view.topFunctions('own').rows.reduce((s, r) => s + r.own, 0);
  const lined = view.topLines('own').rows.reduce((s, r) => s + r.own, 0);
  return all - lined;
}

export async function runTop(io: Io, file: string, o: TopOptions): Promise<number> {
  const requested = o.by ?? 'line';
  if (requested !== 'line' && requested !== 'function') throw new CliError(`--by must be line or function, not '${requested}'`);
  const sort = o.sort ?? 'own';
  if (sort !== 'own' && sort !== 'total') throw new CliError(`--sort must be own or total, not '${sort}'`);
  let limit = DEFAULT_LIMIT;
  if (o.limit !== undefined) {
    if (!/^\d+$/.test(o.limit)) throw new CliError(`--limit must be a whole number (0 for all), not '${o.limit}'`);
    limit = Number(o.limit) === 0 ? Infinity : Number(o.limit);
  }

  const loaded = await openProfile(file);
  const view = profileView(loaded, o.metric, o.pid, o.tid);
  const p = view.profile;
  const lines = requested === 'line' ? view.topLines(sort, limit) : undefined;
  const why = lines ? noLines(view, lines.count) : undefined;
  const by = lines && !why ? 'line' : 'function';
  const ownOnly = by === 'line' && view.lineData === 'own';
  let entries: Entry[];
  let count: number;
  if (by === 'line') {
    entries = lines!.rows.map((r) => lineEntry(view, r));
    count = lines!.count;
  } else {
    const f = view.topFunctions(sort, limit);
    entries = f.rows.map(functionEntry);
    count = f.count;
  }
  const unlined = by === 'line' ? withoutLine(view) : 0;
  const notes: string[] = [];
  if (why) notes.push(`${why}: hottest functions instead of lines`);
  if (ownOnly) notes.push(`${p.format} records no per-line totals: line totals are the lines' own values`);
  if (unlined !== 0) notes.push(`${formatPercent(view.percent(unlined))} of the ${view.metric.label} is in frames without a line (synthetic or native frames): see --by function`);

  if (o.json) {
    writeJson(io, 'top', {
      profile: loaded.file,
      format: p.format,
      metric: metricJson(view.metric),
      scope: scopeJson(p, view.scope),
      total: view.total,
      by,
      requestedBy: requested,
      sort,
      count,
      notes,
      entries: entries.map((e) => ({
        file: e.file,
        // A function's line is where it is defined, known only for formats that record it
        ...(by === 'line' ? { line: e.line } : { defLine: e.line }),
        function: e.function,
        kind: e.kind,
        own: e.own,
        ownPercent: pct(view.percent(e.own)),
        total: e.total,
        totalPercent: pct(view.percent(e.total)),
      })),
      issues: issuesJson(loaded.reader.issues),
    });
    return finish(io, loaded);
  }

  const unit = view.metric.unit;
  const out: string[] = [];
  out.push(`${inert(file)}: ${metricName(view.metric)}, ${describeScope(p, view.scope)}, total ${formatValue(view.total, unit)}`);
  const what = by === 'line' ? 'lines' : 'functions';
  const shown = entries.length < count ? `${entries.length} of ${count}` : `${count}`;
  out.push(`hottest ${what} by ${sort} ${view.metric.label}: ${shown}`);
  for (const n of notes) out.push(`note: ${n}`);
  out.push('');
  const rows: string[][] = [['own%', 'own', 'total%', 'total', by === 'line' ? 'line' : 'file', 'function']];
  for (const e of entries) {
    rows.push([
      formatPercent(view.percent(e.own)),
      formatValue(e.own, unit),
      formatPercent(view.percent(e.total)),
      formatValue(e.total, unit),
      inert(location(e)),
      inert(e.kind === 'synthetic' && e.file === '' ? `(${e.function})` : e.function),
    ]);
  }
  if (entries.length === 0) out.push('  (no samples with frames in this scope)');
  else for (const line of table(rows, ['right', 'right', 'right', 'right', 'left', 'left'])) out.push(line);
  io.out(out.join('\n') + '\n');
  return finish(io, loaded);
}
