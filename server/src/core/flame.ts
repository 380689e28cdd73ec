/**
 * Flame graph and sandwich data, derived from the merged call tree. Pure: no I/O, no LSP, and
 * (for the graph-only half: encoding, decoding, sandwich, diff) nothing but arithmetic, so the
 * browser page bundles the same code the server runs.
 *
 * A flame graph here is function-level: the children of a node that name the same function
 * (file + name) are merged, however many lines of it the profile recorded, so the graph shows
 * functions; each node keeps the line where most of its time went. Nothing is pruned: frames too
 * narrow to see are dropped by the renderer at draw time, never here.
 */
import { aggregate } from './aggregate';
import type { MetricDef, Profile, Scope } from './model';

/** What a node of the graph stands for; frames are the functions, the others group them. */
export const NodeKind = { Root: 0, Process: 1, Thread: 2, Source: 3, Synthetic: 4 } as const;
export type NodeKind = (typeof NodeKind)[keyof typeof NodeKind];

/**
 * A flame graph in parallel arrays over a string table: node `i` is in DFS pre-order (a node's
 * subtree is `i .. i + size`), node 0 is the root of everything (the scope total), then processes
 * (only when the scope holds several), threads, and the functions they ran, children sorted by
 * name. Functions are a separate table so that a node is a few numbers.
 */
export interface FlameGraph {
  readonly metric: MetricDef;
  /** The metric summed over the scope: the denominator of every percent (the root's total). */
  readonly total: number;
  readonly strings: readonly string[];
  /** Function table: name and file (string ids; file '' for none), definition line (0 unknown), kind, and the scope's own/total of the function (counted once per sample). */
  readonly funcName: Int32Array;
  readonly funcFile: Int32Array;
  readonly funcDefLine: Int32Array;
  readonly funcKind: Uint8Array;
  readonly funcOwn: Float64Array;
  readonly funcTotal: Float64Array;
  readonly nodeCount: number;
  /** Parent node, -1 for the root. */
  readonly parent: Int32Array;
  readonly func: Int32Array;
  /** The node's hottest line (by total), 0 when unknown. */
  readonly line: Int32Array;
  /** The line in the parent function from which this node was called (hottest such line), 0 when unknown. */
  readonly callLine: Int32Array;
  readonly own: Float64Array;
  readonly nodeTotal: Float64Array;
  /** Inclusive sample counts, where the profile has a `samples` metric. */
  readonly samples: Float64Array | undefined;
}

function kindOf(p: Profile, funcId: number): NodeKind {
  return p.funcKind[funcId] === 'synthetic' ? NodeKind.Synthetic : NodeKind.Source;
}

/** Per node, a short list of (line, summed value): most nodes see one or two lines. */
class LineSums {
  private readonly head: Int32Array;
  private readonly line: Int32Array;
  private readonly sum: Float64Array;
  private readonly next: Int32Array;
  private used = 0;

  /** `entries`: at most this many add() calls (one per call tree node). */
  constructor(nodes: number, entries: number) {
    this.head = new Int32Array(nodes).fill(-1);
    this.line = new Int32Array(entries);
    this.sum = new Float64Array(entries);
    this.next = new Int32Array(entries);
  }

  add(node: number, line: number, value: number): void {
    if (line <= 0) return;
    for (let e = this.head[node]; e >= 0; e = this.next[e]) {
      if (this.line[e] === line) {
        this.sum[e] += value;
        return;
      }
    }
    const e = this.used++;
    this.line[e] = line;
    this.sum[e] = value;
    this.next[e] = this.head[node];
    this.head[node] = e;
  }

  /** Each node's line with the largest sum (ties: the lower line), 0 for none. */
  hottest(count: number): Int32Array {
    const out = new Int32Array(count);
    for (let node = 0; node < count; node++) {
      let best = -Infinity;
      for (let e = this.head[node]; e >= 0; e = this.next[e]) {
        const l = this.line[e];
        const v = this.sum[e];
        if (v > best || (v === best && l < out[node])) {
          best = v;
          out[node] = l;
        }
      }
    }
    return out;
  }
}

/**
 * Builds the function-level flame graph of a profile for one metric over one scope.
 *
 * Guarantees: the root's total is the scope total of `aggregate(profile, scope, metric)`; every
 * node's total is its own plus its children's totals; a node's total is the metric summed over the
 * samples whose stack (as a sequence of functions, within its thread) starts with the node's path;
 * zero-valued nodes are kept.
 */
