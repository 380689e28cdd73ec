import { Profile } from '../model';
import { JsonTokenizer, type JsonSink } from './json-stream';
import { type Kind, metricsFor, newProfileState, profileKind, type ProfileState, threadOfName, unitScale } from './speedscope-profile';
import { FloatQueue, IntQueue } from './typed-queues';
import { IssueLog, type ProfileReader, type ReadIssue } from './types';
import { KEEP_LEAF, KEEP_ROOT, MAX_STACK_DEPTH, ReadChecks } from './values';

/**
 * speedscope JSON (`jlfwong/speedscope: src/lib/file-format-spec.ts`), read as a stream: bytes go
 * through an incremental tokenizer, frames and samples are turned into the model as they arrive,
 * so a file past V8's ~512 MB string limit reads like any other.
 *
 * - `shared.frames[i]` -> a model frame: `{name, file, line, col}`; no file (or `<...>`, or '')
 *   -> synthetic, function-only.
 * - Each profile is one thread. Names `<Metric> profile for <pid>:[<iid>:]<tid>`
 *   (austin2speedscope) and `[Process <pid> ]Thread <tid> "<name>"` (py-spy) give pid/tid;
 *   otherwise the profile's index is the tid and its name the label.
 * - Sampled profiles: `samples` (frame index arrays, root first) pair with `weights` in order.
 *   Each stack becomes its call-tree node as soon as it is read, so only one int per sample waits
 *   for its weight. Evented profiles: the top of the open-frame stack owns the time between
 *   consecutive events.
 * - Metrics, decided by the first profile read: austin2speedscope's "CPU time"/"Wall time" ->
 *   `cpu`/`wall`, its memory profiles -> `alloc` + `dealloc`; otherwise a time unit -> `time`,
 *   `bytes` -> `alloc`, `none` -> `samples` labelled "samples (weight)". Times are converted to
 *   microseconds. A `samples` count (1 per sample, 1 per evented interval) comes along, except
 *   with `none`, whose weight is the count. A later profile measuring something else (austin full
 *   mode writes CPU, wall and memory profiles) is skipped with an issue: a model's metrics are
 *   fixed before its first sample.
 * - `shared.frames` normally precede `profiles`; when they do not, sample index arrays are kept
 *   (Int32Array) until the frames are known.
 * - A speedscope file is one JSON document, whole only at its end: one cut short is a fatal
 *   problem (what came before it stays: every sample counted has its weight). Reading can still
 *   go on if the file grows. Weights that cannot be true are refused, stacks deeper than 10,000
 *   frames cut, names longer than 4,096 characters cut (values.ts).
 */

const enum R {
  Ignore,
  Root,
  Shared,
  Frames,
  Frame,
  Profiles,
  Profile,
  Samples,
  Stack,
  Weights,
  Events,
  Event,
}

/** Stands for a sample that is not an array: an invalid frame index, so the sample is dropped. */
const BAD_STACK = Int32Array.of(-2);

export class SpeedscopeReader implements ProfileReader, JsonSink {
  readonly format = 'speedscope';
  private readonly log = new IssueLog();
  private readonly tok = new JsonTokenizer(this, 2 * MAX_STACK_DEPTH, KEEP_ROOT, KEEP_LEAF);
  private readonly checks: ReadChecks;
  /** end() found the document cut short: fatal unless more bytes come. */
  private cut = false;
  private roles = new Uint8Array(32);
  private depth = 0;
  private curKey = '';
  // frames
  private readonly frameIds = new IntQueue();
  private framesKnown = false;
  private fName: string | undefined;
  private fFile: string | undefined;
  private fLine = 0;
  private fCol = 0;
  // profiles
  private profileCount = 0;
  private ps: ProfileState | null = null;
  private readonly waiting: ProfileState[] = [];
  private ids = new Int32Array(128);
  private evType = '';
  private evAt = NaN;
  private evFrame = NaN;
  // metrics
  private metricsSet = false;
  private weightOnly = false;
  private readonly once = new Set<string>();

  constructor(readonly profile: Profile = new Profile()) {
    profile.format = this.format;
    this.checks = new ReadChecks(profile, this.log);
  }

  get issues(): readonly ReadIssue[] {
    return this.log.issues;
  }

  get consumed(): number {
    return this.tok.failed ? (this.tok.error?.offset ?? 0) : this.tok.offset;
  }

