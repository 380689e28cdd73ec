/**
 * A small MOJO writer for tests and benchmarks: Austin's varint, an event tokeniser and an
 * encoder, plus the two transformations built on them: re-encoding a v1-v3 recording as v4 with
 * STACK_REPEAT events, and repeating a recording's samples N times (to build big inputs).
 *
 * String fields stay raw bytes: Austin sometimes writes garbage strings that are not UTF-8, and
 * a re-encoded file must keep them byte for byte.
 */

export const EV = {
  METADATA: 1,
  STACK: 2,
  FRAME: 3,
  FRAME_INVALID: 4,
  FRAME_REF: 5,
  FRAME_KERNEL: 6,
  GC: 7,
  IDLE: 8,
  METRIC_TIME: 9,
  METRIC_MEMORY: 10,
  STRING: 11,
  STRING_REF: 12,
  STACK_REPEAT: 13,
  TASK_STACK: 14,
  TASK_WAITER: 15,
} as const;

export type MojoEvent =
  | { id: 1; offset: number; key: Uint8Array; value: Uint8Array }
  | { id: 2; offset: number; pid: number; iid: number; tid: Uint8Array }
  | {
      id: 3;
      offset: number;
      key: number;
      filename: number;
      scope: number;
      line: number;
      lineEnd: number;
      column: number;
      columnEnd: number;
    }
  | { id: 4 | 7 | 8 | 13; offset: number }
  | { id: 5 | 9 | 10 | 12; offset: number; value: number }
  | { id: 6; offset: number; scope: Uint8Array }
  | { id: 11; offset: number; key: number; value: Uint8Array }
  | { id: 14 | 15; offset: number; a: number; b: number };

export interface MojoFile {
  version: number;
  /** Byte length of `MOJ` + version. */
  headerBytes: number;
  events: MojoEvent[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

/** Austin's varint: 6 value bits and a sign bit in the first byte, 7 bits in each next one. */
export function encodeVarint(n: number, out: number[] = []): number[] {
  let m = Math.abs(n);
  let b = (n < 0 || Object.is(n, -0) ? 0x40 : 0) | (m % 64);
  m = Math.floor(m / 64);
  if (m > 0) b |= 0x80;
  out.push(b);
  while (m > 0) {
    b = m % 128;
    m = Math.floor(m / 128);
    if (m > 0) b |= 0x80;
    out.push(b);
  }
  return out;
}

class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public p: number,
  ) {}
  int(): number {
    const buf = this.buf;
    if (this.p >= buf.length) throw new RangeError('truncated varint');
    let b = buf[this.p++];
    const neg = b & 0x40;
    let n = b & 0x3f;
    let scale = 64;
    while (b & 0x80) {
      if (this.p >= buf.length) throw new RangeError('truncated varint');
      b = buf[this.p++];
      n += (b & 0x7f) * scale;
      scale *= 128;
    }
    return neg ? -n : n;
  }
  str(): Uint8Array {
    const z = this.buf.indexOf(0, this.p);
    if (z < 0) throw new RangeError('truncated string');
    const s = this.buf.slice(this.p, z);
    this.p = z + 1;
    return s;
  }
}

/** Tokenises a whole MOJO file (test data only: it throws on a truncated or corrupt file). */
export function parseMojo(buf: Uint8Array): MojoFile {
  if (buf[0] !== 0x4d || buf[1] !== 0x4f || buf[2] !== 0x4a) throw new Error('not a MOJO file');
  const c = new Cursor(buf, 3);
  const version = c.int();
  const headerBytes = c.p;
  const events: MojoEvent[] = [];
  while (c.p < buf.length) {
    const offset = c.p;
    const id = buf[c.p++];
    switch (id) {
      case EV.METADATA:
        events.push({ id, offset, key: c.str(), value: c.str() });
        break;
      case EV.STACK: {
        const pid = c.int();
        const iid = version >= 3 ? c.int() : 0;
        events.push({ id, offset, pid, iid, tid: c.str() });
        break;
      }
      case EV.FRAME: {
        const key = c.int();
        const filename = c.int();
        const scope = c.int();
        const line = c.int();
        const [lineEnd, column, columnEnd] = version >= 2 ? [c.int(), c.int(), c.int()] : [0, 0, 0];
        events.push({ id, offset, key, filename, scope, line, lineEnd, column, columnEnd });
        break;
      }
      case EV.FRAME_INVALID:
      case EV.GC:
      case EV.IDLE:
      case EV.STACK_REPEAT:
        events.push({ id, offset });
        break;
      case EV.FRAME_REF:
      case EV.METRIC_TIME:
      case EV.METRIC_MEMORY:
      case EV.STRING_REF:
        events.push({ id, offset, value: c.int() });
        break;
      case EV.FRAME_KERNEL:
        events.push({ id, offset, scope: c.str() });
        break;
      case EV.STRING:
        events.push({ id, offset, key: c.int(), value: c.str() });
        break;
      case EV.TASK_STACK:
      case EV.TASK_WAITER:
        events.push({ id, offset, a: c.int(), b: c.int() });
        break;
      default:
        throw new Error(`unknown MOJO event ${id} at byte ${offset}`);
    }
  }
  return { version, headerBytes, events };
}

