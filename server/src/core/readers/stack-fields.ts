import type { LongLine } from './line-splitter';
import { KEEP_LEAF, KEEP_ROOT } from './values';

/**
 * Byte-level cutting of a `;`-separated stack text (Austin text, folded stacks) before it is
 * decoded and split, so that a stack of millions of frames never becomes millions of strings.
 * Enough fields stay at each end for `ReadChecks.cutStack` to keep `KEEP_ROOT` / `KEEP_LEAF`
 * frames (twice as many, plus some: Austin 1.x writes a frame as two fields, and a thread prefix
 * comes first).
 */

export const HEAD_FIELDS = 2 * KEEP_ROOT + 8;
export const TAIL_FIELDS = 2 * KEEP_LEAF + 8;

/** A stack text cut in two: buf[s, headEnd) and buf[tailStart, e), with `dropped` fields left out between. */
export interface FieldCut {
  readonly headEnd: number;
  readonly tailStart: number;
  readonly dropped: number;
}

function count(buf: Uint8Array, a: number, b: number, sep: number): number {
  let n = 0;
  for (let i = a; i < b; i++) if (buf[i] === sep) n++;
  return n;
}

/** Position of the separator after the k-th field of buf[s, e), or -1 when there are at most k fields. */
function afterFields(buf: Buffer, s: number, e: number, sep: number, k: number): number {
  let p = s - 1;
  for (let i = 0; i < k; i++) {
    p = buf.indexOf(sep, p + 1);
    if (p < 0 || p >= e) return -1;
  }
  return p;
}

/** Position of the separator before the last k fields of buf[s, e), or -1 when there are at most k fields. */
function beforeFields(buf: Buffer, s: number, e: number, sep: number, k: number): number {
  let p = e;
  for (let i = 0; i < k; i++) {
    if (p - 1 < s) return -1;
    p = buf.lastIndexOf(sep, p - 1);
    if (p < s) return -1;
  }
  return p;
}

/**
 * For a stack text buf[s, e) with more fields than `HEAD_FIELDS + TAIL_FIELDS`, where to cut it;
 * undefined for a text that is kept whole. Costs nothing for texts shorter than that many bytes.
 */
export function cutFields(buf: Buffer, s: number, e: number, sep: number): FieldCut | undefined {
  if (e - s < HEAD_FIELDS + TAIL_FIELDS) return undefined;
  const a = afterFields(buf, s, e, sep, HEAD_FIELDS);
  if (a < 0) return undefined;
  const b = beforeFields(buf, a + 1, e, sep, TAIL_FIELDS);
  if (b < 0) return undefined;
  // fields strictly between the separators a and b
  return { headEnd: a, tailStart: b + 1, dropped: count(buf, a + 1, b, sep) + 1 };
}

/**
 * Where to cut a line the splitter could not hold (`LongLine`): its head up to the last whole field
 * (at most `HEAD_FIELDS`), its tail from the first whole field (at most `TAIL_FIELDS` before
 * `tailEnd`, where the reader's values begin), and how many fields were left out.
 */
export function cutLongLine(l: LongLine, tailEnd: number, sep: number): FieldCut {
  const { head, tail } = l;
  let headEnd = head.lastIndexOf(sep);
  let dropped = l.droppedSeps + 1;
  if (headEnd < 0) headEnd = 0;
  else {
    const a = afterFields(head, 0, headEnd, sep, HEAD_FIELDS);
    if (a >= 0) {
      dropped += count(head, a + 1, headEnd, sep) + 1;
      headEnd = a;
    }
  }
  let tailStart = tail.indexOf(sep);
  if (tailStart < 0 || tailStart >= tailEnd) tailStart = tailEnd;
  else {
    tailStart++;
    const b = beforeFields(tail, tailStart, tailEnd, sep, TAIL_FIELDS);
    if (b >= 0) {
      dropped += count(tail, tailStart, b, sep) + 1;
      tailStart = b + 1;
    }
  }
  return { headEnd, tailStart, dropped };
}
