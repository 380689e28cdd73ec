import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { Profile as PprofMessage, type Location, type Function as PprofFunction } from 'pprof-format';
import type { MetricDef, Profile, Unit } from '../model';
import { BufferedReader } from './buffered';
import { scriptPath } from './cpuprofile';
import { checkStructure, topLevelFields } from './pprof-check';
import { decodeUtf8 } from './utf8-decode';
import { MAX_STACK_DEPTH, ReadChecks } from './values';

export { detectPprof, looksLikePprofMessage } from './pprof-check';

/**
 * pprof (`google/pprof: proto/profile.proto`), gzipped or raw, as written by Go, pprof-nodejs and
 * austin-python's austin2pprof (formats.md §5). Decoding is `pprof-format`'s, after pprof-check.ts
 * has found where the message stops being whole (that decoder silently shortens a cut message);
 * this file maps the decoded samples onto the model:
 *
 * - samples are leaf first: locations are reversed, and each location's inline `line[]` (innermost
 *   first) is reversed too, giving root-first stacks;
 * - every sample type becomes a metric; the default is the one pprof itself shows first
 *   (`default_sample_type`, else the last type), exposed as `profile.preferredMetric`;
 * - int64 fields may arrive as bigints (values past 2^28 from the decoder, past 2^53 in files);
 *   negative int64s arrive as uint64 and are turned back;
 * - pprof-nodejs 'pack' mode stores `column << 32 | line` in `Line.line`;
 * - threads come from austin2pprof's `Thread ID`/`Process ID`/`Interpreter ID` labels (or a
 *   `thread id` label); without them all samples belong to one thread;
 * - values that cannot be true are refused (values.ts): negative ones too, so a profile
 *   subtracted from another (`-diff_base`) is not shown as shares, which it is not; stacks deeper
 *   than 10,000 frames are cut, names longer than 4,096 characters cut; strings that are not
 *   UTF-8 keep their bytes distinct (utf8-decode.ts).
 */

type Numeric = number | bigint;

const TWO32 = 4294967296;
const TWO63 = 1n << 63n;
const TWO64 = 1n << 64n;

/** An int64 field as a JS number (negative values come out of the decoder as uint64). */
function int64(v: Numeric): number {
  if (typeof v === 'number') return v;
  return Number(v >= TWO63 ? v - TWO64 : v);
}

/** An int64 field as an exact decimal string, for meta values past 2^53 (time_nanos). */
function int64Text(v: Numeric): string {
  if (typeof v === 'number') return String(v);
  return (v >= TWO63 ? v - TWO64 : v).toString();
}

