/**
 * The `flamelens` settings section: one schema, one parse. The same object may come from
 * `workspace/configuration`, from `initializationOptions` or from `didChangeConfiguration`;
 * `parseSettings` is the only place that interprets it. Documented in docs/configuration.md.
 */
import { knownExtensions } from './core/readers/index';
import { globToRegExp } from './core/glob';
import type { CompareMode } from './core/diff';

export type HintMode = 'total' | 'own' | 'both' | 'off';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
/**
 * What every percent is a share of: the samples counted (the scope: the whole profile until a
 * thread or process is picked), the whole profile even when a scope is picked, or, for lines, the
 * function that executes them.
 */
export type PercentOf = 'scope' | 'profile' | 'function';
export type DiagnosticSeverityName = 'information' | 'hint';

export interface DiagnosticsSettings {
  /** Publish the hottest lines as diagnostics (off by default: they are not problems). */
  readonly enabled: boolean;
  /** Most lines published. */
  readonly count: number;
  /** Smallest own share (percent) for a line to be published. */
  readonly threshold: number;
  readonly severity: DiagnosticSeverityName;
}

export interface PathMappingSetting {
  readonly localRoot: string;
  readonly remoteRoot: string;
}

export interface Settings {
  /** All annotations on or off (the toggle command flips this for the session). */
  readonly enabled: boolean;
  /** Globs of profile files, relative to each workspace folder. */
  readonly profiles: readonly string[];
  /** Minimum share of the scope total (percent) for a line hint or a function lens. */
  readonly threshold: number;
  readonly hints: HintMode;
  readonly lenses: boolean;
  /** Minimum time between two editor refreshes while a profile grows, in ms. */
  readonly refreshInterval: number;
  readonly pathMappings: readonly PathMappingSetting[];
  /** Preferred metric key (cpu, wall, alloc, ...) when the profile has it; null: the format's default. */
  readonly metric: string | null;
  readonly logLevel: LogLevel;
  /** Most workspace files indexed for path matching. */
  readonly maxWorkspaceFiles: number;
  /** Globs of folders never searched or watched (dependencies, VCS data, caches). */
  readonly exclude: readonly string[];
  /** What line heat measures: own cost (plus time in code outside the workspace), or the line total. */
  readonly heat: HeatMode;
  /** The denominator of every percent shown (the `flamelens.setPercentOf` command overrides it for the session). */
  readonly percentOf: PercentOf;
  /** Hot lines as diagnostics (`flamelens.diagnostics.enabled`, `.count`, `.threshold`, `.severity`). */
  readonly diagnostics: DiagnosticsSettings;

  /**
   * The profile to compare with: a path (relative to the workspace folder, or absolute), or
   * "previous" (the previous profile of the same kind); null: no comparison.
   */
  readonly baseline: string | null;
  /** How runs are compared: the metric as recorded, normalised per sample, or shares in points. */
  readonly diffCompare: CompareMode;
  /** Smallest change shown inline, in percent of the baseline value. */
  readonly diffMinEffect: number;
  /** Smallest change shown inline, in percent of the baseline run's total. */
  readonly diffMinShare: number;

}

export type HeatMode = 'own' | 'total';

export function defaultProfileGlobs(): string[] {
  return knownExtensions().map((ext) => `**/*${ext}`);
}

/** Folders never entered by default: heavy, and never where a user's profiles are. */
export function defaultExclude(): string[] {
  return [
    'node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', '.tox', '.nox',
    '.mypy_cache', '.pytest_cache', '.ruff_cache', 'site-packages', 'dist-packages', '.idea',
  ];
}

export function defaultSettings(): Settings {
  return {
    enabled: true,
    profiles: defaultProfileGlobs(),
    threshold: 0.5,
    hints: 'both',
    lenses: true,
    refreshInterval: 500,
    pathMappings: [],
    metric: null,
    logLevel: 'info',
    maxWorkspaceFiles: 50000,
    exclude: defaultExclude(),
    heat: 'own',
    percentOf: 'scope',
    diagnostics: { enabled: false, count: 10, threshold: 1, severity: 'information' },

    baseline: null,
    diffCompare: 'value',
    diffMinEffect: 5,
    diffMinShare: 0.1,

  };
}