export function buildFlameGraph(profile: Profile, metric: string, scope: Scope = {}): FlameGraph {
  const p = profile;
  const agg = aggregate(p, scope, metric);
  const mi = p.metricIndex(metric);
  const m = p.metricsPerNode;
  const samplesAgg = metric !== 'samples' && p.metricIndex('samples') >= 0 ? aggregate(p, scope, 'samples') : metric === 'samples' ? agg : undefined;
  const def = p.metrics[mi] ?? { key: metric, label: metric, unit: 'count' as const };
  const threads = agg.threads;
  const pids = [...new Set(threads.map((t) => p.threads[t].pid))];
  const byProcess = pids.length > 1;

  // Strings: the profile's, then group labels.
  const strings: string[] = [];
  const stringIds = new Map<string, number>();
  const str = (s: string) => {
    let id = stringIds.get(s);
    if (id === undefined) {
      id = strings.length;
      strings.push(s);
      stringIds.set(s, id);
    }
    return id;
  };
  str('');

  // Function table: profile functions first (same ids), then one entry per group node.
  const nf = p.functionCount;
  const span = nf + threads.length + pids.length + 1;
  const fName = new Int32Array(span);
  const fFile = new Int32Array(span);
  const fDef = new Int32Array(span);
  const fKind = new Uint8Array(span);
  const fOwn = new Float64Array(span);
  const fTotal = new Float64Array(span);
  for (let f = 0; f < nf; f++) {
    fName[f] = str(p.str(p.funcName[f]));
    fFile[f] = str(p.str(p.funcFile[f]));
    fDef[f] = p.funcDefLine[f] ?? 0;
    fKind[f] = kindOf(p, f);
    fOwn[f] = agg.funcOwn[f] ?? 0;
    fTotal[f] = agg.funcTotal[f] ?? 0;
  }
  let groups = nf;
  const group = (name: string, kind: NodeKind) => {
    fName[groups] = str(name);
    fKind[groups] = kind;
    return groups++;
  };

  // Nodes in creation order (renumbered into sorted pre-order below). A flame node merges one or
  // more call tree nodes, so the call tree's size bounds the count.
  const cap = p.nodeCount + pids.length + 1;
  const uParent = new Int32Array(cap);
  const uFunc = new Int32Array(cap);
  const uOwn = new Float64Array(cap);
  const uTotal = new Float64Array(cap);
  const uSamples = new Float64Array(cap);
  let count = 0;
  const childOf = new Map<number, number>(); // parent * span + func -> node
  const lineSum = new LineSums(cap, p.nodeCount); // per node: total by the node's own line
  const callSum = new LineSums(cap, p.nodeCount); // per node: total by the line of the parent that called it
  const newNode = (parent: number, func: number) => {
    uParent[count] = parent;
    uFunc[count] = func;
    return count++;
  };
  const child = (parent: number, func: number) => {
    const k = parent * span + func;
    let c = childOf.get(k);
    if (c === undefined) {
      c = newNode(parent, func);
      childOf.set(k, c);
    }
    return c;
  };

  const root = newNode(-1, group('all', NodeKind.Root));
  const processNode = new Map<string, number>();

  // Children lists of the call tree (CSR), to walk it without recursion.
  const n = p.nodeCount;
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) if (p.nodeParent[i] >= 0) start[p.nodeParent[i] + 1]++;
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) if (p.nodeParent[i] >= 0) order[fill[p.nodeParent[i]]++] = i;

  const nodeTotal = agg.nodeTotal;
  const sampleTotal = samplesAgg?.nodeTotal;
  const self = p.nodeSelf;
  const { nodeFrame, frameFunc, frameLine, lineNo } = p;
  const map = new Int32Array(n); // call tree node -> flame node
  const stack = new Int32Array(n);
  for (const t of threads) {
    const info = p.threads[t];
    let parent = root;
    if (byProcess) {
      let pn = processNode.get(info.pid);
      if (pn === undefined) {
        pn = newNode(root, group(`process ${info.pid}`, NodeKind.Process));
        processNode.set(info.pid, pn);
      }
      parent = pn;
    }
    const mroot = p.threadRoot[t];
    const tn = newNode(parent, group(`thread ${info.label}`, NodeKind.Thread));
    map[mroot] = tn;
    uOwn[tn] += mi >= 0 ? self[mroot * m + mi] : 0;
    uTotal[tn] += nodeTotal[mroot];
    if (sampleTotal) uSamples[tn] += sampleTotal[mroot];
    let sp = 0;
    stack[sp++] = mroot;
    while (sp > 0) {
      const mn = stack[--sp];
      const fn = map[mn];
      const pf = nodeFrame[mn];
      const parentLine = pf >= 0 ? lineNo[frameLine[pf]] : 0;
      for (let ci = start[mn]; ci < start[mn + 1]; ci++) {
        const c = order[ci];
        const frame = nodeFrame[c];
        const cf = child(fn, frameFunc[frame]);
        map[c] = cf;
        const tot = nodeTotal[c];
        uOwn[cf] += self[c * m + mi];
        uTotal[cf] += tot;
        if (sampleTotal) uSamples[cf] += sampleTotal[c];
        lineSum.add(cf, lineNo[frameLine[frame]], tot);
        callSum.add(cf, parentLine, tot);
        stack[sp++] = c;
      }
    }
  }
  // Group totals: a process is the sum of its threads, the root the sum of everything (which is
  // the scope total: a thread's total already counts its frameless samples).
  for (let i = 1; i < count; i++) {
    if (fKind[uFunc[i]] !== NodeKind.Thread) continue;
    const par = uParent[i];
    if (par !== root) {
      uTotal[par] += uTotal[i];
      uSamples[par] += uSamples[i];
    }
    uSamples[root] += uSamples[i];
  }
  uTotal[root] = agg.total;
  for (let i = 0; i < count; i++) {
    const k = fKind[uFunc[i]];
    if (k !== NodeKind.Source && k !== NodeKind.Synthetic) {
      fOwn[uFunc[i]] = uOwn[i];
      fTotal[uFunc[i]] = uTotal[i];
    }
  }
  const uLine = lineSum.hottest(count);
  const uCall = callSum.hottest(count);

  // Renumber into pre-order with children sorted by function name, then file: a rank per
  // function, computed once, makes the per-node sort numeric.
  const byName = Array.from({ length: groups }, (_, f) => f).sort((a, b) => {
    const na = strings[fName[a]];
    const nb = strings[fName[b]];
    if (na !== nb) return na < nb ? -1 : 1;
    const fa = strings[fFile[a]];
    const fb = strings[fFile[b]];
    return fa < fb ? -1 : fa > fb ? 1 : a - b;
  });
  const rank = new Int32Array(groups);
  byName.forEach((f, i) => (rank[f] = i));
  const kidStart = new Int32Array(count + 1);
  for (let i = 1; i < count; i++) kidStart[uParent[i] + 1]++;
  for (let i = 0; i < count; i++) kidStart[i + 1] += kidStart[i];
  const kidFill = kidStart.slice(0, count);
  const kids = new Int32Array(Math.max(0, count - 1));
  for (let i = 1; i < count; i++) kids[kidFill[uParent[i]]++] = i;
  for (let i = 0; i < count; i++) {
    if (kidStart[i + 1] - kidStart[i] > 1) kids.subarray(kidStart[i], kidStart[i + 1]).sort((a, b) => rank[uFunc[a]] - rank[uFunc[b]]);
  }
  const parent = new Int32Array(count);
  const func = new Int32Array(count);
  const line = new Int32Array(count);
  const callLine = new Int32Array(count);
  const own = new Float64Array(count);
  const total = new Float64Array(count);
  const samples = samplesAgg ? new Float64Array(count) : undefined;
  const newId = new Int32Array(count);
  let next = 0;
  let sp = 0;
  const dfs = new Int32Array(count);
  dfs[sp++] = root;
  while (sp > 0) {
    const u = dfs[--sp];
    const id = next++;
    newId[u] = id;
    parent[id] = u === root ? -1 : newId[uParent[u]];
    func[id] = uFunc[u];
    line[id] = uLine[u];
    callLine[id] = uCall[u];
    own[id] = uOwn[u];
    total[id] = uTotal[u];
    if (samples) samples[id] = uSamples[u];
    for (let k = kidStart[u + 1] - 1; k >= kidStart[u]; k--) dfs[sp++] = kids[k];
  }

  return {
    metric: { key: def.key, label: def.label, unit: def.unit },
    total: agg.total,
    strings,
    funcName: fName.slice(0, groups),
    funcFile: fFile.slice(0, groups),
    funcDefLine: fDef.slice(0, groups),
    funcKind: fKind.slice(0, groups),
    funcOwn: fOwn.slice(0, groups),
    funcTotal: fTotal.slice(0, groups),
    nodeCount: count,
    parent,
    func,
    line,
    callLine,
    own,
    nodeTotal: total,
    samples,
  };
}

