import type { Profile, Scope } from './model';

const K26 = 67108864;

interface ChildIndex {
  nodeCount: number;
  start: Int32Array; // children of n are order[start[n] .. start[n+1])
  order: Int32Array;
}

const childCache = new WeakMap<Profile, ChildIndex>();

function childIndex(p: Profile): ChildIndex {
  const cached = childCache.get(p);
  if (cached && cached.nodeCount === p.nodeCount) return cached;
  const n = p.nodeCount;
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const par = p.nodeParent[i];
    if (par >= 0) start[par + 1]++;
  }
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const order = new Int32Array(Math.max(0, n));
  for (let i = 0; i < n; i++) {
    const par = p.nodeParent[i];
    if (par >= 0) order[fill[par]++] = i;
  }
  const idx = { nodeCount: n, start, order };
  childCache.set(p, idx);
  return idx;
}

export interface CallerEntry {
  /** The calling function, and the line of the call inside it. */
  readonly funcId: number;
  readonly lineId: number;
  readonly value: number;
}

export interface CalleeEntry {
  readonly funcId: number;
  readonly value: number;
}

/**
 * Line and function tables for one metric over one scope, derived from the call tree.
 *
 * Guarantees: `lineOwn` sums to the scope total of samples that have frames; every total counts
 * a sample once however many times recursion repeats a line, function or edge in its stack.
 */
export class Aggregation {
  readonly total: number;
  readonly lineOwn: Float64Array;
  readonly lineTotal: Float64Array;
  readonly funcOwn: Float64Array;
  readonly funcTotal: Float64Array;
  /** Keyed by the profile's site edges: (caller function, call-site line) -> callee function. */
  readonly siteEdgeTotal: Float64Array;
  /** Keyed by function edges: caller function -> callee function. */
  readonly funcEdgeTotal: Float64Array;
  /** Keyed by line edges: caller line -> callee function. */
  readonly lineEdgeTotal: Float64Array;
  /** Inclusive value of each call-tree node (0 for nodes outside the scope). */
  readonly nodeTotal: Float64Array;
  readonly threads: readonly number[];