const HINT_MODES: readonly HintMode[] = ['total', 'own', 'both', 'off'];
const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
export const PERCENT_OF: readonly PercentOf[] = ['scope', 'profile', 'function'];
const SEVERITIES: readonly DiagnosticSeverityName[] = ['information', 'hint'];
const COMPARE_MODES: readonly CompareMode[] = ['value', 'perSample', 'share'];


const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Settings from a raw `flamelens` section. Missing keys take their default; a key with a bad
 * value (wrong type, out of range, invalid glob) keeps its default and produces one warning.
 * Accepts either the section itself or an object holding it under `flamelens`. Never throws.
 */
export function parseSettings(raw: unknown, warn: (message: string) => void = () => {}): Settings {
  const d = defaultSettings();
  if (raw === undefined || raw === null) return d;
  if (!isRecord(raw)) {
    warn(`flamelens settings: expected an object, got ${typeof raw}; using defaults`);
    return d;
  }
  const r: Record<string, unknown> = isRecord(raw.flamelens) ? raw.flamelens : raw;
  const bad = (key: string, why: string) => warn(`flamelens.${key}: ${why}; using the default`);
  const out: { -readonly [K in keyof Settings]: Settings[K] } = { ...d };

  if (r.enabled !== undefined) {
    if (typeof r.enabled === 'boolean') out.enabled = r.enabled;
    else bad('enabled', 'expected true or false');
  }
  if (r.profiles !== undefined) {
    const list = typeof r.profiles === 'string' ? [r.profiles] : r.profiles;
    if (!Array.isArray(list) || list.length === 0 || !list.every((g) => typeof g === 'string' && g.trim() !== '')) {
      bad('profiles', 'expected a non-empty list of globs');
    } else {
      const broken = list.find((g) => !globToRegExp(g));
      if (broken !== undefined) bad('profiles', `invalid glob ${JSON.stringify(broken)}`);
      else out.profiles = list.map((g) => g.trim());
    }
  }
  if (r.threshold !== undefined) {
    if (typeof r.threshold === 'number' && Number.isFinite(r.threshold) && r.threshold >= 0 && r.threshold <= 100) {
      out.threshold = r.threshold;
    } else bad('threshold', 'expected a percentage between 0 and 100');
  }
  if (r.hints !== undefined) {
    if (HINT_MODES.includes(r.hints as HintMode)) out.hints = r.hints as HintMode;
    else bad('hints', `expected one of ${HINT_MODES.join(', ')}`);
  }
  if (r.lenses !== undefined) {
    if (typeof r.lenses === 'boolean') out.lenses = r.lenses;
    else bad('lenses', 'expected true or false');
  }
  if (r.refreshInterval !== undefined) {
    if (typeof r.refreshInterval === 'number' && Number.isFinite(r.refreshInterval) && r.refreshInterval >= 50) {
      out.refreshInterval = Math.round(r.refreshInterval);
    } else bad('refreshInterval', 'expected a number of milliseconds, at least 50');
  }
  if (r.pathMappings !== undefined) {
    const ok =
      Array.isArray(r.pathMappings) &&
      r.pathMappings.every((m) => isRecord(m) && typeof m.localRoot === 'string' && typeof m.remoteRoot === 'string' && m.remoteRoot !== '');
    if (ok) {
      out.pathMappings = (r.pathMappings as Record<string, string>[]).map((m) => ({ localRoot: m.localRoot, remoteRoot: m.remoteRoot }));
    } else bad('pathMappings', 'expected a list of { "localRoot": string, "remoteRoot": string }');
  }
  if (r.metric !== undefined) {
    if (r.metric === null || r.metric === '') out.metric = null;
    else if (typeof r.metric === 'string') out.metric = r.metric;
    else bad('metric', 'expected a metric key such as "cpu", "wall" or "alloc"');
  }
  if (r.logLevel !== undefined) {
    if (LOG_LEVELS.includes(r.logLevel as LogLevel)) out.logLevel = r.logLevel as LogLevel;
    else bad('logLevel', `expected one of ${LOG_LEVELS.join(', ')}`);
  }
  if (r.maxWorkspaceFiles !== undefined) {
    if (typeof r.maxWorkspaceFiles === 'number' && Number.isInteger(r.maxWorkspaceFiles) && r.maxWorkspaceFiles >= 0) {
      out.maxWorkspaceFiles = r.maxWorkspaceFiles;
    } else bad('maxWorkspaceFiles', 'expected a non-negative integer');
  }
  if (r.baseline !== undefined) {
    if (r.baseline === null || (typeof r.baseline === 'string' && (r.baseline.trim() === '' || r.baseline.trim() === 'none'))) out.baseline = null;
    else if (typeof r.baseline === 'string' && !r.baseline.includes('\0')) out.baseline = r.baseline.trim();
    else bad('baseline', 'expected a profile path, "previous" or null');
  }
  if (r.diffCompare !== undefined) {
    if (COMPARE_MODES.includes(r.diffCompare as CompareMode)) out.diffCompare = r.diffCompare as CompareMode;
    else bad('diffCompare', `expected one of ${COMPARE_MODES.join(', ')}`);
  }
  if (r.diffMinEffect !== undefined) {
    if (typeof r.diffMinEffect === 'number' && Number.isFinite(r.diffMinEffect) && r.diffMinEffect >= 0) out.diffMinEffect = r.diffMinEffect;
    else bad('diffMinEffect', 'expected a non-negative percentage of the baseline value');
  }
  if (r.diffMinShare !== undefined) {
    if (typeof r.diffMinShare === 'number' && Number.isFinite(r.diffMinShare) && r.diffMinShare >= 0 && r.diffMinShare <= 100) {
      out.diffMinShare = r.diffMinShare;
    } else bad('diffMinShare', 'expected a percentage of the baseline total between 0 and 100');
  }
  if (r.exclude !== undefined) {
    const list = typeof r.exclude === 'string' ? [r.exclude] : r.exclude;
    if (!Array.isArray(list) || !list.every((g) => typeof g === 'string' && g.trim() !== '')) {
      bad('exclude', 'expected a list of globs');
    } else {
      const broken = list.find((g) => !globToRegExp(g));
      if (broken !== undefined) bad('exclude', `invalid glob ${JSON.stringify(broken)}`);
      else out.exclude = list.map((g) => g.trim());
    }
  }
  if (r.heat !== undefined) {
    if (r.heat === 'own' || r.heat === 'total') out.heat = r.heat;
    else bad('heat', 'expected "own" or "total"');
  }
  if (r.percentOf !== undefined) {
    if (PERCENT_OF.includes(r.percentOf as PercentOf)) out.percentOf = r.percentOf as PercentOf;
    else bad('percentOf', `expected one of ${PERCENT_OF.join(', ')}`);
  }
  if (r.diagnostics !== undefined) out.diagnostics = parseDiagnostics(r.diagnostics, d.diagnostics, bad);
  return out;
}