/** One side of a sandwich: a tree in the same parallel-array shape as a graph's nodes, pre-order. */
export interface SandwichTree {
  readonly nodeCount: number;
  readonly parent: Int32Array;
  readonly func: Int32Array;
  /** For callees: the node's hottest line. For callers: the line of the call toward the focus function. */
  readonly line: Int32Array;
  readonly own: Float64Array;
  readonly total: Float64Array;
  readonly samples: Float64Array | undefined;
}

export interface Sandwich {
  readonly func: number;
  /** Callers, inverted: the root is the function, its children the functions that called it, theirs their callers. */
  readonly callers: SandwichTree;
  /** Callees: the root is the function, below it what it called, as in a flame graph. */
  readonly callees: SandwichTree;
}

class TreeBuilder {
  parent: number[] = [-1];
  func: number[];
  line: number[] = [0];
  own: number[] = [0];
  total: number[] = [0];
  samples: number[] = [0];
  private readonly lineBest: number[] = [-Infinity];
  private readonly kids = new Map<number, number>();
  constructor(
    rootFunc: number,
    /** More than any function id. */
    private readonly span: number,
  ) {
    this.func = [rootFunc];
  }
  child(parent: number, func: number): number {
    const k = parent * this.span + func;
    let c = this.kids.get(k);
    if (c === undefined) {
      c = this.parent.length;
      this.parent.push(parent);
      this.func.push(func);
      this.line.push(0);
      this.own.push(0);
      this.total.push(0);
      this.samples.push(0);
      this.lineBest.push(-Infinity);
      this.kids.set(k, c);
    }
    return c;
  }
  /** Keeps, per node, the line that contributed the largest value (a merge of nodes with different lines). */
  line_(node: number, line: number, value: number): void {
    if (line > 0 && value > this.lineBest[node]) {
      this.lineBest[node] = value;
      this.line[node] = line;
    }
  }
  finish(names: (func: number) => string): SandwichTree {
    const count = this.parent.length;
    const kids: number[][] = Array.from({ length: count }, () => []);
    for (let i = 1; i < count; i++) kids[this.parent[i]].push(i);
    for (const list of kids) list.sort((a, b) => {
      const na = names(this.func[a]);
      const nb = names(this.func[b]);
      return na < nb ? -1 : na > nb ? 1 : this.func[a] - this.func[b];
    });
    const out = {
      nodeCount: count,
      parent: new Int32Array(count),
      func: new Int32Array(count),
      line: new Int32Array(count),
      own: new Float64Array(count),
      total: new Float64Array(count),
      samples: new Float64Array(count),
    };
    const newId = new Int32Array(count);
    let next = 0;
    const dfs = [0];
    while (dfs.length > 0) {
      const u = dfs.pop()!;
      const id = next++;
      newId[u] = id;
      out.parent[id] = u === 0 ? -1 : newId[this.parent[u]];
      out.func[id] = this.func[u];
      out.line[id] = this.line[u];
      out.own[id] = this.own[u];
      out.total[id] = this.total[u];
      out.samples[id] = this.samples[u];
      for (let i = kids[u].length - 1; i >= 0; i--) dfs.push(kids[u][i]);
    }
    return out;
  }
}