  get failed(): boolean {
    return this.tok.failed || this.cut;
  }

  push(chunk: Uint8Array): void {
    // end() found the JSON cut short, but the file grew: the tokenizer simply continues
    this.log.clearProvisional();
    this.cut = false;
    if (this.tok.failed) return;
    this.tok.push(chunk);
    if (this.tok.failed) {
      const e = this.tok.error!;
      this.log.add({ message: `invalid JSON at byte ${e.offset}: ${e.message}`, offset: e.offset, fatal: true });
    }
  }

  end(): void {
    if (this.tok.failed) return;
    this.log.clearProvisional();
    this.cut = false;
    const err = this.tok.end();
    if (this.tok.failed) {
      this.log.add({ message: err!.message, offset: err!.offset, fatal: true });
      return;
    }
    if (err) {
      const ps = this.ps;
      const lost = ps && ps.ready ? ps.nodes.size : 0;
      const extra = lost > 0 ? `; the last ${lost} samples of profile "${ps!.name ?? ps!.index}" have no weight yet and were not counted` : '';
      this.cut = true;
      this.log.addProvisional({ message: `${err.message}; what came before it was read${extra}`, offset: err.offset, fatal: true });
      return;
    }
    if (this.waiting.length > 0) {
      this.note(
        'noframes',
        `the file has no shared.frames, so its ${this.waiting.length} profile(s) could not be read`,
        this.tok.offset,
      );
    }
  }

  // ---- JsonSink ----

  startObject(): void {
    const role = this.childRole(true);
    this.pushRole(role);
    if (role === R.Frame) {
      this.fName = this.fFile = undefined;
      this.fLine = this.fCol = 0;
    } else if (role === R.Profile) {
      this.ps = newProfileState(this.profileCount++);
    } else if (role === R.Event) {
      this.evType = '';
      this.evAt = this.evFrame = NaN;
    }
  }

  endObject(): void {
    const role = this.roles[--this.depth];
    if (role === R.Frame) this.addFrame();
    else if (role === R.Profile) this.endProfile(this.ps!);
    else if (role === R.Event) this.endEvent(this.ps!);
  }

  startArray(): boolean {
    const role = this.childRole(false);
    this.pushRole(role);
    // a stack's frame indices go to the tokenizer's int lane, read back in endStack
    return role === R.Stack;
  }

  endArray(): void {
    const role = this.roles[--this.depth];
    if (role === R.Stack) this.endStack(this.ps!);
    else if (role === R.Frames) this.endFrames();
  }

  key(name: string): void {
    this.curKey = name;
  }

  string(value: string): void {
    if (this.depth === 0) return;
    switch (this.roles[this.depth - 1]) {
      case R.Root:
        if (this.curKey === 'exporter' || this.curKey === 'name') this.profile.setMeta(this.curKey, value);
        break;
      case R.Frame:
        if (this.curKey === 'name') this.fName = value;
        else if (this.curKey === 'file') this.fFile = value;
        break;
      case R.Profile:
        if (this.curKey === 'name') this.ps!.name = value;
        else if (this.curKey === 'unit') this.ps!.unit = value;
        break;
      case R.Event:
        if (this.curKey === 'type') this.evType = value;
        break;
    }
  }

  number(value: number): void {
    if (this.depth === 0) return;
    switch (this.roles[this.depth - 1]) {
      case R.Weights:
        this.weight(this.ps!, value);
        break;
      case R.Frame:
        if (this.curKey === 'line') this.fLine = value;
        else if (this.curKey === 'col') this.fCol = value;
        break;
      case R.Event:
        if (this.curKey === 'at') this.evAt = value;
        else if (this.curKey === 'frame') this.evFrame = value;
        break;
      case R.Samples:
        // not a stack: counted as a dropped sample, so later samples still meet their own weights
        this.note('flat', `profile ${this.label(this.ps!)}: a sample is a number, not an array of frame indices; it was skipped`, this.tok.offset);
        this.stack(this.ps!, BAD_STACK, 1);
        break;
    }
  }

  literal(): void {
    // nulls (py-spy's `"line": null`, `"col": null`) mean "unknown": the defaults already say so
  }

  // ---- structure ----

