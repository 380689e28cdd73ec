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
 *   for l1, l2 is deleted (joining two lines keeps the first); a range ending past the last line
 *   (the end of the document) leaves nothing of l2, which is deleted.
 * The tracker never sees the text, so a line emptied but not removed keeps its identity.
 * Full-text changes go through `applyFullText`, which diffs lines.
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

  /** Lines in the base text (what the profile saw). */
  get baseLineCount(): number {
    return this.baseCount;
  }

  /** Lines in the current text. */
  get lineCount(): number {
    return this.count;
  }

  /** True while no change moved any line (toCurrent and toBase are the identity). */
  get isIdentity(): boolean {
    return this.identity;
  }

  /** Makes the current text (of `lineCount` lines, at least 1) the new base: every line maps to itself. */
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
    this.ids = new Int32Array(n).fill(-1);
    this.count = n;
    this.identity = false;
    this.inverse = null;
  }

  /** Applies one LSP content change: `range` in current coordinates before the change. */
  applyChange(range: LineRange, text: string): void {
    let { start, end } = range;
    if (end.line < start.line || (end.line === start.line && end.character < start.character)) [start, end] = [end, start];
    // A position past the last line means the end of the document (as TextDocument.update has it).
    const last = this.count - 1;
    const l1 = Math.min(Math.max(0, start.line), last);
    const l2 = Math.min(Math.max(0, end.line), last);
    const c1 = start.line > last ? 1 : Math.max(0, start.character);
    const nothingOfL2Left = end.line > last;
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
    if (!nothingOfL2Left && (!firstKept || (l1 !== l2 && k > 0))) fresh[k] = b;
    this.splice(l1, l2 - l1 + 1, fresh);
    this.identity = false;
    this.inverse = null;
  }

  /**
   * Applies a full-text change (one without a range): lines are matched by content between the
   * text before and after it, so unchanged lines keep their identity and the others are new.
   * Matching keeps the common first and last lines and a longest common subsequence of the rest
   * (given up, all new, past MAX_DIFF differences: a rewrite that large is not an edit).
   */
  applyFullText(before: string, after: string): void {
    const a = before.split(/\r\n|\r|\n/);
    const b = after.split(/\r\n|\r|\n/);
    const map = matchLines(a, b);
    this.materialise();
    const old = this.ids;
    const ids = new Int32Array(Math.max(b.length, 1)).fill(-1);
    // `before` should have this.count lines; tolerate a mismatch by ignoring lines we never had.
    for (let j = 0; j < b.length; j++) if (map[j] >= 0 && map[j] < this.count) ids[j] = old[map[j]];
    this.ids = ids;
    this.count = b.length;
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

/** Edit distance past which a full-text diff stops looking for common lines. */
export const MAX_DIFF = 1000;

/**
 * For each line of `b`, the line of `a` it is kept from, or -1: equal first and last lines,
 * then Myers' O(ND) longest common subsequence of the middle.
 */
export function matchLines(a: readonly string[], b: readonly string[]): Int32Array {
  const out = new Int32Array(b.length).fill(-1);
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) out[p] = p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) {
    out[b.length - 1 - s] = a.length - 1 - s;
    s++;
  }
  const n = a.length - p - s;
  const m = b.length - p - s;
  if (n === 0 || m === 0) return out;
  // Lines as small integers, so that the inner loop compares numbers.
  const idOf = new Map<string, number>();
  const code = (line: string) => {
    let id = idOf.get(line);
    if (id === undefined) idOf.set(line, (id = idOf.size));
    return id;
  };
  const x = new Int32Array(n);
  const y = new Int32Array(m);
  for (let i = 0; i < n; i++) x[i] = code(a[p + i]);
  for (let j = 0; j < m; j++) y[j] = code(b[p + j]);
  const maxD = Math.min(n + m, MAX_DIFF);
  const off = maxD + 1;
  const v = new Int32Array(2 * maxD + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= maxD; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let i = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let j = i - k;
      while (i < n && j < m && x[i] === y[j]) {
        i++;
        j++;
      }
      v[off + k] = i;
      if (i >= n && j >= m) {
        backtrack(trace, d, n, m, (ai, bj) => (out[p + bj] = p + ai));
        return out;
      }
    }
  }
  return out; // too different: the middle lines are all new
}

/** Walks Myers' trace back from (n, m), reporting each diagonal (kept) step. */
function backtrack(trace: Int32Array[], dEnd: number, n: number, m: number, keep: (i: number, j: number) => void): void {
  let i = n;
  let j = m;
  for (let d = dEnd; d > 0; d--) {
    const v = trace[d]; // V before step d, indexed k + d + 1 (k in -d-1 .. d+1)
    const k = i - j;
    const at = (kk: number) => v[kk + d + 1];
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevI = at(prevK);
    const prevJ = prevI - prevK;
    while (i > prevI && j > prevJ) {
      i--;
      j--;
      keep(i, j);
    }
    // One insertion or deletion step to (prevI, prevJ).
    i = prevI;
    j = prevJ;
  }
  while (i > 0 && j > 0) {
    i--;
    j--;
    keep(i, j);
  }
}