/**
 * The sandwich of one function (an index into the graph's function table): its callers above,
 * inverted, and its callees below, each a merged tree whose root is the function.
 *
 * Recursion is merged so that every sample counts once, as in aggregate.ts: the callers side
 * follows each stack down from the function's outermost occurrence (so the function never
 * appears among its own callers), the callees side follows it up from the innermost occurrence
 * (so a recursive call folds into the root). Every edge shown is a call the profile recorded.
 * Both roots' totals equal the function's total in the graph; callee nodes keep own values as in
 * a flame graph, and a caller node's own is the part of the function's own reached through it.
 */
export function sandwich(g: FlameGraph, focus: number): Sandwich {
  const { parent, func, own, nodeTotal, samples, line, callLine } = g;
  const n = g.nodeCount;
  const names = (f: number) => g.strings[g.funcName[f]];
  const callers = new TreeBuilder(focus, g.funcName.length);
  const callees = new TreeBuilder(focus, g.funcName.length);

  // Pre-order: a subtree is a contiguous range, and a parent comes before its children.
  const end = new Int32Array(n);
  for (let i = 0; i < n; i++) end[i] = i + 1;
  for (let i = n - 1; i > 0; i--) if (end[i] > end[parent[i]]) end[parent[i]] = end[i];
  const focusOwnBefore = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) focusOwnBefore[i + 1] = focusOwnBefore[i] + (func[i] === focus ? own[i] : 0);
  const ownSamples = samples ? Float64Array.from(samples) : undefined;
  if (ownSamples) for (let i = 1; i < n; i++) ownSamples[parent[i]] -= samples![i];

  // Callees: each node maps to the callee path below its innermost focus ancestor (or itself).
  const calleeNode = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const par = parent[i];
    const underFocus = par >= 0 && calleeNode[par] >= 0;
    if (func[i] === focus) {
      calleeNode[i] = 0;
      callees.line_(0, line[i], nodeTotal[i]);
      if (!underFocus) addCallers(i);
    } else if (underFocus) {
      calleeNode[i] = callees.child(calleeNode[par], func[i]);
      callees.line_(calleeNode[i], line[i], nodeTotal[i]);
    }
    const c = calleeNode[i];
    if (c >= 0) {
      // each sample has one leaf, so summing own values per callee path counts it once
      callees.own[c] += own[i];
      if (ownSamples) callees.samples[c] += ownSamples[i];
    }
  }
  // Children are created after their parents: a reverse pass sums the totals bottom-up.
  const ct = callees.total;
  const cs = callees.samples;
  for (let i = 0; i < ct.length; i++) ct[i] = callees.own[i];
  for (let i = ct.length - 1; i > 0; i--) {
    ct[callees.parent[i]] += ct[i];
    cs[callees.parent[i]] += cs[i];
  }

  // Callers: from each outermost focus occurrence down to (not including) the root of everything.
  function addCallers(i: number): void {
    const t = nodeTotal[i];
    const o = focusOwnBefore[end[i]] - focusOwnBefore[i];
    const s = samples ? samples[i] : 0;
    callers.total[0] += t;
    callers.own[0] += o;
    callers.samples[0] += s;
    let at = 0;
    let below = i;
    for (let a = parent[i]; a > 0; a = parent[a]) {
      at = callers.child(at, func[a]);
      callers.total[at] += t;
      callers.own[at] += o;
      callers.samples[at] += s;
      callers.line_(at, callLine[below], t);
      below = a;
    }
  }

  const finish = (b: TreeBuilder): SandwichTree => {
    const tree = b.finish(names);
    return samples ? tree : { ...tree, samples: undefined };
  };
  return { func: focus, callers: finish(callers), callees: finish(callees) };
}

