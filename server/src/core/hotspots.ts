/**
 * The hotspot list (workspace symbols, the Hotspots command): functions ranked so that the user's
 * own work comes first, not the wrappers every sample passes through.
 *
 * Ranking by total puts `<frozen runpy>._run_code`, `main` and `Thread.run` (80 % each, all of it
 * passed on) at the top; ranking by own hides `inventory.audit`, whose 20.8 % is all spent inside
 * `inspect.stack`. So each function is ranked by one figure, named next to it:
 *
 * - **own** when most of its total is spent in itself (own >= half its total), and for every
 *   function that passes most of its time on to functions ranked on their own (wrappers, drivers,
 *   library internals) or to the import system (a module whose cost is its imports);
 * - **total** when at least half of its total is its own doing: for a workspace function, time
 *   spent in itself or in code outside the workspace that it calls (`audit` calling
 *   `inspect.stack`); for a function outside the workspace, time it spends when called directly
 *   from workspace code, less what it passes back into workspace code (`inspect.stack` called by
 *   `audit`: the library call the user wrote).
 *
 * Then by that figure, highest first; on a tie, workspace functions first.
 */
import { isImportMachinery } from './module-code';
import type { FunctionRef, ProfileView } from './view';

export interface Hotspot {
  readonly fn: FunctionRef;
  readonly own: number;
  readonly total: number;
  /** The figure the function is ranked by. */
  readonly by: 'own' | 'total';
  /** That figure's value. */
  readonly value: number;
  /** The function's file is the user's (in the workspace). */
  readonly user: boolean;
}

/**
 * Every code function of the view with data, ranked as described above. `isUser` says whether a
 * function's recorded file is the user's code. Guarantees: each function once; `value` is its own
 * or its total exactly as the view reports them.
 */
export function rankHotspots(view: ProfileView, isUser: (fn: FunctionRef) => boolean): Hotspot[] {
  const rows = view.topFunctions('total', Infinity, (fn) => view.isCode(fn.id)).rows;
  const user = new Map<number, boolean>();
  const isUserId = (id: number) => {
    let u = user.get(id);
    if (u === undefined) user.set(id, (u = view.isCode(id) && isUser(view.fn(id))));
    return u;
  };
  const out: Hotspot[] = [];
  for (const r of rows) {
    const id = r.fn.id;
    const mine = isUserId(id);
    let by: Hotspot['by'] = 'own';
    if (r.total > 0 && r.own < r.total / 2) {
      // time passed back into workspace functions is theirs to show; time in the import system is
      // the imported modules' (their `<module>` code is listed on its own)
      let passed = 0;
      for (const c of view.callees(id)) if (c.funcId !== id && (isUserId(c.funcId) || isImportMachinery(view.fn(c.funcId)))) passed += c.value;
      let kept: number;
      if (mine) kept = r.total - passed;
      else {
        let fromUser = 0;
        for (const c of view.callingFunctions(id)) if (c.funcId !== id && isUserId(c.funcId)) fromUser += c.value;
        kept = fromUser - passed;
      }
      if (kept >= r.total / 2) by = 'total';
    }
    out.push({ fn: r.fn, own: r.own, total: r.total, by, value: by === 'own' ? r.own : r.total, user: mine });
  }
  out.sort((a, b) => b.value - a.value || Number(b.user) - Number(a.user) || b.total - a.total || a.fn.id - b.fn.id);
  return out;
}

/**
 * Whether `name` matches a query the way editors filter symbol lists: every character of the
 * query, in order, case-insensitively (`invaud` matches `inventory.audit`). An empty query matches all.
 */
export function fuzzyMatch(query: string, name: string): boolean {
  const q = query.toLowerCase().replace(/\s+/g, '');
  const n = name.toLowerCase();
  let i = 0;
  for (let j = 0; j < n.length && i < q.length; j++) if (n[j] === q[i]) i++;
  return i === q.length;
}
