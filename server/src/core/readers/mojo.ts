import { metric, type MetricDef, Profile } from '../model';
import { classifyFrame, MOJO_EVENTS, PidTables, readVarint, sameBytes, skipVarint, ThreadSlot, varint } from './mojo-primitives';
import { IssueLog, type ProfileReader, type ReadIssue } from './types';
import { decodeUtf8 } from './utf8-decode';
import { compactStack, KEEP_LEAF, KEEP_ROOT, MAX_STACK_DEPTH, ReadChecks } from './values';

export { MOJO_EVENTS, readVarint } from './mojo-primitives';

/**
 * Austin's MOJO binary format, versions 1 to 4 (Austin 3.4 to 4.x).
 *
 * The decoder works straight on the bytes it is given: no per-event objects, no strings for the
 * hot events (STACK, FRAME_REF, metrics), frame keys looked up in an open-addressing table of
 * doubles (they are ~43-bit values, so a Map would box them). An event cut by a chunk boundary is
 * carried over and decoded again once the rest arrives, so chunk sizes never change the result.
 */

const METADATA = 1;
const STACK = 2;
const FRAME = 3;
const FRAME_INVALID = 4;
const FRAME_REF = 5;
const FRAME_KERNEL = 6;
const GC = 7;
const IDLE = 8;
const METRIC_TIME = 9;
const METRIC_MEMORY = 10;
const STRING = 11;
const STRING_REF = 12;
const STACK_REPEAT = 13;
const TASK_STACK = 14;
const TASK_WAITER = 15;

/** Longest event we wait for; a longer one means a missing NUL, i.e. a corrupt file. */
const MAX_EVENT_BYTES = 16 << 20;

/** Bytes of a new chunk joined to a cut event to finish it (events are far shorter). */
const JOIN_BYTES = 16 << 10;

/**
 * A cut event this long is a string still waiting for its NUL (or a corrupt varint): it is only
 * decoded again when a chunk with a NUL arrives, so that tiny chunks do not rescan and copy it
 * each time (quadratic).
 */
const LONG_EVENT = 64 << 10;
/** Events made of varints only: never LONG_EVENT bytes long in a sound file. */
const VARINT_EVENTS = new Set([FRAME, FRAME_REF, METRIC_TIME, METRIC_MEMORY, STRING_REF, TASK_STACK, TASK_WAITER]);

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

type Layout = 'wall' | 'cpu' | 'time' | 'memory' | 'full';

/**
 * Streaming MOJO reader. Guarantees: any split of the bytes into chunks gives the same profile;
 * a sample is added only once it is complete (its next STACK, or the end, with its metrics), so
 * a cut file keeps every earlier sample and drops the cut one with an issue naming its offset;
 * a corrupt event id stops reading with a fatal issue at its byte offset. Metrics follow the
 * `mode` metadata exactly as the text reader's (full mode: wall, cpu = time unless IDLE, alloc,
 * dealloc, samples). STACK_REPEAT reuses the previous finalised stack of the same thread.
 * `end()` is non-destructive: the last sample, counted there, is taken back if more bytes arrive
 * (they may still belong to it), and issues about a cut tail go with it. Values that cannot be
 * true are refused, stacks deeper than 10,000 frames cut, names longer than 4,096 characters cut
 * (values.ts).
 */
export class MojoReader implements ProfileReader {
  readonly format = 'mojo';
  /** MOJO version from the header; 0 until the header has been read. */
  version = 0;
  /** Events decoded so far, by event id (see MOJO_EVENTS). */
  readonly eventCounts = new Array<number>(16).fill(0);
  /** Samples added to the profile. */
  samples = 0;
  consumed = 0;
  failed = false;

  private readonly log = new IssueLog();
  /** Undecoded bytes of a cut event; they start at file offset `consumed`. */
  private carry: Uint8Array | null = null;
  /** Room the carry grows into while a long event waits (see LONG_EVENT). */
  private carryStore: Uint8Array | null = null;