  private pushRole(role: R): void {
    if (this.depth === this.roles.length) {
      const r = new Uint8Array(this.depth * 2);
      r.set(this.roles);
      this.roles = r;
    }
    this.roles[this.depth++] = role;
  }

  private childRole(isObject: boolean): R {
    if (this.depth === 0) return isObject ? R.Root : R.Ignore;
    const k = this.curKey;
    switch (this.roles[this.depth - 1]) {
      case R.Root:
        if (k === 'shared' && isObject) return R.Shared;
        if (k === 'profiles' && !isObject) return R.Profiles;
        return R.Ignore;
      case R.Shared:
        return k === 'frames' && !isObject ? R.Frames : R.Ignore;
      case R.Frames:
        return isObject ? R.Frame : R.Ignore;
      case R.Profiles:
        return isObject ? R.Profile : R.Ignore;
      case R.Profile:
        if (isObject) return R.Ignore;
        return k === 'samples' ? R.Samples : k === 'weights' ? R.Weights : k === 'events' ? R.Events : R.Ignore;
      case R.Samples:
        return isObject ? R.Ignore : R.Stack;
      case R.Events:
        return isObject ? R.Event : R.Ignore;
      default:
        return R.Ignore;
    }
  }

  private note(kind: string, message: string, offset: number): void {
    if (this.once.has(kind)) return;
    this.once.add(kind);
    this.log.add({ message, offset, fatal: false });
  }

  // ---- frames ----

  private addFrame(): void {
    const at = this.tok.offset;
    const file = this.checks.name(this.fFile ?? '', 0, at);
    const synthetic = file === '' || (file.startsWith('<') && file.endsWith('>'));
    const line = this.fLine > 0 && this.fLine < 4294967296 ? Math.floor(this.fLine) : 0;
    const column = this.fCol > 0 && this.fCol < 4294967296 ? Math.floor(this.fCol) : 0;
    const name = this.checks.name(this.fName ?? '(unnamed)', 0, at);
    this.frameIds.push(this.profile.frame(file, name, line, { column, kind: synthetic ? 'synthetic' : 'source' }));
  }

  private endFrames(): void {
    if (this.framesKnown) return;
    this.framesKnown = true;
    for (const ps of this.waiting.splice(0)) {
      this.resolveProfile(ps);
      this.finishProfile(ps);
    }
  }

  // ---- profiles ----

  private label(ps: ProfileState): string {
    return ps.name !== undefined ? `"${ps.name}"` : `#${ps.index}`;
  }

  /** Resolves thread and metric once frames, name and unit are known (or can no longer come). */
  private tryResolve(ps: ProfileState): boolean {
    if (ps.ready) return true;
    if (!this.framesKnown || ps.name === undefined || ps.unit === undefined) return false;
    this.resolveProfile(ps);
    return true;
  }

  private decideMetrics(kind: Kind, austin: boolean): void {
    this.metricsSet = true;
    const defs = metricsFor(kind, austin);
    this.weightOnly = kind === 'weight';
    this.profile.setMetrics(defs);
  }

  private resolveProfile(ps: ProfileState): void {
    ps.ready = true;
    const { kind, austin } = profileKind(ps.name, ps.unit);
    if (!this.metricsSet) this.decideMetrics(kind, austin);
    const p = this.profile;
    ps.slot = this.weightOnly ? (kind === 'weight' ? 0 : -1) : kind === 'weight' ? -1 : p.metricIndex(kind);
    if (ps.slot < 0) {
      ps.skip = true;
      const what = `profile ${this.label(ps)} measures ${kind === 'weight' ? 'unitless weights' : kind}, but the file's first profile set the metrics to ${p.metrics.map((m) => m.key).join(', ')}`;
      this.log.addCounted(`skipped:${kind}`, { offset: this.tok.offset, fatal: false }, (n) =>
        n === 1 ? `${what}; it was skipped` : `${what}; ${n} such profiles were skipped`,
      );
    } else {
      ps.countSlot = this.weightOnly ? -1 : p.metricIndex('samples');
      ps.scale = unitScale(ps.unit);
      ps.values = new Float64Array(p.metrics.length);
      ps.thread = this.threadOf(ps);
    }
    // replay what was read before the profile could be resolved
    if (ps.raw && ps.rawLens) {
      const raw = ps.raw;
      let off = 0;
      while (ps.rawLens.size > 0) {
        const n = ps.rawLens.shift();
        this.sample(ps, raw.a, off, n);
        off += n;
      }
      ps.raw = ps.rawLens = null;
    }
    if (ps.rawEvents) {
      const ev = ps.rawEvents;
      ps.rawEvents = null;
      while (ev.size >= 3) {
        const t = ev.shift();
        const at = ev.shift();
        const f = ev.shift();
        this.event(ps, t === 0 ? 'O' : t === 1 ? 'C' : '?', at, f);
      }
    }
    // weights that came before their samples pair with the nodes replayed above
    while (!ps.skip && ps.nodes.size > 0 && ps.weights.size > 0) this.add(ps, ps.nodes.shift(), ps.weights.shift());
  }

