// What the server's hints on a source file should be (shop/pricing.py unless said), worked out from a
// one-shot read of a recording with the core (not through the server): 0-based line -> `total ·
// own ...` label, for lines at or above the default 0.5 % threshold (none when the recording has no
// frame in the file). Tests compare with hintFigures(labelOf(h)).
import { loadProfile } from '../../server/src/core/load';
import { formatPercent } from '../../server/src/core/format';
import { ProfileView } from '../../server/src/core/view';

export async function expectedHints(file: string, source = '/shop/pricing.py'): Promise<Map<number, string>> {
  const { profile } = await loadProfile(file);
  const view = ProfileView.create(profile, profile.defaultMetric(), {}, 'x');
  const costs = view.fileCosts(view.sourceFiles().filter((f) => f.endsWith(source)));
  const out = new Map<number, string>();
  for (const [line, cost] of costs?.lines ?? []) {
    if (view.percent(cost.total) < 0.5) continue;
    out.set(line - 1, `${formatPercent(view.percent(cost.total))} · own ${formatPercent(view.percent(cost.own))}`);
  }
  return out;
}
