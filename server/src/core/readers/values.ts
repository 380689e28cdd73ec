import type { Profile } from '../model';
import type { IssueLog } from './types';

/**
 * The checks every reader applies to what it adds to a model, in one place:
 *
 * - **values that cannot be true are refused**: a model value must be finite, not negative, at
 *   most 2^53 - 1 (`Number.MAX_SAFE_INTEGER`), and the running sum of its metric must stay there
 *   too, so that every sum aggregation makes is exact for integer metrics. Readers map the raw
 *   numbers first: a negative raw value is legal only where the format means it (Austin memory
 *   deltas become `dealloc`), so a negative model value always means a value that cannot be true.
 *   The sample is skipped, with one counted issue per kind of problem and metric;
 * - **deep stacks are cut** to `MAX_STACK_DEPTH` frames: the `KEEP_ROOT` outermost and the
 *   `KEEP_LEAF` innermost frames stay, with one synthetic frame between them standing for the cut
 *   (docs/reliability.md says why these ends);
 * - **long names are cut** to `MAX_NAME_LENGTH` characters.
 */

/** The largest value (and sum of values) a model holds: beyond it, doubles no longer count by one. */
export const MAX_VALUE = Number.MAX_SAFE_INTEGER;
/** Frames kept of one stack, the cut marker included. */
export const MAX_STACK_DEPTH = 10_000;
/** Outermost frames kept of a deeper stack: where it started (the entry point, the thread's loop). */
export const KEEP_ROOT = 5_000;
/** Innermost frames kept: the leaf carries the own value, its callers are what hovers show. */
export const KEEP_LEAF = MAX_STACK_DEPTH - KEEP_ROOT - 1;
/** Characters kept of a file or function name. */
export const MAX_NAME_LENGTH = 4096;
/** Name of the synthetic frame that stands where a deep stack was cut. */
export const CUT_FRAME_NAME = `[stack cut here: deeper than ${MAX_STACK_DEPTH.toLocaleString('en-US')} frames]`;

const fmt = (n: number) => n.toLocaleString('en-US');

export class ReadChecks {
  private sums = new Float64Array(0);
  private scratch = new Float64Array(0);
  private marker = -1;

  /**
   * `offsets` qualifies byte offsets in messages when they are not the file's ('of the gunzipped
   * data'); issues then carry offset 0, the file offset being unknown.
   */
  constructor(
    private readonly profile: Profile,
    private readonly log: IssueLog,
    private readonly offsets?: string,
  ) {}

  private where(line: number, offset: number): string {
    if (line > 0) return `line ${line}`;
    return this.offsets ? `byte ${offset} ${this.offsets}` : `byte ${offset}`;
  }

  private first(line: number, offset: number): { offset: number; line: number | undefined; fatal: false } {
    return { offset: this.offsets ? 0 : offset, line: line > 0 ? line : undefined, fatal: false };
  }

  /**
   * Adds one sample's model values (one per metric) to `node` when every one can be true and no
   * metric's sum leaves the exact range; otherwise adds nothing and counts the problem. `line`
   * (1-based, 0 when the format has none) and `offset` say where the sample is.
   */
  add(node: number, values: Float64Array, line: number, offset: number): boolean {
    const m = values.length;
    let sums = this.sums;
    if (sums.length !== m) sums = this.sums = new Float64Array(m);
    // one pass: a sum within range means the value is too (sums start at 0 and only grow);
    // NaN fails every comparison. A refused sample takes back what it added to the sums.
    for (let k = 0; k < m; k++) {
      const v = values[k];
      const s = sums[k] + v;
      if (!(v >= 0 && s <= MAX_VALUE)) {
        for (let j = 0; j < k; j++) sums[j] -= values[j];
        this.refuse(k, v, line, offset);
        return false;
      }
      sums[k] = s;
    }
    this.profile.add(node, values);
    return true;
  }

  /**
   * Whether `add` would take these values, without adding them (a refusal is counted as `add`
   * counts it). Readers ask before they create a stack's nodes, so that a refused sample leaves
   * no trace in the model (no thread or frame of its own).
   */
  accepts(values: Float64Array, line: number, offset: number): boolean {
    const sums = this.sums;
    const m = values.length;
    for (let k = 0; k < m; k++) {
      const v = values[k];
      if (!(v >= 0 && (k < sums.length ? sums[k] : 0) + v <= MAX_VALUE)) {
        this.refuse(k, v, line, offset);
        return false;
      }
    }
    return true;
  }

  /** Takes back what `add` added (a record read provisionally at `end()` that more bytes complete). */
  remove(node: number, values: Float64Array): void {
    if (this.scratch.length !== values.length) this.scratch = new Float64Array(values.length);
    const neg = this.scratch;
    for (let k = 0; k < values.length; k++) {
      neg[k] = -values[k];
      this.sums[k] -= values[k];
    }
    this.profile.add(node, neg);
  }

