/**
 * Framing checks for the stdio transport. vscode-jsonrpc's StreamMessageReader cannot resynchronise
 * after a bad header: a frame without Content-Length, with a non-numeric one, a body shorter or
 * longer than announced, or bytes that never form a header leave it waiting forever while the
 * client waits for answers (measured: alive but silent until stdin closes). `FramingGuard` follows
 * the same bytes beside it (headers are parsed, bodies skipped by length) and reports the first
 * violation, so that the server can say what went wrong and exit for the editor to restart it.
 */

/** Longest header block accepted (a real one is under 100 bytes). */
const MAX_HEADER_BYTES = 8192;
/** A message begun but not completed for this long: the client is stuck or the stream is broken. */
export const STALL_MS = 10_000;
const HEADER_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\r\n]*$/;
/** What a header line read so far may be: empty, or a field name (at least one character) and perhaps its colon. */
const TOKEN_PREFIX = /^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+(?::|$)|$)/;

export class FramingGuard {
  /** Header bytes of the message being read (latin1: one char per byte). */
  private head = '';
  /** Body bytes still to come; 0 while reading a header. */
  private remaining = 0;
  private failed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly fail: (why: string) => void) {}

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && !this.failed) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      const c = chunk[i++];
      this.head += String.fromCharCode(c);
      if (this.head.length > MAX_HEADER_BYTES) return this.stop(`a header longer than ${MAX_HEADER_BYTES} bytes (no blank line ends it)`);
      if (this.head.endsWith('\r\n\r\n')) this.endHeader();
      else this.checkPartial();
    }
    this.arm();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.failed = true;
  }

  /** Inside a message: a stall fails; between messages: nothing to wait for. */
  private arm(): void {
    clearTimeout(this.timer);
    if (this.failed || (this.head === '' && this.remaining === 0)) return;
    this.timer = setTimeout(() => this.stop(`a message left incomplete for ${STALL_MS / 1000} s (${this.remaining > 0 ? `${this.remaining} bytes of its body missing` : 'in its header'})`), STALL_MS);
    this.timer.unref();
  }

  private endHeader(): void {
    const lines = this.head.slice(0, -4).split('\r\n');
    this.head = '';
    let length: string | undefined;
    for (const line of lines) {
      if (!HEADER_LINE.test(line)) return this.stop(`a malformed header line ${JSON.stringify(line.slice(0, 80))}`);
      const colon = line.indexOf(':');
      if (line.slice(0, colon).toLowerCase() === 'content-length') length = line.slice(colon + 1).trim();
    }
    if (length === undefined) return this.stop('a header without Content-Length');
    if (!/^\d{1,15}$/.test(length)) return this.stop(`Content-Length ${JSON.stringify(length.slice(0, 40))} is not a byte count`);
    const n = Number(length);
    if (n === 0) return this.stop('an empty message (Content-Length: 0)');
    this.remaining = n;
  }

  /** Fails as soon as the header being read cannot become a valid one. */
  private checkPartial(): void {
    const h = this.head;
    const at = h.length - 1;
    if (h[at] === '\n' && h[at - 1] !== '\r') return this.stop('a header line ended by a bare LF (headers end with CRLF)');
    if (at > 0 && h[at - 1] === '\r' && h[at] !== '\n') return this.stop('a bare CR in a header');
    const line = h.slice(h.lastIndexOf('\n') + 1).replace(/\r$/, '');
    if (!TOKEN_PREFIX.test(line)) return this.stop(`bytes that are not a header: ${JSON.stringify(line.slice(0, 80))}`);
  }

  private stop(why: string): void {
    if (this.failed) return;
    this.failed = true;
    clearTimeout(this.timer);
    this.fail(why);
  }
}
