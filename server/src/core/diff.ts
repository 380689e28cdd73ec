/**
 * Comparing two runs: a baseline profile and the current one, through the same metric, keyed by
 * (file, function) and (file, line). Pure: two ProfileViews in, changes out.
 *
 * What is compared (docs/diff.md):
 * - By default the **metric itself** (seconds, bytes, samples), never the shares: when one thing
 *   gets faster every unchanged line's share goes up, and a diff of shares would call that a
 *   regression. `perSample` scales the baseline by the ratio of sample counts (runs that did
 *   different amounts of work); `share` compares percents of each run's total, in points.
 * - A change is **flagged** only when a test on the sample counts says it is not noise and it is
 *   larger than a minimum effect (see `testChange`).
 * - Baseline lines are carried to current lines **through the function they belong to** (see
 *   `ProfileDiff.fileLines`); a line that cannot be placed without guessing is compared at the
 *   function level only.
 */
import type { Definition } from './definitions';
import { carryLines, type FileLineDiff } from './diff-lines';
import type { FrameKind, MetricDef, Profile, Unit } from './model';
import { formatValue, percentOf } from './format';
import { commonSuffixSegments, segments } from './paths';
import { inert } from './present';
import { ProfileView } from './view';

export type CompareMode = 'value' | 'perSample' | 'share';

export interface DiffSettings {
  readonly compare: CompareMode;
  /** Smallest change flagged, in percent of the baseline value. */
  readonly minEffect: number;
  /** Smallest change flagged, in percent of the baseline run's total (points in `share` mode). */
  readonly minShare: number;
}

export const DEFAULT_DIFF_SETTINGS: DiffSettings = { compare: 'value', minEffect: 5, minShare: 0.1 };

/** |z| needed to call a change real: about 1 false alarm in 370 unchanged keys under Poisson sampling. */
export const Z_MIN = 3;

export type Direction = 'slower' | 'faster' | 'same';

/** One key (a function or a line) in both runs, in the diff's unit. */
export interface Change {
  readonly base: number;
  readonly current: number;
  /** current − base. */
  readonly delta: number;
  /** delta as a percent of base; null when base is 0 (new). */
  readonly percent: number | null;
  /** Samples in which the key appears (once per sample), in each run. */
  readonly baseCount: number;
  readonly currentCount: number;
  /** The test statistic; null when a run records no sample counts. */
  readonly z: number | null;
  /** Not noise (|z| ≥ Z_MIN) and at least the minimum effect: the only changes shown inline. */
  readonly significant: boolean;
  /** `slower` / `faster` (more / less of the metric) when significant, else `same`. */
  readonly direction: Direction;
  /** The verdict in words, for hovers and the CLI. */
  readonly verdict: string;
}

export interface FunctionChange extends Change {
  readonly name: string;
  /** The current run's recorded file; the baseline's for a function that is gone. */
  readonly file: string;
  readonly kind: FrameKind;
  /** Function id in the current profile, -1 when gone. */
  readonly currentId: number;
  /** Function id in the baseline profile, -1 when new. */
  readonly baseId: number;
  readonly status: 'both' | 'gone' | 'new';
}


export type { FileLineDiff, FunctionShift, LineChange, ShiftHow } from './diff-lines';

/** A diff that must not be computed: one message, no numbers. */
export interface DiffRefusal {
  readonly refused: string;
}

/** One run: the view of the metric compared and, where the run has them, its sample counts (same profile and scope). */
export interface DiffSide {
  readonly view: ProfileView;
  readonly counts: ProfileView | undefined;
}

type Family = 'time' | 'bytes' | 'count';

const TIME_SCALE: Partial<Record<Unit, number>> = { nanoseconds: 1e-9, microseconds: 1e-6, milliseconds: 1e-3, seconds: 1 };

function family(unit: Unit): Family {
  if (TIME_SCALE[unit] !== undefined) return 'time';
  return unit === 'bytes' ? 'bytes' : 'count';
}

/**
 * The view of a run's sample counts: its `samples` metric where it has one (Austin, MOJO, pprof,
 * speedscope, .cpuprofile, perf), else the metric itself when that is a count (collapsed stacks'
 * weights); undefined when the run records none (its changes cannot be tested).
 */
export function countsView(view: ProfileView): ProfileView | undefined {
  const p = view.profile;
  if (view.metric.key === 'samples') return view;
  if (p.metricIndex('samples') >= 0) return ProfileView.create(p, 'samples', view.scope, view.name);
  return view.metric.unit === 'count' ? view : undefined;
}

