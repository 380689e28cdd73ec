/**
 * Reading a profile without starving requests. A reader parses a 1 MiB chunk of repeated stacks in
 * about a millisecond, but a chunk of new stacks (every line a stack never seen) in 150-450 ms of
 * CPU, more while other processes hold the cores: a hover waited for all of it (1 GB of distinct
 * stacks with two busy processes: p99 138 ms). The pacer cuts chunks into pieces the reader parses
 * in about SLICE_MS, learning its speed as it goes (slower at once, faster gradually), and turns the
 * event loop whenever a slice of work is used up, so that a request that arrived meanwhile is
 * answered first (the same case: p99 47 ms). The pieces are views of the chunk: no copy; reading
 * takes as long as before. Figures: docs/performance.md, "Hovers while a 1 GB profile loads, both cores busy".
 */
import type { ByteSource } from '../core/byte-source';

/** Parsing done between two turns of the event loop: a request waits about this long at most. */
export const SLICE_MS = 2;
const FIRST_PIECE = 32 * 1024;
const MIN_PIECE = 4 * 1024;
/** Turns of the event loop per yield (a few microseconds each when nothing waits). */
const YIELD_TURNS = 4;
/** Even a fast reader gets no more at once: its speed can fall tenfold from one piece to the next (new stacks). */
const MAX_PIECE = 128 * 1024;

export class Pacer {
  /** Bytes the reader parses per ms, smoothed; 0 until measured. */
  private rate = 0;
  private handedAt = 0;
  private handed = 0;
  private lastYield = performance.now();

  /** The source's chunks, cut into pieces of about SLICE_MS of parsing each. */
  source(inner: ByteSource): ByteSource {
    let rest: Uint8Array | undefined;
    return {
      next: async () => {
        if (!rest || rest.length === 0) {
          rest = (await inner.next()) ?? undefined;
          if (!rest) return null;
        }
        const n = Math.min(rest.length, this.pieceSize());
        // views of a fresh chunk: readers may keep them
        const piece = rest.subarray(0, n);
        rest = rest.subarray(n);
        this.handed = n;
        this.handedAt = performance.now();
        return piece;
      },
      close: () => inner.close(),
    };
  }

  /** Call after each piece was pushed: learns the reader's speed, and yields once a slice is used up. */
  async pushed(): Promise<void> {
    const now = performance.now();
    if (this.handed > 0) {
      const r = this.handed / Math.max(0.05, now - this.handedAt);
      // slower at once, faster gradually: a misjudged piece is what makes a request wait
      this.rate = this.rate === 0 || r < this.rate ? r : 0.8 * this.rate + 0.2 * r;
      this.handed = 0;
    }
    if (now - this.lastYield >= SLICE_MS) {
      // A request that arrived during the slice is read while the event loop polls, then passes
      // through vscode-jsonrpc in steps of one setImmediate each (the reader's semaphore, the
      // message queue): each turn here lets one step run before the next slice.
      for (let i = 0; i < YIELD_TURNS; i++) await new Promise<void>((r) => setImmediate(r));
      this.lastYield = performance.now();
    }
  }

  private pieceSize(): number {
    return this.rate === 0 ? FIRST_PIECE : Math.min(MAX_PIECE, Math.max(MIN_PIECE, Math.floor(this.rate * SLICE_MS)));
  }
}
