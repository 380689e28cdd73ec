import { type FrameKind, Profile } from '../model';
import { LineSplitter, type LongLine } from './line-splitter';
import { cutFields, cutLongLine } from './stack-fields';
import { IssueLog, type ProfileReader, type ReadIssue } from './types';
import { decodeUtf8 } from './utf8-decode';
import { ReadChecks } from './values';

/**
 * Collapsed ("folded") stacks: `frame;frame;...;leaf count`, root first, one stack per line, as
 * written by FlameGraph's stackcollapse-*.pl, inferno-collapse-* and `py-spy record --format raw`.
 *
 * - The count is the text after the last blank and may be fractional: kept exactly (inferno
 *   truncates fractions; flamegraph.pl keeps them). A second trailing count (differential folded
 *   files) is skipped: the last count is read, as flamegraph.pl sizes frames by it.
 * - One metric, key `samples`. FlameGraph's perf collapse sums perf periods (nanoseconds of
 *   cpu-clock), not sample counts, and a folded file does not say which, so the label is
 *   "samples (weight)"; py-spy raw output (recognised by its `name (file:line)` frames or thread
 *   roots) is relabelled "samples", as py-spy counts samples.
 * - Frames: `name (file:line)` (py-spy), `func:file:line` (stackcollapse --srcline/--context),
 *   `sym+0x1f (dso)` (perf frames that stackcollapse-perf could not split, from `perf script -F
 *   +srcline` of perf 6.1: the symbol is recovered, the frame is synthetic at the dso), else a
 *   bare function name. A bare name maps to no file: file '', line 0, kind 'synthetic', name kept
 *   so hovers and callers can still show it. Annotations `_[k]`, `_[i]`, `_[j]`, `_[w]` are stripped
 *   (`_[k]` marks kernel code, so it stays synthetic).
 * - Root pseudo-frames become the sample's process/thread instead of frames: py-spy's
 *   `process <pid>:"cmd"` (the last of the ancestors wins) and `thread (<tid>)[: name]`, and the
 *   `comm-PID` / `comm-PID/TID` roots of stackcollapse-perf `--pid`/`--tid`.
 * - Lines that are not `stack count` are skipped and reported once (first line, and how many).
 * - Counts that cannot be true (beyond 2^53, or summing past it) are refused, stacks deeper than
 *   10,000 frames are cut and lines longer than 4 MiB are read from their ends (values.ts).
 */

const SPACE = 32;
const TAB = 9;
const SEMI = 59;
const COUNT = /^\d+(?:\.\d*)?$/;
const TRAILING_COUNT = /[ \t]+\d+(?:\.\d*)?$/;
const ANNOTATION = /_\[([kijw])\]$/;
const PYSPY_PROCESS = /^process (\d+):/;
const PYSPY_THREAD = /^thread \(([^)]*)\)(?:: (.*))?$/;
const PERF_ROOT = /^(.+)-(\d+)(?:\/(\d+))?$/;
const PERF_SYMBOL = /(?:^|\s)(\S+)\+0x[0-9a-fA-F]+(?:\s+\((.*)\))?$/;
const PYSPY_FRAME = /^(.*) \((.*?)(?::(\d+))?\)$/;
const SRCLINE_FRAME = /^(.+?):((?:[A-Za-z]:[\\/])?[^:]+):(\d+)$/;

export interface FoldedFrame {
  file: string;
  name: string;
  line: number;
  kind: FrameKind;
  /** True when the frame text had py-spy's `name (file:line)` shape. */
  pyspy: boolean;
}

function syntheticFile(file: string): boolean {
  return file === '' || file === '??' || (file.startsWith('<') && file.endsWith('>'));
}

/** Parses one frame of a folded stack (see the module comment for the shapes recognised). */
export function parseFoldedFrame(text: string): FoldedFrame {
  let f = text;
  let kernel = false;
  const ann = ANNOTATION.exec(f);
  if (ann) {
    f = f.slice(0, -4);
    kernel = ann[1] === 'k';
  }
  const perf = PERF_SYMBOL.exec(f);
  if (perf) return { file: perf[2] ?? '', name: perf[1], line: 0, kind: 'synthetic', pyspy: false };
  const py = PYSPY_FRAME.exec(f);
  if (py && py[2] !== '' && (py[3] !== undefined || /[./\\<]/.test(py[2]))) {
    const file = py[2];
    const line = py[3] !== undefined ? Number(py[3]) : 0;
    const synthetic = kernel || syntheticFile(file);
    return { file, name: py[1], line, kind: synthetic ? 'synthetic' : 'source', pyspy: true };
  }
  const src = SRCLINE_FRAME.exec(f);
  if (src) {
    const file = src[2];
    if (syntheticFile(file)) return { file: '', name: src[1], line: 0, kind: 'synthetic', pyspy: false };
    return { file, name: src[1], line: Number(src[3]), kind: kernel ? 'synthetic' : 'source', pyspy: false };
  }
  return { file: '', name: f, line: 0, kind: 'synthetic', pyspy: false };
}

