import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Function as PFunction, Line, Location, Profile as PMessage, Sample, StringTable, ValueType } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../server/src/core/aggregate';
import { loadProfile } from '../server/src/core/load';
import { Profile } from '../server/src/core/model';
import { detectFormat } from '../server/src/core/readers/index';
import { PprofReader, unpackLine } from '../server/src/core/readers/pprof';
import { recorded } from './helpers/paths';
import { pct, readInChunks, sortedEntries, tables } from './helpers/tables';

/** Own values per frame (function name and line), summed over the call tree. */
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

const read = (bytes: Uint8Array, sizes?: number[]) => readInChunks(new PprofReader(new Profile()), bytes, sizes) as PprofReader;

/** Share of a function's own value, by name (must be unique). */
function funcPct(profile: Profile, name: string, metric?: string, by: 'own' | 'total' = 'own'): number {
  const a = aggregate(profile, {}, metric ?? profile.defaultMetric());
  const ids = [...Array(profile.functionCount).keys()].filter((f) => profile.functionAt(f).name === name);
  expect(ids, name).toHaveLength(1);
  return a.percent((by === 'own' ? a.funcOwn : a.funcTotal)[ids[0]]);
}

describe('pprof: node-pprof-wall (pprof-nodejs 5.20, wall)', () => {
  for (const name of ['node-pprof-wall.pb.gz', 'node-pprof-wall.pb']) {
    it(`${name}: sample types, totals and answer-key shares`, async () => {
      // 700-byte chunks: the reader must copy chunks, since loadProfile reuses its buffer
      const { profile: p, reader } = await loadProfile(recorded(name), { chunkSize: 700 });
      expect(reader.format).toBe('pprof');
      expect(reader.issues).toEqual([]);
      expect(p.metrics.map((m) => [m.key, m.unit])).toEqual([
        ['samples', 'count'],
        ['wall', 'nanoseconds'],
      ]);
      // no default_sample_type: pprof shows the last type
      expect(p.defaultMetric()).toBe('wall');
      expect(p.metricSum('samples')).toBe(2484);
      expect(p.metricSum('wall')).toBe(3_055_320_000);
      expect(funcPct(p, 'priceCart')).toBeCloseTo(71.98, 1);
      expect(funcPct(p, 'serialise')).toBeCloseTo(19.24, 1);
      expect(funcPct(p, 'Garbage Collection')).toBeCloseTo(4.19, 1);
      // The answer key's own lines are per (function, line): line 17 of lineTotal, inlined and
      // credited to priceCart. Per source line (all functions) see the next test.
      const own = frameOwn(p, 'wall');
      const total = p.metricSum('wall');
      expect((own.get('priceCart:17')! / total) * 100).toBeCloseTo(49.11, 1);
      expect((own.get('priceCart:16')! / total) * 100).toBeCloseTo(15.5, 1);
      expect((own.get('serialise:42')! / total) * 100).toBeCloseTo(12.92, 1);
      // time_nanos is past 2^53: kept exact as text
      expect(p.meta.get('time_nanos')).toBe('1795627617040999936');
      expect(p.meta.get('period_type')).toBe('wall/nanoseconds');
      expect(p.threads).toHaveLength(1);
      const gc = [...Array(p.functionCount).keys()].map((f) => p.functionAt(f)).find((f) => f.name === 'Garbage Collection');
      expect(gc?.kind).toBe('synthetic');
    });
  }

  it('own per source line equals an independent decode (leaf location, all functions)', () => {
    const bytes = readFileSync(recorded('node-pprof-wall.pb'));
    const msg = PMessage.decode(bytes);
    const s = msg.stringTable.strings;
    const fnFile = new Map(msg.function.map((f) => [Number(f.id), s[Number(f.filename)]]));
    const leafLine = new Map(msg.location.map((l) => [Number(l.id), `${fnFile.get(Number(l.line[0].functionId))}:${Number(l.line[0].line)}`]));
    const expected = new Map<string, number>();
    for (const x of msg.sample) {
      const k = leafLine.get(Number(x.locationId[0]))!;
      expected.set(k, (expected.get(k) ?? 0) + Number(x.value[1]));
    }
    const t = tables(read(bytes).profile);
    expect(sortedEntries(t.lineOwn)).toEqual(sortedEntries(expected));
    expect(pct(t.lineOwn, t.total, '/home/dev/shop/js/checkout.js:17')).toBeCloseTo(49.8, 1);
  });

  it('the gzipped and raw files give the same model', () => {
    const a = tables(read(readFileSync(recorded('node-pprof-wall.pb.gz'))).profile);
    const b = tables(read(readFileSync(recorded('node-pprof-wall.pb'))).profile);
    expect([...a.lineOwn]).toEqual([...b.lineOwn]);
    expect([...a.funcTotal]).toEqual([...b.funcTotal]);
  });

  it('leaf-first locations become root-first stacks', () => {
    const bytes = readFileSync(recorded('node-pprof-wall.pb'));
    const p = read(bytes).profile;
    // Independent decode: the first sample's location ids, leaf first, mapped to function names
    const msg = PMessage.decode(bytes);
    const s = msg.stringTable.strings;
    const fnName = new Map(msg.function.map((f) => [Number(f.id), s[Number(f.name)]]));
    const locFn = new Map(msg.location.map((l) => [Number(l.id), fnName.get(Number(l.line[0].functionId))]));
    const sample = msg.sample.find((x) => x.locationId.length > 5)!;
    const expected = sample.locationId.map((id) => locFn.get(Number(id))).reverse();
    // walk the model from the deepest node with this stack's leaf
    const names: string[] = [];
    let node = -1;
    for (let n = 0; n < p.nodeCount; n++) {
      let depth = 0;
      for (let a = n; p.nodeFrame[a] >= 0; a = p.nodeParent[a]) depth++;
      if (depth === expected.length && p.frameAt(p.nodeFrame[n]).name === expected[expected.length - 1]) {
        const path: string[] = [];
        for (let a = n; p.nodeFrame[a] >= 0; a = p.nodeParent[a]) path.unshift(p.frameAt(p.nodeFrame[a]).name);
        if (path.join(';') === expected.join(';')) node = n;
      }
    }
    for (let a = node; a >= 0 && p.nodeFrame[a] >= 0; a = p.nodeParent[a]) names.unshift(p.frameAt(p.nodeFrame[a]).name);
    expect(node).toBeGreaterThanOrEqual(0);
    expect(names).toEqual(expected);
    expect(names[0]).toBe('(anonymous:L#28:C#31)');
  });
});

