/** `flamelens/status`: what a status item shows about the active profile. */
import type { PercentOfName, StatusParams } from '../protocol';
import type { ProfileEntry } from '../workspace/profile-store';
import type { ProfileView } from '../core/view';

export function sampleCount(e: ProfileEntry): number {
  const p = e.profile;
  if (!p) return 0;
  return p.metricIndex('samples') >= 0 ? p.metricSum('samples') : p.nodeCount;
}

export function status(
  entry: ProfileEntry | undefined,
  view: ProfileView | undefined,
  enabled: boolean,
  waiting?: ProfileEntry,
  percentOf?: PercentOfName,
): StatusParams {
  const wait = waiting ? { waiting: waiting.path } : {};
  if (!entry) return { profile: null, loading: false, enabled, ...wait };
  return {
    profile: entry.path,
    format: entry.format,
    metric: view?.metric.key,
    metricLabel: view?.metric.label,
    samples: sampleCount(entry),
    scope: view?.ctx.scopeLabel,
    loading: entry.loading,
    live: entry.live,
    enabled,
    ...(entry.problem ? { problem: entry.problem } : {}),
    ...wait,
    ...(percentOf ? { percentOf } : {}),
  };
}
