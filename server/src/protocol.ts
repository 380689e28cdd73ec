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
  /** (options?: HotspotsOptions) -> HotspotsResult | null: the active profile's functions, ranked as workspace symbols are. */
  hotspots: 'flamelens.hotspots',
  /** (base?: PercentOfName) -> PercentOfSummary | null: what every percent is a share of. Without an argument the server asks. */
  setPercentOf: 'flamelens.setPercentOf',
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

export interface HotspotsOptions {
  /** Filters by name the way editors filter symbols (the query's characters in order, any case). */
  query?: string;
  /** Most items (default 100). */
  limit?: number;
}

export interface HotspotItem {
  /** The function as named across files: `inventory.audit`, `inspect.stack`. */
  name: string;
  /** `inventory.audit · 20.8% total`: the name and the figure it is ranked by (the workspace symbol's name). */
  label: string;
  /** The figure the item is ranked by: its own share, or its total (see docs/lsp-extensions.md). */
  by: 'own' | 'total';
  /** Total and own as percents of the current base (see flamelens.percentOf), not rounded. */
  total: number;
  own: number;
  /** The function's file: workspace-relative inside the workspace, else absolute. */
  file: string;
  /** In a workspace folder (the user's code) rather than a library. */
  inWorkspace: boolean;
  /** Where the function begins. */
  uri: string;
  /** 0-based line. */
  line: number;
}

export interface HotspotsResult {
  /** Active profile path. */
  profile: string;
  metricLabel: string;
  /** What the percents are shares of, as a phrase: `all threads`, `thread 7 (process 1), as a share of all threads`. */
  scope: string;
  items: HotspotItem[];
}

export type PercentOfName = 'scope' | 'profile' | 'function';

export interface PercentOfSummary {
  base: PercentOfName;
  label: string;
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
  /** What percents are shares of (flamelens.percentOf, or the session's flamelens.setPercentOf). */
  percentOf?: PercentOfName;
}
