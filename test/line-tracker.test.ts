import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineTracker, matchLines, type LineRange } from '../server/src/core/line-tracker';

const at = (line: number, character: number) => ({ line, character });
const range = (l1: number, c1: number, l2: number, c2: number): LineRange => ({ start: at(l1, c1), end: at(l2, c2) });

/** A text document that applies LSP changes to real text, for checking the tracker against it. */
class Doc {
  constructor(public text: string) {}
  get lines(): string[] {
    return this.text.split(/\r\n|\r|\n/);
  }
  private offset(line: number, character: number): number {
    const re = /\r\n|\r|\n/g;
    let start = 0;
    for (let l = 0; l < line; l++) {
      const m = re.exec(this.text);
      if (!m) return this.text.length;
      start = m.index + m[0].length;
    }
    const m = re.exec(this.text);
    const end = m ? m.index : this.text.length;
    return Math.min(start + character, end);
  }
  apply(r: LineRange, text: string): void {
    const a = this.offset(r.start.line, r.start.character);
    const b = this.offset(r.end.line, r.end.character);
    this.text = this.text.slice(0, a) + text + this.text.slice(b);
  }
}

/**
 * The rules of line-tracker.ts written the naive way: one JS array of base ids, one per line,
 * spliced per change.
 */
function referenceApply(ids: number[], r: LineRange, text: string): void {
  const { line: l1, character: c1 } = r.start;
  const l2 = r.end.line;
  const k = text.split(/\r\n|\r|\n/).length - 1;
  if (l1 === l2 && k === 0) return;
  const fresh: number[] = new Array(k + 1).fill(-1);
  if (c1 > 0) fresh[0] = ids[l1];
  if (c1 === 0) fresh[k] = ids[l2];
  else if (l2 > l1 && k > 0) fresh[k] = ids[l2];
  ids.splice(l1, l2 - l1 + 1, ...fresh);
}

function baseText(n: number): string {
  return Array.from({ length: n }, (_, i) => `L${i}:${'abcdefgh'.slice(0, i % 7)}`).join('\n');
}