/** The graph as JSON-ready columns (see `encodeFlameGraph`). */
export interface FlameJson {
  readonly v: 1;
  readonly metric: MetricDef;
  readonly total: number;
  readonly strings: readonly string[];
  /** Function table columns. */
  readonly f: { name: number[]; file: number[]; def: number[]; kind: number[]; own: number[]; total: number[] };
  /** Node columns in pre-order; `depth` stands for the parent (smaller numbers, same information). */
  readonly n: { depth: number[]; func: number[]; line: number[]; call: number[]; own: number[]; total: number[]; samples?: number[] };
  /** Per node, the change against a baseline in the metric's unit, 0 within noise (null where there is none). */
  readonly change?: (number | null)[];
}

/**
 * The graph (and an optional per-node change) as a compact JSON-ready object: columns of small
 * numbers over a string table, so a 350k-node tree serialises to a few MB and parses in one
 * `JSON.parse`. `decodeFlameGraph` gives back the same graph.
 */
export function encodeFlameGraph(g: FlameGraph, change?: ArrayLike<number>): FlameJson {
  const depth = new Array<number>(g.nodeCount);
  for (let i = 0; i < g.nodeCount; i++) depth[i] = g.parent[i] < 0 ? 0 : depth[g.parent[i]] + 1;
  const arr = (a: ArrayLike<number>) => Array.from(a);
  const json: FlameJson = {
    v: 1,
    metric: g.metric,
    total: g.total,
    strings: g.strings,
    f: { name: arr(g.funcName), file: arr(g.funcFile), def: arr(g.funcDefLine), kind: arr(g.funcKind), own: arr(g.funcOwn), total: arr(g.funcTotal) },
    n: {
      depth,
      func: arr(g.func),
      line: arr(g.line),
      call: arr(g.callLine),
      own: arr(g.own),
      total: arr(g.nodeTotal),
      ...(g.samples ? { samples: arr(g.samples) } : {}),
    },
  };
  if (change) return { ...json, change: Array.from(change, (x) => (Number.isFinite(x) ? x : null)) };
  return json;
}