export class CollapsedReader implements ProfileReader {
  readonly format = 'collapsed';
  private readonly log = new IssueLog();
  private readonly lines: LineSplitter;
  /** Raw stack text (latin1, so equal keys mean equal bytes) -> call-tree node. */
  private readonly cache = new Map<string, number>();
  private readonly values = new Float64Array(1);
  private ids = new Int32Array(128);
  private differential = false;
  private pyspy = false;
  private readonly checks: ReadChecks;
  /** Where the stack being resolved is, for issues. */
  private lineNo = 0;
  private lineOffset = 0;
  consumed = 0;
  failed = false;

  constructor(readonly profile: Profile = new Profile()) {
    profile.format = this.format;
    profile.setMetrics([{ key: 'samples', label: 'samples (weight)', unit: 'count' }]);
    this.checks = new ReadChecks(profile, this.log);
    this.lines = new LineSplitter((buf, s, e, offset, line) => this.line(buf, s, e, offset, line), {
      onLongLine: (l) => this.longLine(l),
      sep: SEMI,
    });
  }

  get issues(): readonly ReadIssue[] {
    return this.log.issues;
  }

  push(chunk: Uint8Array): void {
    // a file that grows after `end()` continues: its last line was not truncated after all
    this.log.clearProvisional();
    this.lines.push(chunk);
  }

  end(): void {
    this.log.clearProvisional();
    const rest = this.lines.rest;
    if (!rest) return;
    this.log.addProvisional({
      message: `line ${rest.line} is incomplete (no newline at the end of the file); it was ignored`,
      offset: rest.offset,
      line: rest.line,
      fatal: false,
    });
  }

