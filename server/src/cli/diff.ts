// `flamelens diff BASE CURRENT`: what got faster or slower between two runs, by function or by
// line, with the same comparison as the editor (core/diff.ts): the metric as recorded (not the
// shares), a noise test on the sample counts and a minimum effect, lines carried through their
// function. `--fail-on-regression PCT` turns it into a CI check (exit 3).
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { definitionLanguage } from '../core/definition-index';
import { pythonDefinitions, type Definition } from '../core/definitions';
import {
  baselineMetric,
  type Change,
  type CompareMode,
  countsView,
  DEFAULT_DIFF_SETTINGS,
  type DiffSettings,
  formatDelta,
  formatPercentChange,
  matchRecordedFiles,
  ProfileDiff,
  Z_MIN,
} from '../core/diff';
import { diffFunctionName } from '../core/diff-present';
import { formatValue } from '../core/format';
import { confirmedByDefinitions } from '../core/path-evidence';
import { inert } from '../core/present';
import { ProfileView } from '../core/view';
import {
  CliError,
  EXIT_OK,
  EXIT_READ_PROBLEMS,
  issuesJson,
  type Io,
  type Loaded,
  metricJson,
  metricName,
  openProfile,
  pickMetric,
  table,
  writeJson,
} from './common';

/** A significant regression above `--fail-on-regression` (docs/cli.md). */
export const EXIT_REGRESSION = 3;

export const DIFF_DEFAULT_LIMIT = 20;

export interface DiffCliOptions {
  by?: string;
  metric?: string;
  json?: boolean;
  'fail-on-regression'?: string;
  compare?: string;
  'min-effect'?: string;
  'min-share'?: string;
  limit?: string;
  all?: boolean;
}

export interface Entry extends Change {
  function: string;
  display: string;
  /** Current run's file; the baseline's for what is gone. */
  file: string;
  /** Current line (a line row) or definition / hottest line (a function row); null when gone or unknown. */
  line: number | null;
  /** For function rows: whether `line` is where the function is defined (recorded by the format) or its hottest line. */
  lineIs?: 'definition' | 'hottest';
  /** The baseline's line (line rows), null for a new line. */
  baseLine: number | null;
  status: 'both' | 'gone' | 'new';
}

function number(flag: string, v: string | undefined, fallback: number, max = Infinity): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) throw new CliError(`--${flag} must be a number between 0 and ${max === Infinity ? 'any' : max}, not '${v}'`);
  return n;
}

function compareMode(v: string | undefined): CompareMode {
  if (v === undefined || v === 'value') return 'value';
  if (v === 'per-sample' || v === 'perSample') return 'perSample';
  if (v === 'share') return 'share';
  throw new CliError(`--compare must be value, per-sample or share, not '${v}'`);
}

/** Definitions of a current recorded file that exists here and whose content confirms it (else the line mapping goes without). */
function localDefinitions(current: Loaded, file: string): Definition[] | undefined {
  if (!definitionLanguage(file)) return undefined;
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > 8 * 1024 * 1024) return undefined;
    const defs = pythonDefinitions(readFileSync(file, 'utf8'));
    return confirmedByDefinitions(current.profile, file, defs) ? defs : undefined;
  } catch {
    return undefined;
  }
}

/** What `flamelens diff` computes from two loaded runs, before printing. */
export interface DiffReport {
  readonly diff: ProfileDiff;
  readonly by: 'function' | 'line';
  readonly settings: DiffSettings;
  readonly failAt: number | undefined;
  readonly entries: Entry[];
  readonly flagged: Entry[];
  readonly regressions: Entry[];
  readonly unplaced: { file: string; baseLine: number; function: string; base: number }[];
  readonly notes: string[];
}

/** Checks the options (a CliError for a bad one) before any profile is read. */
function parseOptions(o: DiffCliOptions): { by: 'function' | 'line'; settings: DiffSettings; failAt: number | undefined; limit: number } {
  const by = o.by ?? 'function';
  if (by !== 'function' && by !== 'line') throw new CliError(`--by must be function or line, not '${by}'`);
  const settings: DiffSettings = {
    compare: compareMode(o.compare),
    minEffect: number('min-effect', o['min-effect'], DEFAULT_DIFF_SETTINGS.minEffect),
    minShare: number('min-share', o['min-share'], DEFAULT_DIFF_SETTINGS.minShare, 100),
  };
  const failAt = o['fail-on-regression'] === undefined ? undefined : number('fail-on-regression', o['fail-on-regression'], 0);
  let limit = DIFF_DEFAULT_LIMIT;
  if (o.limit !== undefined) {
    if (!/^\d+$/.test(o.limit)) throw new CliError(`--limit must be a whole number (0 for all), not '${o.limit}'`);
    limit = Number(o.limit) === 0 ? Infinity : Number(o.limit);
  }
  return { by, settings, failAt, limit };
}

