import { decodeUtf8 } from './utf8-decode';

/**
 * Accumulates the bytes of one JSON string that crossed a chunk boundary or holds escapes, and
 * decodes it once complete, so a multi-byte UTF-8 sequence split between chunks decodes whole.
 * `\u` escapes arrive as UTF-16 code units and are re-encoded to UTF-8; surrogate pairs are
 * joined, and a lone surrogate becomes U+FFFD, as TextDecoder would do. Raw bytes that are not
 * UTF-8 become `\xNN` (utf8-decode.ts).
 */
export class Utf8Builder {
  private acc = new Uint8Array(256);
  private len = 0;
  /** A high surrogate waiting for its low half. */
  private high = 0;

  reset(): void {
    this.len = 0;
    this.high = 0;
  }

  /** Raw bytes of the string, buf[a, b). */
  append(buf: Uint8Array, a: number, b: number): void {
    if (a >= b) return;
    if (this.high) this.loneHigh();
    this.reserve(b - a);
    this.acc.set(buf.subarray(a, b), this.len);
    this.len += b - a;
  }

  /** One UTF-16 code unit from an escape (`\n`, `\u00e9`, half of a surrogate pair). */
  codeUnit(u: number): void {
    if (u >= 0xd800 && u < 0xdc00) {
      if (this.high) this.loneHigh();
      this.high = u;
    } else if (u >= 0xdc00 && u < 0xe000) {
      if (this.high) {
        const cp = 0x10000 + ((this.high - 0xd800) << 10) + (u - 0xdc00);
        this.high = 0;
        this.codePoint(cp);
      } else this.codePoint(0xfffd);
    } else {
      if (this.high) this.loneHigh();
      this.codePoint(u);
    }
  }

  /** The decoded string; the builder is then empty. */
  take(): string {
    if (this.high) this.loneHigh();
    const s = decodeUtf8(this.acc, 0, this.len);
    this.len = 0;
    if (this.acc.length > 65536) this.acc = new Uint8Array(256); // do not keep one huge string's buffer
    return s;
  }

  private loneHigh(): void {
    this.high = 0;
    this.codePoint(0xfffd);
  }

  private reserve(k: number): void {
    if (this.len + k <= this.acc.length) return;
    const next = new Uint8Array(Math.max(this.acc.length * 2, this.len + k));
    next.set(this.acc.subarray(0, this.len));
    this.acc = next;
  }

  private codePoint(cp: number): void {
    this.reserve(4);
    const a = this.acc;
    let k = this.len;
    if (cp < 0x80) a[k++] = cp;
    else if (cp < 0x800) {
      a[k++] = 0xc0 | (cp >> 6);
      a[k++] = 0x80 | (cp & 63);
    } else if (cp < 0x10000) {
      a[k++] = 0xe0 | (cp >> 12);
      a[k++] = 0x80 | ((cp >> 6) & 63);
      a[k++] = 0x80 | (cp & 63);
    } else {
      a[k++] = 0xf0 | (cp >> 18);
      a[k++] = 0x80 | ((cp >> 12) & 63);
      a[k++] = 0x80 | ((cp >> 6) & 63);
      a[k++] = 0x80 | (cp & 63);
    }
    this.len = k;
  }
}
