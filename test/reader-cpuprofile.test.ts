import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../server/src/core/aggregate';
import { loadProfile } from '../server/src/core/load';
import { Profile } from '../server/src/core/model';
import { CpuprofileReader, scriptPath } from '../server/src/core/readers/cpuprofile';
import { detectFormat } from '../server/src/core/readers/index';
import { META } from '../server/src/core/readers/meta-keys';
import { recorded } from './helpers/paths';
import { readInChunks, tables } from './helpers/tables';

const FILE = recorded('node-cpu.cpuprofile');
const CHECKOUT = '/home/dev/shop/js/checkout.js';

const read = (json: unknown, sizes?: number[]) =>
  readInChunks(new CpuprofileReader(new Profile()), Buffer.from(typeof json === 'string' ? json : JSON.stringify(json)), sizes);

/** Own values per frame (function name and line) summed over the call tree. */
function frameOwn(p: Profile, metric: string): Map<string, number> {
  const k = p.metricIndex(metric);
  const out = new Map<string, number>();
  for (let n = 0; n < p.nodeCount; n++) {
    const f = p.nodeFrame[n];
    if (f < 0) continue;
    const key = `${p.frameAt(f).name}:${p.frameAt(f).line}`;
    out.set(key, (out.get(key) ?? 0) + p.nodeSelf[n * p.metricsPerNode + k]);
  }
  return out;
}

function funcId(p: Profile, name: string): number {
  const ids = [...Array(p.functionCount).keys()].filter((f) => p.functionAt(f).name === name);
  expect(ids, name).toHaveLength(1);
  return ids[0];
}

interface RawNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}
const raw = JSON.parse(readFileSync(FILE, 'utf8')) as {
  nodes: RawNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
};