describe('LineTracker: the edits users make', () => {
  it('starts as the identity', () => {
    const t = new LineTracker(10);
    expect(t.isIdentity).toBe(true);
    expect(t.toCurrent(4)).toBe(4);
    expect(t.toBase(9)).toBe(9);
    expect(t.toCurrent(10)).toBeUndefined();
    expect(t.toBase(-1)).toBeUndefined();
    expect(t.lineCount).toBe(10);
  });

  it('moves a hot line down 3 when 3 lines are inserted above it (at column 0)', () => {
    const t = new LineTracker(40);
    t.applyChange(range(20, 0, 20, 0), 'a = 1\nb = 2\nc = 3\n');
    expect(t.toCurrent(27)).toBe(30);
    expect(t.toCurrent(20)).toBe(23);
    expect(t.toCurrent(19)).toBe(19);
    expect([20, 21, 22].map((l) => t.toBase(l))).toEqual([undefined, undefined, undefined]);
    expect(t.toBase(30)).toBe(27);
    expect(t.lineCount).toBe(43);
  });

  it('moves a hot line down 3 when 3 lines are typed after the end of the line above', () => {
    const t = new LineTracker(40);
    t.applyChange(range(19, 12, 19, 12), '\nx\ny\nz');
    expect(t.toCurrent(19)).toBe(19);
    expect(t.toCurrent(20)).toBe(23);
    expect(t.toBase(20)).toBeUndefined();
  });

  it('keeps a line when text is typed, replaced or deleted inside it', () => {
    const t = new LineTracker(10);
    t.applyChange(range(5, 3, 5, 3), 'hello');
    t.applyChange(range(5, 0, 5, 8), '');
    t.applyChange(range(5, 0, 5, 0), 'x');
    expect(t.toCurrent(5)).toBe(5);
    expect(t.isIdentity).toBe(true);
  });

  it('removes a deleted hot line, whichever way the deletion is expressed', () => {
    // Whole line with its newline, from column 0 of the line to column 0 of the next.
    const a = new LineTracker(10);
    a.applyChange(range(5, 0, 6, 0), '');
    expect(a.toCurrent(5)).toBeUndefined();
    expect(a.toCurrent(6)).toBe(5);
    expect(a.toCurrent(4)).toBe(4);
    // From the end of the previous line to the end of the hot line (backspacing it away).
    const b = new LineTracker(10);
    b.applyChange(range(4, 7, 5, 9), '');
    expect(b.toCurrent(5)).toBeUndefined();
    expect(b.toCurrent(4)).toBe(4);
    expect(b.toCurrent(6)).toBe(5);
  });

  it('moves a hot line up when lines above it are deleted', () => {
    const t = new LineTracker(50);
    t.applyChange(range(10, 0, 14, 0), '');
    expect(t.toCurrent(30)).toBe(26);
    expect([10, 11, 12, 13].map((l) => t.toCurrent(l))).toEqual([undefined, undefined, undefined, undefined]);
    expect(t.toCurrent(14)).toBe(10);
  });

  it('keeps the base line on the first part when a line is split in the middle', () => {
    const t = new LineTracker(10);
    t.applyChange(range(3, 4, 3, 4), '\n');
    expect(t.toCurrent(3)).toBe(3);
    expect(t.toBase(4)).toBeUndefined();
    expect(t.toCurrent(4)).toBe(5);
  });

  it('moves a line down when Enter is pressed at its start', () => {
    const t = new LineTracker(10);
    t.applyChange(range(3, 0, 3, 0), '\n');
    expect(t.toCurrent(3)).toBe(4);
    expect(t.toBase(3)).toBeUndefined();
  });

  it('keeps the first line when two lines are joined', () => {
    const t = new LineTracker(10);
    t.applyChange(range(3, 9, 4, 0), '');
    expect(t.toCurrent(3)).toBe(3);
    expect(t.toCurrent(4)).toBeUndefined();
    expect(t.toCurrent(5)).toBe(4);
    expect(t.lineCount).toBe(9);
  });

  it('keeps both ends of a multi-line replacement that leaves text on both sides', () => {
    const t = new LineTracker(10);
    t.applyChange(range(2, 3, 5, 1), 'x\ny');
    expect(t.toCurrent(2)).toBe(2);
    expect([3, 4].map((l) => t.toCurrent(l))).toEqual([undefined, undefined]);
    expect(t.toCurrent(5)).toBe(3);
    expect(t.toCurrent(6)).toBe(4);
  });

  it('composes many edits and maps back and forth consistently', () => {
    const t = new LineTracker(100);
    for (let i = 0; i < 10; i++) t.applyChange(range(0, 0, 0, 0), 'import x\n');
    t.applyChange(range(50, 0, 52, 0), '');
    expect(t.toCurrent(0)).toBe(10);
    expect(t.toCurrent(39)).toBe(49);
    expect(t.toCurrent(40)).toBeUndefined();
    expect(t.toCurrent(41)).toBeUndefined();
    expect(t.toCurrent(42)).toBe(50);
    for (let b = 0; b < 100; b++) {
      const c = t.toCurrent(b);
      if (c !== undefined) expect(t.toBase(c)).toBe(b);
    }
  });

  it('counts \\r\\n and \\r as one line break each', () => {
    const t = new LineTracker(5);
    t.applyChange(range(1, 0, 1, 0), 'a\r\nb\rc\n');
    expect(t.toCurrent(1)).toBe(4);
    expect(t.lineCount).toBe(8);
  });

  it('clamps positions past the end and accepts a reversed range', () => {
    const t = new LineTracker(3);
    t.applyChange(range(3, 0, 3, 0), '\nappended');
    expect(t.lineCount).toBe(4);
    expect(t.toCurrent(2)).toBe(2);
    const r = new LineTracker(10);
    r.applyChange(range(6, 0, 5, 0), '');
    expect(r.toCurrent(5)).toBeUndefined();
    expect(r.toCurrent(6)).toBe(5);
  });

  it('reset makes the current text the base; invalidate forgets every base line', () => {
    const t = new LineTracker(10);
    t.applyChange(range(0, 0, 0, 0), '\n\n');
    t.reset(12);
    expect(t.isIdentity).toBe(true);
    expect(t.toCurrent(11)).toBe(11);
    t.invalidate(7);
    expect(t.lineCount).toBe(7);
    expect(t.toCurrent(3)).toBeUndefined();
    expect(t.toBase(3)).toBeUndefined();
  });

  it('handles thousands of edits on a 10k-line file', () => {
    const n = 10000;
    const t = new LineTracker(n);
    const ref = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < 3000; i++) {
      const line = (i * 7919) % (ref.length - 2);
      const r = i % 3 === 0 ? range(line, 0, line, 0) : i % 3 === 1 ? range(line, 0, line + 1, 0) : range(line, 2, line, 2);
      const text = i % 3 === 0 ? 'new\n' : i % 3 === 1 ? '' : 'typed';
      t.applyChange(r, text);
      referenceApply(ref, r, text);
      if (i % 500 === 0) expect(t.toCurrent(n - 1)).toBe(ref.indexOf(n - 1) < 0 ? undefined : ref.indexOf(n - 1));
    }
    expect(t.lineCount).toBe(ref.length);
    for (let c = 0; c < ref.length; c++) expect(t.toBase(c) ?? -1).toBe(ref[c]);
  });
});

