// What the server's hints on shop/pricing.py should be, worked out from a one-shot read of a
// recording with the core (not through the server): 0-based line -> `total · own ...` label, for
// lines at or above the default 0.5 % threshold. Tests compare with hintFigures(labelOf(h)).
import { loadProfile } from '../../server/src/core/load';
import { formatPercent } from '../../server/src/core/format';
import { ProfileView } from '../../server/src/core/view';

export async function expectedPricingHints(file: string): Promise<Map<number, string>> {
  const { profile } = await loadProfile(file);
  const view = ProfileView.create(profile, profile.defaultMetric(), {}, 'x');
  const costs = view.fileCosts(view.sourceFiles().filter((f) => f.endsWith('/shop/pricing.py')))!;
  const out = new Map<number, string>();
  for (const [line, cost] of costs.lines) {
    if (view.percent(cost.total) < 0.5) continue;
    out.set(line - 1, `${formatPercent(view.percent(cost.total))} · own ${formatPercent(view.percent(cost.own))}`);
  }
  return out;
}
