/**
 * The profile model: interned frames and a merged call tree (a trie of stacks, one root per
 * thread) whose nodes carry their own metric values. Line and function tables are derived from
 * the tree (see aggregate.ts), so memory grows with the number of distinct stacks, never with
 * the number of samples.
 *
 * Readers feed a Profile through the mutation methods (`frame`, `thread`, `child`, `path`, `add`,
 * `setMeta`); consumers read it through the query methods and `aggregate()`.
 */

export type Unit = 'microseconds' | 'nanoseconds' | 'milliseconds' | 'seconds' | 'bytes' | 'count';

export interface MetricDef {
  /** Stable key used in settings, CLI flags and JSON: wall, cpu, time, alloc, dealloc, samples, ... */
  readonly key: string;
  /** Human label: "wall time", "CPU time", "memory allocated", ... */
  label: string;
  readonly unit: Unit;
}

/** What a frame stands for. Only `source` frames map to a file the user can open. */
export type FrameKind = 'source' | 'synthetic';

export interface FrameInfo {
  readonly file: string;
  readonly name: string;
  /** 1-based line; 0 when unknown. */
  readonly line: number;
  readonly lineEnd: number;
  /** 1-based, end-exclusive, in UTF-8 bytes (MOJO); 0 when unknown. */
  readonly column: number;
  readonly columnEnd: number;
  readonly kind: FrameKind;
}

export interface ThreadInfo {
  readonly index: number;
  readonly pid: string;
  readonly tid: string;
  /** Sub-interpreter id (Austin 3.6+), '' when the format has none. */
  readonly iid: string;
  /** Display label: the format's own thread name where it has one. */
  readonly label: string;
}

export interface FunctionInfo {
  readonly file: string;
  readonly name: string;
  /** Definition line when the format records it (pprof, cpuprofile, pstats); 0 otherwise. */
  readonly defLine: number;
  readonly kind: FrameKind;
}

export interface LineKey {
  readonly file: string;
  readonly line: number;
}

export interface FrameOptions {
  lineEnd?: number;
  column?: number;
  columnEnd?: number;
  kind?: FrameKind;
  /** Definition line of the function, where the format records it. */
  defLine?: number;
}

/** Narrows the samples counted: one process and/or one thread (by index into `threads`). */
export interface Scope {
  readonly pid?: string;
  readonly thread?: number;
}

const ROOT_FRAME = -1;
// Keys packed into one double: both halves stay below 2^26, so the product stays below 2^52.
const K26 = 67108864;

/**
 * Interned (caller, callee) pairs of small non-negative ids. The packing of a pair into one map key
 * stays inside this class: consumers read `caller[e]` and `callee[e]`.
 */
export class EdgeTable {
  private readonly ids = new Map<number, number>();
  count = 0;
  caller = new Int32Array(256);
  callee = new Int32Array(256);
  intern(caller: number, callee: number): number {
    const key = caller * K26 + callee;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.count++;
      this.ids.set(key, id);
      this.caller = grow(this.caller, id + 1);
      this.callee = grow(this.callee, id + 1);
      this.caller[id] = caller;
      this.callee[id] = callee;
    }
    return id;
  }
  /** The edge between two ids, or undefined when no sample has it. */
  get(caller: number, callee: number): number | undefined {
    return this.ids.get(caller * K26 + callee);
  }
}