  private threadOf(ps: ProfileState): number {
    const c = this.checks;
    const at = this.tok.offset;
    const t = threadOfName(c.name(ps.name ?? '', 0, at), ps.index);
    return this.profile.thread(c.name(t.pid, 0, at), c.name(t.tid, 0, at), c.name(t.iid, 0, at), t.label);
  }

  private endProfile(ps: ProfileState): void {
    this.ps = null;
    if (!ps.ready) {
      if (!this.framesKnown) {
        this.waiting.push(ps);
        return;
      }
      this.resolveProfile(ps);
    }
    this.finishProfile(ps);
  }

  private finishProfile(ps: ProfileState): void {
    if (ps.skip) return;
    const samples = ps.nodes.size;
    const weights = ps.weights.size;
    if (samples > 0 || weights > 0) {
      const what = `profile ${this.label(ps)}: ${samples > 0 ? `${samples} samples have no weight` : `${weights} weights have no sample`}; they were not counted`;
      this.log.addCounted(samples > 0 ? 'unweighted' : 'unsampled', { offset: this.tok.offset, fatal: false }, (n) =>
        n === 1 ? what : `${what} (and the same in ${n - 1} more profiles)`,
      );
    }
  }

  // ---- sampled ----

  private endStack(ps: ProfileState): void {
    this.stack(ps, this.tok.ints, this.tok.intCount, this.tok.intsDropped);
  }

  /**
   * A sample's frame indices ints[0, n): resolved now, or kept until the profile can be. `dropped`
   * indices between ints[KEEP_ROOT - 1] and ints[KEEP_ROOT] were left out (a stack past twice the
   * depth limit; see JsonTokenizer).
   */
  private stack(ps: ProfileState, ints: Int32Array, n: number, dropped = 0): void {
    if (this.tryResolve(ps)) {
      this.sample(ps, ints, 0, n, dropped);
      return;
    }
    if (dropped > 0) {
      // rare (a runaway stack before shared.frames): queued already cut, without the cut frame
      ints.copyWithin(KEEP_ROOT, n - KEEP_LEAF, n);
      n = KEEP_ROOT + KEEP_LEAF;
      this.note('deepqueued', `profile ${this.label(ps)}: a stack of ${n + dropped} frames, read before shared.frames, was cut to its ${KEEP_ROOT} outermost and ${KEEP_LEAF} innermost frames`, this.tok.offset);
    }
    ps.raw ??= new IntQueue();
    ps.rawLens ??= new IntQueue();
    for (let i = 0; i < n; i++) ps.raw.push(ints[i]);
    ps.rawLens.push(n);
  }

  /** One sample's stack, frame indices a[off, off+n) root first: its node waits for its weight. */
  private sample(ps: ProfileState, a: Int32Array, off: number, n: number, dropped = 0): void {
    if (ps.skip) return;
    let node: number;
    if (n === 0) node = this.profile.root(ps.thread);
    else {
      if (this.ids.length < n + 1) this.ids = new Int32Array(n * 2 + 1);
      const ids = this.ids;
      const known = this.frameIds.n;
      node = 0;
      for (let i = 0; i < n; i++) {
        const f = a[off + i];
        if (f < 0 || f >= known) {
          node = -1;
          if (f === -2) break; // BAD_STACK, already reported
          this.note('badframe', `profile ${this.label(ps)}: a sample refers to frame ${f < 0 ? '(not a frame index)' : f}, which shared.frames does not have; the sample was skipped`, this.tok.offset);
          break;
        }
        ids[i] = this.frameIds.a[f];
      }
      if (node === 0) {
        const depth = n > MAX_STACK_DEPTH || dropped > 0 ? this.checks.cutStack(ids, n, 0, this.tok.offset, dropped > 0 ? KEEP_ROOT : n, dropped) : n;
        node = this.profile.path(ps.thread, ids, depth);
      }
    }
    if (ps.weights.size > 0) this.add(ps, node, ps.weights.shift());
    else ps.nodes.push(node);
  }

