import type { MetricDef } from '../model';
import { Profile } from '../model';
import { LineSplitter, type LongLine } from './line-splitter';
import { IssueLog, type ProfileReader, type ReadIssue } from './types';
import { decodeUtf8 } from './utf8-decode';
import { KEEP_LEAF, KEEP_ROOT, MAX_STACK_DEPTH, ReadChecks } from './values';

/**
 * `perf script` text: one block per sample, separated by blank lines. A header line
 * (`comm [pid/]tid [cpu] time: [period] event: [ip sym (dso)]`) is followed by the call chain,
 * leaf first, one `\t addr sym+0xoff (dso)` line per frame. With `-F +srcline` each frame line is
 * followed by its source line (`  hotloop.c:8`, `  msort.c:92 (inlined)`, `  ??:0`,
 * `  [kernel.kallsyms][addr]`). perf 6.1 prints inlined frames without `(dso)`.
 *
 * Mapping:
 * - name = symbol without `+0x..`; file/line from the srcline when it names one (kind 'source');
 *   otherwise the frame maps to no source: file = its dso (`[kernel.kallsyms]`, the binary; an
 *   inlined frame takes the dso of the next frame at the same address), line 0, kind 'synthetic'.
 * - Stacks are reversed to root first. pid/tid from the header; with only one number (perf's
 *   default `tid` field) the process id is unknown and left ''. The thread label is comm.
 * - Metrics: `samples` (count), plus the summed period of the first event when headers carry
 *   one: key `cpu` in nanoseconds for cpu-clock/task-clock, else key `period` (count, labelled
 *   with the event). A header without a period counts 1 sample and 0 period.
 * - Blank-line terminated blocks are final, so a growing file can be continued. A last block with
 *   no blank line after it is left out at `end()` with an issue (its stack may be cut), like a
 *   half-written line in the other text formats; the file may still grow and complete it. Only
 *   without call chains (one line per sample) is the last sample whole at its newline.
 * - Periods that cannot be true are refused, stacks deeper than 10,000 frames are cut (values.ts).
 */

const HEADER =
  /^\s*(\S.*?)\s+(-?\d+)(?:\/(-?\d+))?\s+(?:\[(\d+)\]\s+)?(\d+\.\d+):(?:\s+(\d+))?(?:\s+(\S+?):)?(?:\s+(.*?))?\s*$/;
const FRAME = /^\s*([0-9a-fA-F]+)\s+(.+?)\s*$/;
const SYMOFF = /\+0x[0-9a-fA-F]+$/;
const SRCLINE = /^(.*):(\d+)$/;

/** A call-chain line, parsed once per distinct text (address included). */
interface FrameLine {
  readonly addr: string;
  readonly sym: string;
  readonly dso: string | undefined;
  /** Model frame ids by srcline text ('' for none), prefixed by the dso for inlined frames. */
  readonly ids: Map<string, number>;
}

/** A frame line of the open block; `src` is its source line as raw bytes (latin1), decoded when first used. */
interface RawFrame {
  line: FrameLine;
  src: string | undefined;
}

interface Header {
  comm: string;
  pid: string;
  tid: string;
  period: number | undefined;
  event: string;
  /** The sample's ip is on the header line: perf script without call chains. */
  inline: boolean;
  line: number;
  offset: number;
}

/** The header of a sample block, or undefined when the line is not one. */
export function parsePerfHeader(text: string): (Omit<Header, 'line' | 'offset' | 'inline'> & { ip: string | undefined }) | undefined {
  const m = HEADER.exec(text);
  if (!m) return undefined;
  const tid = m[3] ?? m[2];
  return {
    comm: m[1],
    pid: m[3] !== undefined ? m[2] : '',
    tid,
    period: m[6] !== undefined ? Number(m[6]) : undefined,
    event: m[7] ?? '',
    ip: m[8] || undefined,
  };
}

