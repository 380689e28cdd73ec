// `flamelens annotate`: a source file with each line's own and total share in a left gutter and a
// heat colour, like `pprof -list`. The profile's path for the file is found by the longest common
// path suffix, so a profile recorded in CI or a container annotates the local checkout.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { aggregate, type Aggregation } from '../core/aggregate';
import { findDefinition, pythonDefinitions, type Definition } from '../core/definitions';
import { formatPercent, formatValue } from '../core/format';
import type { MetricDef, Profile, Scope } from '../core/model';
import { bestSuffixMatches } from '../core/paths';
import {
  CliError,
  describeScope,
  finish,
  issuesJson,
  listSome,
  metricJson,
  openProfile,
  pct,
  pickMetric,
  pickScope,
  scopeJson,
  table,
  useColor,
  writeJson,
  type Io,
  type Loaded,
} from './common';

export interface AnnotateOptions {
  metric?: string;
  pid?: string;
  tid?: string;
  color?: string;
  json?: boolean;
}

interface LineCost {
  own: number;
  total: number;
}

interface FunctionCost {
  name: string;
  /** Where the function is defined: recorded by the format, else found in a Python source; 0 when unknown. */
  defLine: number;
  firstLine: number;
  lastLine: number;
  own: number;
  total: number;
}

/** Heat levels as 256-colour backgrounds (light, so the black text stays readable on any theme). */
const HEAT: readonly { min: number; bg: number }[] = [
  { min: 50, bg: 203 },
  { min: 25, bg: 210 },
  { min: 10, bg: 216 },
  { min: 5, bg: 222 },
  { min: 1, bg: 229 },
  { min: 0, bg: 230 },
];

/** The ANSI prefix for a line with this total share, or '' for a line without samples. */
export function heat(totalPercent: number): string {
  if (!(totalPercent > 0)) return '';
  const level = HEAT.find((h) => totalPercent >= h.min)!;
  return `\x1b[48;5;${level.bg}m\x1b[38;5;16m`;
}

const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';

/** Hottest function total per recorded file: ranks candidates and the files listed in errors. */
function fileWeights(p: Profile, agg: Aggregation): Map<string, number> {
  const w = new Map<string, number>();
  for (let f = 0; f < p.functionCount; f++) {
    const fn = p.functionAt(f);
    if (fn.kind !== 'source') continue;
    w.set(fn.file, Math.max(w.get(fn.file) ?? 0, agg.funcTotal[f]));
  }
  return w;
}

/** Picks the recorded path for SOURCE: longest common suffix, ties broken by the most samples. */
interface SourceMatch {
  /** The recorded path used. */
  readonly recorded: string;
  /** Trailing path segments it shares with SOURCE. */
  readonly segments: number;
  /** Other recorded paths that matched as well, hottest first. */
  readonly others: string[];
}

function matchSource(p: Profile, agg: Aggregation, profileFile: string, source: string): SourceMatch {
  const files = p.sourceFiles();
  const weights = fileWeights(p, agg);
  const { matches, segments } = bestSuffixMatches(resolve(source), files);
  if (matches.length === 0) {
    const hottest = [...files].sort((a, b) => (weights.get(b) ?? 0) - (weights.get(a) ?? 0));
    const list = hottest.length ? `recorded source files include: ${listSome(hottest, 5)}` : 'it records no source files';
    throw new CliError(`${profileFile}: no frames for ${source}; ${list}`);
  }
  const ranked = [...matches].sort((a, b) => (weights.get(b) ?? 0) - (weights.get(a) ?? 0));
  return { recorded: ranked[0], segments, others: ranked.slice(1) };
}