  // The open sample (from its STACK to the next STACK or EOF)
  private slot: ThreadSlot | null = null;
  private sampleOffset = 0;
  private stack = new Int32Array(256);
  private depth = 0;
  private time = 0;
  private mem = 0;
  private hasTime = false;
  private hasMem = false;
  private idle = false;
  private gc = false;
  /** A STACK_REPEAT base was copied; its trailing native frames go once native frames follow. */
  private repeatPending = false;
  /** Inside an asyncio task block (TASK_STACK up to its METRIC_TIME): its frames are not the sample's. */
  private inTask = false;

  private readonly tablesByPid = new Map<number, PidTables>();
  private tables: PidTables = new PidTables();
  private readonly slots = new Map<number, ThreadSlot>();
  /** Per profile frame id: 1 when the frame is native or kernel (popped from a STACK_REPEAT base). */
  private nativeFrame = new Uint8Array(256);
  private nativeMode = false;
  private mode: string | undefined;
  private layout: Layout | undefined;
  private values = new Float64Array(0);
  private gcFrame = -1;
  private invalidFrame = -1;
  private unknownFrame = -1;
  /** Frames of the open sample left out because it was deeper than twice the depth limit. */
  private cutFrames = 0;
  private readonly checks: ReadChecks;
  /** What `end()` says about an event cut short, unless the sample it is in says it. */
  private cutEvent: string | undefined = undefined;
  /** The sample `end()` counted, and how to undo that if the file grows. */
  private tentative: { slot: ThreadSlot; node: number; values: Float64Array; prevLastDepth: number } | null = null;

  constructor(readonly profile: Profile = new Profile()) {
    profile.format = this.format;
    this.checks = new ReadChecks(profile, this.log);
  }