function parseFrameText(text: string): FrameLine | undefined {
  const m = FRAME.exec(text);
  if (!m) return undefined;
  let rest = m[2];
  let dso: string | undefined;
  if (rest.endsWith(')')) {
    const open = rest.lastIndexOf(' (');
    if (open > 0) {
      dso = rest.slice(open + 2, -1);
      rest = rest.slice(0, open).trimEnd();
      if (dso === 'inlined') dso = undefined;
    }
  }
  return { addr: m[1], sym: rest.replace(SYMOFF, ''), dso, ids: new Map() };
}

function metricFor(event: string): MetricDef {
  if (/^(cpu-clock|task-clock)\b/.test(event)) return { key: 'cpu', label: 'CPU time', unit: 'nanoseconds' };
  return { key: 'period', label: `${event || 'event'} period`, unit: 'count' };
}

export class PerfScriptReader implements ProfileReader {
  readonly format = 'perf-script';
  private readonly log = new IssueLog();
  private readonly lines: LineSplitter;
  private header: Header | null = null;
  private frames: RawFrame[] = [];
  /** True while the last line was a frame line whose srcline may follow. */
  private srclineOpen = false;
  private metricsSet = false;
  private hasPeriod = false;
  private event = '';
  private values = new Float64Array(1);
  private ids = new Int32Array(128);
  /** Frame line bytes (as latin1) -> parsed line: stacks repeat, so each distinct line is parsed once. */
  private readonly frameLines = new Map<string, FrameLine | null>();
  private otherEvent = false;
  /** Samples follow each other without blank lines (perf script without call chains). */
  private lineMode = false;
  /** Frames of the open block left out because it was deeper than twice the depth limit. */
  private cutFrames = 0;
  private readonly checks: ReadChecks;
  consumed = 0;
  failed = false;

  constructor(readonly profile: Profile = new Profile()) {
    profile.format = this.format;
    this.checks = new ReadChecks(profile, this.log);
    this.lines = new LineSplitter((buf, s, e, offset, line) => this.line(buf, s, e, offset, line), {
      onLongLine: (l) => this.longLine(l),
    });
  }

  get issues(): readonly ReadIssue[] {
    return this.log.issues;
  }

  push(chunk: Uint8Array): void {
    this.dropTail();
    this.lines.push(chunk);
  }

  /**
   * Reports an unfinished tail. Non-destructive: the open block stays open, so that bytes pushed
   * later complete it; a one-line sample (no call chains) counts now and is taken back then.
   */
  end(): void {
    this.dropTail();
    const h = this.header;
    if (h) {
      if (h.inline || (this.lineMode && this.frames.length === 0)) {
        // without call chains a sample is one line, and that line is whole
        const node = this.commit(h, this.frames);
        this.tail = { node, values: Float64Array.from(this.values) };
        return;
      }
      this.log.addProvisional({
        message: `the file ends inside the sample starting at line ${h.line} (no blank line after it); it was left out`,
        offset: h.offset,
        line: h.line,
        fatal: false,
      });
      return;
    }
    const rest = this.lines.rest;
    if (!rest) return;
    this.log.addProvisional({
      message: `line ${rest.line} is incomplete (no newline at the end of the file); it was ignored`,
      offset: rest.offset,
      line: rest.line,
      fatal: false,
    });
  }

  /** A sample `end()` counted that more bytes may still extend, taken back when they come. */
  private tail: { node: number; values: Float64Array } | null = null;

  private dropTail(): void {
    this.log.clearProvisional();
    const t = this.tail;
    if (!t) return;
    this.tail = null;
    if (t.node >= 0) this.checks.remove(t.node, t.values);
  }

  /** A line longer than the splitter holds (a symbol of megabytes): read from its two ends. */
  private longLine(l: LongLine): void {
    this.checks.refuseRecord('long-line', l.line, l.offset, `the line is longer than 4 MiB`, 'its middle was left out', 'such lines lost their middle');
    const joined = Buffer.concat([l.head, l.tail]);
    this.line(joined, 0, joined.length, l.offset, l.line);
    // line() measured the joined bytes: outside a block, what was consumed ends after the real line
    if (!this.header) this.consumed = this.lines.offset;
  }