describe('pprof: austin3-cpu.pprof (austin2pprof, raw protobuf, μs)', () => {
  it('reads the answer key', async () => {
    const { profile: p, reader } = await loadProfile(recorded('austin3-cpu.pprof'), { chunkSize: 4096 });
    expect(reader.format).toBe('pprof');
    expect(reader.issues).toEqual([]);
    // 'CPU time' / 'μs' (U+03BC)
    expect(p.metrics).toEqual([{ key: 'cpu', label: 'CPU time', unit: 'microseconds' }]);
    expect(p.defaultMetric()).toBe('cpu');
    const t = tables(p);
    expect(t.total).toBe(7_875_809);
    expect(pct(t.lineOwn, t.total, '/shop/workers.py:12')).toBeCloseTo(15.5, 1);
    expect(pct(t.lineOwn, t.total, '/shop/pricing.py:28')).toBeCloseTo(14.13, 1);
    expect(pct(t.funcTotal, t.total, '/shop/inventory.py:audit')).toBeCloseTo(20.77, 1);
    expect(pct(t.funcTotal, t.total, '/shop/pricing.py:line_total')).toBeCloseTo(19.49, 1);
    expect(pct(t.funcTotal, t.total, '/shop/workers.py:fake_io')).toBeCloseTo(0.66, 1);
  });

  it('takes threads from the Thread ID / Process ID / Interpreter ID labels and keeps frameless samples at the root', () => {
    const p = read(readFileSync(recorded('austin3-cpu.pprof'))).profile;
    expect(p.threads).toHaveLength(5);
    expect(new Set(p.threads.map((t) => t.pid))).toEqual(new Set(['12701']));
    expect(p.threads.every((t) => t.iid === '0')).toBe(true);
    expect(p.threads.map((t) => t.tid)).toContain('12701');
    // the 43 frameless samples: own values of the thread roots
    let rootOwn = 0;
    for (const t of p.threads) rootOwn += p.nodeSelf[p.root(t.index) * p.metricsPerNode];
    expect(rootOwn).toBeGreaterThan(0);
    const a = aggregate(p);
    let lineOwnSum = 0;
    for (const v of a.lineOwn) lineOwnSum += v;
    expect(lineOwnSum + rootOwn).toBe(a.total);
    // <frozen ...> files are synthetic
    const frozen = [...Array(p.functionCount).keys()].map((f) => p.functionAt(f)).filter((f) => f.file.startsWith('<frozen'));
    expect(frozen.length).toBeGreaterThan(0);
    expect(frozen.every((f) => f.kind === 'synthetic')).toBe(true);
  });
});

