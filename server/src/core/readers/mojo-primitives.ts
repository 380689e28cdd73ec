/** The MOJO decoder's building blocks (see mojo.ts): Austin's varint, per-process tables, frame shapes. */

/** Event names by id, as in Austin's `src/mojo.h`. */
export const MOJO_EVENTS = [
  'RESERVED',
  'METADATA',
  'STACK',
  'FRAME',
  'FRAME_INVALID',
  'FRAME_REF',
  'FRAME_KERNEL',
  'GC',
  'IDLE',
  'METRIC_TIME',
  'METRIC_MEMORY',
  'STRING',
  'STRING_REF',
  'STACK_REPEAT',
  'TASK_STACK',
  'TASK_WAITER',
] as const;

/** Position after the last varint `readVarint` decoded (module state keeps the hot path allocation-free). */
export const varint = { end: 0 };

/**
 * Decodes one Austin varint at buf[p]: first byte bit 7 = more, bit 6 = sign, bits 0-5 = low
 * value bits; each next byte adds 7 bits. Exact for magnitudes up to 2^53 (plain float arithmetic,
 * no 32-bit bitwise ops on the value); an absurdly long varint comes out as Infinity, never NaN.
 * Returns NaN when the varint runs past `end`; otherwise the position after it is in `varint.end`.
 */
export function readVarint(buf: Uint8Array, p: number, end: number): number {
  if (p >= end) return NaN;
  let b = buf[p++];
  const neg = b & 0x40;
  let n = b & 0x3f;
  let scale = 64;
  while (b & 0x80) {
    if (p >= end) return NaN;
    b = buf[p++];
    // past ~150 bytes the scale is Infinity: 0 * Infinity would be NaN, which means "cut short"
    const d = b & 0x7f;
    if (d) n += d * scale;
    scale *= 128;
  }
  varint.end = p;
  return neg ? -n : n;
}

/** Position just after the varint starting at buf[p], or -1 when it runs past `end`. */
export function skipVarint(buf: Uint8Array, p: number, end: number): number {
  while (p < end) if ((buf[p++] & 0x80) === 0) return p;
  return -1;
}

/** Open-addressing map from a frame key (an integer double) to a profile frame id. */
export class FrameKeyTable {
  private keys = new Float64Array(1024);
  private vals = new Int32Array(1024).fill(-1);
  private mask = 1023;
  private size = 0;

  private static slot(key: number, mask: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) >>> 0;
    return (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 13) & mask;
  }

  get(key: number): number {
    const mask = this.mask;
    const keys = this.keys;
    const vals = this.vals;
    let i = FrameKeyTable.slot(key, mask);
    for (;;) {
      const v = vals[i];
      if (v < 0 || keys[i] === key) return v;
      i = (i + 1) & mask;
    }
  }

  set(key: number, val: number): void {
    if ((this.size + 1) * 2 > this.mask) this.rehash();
    let i = FrameKeyTable.slot(key, this.mask);
    while (this.vals[i] >= 0 && this.keys[i] !== key) i = (i + 1) & this.mask;
    if (this.vals[i] < 0) this.size++;
    this.keys[i] = key;
    this.vals[i] = val;
  }

  private rehash(): void {
    const { keys, vals } = this;
    const cap = keys.length * 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (vals[i] >= 0) this.set(keys[i], vals[i]);
  }
}

function isAngled(s: string): boolean {
  return s.length >= 2 && s.charCodeAt(0) === 60 && s.charCodeAt(s.length - 1) === 62;
}

export function sameBytes(a: Uint8Array, buf: Uint8Array, s: number, e: number): boolean {
  if (a.length !== e - s) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[s + i]) return false;
  return true;
}

/** String and frame tables: MOJO references are per process (two children can reuse keys). */
export class PidTables {
  readonly strings = new Map<number, string>();
  readonly frames = new FrameKeyTable();
}

/** One (pid, iid, tid): its profile thread and the last finalised stack (the STACK_REPEAT base). */
export class ThreadSlot {
  last = new Int32Array(64);
  lastDepth = 0;
  next: ThreadSlot | null = null;
  /** Profile thread index, created with the first finalised sample (after the metrics are set). */
  thread = -1;
  constructor(
    readonly pid: number,
    readonly iid: number,
    readonly tidBytes: Uint8Array,
    readonly tid: string,
    readonly tables: PidTables,
  ) {}
}

/** What a MOJO frame becomes in the model, from its strings. */
export interface FrameShape {
  file: string;
  name: string;
  line: number;
  /** Maps to no source file. */
  synthetic: boolean;
  /** Native or unknown code: popped from a STACK_REPEAT base when native frames follow it. */
  native: boolean;
}

/**
 * Classifies a frame the way the Austin text reader does, so that text and MOJO agree:
 * `<...>` and empty file names are synthetic; austinp `native@<pc>` frames become file `native`
 * with line 0 (the number is a byte offset into the symbol, not a line). Other non-.py files
 * count as native code only in an austinp file (`nativeMode`): elsewhere they can be Python
 * scripts without an extension (`bin/pytest`), which must keep mapping to their source.
 */
export function classifyFrame(file: string, name: string, line: number, nativeMode: boolean): FrameShape {
  const angled = isAngled(file);
  const native = !file.endsWith('.py') && !angled;
  if (file.startsWith('native@')) return { file: 'native', name: name || '<unknown>', line: 0, synthetic: true, native };
  if (native && nativeMode) return { file, name, line: 0, synthetic: true, native };
  return { file, name, line, synthetic: file === '' || angled, native };
}