  private weight(ps: ProfileState, w: number): void {
    if (ps.skip) return;
    if (ps.ready && ps.nodes.size > 0) this.add(ps, ps.nodes.shift(), w);
    else ps.weights.push(w);
  }

  private add(ps: ProfileState, node: number, w: number): void {
    if (node < 0) return;
    const v = ps.values;
    v[ps.slot] = w * ps.scale;
    if (ps.countSlot >= 0) v[ps.countSlot] = 1;
    this.checks.add(node, v, 0, this.tok.offset);
  }

  // ---- evented ----

  private endEvent(ps: ProfileState): void {
    const t = this.evType;
    if (!Number.isFinite(this.evAt) || !Number.isInteger(this.evFrame) || (t !== 'O' && t !== 'C')) {
      this.note('badevent', `profile ${this.label(ps)}: an event lacks a type 'O'/'C', an 'at' or a frame; it was skipped`, this.tok.offset);
      return;
    }
    if (this.tryResolve(ps)) {
      this.event(ps, t, this.evAt, this.evFrame);
      return;
    }
    ps.rawEvents ??= new FloatQueue();
    ps.rawEvents.push(t === 'O' ? 0 : 1);
    ps.rawEvents.push(this.evAt);
    ps.rawEvents.push(this.evFrame);
  }

  private event(ps: ProfileState, type: string, at: number, frame: number): void {
    if (ps.skip) return;
    if (!ps.evStarted) {
      ps.evStarted = true;
      ps.lastAt = at;
    }
    if (at < ps.lastAt) {
      this.note('backwards', `profile ${this.label(ps)}: event times go backwards (${at} after ${ps.lastAt}); read as no time passing`, this.tok.offset);
      at = ps.lastAt;
    }
    const depth = ps.open.size;
    if (depth > 0 && at > ps.lastAt) {
      let ids: Int32Array = ps.openIds.a;
      let n = depth;
      if (depth > MAX_STACK_DEPTH) {
        if (this.ids.length < depth) this.ids = new Int32Array(depth * 2);
        this.ids.set(ps.openIds.a.subarray(0, depth));
        ids = this.ids;
        n = this.checks.cutStack(ids, depth, 0, this.tok.offset);
      }
      const node = this.profile.path(ps.thread, ids, n);
      this.add(ps, node, at - ps.lastAt);
    }
    ps.lastAt = at;
    if (type === 'O') {
      if (frame < 0 || frame >= this.frameIds.n) {
        this.note('badframe', `profile ${this.label(ps)}: an event opens frame ${frame}, which shared.frames does not have; it was skipped`, this.tok.offset);
        return;
      }
      ps.open.push(frame);
      ps.openIds.push(this.frameIds.a[frame]);
      return;
    }
    // 'C': normally the top frame; speedscope rejects anything else, we close down to it
    const open = ps.open.a;
    let k = ps.open.n - 1;
    while (k >= 0 && open[k] !== frame) k--;
    if (k < 0) {
      this.note('unbalanced', `profile ${this.label(ps)}: an event closes frame ${frame}, which is not open; it was ignored`, this.tok.offset);
      return;
    }
    if (k !== ps.open.n - 1) {
      this.note('unbalanced', `profile ${this.label(ps)}: an event closes frame ${frame} while other frames above it are open; they were closed with it`, this.tok.offset);
    }
    ps.open.n = k;
    ps.openIds.n = k;
  }
}

/** Content detection: a JSON object with speedscope's schema URL, `shared.frames`, or typed profiles. */
export function looksSpeedscope(_head: Uint8Array, text: string): boolean {
  if (!/^(\uFEFF|\u00EF\u00BB\u00BF)?\s*\{/.test(text)) return false;
  if (text.includes('speedscope.app/file-format-schema')) return true;
  if (/"shared"\s*:\s*\{\s*"frames"\s*:/.test(text)) return true;
  return /"profiles"\s*:\s*\[/.test(text) && /"type"\s*:\s*"(sampled|evented)"/.test(text);
}