/** A small profile built with pprof-format's encoder. */
function encode(build: (st: StringTable) => Partial<ConstructorParameters<typeof PMessage>[0]>): Uint8Array {
  const st = new StringTable();
  const data = build(st);
  return new PMessage({ ...data, stringTable: st }).encode();
}

describe('pprof: edge cases (encoded with pprof-format)', () => {
  const oneFunction = (st: StringTable, line: bigint | number, extra: Partial<ConstructorParameters<typeof PMessage>[0]> = {}) => ({
    sampleType: [new ValueType({ type: st.dedup('wall'), unit: st.dedup('nanoseconds') })],
    function: [new PFunction({ id: 1, name: st.dedup('handler'), filename: st.dedup('/srv/app.js'), startLine: 3 })],
    location: [new Location({ id: 1, line: [new Line({ functionId: 1, line })] })],
    sample: [new Sample({ locationId: [1], value: [5] })],
    ...extra,
  });

  it("unpacks pprof-nodejs 'pack' columns (column << 32 | line) without 32-bit arithmetic", () => {
    const packed = (7n << 32n) | 12n;
    const p = read(encode((st) => oneFunction(st, packed))).profile;
    const f = p.frameAt(p.nodeFrame[p.nodeCount - 1]);
    expect([f.file, f.name, f.line, f.column]).toEqual(['/srv/app.js', 'handler', 12, 7]);
    expect(p.functionAt(p.frameFunc[p.nodeFrame[p.nodeCount - 1]]).defLine).toBe(3);
    expect(unpackLine((70000n << 32n) | 4000000000n, 0)).toEqual({ line: 4000000000, column: 70000 });
    expect(unpackLine(2 ** 33 + 5, 0)).toEqual({ line: 5, column: 2 });
    expect(unpackLine(12, 9)).toEqual({ line: 12, column: 9 });
  });

  it('decodes int64 values exactly up to 2^53 - 1 and refuses what cannot be counted exactly: past 2^53, negative, sums past 2^53', () => {
    const big = (1n << 62n) + 1n;
    const max = (1n << 53n) - 1n;
    const bytes = encode((st) =>
      oneFunction(st, 12, {
        timeNanos: big,
        sample: [
          new Sample({ locationId: [1], value: [max] }),
          new Sample({ locationId: [1], value: [1n << 60n] }),
          new Sample({ locationId: [1], value: [-5] }),
          new Sample({ locationId: [1], value: [-6] }),
          new Sample({ locationId: [1], value: [3] }),
        ],
      }),
    );
    const r = read(bytes);
    const p = r.profile;
    expect(p.meta.get('time_nanos')).toBe(big.toString());
    expect(p.metricSum('wall')).toBe(Number(max));
    expect(r.failed).toBe(false);
    const messages = r.issues.map((i) => i.message);
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/^byte \d+: a sample's wall time is 1\.153e\+18, beyond 2\^53 - 1, the largest value counted exactly; the sample was skipped$/);
    expect(messages[1]).toMatch(/^byte \d+: a sample's wall time is negative \(-5\), which it cannot be; 2 such samples were skipped$/);
    expect(messages[2]).toMatch(/would take the sum of wall time past 2\^53 - 1/);
    // each issue names the byte where its sample starts
    for (const i of r.issues) expect(bytes[i.offset]).toBe(0x12); // field 2 (sample), wire type 2
  });

  it('expands inline lines innermost-last, picks default_sample_type, reads µs (U+00B5)', () => {
    const bytes = encode((st) => ({
      sampleType: [
        new ValueType({ type: st.dedup('samples'), unit: st.dedup('count') }),
        new ValueType({ type: st.dedup('cpu'), unit: st.dedup('µs') }),
        new ValueType({ type: st.dedup('alloc_space'), unit: st.dedup('bytes') }),
      ],
      defaultSampleType: st.dedup('cpu'),
      function: [
        new PFunction({ id: 1, name: st.dedup('inner'), filename: st.dedup('/a.go'), startLine: 10 }),
        new PFunction({ id: 2, name: st.dedup('outer'), filename: st.dedup('/a.go'), startLine: 20 }),
        new PFunction({ id: 3, name: st.dedup('main'), filename: st.dedup('/m.go'), startLine: 1 }),
      ],
      location: [
        // one location with an inlined call: line[0] is the innermost, the last the caller
        new Location({ id: 1, line: [new Line({ functionId: 1, line: 11 }), new Line({ functionId: 2, line: 22 })] }),
        new Location({ id: 2, line: [new Line({ functionId: 3, line: 5 })] }),
      ],
      sample: [new Sample({ locationId: [1, 2], value: [1, 250, 4096] })],
    }));
    const p = read(bytes).profile;
    expect(p.metrics.map((m) => [m.key, m.unit])).toEqual([
      ['samples', 'count'],
      ['cpu', 'microseconds'],
      ['alloc_space', 'bytes'],
    ]);
    expect(p.defaultMetric()).toBe('cpu');
    const stack: string[] = [];
    for (let n = p.nodeCount - 1; p.nodeFrame[n] >= 0; n = p.nodeParent[n]) {
      const f = p.frameAt(p.nodeFrame[n]);
      stack.unshift(`${f.name}:${f.line}`);
    }
    expect(stack).toEqual(['main:5', 'outer:22', 'inner:11']);
    expect(aggregate(p, {}, 'alloc_space').total).toBe(4096);
  });

  it('reports samples that refer to missing locations instead of inventing frames', () => {
    const bytes = encode((st) => oneFunction(st, 12, { sample: [new Sample({ locationId: [1], value: [5] }), new Sample({ locationId: [9], value: [7] })] }));
    const r = read(bytes);
    expect(r.profile.metricSum('wall')).toBe(5);
    expect(r.issues.map((i) => i.message)).toEqual(['1 samples refer to missing or broken locations (the file is cut short or corrupt); they were skipped']);
    // partial numbers are not passed off as whole: a whole pprof never refers to what it lacks
    expect(r.failed).toBe(true);
  });
});

describe('pprof: damaged files', () => {
  const raw = readFileSync(recorded('node-pprof-wall.pb'));
  const gz = readFileSync(recorded('node-pprof-wall.pb.gz'));
  const full = tables(read(raw).profile);
  const wholeOwn = frameOwn(read(raw).profile, 'wall');

  it('a raw file cut anywhere: no throw, one fatal issue with an offset, nothing invented', () => {
    for (const cut of [1, 3, 10, 100, 1000, 2000, raw.length - 1]) {
      const r = read(raw.subarray(0, cut));
      const fatal = r.issues.filter((i) => i.fatal);
      expect(fatal, `cut at ${cut}`).toHaveLength(1);
      expect(fatal[0].offset).toBeLessThanOrEqual(cut);
      expect(r.failed).toBe(true);
      // Samples whose frames are all still nameable are kept; none gets a frame the whole file lacks.
      const partial = r.profile.metrics.length ? frameOwn(r.profile, 'wall') : new Map<string, number>();
      for (const [k, v] of partial) expect(v, `cut at ${cut}: ${k}`).toBeLessThanOrEqual(wholeOwn.get(k) ?? -1);
      // the string table comes after the samples (bytes 1602-2541): cut before it, nothing is named
      if (cut < 1602) expect(r.profile.nodeCount - r.profile.threads.length, `cut at ${cut}`).toBe(0);
    }
  });

  it('a gzipped file cut anywhere: a fatal issue, nothing invented', () => {
    for (const cut of [2, 10, 200, 700, gz.length - 4, gz.length - 1]) {
      const r = read(gz.subarray(0, cut));
      expect(r.failed, `cut at ${cut}`).toBe(true);
      expect(r.issues.some((i) => i.fatal && /gzip stream is truncated/.test(i.message))).toBe(true);
      const t = tables(r.profile);
      // whatever survives is the same as in the whole file
      for (const [k, v] of t.lineOwn) expect(v).toBe(full.lineOwn.get(k));
    }
  });

  it('garbage after a whole message: fatal at that byte, everything before it kept', () => {
    const bad = Buffer.concat([raw, Buffer.from([0x0f, 0x01, 0x02])]);
    const r = read(bad);
    const fatal = r.issues.filter((i) => i.fatal);
    expect(fatal).toHaveLength(1);
    expect(fatal[0].offset).toBe(raw.length);
    expect(fatal[0].message).toMatch(/wire type 7/);
    expect(r.consumed).toBe(raw.length);
    expect(tables(r.profile).total).toBe(full.total);
  });

  it('corrupt deflate data and random corruption never throw', () => {
    const bad = Buffer.from(gz);
    bad.fill(0xff, 40, 60);
    expect(() => read(bad)).not.toThrow();
    expect(read(bad).failed).toBe(true);
    for (let seed = 1; seed <= 40; seed++) {
      const b = Buffer.from(raw);
      for (let k = 0; k < 4; k++) b[(seed * 7919 * (k + 1)) % b.length] ^= 0x5a + k;
      expect(() => read(b)).not.toThrow();
    }
  });

  it('bytes pushed after end() are decoded again from the start, into a fresh model', () => {
    const r = new PprofReader(new Profile());
    r.push(raw.subarray(0, 500));
    r.end();
    expect(r.failed).toBe(true);
    r.push(raw.subarray(500));
    r.end();
    expect(r.failed).toBe(false);
    expect(r.issues).toEqual([]);
    expect(tables(r.profile).total).toBe(full.total);
  });
});

describe('pprof: detection', () => {
  const head = (name: string) => readFileSync(recorded(name)).subarray(0, 4096);
  it('detects gzipped and raw pprof by content', () => {
    expect(detectFormat(head('node-pprof-wall.pb.gz'))?.name).toBe('pprof');
    expect(detectFormat(head('node-pprof-wall.pb'))?.name).toBe('pprof');
    expect(detectFormat(head('austin3-cpu.pprof'))?.name).toBe('pprof');
  });
  it('does not claim Austin text, MOJO, JSON or gzipped text', () => {
    expect(detectFormat(head('austin3-cpu.austin'))?.name).toBe('austin-text');
    expect(detectFormat(head('austin3-cpu.mojo'))?.name).toBe('mojo');
    for (const name of ['austin3-cpu.speedscope.json', 'perf-c.folded', 'perf-c.perf.txt', 'node-cpu.cpuprofile']) {
      expect(detectFormat(head(name))?.name, name).not.toBe('pprof');
    }
    expect(detectFormat(gzipSync(head('austin3-cpu.austin')))?.name).not.toBe('pprof');
    // a text file that starts with a newline (0x0a, pprof's first tag byte)
    expect(detectFormat(Buffer.from('\n# austin: 3.7.0\n'))?.name).not.toBe('pprof');
  });
});
