/**
 * The fuzz suite's inputs and judgements, shared by the bounded run in `npm test`
 * (test/fuzz/readers.test.ts) and the long one (`npm run fuzz`, test/fuzz/run.ts).
 *
 * Inputs, per format: the real recordings of test/fixtures cut at record boundaries and at any
 * byte, with bytes flipped, read with `end()` called part-way, and generated files (generators.ts).
 * Every input is a plain value drawn from a fast-check arbitrary, so a seed reproduces it.
 *
 * Judgements (each returns what went wrong, never throws):
 * - nothing escapes a reader (`crash`);
 * - no figure that cannot be true: every model value finite and >= 0, totals within 2^53, line
 *   and function own <= total, no total above the profile's (no share above 100 %), callers
 *   within the callee's total (`wrong`);
 * - a streaming format cut anywhere gives exactly the numbers of the same bytes cut at the last
 *   complete record (`wrong` when it has more, `lost` when less); a whole-file format cut short
 *   says so with a fatal issue (or is whole after all) and never has more than the whole file;
 * - `end()` part-way changes nothing, chunk sizes change nothing;
 * - issues are well-formed, at most one more than the clean cut's for a cut, never the same
 *   message twice (repeated problems are counted in one issue).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { aggregate } from '../../server/src/core/aggregate';
import { Profile } from '../../server/src/core/model';
import { detectFormat, FORMATS } from '../../server/src/core/readers/index';
import { MarshalReader } from '../../server/src/core/readers/marshal';
import { topLevelFields } from '../../server/src/core/readers/pprof-check';
import type { ProfileReader } from '../../server/src/core/readers/types';
import { MAX_VALUE } from '../../server/src/core/readers/values';
import { parseMojo } from '../helpers/mojo-encoder';
import { FIXTURES } from '../helpers/paths';
import { GENERATED } from './generators';

export const FORMAT_NAMES = ['austin-text', 'mojo', 'collapsed', 'perf-script', 'pprof', 'pstats', 'speedscope', 'cpuprofile'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export const isStreaming = (format: string): boolean => FORMATS.find((f) => f.name === format)!.streaming;

/** Flips in recordings larger than this go to a prefix of this size cut at a record boundary. */
const FLIP_WINDOW = 256 * 1024;

// ---- recordings and their record boundaries -----------------------------------------------

export interface Recording {
  readonly name: string;
  readonly format: FormatName;
  readonly bytes: Buffer;
  /** Offsets where a record ends (sorted, 0 first): cutting there is cutting cleanly. */
  readonly boundaries: number[];
}

function formatOfName(name: string): FormatName | undefined {
  if (name.endsWith('.austin')) return 'austin-text';
  if (name.endsWith('.mojo')) return 'mojo';
  if (name.endsWith('.folded')) return 'collapsed';
  if (name.endsWith('.perf.txt')) return 'perf-script';
  if (name.endsWith('.pprof') || name.endsWith('.pb') || name.endsWith('.pb.gz')) return 'pprof';
  if (name.endsWith('.pstats')) return 'pstats';
  if (name.endsWith('.speedscope.json')) return 'speedscope';
  if (name.endsWith('.cpuprofile')) return 'cpuprofile';
  return undefined;
}

/** After each newline. */
function lineEnds(b: Buffer): number[] {
  const out = [0];
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) out.push(i + 1);
  return out;
}

/**
 * Record ends, found independently of the readers: lines (Austin text, folded stacks), blank
 * lines ending perf script blocks (and the comment lines before the first), MOJO event starts
 * (test/helpers/mojo-encoder), pprof top-level fields, pstats dict entries, and for JSON the end
 * of the document only.
 */
export function recordBoundaries(format: FormatName, b: Buffer): number[] {
  switch (format) {
    case 'austin-text':
    case 'collapsed':
      return lineEnds(b);
    case 'perf-script': {
      const out = [0];
      let pos = 0;
      let started = false;
      while (pos < b.length) {
        const nl = b.indexOf(10, pos);
        if (nl < 0) break;
        const text = b.toString('latin1', pos, nl);
        if (text.trim() === '' || (!started && text.startsWith('#'))) out.push(nl + 1);
        else started = true;
        pos = nl + 1;
      }
      return out;
    }
    case 'mojo': {
      const m = parseMojo(b);
      return [0, m.headerBytes, ...m.events.map((e) => e.offset).filter((o) => o > m.headerBytes), b.length];
    }
    case 'pprof':
      return b[0] === 0x1f ? [0, b.length] : [0, ...allFieldEnds(b)];
    case 'pstats': {
      const out = [0];
      const r = new MarshalReader(b);
      r.readDictEntries(() => out.push(r.pos));
      out.push(b.length);
      return out;
    }
    default:
      return [0, b.length];
  }
}

