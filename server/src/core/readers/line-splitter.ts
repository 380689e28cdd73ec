/**
 * Splits a byte stream into lines across chunk boundaries for the line-based readers (folded
 * stacks, perf script). Lines are handed over as byte ranges of the chunk, so a line is decoded
 * only when a reader needs its text; only a line cut by a chunk boundary is copied.
 */

const NL = 10;

/** Receives one line buf[s, e) without its `\n` (a trailing `\r` is left to the caller). */
export type LineHandler = (buf: Buffer, s: number, e: number, offset: number, line: number) => void;

export class LineSplitter {
  private carry: Buffer | null = null;
  private carryOffset = 0;
  private carryLine = 1;
  /** Byte offset of the next line's start. */
  offset = 0;
  /** 1-based number of the next line. */
  line = 1;

  constructor(private readonly onLine: LineHandler) {}

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    if (this.carry) {
      const nl = buf.indexOf(NL);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, buf]);
        return;
      }
      const joined = Buffer.concat([this.carry, buf.subarray(0, nl)]);
      this.carry = null;
      this.emit(joined, 0, joined.length);
      pos = nl + 1;
    }
    for (;;) {
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) break;
      this.emit(buf, pos, nl);
      pos = nl + 1;
    }
    if (pos < buf.length) {
      // copy: the caller may reuse its chunk buffer
      this.carry = Buffer.from(buf.subarray(pos));
      this.carryOffset = this.offset;
      this.carryLine = this.line;
    }
  }

  /** The bytes after the last newline (a line still being written, or a truncated one). */
  get rest(): { bytes: Buffer; offset: number; line: number } | undefined {
    if (!this.carry || this.carry.length === 0) return undefined;
    return { bytes: this.carry, offset: this.carryOffset, line: this.carryLine };
  }

  private emit(buf: Buffer, s: number, e: number): void {
    const offset = this.offset;
    const line = this.line++;
    this.offset += e - s + 1;
    this.onLine(buf, s, e, offset, line);
  }
}