  get issues(): readonly ReadIssue[] {
    return this.log.issues;
  }

  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    this.undoEnd();
    let buf = chunk;
    let p = 0;
    const carry = this.carry;
    if (carry && this.version > 0 && carry.length >= LONG_EVENT && chunk.indexOf(0) < 0) {
      if (VARINT_EVENTS.has(carry[0])) {
        this.fatal(`an event of ${carry.length} bytes at byte ${this.consumed} that holds only numbers (a corrupt varint?)`, this.consumed);
        return;
      }
      this.growCarry(chunk);
      if (this.carry!.length > MAX_EVENT_BYTES) this.fatal(`an event longer than ${MAX_EVENT_BYTES} bytes (a string without its end?)`, this.consumed);
      return;
    }
    if (carry) {
      this.carry = null;
      this.carryStore = null;
      if (this.version > 0 && chunk.length > JOIN_BYTES) {
        // Finish the cut event with the head of the chunk rather than copying the whole chunk.
        const joined = join(carry, chunk.subarray(0, JOIN_BYTES));
        const q = this.decode(joined, 0, this.consumed);
        this.consumed += q;
        if (this.failed) return;
        if (q >= carry.length) p = q - carry.length;
        else buf = join(joined.subarray(q), chunk.subarray(JOIN_BYTES));
      } else {
        buf = join(carry, chunk);
      }
    }
    if (this.version === 0) {
      const h = this.header(buf);
      if (h <= 0) {
        if (h === 0 && !this.failed) this.carry = buf.slice();
        return;
      }
      p = h;
      this.consumed = h;
    }
    // buf[p] is at file offset `consumed`
    const base = this.consumed - p;
    p = this.decode(buf, p, base);
    this.consumed = base + p;
    if (this.failed || p >= buf.length) return;
    if (buf.length - p > MAX_EVENT_BYTES) {
      this.fatal(`an event longer than ${MAX_EVENT_BYTES} bytes (a string without its end?)`, this.consumed);
      return;
    }
    // copy: the caller may reuse its chunk buffer
    this.carry = buf.slice(p);
  }

  /** Appends to the carry in amortised constant time per byte. */
  private growCarry(chunk: Uint8Array): void {
    const len = this.carry!.length;
    const need = len + chunk.length;
    if (!this.carryStore || this.carryStore.length < need) {
      const store = new Uint8Array(Math.max(need, len * 2));
      store.set(this.carry!);
      this.carryStore = store;
    }
    this.carryStore.set(chunk, len);
    this.carry = this.carryStore.subarray(0, need);
  }

  end(): void {
    if (this.failed) return;
    this.undoEnd();
    const tail = this.carry?.length ?? 0;
    if (this.version === 0) {
      this.log.addProvisional({
        message: tail > 0 ? `the file ends inside the MOJO header (${tail} bytes)` : 'the file is empty (no MOJO header)',
        offset: 0,
        fatal: false,
      });
      return;
    }
    // A cut event inside a sample that lacks its metrics is one problem: one issue says both.
    this.cutEvent = tail > 0 ? `the file ends inside a ${MOJO_EVENTS[this.carry![0]] ?? `#${this.carry![0]}`} event at byte ${this.consumed} (${tail} bytes of it)` : undefined;
    const slot = this.slot;
    const prevLastDepth = slot?.lastDepth ?? 0;
    const added = this.finishSample(true);
    if (this.cutEvent) this.log.addProvisional({ message: this.cutEvent, offset: this.consumed, fatal: false });
    this.cutEvent = undefined;
    if (slot && this.slot === null) this.tentative = { slot, node: added, values: Float64Array.from(this.values), prevLastDepth };
    // A profile without samples still gets metrics, so that it can be aggregated (to zero). Only
    // provisionally when no mode says which: the first sample decides them (no tree exists yet).
    if (!this.layout) this.profile.setMetrics(this.metricDefs(this.modeLayout() ?? 'time'));
  }

  /** Takes back what `end()` counted and reported: the file grew, so its tail was not the end. */
  private undoEnd(): void {
    this.log.clearProvisional();
    const t = this.tentative;
    if (!t) return;
    this.tentative = null;
    if (t.node >= 0) {
      this.checks.remove(t.node, t.values);
      this.samples--;
    }
    // finishSample swapped the sample's stack (cut to the depth limit if it was deeper) into the
    // slot's repeat base: swap it back
    const slot = t.slot;
    const stack = slot.last;
    const depth = slot.lastDepth;
    slot.last = this.stack;
    slot.lastDepth = t.prevLastDepth;
    this.stack = stack;
    this.depth = depth;
    this.cutFrames = 0;
    this.slot = slot;
    this.tables = slot.tables;
  }

  /** Reads `MOJ` + version. Returns the position after it, 0 when more bytes are needed, -1 on failure. */
  private header(buf: Uint8Array): number {
    const n = Math.min(buf.length, 3);
    for (let i = 0; i < n; i++) {
      if (buf[i] !== 'MOJ'.charCodeAt(i)) {
        this.fatal('not a MOJO file (it does not start with "MOJ")', 0);
        return -1;
      }
    }
    const v = readVarint(buf, 3, buf.length);
    if (Number.isNaN(v)) return 0;
    if (v < 1 || v > 4) {
      this.fatal(`unsupported MOJO version ${v} (this reader knows versions 1 to 4)`, 3);
      return -1;
    }
    this.version = v;
    return varint.end;
  }

  private fatal(message: string, offset: number): void {
    this.failed = true;
    this.carry = null;
    this.carryStore = null;
    this.log.add({ message, offset, fatal: true });
  }

  /** Decodes whole events from buf[p..]; returns where the first incomplete event starts. */
  private decode(buf: Uint8Array, p: number, base: number): number {
    const end = buf.length;
    const v2 = this.version >= 2;
    const v3 = this.version >= 3;
    const v4 = this.version >= 4;
    const counts = this.eventCounts;
    while (p < end) {
      const at = p;
      const ev = buf[p];
      let q = p + 1;
      switch (ev) {
        case FRAME_REF: {
          const key = readVarint(buf, q, end);
          if (key !== key) return at;
          q = varint.end;
          if (this.inTask) break;
          let id = this.tables.frames.get(key);
          if (id < 0) id = this.undefinedFrame(key, base + at);
          this.pushFrame(id);
          break;
        }
        case STACK: {
          const pid = readVarint(buf, q, end);
          if (pid !== pid) return at;
          q = varint.end;
          let iid = -1;
          if (v3) {
            iid = readVarint(buf, q, end);
            if (iid !== iid) return at;
            q = varint.end;
          }
          const z = buf.indexOf(0, q);
          if (z < 0) return at;
          this.startSample(buf, pid, iid, q, z, base + at);
          q = z + 1;
          break;
        }
        case METRIC_TIME:
        case METRIC_MEMORY: {
          const x = readVarint(buf, q, end);
          if (x !== x) return at;
          q = varint.end;
          if (this.inTask) {
            // a task block ends with the task's own time, not the sample's (absent in memory mode)
            this.inTask = false;
            if (ev === METRIC_TIME) break;
          }
          if (ev === METRIC_TIME) {
            this.time = x;
            this.hasTime = true;
          } else {
            this.mem = x;
            this.hasMem = true;
          }
          break;
        }
        case STACK_REPEAT:
          if (!v4) {
            this.corrupt(ev, base + at);
            return at;
          }
          this.inTask = false;
          this.repeatStack();
          break;
        case IDLE:
          this.idle = true;
          break;
        case GC:
          this.gc = true;
          break;
        case FRAME_INVALID:
          if (this.inTask) break;
          if (this.invalidFrame < 0) this.invalidFrame = this.profile.frame('', 'INVALID', 0, { kind: 'synthetic' });
          this.pushFrame(this.invalidFrame);
          break;
        case FRAME: {
          const key = readVarint(buf, q, end);
          if (key !== key) return at;
          const file = readVarint(buf, varint.end, end);
          if (file !== file) return at;
          const scope = readVarint(buf, varint.end, end);
          if (scope !== scope) return at;
          const line = readVarint(buf, varint.end, end);
          if (line !== line) return at;
          let lineEnd = 0;
          let column = 0;
          let columnEnd = 0;
          if (v2) {
            lineEnd = readVarint(buf, varint.end, end);
            if (lineEnd !== lineEnd) return at;
            column = readVarint(buf, varint.end, end);
            if (column !== column) return at;
            columnEnd = readVarint(buf, varint.end, end);
            if (columnEnd !== columnEnd) return at;
          }
          q = varint.end;
          this.defineFrame(key, file, scope, line, lineEnd, column, columnEnd, base + at);
          break;
        }
        case STRING: {
          const key = readVarint(buf, q, end);
          if (key !== key) return at;
          q = varint.end;
          const z = buf.indexOf(0, q);
          if (z < 0) return at;
          this.tables.strings.set(key, this.checks.name(decodeUtf8(buf, q, z), 0, base + at));
          q = z + 1;
          break;
        }
        case METADATA: {
          const z1 = buf.indexOf(0, q);
          if (z1 < 0) return at;
          const z2 = buf.indexOf(0, z1 + 1);
          if (z2 < 0) return at;
          this.metadata(this.checks.name(decodeUtf8(buf, q, z1), 0, base + at), this.checks.name(decodeUtf8(buf, z1 + 1, z2), 0, base + at));
          q = z2 + 1;
          break;
        }
        case FRAME_KERNEL: {
          const z = buf.indexOf(0, q);
          if (z < 0) return at;
          if (!this.inTask) {
            const id = this.profile.frame('kernel', this.checks.name(decodeUtf8(buf, q, z), 0, base + at), 0, { kind: 'synthetic' });
            this.markNative(id, 1);
            this.pushFrame(id);
          }
          q = z + 1;
          break;
        }
        case STRING_REF:
          q = skipVarint(buf, q, end);
          if (q < 0) return at;
          break;
        case TASK_STACK:
        case TASK_WAITER:
          // asyncio tasks (newest Austin 4): between a STACK and the sample's own frames, a
          // TASK_STACK opens a block of the task's coroutine frames ended by its METRIC_TIME.
          // Not modelled yet: the block is skipped so that it does not leak into the sample.
          if (!v4) {
            this.corrupt(ev, base + at);
            return at;
          }
          q = skipVarint(buf, q, end);
          if (q < 0) return at;
          q = skipVarint(buf, q, end);
          if (q < 0) return at;
          this.inTask = ev === TASK_STACK && this.slot !== null;
          break;
        default:
          this.corrupt(ev, base + at);
          return at;
      }
      counts[ev]++;
      p = q;
    }
    return p;
  }

  private corrupt(ev: number, offset: number): void {
    const what =
      ev === 0
        ? 'event id 0 (reserved, never written by Austin)'
        : ev < MOJO_EVENTS.length
          ? `event ${MOJO_EVENTS[ev]} (${ev}), which MOJO v${this.version} does not define`
          : `unknown event id ${ev}`;
    // What came before stays: the open sample counts if it already has its metrics.
    if (this.slot && this.sampleComplete()) this.finishSample(true);
    this.fatal(`corrupt MOJO data at byte ${offset}: ${what}`, offset);
  }

  private pushFrame(id: number): void {
    if (this.repeatPending) {
      this.repeatPending = false;
      // With native unwinding, only the frames above the eval boundary follow STACK_REPEAT:
      // they replace the base's native top.
      if (this.nativeFrame[id]) while (this.depth > 0 && this.nativeFrame[this.stack[this.depth - 1]]) this.depth--;
    }
    if (this.depth >= 2 * MAX_STACK_DEPTH) {
      // a runaway stack: keep its outer frames and the newest, count the rest (values.ts)
      const n = compactStack(this.stack, this.depth, KEEP_ROOT, KEEP_LEAF);
      this.cutFrames += this.depth - n;
      this.depth = n;
    }
    if (this.depth >= this.stack.length) {
      const s = new Int32Array(this.stack.length * 2);
      s.set(this.stack);
      this.stack = s;
    }
    this.stack[this.depth++] = id;
  }

  private repeatStack(): void {
    const slot = this.slot;
    if (!slot) return;
    const n = slot.lastDepth;
    const d = this.depth;
    if (this.stack.length < n + d + 1) {
      const s = new Int32Array((n + d + 1) * 2);
      s.set(this.stack.subarray(0, d));
      this.stack = s;
    }
    if (d > 0) this.stack.copyWithin(n, 0, d);
    this.stack.set(slot.last.subarray(0, n), 0);
    this.depth = n + d;
    this.repeatPending = d === 0;
  }

  private startSample(buf: Uint8Array, pid: number, iid: number, a: number, z: number, offset: number): void {
    if (this.slot) this.finishSample(false);
    let h = Math.imul((pid | 0) ^ 0x2545f491, 0x01000193) ^ iid;
    for (let i = a; i < z; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    let slot = this.slots.get(h) ?? null;
    while (slot && !(slot.pid === pid && slot.iid === iid && sameBytes(slot.tidBytes, buf, a, z))) slot = slot.next;
    if (!slot) {
      slot = new ThreadSlot(pid, iid, buf.slice(a, z), this.checks.name(decodeUtf8(buf, a, z), 0, offset), this.tablesOf(pid));
      slot.next = this.slots.get(h) ?? null;
      this.slots.set(h, slot);
    }
    this.tables = slot.tables;
    this.slot = slot;
    this.sampleOffset = offset;
    this.depth = 0;
    this.hasTime = false;
    this.hasMem = false;
    this.idle = false;
    this.gc = false;
    this.repeatPending = false;
    this.inTask = false;
    this.cutFrames = 0;
  }

  /** The string and frame tables of a process. */
  private tablesOf(pid: number): PidTables {
    let t = this.tablesByPid.get(pid);
    if (!t) {
      // definitions before any STACK (never seen in practice) belong to the first process
      const early = this.tablesByPid.size === 0 && (this.tables.strings.size > 0 || this.eventCounts[FRAME] > 0);
      t = early ? this.tables : new PidTables();
      this.tablesByPid.set(pid, t);
    }
    return t;
  }

  /** Whether the open sample has the metrics its mode needs (decides the metrics on the first call). */
  private sampleComplete(): boolean {
    if (!this.layout) this.decideLayout();
    const layout = this.layout;
    return layout === 'memory' ? this.hasMem : layout === 'full' ? this.hasTime && this.hasMem : this.hasTime;
  }

  /**
   * Adds the open sample to the profile when it has the metrics its mode needs; returns its node
   * (-1 when it was not added). At the end of the bytes, an incomplete sample stays open.
   */
  private finishSample(atEnd: boolean): number {
    const slot = this.slot;
    if (!slot) return -1;
    this.slot = null;
    // Without a mode, a sample with only its time so far may be a full-mode one whose memory has
    // not been written yet: at the end of the bytes it is not known to be complete.
    const unsure = atEnd && !this.layout && this.mode === undefined && !this.hasMem;
    if (unsure || !this.sampleComplete()) {
      const layout = this.layout;
      if (atEnd) {
        const cut = this.cutEvent;
        this.cutEvent = undefined;
        this.log.addProvisional({
          message: cut
            ? `${cut}, in the sample that starts at byte ${this.sampleOffset}; the sample is left out`
            : `the file ends inside the sample that starts at byte ${this.sampleOffset} (its metrics are missing); it is left out`,
          offset: cut ? this.consumed : this.sampleOffset,
          fatal: false,
        });
        // A file that is still being written may complete it: keep it open.
        this.slot = slot;
      } else {
        const offset = this.sampleOffset;
        const what = layout === 'memory' ? 'memory' : 'time';
        this.log.addCounted(`no-metric`, { offset, fatal: false }, (n) =>
          n === 1
            ? `the sample at byte ${offset} has no ${what} metric; it was skipped`
            : `the sample at byte ${offset} has no ${what} metric; ${n} such samples were skipped`,
        );
      }
      return -1;
    }
    const layout = this.layout;
    const v = this.values;
    const t = this.time;
    const m = this.mem;
    switch (layout) {
      case 'full':
        v[0] = t;
        v[1] = this.idle ? 0 : t;
        // memory is a delta: a negative one is memory released
        v[2] = m > 0 ? m : 0;
        v[3] = m < 0 ? -m : 0;
        v[4] = 1;
        break;
      case 'memory':
        v[0] = m > 0 ? m : 0;
        v[1] = m < 0 ? -m : 0;
        v[2] = 1;
        break;
      case 'cpu':
        // Austin 3 skips idle threads in CPU mode; should an IDLE come anyway, it is no CPU time
        v[0] = this.idle ? 0 : t;
        v[1] = 1;
        break;
      default:
        v[0] = t;
        v[1] = 1;
    }
    const d = this.depth;
    // a refused sample creates no node (nor thread) of its own; its stack is still the repeat base
    const ok = this.checks.accepts(v, 0, this.sampleOffset);
    let n = this.cutFrames > 0 || d > MAX_STACK_DEPTH ? this.checks.cutStack(this.stack, d, 0, this.sampleOffset, this.cutFrames > 0 ? KEEP_ROOT : d, this.cutFrames) : d;
    const base = n;
    if (this.gc) {
      // like the text format's trailing `:GC:`; kept out of the STACK_REPEAT base
      if (this.gcFrame < 0) this.gcFrame = this.profile.frame('', 'GC', 0, { kind: 'synthetic' });
      if (this.stack.length <= n) {
        const s = new Int32Array(n * 2 + 2);
        s.set(this.stack);
        this.stack = s;
      }
      this.stack[n++] = this.gcFrame;
    }
    let node = -1;
    if (ok) {
      if (slot.thread < 0) slot.thread = this.profile.thread(String(slot.pid), slot.tid, slot.iid >= 0 ? String(slot.iid) : '');
      node = this.profile.path(slot.thread, this.stack, n);
      this.checks.add(node, v, 0, this.sampleOffset);
      this.samples++;
    }
    // The finalised stack becomes the thread's repeat base: swap buffers instead of copying.
    const last = slot.last;
    slot.last = this.stack;
    slot.lastDepth = base;
    this.stack = last;
    this.depth = 0;
    return node;
  }

  /** The layout the `mode` metadata names, if any. */
  private modeLayout(): Layout | undefined {
    const mode = this.mode;
    return mode === 'wall' || mode === 'cpu' || mode === 'memory' || mode === 'full' ? mode : undefined;
  }

  private metricDefs(layout: Layout): MetricDef[] {
    switch (layout) {
      case 'full':
        return [metric('wall'), metric('cpu'), metric('alloc'), metric('dealloc'), metric('samples')];
      case 'memory':
        return [metric('alloc'), metric('dealloc'), metric('samples')];
      default:
        return [metric(layout), metric('samples')];
    }
  }

  /** Metrics from the `mode` metadata, or from the first sample's metric events when it is absent. */
  private decideLayout(): void {
    let layout = this.modeLayout();
    if (!layout) layout = this.hasTime && this.hasMem ? 'full' : this.hasMem ? 'memory' : 'time';
    this.layout = layout;
    const defs = this.metricDefs(layout);
    this.profile.setMetrics(defs);
    this.values = new Float64Array(defs.length);
  }

  private metadata(key: string, value: string): void {
    this.profile.setMeta(key, value);
    if (key === 'mode' && this.mode === undefined) this.mode = value;
    // austinp writes its memory maps as metadata: its frames without a .py file are native code
    if (key === 'map') this.nativeMode = true;
  }

  private string(key: number, offset: number): string {
    const s = this.tables.strings.get(key);
    if (s !== undefined) return s;
    // Austin predefines these two and never writes them (UNKNOWN_SCOPE is the pointer value 1)
    if (key === 1) return '<unknown>';
    if (key === 0) return '';
    this.log.addCounted('undefined-string', { offset, fatal: false }, (n) =>
      n === 1
        ? `byte ${offset}: a frame refers to string ${key}, which was never defined`
        : `byte ${offset}: a frame refers to string ${key}, which was never defined; ${n} such references`,
    );
    return '<unknown>';
  }

  private defineFrame(
    key: number,
    fileRef: number,
    scopeRef: number,
    line: number,
    lineEnd: number,
    column: number,
    columnEnd: number,
    offset: number,
  ): void {
    const f = classifyFrame(this.string(fileRef, offset), this.string(scopeRef, offset), line, this.nativeMode);
    // Austin < 3.7 wrote a bogus line_end for CPython < 3.11 (3.7.0 ChangeLog): only trust it with columns.
    const id = this.profile.frame(f.file, f.name, f.line, {
      lineEnd: column > 0 ? lineEnd : 0,
      column,
      columnEnd,
      kind: f.synthetic ? 'synthetic' : 'source',
    });
    this.markNative(id, f.native ? 1 : 0);
    this.tables.frames.set(key, id);
  }

  private markNative(id: number, flag: number): void {
    if (id >= this.nativeFrame.length) {
      const a = new Uint8Array(Math.max(id + 1, this.nativeFrame.length * 2));
      a.set(this.nativeFrame);
      this.nativeFrame = a;
    }
    this.nativeFrame[id] = flag;
  }

  private undefinedFrame(key: number, offset: number): number {
    this.log.addCounted('undefined-frame', { offset, fatal: false }, (n) =>
      n === 1
        ? `byte ${offset}: a stack refers to frame ${key}, which was never defined`
        : `byte ${offset}: a stack refers to frame ${key}, which was never defined; ${n} such references`,
    );
    if (this.unknownFrame < 0) this.unknownFrame = this.profile.frame('', '<unknown>', 0, { kind: 'synthetic' });
    return this.unknownFrame;
  }
}
