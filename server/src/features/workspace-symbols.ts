/**
 * workspace/symbol as a hotspot list, and the `flamelens.hotspots` command over the same data: the
 * active profile's functions ranked by core/hotspots (the user's work first, each ranked by its
 * own or its total and saying which), filtered by a fuzzy query, each at its definition in a file
 * the editor may open. Functions whose file cannot be found or may not be read are left out.
 */
import { type SymbolInformation, SymbolKind } from 'vscode-languageserver-types';
import { formatPercent } from '../core/format';
import { fuzzyMatch, type Hotspot, rankHotspots } from '../core/hotspots';
import { qualifiedName } from '../core/present';
import type { ProfileView } from '../core/view';
import type { HotspotItem, HotspotsResult } from '../protocol';
import { FunctionPlaces } from '../session/function-places';
import type { ProfileSession } from '../session/profile-session';

const DEFAULT_LIMIT = 100;

/** The ranked functions of the active profile, placed; null when there is no profile to rank (or annotations are off). */
export function hotspots(session: ProfileSession, query = '', limit = DEFAULT_LIMIT): HotspotsResult | null {
  const r = ranked(session, query, limit);
  return r && { ...r, items: r.items.map(({ recordedName: _, ...item }) => item) };
}

// Editors ask again on every keystroke: the ranking is kept per view until the workspace's files
// (what counts as the user's code) change.
const rankings = new WeakMap<ProfileView, { key: string; ranked: Hotspot[] }>();

function rankedOnce(session: ProfileSession, view: ProfileView, places: FunctionPlaces): Hotspot[] {
  const key = `${session.workspace.resolverGen}\u0000${session.folders.join('\u0000')}`;
  const hit = rankings.get(view);
  if (hit?.key === key) return hit.ranked;
  const ranked = rankHotspots(view, (fn) => places.isUser(fn.file));
  rankings.set(view, { key, ranked });
  return ranked;
}

type RankedItem = HotspotItem & { recordedName: string };
type Ranked = Omit<HotspotsResult, 'items'> & { items: RankedItem[] };

function ranked(session: ProfileSession, query: string, limit: number): Ranked | null {
  const entry = session.active();
  const view = session.viewOf(entry);
  if (!entry || !view || !session.enabled()) return null;
  const places = new FunctionPlaces(session, entry, view);
  const items: RankedItem[] = [];
  for (const h of rankedOnce(session, view, places)) {
    if (items.length >= limit) break;
    const name = qualifiedName(h.fn.name, h.fn.file);
    if (!fuzzyMatch(query, name)) continue;
    // the bottom of an unfiltered list is functions that round to nothing
    if (query === '' && view.percent(h.value) < 0.05) break;
    const at = places.place(h.fn.id);
    if (!at) continue;
    items.push({
      name,
      label: `${name} · ${formatPercent(view.percent(h.value))} ${h.by}`,
      by: h.by,
      total: view.percent(h.total),
      own: view.percent(h.own),
      file: session.displayPath(at.path),
      inWorkspace: h.user,
      uri: at.uri,
      line: at.line,
      recordedName: h.fn.name,
    });
  }
  return { profile: entry.path, metricLabel: view.metric.label, scope: view.ctx.scopeLabel, items };
}

/** Module, method or function, from a recorded (qualified) name. */
export function symbolKind(name: string): SymbolKind {
  const parts = name.split('.');
  const last = parts[parts.length - 1];
  if (last === '<module>') return SymbolKind.Module;
  return parts.length > 1 && parts[parts.length - 2] !== '<locals>' && !last.startsWith('<') ? SymbolKind.Method : SymbolKind.Function;
}

/**
 * The symbols: name `inventory.audit · 20.8% total` (the figure in the name, since several clients
 * show nothing else: Neovim's quickfix, Helix's picker), container `0.0% own · shop/inventory.py`.
 */
export function workspaceSymbols(session: ProfileSession, query: string): SymbolInformation[] {
  const result = ranked(session, query, DEFAULT_LIMIT);
  if (!result) return [];
  return result.items.map((h) => {
    const other = h.by === 'own' ? `${formatPercent(h.total)} total` : `${formatPercent(h.own)} own`;
    const pos = { line: h.line, character: 0 };
    return {
      name: h.label,
      // from the recorded name: display names drop `<locals>`, which tells a nested function from a method
      kind: symbolKind(h.recordedName),
      location: { uri: h.uri, range: { start: pos, end: pos } },
      containerName: `${other} · ${h.file}`,
    };
  });
}