  constructor(
    readonly profile: Profile,
    readonly scope: Scope,
    readonly metric: string,
  ) {
    const p = profile;
    const mi = p.metricIndex(metric);
    // A profile with no samples yet (a live file still in its header) has no metrics: all zero.
    if (mi < 0 && p.metrics.length > 0) throw new Error(`this profile has no metric '${metric}'`);
    const m = p.metricsPerNode;
    const self = p.nodeSelf;
    const { start, order } = childIndex(p);
    const lineOwn = new Float64Array(p.lineCount);
    const lineTotal = new Float64Array(p.lineCount);
    const funcOwn = new Float64Array(p.functionCount);
    const funcTotal = new Float64Array(p.functionCount);
    const siteEdgeTotal = new Float64Array(p.siteEdges.count);
    const funcEdgeTotal = new Float64Array(p.funcEdges.count);
    const lineEdgeTotal = new Float64Array(p.lineEdges.count);
    const lineActive = new Int32Array(p.lineCount);
    const funcActive = new Int32Array(p.functionCount);
    const siteActive = new Int32Array(p.siteEdges.count);
    const funcEdgeActive = new Int32Array(p.funcEdges.count);
    const lineEdgeActive = new Int32Array(p.lineEdges.count);
    const nodeTotal = new Float64Array(p.nodeCount);
    const { frameLine, frameFunc, nodeFrame, nodeSiteEdge, nodeFuncEdge, nodeLineEdge } = p;

    // Iterative DFS (stacks can be thousands deep). A key's total gets a subtree's sum only at its
    // topmost occurrence on the path, which is what counts each sample once.
    let stackNode = new Int32Array(256);
    let stackNext = new Int32Array(256);
    let stackFlags = new Uint8Array(256);
    let total = 0;
    this.threads = mi < 0 ? [] : p.threadsIn(scope);
    for (const t of this.threads) {
      const root = p.threadRoot[t];
      let sp = 0;
      stackNode[0] = root;
      stackNext[0] = start[root];
      stackFlags[0] = 0;
      nodeTotal[root] = self[root * m + mi];
      while (sp >= 0) {
        const n = stackNode[sp];
        const ci = stackNext[sp];
        if (ci < start[n + 1]) {
          stackNext[sp] = ci + 1;
          const c = order[ci];
          const f = nodeFrame[c];
          let flags = 0;
          if (lineActive[frameLine[f]]++ === 0) flags |= 1;
          if (funcActive[frameFunc[f]]++ === 0) flags |= 2;
          const se = nodeSiteEdge[c];
          if (se >= 0) {
            if (siteActive[se]++ === 0) flags |= 4;
            if (funcEdgeActive[nodeFuncEdge[c]]++ === 0) flags |= 8;
            if (lineEdgeActive[nodeLineEdge[c]]++ === 0) flags |= 16;
          }
          sp++;
          if (sp >= stackNode.length) {
            const cap = stackNode.length * 2;
            const a = new Int32Array(cap); a.set(stackNode); stackNode = a;
            const b = new Int32Array(cap); b.set(stackNext); stackNext = b;
            const d = new Uint8Array(cap); d.set(stackFlags); stackFlags = d;
          }
          stackNode[sp] = c;
          stackNext[sp] = start[c];
          stackFlags[sp] = flags;
          const own = self[c * m + mi];
          nodeTotal[c] = own;
          if (own !== 0) {
            lineOwn[frameLine[f]] += own;
            funcOwn[frameFunc[f]] += own;
          }
          continue;
        }
        // post-visit
        const sum = nodeTotal[n];
        if (sp === 0) {
          total += sum;
          sp--;
          continue;
        }
        const f = nodeFrame[n];
        const flags = stackFlags[sp];
        const li = frameLine[f];
        const fi = frameFunc[f];
        lineActive[li]--;
        funcActive[fi]--;
        if (flags & 1) lineTotal[li] += sum;
        if (flags & 2) funcTotal[fi] += sum;
        const se = nodeSiteEdge[n];
        if (se >= 0) {
          const fe = nodeFuncEdge[n];
          const le = nodeLineEdge[n];
          siteActive[se]--;
          funcEdgeActive[fe]--;
          lineEdgeActive[le]--;
          if (flags & 4) siteEdgeTotal[se] += sum;
          if (flags & 8) funcEdgeTotal[fe] += sum;
          if (flags & 16) lineEdgeTotal[le] += sum;
        }
        sp--;
        nodeTotal[stackNode[sp]] += sum;
      }
    }
    // A format's own function totals (pstats cumulative times) replace what the tree can derive.
    const recorded = p.functionLevel?.totals.get(metric);
    if (recorded && this.threads.length > 0) {
      funcTotal.fill(0);
      for (const [f, v] of recorded) funcTotal[f] = v;
      funcEdgeTotal.fill(0);
      for (const [callee, list] of p.functionLevel!.callers) {
        for (const c of list) {
          const e = p.funcEdges.get(c.funcId * K26 + callee);
          if (e !== undefined) funcEdgeTotal[e] += c.values.get(metric) ?? 0;
        }
      }
    }
    this.total = total;
    this.lineOwn = lineOwn;
    this.lineTotal = lineTotal;
    this.funcOwn = funcOwn;
    this.funcTotal = funcTotal;
    this.siteEdgeTotal = siteEdgeTotal;
    this.funcEdgeTotal = funcEdgeTotal;
    this.lineEdgeTotal = lineEdgeTotal;
    this.nodeTotal = nodeTotal;
  }

  /** Percent of the scope total; 0 when the total is 0. */
  percent(value: number): number {
    return this.total === 0 ? 0 : (value / this.total) * 100;
  }

  /** Callers of a function, hottest first; each value is the part of the function's total under that call site. */
  callers(funcId: number): CallerEntry[] {
    const p = this.profile;
    const out: CallerEntry[] = [];
    if (p.functionLevel?.totals.has(this.metric)) {
      for (const c of p.functionLevel.callers.get(funcId) ?? []) {
        const value = c.values.get(this.metric) ?? 0;
        if (value !== 0 && this.threads.length > 0) out.push({ funcId: c.funcId, lineId: c.lineId, value });
      }
      return out.sort((a, b) => b.value - a.value);
    }
    for (const e of edgesByCallee(p).site.get(funcId) ?? []) {
      const v = this.siteEdgeTotal[e];
      if (v === 0) continue;
      const site = Math.floor(p.siteEdgeKey[e] / K26);
      out.push({ funcId: p.siteFunc[site], lineId: p.siteLine[site], value: v });
    }
    return out.sort((a, b) => b.value - a.value);
  }

  /** Functions called directly by `funcId`, hottest first. */
  callees(funcId: number): CalleeEntry[] {
    return this.collect(edgesByCaller(this.profile).func.get(funcId), this.funcEdgeTotal, this.profile.funcEdgeKey);
  }

  /** Functions called directly from a line, hottest first. */
  lineCallees(lineId: number): CalleeEntry[] {
    return this.collect(edgesByCaller(this.profile).line.get(lineId), this.lineEdgeTotal, this.profile.lineEdgeKey);
  }