  private line(buf: Buffer, s: number, e: number, offset: number, lineNo: number): void {
    const next = offset + (e - s) + 1;
    if (e > s && buf[e - 1] === 13) e--;
    let blank = true;
    for (let i = s; i < e; i++) {
      const c = buf[i];
      if (c !== 32 && c !== 9) {
        blank = false;
        break;
      }
    }
    if (blank) {
      if (this.header) this.finishBlock();
      this.consumed = next;
      return;
    }
    if (this.header) {
      // Frame and source lines repeat: they are keyed by their bytes (latin1: one character per
      // byte, the cheapest decoding) and decoded as UTF-8 only the first time they are seen.
      const first = buf[s];
      if (first === 9 /* \t */) {
        const f = this.frameLine(buf.toString('latin1', s, e), buf, s, e);
        if (f) {
          this.pushFrame(f);
          return;
        }
      } else if (first === 32) {
        if (this.srclineOpen && this.frames.length > 0) {
          this.frames[this.frames.length - 1].src = buf.toString('latin1', s, e).trim();
          this.srclineOpen = false;
          return;
        }
        const f = this.frameLine(buf.toString('latin1', s, e), buf, s, e);
        if (f) {
          this.pushFrame(f);
          return;
        }
      }
      // no blank line between samples: perf script without call chains prints one line each
      this.lineMode = true;
      this.finishBlock();
      this.consumed = offset;
    }
    if (buf[s] === 35 /* # */) {
      this.consumed = next;
      return;
    }
    const h = parsePerfHeader(decodeUtf8(buf, s, e));
    if (!h) {
      this.badLine(lineNo, offset);
      this.consumed = next;
      return;
    }
    const c = this.checks;
    this.header = { comm: c.name(h.comm, lineNo, offset), pid: c.name(h.pid, lineNo, offset), tid: c.name(h.tid, lineNo, offset), period: h.period, event: h.event, inline: false, line: lineNo, offset };
    this.frames = [];
    this.cutFrames = 0;
    this.srclineOpen = false;
    if (h.ip) {
      const ip = Buffer.from(`\t${h.ip}`);
      const f = this.frameLine(ip.toString('latin1'), ip, 0, ip.length);
      if (f) {
        this.frames.push(f);
        this.header.inline = true;
        this.srclineOpen = true;
      }
    }
  }

  private pushFrame(f: RawFrame): void {
    const frames = this.frames;
    if (frames.length >= 2 * MAX_STACK_DEPTH) {
      // leaf first: keep the innermost frames read first and the newest (outermost so far)
      const drop = frames.length - KEEP_LEAF - KEEP_ROOT;
      frames.splice(KEEP_LEAF, drop);
      this.cutFrames += drop;
    }
    frames.push(f);
    this.srclineOpen = true;
  }

  private finishBlock(): void {
    const h = this.header!;
    this.commit(h, this.frames);
    this.header = null;
    this.frames = [];
    this.cutFrames = 0;
    this.srclineOpen = false;
  }

  private setMetrics(h: Header): void {
    this.metricsSet = true;
    this.event = h.event;
    this.hasPeriod = h.period !== undefined;
    const defs: MetricDef[] = [{ key: 'samples', label: 'samples', unit: 'count' }];
    if (this.hasPeriod) defs.push(metricFor(h.event));
    this.profile.setMetrics(defs);
    this.values = new Float64Array(defs.length);
    if (h.event) this.profile.setMeta('event', h.event);
  }

  private sampleValues(h: Header): Float64Array {
    const v = this.values;
    v[0] = 1;
    if (this.hasPeriod) {
      if (h.event !== this.event && !this.otherEvent) {
        this.otherEvent = true;
        this.log.add({
          message: `line ${h.line}: a second event (${h.event}) after ${this.event}; its samples are counted, its periods are not summed with ${this.event}'s`,
          offset: h.offset,
          line: h.line,
          fatal: false,
        });
      }
      v[1] = h.event === this.event ? (h.period ?? 0) : 0;
    }
    return v;
  }