function allFieldEnds(b: Buffer): number[] {
  const ends: number[] = [];
  for (let f = 1; f <= 15; f++) for (const x of topLevelFields(b, b.length, f)) ends.push(x.end);
  return ends.sort((x, y) => x - y);
}

let cache: Recording[] | undefined;

/** Every real recording (test/fixtures/recorded and generated), with its format and record ends. */
export function recordings(): Recording[] {
  if (cache) return cache;
  cache = [];
  // the bundled long run (scripts/fuzz.mjs) lives elsewhere and says where the fixtures are
  const fixtures = process.env.FLAMELENS_FIXTURES ?? FIXTURES;
  for (const dir of ['recorded', 'generated']) {
    for (const name of readdirSync(join(fixtures, dir)).sort()) {
      const format = formatOfName(name);
      if (!format) continue;
      const bytes = readFileSync(join(fixtures, dir, name));
      const boundaries = [...new Set(recordBoundaries(format, bytes))].sort((x, y) => x - y);
      cache.push({ name, format, bytes, boundaries });
    }
  }
  return cache;
}

export const recordingsOf = (format: FormatName): Recording[] => recordings().filter((r) => r.format === format);

/** The largest record end <= k. */
export function cleanCut(boundaries: number[], k: number): number {
  let lo = 0;
  let hi = boundaries.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (boundaries[mid] <= k) lo = mid;
    else hi = mid - 1;
  }
  return boundaries[lo];
}

// ---- reading -------------------------------------------------------------------------------

/**
 * Reads bytes with the format's own reader (not detection: every reader gets every input of its
 * format), in chunks of the given sizes (cycled), calling `end()` also after each pause offset.
 */
export function read(format: string, bytes: Uint8Array, chunks: number[] = [bytes.length], pauses: number[] = []): ProfileReader {
  const reader = FORMATS.find((f) => f.name === format)!.create(new Profile());
  const stops = [...new Set(pauses.filter((p) => p > 0 && p < bytes.length))].sort((a, b) => a - b);
  let pos = 0;
  let i = 0;
  let s = 0;
  while (pos < bytes.length) {
    let n = Math.max(1, chunks[i++ % chunks.length] || 1);
    if (s < stops.length && pos + n > stops[s]) n = stops[s] - pos;
    reader.push(bytes.subarray(pos, pos + n));
    pos += n;
    if (s < stops.length && pos === stops[s]) {
      reader.end();
      s++;
    }
  }
  reader.end();
  return reader;
}

// ---- what a model shows --------------------------------------------------------------------

/** Every figure a consumer can show, per metric, keyed readably: `metric|kind|key`. */
export type Snapshot = Map<string, number>;

