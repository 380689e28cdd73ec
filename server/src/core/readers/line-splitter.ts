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
  private parts: Buffer[] = [];
  private carryLen = 0;
  private carryOffset = 0;
  private carryLine = 1;
  // a carried line past the limit: its head, the newest bytes, and what was left out between
  private long = false;
  private head: Buffer | null = null;
  private tailParts: Buffer[] = [];
  private tailLen = 0;
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

  /** Bytes held for the line being carried: at most `maxLine` plus one chunk, however long the line. */
  get heldBytes(): number {
    if (!this.long) return this.carryLen;
    return (this.head?.length ?? 0) + this.tailParts.reduce((n, p) => n + p.length, 0);
  }

  /** The bytes after the last newline (a line still being written, or a truncated one). */
  get rest(): { length: number; offset: number; line: number } | undefined {
    if (this.carryLen === 0) return undefined;
    return { length: this.carryLen, offset: this.carryOffset, line: this.carryLine };
  }

  /** Keeps buf[a, b) of the line being carried: all of it up to the limit, then head and tail only. */
  private carry(buf: Buffer, a: number, b: number): void {
    if (a >= b) return;
    this.carryLen += b - a;
    if (!this.long) {
      // copy: the caller may reuse its chunk buffer
      this.parts.push(Buffer.from(buf.subarray(a, b)));
      if (this.carryLen <= this.maxLine) return;
      const all = Buffer.concat(this.parts);
      this.parts = [];
      this.long = true;
      this.head = Buffer.from(all.subarray(0, this.half));
      this.tailParts = [all.subarray(this.half)];
      this.tailLen = all.length - this.half;
      this.dropped = 0;
      this.droppedSeps = 0;
    } else {
      const keep = Math.min(b - a, this.half);
      this.skip(buf, a, b - keep);
      this.tailParts.push(Buffer.from(buf.subarray(b - keep, b)));
      this.tailLen += keep;
    }
    // only the newest `half` bytes stay in the tail
    while (this.tailLen > this.half) {
      const first = this.tailParts[0];
      const over = this.tailLen - this.half;
      if (first.length <= over) {
        this.skip(first, 0, first.length);
        this.tailParts.shift();
        this.tailLen -= first.length;
      } else {
        this.skip(first, 0, over);
        this.tailParts[0] = first.subarray(over);
        this.tailLen -= over;
      }
    }
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
      const joined = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
      this.parts = [];
      this.emit(joined, 0, joined.length);
      return;
    }
    this.long = false;
    const l: LongLine = {
      head: this.head!,
      tail: Buffer.concat(this.tailParts),
      dropped: this.dropped,
      droppedSeps: this.droppedSeps,
      offset: this.offset,
      line: this.line++,
    };
    this.head = null;
    this.tailParts = [];
    this.tailLen = 0;
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