  private collect(edges: number[] | undefined, totals: Float64Array, keys: number[]): CalleeEntry[] {
    const out: CalleeEntry[] = [];
    for (const e of edges ?? []) {
      const v = totals[e];
      if (v !== 0) out.push({ funcId: keys[e] % K26, value: v });
    }
    return out.sort((a, b) => b.value - a.value);
  }

  /** A line's own and total split by thread, in the order of the profile's threads. */
  lineByThread(lineId: number): { thread: number; own: number; total: number }[] {
    const p = this.profile;
    const m = p.metricsPerNode;
    const mi = p.metricIndex(this.metric);
    const inScope = new Set(this.threads);
    const own = new Map<number, number>();
    const tot = new Map<number, number>();
    for (let n = 0; n < p.nodeCount; n++) {
      const f = p.nodeFrame[n];
      if (f < 0 || p.frameLine[f] !== lineId) continue;
      const t = p.nodeThread[n];
      if (!inScope.has(t)) continue;
      own.set(t, (own.get(t) ?? 0) + p.nodeSelf[n * m + mi]);
      let a = p.nodeParent[n];
      let topmost = true;
      while (a >= 0) {
        const af = p.nodeFrame[a];
        if (af >= 0 && p.frameLine[af] === lineId) {
          topmost = false;
          break;
        }
        a = p.nodeParent[a];
      }
      if (topmost) tot.set(t, (tot.get(t) ?? 0) + this.nodeTotal[n]);
    }
    return [...tot.keys()]
      .sort((a, b) => a - b)
      .map((t) => ({ thread: t, own: own.get(t) ?? 0, total: tot.get(t) ?? 0 }));
  }

  /** Line ids with a non-zero total, hottest first by `by`. */
  topLines(by: 'own' | 'total' = 'own', limit = Infinity, filter?: (lineId: number) => boolean): number[] {
    return topIds(by === 'own' ? this.lineOwn : this.lineTotal, by === 'own' ? this.lineTotal : this.lineOwn, limit, filter);
  }

  topFunctions(by: 'own' | 'total' = 'own', limit = Infinity, filter?: (funcId: number) => boolean): number[] {
    return topIds(by === 'own' ? this.funcOwn : this.funcTotal, by === 'own' ? this.funcTotal : this.funcOwn, limit, filter);
  }
}

function topIds(primary: Float64Array, secondary: Float64Array, limit: number, filter?: (id: number) => boolean): number[] {
  const ids: number[] = [];
  for (let i = 0; i < primary.length; i++) {
    if ((primary[i] !== 0 || secondary[i] !== 0) && (!filter || filter(i))) ids.push(i);
  }
  ids.sort((a, b) => primary[b] - primary[a] || secondary[b] - secondary[a] || a - b);
  return ids.length > limit ? ids.slice(0, limit) : ids;
}

interface EdgeIndex {
  count: number;
  site: Map<number, number[]>;
  func: Map<number, number[]>;
  line: Map<number, number[]>;
}
const calleeIndex = new WeakMap<Profile, EdgeIndex>();
const callerIndex = new WeakMap<Profile, EdgeIndex>();

function buildIndex(p: Profile, by: (key: number) => number): EdgeIndex {
  const make = (keys: number[]) => {
    const map = new Map<number, number[]>();
    keys.forEach((k, e) => {
      const id = by(k);
      let list = map.get(id);
      if (!list) map.set(id, (list = []));
      list.push(e);
    });
    return map;
  };
  return { count: p.nodeCount, site: make(p.siteEdgeKey), func: make(p.funcEdgeKey), line: make(p.lineEdgeKey) };
}

function edgesByCallee(p: Profile): EdgeIndex {
  let idx = calleeIndex.get(p);
  if (!idx || idx.count !== p.nodeCount) calleeIndex.set(p, (idx = buildIndex(p, (k) => k % K26)));
  return idx;
}

function edgesByCaller(p: Profile): EdgeIndex {
  let idx = callerIndex.get(p);
  if (!idx || idx.count !== p.nodeCount) callerIndex.set(p, (idx = buildIndex(p, (k) => Math.floor(k / K26))));
  return idx;
}

const aggCache = new WeakMap<Profile, Map<string, { version: number; agg: Aggregation }>>();

/** The aggregation for a scope and metric, memoised until the profile changes. */
export function aggregate(profile: Profile, scope: Scope = {}, metric = profile.defaultMetric()): Aggregation {
  let byKey = aggCache.get(profile);
  if (!byKey) aggCache.set(profile, (byKey = new Map()));
  const key = `${scope.pid ?? ''}\u0000${scope.thread ?? ''}\u0000${metric}`;
  const hit = byKey.get(key);
  if (hit && hit.version === profile.version) return hit.agg;
  const agg = new Aggregation(profile, scope, metric);
  byKey.set(key, { version: profile.version, agg });
  return agg;
}