/**
 * The baseline metric comparable with the current one: the same key (CPU time with CPU time,
 * memory allocated with memory allocated) in the same family of units; else why not.
 */
export function baselineMetric(base: Profile, baseName: string, current: MetricDef, currentName: string): { key: string } | DiffRefusal {
  if (base.metrics.length === 0) return { refused: `${baseName} holds no samples: nothing to compare with` };
  const m = base.metrics.find((x) => x.key === current.key);
  if (m && family(m.unit) === family(current.unit)) return { key: m.key };
  const has = base.metrics.filter((x) => x.key !== 'samples').map((x) => x.label);
  const what = has.length > 0 ? has.join(', ') : 'only sample counts';
  return { refused: `cannot compare ${currentName} with ${baseName}: ${currentName} is measured in ${current.label}, ${baseName} records ${what}` };
}


const fmtZ = (z: number) => (z < 0 ? '\u2212' : '') + (Math.abs(z) >= 100 ? Math.abs(z).toFixed(0) : Math.abs(z).toFixed(1));

export interface TestContext {
  readonly settings: DiffSettings;
  /** The smallest |delta| flagged whatever the base (minShare of the baseline total), in the diff's unit. */
  readonly floor: number;
  readonly hasCounts: boolean;
  /** What to call the run without counts in the verdict. */
  readonly noCounts?: string;
  /** For verdicts: formats a delta in the diff's unit. */
  readonly format: (delta: number) => string;
  /** Share mode: values are shares of the whole, whose variance is binomial rather than Poisson. */
  readonly shares: boolean;
}

/**
 * The test behind every flag. The value of a key is a sum over the samples in which it appears;
 * under Poisson sampling its relative standard error is 1/√n for n such samples. So
 *
 *     z = (current − base) / √(base²/n_base + current²/n_current)
 *
 * (for shares, each term times (1 − share): binomial rather than Poisson). With a fixed sampling
 * interval i every value is n·i and this is the classic test of two Poisson counts,
 * (n_cur − n_base)/√(n_base + n_cur). Using the values rather than raw counts keeps it right when
 * the runs' intervals differ (Austin's effective interval depends on the load). It treats the
 * samples of a key as carrying equal values, which holds for time; heavy-tailed memory samples
 * make it optimistic, which the minimum effect tempers. A change is significant when |z| ≥ 3
 * and |delta| is at least `minEffect` % of the base and at least the floor.
 */
export function testChange(base: number, baseCount: number, current: number, currentCount: number, t: TestContext): Change {
  const delta = current - base;
  const percent = base !== 0 ? (delta / Math.abs(base)) * 100 : null;
  let z: number | null = null;
  if (t.hasCounts) {
    const term = (v: number, n: number) => {
      if (v === 0) return 0;
      const w = t.shares ? Math.max(0, 1 - Math.abs(v) / 100) : 1;
      return (v * v * w) / Math.max(1, n);
    };
    const variance = term(base, baseCount) + term(current, currentCount);
    z = variance > 0 ? delta / Math.sqrt(variance) : 0;
  }
  let verdict: string;
  let significant = false;
  const minDelta = Math.max(t.floor, percent === null ? 0 : (Math.abs(base) * t.settings.minEffect) / 100);
  if (delta === 0) verdict = 'no change';
  else if (z === null) verdict = `not tested: ${t.noCounts ?? 'a run'} records no sample counts`;
  else if (Math.abs(z) < Z_MIN) verdict = `within sampling noise (z = ${fmtZ(z)}, |z| < ${Z_MIN})`;
  else if (Math.abs(delta) < minDelta) {
    const need = percent !== null && minDelta > t.floor ? `${t.settings.minEffect} % of the baseline` : t.format(t.floor);
    verdict = `real (z = ${fmtZ(z)}) but smaller than the minimum effect (${need})`;
  } else {
    significant = true;
    verdict = `a real change (z = ${fmtZ(z)})`;
  }
  const direction: Direction = significant ? (delta > 0 ? 'slower' : 'faster') : 'same';
  return { base, current, delta, percent, baseCount, currentCount, z, significant, direction, verdict };
}

export interface DiffOptions {
  readonly settings?: DiffSettings;
  /** Names for texts: the baseline's and the current run's file names. */
  readonly baseName?: string;
  readonly currentName?: string;
  /**
   * The file a recorded path stands for, so that the two runs' paths meet (a local file in the
   * editor; in the CLI, the current run's path matched by suffix). Default: the path as recorded.
   */
  readonly fileKey?: (recorded: string, side: 'base' | 'current') => string;
}

