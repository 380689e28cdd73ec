import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { Profile as PprofMessage, type Location, type Function as PprofFunction } from 'pprof-format';
import type { MetricDef, Profile, Unit } from '../model';
import { BufferedReader } from './buffered';
import { scriptPath } from './cpuprofile';

/**
 * pprof (`google/pprof: proto/profile.proto`), gzipped or raw, as written by Go, pprof-nodejs and
 * austin-python's austin2pprof (formats.md §5). Decoding is `pprof-format`'s; this file checks the
 * protobuf structure first (that decoder silently shortens a truncated message) and maps samples
 * onto the model:
 *
 * - samples are leaf first: locations are reversed, and each location's inline `line[]` (innermost
 *   first) is reversed too, giving root-first stacks;
 * - every sample type becomes a metric; the default is the one pprof itself shows first
 *   (`default_sample_type`, else the last type), exposed as `profile.preferredMetric`;
 * - int64 fields may arrive as bigints (values past 2^28 from the decoder, past 2^53 in files);
 *   negative int64s arrive as uint64 and are turned back;
 * - pprof-nodejs 'pack' mode stores `column << 32 | line` in `Line.line`;
 * - threads come from austin2pprof's `Thread ID`/`Process ID`/`Interpreter ID` labels (or a
 *   `thread id` label); without them all samples belong to one thread.
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

// --- protobuf structure check ---------------------------------------------------------------

/** Message fields of each message type (the rest are scalars, strings or packed arrays). */
const SUBMESSAGES: Record<string, Record<number, string>> = {
  Profile: { 1: 'ValueType', 2: 'Sample', 3: 'Mapping', 4: 'Location', 5: 'Function', 11: 'ValueType' },
  Sample: { 3: 'Label' },
  Location: { 4: 'Line' },
};
const PROFILE_FIELDS: Record<number, string> = {
  1: 'sample_type', 2: 'sample', 3: 'mapping', 4: 'location', 5: 'function', 6: 'string_table',
  7: 'drop_frames', 8: 'keep_frames', 9: 'time_nanos', 10: 'duration_nanos', 11: 'period_type',
  12: 'period', 13: 'comment', 14: 'default_sample_type', 15: 'doc_url',
};

interface StructureProblem {
  message: string;
  offset: number;
}

/** Reads a varint at `pos`; returns [value, next] or undefined when it runs off the end or past 10 bytes. */
function varint(b: Uint8Array, pos: number, end: number): [number, number] | undefined {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return undefined;
    const c = b[pos++];
    v += (c & 0x7f) * scale;
    scale *= 128;
    if (c < 0x80) return [v, pos];
  }
  return undefined;
}

/** Checks a message's field framing in b[start, end); returns the first problem, if any. */
function checkMessage(b: Uint8Array, start: number, end: number, type: string): StructureProblem | undefined {
  let pos = start;
  const subs = SUBMESSAGES[type] ?? {};
  while (pos < end) {
    const at = pos;
    const tag = varint(b, pos, end);
    if (!tag) return { message: `a field tag of a ${type} runs past its end`, offset: at };
    const field = Math.floor(tag[0] / 8);
    const wire = tag[0] % 8;
    pos = tag[1];
    if (field === 0) return { message: `field number 0 in a ${type}`, offset: at };
    if (wire === 0) {
      const v = varint(b, pos, end);
      if (!v) return { message: `a number in a ${type} runs past its end`, offset: at };
      pos = v[1];
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > end) return { message: `a fixed-size value in a ${type} runs past its end`, offset: at };
    } else if (wire === 2) {
      const len = varint(b, pos, end);
      if (!len) return { message: `a length in a ${type} runs past its end`, offset: at };
      pos = len[1];
      if (pos + len[0] > end) {
        return {
          message: `field ${field} of a ${type} declares ${len[0]} bytes but only ${end - pos} remain`,
          offset: at,
        };
      }
      const sub = subs[field];
      if (sub) {
        const p = checkMessage(b, pos, pos + len[0], sub);
        if (p) return p;
      }
      pos += len[0];
    } else {
      return { message: `invalid protobuf wire type ${wire} in a ${type}`, offset: at };
    }
  }
  return undefined;
}

/**
 * Walks the top-level fields; returns the end of the last whole, well-formed field and the first
 * problem. Everything before that end can be decoded.
 */