/**
 * The comparison of two loaded runs, as `flamelens diff` prints it (the benchmark times this part
 * apart from reading). Throws a CliError when the runs cannot be compared.
 */
export function computeDiff(base: Loaded, current: Loaded, o: DiffCliOptions): DiffReport {
  const { by, settings, failAt } = parseOptions(o);
  const baseName = basename(base.file);
  const currentName = basename(current.file);
  const cm = pickMetric(current, o.metric);
  const bm = baselineMetric(base.profile, baseName, cm, currentName);
  if ('refused' in bm) throw new CliError(inert(bm.refused));
  const cv = ProfileView.create(current.profile, cm.key, {}, currentName);
  const bv = ProfileView.create(base.profile, bm.key, {}, baseName);
  const files = matchRecordedFiles(bv.sourceFiles(), cv.sourceFiles());
  const diff = ProfileDiff.create(
    { view: bv, counts: countsView(bv) },
    { view: cv, counts: countsView(cv) },
    { settings, baseName, currentName, fileKey: (rec, side) => (side === 'base' ? (files.get(rec) ?? rec) : rec) },
  );
  if ('refused' in diff) throw new CliError(inert(diff.refused));

  const entries: Entry[] = [];
  const unplaced: { file: string; baseLine: number; function: string; base: number }[] = [];
  if (by === 'function') {
    for (const f of diff.functions()) {
      let line: number | null = null;
      let lineIs: Entry['lineIs'];
      const fc = f.currentId >= 0 ? cv.fileCosts([f.file])?.functions.find((x) => x.funcId === f.currentId) : undefined;
      if (fc?.defLine) [line, lineIs] = [fc.defLine, 'definition'];
      else if (fc?.hotLine) [line, lineIs] = [fc.hotLine, 'hottest'];
      entries.push({ ...f, function: f.name, display: diffFunctionName(f.name, f.file), file: f.file, line, lineIs, baseLine: null, status: f.status });
    }
  } else {
    const baseFor = new Map<string, string[]>();
    for (const [b, c] of files) baseFor.set(c, [...(baseFor.get(c) ?? []), b]);
    for (const file of cv.sourceFiles()) {
      const fl = diff.fileLines(baseFor.get(file) ?? [], [file], localDefinitions(current, file));
      for (const c of fl.lines.values()) {
        entries.push({
          ...c,
          function: c.owner,
          display: diffFunctionName(c.owner, file),
          file,
          line: c.line,
          baseLine: c.baseLine || null,
          status: c.baseLine === 0 ? 'new' : 'both',
        });
      }
      for (const u of fl.unplaced) unplaced.push({ file: (baseFor.get(file) ?? [file])[0], baseLine: u.line, function: u.owner, base: u.base });
    }
    entries.sort((a, b) => Number(b.significant) - Number(a.significant) || Math.abs(b.delta) - Math.abs(a.delta));
  }
  const flagged = entries.filter((e) => e.significant);
  const regressions = failAt === undefined ? [] : flagged.filter((e) => e.direction === 'slower' && (e.percent === null || e.percent > failAt));
  const notes: string[] = [];
  if (diff.note) notes.push(diff.note);
  if (!diff.base.counts || !diff.current.counts) notes.push(`${!diff.base.counts ? baseName : currentName} records no sample counts: no change can be tested, none is flagged`);
  if (unplaced.length > 0) {
    notes.push(`${unplaced.length} baseline line(s) have no place in the current run (their function is gone, or where its lines went cannot be told without guessing): compared at the function level only (--by function)`);
  }
  return { diff, by, settings, failAt, entries, flagged, regressions, unplaced, notes };
}