describe('cpuprofile: node-cpu.cpuprofile (node --cpu-prof, v20)', () => {
  it('reads the answer key: samples, self shares, metrics, meta', async () => {
    const { profile: p, reader } = await loadProfile(FILE, { chunkSize: 1000 });
    expect(reader.format).toBe('cpuprofile');
    expect(reader.issues).toEqual([]);
    expect(p.metrics.map((m) => [m.key, m.unit])).toEqual([
      ['wall', 'microseconds'],
      ['samples', 'count'],
    ]);
    expect(p.defaultMetric()).toBe('wall');
    expect(p.metricSum('samples')).toBe(2566);
    const a = aggregate(p, {}, 'samples');
    expect(a.percent(a.funcOwn[funcId(p, 'priceCart')])).toBeCloseTo(71.08, 1);
    expect(a.percent(a.funcOwn[funcId(p, 'serialise')])).toBeCloseTo(18.75, 1);
    expect(a.percent(a.funcOwn[funcId(p, '(garbage collector)')])).toBeCloseTo(3.35, 1);
    expect(p.meta.get(META.lineTotals)).toBe('none');
    expect(p.meta.get('duration')).toBe('3296211');
  });

  it('weighs each sample by the time to the next one (the last until endTime), like DevTools', () => {
    const p = read(raw).profile;
    // Independent: timestamps from startTime + cumulative deltas; sample i lasts until i+1.
    const n = raw.samples.length;
    const ts: number[] = [];
    let t = raw.startTime;
    for (const d of raw.timeDeltas) ts.push((t += d));
    const byNode = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const d = Math.max(0, (i + 1 < n ? ts[i + 1] : raw.endTime) - ts[i]);
      byNode.set(raw.samples[i], (byNode.get(raw.samples[i]) ?? 0) + d);
    }
    const total = [...byNode.values()].reduce((x, y) => x + y, 0);
    expect(p.metricSum('wall')).toBeCloseTo(total, 6);
    expect(total).toBe(raw.endTime - raw.startTime - raw.timeDeltas[0]);
    const a = aggregate(p, {}, 'wall');
    const priceCart = raw.nodes.find((x) => x.callFrame.functionName === 'priceCart')!.id;
    expect(a.funcOwn[funcId(p, 'priceCart')]).toBeCloseTo(byNode.get(priceCart)!, 6);
  });

  it('splits own samples over positionTicks lines (answer key: line 17 1287 ticks = 50.16 % of 2566 samples)', () => {
    const p = read(raw).profile;
    const own = frameOwn(p, 'samples');
    const ticks = raw.nodes.flatMap((x) => x.positionTicks ?? []).reduce((s, x) => s + x.ticks, 0);
    expect(ticks).toBe(2478);
    // V8 credits lineTotal's line 17 to the priceCart node it was inlined into: 1246 of its ticks
    expect(own.get('priceCart:17')).toBe(1246);
    expect(own.get('priceCart:16')).toBe(426);
    expect(own.get('serialise:42')).toBe(330);
    // As a share of all samples (what hints show), and per source line across functions:
    // line 17 = priceCart 1246 + bestDiscount 39 + lineTotal 2 ticks.
    const t = tables(p, {}, 'samples');
    expect(t.lineOwn.get(`${CHECKOUT}:17`)).toBe(1287);
    expect((t.lineOwn.get(`${CHECKOUT}:17`)! / 2566) * 100).toBeCloseTo(50.16, 1);
    expect((t.lineOwn.get(`${CHECKOUT}:16`)! / 2566) * 100).toBeCloseTo(17.93, 1);
    expect((t.lineOwn.get(`${CHECKOUT}:42`)! / 2566) * 100).toBeCloseTo(12.86, 1);
    // priceCart has 1824 samples but 1823 ticks: the one sample V8 gave no line stays on the definition line
    expect(own.get('priceCart:32')).toBe(1);
    // a node without positionTicks ((program), GC) keeps its samples on its frame
    expect(own.get('(garbage collector):0')).toBe(86);
  });

  it('places functions at their 1-based definition line, turns file:// URLs into paths, keeps node: and (...) synthetic', () => {
    const p = read(raw).profile;
    const pc = p.functionAt(funcId(p, 'priceCart'));
    expect(pc).toEqual({ file: CHECKOUT, name: 'priceCart', defLine: 32, kind: 'source' });
    expect(p.functionAt(funcId(p, '(garbage collector)')).kind).toBe('synthetic');
    expect(p.functionAt(funcId(p, '(program)')).kind).toBe('synthetic');
    expect(p.functionAt(funcId(p, 'normalizeString')).kind).toBe('synthetic'); // node:path
    const names = [...Array(p.functionCount).keys()].map((f) => p.functionAt(f).name);
    expect(names).not.toContain('(root)');
    // module wrappers have no name: pprof-nodejs' anonymous naming
    expect(names).toContain('(anonymous:L#1:C#1)');
    // two different `value` functions of console/constructor stay apart
    expect(names).toContain('value (line 338)');
    expect(names).toContain('value (line 275)');
    // a non-leaf frame of main sits at main's definition line (47), not at a call site
    const mainFrames = [...Array(p.frameCount).keys()].map((f) => p.frameAt(f)).filter((f) => f.name === 'main');
    expect(mainFrames.map((f) => f.line).sort((x, y) => x - y)).toEqual([47, 52, 53]);
  });

  it('function totals come from the tree: equal to an independent walk of the node tree', () => {
    const p = read(raw).profile;
    const parent = new Map<number, number>();
    for (const x of raw.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
    const name = new Map(raw.nodes.map((x) => [x.id, x.callFrame.functionName]));
    let underMain = 0;
    for (const s of raw.samples) {
      for (let id: number | undefined = s; id !== undefined; id = parent.get(id)) {
        if (name.get(id) === 'main') {
          underMain++;
          break;
        }
      }
    }
    const a = aggregate(p, {}, 'samples');
    expect(a.funcTotal[funcId(p, 'main')]).toBe(underMain);
    expect(a.funcTotal[funcId(p, 'priceCart')]).toBe(1824 + 75 + 2);
  });
});