/** Rebuilds a graph from `encodeFlameGraph` output; throws on a document of another version. */
export function decodeFlameGraph(j: FlameJson): { graph: FlameGraph; change: Float64Array | undefined } {
  if (j.v !== 1) throw new Error(`unknown flame graph data version ${String(j.v)}`);
  const count = j.n.depth.length;
  const parent = new Int32Array(count);
  const last: number[] = [];
  for (let i = 0; i < count; i++) {
    const d = j.n.depth[i];
    parent[i] = d === 0 ? -1 : last[d - 1];
    last[d] = i;
  }
  const graph: FlameGraph = {
    metric: j.metric,
    total: j.total,
    strings: j.strings,
    funcName: Int32Array.from(j.f.name),
    funcFile: Int32Array.from(j.f.file),
    funcDefLine: Int32Array.from(j.f.def),
    funcKind: Uint8Array.from(j.f.kind),
    funcOwn: Float64Array.from(j.f.own),
    funcTotal: Float64Array.from(j.f.total),
    nodeCount: count,
    parent,
    func: Int32Array.from(j.n.func),
    line: Int32Array.from(j.n.line),
    callLine: Int32Array.from(j.n.call),
    own: Float64Array.from(j.n.own),
    nodeTotal: Float64Array.from(j.n.total),
    samples: j.n.samples ? Float64Array.from(j.n.samples) : undefined,
  };
  const change = j.change ? Float64Array.from(j.change, (x) => (x === null ? NaN : x)) : undefined;
  return { graph, change };
}

/**
 * Each node's change against a baseline graph, in the metric's unit (seconds, bytes, samples): the
 * value of the node's call path (its functions from the thread down, whatever the thread, since
 * thread ids differ between runs) now minus in the baseline. Not a difference of shares: when one
 * thing gets faster every unchanged path's share goes up (docs/diff.md). Where both graphs count
 * samples, a change within sampling noise (|z| < 3, the test of docs/diff.md on the path's sample
 * counts) is 0. NaN for the root, processes and threads. A path the baseline never ran counts as 0
 * there.
 */
export function flameChange(current: FlameGraph, baseline: FlameGraph): Float64Array {
  const ids = new Map<string, number>();
  const pathIds = (g: FlameGraph) => {
    const out = new Int32Array(g.nodeCount);
    for (let i = 0; i < g.nodeCount; i++) {
      const f = g.func[i];
      const kind = g.funcKind[f];
      if (kind !== NodeKind.Source && kind !== NodeKind.Synthetic) {
        out[i] = 0;
        continue;
      }
      const key = `${out[g.parent[i]]}\u0001${g.strings[g.funcFile[f]]}\u0000${g.strings[g.funcName[f]]}`;
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = ids.size + 1));
      out[i] = id;
    }
    return out;
  };
  const cur = pathIds(current);
  const base = pathIds(baseline);
  const sums = (g: FlameGraph, path: Int32Array, col: ArrayLike<number>) => {
    const s = new Float64Array(ids.size + 1);
    for (let i = 0; i < g.nodeCount; i++) if (path[i] > 0) s[path[i]] += col[i];
    return s;
  };
  const cs = sums(current, cur, current.nodeTotal);
  const bs = sums(baseline, base, baseline.nodeTotal);
  const counted = current.samples && baseline.samples;
  const cn = counted ? sums(current, cur, current.samples!) : undefined;
  const bn = counted ? sums(baseline, base, baseline.samples!) : undefined;
  const out = new Float64Array(current.nodeCount);
  for (let i = 0; i < current.nodeCount; i++) {
    const k = cur[i];
    if (k === 0) {
      out[i] = NaN;
      continue;
    }
    const delta = cs[k] - bs[k];
    if (cn && bn) {
      // each run's value as a sum of n per-sample values: Var = value^2 / n (Poisson on the count)
      const v = (cn[k] > 0 ? (cs[k] * cs[k]) / cn[k] : 0) + (bn[k] > 0 ? (bs[k] * bs[k]) / bn[k] : 0);
      out[i] = v > 0 && Math.abs(delta) / Math.sqrt(v) >= 3 ? delta : 0;
    } else out[i] = delta;
  }
  return out;
}
