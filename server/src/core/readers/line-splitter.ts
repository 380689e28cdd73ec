/**
 * Splits a byte stream into lines across chunk boundaries for the line-based readers (Austin text,
 * folded stacks, perf script). Lines are handed over as byte ranges of the chunk, so a line is
 * decoded only when a reader needs its text; only a line cut by a chunk boundary is copied.
 *
 * Memory is bounded by `MAX_LINE_BYTES`, not by line length: a longer line (one 50 MB stack) is
 * handed over as its first and last `MAX_LINE_BYTES / 2` bytes and a count of the separator bytes
 * left out between them, so a reader can say how many frames it cut.
 */

const NL = 10;

/** Longest line held whole; longer ones keep their head and tail (half of this each). */
export const MAX_LINE_BYTES = 4 << 20;

/** Receives one line buf[s, e) without its `\n` (a trailing `\r` is left to the caller). */
export type LineHandler = (buf: Buffer, s: number, e: number, offset: number, line: number) => void;

/** A line longer than the limit: its first and last bytes and what lies between (`dropped` bytes, `droppedSeps` of them the separator). */
export interface LongLine {
  head: Buffer;
  tail: Buffer;
  dropped: number;
  droppedSeps: number;
  offset: number;
  line: number;
}

export interface SplitterOptions {
  /** Handler of lines longer than `maxLine`; without one they are ignored. */
  onLongLine?: (l: LongLine) => void;
  /** The byte whose occurrences in the left-out middle of a long line are counted (';' for stacks). */
  sep?: number;
  maxLine?: number;
}

function countByte(buf: Uint8Array, a: number, b: number, c: number): number {
  let n = 0;
  for (let i = a; i < b; i++) if (buf[i] === c) n++;
  return n;
}

export class LineSplitter {
  /** The line being carried across chunks (up to the limit): acc[0, carryLen). */
  private acc: Buffer = Buffer.alloc(0);
  private carryLen = 0;
  private carryOffset = 0;
  private carryLine = 1;
  // a carried line past the limit: its head, its newest `half` bytes in a ring, and what was left
  // out between (pieces of any size go in and out in constant time per byte)
  private long = false;
  private head: Buffer | null = null;
  private ring: Buffer | null = null;
  private ringPos = 0;
  private ringFull = false;
  private dropped = 0;
  private droppedSeps = 0;
  private readonly maxLine: number;
  private readonly half: number;
  private readonly sep: number;
  /** Byte offset of the next line's start. */
  offset = 0;
  /** 1-based number of the next line. */
  line = 1;