function costsOf(p: Profile, agg: Aggregation, recorded: string): { lines: Map<number, LineCost>; functions: FunctionCost[] } {
  const lines = new Map<number, LineCost>();
  for (let id = 0; id < p.lineCount; id++) {
    const key = p.lineKey(id);
    if (key.file !== recorded || key.line <= 0) continue;
    const own = agg.lineOwn[id];
    const total = agg.lineTotal[id];
    if (own !== 0 || total !== 0) lines.set(key.line, { own, total });
  }
  const byFunc = new Map<number, FunctionCost>();
  for (let f = 0; f < p.frameCount; f++) {
    const fr = p.frameAt(f);
    if (fr.file !== recorded || fr.kind !== 'source') continue;
    const id = p.frameFunc[f];
    const total = agg.funcTotal[id];
    if (total === 0 && agg.funcOwn[id] === 0) continue;
    let c = byFunc.get(id);
    if (!c) {
      const defLine = p.functionAt(id).defLine;
      byFunc.set(id, (c = { name: fr.name, defLine, firstLine: Infinity, lastLine: 0, own: agg.funcOwn[id], total }));
    }
    // Only lines that carry samples in this scope, so the span says where the cost is
    const lid = p.frameLine[f];
    if (fr.line > 0 && (agg.lineOwn[lid] !== 0 || agg.lineTotal[lid] !== 0)) {
      c.firstLine = Math.min(c.firstLine, fr.line);
      c.lastLine = Math.max(c.lastLine, fr.line);
    }
  }
  const functions = [...byFunc.values()]
    .map((c) => (c.lastLine === 0 ? { ...c, firstLine: 0 } : c))
    .sort((a, b) => b.total - a.total || b.own - a.own || a.firstLine - b.firstLine);
  return { lines, functions };
}

/** Streams a source file line by line, so a huge file never becomes one string. */
async function* sourceLines(source: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(source), crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
  }
}

// Sources bigger than this are not scanned for definitions (they are never read whole).
const MAX_DEFINITION_SCAN = 16 * 1024 * 1024;

/** Definition lines for functions the format did not place, from a Python source (design: "Where a function begins"). */
async function placeDefinitions(source: string, size: number, functions: FunctionCost[]): Promise<void> {
  if (!functions.some((f) => f.defLine === 0)) return;
  if (!/^\.pyw?$/i.test(extname(source)) || size > MAX_DEFINITION_SCAN) return;
  let defs: Definition[];
  try {
    defs = pythonDefinitions(await readFile(source, 'utf8'));
  } catch {
    return; // the gutter does not need definitions; the source itself is read again below
  }
  for (const f of functions) {
    if (f.defLine === 0) f.defLine = findDefinition(defs, f.name, f.firstLine || undefined)?.line ?? 0;
  }
}

function span(f: FunctionCost): string {
  if (f.firstLine === 0) return '';
  return f.firstLine === f.lastLine ? `${f.firstLine}` : `${f.firstLine}-${f.lastLine}`;
}

/** Everything the JSON and text renderings need. */
interface Annotation {
  readonly file: string;
  readonly source: string;
  readonly loaded: Loaded;
  readonly metric: MetricDef;
  readonly scope: Scope;
  readonly agg: Aggregation;
  readonly match: SourceMatch;
  readonly lines: Map<number, LineCost>;
  readonly functions: FunctionCost[];
}

