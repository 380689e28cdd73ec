/**
 * Keeps annotations on their lines while the user edits (design.md, "Lines move, data follows").
 * Annotations are computed against a base text (the file as the profile saw it); LSP incremental
 * changes then move, split, join and delete lines of the current text.
 */

export interface LinePosition {
  line: number;
  character: number;
}

export interface LineRange {
  start: LinePosition;
  end: LinePosition;
}

const NEWLINE = /\r\n|\r|\n/g;

function countNewlines(text: string): number {
  let n = 0;
  NEWLINE.lastIndex = 0;
  while (NEWLINE.exec(text)) n++;
  return n;
}

/**
 * Maps 0-based lines of the base text to lines of the current text and back.
 *
 * Rules for a change replacing the range (l1,c1)-(l2,c2) by text with k line breaks, giving
 * lines R0..Rk in place of l1..l2:
 * - lines strictly between l1 and l2 are deleted;
 * - l1 keeps its identity on R0 when c1 > 0 (its start survives: a split keeps the first part);
 *   a one-line change without line breaks always keeps the line (content edited in place);
 * - otherwise the identity of l2 (the same line for a one-line change) goes to Rk, where the rest
 *   of that line now is (lines inserted at column 0 push it down); when R0 = Rk was already kept
 *   for l1, l2 is deleted (joining two lines keeps the first).
 * The tracker never sees the text, so a line emptied but not removed keeps its identity.
 *
 * Cost: O(lines) per change that adds or removes lines, O(1) for edits inside a line; the
 * reverse map is rebuilt lazily, once per batch of changes.
 */
export class LineTracker {
  /** Base line of each current line, -1 for inserted lines. */
  private ids: Int32Array = new Int32Array(0);
  private count = 0;
  private baseCount = 0;
  private identity = true;
  /** current line of each base line, -1 for deleted ones; null when stale. */
  private inverse: Int32Array | null = null;

  constructor(baseLineCount: number) {
    this.reset(baseLineCount);
  }

  /** Lines in the current text. */
  get lineCount(): number {
    return this.count;
  }

  /** True while no change moved any line (toCurrent and toBase are the identity). */
  get isIdentity(): boolean {
    return this.identity;
  }

  /** Makes the current text the new base: every line maps to itself. */
  reset(lineCount: number): void {
    const n = Math.max(1, Math.floor(lineCount));
    this.count = n;
    this.baseCount = n;
    this.identity = true;
    this.inverse = null;
    this.ids = new Int32Array(n);
  }

  /**
   * After a full-text replacement the caller did not diff: keeps the base but maps none of it
   * into the new text of `lineCount` lines.
   */
  invalidate(lineCount: number): void {
    const n = Math.max(1, Math.floor(lineCount));
    this.materialise();
    this.ids = new Int32Array(n).fill(-1);
    this.count = n;
    this.identity = false;
    this.inverse = null;
  }

  /** Applies one LSP content change: `range` in current coordinates before the change. */
  applyChange(range: LineRange, text: string): void {
    let { start, end } = range;
    if (end.line < start.line || (end.line === start.line && end.character < start.character)) [start, end] = [end, start];
    // Positions past the end clamp to the last line, as LSP clients expect of servers.
    const last = this.count - 1;
    const l1 = Math.min(Math.max(0, start.line), last);
    const l2 = Math.min(Math.max(0, end.line), last);
    const c1 = start.line > last ? 1 : Math.max(0, start.character);
    const k = countNewlines(text);
    if (k === 0 && l1 === l2) return; // edit inside one line: nothing moves
    this.materialise();
    const ids = this.ids;
    const a = ids[l1];
    const b = ids[l2];
    const fresh = new Int32Array(k + 1).fill(-1);
    const firstKept = c1 > 0;
    if (firstKept) fresh[0] = a;
    // l2 takes the last new line unless that line is R0 and l1 already holds it (or is l2 itself).
    if (!firstKept || (l1 !== l2 && k > 0)) fresh[k] = b;
    this.splice(l1, l2 - l1 + 1, fresh);
    this.identity = false;
    this.inverse = null;
  }

  /** 0-based base line -> current line, or undefined if that line was deleted (or is out of range). */
  toCurrent(baseLine: number): number | undefined {
    if (!Number.isInteger(baseLine) || baseLine < 0 || baseLine >= this.baseCount) return undefined;
    if (this.identity) return baseLine;
    if (!this.inverse) {
      const inv = new Int32Array(this.baseCount).fill(-1);
      for (let r = 0; r < this.count; r++) {
        const b = this.ids[r];
        if (b >= 0) inv[b] = r;
      }
      this.inverse = inv;
    }
    const r = this.inverse[baseLine];
    return r >= 0 ? r : undefined;
  }

  /** Current line -> base line, or undefined for inserted lines (or out of range). */
  toBase(currentLine: number): number | undefined {
    if (!Number.isInteger(currentLine) || currentLine < 0 || currentLine >= this.count) return undefined;
    if (this.identity) return currentLine;
    const b = this.ids[currentLine];
    return b >= 0 ? b : undefined;
  }

  /** Fills the id array the first time lines move (until then the identity needs no lookups). */
  private materialise(): void {
    if (!this.identity) return;
    for (let i = 0; i < this.count; i++) this.ids[i] = i;
  }

  /** Replaces `remove` ids at `at` by `insert`, growing the buffer geometrically. */
  private splice(at: number, remove: number, insert: Int32Array): void {
    const newCount = this.count - remove + insert.length;
    let ids = this.ids;
    if (newCount > ids.length) {
      const grown = new Int32Array(Math.max(newCount, ids.length * 2));
      grown.set(ids.subarray(0, this.count));
      ids = grown;
    }
    ids.copyWithin(at + insert.length, at + remove, this.count);
    ids.set(insert, at);
    this.ids = ids;
    this.count = newCount;
  }
}