export async function runDiff(io: Io, baseFile: string, currentFile: string, o: DiffCliOptions): Promise<number> {
  const { limit } = parseOptions(o);
  const base = await openProfile(baseFile);
  const current = await openProfile(currentFile);
  const { diff, by, settings, failAt, entries, flagged, regressions, unplaced, notes } = computeDiff(base, current, o);
  const bv = diff.base.view;
  const cv = diff.current.view;
  const cm = cv.metric;

  const exit = (): number => {
    if (regressions.length > 0) {
      const worst = regressions[0];
      io.err(
        `flamelens: ${regressions.length} significant regression(s) above ${failAt} % of their baseline, the largest ${inert(worst.display)} ${formatDelta(worst.delta, diff.unit)} (${formatPercentChange(worst.percent)})\n`,
      );
      return EXIT_REGRESSION;
    }
    const problems = [base.problem, current.problem].filter((p): p is string => !!p);
    for (const p of problems) io.err(`flamelens: ${inert(p)}\n`);
    return problems.length > 0 ? EXIT_READ_PROBLEMS : EXIT_OK;
  };

  if (o.json) {
    const side = (l: Loaded, v: ProfileView) => ({ profile: l.file, format: l.profile.format, total: v.total, samples: countsView(v)?.total ?? null });
    writeJson(io, 'diff', {
      base: side(base, bv),
      current: side(current, cv),
      metric: metricJson(cm),
      by,
      compare: settings.compare === 'perSample' ? 'per-sample' : settings.compare,
      unit: diff.unit,
      test: { z: Z_MIN, minEffect: settings.minEffect, minShare: settings.minShare },
      totals: changeJson(diff.totals),
      notes,
      count: entries.length,
      flagged: flagged.length,
      failOnRegression: failAt ?? null,
      regressions: regressions.length,
      entries: entries.map((e) => ({
        function: e.function,
        display: e.display,
        file: e.file,
        line: e.line,
        ...(by === 'line' ? { baseLine: e.baseLine } : { lineIs: e.lineIs ?? null }),
        status: e.status,
        ...changeJson(e),
      })),
      ...(by === 'line' ? { unplaced } : {}),
      issues: { base: issuesJson(base.reader.issues), current: issuesJson(current.reader.issues) },
    });
    return exit();
  }

  const unit = cm.unit;
  const out: string[] = [];
  const describe = (l: Loaded, v: ProfileView) => {
    const n = countsView(v)?.total;
    return `${inert(l.file)} (${l.profile.format}${n !== undefined ? `, ${Math.round(n).toLocaleString('en-US')} samples` : ''}, ${formatValue(v.total, unit)})`;
  };
  const how = settings.compare === 'share' ? 'shares of each total, in points' : settings.compare === 'perSample' ? 'normalised per sample' : 'as recorded';
  out.push(`base      ${describe(base, bv)}`);
  out.push(`current   ${describe(current, cv)}`);
  out.push(`compared  ${metricName(cm)}, ${how}; flagged when |z| >= ${Z_MIN}, at least ${settings.minEffect} % of the baseline value and ${settings.minShare} ${settings.compare === 'share' ? 'points' : '% of its total'}`);
  for (const n of notes) out.push(`note      ${inert(n)}`);
  const what = by === 'line' ? 'lines' : 'functions';
  const rows = (o.all ? entries : flagged).slice(0, limit);
  out.push(`flagged   ${flagged.length} of ${entries.length} ${what}${rows.length < (o.all ? entries : flagged).length ? ` (the ${rows.length} largest shown; --limit 0 for all)` : ''}`);
  out.push('');
  if (rows.length === 0) {
    out.push(flagged.length === 0 ? '  (no significant change)' : '');
  } else {
    const header = ['change', '%', 'base', 'current', 'z', by === 'line' ? 'line' : 'function', by === 'line' ? 'function' : 'where'];
    const body = rows.map((e) => {
      const where = e.line !== null ? `${e.file}:${e.line}` : e.file;
      const moved = by === 'line' && e.baseLine !== null && e.baseLine !== e.line ? ` (was ${e.baseLine})` : '';
      const z = e.z === null ? '-' : (e.z < 0 ? '\u2212' : '') + Math.abs(e.z).toFixed(1);
      const mark = e.significant ? '' : ' (noise)';
      return by === 'line'
        ? [formatDelta(e.delta, diff.unit), formatPercentChange(e.percent), valueText(e.base, diff.unit), valueText(e.current, diff.unit), z, inert(where) + moved, inert(e.display) + mark]
        : [formatDelta(e.delta, diff.unit), formatPercentChange(e.percent), valueText(e.base, diff.unit), valueText(e.current, diff.unit), z, inert(e.display) + mark, inert(where) + (e.status === 'both' ? '' : ` (${e.status})`)];
    });
    for (const line of table([header, ...body], ['right', 'right', 'right', 'right', 'right', 'left', 'left'])) out.push(line);
  }
  io.out(out.join('\n') + '\n');
  return exit();
}

function valueText(v: number, unit: ProfileDiff['unit']): string {
  return unit === 'points' ? `${v.toFixed(1)}%` : formatValue(v, unit);
}

function changeJson(c: Change) {
  return {
    base: c.base,
    current: c.current,
    delta: c.delta,
    percent: c.percent === null ? null : Math.round(c.percent * 100) / 100,
    baseSamples: c.baseCount,
    currentSamples: c.currentCount,
    z: c.z === null ? null : Math.round(c.z * 100) / 100,
    significant: c.significant,
    direction: c.direction,
    verdict: c.verdict,
  };
}