/** Map key for a uint64 id: a number while exact, else its decimal text. */
function idKey(v: Numeric): number | string {
  if (typeof v === 'number') return v;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** `Line.line`, unpacking pprof-nodejs 'pack' mode (`column << 32 | line`). */
export function unpackLine(v: Numeric, column: Numeric): { line: number; column: number } {
  if (typeof v === 'bigint') {
    if (v >= TWO63) return { line: 0, column: 0 }; // a negative line: unknown
    if (v >= BigInt(TWO32)) {
      const col = Number(v >> 32n);
      return { line: Number(v & 0xffffffffn), column: col };
    }
    return { line: Number(v), column: Math.max(0, int64(column)) };
  }
  if (v >= TWO32) return { line: v % TWO32, column: Math.floor(v / TWO32) };
  return { line: Math.max(0, v), column: Math.max(0, int64(column)) };
}

// --- sample types ---------------------------------------------------------------------------

const UNITS: Record<string, Unit> = {
  nanoseconds: 'nanoseconds', nanosecond: 'nanoseconds', ns: 'nanoseconds',
  microseconds: 'microseconds', microsecond: 'microseconds', us: 'microseconds',
  'μs': 'microseconds', // U+03BC (austin2pprof)
  'µs': 'microseconds', // U+00B5
  milliseconds: 'milliseconds', millisecond: 'milliseconds', ms: 'milliseconds',
  seconds: 'seconds', second: 'seconds', s: 'seconds',
  bytes: 'bytes', byte: 'bytes', b: 'bytes',
  count: 'count', '': 'count',
};

/** The metric a pprof sample type becomes: standard keys where the meaning is standard. */
export function sampleTypeMetric(type: string, unitText: string): MetricDef {
  const unit = UNITS[unitText] ?? UNITS[unitText.toLowerCase()] ?? 'count';
  const t = type.toLowerCase();
  let key: string;
  let label = type;
  if (t === 'cpu' || t === 'cpu time') [key, label] = ['cpu', 'CPU time'];
  else if (t === 'wall' || t === 'wall time') [key, label] = ['wall', 'wall time'];
  else if (t === 'samples' || t === 'sample') [key, label] = ['samples', 'samples'];
  else if (t === 'allocated memory') [key, label] = ['alloc', 'memory allocated'];
  else if (t === 'deallocated memory') [key, label] = ['dealloc', 'memory released'];
  else key = t.replace(/[^a-z0-9_]+/g, '-').replace(/^-+|-+$/g, '') || 'value';
  if (unit === 'count' && unitText !== '' && unitText.toLowerCase() !== 'count' && !UNITS[unitText]) {
    label = `${label} (${unitText})`;
  }
  return { key, label, unit };
}

// --- the reader -----------------------------------------------------------------------------

const THREAD_KEYS = new Set(['Thread ID', 'thread id', 'tid']);
const PROCESS_KEYS = new Set(['Process ID', 'process id', 'pid']);
const INTERPRETER_KEYS = new Set(['Interpreter ID']);
const THREAD_NAME_KEYS = new Set(['thread name', 'Thread name']);

function syntheticFile(file: string): boolean {
  return file === '' || (file.startsWith('<') && file.endsWith('>')) || file.startsWith('node:');
}

export class PprofReader extends BufferedReader {
  readonly format = 'pprof';

  constructor(profile: Profile) {
    super(profile);
    profile.format = this.format;
  }

  protected decode(bytes: Buffer): void {
    this.dataEnd = bytes.length;
    let data: Uint8Array = bytes;
    let where = '';
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      where = ' of the gunzipped data';
      try {
        data = gunzipSync(bytes);
      } catch (e) {
        let partial: Buffer = Buffer.alloc(0);
        try {
          partial = gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
        } catch {
          // corrupt deflate data: nothing usable
        }
        const msg = (e as Error).message;
        this.issue(
          `the gzip stream is ${/unexpected end/.test(msg) ? 'truncated' : `corrupt (${msg})`}; ` +
            `what the first ${partial.length} unpacked bytes hold was read`,
          bytes.length,
          true,
        );
        data = partial;
      }
    }
    if (data.length === 0) {
      if (!this.failed) this.issue('the file holds no pprof data', 0, true);
      return;
    }
    const { end, problem } = checkStructure(data);
    // After a cut gzip stream the cut protobuf is expected: the gzip issue already says it.
    if (problem && !this.failed) {
      this.issue(`${problem.message} (byte ${problem.offset}${where}); reading stopped there`, where ? bytes.length : problem.offset, true);
    }
    let msg: PprofMessage;
    try {
      msg = PprofMessage.decode(data.subarray(0, end));
    } catch (e) {
      this.issue(`cannot decode the pprof message: ${(e as Error).message}`, 0, true);
      return;
    }
    this.consumed = where ? (this.failed ? 0 : bytes.length) : end;
    // The decoder turns bytes that are not UTF-8 into U+FFFD: the string table is decoded here
    // from its bytes instead, so that distinct names stay distinct.
    const strings = topLevelFields(data, end, 6).map((f) => decodeUtf8(data, f.start, f.end));
    const samples = topLevelFields(data, end, 2).map((f) => f.at);
    this.build(msg, strings.length === msg.stringTable.strings.length ? strings : msg.stringTable.strings, samples, where !== '');
  }

  /** Sample values that cannot be true: refused with an issue naming the sample's byte offset. */
  private checks = new ReadChecks(this.profile, this.log);

  private build(msg: PprofMessage, strings: string[], sampleOffsets: number[], gunzipped: boolean): void {
    const p = this.profile;
    this.checks = new ReadChecks(p, this.log, gunzipped ? 'of the gunzipped data' : undefined);
    const c = this.checks;
    if (strings.length === 0 || msg.sampleType.length === 0) {
      if (msg.sample.length > 0 || !this.failed) {
        this.issue(
          strings.length === 0 ? 'the string table is missing, so no frame can be named' : 'the profile declares no sample types',
          0,
          true,
        );
      }
      return;
    }
    // An index past the table (a cut or corrupt file) names nothing: frames that need it are
    // dropped with their samples rather than shown under an invented '' name.
    let badStrings = 0;
    const strOrUndefined = (v: Numeric): string | undefined => {
      const i = int64(v);
      if (i >= 0 && i < strings.length) return c.name(strings[i], 0, 0);
      badStrings++;
      return undefined;
    };
    const str = (v: Numeric): string => strOrUndefined(v) ?? '';

    if (msg.sampleType.some((vt) => strOrUndefined(vt.type) === undefined || strOrUndefined(vt.unit) === undefined)) {
      // what the samples measure is unknown: counting them under a made-up metric would invent it
      if (!this.failed) this.issue(`the sample types name strings past the string table (${strings.length} strings; the file is cut short or corrupt): what the samples measure is unknown`, this.dataEnd, true);
      return;
    }
    const defs = msg.sampleType.map((vt) => sampleTypeMetric(str(vt.type), str(vt.unit)));
    const seen = new Map<string, number>();
    const metrics = defs.map((d) => {
      const n = (seen.get(d.key) ?? 0) + 1;
      seen.set(d.key, n);
      return n === 1 ? d : { ...d, key: `${d.key}-${n}` };
    });
    p.setMetrics(metrics);
    const wanted = int64(msg.defaultSampleType) !== 0 ? str(msg.defaultSampleType) : undefined;
    const dflt = wanted !== undefined ? msg.sampleType.findIndex((vt) => str(vt.type) === wanted) : -1;
    p.preferredMetric = metrics[dflt >= 0 ? dflt : metrics.length - 1].key;

    if (int64(msg.timeNanos) !== 0) p.setMeta('time_nanos', int64Text(msg.timeNanos));
    if (int64(msg.durationNanos) !== 0) p.setMeta('duration_nanos', int64Text(msg.durationNanos));
    if (int64(msg.period) !== 0) p.setMeta('period', int64Text(msg.period));
    if (msg.periodType) p.setMeta('period_type', `${str(msg.periodType.type)}/${str(msg.periodType.unit)}`);
    if (msg.comment.length) p.setMeta('comment', msg.comment.map(str).join('\n'));
    if (int64(msg.dropFrames) !== 0) p.setMeta('drop_frames', str(msg.dropFrames));
    if (int64(msg.keepFrames) !== 0) p.setMeta('keep_frames', str(msg.keepFrames));
    if (int64(msg.docUrl) !== 0) p.setMeta('doc_url', str(msg.docUrl));

    const functions = new Map<number | string, PprofFunction>();
    for (const f of msg.function) functions.set(idKey(f.id), f);
    const mappings = new Map<number | string, string>();
    for (const m of msg.mapping) mappings.set(idKey(m.id), str(m.filename));
    const locations = new Map<number | string, Location>();
    for (const l of msg.location) locations.set(idKey(l.id), l);

    // Frames of one location, root first (the last inline entry is the caller); null when broken.
    const locFrames = new Map<number | string, number[] | null>();
    const framesOf = (id: Numeric): number[] | null => {
      const k = idKey(id);
      let fr = locFrames.get(k);
      if (fr !== undefined) return fr;
      const loc = locations.get(k);
      fr = loc ? this.locationFrames(loc, functions, mappings, strOrUndefined) : null;
      locFrames.set(k, fr);
      return fr;
    };

    const threadCache = new Map<string, number>();
    let defaultThread = -1;
    const threadOf = (labels: PprofMessage['sample'][number]['label']): number => {
      let tid: string | undefined;
      let pid = '';
      let iid = '';
      let name: string | undefined;
      for (const l of labels) {
        const key = str(l.key);
        const value = int64(l.str) !== 0 ? str(l.str) : int64Text(l.num);
        if (THREAD_KEYS.has(key)) tid = value;
        else if (PROCESS_KEYS.has(key)) pid = value;
        else if (INTERPRETER_KEYS.has(key)) iid = value;
        else if (THREAD_NAME_KEYS.has(key)) name = value;
      }
      if (tid === undefined) {
        if (defaultThread < 0) defaultThread = p.thread(pid, '', '', 'all');
        return defaultThread;
      }
      const ck = `${pid}\u0000${iid}\u0000${tid}`;
      let t = threadCache.get(ck);
      if (t === undefined) {
        t = p.thread(pid, tid, iid, name);
        threadCache.set(ck, t);
      }
      return t;
    };

    const nm = metrics.length;
    const values = new Float64Array(nm);
    let stack = new Int32Array(256);
    let brokenStacks = 0;
    let badValues = 0;
    for (let si = 0; si < msg.sample.length; si++) {
      const s = msg.sample[si];
      const at = sampleOffsets[si] ?? 0;
      if (s.value.length !== nm) {
        badValues++;
        continue;
      }
      for (let k = 0; k < nm; k++) values[k] = int64(s.value[k]);
      // a refused sample creates no node (nor thread) of its own
      if (!c.accepts(values, 0, at)) continue;
      const t = threadOf(s.label);
      const ids = s.locationId;
      if (ids.length === 0) {
        // austin2pprof keeps frameless samples: they count at the thread's root
        c.add(p.root(t), values, 0, at);
        continue;
      }
      let depth = 0;
      let ok = true;
      for (let i = ids.length - 1; i >= 0; i--) {
        const fr = framesOf(ids[i]);
        if (!fr) {
          ok = false;
          break;
        }
        if (depth + fr.length > stack.length) {
          const bigger = new Int32Array(Math.max(stack.length * 2, depth + fr.length));
          bigger.set(stack);
          stack = bigger;
        }
        for (const f of fr) stack[depth++] = f;
      }
      if (!ok) {
        brokenStacks++;
        continue;
      }
      if (depth > MAX_STACK_DEPTH) {
        if (stack.length === depth) {
          const bigger = new Int32Array(depth + 1);
          bigger.set(stack);
          stack = bigger;
        }
        depth = c.cutStack(stack, depth, 0, at);
      }
      c.add(p.path(t, stack, depth), values, 0, at);
    }
    // A whole pprof never refers to what it does not hold: such references mean a file cut short
    // (locations, functions and strings come after the samples) or corrupt, and the samples read
    // are then only part of the profile. Fatal, so that partial numbers are not taken as whole.
    const failed = this.failed;
    if (brokenStacks && !failed) {
      this.issue(`${brokenStacks} samples refer to missing or broken locations (the file is cut short or corrupt); they were skipped`, this.dataEnd, true);
    }
    if (badValues) {
      this.issue(`${badValues} samples do not have one value per sample type (${nm}); they were skipped`, 0, false);
    }
    if (badStrings && !failed) this.issue(`${badStrings} string indexes point past the string table (${strings.length} strings; the file is cut short or corrupt)`, this.dataEnd, true);
  }

  /** Bytes of the file being decoded: where a file cut short ends. */
  private dataEnd = 0;

  private locationFrames(
    loc: Location,
    functions: Map<number | string, PprofFunction>,
    mappings: Map<number | string, string>,
    str: (v: Numeric) => string | undefined,
  ): number[] | null {
    const p = this.profile;
    if (loc.line.length === 0) {
      // unsymbolized: the address is all there is
      const addr = typeof loc.address === 'bigint' ? loc.address : BigInt(loc.address);
      const binary = mappings.get(idKey(loc.mappingId)) ?? '';
      return [p.frame(binary, `0x${addr.toString(16)}`, 0, { kind: 'synthetic' })];
    }
    const out: number[] = [];
    for (let i = loc.line.length - 1; i >= 0; i--) {
      const ln = loc.line[i];
      const fn = functions.get(idKey(ln.functionId));
      if (!fn) return null;
      const filename = str(fn.filename);
      const name = str(fn.name) || str(fn.systemName);
      if (filename === undefined || name === undefined) return null;
      const file = scriptPath(filename);
      const { line, column } = unpackLine(ln.line, ln.column);
      const start = int64(fn.startLine);
      out.push(
        p.frame(file, name, line, {
          column,
          defLine: start > 0 ? start : undefined,
          kind: syntheticFile(file) ? 'synthetic' : 'source',
        }),
      );
    }
    return out;
  }
}
