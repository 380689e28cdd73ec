/**
 * The line splitter under any chunking: the same lines as splitting the whole text, and a line
 * past the limit handed over as its two ends with an exact count of what was left out, in time
 * and memory linear in the bytes whatever the chunk sizes (a 2 MiB tail used to be a list of
 * pieces shifted one by one: quadratic with tiny chunks, which the fuzz suite hit as hangs).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, type LongLine } from '../server/src/core/readers/line-splitter';

interface Seen {
  lines: string[];
  long: { head: string; tail: string; dropped: number; droppedSeps: number; offset: number; line: number }[];
}

function split(text: string, chunks: number[], maxLine: number): { seen: Seen; s: LineSplitter } {
  const seen: Seen = { lines: [], long: [] };
  const s = new LineSplitter((buf, a, b, offset, line) => seen.lines.push(`${line}@${offset}:${buf.toString('latin1', a, b)}`), {
    maxLine,
    sep: 59,
    onLongLine: (l: LongLine) => seen.long.push({ head: l.head.toString('latin1'), tail: l.tail.toString('latin1'), dropped: l.dropped, droppedSeps: l.droppedSeps, offset: l.offset, line: l.line }),
  });
  const b = Buffer.from(text, 'latin1');
  let pos = 0;
  let i = 0;
  while (pos < b.length) {
    const n = Math.max(1, chunks[i++ % chunks.length]);
    s.push(b.subarray(pos, pos + n));
    pos += n;
  }
  return { seen, s };
}

/** What the splitter must produce, computed directly from the whole text. */
function reference(text: string, maxLine: number): Seen {
  const seen: Seen = { lines: [], long: [] };
  const half = maxLine >> 1;
  let offset = 0;
  const parts = text.split('\n');
  parts.pop(); // after the last newline: carried, not a line
  parts.forEach((l, i) => {
    if (l.length > maxLine) {
      const mid = l.slice(half, l.length - half);
      seen.long.push({ head: l.slice(0, half), tail: l.slice(l.length - half), dropped: mid.length, droppedSeps: mid.split(';').length - 1, offset, line: i + 1 });
    } else seen.lines.push(`${i + 1}@${offset}:${l}`);
    offset += l.length + 1;
  });
  return seen;
}

describe('LineSplitter', () => {
  it('any chunking gives the lines of the whole text, long lines as their ends and an exact count', () => {
    const line = fc.oneof(fc.stringMatching(/^[a-z;]{0,12}$/), fc.stringMatching(/^[a-z;]{30,90}$/));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }), (lines, tail, chunks) => {
        const text = lines.join('\n') + (tail ? '\npartial' : '\n');
        const { seen, s } = split(text, chunks, 32);
        expect(seen).toEqual(reference(text, 32));
        expect(s.heldBytes).toBeLessThanOrEqual(32);
        expect(s.rest?.length ?? 0).toBe(tail ? 7 : 0);
      }),
      { seed: 5, numRuns: 400 },
    );
  });

  it('a 40 MB line in 13-byte chunks: linear, bounded, exact', () => {
    const s = new LineSplitter(() => undefined, { sep: 59, onLongLine: (l) => (got = l) });
    let got: LongLine | undefined;
    const piece = Buffer.from('abc;defghij;k'); // 13 bytes, 2 separators
    const pieces = 3_000_000;
    let max = 0;
    for (let i = 0; i < pieces; i++) {
      s.push(piece);
      if ((i & 0xffff) === 0) max = Math.max(max, s.heldBytes);
    }
    s.push(Buffer.from('\n'));
    const total = 13 * pieces;
    expect(got!.head.length + got!.tail.length).toBe(4 << 20);
    expect(got!.dropped).toBe(total - (4 << 20));
    // the left-out middle starts and ends inside pieces: count its separators directly
    const start = 2 << 20;
    const end = total - (2 << 20);
    const sepsBefore = (n: number) => 2 * Math.floor(n / 13) + [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2][n % 13];
    expect(got!.droppedSeps).toBe(sepsBefore(end) - sepsBefore(start));
    expect(max).toBeLessThanOrEqual(4 << 20);
    expect(s.offset).toBe(total + 1);
  });
});