  /** Adds a sample (its values are left in `values`); returns its node, -1 when its values were refused. */
  private commit(h: Header, frames: RawFrame[]): number {
    if (!this.metricsSet) this.setMetrics(h);
    // a refused sample creates no node (nor thread, nor frame) of its own
    if (!this.checks.accepts(this.sampleValues(h), h.line, h.offset)) return -1;
    const p = this.profile;
    const t = p.thread(h.pid, h.tid, '', `${h.comm} ${h.tid}`);
    let n = frames.length;
    if (this.ids.length < n + 1) this.ids = new Int32Array(n * 2 + 1);
    // leaf first in the file, root first in the model
    for (let i = 0; i < n; i++) this.ids[n - 1 - i] = this.frameId(frames, i, h);
    // after a compaction, frames[KEEP_LEAF..] are the outer side: the first ids
    const outer = this.cutFrames > 0 ? n - KEEP_LEAF : n;
    n = this.checks.cutStack(this.ids, n, h.line, h.offset, outer, this.cutFrames);
    const node = n === 0 ? p.root(t) : p.path(t, this.ids, n);
    return this.checks.add(node, this.values, h.line, h.offset) ? node : -1;
  }

  private frameId(frames: RawFrame[], i: number, h: Header): number {
    const f = frames[i];
    const fl = f.line;
    let key = f.src ?? '';
    let dso = fl.dso;
    if (dso === undefined) {
      // an inlined frame: it lives in the dso of the next frame at the same address
      for (let j = i + 1; j < frames.length && frames[j].line.addr === fl.addr; j++) {
        if (frames[j].line.dso !== undefined) {
          dso = frames[j].line.dso;
          break;
        }
      }
      key = `${dso ?? ''}\u0000${key}`;
    }
    let id = fl.ids.get(key);
    if (id !== undefined) return id;
    // `src` holds the line's bytes as latin1: decoded here, once per distinct line
    const src = f.src ? SRCLINE.exec(decodeUtf8(Buffer.from(f.src, 'latin1')).replace(/\s+\(inlined\)$/, '')) : null;
    const c = this.checks;
    const sym = c.name(fl.sym, h.line, h.offset);
    if (src && src[1] !== '' && src[1] !== '??' && Number(src[2]) > 0) {
      id = this.profile.frame(c.name(src[1], h.line, h.offset), sym, Number(src[2]));
    } else {
      id = this.profile.frame(c.name(dso ?? '', h.line, h.offset), sym, 0, { kind: 'synthetic' });
    }
    fl.ids.set(key, id);
    return id;
  }

  /** The parsed frame line, or undefined when the text is not one. */
  private frameLine(raw: string, buf: Buffer, s: number, e: number): RawFrame | undefined {
    let fl = this.frameLines.get(raw);
    if (fl === undefined) {
      fl = parseFrameText(decodeUtf8(buf, s, e)) ?? null;
      this.frameLines.set(raw, fl);
    }
    return fl ? { line: fl, src: undefined } : undefined;
  }

  private badLine(lineNo: number, offset: number): void {
    this.log.addRepeated('is not a perf script sample header', lineNo, offset);
  }
}

/** Content detection: the first line that is not a `#` comment is a sample header. */
export function looksPerfScript(_head: Uint8Array, text: string): boolean {
  const lines = text.split('\n');
  for (let i = 0; i < Math.min(lines.length, 64); i++) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (!parsePerfHeader(line.replace(/\r$/, ''))) return false;
    const next = lines[i + 1];
    // a call chain line, a blank line, or (no call chains) another header; or the head ends here
    return next === undefined || next.trim() === '' || /^\s+[0-9a-fA-F]+\s/.test(next) || parsePerfHeader(next) !== undefined;
  }
  return false;
}
