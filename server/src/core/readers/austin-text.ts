import { metric, type MetricDef, Profile } from '../model';
import { IssueLog, type ProfileReader, type ReadIssue } from './types';
import { LineSplitter, type LongLine } from './line-splitter';
import { cutFields, cutLongLine } from './stack-fields';
import { decodeUtf8 } from './utf8-decode';
import { MAX_NAME_LENGTH, MAX_STACK_DEPTH, ReadChecks } from './values';

/**
 * Austin's text (collapsed stack) output, every version: 1.x `Thread <hex>;func (file);L<n>`,
 * 2.x `P<pid>;T<hex>`, 3.0-3.5 `P<pid>;T<tid>;file:func:line`, 3.6+ `P<pid>;T<iid>:<tid>`, and
 * austin-python's mojo2austin output for Austin 4. Metadata lines may come anywhere.
 *
 * Speed comes from a cache from the raw stack bytes (the line minus its metrics) to its call-tree
 * node: a repeated stack costs a sampled hash, one map lookup and one byte comparison. The cache
 * and the tree both grow with distinct stacks only.
 */

type Layout =
  | { kind: 'single'; metric: 'wall' | 'cpu' | 'time' | 'memory' }
  | { kind: 'full3' } // 3.x `time,idle,mem`
  | { kind: 'oldfull'; kib: boolean }; // 1.x/2.x `time mem+ mem-`

const SPACE = 32;
const SEMI = 59;
const MAX_JOIN_LINES = 16;