/** `byName`: key functions by name (false for whole-file formats, whose names depend on what else was read). */
export function snapshot(p: Profile, byName = true): Snapshot {
  const out: Snapshot = new Map();
  for (const m of p.metrics) {
    const a = aggregate(p, {}, m.key);
    out.set(`${m.key}|total`, a.total);
    const add = (key: string, v: number) => v !== 0 && out.set(key, (out.get(key) ?? 0) + v);
    for (let l = 0; l < p.lineCount; l++) {
      const k = p.lineKey(l);
      add(`${m.key}|lineOwn|${k.file}\u0000${k.line}`, a.lineOwn[l]);
      add(`${m.key}|lineTotal|${k.file}\u0000${k.line}`, a.lineTotal[l]);
    }
    if (!byName) continue;
    for (let f = 0; f < p.functionCount; f++) {
      const fn = p.functionAt(f);
      add(`${m.key}|funcOwn|${fn.file}\u0000${fn.name}`, a.funcOwn[f]);
      add(`${m.key}|funcTotal|${fn.file}\u0000${fn.name}`, a.funcTotal[f]);
    }
  }
  return out;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Keys where `got` has more than `want` (invented) and less (lost). */
export function compare(got: Snapshot, want: Snapshot): { more: string[]; less: string[] } {
  const more: string[] = [];
  const less: string[] = [];
  for (const [k, v] of got) {
    const w = want.get(k) ?? 0;
    if (!close(v, w)) (v > w ? more : less).push(`${k.replace(/\u0000/g, ':')}: ${v} instead of ${w}`);
  }
  for (const [k, w] of want) if (!got.has(k) && !close(0, w)) less.push(`${k.replace(/\u0000/g, ':')}: missing (${w})`);
  return { more, less };
}

/** Figures that cannot be true, for every metric over all samples. */
export function impossibleFigures(p: Profile): string[] {
  const out: string[] = [];
  const m = p.metricsPerNode;
  for (let i = 0; i < p.nodeCount * m; i++) {
    const v = p.nodeSelf[i];
    if (!(v >= 0 && v <= MAX_VALUE)) {
      out.push(`node ${Math.floor(i / m)} holds ${v} of ${p.metrics[i % m]?.key}`);
      break;
    }
  }
  for (const def of p.metrics) {
    const a = aggregate(p, {}, def.key);
    const T = a.total;
    const eps = 1e-9 * Math.max(1, T);
    if (!(T >= 0 && T <= MAX_VALUE)) out.push(`${def.key}: total ${T}`);
    const check = (what: string, own: Float64Array, total: Float64Array, name: (i: number) => string) => {
      for (let i = 0; i < own.length; i++) {
        const o = own[i];
        const t = total[i];
        if (!(o >= 0 && Number.isFinite(o)) || !(t >= 0 && Number.isFinite(t))) out.push(`${def.key}: ${what} ${name(i)} own ${o} total ${t}`);
        else if (o > t + eps) out.push(`${def.key}: ${what} ${name(i)} own ${o} above its total ${t}`);
        else if (t > T + eps) out.push(`${def.key}: ${what} ${name(i)} total ${t} above the profile's ${T} (${a.percent(t)} %)`);
        if (out.length > 5) return;
      }
    };
    check('line', a.lineOwn, a.lineTotal, (i) => JSON.stringify(p.lineKey(i)));
    check('function', a.funcOwn, a.funcTotal, (i) => JSON.stringify(p.functionAt(i).name));
    for (let f = 0; f < p.functionCount && out.length < 6; f++) {
      for (const c of a.callers(f)) {
        if (!(c.value >= 0) || c.value > a.funcTotal[f] + eps) out.push(`${def.key}: caller of ${p.functionAt(f).name} holds ${c.value}, its total ${a.funcTotal[f]}`);
      }
    }
  }
  return out;
}

/** Issues that are not one clear message each: malformed, out of range, or the same twice. */
export function badIssues(r: ProfileReader, length: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const i of r.issues) {
    if (typeof i.message !== 'string' || i.message === '') out.push('an issue without a message');
    if (!Number.isInteger(i.offset) || i.offset < 0 || i.offset > length) out.push(`issue offset ${i.offset} outside the file (${length} bytes): ${i.message}`);
    if (i.line !== undefined && !(Number.isInteger(i.line) && i.line >= 1)) out.push(`issue line ${i.line}: ${i.message}`);
    if (i.fatal && !r.failed) out.push(`a fatal issue but the reader did not fail: ${i.message}`);
    if (seen.has(i.message)) out.push(`the same issue twice: ${i.message}`);
    seen.add(i.message);
  }
  if (r.issues.length > 21) out.push(`${r.issues.length} issues (repeated problems should be counted in one)`);
  return out;
}

// ---- inputs --------------------------------------------------------------------------------

export type FuzzInput =
  | { kind: 'cut'; format: FormatName; file: string; at: number; chunks: number[] }
  | { kind: 'flip'; format: FormatName; file: string; flips: [number, number][]; chunks: number[] }
  | { kind: 'pause'; format: FormatName; file: string; at: number; pauses: number[]; chunks: number[] }
  | { kind: 'garbage'; format: FormatName; bytes: Uint8Array; chunks: number[] };

const chunksArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant<number[]>([1 << 20]) },
  { weight: 2, arbitrary: fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 1, maxLength: 4 }) },
);
const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

/** The inputs of one format: cuts, flips and pauses of its recordings, and generated files. */
export function inputs(format: FormatName): fc.Arbitrary<FuzzInput> {
  const recs = recordingsOf(format);
  const file = fc.constantFrom(...recs.map((r) => r.name));
  // a random byte, or a record end nudged by a few bytes
  const cutAt = fc.oneof(fraction.map((x) => ({ x, near: false, d: 0 })), fc.tuple(fraction, fc.integer({ min: -3, max: 3 })).map(([x, d]) => ({ x, near: true, d })));
  const cut = fc.tuple(file, cutAt, chunksArb).map(([f, c, chunks]): FuzzInput => {
    const rec = recs.find((r) => r.name === f)!;
    const at = c.near ? rec.boundaries[Math.floor(c.x * rec.boundaries.length)] + c.d : Math.floor(c.x * (rec.bytes.length + 1));
    return { kind: 'cut', format, file: f, at: Math.max(0, Math.min(rec.bytes.length, at)), chunks };
  });
  const flip = fc
    .tuple(file, fc.array(fc.tuple(fraction, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), chunksArb)
    .map(([f, fl, chunks]): FuzzInput => ({ kind: 'flip', format, file: f, flips: fl.map(([x, b]) => [Math.floor(x * flipSpan(recs.find((r) => r.name === f)!)), b]), chunks }));
  const pause = fc
    .tuple(file, fraction, fc.array(fraction, { minLength: 1, maxLength: 5 }), chunksArb)
    .map(([f, x, ps, chunks]): FuzzInput => {
      const len = recs.find((r) => r.name === f)!.bytes.length;
      const at = Math.floor(x * (len + 1));
      return { kind: 'pause', format, file: f, at, pauses: ps.map((p) => Math.floor(p * at)), chunks };
    });
  const garbage = fc.tuple(GENERATED[format], chunksArb).map(([bytes, chunks]): FuzzInput => ({ kind: 'garbage', format, bytes, chunks }));
  const arbs: fc.WeightedArbitrary<FuzzInput>[] = [
    { weight: 3, arbitrary: cut },
    { weight: 3, arbitrary: flip },
    { weight: 4, arbitrary: garbage },
  ];
  if (isStreaming(format)) arbs.push({ weight: 2, arbitrary: pause });
  return fc.oneof(...arbs);
}

/** Bytes of a recording that flips may touch (all of a small one, a clean prefix of a big one). */
function flipSpan(rec: Recording): number {
  return rec.bytes.length <= FLIP_WINDOW ? rec.bytes.length : cleanCut(rec.boundaries, FLIP_WINDOW);
}

/** The bytes an input reads. */
export function inputBytes(input: FuzzInput): Uint8Array {
  if (input.kind === 'garbage') return input.bytes;
  const rec = recordings().find((r) => r.name === input.file)!;
  if (input.kind === 'cut' || input.kind === 'pause') return rec.bytes.subarray(0, input.at);
  const b = Buffer.from(rec.bytes.subarray(0, flipSpan(rec)));
  for (const [pos, v] of input.flips) if (pos < b.length) b[pos] = v;
  return b;
}

/** A short description of an input (for reports and failure messages). */
export function describeInput(input: FuzzInput): string {
  switch (input.kind) {
    case 'cut':
      return `${input.file} cut at byte ${input.at}, chunks ${input.chunks.join(',')}`;
    case 'flip':
      return `${input.file} with bytes set ${input.flips.map(([p, v]) => `${p}=0x${v.toString(16)}`).join(' ')}, chunks ${input.chunks.join(',')}`;
    case 'pause':
      return `${input.file} cut at byte ${input.at}, end() at ${input.pauses.join(',')}, chunks ${input.chunks.join(',')}`;
    default:
      return `generated ${input.format} file of ${input.bytes.length} bytes: ${JSON.stringify(Buffer.from(input.bytes.subarray(0, 160)).toString('latin1'))}${input.bytes.length > 160 ? '...' : ''}`;
  }
}

// ---- judging an input ----------------------------------------------------------------------

export interface Outcome {
  /** An exception escaped a reader or the aggregation. */
  crash?: string;
  /** Numbers that cannot be true, or more than the reference has. */
  wrong: string[];
  /** Numbers the reference has and the input lost. */
  lost: string[];
  /** Issues that are not one clear message per problem. */
  issues: string[];
}

const wholeFiles = new Map<string, Snapshot>();
function wholeSnapshot(rec: Recording): Snapshot {
  let s = wholeFiles.get(rec.name);
  if (!s) wholeFiles.set(rec.name, (s = snapshot(read(rec.format, rec.bytes).profile, false)));
  return s;
}

/** Runs one input and judges it (see the module comment). Never throws. */
export function judge(input: FuzzInput): Outcome {
  const out: Outcome = { wrong: [], lost: [], issues: [] };
  const bytes = inputBytes(input);
  const streaming = isStreaming(input.format);
  try {
    detectFormat(bytes.subarray(0, 4096));
    const r = read(input.format, bytes, input.chunks);
    out.wrong.push(...impossibleFigures(r.profile));
    out.issues.push(...badIssues(r, bytes.length));
    if (input.kind === 'cut') judgeCut(input, r, out);
    else if (input.kind === 'pause') {
      const paused = read(input.format, bytes, input.chunks, input.pauses);
      const c = compare(snapshot(paused.profile), snapshot(r.profile));
      out.wrong.push(...c.more.map((m) => `with end() part-way: ${m}`));
      out.lost.push(...c.less.map((m) => `with end() part-way: ${m}`));
      if (JSON.stringify(paused.issues) !== JSON.stringify(r.issues)) out.issues.push(`with end() part-way the issues differ: ${JSON.stringify(paused.issues).slice(0, 300)} vs ${JSON.stringify(r.issues).slice(0, 300)}`);
    } else if (streaming && input.chunks.length > 1) {
      // chunk sizes never change what a streaming reader makes of the same bytes
      const whole = read(input.format, bytes);
      const c = compare(snapshot(r.profile), snapshot(whole.profile));
      out.wrong.push(...c.more.map((m) => `read in chunks: ${m}`));
      out.lost.push(...c.less.map((m) => `read in chunks: ${m}`));
      if (JSON.stringify(whole.issues) !== JSON.stringify(r.issues)) out.issues.push(`read in chunks the issues differ: ${JSON.stringify(r.issues).slice(0, 300)} vs ${JSON.stringify(whole.issues).slice(0, 300)}`);
    }
  } catch (e) {
    out.crash = (e as Error).stack ?? String(e);
  }
  return out;
}

function judgeCut(input: Extract<FuzzInput, { kind: 'cut' }>, r: ProfileReader, out: Outcome): void {
  const rec = recordings().find((x) => x.name === input.file)!;
  const k = input.at;
  if (isStreaming(input.format)) {
    const c = cleanCut(rec.boundaries, k);
    const clean = read(input.format, rec.bytes.subarray(0, c));
    const d = compare(snapshot(r.profile), snapshot(clean.profile));
    out.wrong.push(...d.more.map((m) => `cut at ${k} (clean cut at ${c}): ${m}`));
    out.lost.push(...d.less.map((m) => `cut at ${k} (clean cut at ${c}): ${m}`));
    if (r.consumed !== clean.consumed) out.lost.push(`cut at ${k}: consumed ${r.consumed} bytes, the clean cut ${clean.consumed}`);
    if (r.issues.length > clean.issues.length + 1) out.issues.push(`cut at ${k}: ${r.issues.length} issues, the clean cut has ${clean.issues.length}: ${JSON.stringify(r.issues).slice(0, 400)}`);
    if (c < k && !r.issues.some((i) => i.offset <= k)) out.issues.push(`cut at ${k} inside a record: no issue says where`);
    return;
  }
  // a whole-file format: a fatal issue, or the whole file after all; never more than the whole file
  const got = snapshot(r.profile, false);
  const whole = wholeSnapshot(rec);
  const d = compare(got, whole);
  out.wrong.push(...d.more.map((m) => `cut at ${k}: ${m}`));
  if (!r.failed && k < rec.bytes.length && d.less.length > 0) out.issues.push(`cut at ${k}: numbers are partial (${d.less[0]}) but no fatal issue says so`);
}