/** Appends one event, in the layout of MOJO `version` (iid from v3, location fields from v2). */
export function encodeEvent(e: MojoEvent, version: number, out: number[]): void {
  out.push(e.id);
  const str = (s: Uint8Array) => {
    for (let i = 0; i < s.length; i++) out.push(s[i]);
    out.push(0);
  };
  switch (e.id) {
    case EV.METADATA:
      str(e.key);
      str(e.value);
      break;
    case EV.STACK:
      encodeVarint(e.pid, out);
      if (version >= 3) encodeVarint(e.iid, out);
      str(e.tid);
      break;
    case EV.FRAME:
      for (const v of [e.key, e.filename, e.scope, e.line]) encodeVarint(v, out);
      if (version >= 2) for (const v of [e.lineEnd, e.column, e.columnEnd]) encodeVarint(v, out);
      break;
    case EV.FRAME_REF:
    case EV.METRIC_TIME:
    case EV.METRIC_MEMORY:
    case EV.STRING_REF:
      encodeVarint(e.value, out);
      break;
    case EV.FRAME_KERNEL:
      str(e.scope);
      break;
    case EV.STRING:
      encodeVarint(e.key, out);
      str(e.value);
      break;
    case EV.TASK_STACK:
    case EV.TASK_WAITER:
      encodeVarint(e.a, out);
      encodeVarint(e.b, out);
      break;
    default:
      break;
  }
}

export function encodeHeader(version: number): number[] {
  return encodeVarint(version, [0x4d, 0x4f, 0x4a]);
}

/** A whole MOJO file of `version` with these events. */
export function writeMojo(version: number, events: readonly MojoEvent[]): Uint8Array {
  const out = encodeHeader(version);
  for (const e of events) encodeEvent(e, version, out);
  return Uint8Array.from(out);
}

const threadKey = (e: { pid: number; iid: number; tid: Uint8Array }) => `${e.pid}:${e.iid}:${text(e.tid)}`;

/**
 * Re-encodes a recording as MOJO v4 the way Austin 4 writes it in Python-only mode: a sample
 * whose frame references equal the previous finalised sample of the same thread becomes STACK +
 * STACK_REPEAT without its FRAME_REFs. Samples holding invalid or kernel frames are written whole.
 */
export function toV4WithRepeats(src: Uint8Array): Uint8Array {
  const { events } = parseMojo(src);
  const previous = new Map<string, string>();
  const out: MojoEvent[] = [];
  let i = 0;
  while (i < events.length && events[i].id !== EV.STACK) out.push(events[i++]);
  while (i < events.length) {
    // one sample: its STACK up to the next STACK
    let j = i + 1;
    while (j < events.length && events[j].id !== EV.STACK) j++;
    const stack = events[i] as Extract<MojoEvent, { id: 2 }>;
    const body = events.slice(i + 1, j);
    const refs = body.filter((e) => e.id === EV.FRAME_REF).map((e) => (e as { value: number }).value);
    const plain = !body.some((e) => e.id === EV.FRAME_INVALID || e.id === EV.FRAME_KERNEL);
    const signature = plain ? refs.join(',') : undefined;
    const key = threadKey(stack);
    out.push(stack);
    if (signature !== undefined && previous.get(key) === signature) {
      out.push({ id: EV.STACK_REPEAT, offset: -1 });
      out.push(...body.filter((e) => e.id !== EV.FRAME_REF));
    } else {
      out.push(...body);
    }
    if (signature !== undefined) previous.set(key, signature);
    else previous.delete(key);
    i = j;
  }
  return writeMojo(4, out);
}

export interface RepeatOptions {
  /** Give every repetition its own thread ids (so the number of distinct stacks grows). */
  threadIdsPerRepetition?: boolean;
}

/**
 * Streams a MOJO file holding `times` repetitions of a recording's samples: the header and the
 * metadata before the first sample once, then one chunk per repetition. With
 * `threadIdsPerRepetition`, repetition k prefixes every tid with k in hex (tids stay hex strings).
 * STACK_REPEAT stays valid either way: a repetition starts every thread with a whole stack.
 */
export function* repeatSamples(src: Uint8Array, times: number, opts: RepeatOptions = {}): Generator<Uint8Array> {
  const file = parseMojo(src);
  const events = file.events;
  const first = events.findIndex((e) => e.id === EV.STACK);
  const head = encodeHeader(file.version);
  for (const e of events.slice(0, first < 0 ? events.length : first)) encodeEvent(e, file.version, head);
  yield Uint8Array.from(head);
  if (first < 0) return;
  // The body as runs of bytes that never change, separated by the STACK events that may.
  const runs: Uint8Array[] = [];
  const stacks: Extract<MojoEvent, { id: 2 }>[] = [];
  let run: number[] = [];
  for (const e of events.slice(first)) {
    if (e.id === EV.STACK && opts.threadIdsPerRepetition) {
      runs.push(Uint8Array.from(run));
      stacks.push(e);
      run = [];
    } else {
      encodeEvent(e, file.version, run);
    }
  }
  runs.push(Uint8Array.from(run));
  if (!opts.threadIdsPerRepetition) {
    for (let k = 0; k < times; k++) yield runs[0];
    return;
  }
  for (let k = 0; k < times; k++) {
    const prefix = bytes(k.toString(16));
    const parts: Uint8Array[] = [];
    for (let s = 0; s < stacks.length; s++) {
      parts.push(runs[s]);
      const e = stacks[s];
      const tid = new Uint8Array(prefix.length + e.tid.length);
      tid.set(prefix);
      tid.set(e.tid, prefix.length);
      const ev: number[] = [];
      encodeEvent({ ...e, tid }, file.version, ev);
      parts.push(Uint8Array.from(ev));
    }
    parts.push(runs[stacks.length]);
    yield concat(parts);
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** `repeatSamples` gathered into one buffer (small inputs only). */
export function repeatSamplesToBuffer(src: Uint8Array, times: number, opts: RepeatOptions = {}): Uint8Array {
  return concat([...repeatSamples(src, times, opts)]);
}