/** Parses a decimal integer (optionally negative) in buf[a, b); NaN when it is not one. */
function parseIntBytes(buf: Uint8Array, a: number, b: number): number {
  if (a >= b) return NaN;
  let neg = false;
  if (buf[a] === 45) {
    neg = true;
    a++;
    if (a >= b) return NaN;
  }
  let n = 0;
  for (let i = a; i < b; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

interface ParsedFrame {
  file: string;
  name: string;
  line: number;
  synthetic: boolean;
}

interface ParsedStack {
  pid: string;
  tid: string;
  iid: string;
  frames: ParsedFrame[];
  old: boolean;
}

const OLD_LINE = /^L(\d+)$/;

function syntheticFile(file: string): boolean {
  return file === '' || (file.startsWith('<') && file.endsWith('>')) || file.includes('\n');
}

/** One frame field (or two, for the old `func (file);L<n>` layout). Returns the fields consumed. */
function parseFrame(fields: string[], i: number, out: ParsedFrame[]): number {
  const f = fields[i];
  const next = i + 1 < fields.length ? OLD_LINE.exec(fields[i + 1]) : null;
  if (next) {
    const line = Number(next[1]);
    if (f.endsWith(')')) {
      // 1.x/2.x default: `func (file);L<n>`
      const open = f.lastIndexOf(' (');
      if (open >= 0) {
        const file = f.slice(open + 2, -1);
        out.push({ file, name: f.slice(0, open), line, synthetic: syntheticFile(file) });
        return 2;
      }
    }
    // 3.0-3.5 alternative format: `file:func;L<n>`
    const c = f.lastIndexOf(':');
    if (c >= 0) {
      const file = f.slice(0, c);
      out.push({ file, name: f.slice(c + 1), line, synthetic: syntheticFile(file) });
      return 2;
    }
  }
  if (f === ':INVALID:') {
    out.push({ file: '', name: 'INVALID', line: 0, synthetic: true });
    return 1;
  }
  if (f === ':GC:') {
    out.push({ file: '', name: 'GC', line: 0, synthetic: true });
    return 1;
  }
  if (f === '<idle>') {
    out.push({ file: '', name: '<idle>', line: 0, synthetic: true });
    return 1;
  }
  if (f.startsWith('native@')) {
    // native@<pc>:<symbol>:<offset>; the offset is bytes into the symbol, not a line
    const a = f.indexOf(':');
    const b = f.lastIndexOf(':');
    const sym = a >= 0 && b > a ? f.slice(a + 1, b) : f;
    out.push({ file: 'native', name: sym, line: 0, synthetic: true });
    return 1;
  }
  if (f.startsWith('kernel:')) {
    const b = f.lastIndexOf(':');
    out.push({ file: 'kernel', name: b > 7 ? f.slice(7, b) : f.slice(7), line: 0, synthetic: true });
    return 1;
  }
  // `file:func:line`, split on the last two colons (Windows drives and `<frozen a.b>` have colons)
  const c2 = f.lastIndexOf(':');
  const c1 = c2 > 0 ? f.lastIndexOf(':', c2 - 1) : -1;
  if (c1 >= 0) {
    const file = f.slice(0, c1);
    const name = f.slice(c1 + 1, c2);
    const lineText = f.slice(c2 + 1);
    const line = /^\d+$/.test(lineText) ? Number(lineText) : 0;
    out.push({ file, name, line, synthetic: syntheticFile(file) || lineText === '' });
    return 1;
  }
  // 1.x alternative `func (file:line)`
  const m = /^(.*) \((.*):(\d+)\)$/.exec(f);
  if (m) {
    out.push({ file: m[2], name: m[1], line: Number(m[3]), synthetic: syntheticFile(m[2]) });
    return 1;
  }
  out.push({ file: '', name: f, line: 0, synthetic: true });
  return 1;
}

/** Splits a stack text (without metrics) into its thread and frames. Null when it has no thread. */
export function parseAustinStack(text: string): ParsedStack | null {
  const fields = text.split(';');
  let i = 0;
  let pid = '';
  let tid: string;
  let iid = '';
  let old = false;
  if (fields[0].startsWith('Process ')) {
    pid = fields[0].slice(8);
    i = 1;
  }
  const t = fields[i] ?? '';
  if (t.startsWith('Thread ')) {
    tid = t.slice(7);
    old = true;
    i++;
  } else if (t.startsWith('P') && (fields[i + 1] ?? '').startsWith('T')) {
    pid = t.slice(1);
    const th = fields[i + 1].slice(1);
    const c = th.indexOf(':');
    if (c >= 0) {
      iid = th.slice(0, c);
      tid = th.slice(c + 1);
    } else {
      tid = th;
    }
    i += 2;
  } else {
    return null;
  }
  const frames: ParsedFrame[] = [];
  while (i < fields.length) i += parseFrame(fields, i, frames);
  if (frames.length > 0 && fields.some((f) => OLD_LINE.test(f))) old = true;
  return { pid, tid, iid, frames, old };
}

/**
 * The frames of the inner part of a stack whose outer part was cut off (see stack-fields.ts). An
 * `L<n>` first field belongs to a 1.x frame whose name was cut off with it.
 */
function parseAustinFrames(text: string): ParsedFrame[] {
  const frames: ParsedFrame[] = [];
  if (text === '') return frames;
  const fields = text.split(';');
  let i = OLD_LINE.test(fields[0]) ? 1 : 0;
  while (i < fields.length) i += parseFrame(fields, i, frames);
  return frames;
}

export class AustinTextReader implements ProfileReader {
  readonly format = 'austin-text';
  private readonly log = new IssueLog();
  private readonly lines = new LineSplitter((buf, s, e, offset, line) => this.line(buf, s, e, offset, line), {
    onLongLine: (l) => this.longLine(l),
    sep: SEMI,
  });
  private readonly checks: ReadChecks;
  /** Start offset and number of the line being handled. */
  private lineOffset = 0;
  private lineNo = 1;
  /** hash -> [stack bytes, node, stack bytes, node, ...] */
  private readonly cache = new Map<number, (Buffer | number)[]>();
  private mode: string | undefined;
  private layout: Layout | undefined;
  private values: Float64Array = new Float64Array(0);
  private pending: { parts: Buffer[]; line: number; offset: number } | null = null;
  private idleSeen = false;
  private frameIdScratch = new Int32Array(128);
  consumed = 0;
  failed = false;

  constructor(readonly profile: Profile = new Profile()) {
    profile.format = this.format;
    this.checks = new ReadChecks(profile, this.log);
  }

  get issues(): readonly ReadIssue[] {
    return this.log.issues;
  }

  push(chunk: Uint8Array): void {
    // what end() said about a half-written tail no longer holds: the file grew
    this.log.clearProvisional();
    this.lines.push(chunk);
  }

  /** Reports a half-written tail; it stays pending, so that bytes pushed later complete it. */
  end(): void {
    const p = this.pending;
    if (p) {
      this.log.addProvisional({ message: 'the profile ends inside a sample; skipped', offset: p.offset, line: p.line, fatal: false });
    }
    const rest = this.lines.rest;
    if (rest) {
      this.log.addProvisional({
        message: 'the last line is incomplete (no newline at the end of the file); it was ignored',
        offset: rest.offset,
        line: rest.line,
        fatal: false,
      });
    }
  }

  /** Handles one physical line buf[s, e) (without its newline). */
  private line(buf: Buffer, s: number, e: number, offset: number, lineNo: number): void {
    this.lineNo = lineNo;
    this.lineOffset = offset;
    if (e > s && buf[e - 1] === 13) e--; // CRLF
    if (this.pending) {
      if (e > s && !this.startsRecord(buf, s, e)) {
        const p = this.pending;
        p.parts.push(Buffer.from('\n'), Buffer.from(buf.subarray(s, e)));
        const joined = Buffer.concat(p.parts);
        if (this.sample(joined, 0, joined.length)) {
          this.pending = null;
          this.consumed = this.lines.offset;
        } else if (p.parts.length > MAX_JOIN_LINES * 2) {
          this.flushPending('a sample that does not end in a metric');
        }
        return;
      }
      this.flushPending('a sample that does not end in a metric');
    }
    if (e === s) {
      this.consumed = this.lines.offset;
      return;
    }
    if (buf[s] === 35 /* # */) {
      this.metadata(decodeUtf8(buf, s, e));
      this.consumed = this.lines.offset;
      return;
    }
    if (this.sample(buf, s, e)) {
      this.consumed = this.lines.offset;
      return;
    }
    // Not a whole sample: Austin sometimes writes a garbage string holding newlines inside a frame,
    // splitting one sample over several physical lines. Hold it and try to re-join.
    this.pending = { parts: [Buffer.from(buf.subarray(s, e))], line: lineNo, offset };
  }

  private startsRecord(buf: Buffer, s: number, e: number): boolean {
    const c = buf[s];
    if (c === 35) return true;
    if (c === 80 /* P */ && e > s + 1 && buf[s + 1] >= 48 && buf[s + 1] <= 57) return true;
    if (c === 84 /* T */ && buf.toString('latin1', s, Math.min(e, s + 7)) === 'Thread ') return true;
    if (c === 80 && buf.toString('latin1', s, Math.min(e, s + 8)) === 'Process ') return true;
    return false;
  }

  private flushPending(why: string): void {
    const p = this.pending!;
    this.pending = null;
    // the line number travels in `line`; describeIssues puts it in front of the message
    this.log.addCounted(`pending:${why}`, { offset: p.offset, line: p.line, fatal: false }, (n) =>
      n === 1 ? `${why}; skipped` : `${why}; ${n} such samples were skipped (the first at line ${p.line})`,
    );
    this.consumed = this.lines.offset;
  }

  private metadata(text: string): void {
    const m = /^#\s*([^:]+):\s?(.*)$/.exec(text);
    if (!m) return;
    const key = m[1].trim();
    const value = m[2].trim();
    this.profile.setMeta(key, value);
    if (key === 'mode' && this.mode === undefined) this.mode = value;
  }

  /** Decides how metrics are written, from the header (if any) and the first sample's shape. */
  private decideLayout(buf: Buffer, s: number, e: number): Layout | undefined {
    const sp = buf.lastIndexOf(SPACE, e - 1);
    if (sp < s) return undefined;
    const tail = buf.toString('latin1', sp + 1, e);
    if (/^\d+,[01],-?\d+$/.test(tail)) return { kind: 'full3' };
    if (!/^-?\d+$/.test(tail)) return undefined;
    const head = buf.toString('utf8', s, e);
    const old = head.startsWith('Thread ') || head.startsWith('Process ') || /;L\d+ /.test(head) || /;L\d+;/.test(head);
    if (old) {
      // 1.x/2.x full mode: `... time mem+ mem-`, three numbers after the last frame or the thread id
      const tokens = head.split(' ');
      if (tokens.length >= 4 && tokens.slice(-3).every((t) => /^-?\d+$/.test(t))) {
        const before = tokens.slice(0, -3).join(' ');
        if (/;L\d+$/.test(before) || /^(Process \d+;)?Thread \S+$/.test(before) || before.endsWith('<idle>')) {
          return { kind: 'oldfull', kib: !/^P\d/.test(head) }; // 2.x writes bytes, 1.x KiB
        }
      }
    }
    const mode = this.mode;
    if (mode === 'memory') return { kind: 'single', metric: 'memory' };
    if (mode === 'wall' || mode === 'cpu') return { kind: 'single', metric: mode };
    if (mode === 'full') {
      this.log.add({
        message: 'the header says full mode but samples carry one value; read as wall time',
        offset: this.lineOffset,
        line: this.lineNo,
        fatal: false,
      });
      return { kind: 'single', metric: 'wall' };
    }
    return { kind: 'single', metric: 'time' };
  }

  private applyLayout(layout: Layout): void {
    this.layout = layout;
    let defs: MetricDef[];
    switch (layout.kind) {
      case 'full3':
        defs = [metric('wall'), metric('cpu'), metric('alloc'), metric('dealloc'), metric('samples')];
        break;
      case 'oldfull':
        defs = [metric('time'), metric('alloc'), metric('dealloc'), metric('samples')];
        break;
      default:
        defs =
          layout.metric === 'memory'
            ? [metric('alloc'), metric('dealloc'), metric('samples')]
            : [metric(layout.metric), metric('samples')];
    }
    this.profile.setMetrics(defs);
    this.values = new Float64Array(defs.length);
  }

  /**
   * Parses a sample line into `values` and adds it. Returns false (adding nothing) when the line
   * does not end in the metrics the layout expects. A sample whose values cannot be true is
   * consumed but not added (ReadChecks says why).
   */
  private sample(buf: Buffer, s: number, e: number): boolean {
    if (!this.layout) {
      const layout = this.decideLayout(buf, s, e);
      if (!layout) return false;
      this.applyLayout(layout);
    }
    const stackEnd = this.parseValues(buf, s, e);
    if (stackEnd < 0) return stackEnd === -2;
    let node = this.lookup(buf, s, stackEnd);
    if (node < 0) {
      // a refused sample creates no node (nor thread, nor frame) of its own
      if (!this.checks.accepts(this.values, this.lineNo, this.lineOffset)) return true;
      node = this.resolve(buf, s, stackEnd);
      if (node < 0) return false;
      this.remember(buf, s, stackEnd, node);
    }
    this.checks.add(node, this.values, this.lineNo, this.lineOffset);
    return true;
  }

  /**
   * Reads the metrics at the end of buf[s, e) into `values`. Returns where the stack ends, -1 when
   * the line does not end in the metrics the layout expects, -2 when it does but they cannot be
   * true (the issue is recorded; the line is consumed).
   */
  private parseValues(buf: Buffer, s: number, e: number): number {
    const layout = this.layout!;
    const v = this.values;
    // The metrics are a few bytes at the end: a JS scan beats a native lastIndexOf call per line.
    let sp = e - 1;
    while (sp >= s && buf[sp] !== SPACE) sp--;
    if (sp < s) return -1;
    if (layout.kind === 'single') {
      const x = parseIntBytes(buf, sp + 1, e);
      if (Number.isNaN(x)) return -1;
      if (layout.metric === 'memory') {
        // memory mode records deltas: a negative one is memory released
        v[0] = x > 0 ? x : 0;
        v[1] = x < 0 ? -x : 0;
        v[2] = 1;
      } else {
        v[0] = x;
        v[1] = 1;
      }
      return sp;
    }
    if (layout.kind === 'full3') {
      const c1 = buf.indexOf(44, sp + 1);
      const c2 = c1 >= 0 && c1 < e ? buf.indexOf(44, c1 + 1) : -1;
      if (c1 < 0 || c1 >= e || c2 < 0 || c2 >= e) return -1;
      const t = parseIntBytes(buf, sp + 1, c1);
      const idle = parseIntBytes(buf, c1 + 1, c2);
      const mem = parseIntBytes(buf, c2 + 1, e);
      if (Number.isNaN(t) || Number.isNaN(idle) || Number.isNaN(mem)) return -1;
      if (idle !== 0 && idle !== 1) {
        this.checks.refuseRecord('idle', this.lineNo, this.lineOffset, `a sample's idle flag is ${idle}, neither 0 nor 1`, 'the sample was skipped', 'such samples were skipped');
        return -2;
      }
      v[0] = t;
      v[1] = idle ? 0 : t;
      // the memory column is a delta: a negative one is memory released
      v[2] = mem > 0 ? mem : 0;
      v[3] = mem < 0 ? -mem : 0;
      v[4] = 1;
      return sp;
    }
    const sp2 = buf.lastIndexOf(SPACE, sp - 1);
    const sp3 = sp2 > s ? buf.lastIndexOf(SPACE, sp2 - 1) : -1;
    if (sp3 < s) return -1;
    const t = parseIntBytes(buf, sp3 + 1, sp2);
    const plus = parseIntBytes(buf, sp2 + 1, sp);
    const minus = parseIntBytes(buf, sp + 1, e);
    if (Number.isNaN(t) || Number.isNaN(plus) || Number.isNaN(minus)) return -1;
    const k = layout.kib ? 1024 : 1;
    v[0] = t;
    v[1] = plus > 0 ? plus * k : 0;
    v[2] = minus < 0 ? -minus * k : 0;
    v[3] = 1;
    return sp3;
  }

  /** A line longer than the splitter holds: its metrics from the tail, its stack cut in the middle. */
  private longLine(l: LongLine): void {
    this.lineNo = l.line;
    this.lineOffset = l.offset;
    if (this.pending) this.flushPending('a sample that does not end in a metric');
    this.consumed = this.lines.offset;
    if (l.head[0] === 35 /* # */) {
      this.metadata(this.checks.name(decodeUtf8(l.head), l.line, l.offset));
      return;
    }
    let te = l.tail.length;
    if (te > 0 && l.tail[te - 1] === 13) te--;
    if (!this.layout) {
      const both = Buffer.concat([l.head, l.tail.subarray(0, te)]);
      const layout = this.decideLayout(both, 0, both.length);
      if (layout) this.applyLayout(layout);
    }
    const stackEnd = this.layout ? this.parseValues(l.tail, 0, te) : -1;
    if (stackEnd === -2 || (stackEnd >= 0 && !this.checks.accepts(this.values, l.line, l.offset))) return;
    const cut = stackEnd >= 0 ? cutLongLine(l, stackEnd, SEMI) : undefined;
    const node = cut ? this.resolveCut(l.head, cut.headEnd, l.tail, cut.tailStart, stackEnd, cut.dropped) : -1;
    if (node < 0) {
      this.log.addRepeated('is not an Austin sample (`P<pid>;T<tid>;frames... metrics`)', l.line, l.offset);
      return;
    }
    this.checks.add(node, this.values, l.line, l.offset);
  }

  /**
   * A cheap hash of the stack bytes: their length, the first 32 bytes (the process and thread),
   * the last 48 (where stacks differ: the leaf frames) and 16 spread over the rest. Hashing a
   * whole ~400-byte string per line was most of the reader's time; a candidate is confirmed by a
   * full byte comparison, so a collision costs time, never correctness.
   */
  private hash(buf: Buffer, s: number, e: number): number {
    const len = e - s;
    let h = len | 0;
    const head = s + 32 < e ? s + 32 : e;
    for (let i = s; i < head; i++) h = Math.imul(h ^ buf[i], 16777619);
    const tail = e - 48 > head ? e - 48 : head;
    for (let i = tail; i < e; i++) h = Math.imul(h ^ buf[i], 16777619);
    const step = (len >> 4) + 1;
    for (let i = head; i < tail; i += step) h = Math.imul(h ^ buf[i], 16777619);
    return h;
  }

  private lookup(buf: Buffer, s: number, e: number): number {
    const bucket = this.cache.get(this.hash(buf, s, e));
    if (bucket === undefined) return -1;
    const len = e - s;
    for (let i = 0; i < bucket.length; i += 2) {
      const bytes = bucket[i] as Buffer;
      if (bytes.length === len && buf.compare(bytes, 0, len, s, e) === 0) return bucket[i + 1] as number;
    }
    return -1;
  }

  private remember(buf: Buffer, s: number, e: number, node: number): void {
    const h = this.hash(buf, s, e);
    const bytes = Buffer.from(buf.subarray(s, e)); // a copy: the chunk may be reused
    const bucket = this.cache.get(h);
    if (bucket) bucket.push(bytes, node);
    else this.cache.set(h, [bytes, node]);
  }

  /** Slow path for a stack not seen before: parse it and walk the call tree. */
  private resolve(buf: Buffer, s: number, e: number): number {
    const cut = cutFields(buf, s, e, SEMI);
    if (cut) return this.resolveCut(buf.subarray(s, cut.headEnd), cut.headEnd - s, buf, cut.tailStart, e, cut.dropped);
    const parsed = parseAustinStack(decodeUtf8(buf, s, e));
    if (!parsed) return -1;
    // a text shorter than the name limit holds no name past it: no need to look at each
    return this.walk(parsed, parsed.frames, parsed.frames.length, 0, e - s > MAX_NAME_LENGTH);
  }

  /** A stack left out between head[0, headEnd) (thread and outer frames) and tail[ts, te) (inner frames). */
  private resolveCut(head: Buffer, headEnd: number, tail: Buffer, ts: number, te: number, dropped: number): number {
    const parsed = parseAustinStack(decodeUtf8(head, 0, headEnd));
    if (!parsed) return -1;
    const outer = parsed.frames.length;
    const frames = parsed.frames.concat(parseAustinFrames(decodeUtf8(tail, ts, te)));
    return this.walk(parsed, frames, outer, dropped, true);
  }

  /** Interns the frames (root first) and returns the call-tree node of the stack, cut if too deep. */
  private walk(parsed: ParsedStack, frames: ParsedFrame[], outer: number, dropped: number, long: boolean): number {
    const p = this.profile;
    const c = this.checks;
    const where = this.lineNo;
    const at = this.lineOffset;
    const t = long ? p.thread(c.name(parsed.pid, where, at), c.name(parsed.tid, where, at), c.name(parsed.iid, where, at)) : p.thread(parsed.pid, parsed.tid, parsed.iid);
    let n = frames.length;
    if (this.frameIdScratch.length < n + 1) this.frameIdScratch = new Int32Array(n * 2 + 1);
    const ids = this.frameIdScratch;
    for (let i = 0; i < n; i++) {
      const f = frames[i];
      if (f.name === '<idle>' && !this.idleSeen) {
        this.idleSeen = true;
        // Only sleepless (CPU) mode writes <idle>; an old file without a header says so this way.
        if (this.layout?.kind === 'single' && this.layout.metric === 'time') p.renameMetric(0, metric('cpu'));
      }
      const kind = f.synthetic ? 'synthetic' : 'source';
      ids[i] = long ? p.frame(c.name(f.file, where, at), c.name(f.name, where, at), f.line, { kind }) : p.frame(f.file, f.name, f.line, { kind });
    }
    if (dropped > 0 || n > MAX_STACK_DEPTH) n = c.cutStack(ids, n, where, at, outer, dropped);
    return p.path(t, ids, n);
  }
}