function grow(a: Int32Array, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a as Int32Array<ArrayBuffer>;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function growF(a: Float64Array, need: number): Float64Array<ArrayBuffer> {
  if (need <= a.length) return a as Float64Array<ArrayBuffer>;
  const b = new Float64Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Function-level values a format records directly but a call tree cannot hold (pstats has
 * cumulative times per function and per caller, but no stacks). When present for a metric,
 * aggregation takes function totals and callers from here instead of from the tree.
 */
export interface FunctionLevelData {
  /** metric key -> function id -> total (inclusive) value. */
  readonly totals: ReadonlyMap<string, ReadonlyMap<number, number>>;
  /** function id -> its callers, with the callee's total under each caller per metric key. */
  readonly callers: ReadonlyMap<number, readonly { funcId: number; lineId: number; values: ReadonlyMap<string, number> }[]>;
}

export class Profile {
  /** Bumped by every mutation, so derived tables know when to recompute. */
  version = 0;
  readonly meta = new Map<string, string>();
  metrics: MetricDef[] = [];
  /** Name of the format as detected: 'austin-text', 'mojo', ... */
  format = '';
  /** Function totals and callers recorded by the format itself (pstats); see FunctionLevelData. */
  functionLevel: FunctionLevelData | undefined;
  /** The metric the format itself shows first (pprof: default_sample_type, else the last type). */
  preferredMetric: string | undefined = undefined;

  // Strings
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();

  // Frames: interned by (file, name, line, lineEnd, column, columnEnd, kind)
  private readonly frameIds = new Map<string, number>();
  private readonly frameInfo: FrameInfo[] = [];
  /** frame -> line id / function id / call site id */
  frameLine = new Int32Array(256);
  frameFunc = new Int32Array(256);
  frameSite = new Int32Array(256);

  // Lines (file string id, line) and functions (file string id, name string id)
  private readonly lineIds = new Map<number, number>();
  readonly lineFile: number[] = [];
  readonly lineNo: number[] = [];
  private readonly funcIds = new Map<number, number>();
  readonly funcFile: number[] = [];
  readonly funcName: number[] = [];
  readonly funcDefLine: number[] = [];
  readonly funcKind: FrameKind[] = [];
  // Call sites: (function, line) pairs
  private readonly siteIds = new Map<number, number>();
  readonly siteFunc: number[] = [];
  readonly siteLine: number[] = [];

  // Edges between a parent frame and a child frame, interned for once-per-sample counting. Each
  // table has the caller (a call site, a function or a line) and the callee function of every edge.
  readonly siteEdges = new EdgeTable(); // (caller site, callee function)
  readonly funcEdges = new EdgeTable(); // (caller function, callee function)
  readonly lineEdges = new EdgeTable(); // (caller line, callee function)

  // Threads
  readonly threads: ThreadInfo[] = [];
  private readonly threadIds = new Map<string, number>();
  readonly threadRoot: number[] = [];

  // Call tree, struct of arrays
  nodeCount = 0;
  nodeParent = new Int32Array(1024);
  nodeFrame = new Int32Array(1024);
  nodeThread = new Int32Array(1024);
  nodeSiteEdge = new Int32Array(1024);
  nodeFuncEdge = new Int32Array(1024);
  nodeLineEdge = new Int32Array(1024);
  /** Own values, `metricCount` per node. */
  nodeSelf = new Float64Array(1024);
  private readonly childIds = new Map<number, number>();
  private metricCount = 0;

  // Per-thread memo of the last path, so consecutive samples share the work of their common prefix
  private readonly lastFrames: Int32Array[] = [];
  private readonly lastNodes: Int32Array[] = [];
  private readonly lastDepth: number[] = [];

  /** Declares the metrics every later `add` supplies, in this order. Call once, before samples. */
  setMetrics(defs: MetricDef[]): void {
    if (this.nodeCount > 0 && defs.length !== this.metricCount) {
      throw new Error('metrics cannot change once samples were added');
    }
    this.metrics = defs;
    this.metricCount = defs.length;
    this.nodeSelf = new Float64Array(this.nodeParent.length * Math.max(1, defs.length));
    this.version++;
  }

  /** Relabels a metric once the file reveals what it measured (same unit, same values). */
  renameMetric(index: number, def: MetricDef): void {
    this.metrics = this.metrics.map((m, i) => (i === index ? def : m));
    this.version++;
  }

  setMeta(key: string, value: string): void {
    this.meta.set(key, value);
    this.version++;
  }

  string(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  str(id: number): string {
    return this.strings[id];
  }

  /** Interns a frame and returns its id. Lines and functions are interned with it. */
  frame(file: string, name: string, line: number, opts?: FrameOptions): number {
    const lineEnd = opts?.lineEnd ?? 0;
    const column = opts?.column ?? 0;
    const columnEnd = opts?.columnEnd ?? 0;
    const kind = opts?.kind ?? 'source';
    const key = `${file}\u0000${name}\u0000${line}\u0000${lineEnd}\u0000${column}\u0000${columnEnd}\u0000${kind}`;
    let id = this.frameIds.get(key);
    if (id !== undefined) return id;
    id = this.frameInfo.length;
    this.frameIds.set(key, id);
    this.frameInfo.push({ file, name, line, lineEnd, column, columnEnd, kind });
    const fileId = this.string(file);
    const nameId = this.string(name);
    const safeLine = line >= 0 && line < 4294967296 ? Math.floor(line) : 0;
    const lineKey = fileId * 4294967296 + safeLine;
    let lineId = this.lineIds.get(lineKey);
    if (lineId === undefined) {
      lineId = this.lineFile.length;
      this.lineIds.set(lineKey, lineId);
      this.lineFile.push(fileId);
      this.lineNo.push(safeLine);
    }
    const funcKey = fileId * K26 + nameId;
    let funcId = this.funcIds.get(funcKey);
    if (funcId === undefined) {
      funcId = this.funcFile.length;
      this.funcIds.set(funcKey, funcId);
      this.funcFile.push(fileId);
      this.funcName.push(nameId);
      this.funcDefLine.push(opts?.defLine ?? 0);
      this.funcKind.push(kind);
    } else if (opts?.defLine && !this.funcDefLine[funcId]) {
      this.funcDefLine[funcId] = opts.defLine;
    }
    const siteKey = funcId * K26 + lineId;
    let siteId = this.siteIds.get(siteKey);
    if (siteId === undefined) {
      siteId = this.siteFunc.length;
      this.siteIds.set(siteKey, siteId);
      this.siteFunc.push(funcId);
      this.siteLine.push(lineId);
    }
    this.frameLine = grow(this.frameLine, id + 1);
    this.frameFunc = grow(this.frameFunc, id + 1);
    this.frameSite = grow(this.frameSite, id + 1);
    this.frameLine[id] = lineId;
    this.frameFunc[id] = funcId;
    this.frameSite[id] = siteId;
    return id;
  }

  get frameCount(): number {
    return this.frameInfo.length;
  }

  frameAt(id: number): FrameInfo {
    return this.frameInfo[id];
  }

  /** Interns a thread; its root node is created with it. */
  thread(pid: string, tid: string, iid = '', label?: string): number {
    const key = `${pid}\u0000${iid}\u0000${tid}`;
    let t = this.threadIds.get(key);
    if (t !== undefined) return t;
    t = this.threads.length;
    this.threadIds.set(key, t);
    this.threads.push({ index: t, pid, tid, iid, label: label ?? (iid && iid !== '0' ? `${iid}:${tid}` : tid) });
    this.threadRoot.push(this.newNode(-1, ROOT_FRAME, t));
    this.lastFrames.push(new Int32Array(64));
    this.lastNodes.push(new Int32Array(64));
    this.lastDepth.push(0);
    this.version++;
    return t;
  }

  root(thread: number): number {
    return this.threadRoot[thread];
  }

  private newNode(parent: number, frame: number, thread: number): number {
    const n = this.nodeCount++;
    if (n >= this.nodeParent.length) {
      const cap = this.nodeParent.length * 2;
      this.nodeParent = grow(this.nodeParent, cap);
      this.nodeFrame = grow(this.nodeFrame, cap);
      this.nodeThread = grow(this.nodeThread, cap);
      this.nodeSiteEdge = grow(this.nodeSiteEdge, cap);
      this.nodeFuncEdge = grow(this.nodeFuncEdge, cap);
      this.nodeLineEdge = grow(this.nodeLineEdge, cap);
      this.nodeSelf = growF(this.nodeSelf, cap * Math.max(1, this.metricCount));
    }
    this.nodeParent[n] = parent;
    this.nodeFrame[n] = frame;
    this.nodeThread[n] = thread;
    const pf = parent >= 0 ? this.nodeFrame[parent] : ROOT_FRAME;
    if (pf >= 0 && frame >= 0) {
      const callee = this.frameFunc[frame];
      this.nodeSiteEdge[n] = this.siteEdges.intern(this.frameSite[pf], callee);
      this.nodeFuncEdge[n] = this.funcEdges.intern(this.frameFunc[pf], callee);
      this.nodeLineEdge[n] = this.lineEdges.intern(this.frameLine[pf], callee);
    } else {
      this.nodeSiteEdge[n] = -1;
      this.nodeFuncEdge[n] = -1;
      this.nodeLineEdge[n] = -1;
    }
    return n;
  }

  /** The child of `node` for `frame`, created when missing. */
  child(node: number, frame: number): number {
    const key = node * K26 + frame;
    let c = this.childIds.get(key);
    if (c === undefined) {
      c = this.newNode(node, frame, this.nodeThread[node]);
      this.childIds.set(key, c);
    }
    return c;
  }

  /**
   * The node for a whole stack (root first) in a thread. Reuses the common prefix with the
   * previous stack of the same thread, which is most of it for consecutive samples.
   */
  path(thread: number, frames: ArrayLike<number>, depth: number): number {
    let lf = this.lastFrames[thread];
    let ln = this.lastNodes[thread];
    const prev = this.lastDepth[thread];
    let i = 0;
    const lim = prev < depth ? prev : depth;
    while (i < lim && lf[i] === frames[i]) i++;
    if (depth > lf.length) {
      lf = this.lastFrames[thread] = grow(lf, depth);
      ln = this.lastNodes[thread] = grow(ln, depth);
    }
    let node = i === 0 ? this.threadRoot[thread] : ln[i - 1];
    for (; i < depth; i++) {
      const f = frames[i];
      node = this.child(node, f);
      lf[i] = f;
      ln[i] = node;
    }
    this.lastDepth[thread] = depth;
    return node;
  }

  /** Adds one sample's values (one per metric, in `metrics` order) to a node's own values. */
  add(node: number, values: ArrayLike<number>): void {
    const m = this.metricCount;
    const base = node * m;
    const self = this.nodeSelf;
    for (let k = 0; k < m; k++) self[base + k] += values[k];
    this.version++;
  }

  metricIndex(key: string): number {
    return this.metrics.findIndex((m) => m.key === key);
  }

  /** The format's own preference where it states one, else CPU time, wall time, time, the first metric. */
  defaultMetric(): string {
    if (this.preferredMetric !== undefined && this.metricIndex(this.preferredMetric) >= 0) return this.preferredMetric;
    for (const k of ['cpu', 'wall', 'time', 'alloc']) if (this.metricIndex(k) >= 0) return k;
    return this.metrics[0]?.key ?? 'samples';
  }

  get lineCount(): number {
    return this.lineFile.length;
  }

  get functionCount(): number {
    return this.funcFile.length;
  }

  lineKey(lineId: number): LineKey {
    return { file: this.strings[this.lineFile[lineId]], line: this.lineNo[lineId] };
  }

  functionAt(funcId: number): FunctionInfo {
    return {
      file: this.strings[this.funcFile[funcId]],
      name: this.strings[this.funcName[funcId]],
      defLine: this.funcDefLine[funcId],
      kind: this.funcKind[funcId],
    };
  }

  /** The id of the function (file, name), or undefined when no frame names it. */
  functionId(file: string, name: string): number | undefined {
    const fileId = this.stringIds.get(file);
    const nameId = this.stringIds.get(name);
    if (fileId === undefined || nameId === undefined) return undefined;
    return this.funcIds.get(fileId * K26 + nameId);
  }

  setFunctionDefLine(funcId: number, line: number): void {
    this.funcDefLine[funcId] = line;
  }

  /** Distinct source files (kind `source`) that some frame points at. */
  sourceFiles(): string[] {
    const seen = new Set<number>();
    for (let f = 0; f < this.funcFile.length; f++) if (this.funcKind[f] === 'source') seen.add(this.funcFile[f]);
    return [...seen].map((id) => this.strings[id]);
  }

  /** Thread indexes inside a scope. */
  threadsIn(scope: Scope | undefined): number[] {
    const out: number[] = [];
    for (const t of this.threads) {
      if (scope?.pid !== undefined && t.pid !== scope.pid) continue;
      if (scope?.thread !== undefined && t.index !== scope.thread) continue;
      out.push(t.index);
    }
    return out;
  }

  processes(): string[] {
    return [...new Set(this.threads.map((t) => t.pid))];
  }

  /** Number of samples added; only meaningful where a `samples` metric exists. */
  metricSum(key: string): number {
    const k = this.metricIndex(key);
    if (k < 0) return 0;
    let s = 0;
    const m = this.metricCount;
    for (let n = 0; n < this.nodeCount; n++) s += this.nodeSelf[n * m + k];
    return s;
  }

  get metricsPerNode(): number {
    return this.metricCount;
  }
}

/** Standard Austin metric definitions. */
export const METRICS = {
  wall: { key: 'wall', label: 'wall time', unit: 'microseconds' },
  cpu: { key: 'cpu', label: 'CPU time', unit: 'microseconds' },
  time: { key: 'time', label: 'time', unit: 'microseconds' },
  alloc: { key: 'alloc', label: 'memory allocated', unit: 'bytes' },
  dealloc: { key: 'dealloc', label: 'memory released', unit: 'bytes' },
  samples: { key: 'samples', label: 'samples', unit: 'count' },
} as const satisfies Record<string, MetricDef>;

export function metric(key: keyof typeof METRICS): MetricDef {
  return { ...METRICS[key] };
}