export async function runAnnotate(io: Io, file: string, source: string, o: AnnotateOptions): Promise<number> {
  const color = o.json ? false : useColor(io, o.color);
  let size = 0;
  try {
    const st = await stat(source);
    if (!st.isFile()) throw new CliError(`${source}: not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${source}: cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }

  const loaded = await openProfile(file);
  const p = loaded.profile;
  const metric = pickMetric(loaded, o.metric);
  const scope = pickScope(loaded, o.pid, o.tid);
  const agg = aggregate(p, scope, metric.key);
  const match = matchSource(p, agg, file, source);
  const { lines, functions } = costsOf(p, agg, match.recorded);
  await placeDefinitions(source, size, functions);
  const a: Annotation = { file, source, loaded, metric, scope, agg, match, lines, functions };

  if (o.json) await writeAnnotationJson(io, a);
  else {
    io.out(header(a, color).join('\n') + '\n');
    await writeSource(io, a, color);
  }
  return finish(io, loaded);
}

async function writeAnnotationJson(io: Io, a: Annotation): Promise<void> {
  const { agg } = a;
  const p = a.loaded.profile;
  let count = 0;
  for await (const _ of sourceLines(a.source)) count++;
  writeJson(io, 'annotate', {
    profile: a.file,
    format: p.format,
    metric: metricJson(a.metric),
    scope: scopeJson(p, a.scope),
    total: agg.total,
    source: a.source,
    recorded: a.match.recorded,
    matchedSegments: a.match.segments,
    alsoMatched: a.match.others,
    sourceLines: count,
    functions: a.functions.map((f) => ({
      name: f.name,
      defLine: f.defLine,
      firstLine: f.firstLine,
      lastLine: f.lastLine,
      own: f.own,
      ownPercent: pct(agg.percent(f.own)),
      total: f.total,
      totalPercent: pct(agg.percent(f.total)),
    })),
    lines: [...a.lines.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([line, c]) => ({
        line,
        own: c.own,
        ownPercent: pct(agg.percent(c.own)),
        total: c.total,
        totalPercent: pct(agg.percent(c.total)),
        inSource: line <= count,
      })),
    issues: issuesJson(a.loaded.reader.issues),
  });
}

/** Profile, metric, matched path, hottest lines and the file's functions. */
function header(a: Annotation, color: boolean): string[] {
  const { agg, match } = a;
  const p = a.loaded.profile;
  const unit = a.metric.unit;
  const b = (s: string) => (color ? BOLD + s + RESET : s);
  const meta = ['austin', 'mode'].filter((k) => p.meta.has(k)).map((k) => `${k} ${p.meta.get(k)}`);
  const head: string[] = [];
  head.push(`${b('profile ')}  ${a.file} (${[p.format, ...meta].join(', ')})`);
  head.push(`${b('metric  ')}  ${a.metric.label} (${a.metric.key}), ${describeScope(p, a.scope)}, total ${formatValue(agg.total, unit)}`);
  head.push(`${b('source  ')}  ${a.source}`);
  const how = match.segments === 1 ? 'the file name only' : `the last ${match.segments} path segments`;
  head.push(`${b('recorded')}  ${match.recorded} (matched on ${how})`);
  // In a long file the hot lines may be far below the header: name them
  const hot = [...a.lines.entries()].filter(([, c]) => c.own > 0).sort((x, y) => y[1].own - x[1].own || x[0] - y[0]).slice(0, 5);
  if (hot.length) head.push(`${b('hottest ')}  own ${hot.map(([l, c]) => `line ${l} ${formatPercent(agg.percent(c.own))}`).join(', ')}`);
  if (match.others.length) head.push(`${b('also    ')}  ${listSome(match.others, 3)} match as well; give a longer path to choose`);
  head.push('');
  if (a.functions.length) {
    const rows = [['total%', 'total', 'own%', 'own', 'function', 'def', 'lines']];
    for (const f of a.functions) {
      rows.push([
        formatPercent(agg.percent(f.total)),
        formatValue(f.total, unit),
        formatPercent(agg.percent(f.own)),
        formatValue(f.own, unit),
        f.name,
        f.defLine ? String(f.defLine) : '',
        span(f),
      ]);
    }
    head.push(...table(rows, ['right', 'right', 'right', 'right', 'left', 'right', 'left']));
  } else {
    head.push(`  (no ${a.metric.label} in this file for ${describeScope(p, a.scope)})`);
  }
  head.push('');
  head.push(b(`${'own%'.padStart(6)} ${'total%'.padStart(6)} ${'line'.padStart(lineWidth(a))}`));
  return head;
}

function lineWidth(a: Annotation): number {
  let max = 0;
  for (const l of a.lines.keys()) if (l > max) max = l;
  return Math.max(4, String(max).length);
}

/** The source, streamed, each line behind its gutter; then the profile's lines past its end. */
async function writeSource(io: Io, a: Annotation, color: boolean): Promise<void> {
  const { agg, lines } = a;
  const w = lineWidth(a);
  const gutter = (c: LineCost | undefined, n: number) => {
    const own = c && c.own !== 0 ? formatPercent(agg.percent(c.own)) : '';
    const total = c && c.total !== 0 ? formatPercent(agg.percent(c.total)) : '';
    return `${own.padStart(6)} ${total.padStart(6)} ${String(n).padStart(w)}`;
  };
  let n = 0;
  let buf = '';
  for await (const text of sourceLines(a.source)) {
    n++;
    const c = lines.get(n);
    const row = `${gutter(c, n)}  ${text}`;
    const h = color && c ? heat(agg.percent(c.total)) : '';
    buf += (h ? h + row + RESET : row) + '\n';
    if (buf.length > 65536) {
      io.out(buf);
      buf = '';
    }
  }
  const beyond = [...lines.keys()].filter((l) => l > n).sort((x, y) => x - y);
  if (beyond.length) {
    buf += `\nlines past the end of ${a.source} (${n} lines): the file changed since the profile was recorded, or the profiler reported a wrong line\n`;
    for (const l of beyond) buf += gutter(lines.get(l), l) + '\n';
  }
  io.out(buf);
}