describe('LineTracker: random edits against real text', () => {
  const edit = (doc: Doc, seed: { l1: number; c1: number; span: number; c2: number; text: string }) => {
    const lines = doc.lines;
    const l1 = seed.l1 % lines.length;
    const l2 = Math.min(lines.length - 1, l1 + seed.span);
    const c1 = seed.c1 % (lines[l1].length + 1);
    let c2 = seed.c2 % (lines[l2].length + 1);
    if (l2 === l1 && c2 < c1) c2 = c1;
    return { r: range(l1, c1, l2, c2), text: seed.text };
  };
  const seedArb = fc.record({
    l1: fc.nat(200),
    c1: fc.nat(20),
    span: fc.oneof(fc.constant(0), fc.constant(0), fc.nat(4)),
    c2: fc.nat(20),
    text: fc
      .array(fc.constantFrom('x', 'yz', '\n', '\r\n', ' '), { maxLength: 6 })
      .map((parts) => parts.join('')),
  });

  it('matches the naive reference, keeps untouched lines, and stays a monotone bijection', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(seedArb, { minLength: 1, maxLength: 40 }), (n, seeds) => {
        const base = baseText(n);
        const baseLines = base.split('\n');
        const doc = new Doc(base);
        const t = new LineTracker(n);
        const ref = Array.from({ length: n }, (_, i) => i);
        // Base id of each line no change has touched (its range or its result), -1 otherwise.
        const untouched = Array.from({ length: n }, (_, i) => i);
        for (const s of seeds) {
          const { r, text } = edit(doc, s);
          doc.apply(r, text);
          t.applyChange(r, text);
          referenceApply(ref, r, text);
          const k = text.split(/\r\n|\r|\n/).length - 1;
          untouched.splice(r.start.line, r.end.line - r.start.line + 1, ...new Array<number>(k + 1).fill(-1));
        }
        const lines = doc.lines;
        expect(t.lineCount).toBe(lines.length);
        expect(ref.length).toBe(lines.length);
        let prev = -1;
        for (let c = 0; c < lines.length; c++) {
          const b = t.toBase(c);
          expect(b ?? -1).toBe(ref[c]);
          if (b !== undefined) {
            expect(b).toBeGreaterThan(prev); // order is preserved
            prev = b;
            expect(t.toCurrent(b)).toBe(c);
          }
          // A line no change touched is still its original line, text and all.
          if (untouched[c] >= 0) {
            expect(b).toBe(untouched[c]);
            expect(lines[c]).toBe(baseLines[untouched[c]]);
          }
        }
        for (let b = 0; b < n; b++) {
          const c = t.toCurrent(b);
          if (c !== undefined) expect(t.toBase(c)).toBe(b);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('LineTracker: full-text changes', () => {
  /** Length of a longest common subsequence, by dynamic programming. */
  function lcs(a: string[], b: string[]): number {
    const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        dp[i][j] = a[i - 1] === b[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
    return dp[a.length][b.length];
  }

  it('matchLines keeps a longest common subsequence of lines, in order', () => {
    const line = fc.constantFrom('a', 'b', 'c', 'd', '');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(line, { maxLength: 30 }), (a, b) => {
        const m = matchLines(a, b);
        let kept = 0;
        let prev = -1;
        for (let j = 0; j < b.length; j++) {
          if (m[j] < 0) continue;
          expect(a[m[j]]).toBe(b[j]);
          expect(m[j]).toBeGreaterThan(prev);
          prev = m[j];
          kept++;
        }
        expect(kept).toBe(lcs(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  it('moves lines with a full-text replacement: inserted above, deleted, edited', () => {
    const before = baseText(10);
    const lines = before.split('\n');
    const after = ['# new', ...lines.slice(0, 3), lines[3] + ' edited', ...lines.slice(5)].join('\n');
    const t = new LineTracker(10);
    t.applyFullText(before, after);
    expect(t.lineCount).toBe(10);
    expect(t.toBase(0)).toBeUndefined();
    expect([0, 1, 2].map((b) => t.toCurrent(b))).toEqual([1, 2, 3]);
    expect(t.toCurrent(3)).toBeUndefined(); // rewritten
    expect(t.toCurrent(4)).toBeUndefined(); // deleted
    expect(t.toCurrent(5)).toBe(5);
    expect(t.toCurrent(9)).toBe(9);
  });

  it('composes full-text and incremental changes', () => {
    const t = new LineTracker(5);
    t.applyChange(range(0, 0, 0, 0), 'x\n');
    // The base's line 0 is now line 1; a full replacement that deletes line 0 moves it back up.
    t.applyFullText('x\nL0\nL1\nL2\nL3\nL4', 'L0\nL1\nL2\nL3\nL4');
    expect(t.toCurrent(0)).toBe(0);
    expect(t.toCurrent(4)).toBe(4);
  });

  it('gives up matching, rather than stalling, on texts with nothing in common', () => {
    const a = Array.from({ length: 5000 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 5000 }, (_, i) => `b${i}`);
    const m = matchLines(['same', ...a, 'end'], ['same', ...b, 'end']);
    expect(m[0]).toBe(0);
    expect(m[5001]).toBe(5001);
    expect(m.slice(1, 5001).every((x) => x === -1)).toBe(true);
  });

  it('treats a range ending past the last line as the end of the document', () => {
    const doc = new Doc('L0\nL1\nL2');
    const t = new LineTracker(3);
    const r = range(1, 0, 3, 0);
    doc.apply(r, 'new\n');
    t.applyChange(r, 'new\n');
    expect(doc.lines).toEqual(['L0', 'new', '']);
    expect(t.lineCount).toBe(3);
    expect([0, 1, 2].map((b) => t.toCurrent(b))).toEqual([0, undefined, undefined]);
  });
});