/** `diagnostics` as an object of optional keys; `true`/`false` alone stands for `{ enabled }`. */
function parseDiagnostics(raw: unknown, d: DiagnosticsSettings, bad: (key: string, why: string) => void): DiagnosticsSettings {
  if (typeof raw === 'boolean') return { ...d, enabled: raw };
  if (!isRecord(raw)) {
    bad('diagnostics', 'expected an object such as { "enabled": true }');
    return d;
  }
  const out: { -readonly [K in keyof DiagnosticsSettings]: DiagnosticsSettings[K] } = { ...d };
  if (raw.enabled !== undefined) {
    if (typeof raw.enabled === 'boolean') out.enabled = raw.enabled;
    else bad('diagnostics.enabled', 'expected true or false');
  }
  if (raw.count !== undefined) {
    if (typeof raw.count === 'number' && Number.isInteger(raw.count) && raw.count >= 1 && raw.count <= 1000) out.count = raw.count;
    else bad('diagnostics.count', 'expected an integer between 1 and 1000');
  }
  if (raw.threshold !== undefined) {
    if (typeof raw.threshold === 'number' && Number.isFinite(raw.threshold) && raw.threshold >= 0 && raw.threshold <= 100) out.threshold = raw.threshold;
    else bad('diagnostics.threshold', 'expected a percentage between 0 and 100');
  }
  if (raw.severity !== undefined) {
    if (SEVERITIES.includes(raw.severity as DiagnosticSeverityName)) out.severity = raw.severity as DiagnosticSeverityName;
    else bad('diagnostics.severity', `expected one of ${SEVERITIES.join(', ')}`);


  }
  return out;
}

/** Structural equality, so that re-sent identical settings cause no work. */
export function sameSettings(a: Settings, b: Settings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