  private line(buf: Buffer, s: number, e: number, offset: number, lineNo: number): void {
    this.consumed = offset + (e - s) + 1;
    this.lineNo = lineNo;
    this.lineOffset = offset;
    if (e > s && buf[e - 1] === 13) e--;
    while (e > s && (buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--;
    if (e === s || buf[s] === 35 /* # */) return;
    let sp = e - 1;
    while (sp >= s && buf[sp] !== SPACE && buf[sp] !== TAB) sp--;
    const count = sp >= s ? parseCount(buf, sp + 1, e) : NaN;
    if (Number.isNaN(count)) return this.badLine(lineNo, offset);
    let stackEnd = sp;
    while (stackEnd > s && (buf[stackEnd - 1] === SPACE || buf[stackEnd - 1] === TAB)) stackEnd--;
    if (stackEnd === s) return this.badLine(lineNo, offset);
    let key = buf.toString('latin1', s, stackEnd);
    let node = this.cache.get(key);
    if (node === undefined) {
      const diff = TRAILING_COUNT.exec(key);
      if (diff) {
        // differential folded file (`stack before after`): the first count is not part of the stack
        key = key.slice(0, diff.index);
        this.noteDifferential(lineNo, offset);
        node = this.cache.get(key);
      }
      this.values[0] = count;
      // a refused sample creates no node (nor thread, nor frame) of its own
      if (node === undefined && !this.checks.accepts(this.values, lineNo, offset)) return;
      if (node === undefined) {
        node = this.resolveBytes(Buffer.from(key, 'latin1'));
        this.cache.set(key, node);
      }
      if (diff) this.cache.set(buf.toString('latin1', s, stackEnd), node);
    }
    this.values[0] = count;
    this.checks.add(node, this.values, lineNo, offset);
  }

  /** A line longer than the splitter holds: its count from the tail, its stack cut in the middle. */
  private longLine(l: LongLine): void {
    this.consumed = this.lines.offset;
    this.lineNo = l.line;
    this.lineOffset = l.offset;
    const { head, tail } = l;
    if (head[0] === 35 /* # */) return;
    let e = tail.length;
    if (e > 0 && tail[e - 1] === 13) e--;
    while (e > 0 && (tail[e - 1] === SPACE || tail[e - 1] === TAB)) e--;
    let sp = e - 1;
    while (sp >= 0 && tail[sp] !== SPACE && tail[sp] !== TAB) sp--;
    const count = sp >= 0 ? parseCount(tail, sp + 1, e) : NaN;
    if (Number.isNaN(count)) return this.badLine(l.line, l.offset);
    let stackEnd = sp;
    while (stackEnd > 0 && (tail[stackEnd - 1] === SPACE || tail[stackEnd - 1] === TAB)) stackEnd--;
    this.values[0] = count;
    if (!this.checks.accepts(this.values, l.line, l.offset)) return;
    const cut = cutLongLine(l, stackEnd, SEMI);
    const node = this.resolveParts(
      decodeUtf8(head, 0, cut.headEnd).split(';'),
      cut.tailStart < stackEnd ? decodeUtf8(tail, cut.tailStart, stackEnd).split(';') : [],
      cut.dropped,
    );
    this.values[0] = count;
    this.checks.add(node, this.values, l.line, l.offset);
  }

  private badLine(lineNo: number, offset: number): void {
    this.log.addRepeated('is not a folded stack (`frame;frame count`)', lineNo, offset);
  }

  private noteDifferential(lineNo: number, offset: number): void {
    if (this.differential) return;
    this.differential = true;
    this.log.add({
      message: `line ${lineNo} has two counts (a differential folded file); the second count is read`,
      offset,
      line: lineNo,
      fatal: false,
    });
  }

  /** Slow path for a stack not seen before (its raw bytes): cut if very deep, then resolved. */
  private resolveBytes(b: Buffer): number {
    const cut = cutFields(b, 0, b.length, SEMI);
    if (!cut) return this.resolveParts(decodeUtf8(b).split(';'), [], 0);
    return this.resolveParts(decodeUtf8(b, 0, cut.headEnd).split(';'), decodeUtf8(b, cut.tailStart, b.length).split(';'), cut.dropped);
  }

  /**
   * Thread roots, frames, then the call-tree walk. `parts` are the stack's fields; when it was cut,
   * `inner` holds its innermost fields and `dropped` counts the fields left out between.
   */
  private resolveParts(parts: string[], inner: string[], dropped: number): number {
    const p = this.profile;
    const c = this.checks;
    const ln = this.lineNo;
    const at = this.lineOffset;
    let i = 0;
    let pid = '';
    let tid = '';
    let label: string | undefined;
    let m: RegExpExecArray | null;
    while (i < parts.length - 1 && (m = PYSPY_PROCESS.exec(parts[i]))) {
      pid = m[1];
      i++;
      this.sawPyspy();
    }
    if (i < parts.length && (m = PYSPY_THREAD.exec(parts[i]))) {
      tid = m[1];
      label = m[2] || undefined;
      i++;
      this.sawPyspy();
    } else if (i === 0 && parts.length > 1 && (m = PERF_ROOT.exec(parts[0]))) {
      pid = m[2];
      tid = m[3] ?? '';
      label = m[3] ? `${m[1]} ${m[3]}` : `${m[1]} ${m[2]}`;
      i++;
    }
    const t = p.thread(c.name(pid, ln, at), c.name(tid, ln, at), '', label === undefined ? (pid || tid ? undefined : 'all samples') : c.name(label, ln, at));
    const n = parts.length - i + inner.length + 1;
    if (this.ids.length < n) this.ids = new Int32Array(n * 2);
    let depth = 0;
    const frame = (text: string) => {
      if (text === '') return;
      const f = parseFoldedFrame(text);
      if (f.pyspy) this.sawPyspy();
      this.ids[depth++] = p.frame(c.name(f.file, ln, at), c.name(f.name, ln, at), f.line, { kind: f.kind });
    };
    for (; i < parts.length; i++) frame(parts[i]);
    const outer = depth;
    for (const text of inner) frame(text);
    depth = c.cutStack(this.ids, depth, ln, at, outer, dropped);
    return depth === 0 ? p.root(t) : p.path(t, this.ids, depth);
  }

  private sawPyspy(): void {
    if (this.pyspy) return;
    this.pyspy = true;
    this.profile.renameMetric(0, { key: 'samples', label: 'samples', unit: 'count' });
  }
}

/** A non-negative decimal count in buf[a, b); NaN when it is not one. */
function parseCount(buf: Buffer, a: number, b: number): number {
  if (a >= b) return NaN;
  let n = 0;
  for (let i = a; i < b; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) {
      const text = buf.toString('latin1', a, b);
      return COUNT.test(text) ? Number(text) : NaN;
    }
    n = n * 10 + d;
  }
  return n;
}

/** True when the head looks like JSON (`{`, or `[` then a JSON value), not like `[unknown];main 5`. */
function looksJson(text: string): boolean {
  return /^(\uFEFF|\u00EF\u00BB\u00BF)?\s*(\{|\[\s*([[{"\]\d-]|true|false|null))/.test(text);
}

/** Mostly text: control bytes other than tab, CR and LF (a NUL in a frame name, say) are rare. */
function looksText(head: Uint8Array): boolean {
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head[i];
    if (c < 32 && c !== 9 && c !== 10 && c !== 13) control++;
  }
  return control <= 4 || control * 64 <= head.length;
}

/**
 * Content detection: most of the first complete lines are `stack count`, and it is not Austin.
 * A first line longer than the head (a deep stack) is judged by its shape: `;`-separated text.
 */
export function looksCollapsed(head: Uint8Array, text: string): boolean {
  if (!looksText(head) || looksJson(text)) return false;
  const lines = text.split('\n');
  // the head may end inside a line: judge complete lines only, unless there is just one
  const whole = lines.length > 1;
  if (whole) lines.pop();
  let ok = 0;
  let bad = 0;
  for (const raw of lines.slice(0, 64)) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    if (line.startsWith('# austin') || /^(P\d+;T|Thread [0-9a-fA-F]+;|Process \d+;Thread )/.test(line)) return false;
    if (line.startsWith('#')) continue;
    if (/^\S.*[ \t]\d+(?:\.\d*)?\s*$/.test(line)) ok++;
    else bad++;
  }
  if (!whole && ok === 0) {
    // a first line longer than the head (deep stacks): judge by its shape
    const line = lines[0];
    return line.length >= 1024 && line.includes(';') && /^\S/.test(line) && !line.startsWith('#') && !line.startsWith('<');
  }
  return ok > 0 && ok >= 4 * bad;
}