interface Sides {
  base: number;
  baseCount: number;
  current: number;
  currentCount: number;
}

/**
 * Two runs of the same metric side by side. Create with `ProfileDiff.create`, which refuses runs
 * that cannot be compared (different metrics, no samples). Values in its results are in `unit`:
 * the current run's metric unit (baseline values converted, and scaled per sample in
 * `perSample` mode), or percent of each run's total in `share` mode (deltas in points).
 */
export class ProfileDiff {
  readonly settings: DiffSettings;
  readonly baseName: string;
  readonly currentName: string;
  /** The metric's unit, or `points` (shares). */
  readonly unit: Unit | 'points';
  /** The runs' totals. */
  readonly totals: Change;
  /** What the reader must know about how the runs were compared (different totals, normalisation). */
  readonly note: string | undefined;
  private readonly t: TestContext;
  private readonly baseScale: number;
  private readonly fileKey: (recorded: string, side: 'base' | 'current') => string;
  private matchCache: { byKey: Map<string, { base: number; current: number }>; all: FunctionChange[] } | undefined;

  private constructor(
    readonly base: DiffSide,
    readonly current: DiffSide,
    opts: DiffOptions,
  ) {
    this.settings = opts.settings ?? DEFAULT_DIFF_SETTINGS;
    this.baseName = opts.baseName ?? base.view.name;
    this.currentName = opts.currentName ?? current.view.name;
    this.fileKey = opts.fileKey ?? ((f) => f);
    const mode = this.settings.compare;
    const unitScale = (TIME_SCALE[base.view.metric.unit] ?? 1) / (TIME_SCALE[current.view.metric.unit] ?? 1);
    const nBase = base.counts ? base.counts.total : 0;
    const nCur = current.counts ? current.counts.total : 0;
    this.baseScale = mode === 'perSample' && nBase > 0 ? (unitScale * nCur) / nBase : unitScale;
    this.unit = mode === 'share' ? 'points' : current.view.metric.unit;
    const baseTotal = this.baseInUnit(base.view.total);
    const hasCounts = !!base.counts && !!current.counts;
    this.t = {
      settings: this.settings,
      floor: mode === 'share' ? this.settings.minShare : (Math.abs(baseTotal) * this.settings.minShare) / 100,
      hasCounts,
      noCounts: !base.counts ? this.baseName : this.currentName,
      format: (d) => formatDelta(d, this.unit),
      shares: mode === 'share',
    };
    // the totals are never shares (they would be 100 % against 100 %)
    const totalT = { ...this.t, shares: false, floor: 0 };
    this.totals = testChange(base.view.total * this.baseScale, nBase, current.view.total, nCur, totalT);
    this.note = this.describe(nBase, nCur);
  }

  /**
   * The diff of two runs, or why they cannot be compared: the same metric (key and family of
   * units) with samples in both, and sample counts in both for per-sample normalisation.
   */
  static create(base: DiffSide, current: DiffSide, opts: DiffOptions = {}): ProfileDiff | DiffRefusal {
    const baseName = opts.baseName ?? base.view.name;
    const currentName = opts.currentName ?? current.view.name;
    const bm = base.view.metric;
    const cm = current.view.metric;
    if (bm.key !== cm.key || family(bm.unit) !== family(cm.unit)) {
      return { refused: `cannot compare ${currentName} with ${baseName}: ${cm.label} against ${bm.label}` };
    }
    if (base.view.total === 0) return { refused: `${baseName} has no ${bm.label} in this scope: nothing to compare with` };
    if ((opts.settings?.compare ?? 'value') === 'perSample' && (!base.counts || !current.counts)) {
      return { refused: `per-sample normalisation needs sample counts, which ${!base.counts ? baseName : currentName} does not record` };
    }
    return new ProfileDiff(base, current, opts);
  }

  /** A baseline value in the diff's unit (before shares). */
  baseInUnit(v: number): number {
    return v * this.baseScale;
  }

  /** The runs' totals differ by at least the minimum effect: the reader must know, whatever the mode. */
  get totalsDiffer(): boolean {
    return this.totals.percent !== null && Math.abs(this.totals.percent) >= this.settings.minEffect;
  }

  /** Baseline values × this = per-sample normalised values (the ratio of sample counts), 1 when not normalised. */
  get perSampleFactor(): number {
    const nb = this.base.counts?.total ?? 0;
    return this.settings.compare === 'perSample' && nb > 0 ? this.current.counts!.total / nb : 1;
  }

