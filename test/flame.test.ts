// The flame graph and sandwich data (core/flame.ts) against independent readings of the raw
// files: test/lsp/naive-austin.ts (a plain split of each record) and test/helpers/reference-austin.ts.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFlameGraph, decodeFlameGraph, encodeFlameGraph, flameChange, NodeKind, sandwich, type FlameGraph, type SandwichTree } from '../server/src/core/flame';
import { loadProfile } from '../server/src/core/load';
import type { Profile } from '../server/src/core/model';
import { austinSamples } from './helpers/austin-samples';
import { recorded } from './helpers/paths';
import { referenceAustin } from './helpers/reference-austin';
import { naiveAustin, type NaiveSample } from './lsp/naive-austin';

const SEP = '\u0001';
const fkey = (file: string, name: string) => `${file}\u0000${name}`;

/** Function paths of the graph's frames (groups skipped), summed over threads and processes. */
function graphPaths(g: FlameGraph): Map<string, { total: number; own: number }> {
  const path: string[] = new Array(g.nodeCount);
  const out = new Map<string, { total: number; own: number }>();
  for (let i = 0; i < g.nodeCount; i++) {
    const f = g.func[i];
    const kind = g.funcKind[f];
    const parentPath = g.parent[i] >= 0 ? path[g.parent[i]] : '';
    if (kind !== NodeKind.Source && kind !== NodeKind.Synthetic) {
      path[i] = '';
      continue;
    }
    path[i] = (parentPath ? parentPath + SEP : '') + fkey(g.strings[g.funcFile[f]], g.strings[g.funcName[f]]);
    const e = out.get(path[i]) ?? { total: 0, own: 0 };
    e.total += g.nodeTotal[i];
    e.own += g.own[i];
    out.set(path[i], e);
  }
  return out;
}

/** The same from the raw samples: every prefix of a sample's function sequence gets its value. */
function samplePaths(samples: NaiveSample[]): Map<string, { total: number; own: number }> {
  const out = new Map<string, { total: number; own: number }>();
  for (const s of samples) {
    let key = '';
    s.frames.forEach((f, i) => {
      key = (i ? key + SEP : '') + fkey(f.file, f.name);
      const e = out.get(key) ?? { total: 0, own: 0 };
      e.total += s.value;
      if (i === s.frames.length - 1) e.own += s.value;
      out.set(key, e);
    });
  }
  return out;
}

const funcId = (g: FlameGraph, name: string, fileEnd = '') => {
  for (let f = 0; f < g.funcName.length; f++) {
    if (g.strings[g.funcName[f]] === name && g.strings[g.funcFile[f]].endsWith(fileEnd)) return f;
  }
  throw new Error(`no function ${name}`);
};

const children = (t: { parent: Int32Array; nodeCount: number }, node: number) => {
  const out: number[] = [];
  for (let i = 0; i < t.nodeCount; i++) if (t.parent[i] === node) out.push(i);
  return out;
};

