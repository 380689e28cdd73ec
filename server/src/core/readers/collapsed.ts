import { type FrameKind, Profile } from '../model';
import { LineSplitter } from './line-splitter';
import { IssueLog, type ProfileReader, type ReadIssue } from './types';

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
 */

const SPACE = 32;
const TAB = 9;
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
  private tailIssue: ReadIssue | null = null;
  consumed = 0;
  failed = false;

  constructor(readonly profile: Profile = new Profile()) {
    profile.format = this.format;
    profile.setMetrics([{ key: 'samples', label: 'samples (weight)', unit: 'count' }]);
    this.lines = new LineSplitter((buf, s, e, offset, line) => this.line(buf, s, e, offset, line));
  }

  get issues(): readonly ReadIssue[] {
    return this.log.issues;
  }

  push(chunk: Uint8Array): void {
    this.dropTailIssue();
    this.lines.push(chunk);
  }

  end(): void {
    const rest = this.lines.rest;
    if (!rest) return;
    this.dropTailIssue();
    this.tailIssue = {
      message: `line ${rest.line} is incomplete (no newline at the end of the file); it was ignored`,
      offset: rest.offset,
      line: rest.line,
      fatal: false,
    };
    this.log.add(this.tailIssue);
  }

  /** A file that grows after `end()` continues: its last line was not truncated after all. */
  private dropTailIssue(): void {
    if (!this.tailIssue) return;
    const i = this.log.issues.indexOf(this.tailIssue);
    if (i >= 0) this.log.issues.splice(i, 1);
    this.tailIssue = null;
  }

  private line(buf: Buffer, s: number, e: number, offset: number, lineNo: number): void {
    this.consumed = offset + (e - s) + 1;
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
      if (node === undefined) {
        node = this.resolve(Buffer.from(key, 'latin1').toString('utf8'));
        this.cache.set(key, node);
      }
      if (diff) this.cache.set(buf.toString('latin1', s, stackEnd), node);
    }
    this.values[0] = count;
    this.profile.add(node, this.values);
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

  /** Slow path for a stack not seen before: thread roots, frames, then the call-tree walk. */
  private resolve(text: string): number {
    const p = this.profile;
    const parts = text.split(';');
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
    const t = p.thread(pid, tid, '', label ?? (pid || tid ? undefined : 'all samples'));
    const n = parts.length - i;
    if (this.ids.length < n) this.ids = new Int32Array(n * 2);
    let depth = 0;
    for (; i < parts.length; i++) {
      if (parts[i] === '') continue;
      const f = parseFoldedFrame(parts[i]);
      if (f.pyspy) this.sawPyspy();
      this.ids[depth++] = p.frame(f.file, f.name, f.line, { kind: f.kind });
    }
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

/** Content detection: most of the first complete lines are `stack count`, and it is not Austin. */
export function looksCollapsed(head: Uint8Array, text: string): boolean {
  if (head.includes(0)) return false;
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') return false;
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
    return line.length >= 1024 && line.split(';').length >= 4 && !line.includes('\t') && !line.startsWith('#');
  }
  return ok > 0 && ok >= 4 * bad;
}