  private describe(nBase: number, nCur: number): string | undefined {
    const mode = this.settings.compare;
    const base = inert(this.baseName);
    if (mode === 'share') return `compared as shares of each run's total (differences in points), not in ${this.current.view.metric.label}`;
    if (mode === 'perSample') {
      return `normalised per sample: ${base}'s values × ${(nCur / nBase).toFixed(3)} (${fmtCount(nCur)} samples against ${fmtCount(nBase)})`;
    }
    if (!this.totalsDiffer) return undefined;
    const t = this.totals;
    const unit = this.current.view.metric.unit;
    return (
      `the runs differ in total: ${formatPlain(t.base, unit)} in ${base}, ${formatPlain(t.current, unit)} in ${inert(this.currentName)} ` +
      `(${formatPercentChange(t.percent)}). Compared as recorded, which is right when both runs did the same work; ` +
      `if they did different amounts of work, compare per sample`
    );
  }

  /** A change from raw values of each run (baseline in its own unit), in the diff's unit, with the test. */
  change(s: Sides): Change {
    if (this.settings.compare === 'share') {
      return testChange(
        percentOf(s.base, this.base.view.total),
        s.baseCount,
        percentOf(s.current, this.current.view.total),
        s.currentCount,
        this.t,
      );
    }
    return testChange(this.baseInUnit(s.base), s.baseCount, s.current, s.currentCount, this.t);
  }

  /** The key by which a function of either run meets its counterpart: (file it stands for, name). */
  functionKey(profile: Profile, funcId: number, side: 'base' | 'current'): string {
    const f = profile.functionAt(funcId);
    return `${f.file ? this.fileKey(f.file, side) : ''}\u0000${f.name}`;
  }

  private match(): { byKey: Map<string, { base: number; current: number }>; all: FunctionChange[] } {
    if (this.matchCache) return this.matchCache;
    const byKey = new Map<string, { base: number; current: number }>();
    for (const r of this.base.view.topFunctions('total').rows) {
      const k = this.functionKey(this.base.view.profile, r.fn.id, 'base');
      if (!byKey.has(k)) byKey.set(k, { base: r.fn.id, current: -1 });
    }
    for (const r of this.current.view.topFunctions('total').rows) {
      const k = this.functionKey(this.current.view.profile, r.fn.id, 'current');
      const m = byKey.get(k);
      if (m && m.current < 0) m.current = r.fn.id;
      else if (!m) byKey.set(k, { base: -1, current: r.fn.id });
    }
    const all: FunctionChange[] = [];
    for (const m of byKey.values()) all.push(this.functionOf(m.base, m.current));
    all.sort(byMagnitude);
    this.matchCache = { byKey, all };
    return this.matchCache;
  }

  private functionOf(baseId: number, currentId: number): FunctionChange {
    const b = baseId >= 0 ? this.base.view.functionCost(baseId) : { total: 0 };
    const c = currentId >= 0 ? this.current.view.functionCost(currentId) : { total: 0 };
    const bn = baseId >= 0 && this.base.counts ? this.base.counts.functionCost(baseId).total : 0;
    const cn = currentId >= 0 && this.current.counts ? this.current.counts.functionCost(currentId).total : 0;
    const fn = currentId >= 0 ? this.current.view.fn(currentId) : this.base.view.fn(baseId);
    const change = this.change({ base: b.total, baseCount: bn, current: c.total, currentCount: cn });
    const status = baseId < 0 ? 'new' : currentId < 0 ? 'gone' : 'both';
    return { ...change, name: fn.name, file: fn.file, kind: fn.kind, currentId, baseId, status };
  }

  /** Every function with data in either run (totals, counted once per sample), largest |delta| first. */
  functions(): readonly FunctionChange[] {
    return this.match().all;
  }

  /** The change of a current function (by its id in the current profile); undefined when it has no data. */
  functionChange(currentId: number): FunctionChange | undefined {
    if (currentId < 0) return undefined;
    const m = this.match().byKey.get(this.functionKey(this.current.view.profile, currentId, 'current'));
    return m && m.current === currentId ? this.functionOf(m.base, m.current) : undefined;
  }