describe('flame graph of austin3-cpu.austin', () => {
  const file = recorded('austin3-cpu.austin');
  let profile: Profile;
  let g: FlameGraph;
  const ref = referenceAustin(file);
  const naive = naiveAustin(file);

  beforeAll(async () => {
    profile = (await loadProfile(file)).profile;
    g = buildFlameGraph(profile, 'cpu');
  });

  it('the root is the scope total, threads are its children, and every node is own plus its children', () => {
    expect(g.total).toBe(ref.total);
    expect(g.nodeTotal[0]).toBe(ref.total);
    const threads = children(g, 0);
    expect(threads).toHaveLength(ref.threads.size);
    for (const t of threads) expect(g.funcKind[g.func[t]]).toBe(NodeKind.Thread);
    const sum = new Float64Array(g.nodeCount);
    for (let i = g.nodeCount - 1; i > 0; i--) sum[g.parent[i]] += g.nodeTotal[i];
    for (let i = 0; i < g.nodeCount; i++) expect(g.own[i] + sum[i]).toBeCloseTo(g.nodeTotal[i], 6);
    // the samples metric counts every sample once
    expect(g.samples![0]).toBe(ref.samples);
  });

  it('every function path has the total and own of the raw samples that ran it', () => {
    const got = graphPaths(g);
    const want = samplePaths(naive.samples);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, w] of want) {
      expect(got.get(k)!.total, k).toBe(w.total);
      expect(got.get(k)!.own, k).toBe(w.own);
    }
  });

  it('functions are merged by file and name; each function total is counted once per sample', () => {
    for (let f = 0; f < g.funcName.length; f++) {
      if (g.funcKind[f] !== NodeKind.Source && g.funcKind[f] !== NodeKind.Synthetic) continue;
      const key = `${g.strings[g.funcFile[f]]}:${g.strings[g.funcName[f]]}`;
      expect(g.funcTotal[f], key).toBe(ref.funcTotal.get(key) ?? 0);
    }
    // siblings never repeat a function
    const seen = new Set<string>();
    for (let i = 1; i < g.nodeCount; i++) {
      const k = `${g.parent[i]}:${g.func[i]}`;
      expect(seen.has(k)).toBe(false);
      seen.add(k);
    }
  });

  it('audit sits under Inventory.receive and Inventory.ship with the answer-key share (20.77 % in all)', () => {
    const audit = funcId(g, 'audit', 'inventory.py');
    expect(((g.funcTotal[audit] / g.total) * 100).toFixed(2)).toBe('20.77');
    const parents = [];
    for (let i = 0; i < g.nodeCount; i++) if (g.func[i] === audit) parents.push(g.strings[g.funcName[g.func[g.parent[i]]]]);
    expect(parents.sort()).toEqual(['Inventory.receive', 'Inventory.ship']);
  });

  it('each node keeps its hottest line and the line its caller called it from', () => {
    // independently: per (caller function, callee function) pair, the totals per line
    const lines = new Map<string, Map<number, number>>();
    const calls = new Map<string, Map<number, number>>();
    const add = (m: Map<string, Map<number, number>>, k: string, line: number, v: number) => {
      const inner = m.get(k) ?? new Map<number, number>();
      inner.set(line, (inner.get(line) ?? 0) + v);
      m.set(k, inner);
    };
    for (const s of naive.samples) {
      let key = '';
      s.frames.forEach((f, i) => {
        key = (i ? key + SEP : '') + fkey(f.file, f.name);
        add(lines, key, f.line, s.value);
        if (i > 0) add(calls, key, s.frames[i - 1].line, s.value);
      });
    }
    const best = (m: Map<number, number> | undefined) => {
      let line = 0;
      let v = -Infinity;
      for (const [l, x] of m ?? []) if (l > 0 && (x > v || (x === v && l < line))) [line, v] = [l, x];
      return line;
    };
    // line_total under best_discount (pricing.py): hottest line 28, called from line 37
    const lt = funcId(g, 'line_total', 'pricing.py');
    const bd = funcId(g, 'best_discount', 'pricing.py');
    const node = [...Array(g.nodeCount).keys()].find((i) => g.func[i] === lt && g.func[g.parent[i]] === bd)!;
    expect(g.line[node]).toBe(28);
    expect(g.callLine[node]).toBe(37);
    // and every node of a single-thread path agrees with the raw samples (paths are thread-merged there)
    const byPath = graphPaths(g);
    let checked = 0;
    const path: string[] = [];
    for (let i = 0; i < g.nodeCount; i++) {
      const f = g.func[i];
      const frame = g.funcKind[f] === NodeKind.Source || g.funcKind[f] === NodeKind.Synthetic;
      path[i] = frame ? (path[g.parent[i]] ? path[g.parent[i]] + SEP : '') + fkey(g.strings[g.funcFile[f]], g.strings[g.funcName[f]]) : '';
      // a path run by one thread only: its node holds all of the path's lines
      if (frame && byPath.get(path[i])!.total === g.nodeTotal[i] && g.nodeTotal[i] > 0) {
        expect(g.line[i], path[i]).toBe(best(lines.get(path[i])));
        if (path[g.parent[i]]) expect(g.callLine[i], path[i]).toBe(best(calls.get(path[i])));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('the sandwich of audit: callers Inventory.receive (line 34) and Inventory.ship (42), callee inspect.stack', () => {
    const audit = funcId(g, 'audit', 'inventory.py');
    const s = sandwich(g, audit);
    expect(s.callers.total[0]).toBe(g.funcTotal[audit]);
    expect(s.callees.total[0]).toBe(g.funcTotal[audit]);
    // independently: the caller of each sample's outermost audit
    const byCaller = new Map<string, number>();
    for (const x of naive.samples) {
      const i = x.frames.findIndex((f) => f.name === 'audit');
      if (i > 0) byCaller.set(`${x.frames[i - 1].name}:${x.frames[i - 1].line}`, (byCaller.get(`${x.frames[i - 1].name}:${x.frames[i - 1].line}`) ?? 0) + x.value);
    }
    const got = new Map<string, number>();
    for (const c of children(s.callers, 0)) got.set(g.strings[g.funcName[s.callers.func[c]]], s.callers.total[c]);
    expect(got.get('Inventory.receive')).toBe(byCaller.get('Inventory.receive:34'));
    // ship calls audit from two lines (39 and 42): merged by function, the hottest line kept
    expect(got.get('Inventory.ship')).toBe((byCaller.get('Inventory.ship:42') ?? 0) + (byCaller.get('Inventory.ship:39') ?? 0));
    const ship = children(s.callers, 0).find((c) => g.strings[g.funcName[s.callers.func[c]]] === 'Inventory.ship')!;
    expect(s.callers.line[ship]).toBe(42);
    const callees = children(s.callees, 0).map((c) => g.strings[g.funcName[s.callees.func[c]]]);
    expect(callees).toContain('stack');
  });

  it('every function: both sandwich roots equal its total, and callee trees sum like a flame graph', () => {
    for (let f = 0; f < g.funcName.length; f++) {
      if (g.funcKind[f] !== NodeKind.Source && g.funcKind[f] !== NodeKind.Synthetic) continue;
      const s = sandwich(g, f);
      expect(s.callers.total[0]).toBeCloseTo(g.funcTotal[f], 6);
      expect(s.callees.total[0]).toBeCloseTo(g.funcTotal[f], 6);
      checkSums(s.callees);
    }
  });

  it('encodes to JSON and decodes to the same graph', () => {
    const json = JSON.parse(JSON.stringify(encodeFlameGraph(g)));
    const { graph, change } = decodeFlameGraph(json);
    expect(change).toBeUndefined();
    for (const k of ['parent', 'func', 'line', 'callLine', 'own', 'nodeTotal', 'samples', 'funcName', 'funcFile', 'funcKind', 'funcTotal', 'funcOwn'] as const) {
      expect(Array.from(graph[k]!), k).toEqual(Array.from(g[k]!));
    }
    expect(graph.strings).toEqual(g.strings);
    expect(graph.total).toBe(g.total);
  });

  it('a scope narrows the graph to one thread', () => {
    const t = profile.threads.findIndex((x) => x.tid === '12901');
    const one = buildFlameGraph(profile, 'cpu', { thread: t });
    const want = naiveAustinThread(file, '12901');
    expect(one.total).toBe(want);
    expect(children(one, 0)).toHaveLength(1);
  });
});

function checkSums(t: SandwichTree): void {
  const sum = new Float64Array(t.nodeCount);
  for (let i = t.nodeCount - 1; i > 0; i--) sum[t.parent[i]] += t.total[i];
  for (let i = 0; i < t.nodeCount; i++) expect(t.own[i] + sum[i]).toBeCloseTo(t.total[i], 6);
}

/** The total of one thread's records, by a plain scan of the file. */
function naiveAustinThread(file: string, tid: string): number {
  return austinSamples(file)
    .filter((s) => s.thread === `T0:${tid}`)
    .reduce((t, s) => t + s.values[0], 0);
}

describe('flame graph details on small literal profiles', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flamelens-flame-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function literal(lines: string[], mode = 'cpu'): Promise<Profile> {
    const path = join(dir, `p${Math.random().toString(36).slice(2)}.austin`);
    writeFileSync(path, ['# austin: 3.7.0', '# interval: 1000', `# mode: ${mode}`, '', ...lines, ''].join('\n'));
    return (await loadProfile(path)).profile;
  }

  it('recursion: the sandwich counts each sample once and shows only recorded calls', async () => {
    // f -> g -> f -> h (100), f -> g (10), f (1), main -> f -> f (1000)
    const p = await literal([
      'P1;T0:1;/a.py:main:1;/a.py:f:10;/a.py:g:20;/a.py:f:11;/a.py:h:30 100',
      'P1;T0:1;/a.py:main:1;/a.py:f:10;/a.py:g:21 10',
      'P1;T0:1;/a.py:main:1;/a.py:f:12 1',
      'P1;T0:1;/a.py:main:2;/a.py:f:13;/a.py:f:14 1000',
    ]);
    const g = buildFlameGraph(p, 'cpu');
    const f = funcId(g, 'f');
    expect(g.funcTotal[f]).toBe(1111);
    const s = sandwich(g, f);
    const name = (t: SandwichTree, i: number) => g.strings[g.funcName[t.func[i]]];
    const kids = (t: SandwichTree, i: number) => Object.fromEntries(children(t, i).map((c) => [name(t, c), t.total[c]]));
    // callers: below the outermost f only main (and then the thread)
    expect(s.callers.total[0]).toBe(1111);
    expect(kids(s.callers, 0)).toEqual({ main: 1111 });
    // callees from the innermost f: h (100, called by the inner f), g (10); f's own is 1 + 1000
    expect(s.callees.total[0]).toBe(1111);
    expect(s.callees.own[0]).toBe(1001);
    expect(kids(s.callees, 0)).toEqual({ g: 10, h: 100 });
  });

  it('never prunes: a frame whose samples sum to 0 stays in the data', async () => {
    const p = await literal(['P1;T0:1;/a.py:main:1;/a.py:tiny:5 0', 'P1;T0:1;/a.py:main:1 50']);
    const g = buildFlameGraph(p, 'cpu');
    const tiny = funcId(g, 'tiny');
    expect([...g.func].filter((x) => x === tiny)).toHaveLength(1);
  });

  it('processes are roots when the scope holds several', async () => {
    const p = await literal(['P1;T0:1;/a.py:main:1 5', 'P2;T0:2;/a.py:main:1 7', 'P2;T0:3;/a.py:other:1 1']);
    const g = buildFlameGraph(p, 'cpu');
    const procs = children(g, 0);
    expect(procs.map((i) => g.strings[g.funcName[g.func[i]]])).toEqual(['process 1', 'process 2']);
    expect(procs.map((i) => g.nodeTotal[i])).toEqual([5, 8]);
    expect(children(g, procs[1])).toHaveLength(2);
    // one process in scope: no process level
    const one = buildFlameGraph(p, 'cpu', { pid: '2' });
    expect(children(one, 0).map((i) => one.funcKind[one.func[i]])).toEqual([NodeKind.Thread, NodeKind.Thread]);
  });

  it('change against a baseline is the call path value now minus then, 0 within sampling noise', async () => {
    const rep = (line: string, n: number) => Array.from({ length: n }, () => line);
    const base = await literal([
      ...rep('P1;T0:1;/a.py:main:1;/a.py:slow:2 1', 200),
      ...rep('P1;T0:1;/a.py:main:1;/a.py:fast:3 1', 200),
      ...rep('P1;T0:1;/a.py:main:1;/a.py:same:5 1', 100),
    ]);
    const now = await literal([
      ...rep('P1;T0:9;/a.py:main:1;/a.py:slow:2 1', 400),
      ...rep('P1;T0:9;/a.py:main:1;/a.py:fast:3 1', 50),
      ...rep('P1;T0:9;/a.py:main:1;/a.py:new:4 1', 50),
      ...rep('P1;T0:9;/a.py:main:1;/a.py:same:5 1', 105),
    ]);
    const g = buildFlameGraph(now, 'cpu');
    const change = flameChange(g, buildFlameGraph(base, 'cpu'));
    const at = (name: string) => change[[...g.func].indexOf(funcId(g, name))];
    // z = delta / sqrt(now^2/n_now + then^2/n_then): 200/sqrt(400+200) = 8.2, 150/sqrt(250) = 9.5, 50/sqrt(50) = 7.1
    expect(at('slow')).toBe(200);
    expect(at('fast')).toBe(-150);
    expect(at('new')).toBe(50);
    // 105 against 100: z = 0.35, noise
    expect(at('same')).toBe(0);
    // main: 605 against 500, z = 105/sqrt(605+500) = 3.2
    expect(at('main')).toBe(105);
    expect(change[0]).toBeNaN();
    // and it travels with the encoded graph
    const back = decodeFlameGraph(JSON.parse(JSON.stringify(encodeFlameGraph(g, change))));
    expect(Array.from(back.change!).map((x) => (Number.isNaN(x) ? 'NaN' : x.toFixed(6)))).toEqual(Array.from(change).map((x) => (Number.isNaN(x) ? 'NaN' : x.toFixed(6))));
  });
});