describe('cpuprofile: edge cases', () => {
  const node = (id: number, fn: string, url: string, line: number, extra: object = {}) => ({
    id,
    callFrame: { functionName: fn, scriptId: '1', url, lineNumber: line, columnNumber: 4 },
    hitCount: 0,
    ...extra,
  });

  it('clamps negative timeDeltas to 0 and follows parent links when children are absent', () => {
    const doc = {
      nodes: [
        node(1, '(root)', '', -1),
        node(2, 'outer', 'file:///app/a%20b.js', 0, { parent: 1 }),
        node(3, 'inner', 'file:///app/a%20b.js', 9, { parent: 2, positionTicks: [{ line: 11, ticks: 2 }] }),
      ],
      startTime: 0,
      endTime: 100,
      samples: [3, 3, 2],
      timeDeltas: [10, 30, -5],
    };
    const r = read(doc);
    expect(r.issues).toEqual([]);
    const p = r.profile;
    // durations: next delta (30), clamped next delta (-5 → 0), endTime − last stamp (100 − 35)
    expect(p.metricSum('wall')).toBe(30 + 0 + 65);
    expect(p.meta.get('cpuprofile.negativeDeltas')).toBe('1');
    const own = frameOwn(p, 'samples');
    expect(own.get('inner:11')).toBe(2);
    expect(own.get('outer:1')).toBe(1);
    expect(p.functionAt(funcId(p, 'inner'))).toEqual({ file: '/app/a b.js', name: 'inner', defLine: 10, kind: 'source' });
    // inner's stack is root-first outer → inner
    const leaf = [...Array(p.nodeCount).keys()].find((n) => p.nodeFrame[n] >= 0 && p.frameAt(p.nodeFrame[n]).name === 'inner')!;
    expect(p.frameAt(p.nodeFrame[p.nodeParent[leaf]]).name).toBe('outer');
  });

  it('more ticks than samples: lines get proportional shares', () => {
    const doc = {
      nodes: [
        node(1, '(root)', '', -1, { children: [2] }),
        node(2, 'f', 'file:///x.js', 0, { positionTicks: [{ line: 3, ticks: 3 }, { line: 5, ticks: 1 }] }),
      ],
      startTime: 0,
      endTime: 20,
      samples: [2, 2],
      timeDeltas: [0, 10],
    };
    const own = frameOwn(read(doc).profile, 'samples');
    expect(own.get('f:3')).toBe(1.5);
    expect(own.get('f:5')).toBe(0.5);
  });

  it('without samples: counts from hitCount, no time metric, and it says so', () => {
    const doc = {
      nodes: [node(1, '(root)', '', -1, { children: [2] }), node(2, 'f', 'file:///x.js', 0, { hitCount: 4 })],
      startTime: 0,
      endTime: 20,
    };
    const r = read(doc);
    expect(r.profile.metrics.map((m) => m.key)).toEqual(['samples']);
    expect(r.profile.metricSum('samples')).toBe(4);
    expect(r.issues[0].message).toMatch(/no "samples" array/);
  });

  it('truncated or broken JSON: one fatal issue at the byte, no throw, nothing read', () => {
    const text = readFileSync(FILE);
    for (const cut of [1, 10, 500, 20000, text.length - 1]) {
      const r = readInChunks(new CpuprofileReader(new Profile()), text.subarray(0, cut));
      expect(r.failed, `cut at ${cut}`).toBe(true);
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0].offset).toBeLessThanOrEqual(cut);
      expect(r.profile.nodeCount).toBe(0);
    }
    const broken = Buffer.from(text);
    broken[1000] = 0x01; // a control character: invalid anywhere in JSON
    const r = readInChunks(new CpuprofileReader(new Profile()), broken);
    expect(r.issues[0].fatal).toBe(true);
    expect(r.issues[0].offset).toBe(1000);
    expect(read('{"nodes": 3}').issues[0].message).toMatch(/no "nodes" array/);
  });

  it('random byte damage never throws', () => {
    const text = readFileSync(FILE);
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 60; i++) {
      const b = Buffer.from(text);
      for (let j = 0; j < 3; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      const r = readInChunks(new CpuprofileReader(new Profile()), b);
      if (r.profile.metrics.length) expect(() => aggregate(r.profile)).not.toThrow();
    }
    // structurally odd but valid JSON: a parent cycle, children that are not arrays, bad ticks
    const odd = {
      nodes: [
        { id: 1, callFrame: { functionName: 'a', url: 'file:///a.js', lineNumber: 0 }, parent: 2, children: 'x' },
        { id: 2, callFrame: { functionName: 'b', url: 'file:///a.js', lineNumber: 4 }, parent: 1, positionTicks: [null, { line: 'x' }] },
        { id: 3 },
      ],
      samples: [1, 2, 9, 'q'],
      timeDeltas: [1, 2, 3, 4],
    };
    const r = read(odd);
    expect(r.issues.map((x) => x.message)).toEqual([
      '1 nodes lack an id or a callFrame; they were skipped',
      '2 samples name a node that does not exist; they were skipped',
      "the node tree has a cycle; 2 nodes' samples were skipped",
    ]);
  });

  it('scriptPath decodes file URLs and leaves others', () => {
    expect(scriptPath('file:///home/u/my%20app/x.js')).toBe('/home/u/my app/x.js');
    expect(scriptPath('node:internal/main/run_main_module')).toBe('node:internal/main/run_main_module');
    expect(scriptPath('https://example.com/app.js')).toBe('https://example.com/app.js');
  });
});

describe('cpuprofile: detection', () => {
  const head = (name: string) => readFileSync(recorded(name)).subarray(0, 4096);
  it('detects node-cpu.cpuprofile and nothing else among the recordings', () => {
    expect(detectFormat(head('node-cpu.cpuprofile'))?.name).toBe('cpuprofile');
    expect(detectFormat(Buffer.from('  {\n  "nodes" : [ {"id":1,"callFrame":{"functionName":"(root)"}}]}'))?.name).toBe('cpuprofile');
    for (const name of ['austin3-cpu.speedscope.json', 'austin3-cpu.austin', 'austin3-cpu.mojo', 'node-pprof-wall.pb']) {
      expect(detectFormat(head(name))?.name, name).not.toBe('cpuprofile');
    }
    expect(detectFormat(Buffer.from('{"nodes":[1,2,3]}'))?.name).not.toBe('cpuprofile');
  });
});
