/**
 * workspace/executeCommand: the commands of protocol.ts. Each validates its arguments and returns
 * null (never throws) when they make no sense; state changes go through the host, which refreshes
 * the editors afterwards.
 */
import { displayName } from '../core/present';
import { formatPercent, formatValue, percentOf } from '../core/format';
import type { Scope } from '../core/model';
import { scopeLabel } from '../core/view';
import {
  type BaselineSummary,
  type CallersResult,
  Commands,
  type FlameGraphArgs,
  type FlameGraphResult,
  type HotspotsOptions,

  type MetricSummary,
  type PercentOfName,
  type PercentOfSummary,
  type ProfileSummary,
  type ScopeArg,
  type ScopeSummary,
} from '../protocol';
import type { ProfileSession } from '../session/profile-session';
import type { ProfileEntry } from '../workspace/profile-store';
import type { FlameGraphFeature } from './flame-graph';
import { PERCENT_OF } from '../settings';

import { sampleCount } from './status';
import { hotspots } from './workspace-symbols';

/** Call sites offered in a caller list (Show Callers, a lens's picker). */
const MAX_PICK = 200;

/** What commands need besides the session: the few things only the client can do. */
export interface CommandHost {
  readonly session: ProfileSession;
  readonly flameGraph: FlameGraphFeature;
  /** window/showDocument of a web page in the client's browser; false where the client cannot. */
  openExternal(url: string): Promise<boolean>;
  /** window/showMessageRequest: the chosen item, or undefined. */
  ask(message: string, items: string[]): Promise<string | undefined>;
  /** window/showDocument at a 0-based line. */
  openLocation(uri: string, line: number): Promise<boolean>;
  log(message: string): void;
}

export function profileSummary(session: ProfileSession, e: ProfileEntry): ProfileSummary {
  return {
    uri: e.uri,
    path: e.path,
    format: e.format ?? 'unknown',
    samples: sampleCount(e),
    active: session.active() === e,
    mtime: e.mtime,
    loading: e.loading,
    ...(e.problem ? { problem: e.problem } : {}),
  };
}

function metrics(session: ProfileSession): MetricSummary[] {
  const e = session.active();
  const p = e?.profile;
  if (!e || !p) return [];
  const current = session.metricFor(e);
  return p.metrics.map((m) => ({ key: m.key, label: m.label, unit: m.unit, active: current === m.key }));
}