  constructor(
    private readonly onLine: LineHandler,
    private readonly opts: SplitterOptions = {},
  ) {
    this.maxLine = opts.maxLine ?? MAX_LINE_BYTES;
    this.half = this.maxLine >> 1;
    this.sep = opts.sep ?? 59;
  }

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    if (this.carryLen > 0) {
      const nl = buf.indexOf(NL);
      this.carry(buf, 0, nl < 0 ? buf.length : nl);
      if (nl < 0) return;
      this.finishCarry();
      pos = nl + 1;
    }
    for (;;) {
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) break;
      if (nl - pos > this.maxLine) this.emitLong(buf, pos, nl);
      else this.emit(buf, pos, nl);
      pos = nl + 1;
    }
    if (pos < buf.length) {
      this.carryOffset = this.offset;
      this.carryLine = this.line;
      this.carry(buf, pos, buf.length);
    }
  }

  /** Bytes held for the line being carried: at most `maxLine` (and the carry's spare capacity), however long the line. */
  get heldBytes(): number {
    return this.long ? this.head!.length + this.ring!.length : this.acc.length;
  }

  /** The bytes after the last newline (a line still being written, or a truncated one). */
  get rest(): { length: number; offset: number; line: number } | undefined {
    if (this.carryLen === 0) return undefined;
    return { length: this.carryLen, offset: this.carryOffset, line: this.carryLine };
  }

  /** Keeps buf[a, b) of the line being carried: all of it up to the limit, then head and tail only. */
  private carry(buf: Buffer, a: number, b: number): void {
    if (a >= b) return;
    if (this.long) {
      this.carryLen += b - a;
      this.toRing(buf, a, b);
      return;
    }
    const len = this.carryLen;
    const n = b - a;
    if (len + n <= this.maxLine) {
      // copy into a growing buffer: the caller may reuse its chunk, and many small chunks must
      // not each become an object to join later
      if (len + n > this.acc.length) {
        const next = Buffer.allocUnsafe(Math.min(this.maxLine, Math.max(len + n, this.acc.length * 2, 256)));
        this.acc.copy(next, 0, 0, len);
        this.acc = next;
      }
      buf.copy(this.acc, len, a, b);
      this.carryLen = len + n;
      return;
    }
    // past the limit: the first half stays, the rest goes through the ring
    const held = this.acc.subarray(0, len);
    const fromHeld = Math.min(len, this.half);
    const fromBuf = this.half - fromHeld;
    this.long = true;
    this.head = Buffer.concat([held.subarray(0, fromHeld), buf.subarray(a, a + fromBuf)]);
    this.ring = Buffer.allocUnsafe(this.half);
    this.ringPos = 0;
    this.ringFull = false;
    this.dropped = 0;
    this.droppedSeps = 0;
    this.carryLen = len + n;
    this.toRing(held, fromHeld, len);
    this.toRing(buf, a + fromBuf, b);
    this.acc = Buffer.alloc(0);
  }

  /** Writes buf[a, b) into the ring of the newest bytes, counting what it overwrites. */
  private toRing(buf: Uint8Array, a: number, b: number): void {
    const ring = this.ring!;
    const size = ring.length;
    if (b - a >= size) {
      // all that the ring held, and the piece's own start, are left out
      this.skipRing();
      this.skip(buf, a, b - size);
      ring.set(buf.subarray(b - size, b), 0);
      this.ringPos = 0;
      this.ringFull = true;
      return;
    }
    let p = this.ringPos;
    while (a < b) {
      const k = Math.min(b - a, size - p);
      if (this.ringFull) this.skip(ring, p, p + k);
      ring.set(buf.subarray(a, a + k), p);
      a += k;
      p += k;
      if (p === size) {
        p = 0;
        this.ringFull = true;
      }
    }
    this.ringPos = p;
  }

  /** Counts everything the ring holds as left out (it is about to be overwritten whole). */
  private skipRing(): void {
    const ring = this.ring!;
    if (this.ringFull) this.skip(ring, 0, ring.length);
    else this.skip(ring, 0, this.ringPos);
  }

  /** The ring's bytes, oldest first. */
  private ringBytes(): Buffer {
    const ring = this.ring!;
    if (!this.ringFull) return ring.subarray(0, this.ringPos);
    return Buffer.concat([ring.subarray(this.ringPos), ring.subarray(0, this.ringPos)]);
  }

  private skip(buf: Uint8Array, a: number, b: number): void {
    if (a >= b) return;
    this.dropped += b - a;
    this.droppedSeps += countByte(buf, a, b, this.sep);
  }

  private finishCarry(): void {
    const len = this.carryLen;
    this.carryLen = 0;
    if (!this.long) {
      const line = this.acc.subarray(0, len);
      // a big carry's buffer is not kept for the next short line
      if (this.acc.length > 65536) this.acc = Buffer.alloc(0);
      this.emit(line, 0, len);
      return;
    }
    this.long = false;
    const l: LongLine = {
      head: this.head!,
      tail: this.ringBytes(),
      dropped: this.dropped,
      droppedSeps: this.droppedSeps,
      offset: this.offset,
      line: this.line++,
    };
    this.head = null;
    this.ring = null;
    this.offset += len + 1;
    this.opts.onLongLine?.(l);
  }

  /** A line past the limit found whole in one chunk. */
  private emitLong(buf: Buffer, s: number, e: number): void {
    const l: LongLine = {
      head: buf.subarray(s, s + this.half),
      tail: buf.subarray(e - this.half, e),
      dropped: e - s - 2 * this.half,
      droppedSeps: countByte(buf, s + this.half, e - this.half, this.sep),
      offset: this.offset,
      line: this.line++,
    };
    this.offset += e - s + 1;
    this.opts.onLongLine?.(l);
  }

  private emit(buf: Buffer, s: number, e: number): void {
    const offset = this.offset;
    const line = this.line++;
    this.offset += e - s + 1;
    this.onLine(buf, s, e, offset, line);
  }
}
