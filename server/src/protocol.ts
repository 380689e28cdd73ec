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
   * (args?: FlameGraphArgs) -> FlameGraphResult | null: starts the flame graph page (once) and gives its
   * URL; asks the client to open it in a browser (window/showDocument, external) unless `open` is false.
   */
  openFlameGraph: 'flamelens.openFlameGraph',
  /** (options?: HotspotsOptions) -> HotspotsResult | null: the active profile's functions, ranked as workspace symbols are. */
  hotspots: 'flamelens.hotspots',
  /** (base?: PercentOfName) -> PercentOfSummary | null: what every percent is a share of. Without an argument the server asks. */
  setPercentOf: 'flamelens.setPercentOf',
  /**
   * (baseline?: string | null) -> BaselineSummary | null: the profile to compare with: a path (absolute,
   * or relative to the workspace folder) or file uri, "previous" (the previous profile of the same
   * kind) or "none" (null means "none"). Without an argument the server asks the user with
   * window/showMessageRequest. Wins over the `flamelens.baseline` setting until that changes.
   */
  selectBaseline: 'flamelens.selectBaseline',

} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

/**
 * The languages whose files profiles point into, as VS Code language ids, which are also the
 * Neovim filetypes (clients/nvim/lsp/flamelens.lua mirrors this list; a test compares the two).
 * Python (Austin, pstats, py-spy), JavaScript/TypeScript (`.cpuprofile`, pprof), Go (pprof),
 * C/C++/Rust (perf, folded stacks). The server annotates any document a profile touches; this
 * list only says which documents the clients hand it.
 */
export const LANGUAGES = [
  'python',
  'javascript',
  'typescript',
  'javascriptreact',
  'typescriptreact',
  'c',
  'cpp',
  'go',
  'rust',
] as const;

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
  /** The hottest call sites (at most 200). */
  callers: CallerItem[];
  /** Call sites not listed, when there are more than 200. */
  more?: number;
}

export interface FlameGraphArgs {
  /** Open the page in the client's browser with window/showDocument (default true; VS Code shows it in a webview instead). */
  open?: boolean;
  /** Open on the sandwich of the function whose lens or body is at this position. */
  uri?: string;
  line?: number;
  /** The address the client reaches the page through, when it forwards ports (VS Code's asExternalUri). */
  externalUrl?: string;
}

export interface FlameGraphResult {
  /** http://127.0.0.1:PORT/TOKEN/ (with #fn=...&file=... for a sandwich). */
  url: string;
  /** Whether the client was asked to open it and said it did. */
  opened: boolean;
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
  /** The profile whose numbers the document shows (each document shows the newest profile that has samples for it). */
  profile?: string;
  /** Lines with data; lines not listed have no heat. Empty when annotations are off. */
  lines: LineHeat[];
}

/** The heat levels every client draws: 1 (faint) to 4 (hottest). */
export const HEAT_LEVELS = 4;

export interface LineHeat {
  /** 0-based line. */
  line: number;
  /**
   * How hot, on one scale for the whole profile (so colours compare across files): `level` / 4.
   * What is measured is the line's cost (flamelens.heat): by default its own cost plus what it
   * spends in code outside the workspace (the standard library, packages), so the work glows and
   * mere call sites into your own code do not; with "total", the line total.
   */
  heat: number;
  /**
   * Tint step, an integer 1 (coolest) to HEAT_LEVELS (hottest), from the measured share of the
   * scope's total: under 2 %, 2-5 %, 5-15 %, 15 % and over; 0 only on a line whose cost is gone
   * since the baseline (it carries `change`). Clients draw exactly four steps; a
   * client talking to an older server without `level` derives it from `heat` with the thresholds
   * 0.25 / 0.5 / 0.75 (heat <= 0.25 is step 1, <= 0.5 step 2, <= 0.75 step 3, above: step 4).
   */
  level: number;
  /** The measured share, in percent of the scope's total. */
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
  /** What percents are shares of (flamelens.percentOf, or the session's flamelens.setPercentOf). */
  percentOf?: PercentOfName;
  /** The baseline profile the active one is compared with (a path); absent when no baseline is set. */
  baseline?: string;
  /** What is compared with what, one line: "after.austin vs before.austin: CPU time, as recorded; ...". */
  comparison?: string;
  /** A baseline is set but nothing is compared, and why (unreadable, another metric, ...): no changes are shown. */
  baselineProblem?: string;
  /** The baseline is still being read. */
  baselineLoading?: boolean;

}