/** "all threads", each process and each thread, with its share of the whole profile in the current metric. */
function scopes(session: ProfileSession): ScopeSummary[] {
  const e = session.active();
  const p = e?.profile;
  const view = session.viewOf(e);
  if (!e || !p || !view) return [];
  const cur = session.scopeFor(e);
  const perThread = view.threadTotals();
  const all = perThread.reduce((a, b) => a + b, 0);
  const share = (v: number) => ` · ${formatPercent(percentOf(v, all))}`;
  const out: ScopeSummary[] = [{ label: 'all threads', active: cur.pid === undefined && cur.thread === undefined }];
  const pids = p.processes();
  if (pids.length > 1) {
    for (const pid of pids) {
      const v = p.threadsIn({ pid }).reduce((s, t) => s + perThread[t], 0);
      out.push({ pid, label: scopeLabel(p, { pid }) + share(v), active: cur.pid === pid && cur.thread === undefined });
    }
  }
  for (const t of p.threads) {
    out.push({ pid: t.pid, thread: t.index, label: scopeLabel(p, { thread: t.index }) + share(perThread[t.index]), active: cur.thread === t.index });
  }
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function executeCommand(host: CommandHost, command: string, args: unknown[]): Promise<unknown> {
  const { session } = host;
  switch (command) {
    case Commands.listProfiles:
      return session.profiles().map((e) => profileSummary(session, e));

    case Commands.selectProfile: {
      const list = session.profiles();
      let target = str(args[0]);
      if (target === undefined) {
        if (list.length === 0) return null;
        const labels = list.map((e) => session.displayPath(e.path));
        const pick = await host.ask('flamelens: which profile?', labels);
        if (pick === undefined) return null;
        target = list[labels.indexOf(pick)]?.path;
      }
      const e = list.find((x) => x.uri === target || x.path === target);
      if (!e) {
        host.log(`selectProfile: no profile ${target}`);
        return null;
      }
      await session.select(e);
      return profileSummary(session, e);
    }

    case Commands.listMetrics:
      return metrics(session);

    case Commands.selectMetric: {
      const all = metrics(session);
      let key = str(args[0]);
      if (key === undefined) {
        if (all.length === 0) return null;
        const pick = await host.ask('flamelens: which metric?', all.map((m) => m.label));
        key = all.find((m) => m.label === pick)?.key;
        if (key === undefined) return null;
      }
      const m = all.find((x) => x.key === key);
      if (!m) {
        host.log(`selectMetric: the active profile has no metric ${JSON.stringify(key)} (it has ${all.map((x) => x.key).join(', ') || 'none'})`);
        return null;
      }
      session.selectMetric(m.key);
      return { ...m, active: true };
    }

    case Commands.listScopes:
      return scopes(session);

    case Commands.setScope: {
      const all = scopes(session);
      if (all.length === 0) return null;
      let arg: ScopeArg | null | undefined = args.length === 0 ? undefined : (args[0] as ScopeArg | null);
      if (arg === undefined) {
        const pick = await host.ask('flamelens: which samples?', all.map((s) => s.label));
        const s = all.find((x) => x.label === pick);
        if (!s) return null;
        arg = s.thread !== undefined ? { thread: s.thread } : s.pid !== undefined ? { pid: s.pid } : {};
      }
      const scope: Scope = {};
      if (arg !== null && typeof arg === 'object') {
        if (arg.thread !== undefined) {
          if (typeof arg.thread !== 'number' || !all.some((s) => s.thread === arg!.thread)) return null;
          Object.assign(scope, { thread: arg.thread });
        }
        if (arg.pid !== undefined) {
          if (!all.some((s) => s.pid === String(arg!.pid))) return null;
          Object.assign(scope, { pid: String(arg.pid) });
        }
      } else if (arg !== null) {
        return null;
      }
      session.setScope(scope);
      const label = scopeLabel(session.active()!.profile!, scope);
      return { ...scope, label, active: true };
    }

    case Commands.toggle: {
      const on = typeof args[0] === 'boolean' ? args[0] : !session.enabled();
      session.setEnabled(on);
      return on;
    }

    case Commands.showCallers: {
      const uri = str(args[0]);
      const pos = args[1] as { line?: unknown } | undefined;
      if (!uri || typeof pos?.line !== 'number') return null;
      const result = callersAt(session, uri, pos.line);
      // From a lens ({ pick: true }): let the user choose a caller and open its call site.
      if (result && (args[2] as { pick?: unknown } | undefined)?.pick === true) {
        const targets = result.callers.filter((x) => x.uri);
        // the last item opens the function's sandwich in the flame graph: all its callers and callees at once
        const SANDWICH = 'Callers and callees in the flame graph';
        const labels = [...targets.map((x) => `${x.name} ${x.percent}% (line ${x.line + 1})`), SANDWICH];
        const choice = await host.ask(`flamelens: callers of ${result.function}`, labels);
        const t = targets[labels.indexOf(choice ?? '')];
        if (t) await host.openLocation(t.uri!, t.line);
        else if (choice === SANDWICH) {
          const fn = functionAt(session, uri, pos.line);
          await host.openExternal(await host.flameGraph.url(fn && { file: fn.file, name: fn.name }));
        }
      }
      return result;
    }

    case Commands.hotspots: {
      const opts = (args[0] ?? {}) as HotspotsOptions;
      if (typeof opts !== 'object' || opts === null) return null;
      const query = typeof opts.query === 'string' ? opts.query : '';
      const limit = typeof opts.limit === 'number' && Number.isInteger(opts.limit) && opts.limit > 0 ? opts.limit : undefined;
      return hotspots(session, query, limit);
    }

    case Commands.setPercentOf: {
      if (args[0] !== undefined && args[0] !== null && typeof args[0] !== 'string') return null;
      let base = str(args[0]);
      if (base === undefined) {
        const labels = PERCENT_OF.map(percentOfLabel);
        const pick = await host.ask('flamelens: percent of what?', labels);
        base = PERCENT_OF[labels.indexOf(pick ?? '')];
        if (base === undefined) return null;
      }
      if (!PERCENT_OF.includes(base as PercentOfName)) {
        host.log(`setPercentOf: expected one of ${PERCENT_OF.join(', ')}, got ${JSON.stringify(base)}`);
        return null;
      }
      const chosen = base as PercentOfName;
      session.setPercentOf(chosen);
      return { base: chosen, label: percentOfLabel(chosen) } satisfies PercentOfSummary;
    }

    case Commands.selectBaseline: {
      let choice: string | undefined = args[0] === null ? 'none' : str(args[0]);
      if (args.length > 0 && choice === undefined) return null;
      if (choice === undefined) {
        const active = session.active();
        const others = session.profiles().filter((e) => e !== active);
        const NONE = 'None (no comparison)';
        const PREVIOUS = 'The previous profile of this kind';
        const labels = [NONE, PREVIOUS, ...others.map((e) => session.displayPath(e.path))];
        const pick = await host.ask('flamelens: compare with which profile?', labels);
        if (pick === undefined) return null;
        choice = pick === NONE ? 'none' : pick === PREVIOUS ? 'previous' : others[labels.indexOf(pick) - 2]?.path;
        if (choice === undefined) return null;
      }
      await session.selectBaseline(choice);
      return baselineSummary(session, choice);

    }

    case Commands.openCallSite: {
      const uri = str(args[0]);
      const line = args[1];
      if (!uri || typeof line !== 'number' || line < 0) return false;
      return host.openLocation(uri, line);
    }

    case Commands.openFlameGraph: {
      const a = (args[0] ?? {}) as FlameGraphArgs;
      if (typeof a !== 'object' || a === null) return null;
      let sandwich: { file: string; name: string } | undefined;
      if (typeof a.uri === 'string' && typeof a.line === 'number') {
        const fn = functionAt(session, a.uri, a.line);
        if (fn) sandwich = { file: fn.file, name: fn.name };
      }
      const url = await host.flameGraph.url(sandwich);
      if (typeof a.externalUrl === 'string' && /^https?:\/\//.test(a.externalUrl)) host.flameGraph.allowExternal(a.externalUrl);
      const opened = a.open === false ? false : await host.openExternal(url);
      return { url, opened } satisfies FlameGraphResult;
    }

    default:
      host.log(`unknown command ${command}`);
      return null;
  }
}

/** The function whose lens (or body) is at a line of a document, as recorded. */
function functionAt(session: ProfileSession, uri: string, line: number): { file: string; name: string } | undefined {
  const a = session.annotated(uri);
  if (!a) return undefined;
  const all = a.anchors();
  const executing = a.costAt(line)?.funcId;
  const anchor = all.find((x) => x.line === line) ?? all.find((x) => x.fn.funcId === executing);
  return anchor ? { file: a.view.fn(anchor.fn.funcId).file, name: anchor.fn.name } : undefined;
}

/** What a percent base is called in pickers. */
export function percentOfLabel(base: PercentOfName): string {
  switch (base) {
    case 'profile':
      return 'the whole profile (all threads and processes)';
    case 'function':
      return 'the function executing each line';
    default:
      return 'the selected scope (thread or process; all threads when none is picked)';
  }
}

function baselineSummary(session: ProfileSession, choice: string): BaselineSummary {
  const state = session.baseline.state(session.active(), session.viewOf(session.active()));
  return {
    choice,
    path: state?.path ?? null,
    loading: state?.loading ?? false,
    ...(state?.comparison ? { comparison: state.comparison } : {}),
    ...(state?.problem ? { problem: state.problem } : {}),
  };

}

/** Callers of the function whose lens (or body) is at a line: the places the editor may open first, hottest first. */
function callersAt(session: ProfileSession, uri: string, line: number): CallersResult | null {
  const a = session.annotated(uri);
  if (!a) return null;
  const all = a.anchors();
  const executing = a.costAt(line)?.funcId;
  const anchor = all.find((x) => x.line === line) ?? all.find((x) => x.fn.funcId === executing);
  if (!anchor) return null;
  const { fn } = anchor;
  // a list to pick from: the hottest MAX_PICK call sites, and how many more there are
  const isCode = (f: number) => a.view.isCode(f);
  const sites = a.view.callSites(fn.funcId, MAX_PICK + 1, isCode);
  const more = sites.length > MAX_PICK ? a.view.callSiteCount(fn.funcId, isCode) - MAX_PICK : 0;
  return {
    function: displayName(fn.name),
    ...(more > 0 ? { more } : {}),
    callers: sites
      .slice(0, MAX_PICK)
      .map((s) => {
        const to = s.line > 0 ? a.locate(s.file, s.line) : undefined;
        return {
          name: displayName(a.view.fn(s.funcId).name),
          ...(to ? { uri: to.uri } : {}),
          line: to ? to.line : s.line - 1,
          percent: fn.total > 0 ? Math.round((s.value / fn.total) * 1000) / 10 : 0,
          value: formatValue(s.value, a.view.metric.unit),
        };
      }),
  };
}