function checkStructure(b: Uint8Array): { end: number; problem?: StructureProblem } {
  let pos = 0;
  while (pos < b.length) {
    const at = pos;
    const tag = varint(b, pos, b.length);
    if (!tag) return { end: at, problem: { message: 'the data ends inside a field tag', offset: at } };
    const field = Math.floor(tag[0] / 8);
    const name = PROFILE_FIELDS[field] ?? `field ${field}`;
    // One field's framing, checked as a one-field Profile message so submessages are checked too.
    let fieldEnd: number;
    const wire = tag[0] % 8;
    if (wire === 2) {
      const len = varint(b, tag[1], b.length);
      if (!len) return { end: at, problem: { message: `the data ends inside the length of ${name}`, offset: at } };
      fieldEnd = len[1] + len[0];
      if (fieldEnd > b.length) {
        return {
          end: at,
          problem: { message: `${name} declares ${len[0]} bytes but only ${b.length - len[1]} remain (truncated)`, offset: at },
        };
      }
    } else if (wire === 0) {
      const v = varint(b, tag[1], b.length);
      if (!v) return { end: at, problem: { message: `the data ends inside ${name}`, offset: at } };
      fieldEnd = v[1];
    } else {
      return { end: at, problem: { message: `invalid protobuf wire type ${wire} for ${name}`, offset: at } };
    }
    const p = checkMessage(b, at, fieldEnd, 'Profile');
    if (p) return { end: at, problem: { message: `${name} is malformed: ${p.message}`, offset: p.offset } };
    pos = fieldEnd;
  }
  return { end: pos };
}

/**
 * True when the bytes start like a serialized Profile: field 1 (sample_type, length-delimited)
 * holding a small ValueType, then only known Profile fields with the right wire types up to the
 * end of the head (the last one may be cut off by the head's end).
 */
export function looksLikePprofMessage(b: Uint8Array): boolean {
  if (b.length < 4 || b[0] !== 0x0a) return false;
  const len = b[1];
  if (len < 2 || len > 22 || 2 + len > b.length) return false;
  if (checkMessage(b, 2, 2 + len, 'ValueType')) return false;
  for (let p = 2; p < 2 + len; ) {
    // only type (1) and unit (2), both varints
    if (b[p] !== 0x08 && b[p] !== 0x10) return false;
    const v = varint(b, p + 1, 2 + len);
    if (!v) return false;
    p = v[1];
  }
  let pos = 2 + len;
  while (pos < b.length) {
    const tag = varint(b, pos, b.length);
    if (!tag) return true;
    const field = Math.floor(tag[0] / 8);
    const wire = tag[0] % 8;
    if (!PROFILE_FIELDS[field]) return false;
    const messageLike = field <= 6 || field === 11 || field === 13;
    if (wire === 2 && messageLike) {
      const l = varint(b, tag[1], b.length);
      if (!l) return true;
      pos = l[1] + l[0];
    } else if (wire === 0 && (!messageLike || field === 13)) {
      const v = varint(b, tag[1], b.length);
      if (!v) return true;
      pos = v[1];
    } else {
      return false;
    }
  }
  return true;
}

/** Format detection: gzip magic with a Profile inside, or a raw Profile. */
export function detectPprof(head: Uint8Array): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    let inner: Buffer;
    try {
      inner = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      return false;
    }
    return looksLikePprofMessage(inner.subarray(0, 4096));
  }
  return looksLikePprofMessage(head);
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
            `${partial.length} bytes could be unpacked and are read below`,
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
    if (problem) this.issue(`${problem.message} (byte ${problem.offset}${where}); reading stopped there`, where ? bytes.length : problem.offset, true);
    let msg: PprofMessage;
    try {
      msg = PprofMessage.decode(data.subarray(0, end));
    } catch (e) {
      this.issue(`cannot decode the pprof message: ${(e as Error).message}`, 0, true);
      return;
    }
    this.consumed = where ? (this.failed ? 0 : bytes.length) : end;
    this.build(msg);
  }

  private build(msg: PprofMessage): void {
    const p = this.profile;
    const strings = msg.stringTable.strings;
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
      if (i >= 0 && i < strings.length) return strings[i];
      badStrings++;
      return undefined;
    };
    const str = (v: Numeric): string => strOrUndefined(v) ?? '';

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
    for (const s of msg.sample) {
      if (s.value.length !== nm) {
        badValues++;
        continue;
      }
      for (let k = 0; k < nm; k++) values[k] = int64(s.value[k]);
      const t = threadOf(s.label);
      const ids = s.locationId;
      if (ids.length === 0) {
        // austin2pprof keeps frameless samples: they count at the thread's root
        p.add(p.root(t), values);
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
      p.add(p.path(t, stack, depth), values);
    }
    if (brokenStacks) {
      this.issue(`${brokenStacks} samples refer to missing or broken locations; they were skipped`, 0, false);
    }
    if (badValues) {
      this.issue(`${badValues} samples do not have one value per sample type (${nm}); they were skipped`, 0, false);
    }
    if (badStrings) this.issue(`${badStrings} string indexes point past the string table (${strings.length} strings)`, 0, false);
  }

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
