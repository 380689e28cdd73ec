/**
 * flamelens' additions to LSP, all of them optional for a client: commands run through the
 * standard `workspace/executeCommand`, and two server-to-client notifications that thin clients
 * may draw (line heat) or show (status). Documented in docs/lsp-extensions.md.
 *
 * This file imports nothing so that both clients can share it.
 */

/** Command ids accepted by `workspace/executeCommand`. */
export const Commands = {
  /** () -> ProfileSummary[]: the profiles the server knows about, newest first. */
  listProfiles: 'flamelens.listProfiles',
  /** (uri?: string) -> ProfileSummary | null. Without an argument the server asks the user with window/showMessageRequest. */
  selectProfile: 'flamelens.selectProfile',
  /** () -> MetricSummary[]: the active profile's metrics. */
  listMetrics: 'flamelens.listMetrics',
  /** (key?: string) -> MetricSummary | null. Without an argument the server asks the user. */
  selectMetric: 'flamelens.selectMetric',
  /** () -> ScopeSummary[]: "all", each process, each thread. */
  listScopes: 'flamelens.listScopes',
  /** (scope?: ScopeArg | null) -> ScopeSummary | null. null or {} means all samples. Without an argument the server asks. */
  setScope: 'flamelens.setScope',
  /** (enabled?: boolean) -> boolean: annotations on/off (flips when no argument). */
  toggle: 'flamelens.toggle',
  /** (uri: string, position: {line, character}) -> CallersResult | null: callers of the function at that position. */
  showCallers: 'flamelens.showCallers',
  /** (uri: string, line: number) -> boolean: opens a call site with window/showDocument (used by caller lenses). */
  openCallSite: 'flamelens.openCallSite',
  /**
   * (baseline?: string | null) -> BaselineSummary | null: the profile to compare with: a path (absolute,
   * or relative to the workspace folder) or file uri, "previous" (the previous profile of the same
   * kind) or "none" (null means "none"). Without an argument the server asks the user with
   * window/showMessageRequest. Wins over the `flamelens.baseline` setting until that changes.
   */
  selectBaseline: 'flamelens.selectBaseline',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

export interface ProfileSummary {
  uri: string;
  /** File system path. */
  path: string;
  format: string;
  /** Sample count where the profile has one, else the number of stacks read. */
  samples: number;
  active: boolean;
  /** Last modification time, ms since the epoch. */
  mtime: number;
  /** Still being read (a live file, or a big one loading). */
  loading: boolean;
  /** One-line description of a read problem, when there was one. */
  problem?: string;
}

export interface MetricSummary {
  key: string;
  label: string;
  unit: string;
  active: boolean;
}

export interface ScopeArg {
  pid?: string;
  /** Thread index, as listed by listScopes. */
  thread?: number;
}

export interface ScopeSummary extends ScopeArg {
  label: string;
  active: boolean;
}

export interface BaselineSummary {
  /** What was asked: "none", "previous" or a path. */
  choice: string;
  /** The baseline profile's path, when one is resolved. */
  path: string | null;
  /** Still being read. */
  loading: boolean;
  /** What is compared with what (as in StatusParams.comparison). */
  comparison?: string;
  /** Why nothing is compared (unreadable, another metric, no previous profile); no changes are shown then. */
  problem?: string;
}

export interface CallerItem {
  /** Caller function name. */
  name: string;
  /** Where the call is made; absent when the caller's file is not in the workspace. */
  uri?: string;
  /** 0-based line of the call site. */
  line: number;
  /** Share of the callee's total that passes through this call site, 0-100. */
  percent: number;
  /** Absolute value, formatted in the metric's unit. */
  value: string;
}

export interface CallersResult {
  function: string;
  callers: CallerItem[];
}

/** `flamelens/lineHeat` (server -> client notification): one per open document after any change. */
export const LineHeatNotification = 'flamelens/lineHeat';

export interface LineHeatParams {
  uri: string;
  /** Document version the lines refer to, when known. */
  version?: number;
  /** Lines with data; lines not listed have no heat. Empty when annotations are off. */
  lines: LineHeat[];
}

export interface LineHeat {
  /** 0-based line. */
  line: number;
  /** Line total as a share of the hottest line total in this document, 0..1 (for the tint's strength). */
  heat: number;
  /** Line total in percent of the scope's total. */
  percent: number;
  /**
   * Only with a baseline set, on lines whose change is flagged (significant and above the
   * minimum effect): more of the metric than in the baseline (`regression`) or less
   * (`improvement`). A line whose cost is gone is listed with heat 0 and this field.
   */
  change?: 'regression' | 'improvement';
}

/** `flamelens/status` (server -> client notification): what a status item shows. */
export const StatusNotification = 'flamelens/status';

export interface StatusParams {
  /** Active profile path, or null when there is none. */
  profile: string | null;
  format?: string;
  metric?: string;
  metricLabel?: string;
  samples?: number;
  scope?: string;
  loading: boolean;
  /** A profiler is still writing the active profile: its numbers are those so far. */
  live?: boolean;
  enabled: boolean;
  /** Read problem of the active profile, if any. */
  problem?: string;
  /** A newer profile that has no samples yet (a recording that just started); it becomes active with its first samples. */
  waiting?: string;
  /** The baseline profile the active one is compared with (a path); absent when no baseline is set. */
  baseline?: string;
  /** What is compared with what, one line: "after.austin vs before.austin: CPU time, as recorded; ...". */
  comparison?: string;
  /** A baseline is set but nothing is compared, and why (unreadable, another metric, ...): no changes are shown. */
  baselineProblem?: string;
  /** The baseline is still being read. */
  baselineLoading?: boolean;
}