  /**
   * Functions the baseline's counterpart of a current function called and the current one no
   * longer calls (`inspect.stack` once `audit` stopped using it), with what the call cost then;
   * significant ones only, largest first.
   */
  goneCallees(currentId: number): { name: string; file: string; change: Change }[] {
    const m = currentId >= 0 ? this.match().byKey.get(this.functionKey(this.current.view.profile, currentId, 'current')) : undefined;
    if (!m || m.base < 0) return [];
    const bp = this.base.view.profile;
    const now = new Set(this.current.view.callees(currentId).map((c) => this.functionKey(this.current.view.profile, c.funcId, 'current')));
    const counts = new Map((this.base.counts?.callees(m.base) ?? []).map((c) => [c.funcId, c.value]));
    const out: { name: string; file: string; change: Change }[] = [];
    for (const c of this.base.view.callees(m.base)) {
      if (now.has(this.functionKey(bp, c.funcId, 'base'))) continue;
      const change = this.change({ base: c.value, baseCount: counts.get(c.funcId) ?? 0, current: 0, currentCount: 0 });
      if (!change.significant) continue;
      const fn = this.base.view.fn(c.funcId);
      out.push({ name: fn.name, file: fn.file, change });
    }
    return out.sort((a, b) => byMagnitude(a.change, b.change));
  }


  /**
   * Line changes of one file, in the current run's line numbers: baseline lines carried through
   * the function they belong to (see `carryLines` in diff-lines.ts). `baseRecorded` and
   * `currentRecorded` are the paths each run recorded for the file; `defs` the definitions of the
   * current source in the current run's line numbers (undefined when unknown: the CLI).
   */
  fileLines(baseRecorded: readonly string[], currentRecorded: readonly string[], defs?: readonly Definition[]): FileLineDiff {
    return carryLines(this, baseRecorded, currentRecorded, defs);
  }
}

function byMagnitude(a: Change, b: Change): number {
  return Number(b.significant) - Number(a.significant) || Math.abs(b.delta) - Math.abs(a.delta);
}

const fmtCount = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * The current run's path for each baseline path when the runs were recorded in different places
 * (CI and a laptop): the same path, else the only current path sharing the longest path suffix
 * with it, when that path has no better or equal partner among the baseline's. Paths that match
 * nothing are left out (their functions count as gone or new).
 */
export function matchRecordedFiles(baseFiles: Iterable<string>, currentFiles: Iterable<string>): Map<string, string> {
  const cur = new Set(currentFiles);
  const base = new Set(baseFiles);
  const out = new Map<string, string>();
  const byName = (files: Iterable<string>) => {
    const m = new Map<string, string[]>();
    for (const f of files) {
      const name = segments(f).pop() ?? '';
      const list = m.get(name);
      if (list) list.push(f);
      else m.set(name, [f]);
    }
    return m;
  };
  const curByName = byName([...cur].filter((f) => !base.has(f)));
  const baseByName = byName([...base].filter((f) => !cur.has(f)));
  const best = (path: string, candidates: readonly string[]) => {
    let top = 0;
    let hits: string[] = [];
    for (const c of candidates) {
      const n = commonSuffixSegments(path, c);
      if (n > top) {
        top = n;
        hits = [c];
      } else if (n === top && n > 0) hits.push(c);
    }
    return hits.length === 1 ? hits[0] : undefined;
  };
  for (const b of base) {
    if (cur.has(b)) {
      out.set(b, b);
      continue;
    }
    const name = segments(b).pop() ?? '';
    if (name === '') continue;
    const c = best(b, curByName.get(name) ?? []);
    if (c !== undefined && best(c, baseByName.get(name) ?? []) === b) out.set(b, c);
  }
  return out;
}

// ---- text shared by the editor and the CLI

/** The sign users read: a real minus (U+2212), an explicit plus. */
function signed(x: number, text: string): string {
  return `${x < 0 ? '\u2212' : '+'}${text}`;
}

/** A value in the diff's unit, unsigned: `2.76 s`, `12.1 pp`. */
function formatPlain(v: number, unit: Unit | 'points'): string {
  return unit === 'points' ? `${Math.abs(v).toFixed(1)} pp` : formatValue(Math.abs(v), unit);
}

/** A change with its sign and unit: `−2.76 s`, `+0.21 s`, `+12.1 pp`. */
export function formatDelta(delta: number, unit: Unit | 'points'): string {
  return signed(delta, formatPlain(delta, unit));
}

/** A change as a percent of the base: `−99.8 %`, `+4.6 %`; `new` when the base is 0. */
export function formatPercentChange(percent: number | null): string {
  if (percent === null) return 'new';
  const a = Math.abs(percent);
  return signed(percent, `${a >= 1000 ? a.toFixed(0) : a.toFixed(1)} %`);
}
