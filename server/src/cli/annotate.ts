// `flamelens annotate`: a source file with each line's own and total share in a left gutter and a
// heat colour, like `pprof -list`. SOURCE is matched to the profile's recorded paths by the same
// path resolution as the language server (the path as given, relative to the profile's folder or
// the working directory, then the longest path suffix with evidence), and its numbers come from the
// same query as the editor's hints, so the two always agree.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, parse, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { placeFunctions } from '../core/anchors';
import { definitionLanguage } from '../core/definition-index';
import { pythonDefinitions, type Definition } from '../core/definitions';
import { formatPercent, formatValue } from '../core/format';
import { PathResolver } from '../core/path-resolver';
import { confirmedByDefinitions } from '../core/path-evidence';
import { commonSuffixSegments } from '../core/paths';
import { inert } from '../core/present';
import type { FileCosts, LineCost, ProfileView } from '../core/view';
import {
  CliError,
  describeScope,
  finish,
  issuesJson,
  listSome,
  metricJson,
  metricName,
  openProfile,
  pct,
  profileView,
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

interface FunctionRow {
  name: string;
  /** Where the function is defined: recorded by the format, else found in the source; 0 when unknown. */
  defLine: number;
  /** First and last line with data; 0 when it has none. */
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

interface SourceMatch {
  /** The recorded paths that stand for SOURCE (one, in practice). */
  readonly recorded: string[];
  /** How they were matched: exact, relative, suffix, ... (PathResolver). */
  readonly how: string;
  /** Trailing path segments the first shares with SOURCE. */
  readonly segments: number;
}

/**
 * The recorded paths of the profile that are SOURCE, by the server's rules: the working directory
 * plays the workspace folder, SOURCE the only workspace file.
 */
function matchSource(view: ProfileView, profileFile: string, source: string, defs: Definition[] | undefined): SourceMatch {
  const abs = resolve(source);
  const cwd = process.cwd();
  const profileDir = profileFile === '(standard input)' ? cwd : dirname(resolve(profileFile));
  // the project SOURCE belongs to plays the workspace folder: the working directory, else the
  // folder SOURCE and the profile share (a profile is usually saved in the project it measured)
  const shared = commonAncestor(abs, profileDir);
  const folders = abs.startsWith(cwd + sep) ? [cwd] : [shared !== parse(shared).root ? shared : dirname(abs)];
  const resolver = new PathResolver({ workspaceFolders: folders });
  resolver.setWorkspaceFiles([abs]);
  const files = view.sourceFiles();
  const confirm = (rec: string) => confirmedByDefinitions(view.profile, rec, defs);
  const recorded = resolver.mapFiles(files, profileDir, confirm).get(abs) ?? (files.includes(abs) ? [abs] : []);
  if (recorded.length === 0) {
    const hottest = [...new Set(view.topFunctions('total', Infinity, (fn) => fn.kind === 'source' && fn.file !== '').rows.map((r) => r.fn.file))];
    const list = hottest.length ? `recorded source files include: ${listSome(hottest, 5)}` : 'it records no source files';
    throw new CliError(inert(`${profileFile}: no frames for ${source}; ${list}`));
  }
  if (recorded.length > 1) {
    throw new CliError(inert(`${source} fits ${recorded.length} files of ${profileFile}: ${listSome(recorded, 5)}; give the path of the file that ran (its folder layout as recorded)`));
  }
  const how = resolver.resolve(recorded[0], profileDir, confirm)?.how ?? 'exact';
  return { recorded, how, segments: commonSuffixSegments(recorded[0], abs) };
}

function commonAncestor(a: string, b: string): string {
  const x = a.split(sep);
  const y = b.split(sep);
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return x.slice(0, n).join(sep) || sep;
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

async function definitionsOf(source: string, size: number): Promise<Definition[] | undefined> {
  if (!definitionLanguage(source) || size > MAX_DEFINITION_SCAN) return undefined;
  try {
    return pythonDefinitions(await readFile(source, 'utf8'));
  } catch {
    return undefined; // the gutter does not need definitions; the source itself is read again below
  }
}

/** The file's functions with data, hottest first, placed where the editor puts their lenses. */
function functionRows(costs: FileCosts, defs: Definition[] | undefined): FunctionRow[] {
  const placed = new Map(placeFunctions(costs.functions, defs).map((a) => [a.fn.funcId, a]));
  // each function's span of lines with data, in one pass over the lines
  const span = new Map<number, { first: number; last: number }>();
  for (const [line, c] of costs.lines) {
    for (const f of c.funcIds) {
      const s = span.get(f);
      if (!s) span.set(f, { first: line, last: line });
      else {
        if (line < s.first) s.first = line;
        if (line > s.last) s.last = line;
      }
    }
  }
  const rows = costs.functions.map((f) => {
    const a = placed.get(f.funcId);
    const s = span.get(f.funcId);
    return { name: f.name, defLine: a && a.how !== 'hottest' ? a.line : 0, firstLine: s?.first ?? 0, lastLine: s?.last ?? 0, own: f.own, total: f.total };
  });
  return rows.sort((a, b) => b.total - a.total || b.own - a.own || a.firstLine - b.firstLine);
}

function span(f: FunctionRow): string {
  if (f.firstLine === 0) return '';
  return f.firstLine === f.lastLine ? `${f.firstLine}` : `${f.firstLine}-${f.lastLine}`;
}

/** Everything the JSON and text renderings need. */
interface Annotation {
  readonly source: string;
  readonly loaded: Loaded;
  readonly view: ProfileView;
  readonly match: SourceMatch;
  readonly lines: Map<number, LineCost>;
  readonly functions: FunctionRow[];
}

export async function runAnnotate(io: Io, file: string, source: string, o: AnnotateOptions): Promise<number> {
  const color = o.json ? false : useColor(io, o.color);
  let size = 0;
  try {
    const st = await stat(source);
    if (!st.isFile()) throw new CliError(`${inert(source)}: not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${inert(source)}: cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }

  const loaded = await openProfile(file);
  const view = profileView(loaded, o.metric, o.pid, o.tid);
  const defs = await definitionsOf(source, size);
  const match = matchSource(view, loaded.file, source, defs);
  const costs = view.fileCosts(match.recorded)!;
  const functions = functionRows(costs, defs);
  const a: Annotation = { source, loaded, view, match, lines: costs.lines, functions };

  if (o.json) await writeAnnotationJson(io, a);
  else {
    io.out(header(a, color).join('\n') + '\n');
    await writeSource(io, a, color);
  }
  return finish(io, loaded);
}

async function writeAnnotationJson(io: Io, a: Annotation): Promise<void> {
  const { view } = a;
  const p = view.profile;
  let count = 0;
  for await (const _ of sourceLines(a.source)) count++;
  writeJson(io, 'annotate', {
    profile: a.loaded.file,
    format: p.format,
    metric: metricJson(view.metric),
    scope: scopeJson(p, view.scope),
    total: view.total,
    source: a.source,
    recorded: a.match.recorded[0],
    matchedBy: a.match.how,
    matchedSegments: a.match.segments,
    alsoMatched: [],
    lineData: view.lineData,
    sourceLines: count,
    functions: a.functions.map((f) => ({
      name: f.name,
      defLine: f.defLine,
      firstLine: f.firstLine,
      lastLine: f.lastLine,
      own: f.own,
      ownPercent: pct(view.percent(f.own)),
      total: f.total,
      totalPercent: pct(view.percent(f.total)),
    })),
    lines: [...a.lines.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([line, c]) => ({
        line,
        own: c.own,
        ownPercent: pct(view.percent(c.own)),
        total: c.total,
        totalPercent: pct(view.percent(c.total)),
        inSource: line <= count,
      })),
    issues: issuesJson(a.loaded.reader.issues),
  });
}

const HOW: Record<string, string> = {
  exact: 'the same path',
  relative: 'the same path, relative to the profile or the working directory',
  mapping: 'a path mapping',
  outside: 'the same path',
};

/** Profile, metric, matched path, hottest lines and the file's functions. */
function header(a: Annotation, color: boolean): string[] {
  const { view, match } = a;
  const p = view.profile;
  const unit = view.metric.unit;
  const b = (s: string) => (color ? BOLD + s + RESET : s);
  const meta = ['austin', 'mode'].filter((k) => p.meta.has(k)).map((k) => `${k} ${p.meta.get(k)}`);
  const head: string[] = [];
  head.push(`${b('profile ')}  ${inert(a.loaded.file)} (${inert([p.format, ...meta].join(', '))})`);
  head.push(`${b('metric  ')}  ${metricName(view.metric)}, ${describeScope(p, view.scope)}, total ${formatValue(view.total, unit)}`);
  head.push(`${b('source  ')}  ${inert(a.source)}`);
  const how = HOW[match.how] ?? (match.segments === 1 ? 'the file name only' : `the last ${match.segments} path segments`);
  head.push(`${b('recorded')}  ${inert(match.recorded[0])} (matched on ${how})`);
  if (view.lineData === 'none') head.push(`${b('note    ')}  ${p.format} records no per-line data: functions only`);
  if (view.lineData === 'own') head.push(`${b('note    ')}  ${p.format} records no per-line totals: the total column repeats own`);
  // In a long file the hot lines may be far below the header: name them
  const hot = [...a.lines.entries()].filter(([, c]) => c.own > 0).sort((x, y) => y[1].own - x[1].own || x[0] - y[0]).slice(0, 5);
  if (hot.length) head.push(`${b('hottest ')}  own ${hot.map(([l, c]) => `line ${l} ${formatPercent(view.percent(c.own))}`).join(', ')}`);
  head.push('');
  if (a.functions.length) {
    const rows = [['total%', 'total', 'own%', 'own', 'function', 'def', 'lines']];
    for (const f of a.functions) {
      rows.push([
        formatPercent(view.percent(f.total)),
        formatValue(f.total, unit),
        formatPercent(view.percent(f.own)),
        formatValue(f.own, unit),
        inert(f.name),
        f.defLine ? String(f.defLine) : '',
        span(f),
      ]);
    }
    // no spread into push: a file can have hundreds of thousands of functions
    for (const line of table(rows, ['right', 'right', 'right', 'right', 'left', 'right', 'left'])) head.push(line);
  } else {
    head.push(`  (no ${view.metric.label} in this file for ${describeScope(p, view.scope)})`);
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
  const { view, lines } = a;
  const w = lineWidth(a);
  const gutter = (c: LineCost | undefined, n: number) => {
    const own = c && c.own !== 0 ? formatPercent(view.percent(c.own)) : '';
    const total = c && c.total !== 0 ? formatPercent(view.percent(c.total)) : '';
    return `${own.padStart(6)} ${total.padStart(6)} ${String(n).padStart(w)}`;
  };
  let n = 0;
  let buf = '';
  for await (const text of sourceLines(a.source)) {
    n++;
    const c = lines.get(n);
    const row = `${gutter(c, n)}  ${text}`;
    const h = color && c ? heat(view.percent(c.total)) : '';
    buf += (h ? h + row + RESET : row) + '\n';
    if (buf.length > 65536) {
      io.out(buf);
      buf = '';
    }
  }
  const beyond = [...lines.keys()].filter((l) => l > n).sort((x, y) => x - y);
  if (beyond.length) {
    buf += `\nlines past the end of ${inert(a.source)} (${n} lines): the file changed since the profile was recorded, or the profiler reported a wrong line\n`;
    for (const l of beyond) buf += gutter(lines.get(l), l) + '\n';
  }
  io.out(buf);
}