  /** Refuses a raw value for a reason only the reader can judge (pstats own above total, ...). */
  refuseRecord(kind: string, line: number, offset: number, what: string, skipped = 'it was skipped', many = 'such records were skipped'): void {
    this.log.addCounted(`record:${kind}`, this.first(line, offset), (n) =>
      n === 1 ? `${this.where(line, offset)}: ${what}; ${skipped}` : `${this.where(line, offset)}: ${what}; ${fmt(n)} ${many}`,
    );
  }

  private refuse(k: number, v: number, line: number, offset: number): void {
    const label = this.profile.metrics[k]?.label ?? `value ${k + 1}`;
    let kind: string;
    let why: string;
    if (Number.isNaN(v) || !Number.isFinite(v)) [kind, why] = ['finite', `is ${v}, not a finite number`];
    else if (v < 0) [kind, why] = ['negative', `is negative (${v}), which it cannot be`];
    else if (v > MAX_VALUE) [kind, why] = ['large', `is ${v.toPrecision(4)}, beyond 2^53 - 1, the largest value counted exactly`];
    else [kind, why] = ['sum', `(${v}) would take the sum of ${label} past 2^53 - 1, the largest value counted exactly`];
    const what = `a sample's ${label} ${why}`;
    this.log.addCounted(`value:${kind}:${k}`, this.first(line, offset), (n) =>
      n === 1 ? `${this.where(line, offset)}: ${what}; the sample was skipped` : `${this.where(line, offset)}: ${what}; ${fmt(n)} such samples were skipped`,
    );
  }

  /** `s` cut to `MAX_NAME_LENGTH` characters (with an issue), or `s` itself. */
  name(s: string, line: number, offset: number): string {
    if (s.length <= MAX_NAME_LENGTH) return s;
    let k = MAX_NAME_LENGTH - 1;
    const c = s.charCodeAt(k - 1);
    if (c >= 0xd800 && c < 0xdc00) k--; // do not split a surrogate pair
    this.log.addCounted('name-cut', this.first(line, offset), (n) =>
      n === 1
        ? `${this.where(line, offset)}: a name of ${fmt(s.length)} characters is longer than the limit of ${fmt(MAX_NAME_LENGTH)}; it was cut`
        : `${this.where(line, offset)}: a name of ${fmt(s.length)} characters is longer than the limit of ${fmt(MAX_NAME_LENGTH)}; ${fmt(n)} such names were cut`,
    );
    return s.slice(0, k) + '\u2026';
  }

  /**
   * Cuts a stack of frame ids (root first) in place and returns its new depth. Frames
   * ids[0, head) are the root side and ids[head, n) the leaf side of a stack from which `dropped`
   * frames between the two were already left out (a line too long to hold: see LineSplitter);
   * with `dropped` 0 the stack is whole and `head` is ignored. A stack of at most
   * `MAX_STACK_DEPTH` frames with nothing dropped comes back unchanged.
   */
  cutStack(ids: Int32Array, n: number, line: number, offset: number, head = n, dropped = 0): number {
    if (dropped === 0 && n <= MAX_STACK_DEPTH) return n;
    let keepRoot: number;
    let keepLeaf: number;
    if (dropped === 0) {
      keepRoot = KEEP_ROOT;
      keepLeaf = KEEP_LEAF;
    } else {
      keepRoot = Math.min(head, KEEP_ROOT);
      keepLeaf = Math.min(n - head, KEEP_LEAF);
    }
    const total = n + dropped;
    if (this.marker < 0) this.marker = this.profile.frame('', CUT_FRAME_NAME, 0, { kind: 'synthetic' });
    ids.copyWithin(keepRoot + 1, n - keepLeaf, n);
    ids[keepRoot] = this.marker;
    this.log.addCounted('stack-cut', this.first(line, offset), (c) => {
      const what = `${this.where(line, offset)}: a stack of ${fmt(total)} frames is deeper than the limit of ${fmt(MAX_STACK_DEPTH)}; its ${fmt(keepRoot)} outermost and ${fmt(keepLeaf)} innermost frames were kept`;
      return c === 1 ? what : `${what}; ${fmt(c)} such stacks were cut`;
    });
    return keepRoot + 1 + keepLeaf;
  }
}

/**
 * Bounds a stack that is still being collected (frames pushed one by one, root first or leaf
 * first): once `n` reaches twice the depth limit, the middle is dropped, keeping `first` frames
 * at the start and `last` at the end. Returns the new length; the caller adds `n - result` to its
 * count of dropped frames and later calls `ReadChecks.cutStack` with `head = first`.
 */
export function compactStack(a: Int32Array, n: number, first: number, last: number): number {
  a.copyWithin(first, n - last, n);
  return first + last;
}
