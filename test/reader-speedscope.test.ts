import { constants } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../server/src/core/aggregate';
import { Profile } from '../server/src/core/model';
import { detectFormat } from '../server/src/core/readers/index';
import { SpeedscopeReader } from '../server/src/core/readers/speedscope';
import { RECORDED, recorded } from './helpers/paths';
import { tables } from './helpers/tables';

const REAL = readFileSync(recorded('austin3-cpu.speedscope.json'));

/** Reads bytes split at the given offsets (sorted, inside the buffer). */
function readSplit(bytes: Uint8Array, cuts: readonly number[] = []): SpeedscopeReader {
  const r = new SpeedscopeReader(new Profile());
  let p = 0;
  for (const c of cuts) {
    r.push(bytes.subarray(p, c));
    p = c;
  }
  r.push(bytes.subarray(p));
  r.end();
  return r;
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Everything a consumer can see, in a canonical order, for comparing two reads. */
function snapshot(p: Profile): unknown {
  const metrics = p.metrics.map((m) => m.key);
  const out: Record<string, unknown> = { metrics, threads: p.threads.map((t) => [t.pid, t.iid, t.tid, t.label]) };
  for (const key of metrics) {
    const a = aggregate(p, {}, key);
    const lines: Record<string, [number, number]> = {};
    for (let id = 0; id < p.lineCount; id++) {
      if (a.lineOwn[id] === 0 && a.lineTotal[id] === 0) continue;
      const k = p.lineKey(id);
      lines[`${k.file}:${k.line}`] = [a.lineOwn[id], a.lineTotal[id]];
    }
    const funcs: Record<string, [number, number]> = {};
    for (let id = 0; id < p.functionCount; id++) {
      if (a.funcOwn[id] === 0 && a.funcTotal[id] === 0) continue;
      const f = p.functionAt(id);
      funcs[`${f.file}:${f.name}:${f.kind}`] = [a.funcOwn[id], a.funcTotal[id]];
    }
    out[key] = { total: a.total, lines, funcs };
  }
  return out;
}

function lineOwnPct(p: Profile, suffix: string, line: number, metric = p.defaultMetric()): { pct: number; value: number } {
  const a = aggregate(p, {}, metric);
  let value = 0;
  for (let id = 0; id < p.lineCount; id++) {
    const k = p.lineKey(id);
    if (k.line === line && k.file.endsWith(suffix)) value += a.lineOwn[id];
  }
  return { pct: a.percent(value), value };
}

/** Inclusive share of the one function with this name (fails if the name is ambiguous). */
function funcTotalPct(p: Profile, name: string, metric = p.defaultMetric()): number {
  const a = aggregate(p, {}, metric);
  const ids = [...Array(p.functionCount).keys()].filter((id) => p.functionAt(id).name === name);
  expect(ids, `functions named ${name}`).toHaveLength(1);
  return a.percent(a.funcTotal[ids[0]]);
}

describe('speedscope: austin2speedscope recording (answer keys)', () => {
  const r = readSplit(REAL);
  const p = r.profile;

  it('is detected by content and read without issues', () => {
    expect(detectFormat(REAL.subarray(0, 4096))?.name).toBe('speedscope');
    expect(r.issues).toEqual([]);
    expect(r.failed).toBe(false);
    expect(r.consumed).toBe(REAL.length);
    expect(p.meta.get('exporter')).toBe('Austin2Speedscope Converter 0.3.1');
  });

  it('has one thread per profile, with pid/iid/tid from the profile names', () => {
    expect(p.threads.map((t) => `${t.pid}:${t.iid}:${t.tid}`)).toEqual([
      '12701:0:12701',
      '12701:0:12898',
      '12701:0:12899',
      '12701:0:12900',
      '12701:0:12901',
    ]);
  });

  it('reads CPU time in microseconds plus a sample count', () => {
    expect(p.metrics).toEqual([
      { key: 'cpu', label: 'CPU time', unit: 'microseconds' },
      { key: 'samples', label: 'samples', unit: 'count' },
    ]);
    expect(p.defaultMetric()).toBe('cpu');
    expect(p.metricSum('samples')).toBe(5556);
    expect(p.metricSum('cpu')).toBe(7_809_578);
    const main = aggregate(p, { thread: 0 }, 'cpu');
    expect(main.total).toBe(6_491_491);
    expect(aggregate(p, { thread: 0 }, 'samples').total).toBe(4599);
  });

  it('matches the own-line and inclusive shares of the answer key', () => {
    const w12 = lineOwnPct(p, '/shop/workers.py', 12);
    expect(w12.value).toBe(1_221_109);
    expect(w12.pct).toBeCloseTo(15.64, 1);
    expect(lineOwnPct(p, '/shop/pricing.py', 28).pct).toBeCloseTo(14.25, 1);
    expect(lineOwnPct(p, '/shop/memory.py', 7).pct).toBeCloseTo(13.51, 1);
    expect(lineOwnPct(p, '/shop/memory.py', 9).pct).toBeCloseTo(8.1, 1);
    expect(lineOwnPct(p, '/inspect.py', 992).pct).toBeCloseTo(5.89, 1);
    expect(lineOwnPct(p, '/shop/pricing.py', 27).pct).toBeCloseTo(4.99, 1);
    expect(funcTotalPct(p, 'audit')).toBeCloseTo(20.95, 1);
    expect(funcTotalPct(p, 'line_total')).toBeCloseTo(19.66, 1);
    expect(funcTotalPct(p, 'fake_io')).toBeCloseTo(0.66, 1);
  });

  it('keeps INVALID and <frozen ...> frames for the stack shape but as synthetic', () => {
    const invalid = [...Array(p.functionCount).keys()].map((id) => p.functionAt(id)).find((f) => f.name === 'INVALID');
    expect(invalid).toMatchObject({ file: '', kind: 'synthetic' });
    expect(p.sourceFiles().some((f) => f.startsWith('<'))).toBe(false);
    expect(p.sourceFiles()).toContain('/home/dev/shop/shop/pricing.py');
  });
});

describe('speedscope: streaming', () => {
  const reference = snapshot(readSplit(REAL).profile);

  it('gives the same model however the real file is chunked', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: REAL.length - 1 }), { maxLength: 60 }), (cuts) => {
        const r = readSplit(REAL, [...cuts].sort((a, b) => a - b));
        expect(r.issues).toEqual([]);
        expect(snapshot(r.profile)).toEqual(reference);
      }),
      { numRuns: 25 },
    );
  });

  it('gives the same model read one byte at a time', () => {
    const r = new SpeedscopeReader(new Profile());
    for (let i = 0; i < REAL.length; i++) r.push(REAL.subarray(i, i + 1));
    r.end();
    expect(snapshot(r.profile)).toEqual(reference);
  });

  const small = enc(
    JSON.stringify({
      $schema: 'https://www.speedscope.app/file-format-schema.json',
      shared: {
        frames: [
          { name: 'main', file: '/app/m\u00e9in.py', line: 1 },
          { name: 'w\\"ork\u2603', file: '/app/w.py', line: 5, col: 3 },
          { name: 'emoji \ud83d\ude80', file: '/app/w.py', line: 9 },
        ],
      },
      profiles: [
        { type: 'sampled', name: 'Thread 7 "MainThread"', unit: 'milliseconds', startValue: 0, endValue: 3.5, samples: [[0, 1], [0, 2], [0], []], weights: [1.5, 1e0, 0.5, 0.5] },
        { type: 'evented', name: 'Thread 8', unit: 'milliseconds', startValue: 0, endValue: 4, events: [{ type: 'O', frame: 0, at: 0 }, { type: 'O', frame: 1, at: 1 }, { type: 'C', frame: 1, at: 3 }, { type: 'C', frame: 0, at: 4 }] },
      ],
    }),
  );

  it('gives the same model when a small file is split at every byte offset', () => {
    const whole = readSplit(small);
    expect(whole.issues).toEqual([]);
    const ref = snapshot(whole.profile);
    for (let c = 1; c < small.length; c++) expect(snapshot(readSplit(small, [c]).profile)).toEqual(ref);
    for (let c = 1; c + 7 < small.length; c += 3) expect(snapshot(readSplit(small, [c, c + 1, c + 7]).profile)).toEqual(ref);
    const names = [...Array(whole.profile.functionCount).keys()].map((id) => whole.profile.functionAt(id).name);
    expect(names).toEqual(['main', 'w\\"ork\u2603', 'emoji \ud83d\ude80']);
    expect(whole.profile.sourceFiles()).toContain('/app/m\u00e9in.py');
  });

  it('truncated at many offsets: never throws, says where (a fatal issue: the document is not whole), keeps what came before', () => {
    let lastSamples = 0;
    const full = readSplit(REAL).profile.metricSum('samples');
    for (let cut = 0; cut < REAL.length; cut += 2503) {
      const r = readSplit(REAL.subarray(0, cut));
      expect(r.failed).toBe(true);
      const issue = r.issues.find((i) => /ends inside|holds no JSON/.test(i.message));
      expect(issue, `cut at ${cut}`).toBeDefined();
      expect(issue!.fatal).toBe(true);
      expect(issue!.offset).toBe(cut);
      const samples = r.profile.metrics.length ? r.profile.metricSum('samples') : 0;
      // a longer prefix never knows fewer complete (stack, weight) pairs
      expect(samples).toBeGreaterThanOrEqual(lastSamples);
      expect(samples).toBeLessThanOrEqual(full);
      lastSamples = samples;
    }
    expect(lastSamples).toBeGreaterThan(4000);
  });

  it('reads a file larger than the longest string V8 can hold', () => {
    // Generated chunk by chunk: neither the test nor the reader ever holds the document as one string.
    const frames = Array.from({ length: 60 }, (_, i) => ({ name: `f${i}`, file: `/app/m${i % 7}.py`, line: i + 1 }));
    const head = enc(`{"shared":{"frames":${JSON.stringify(frames)}},"profiles":[{"type":"sampled","name":"Thread 1","unit":"microseconds","startValue":0,"endValue":0,"samples":[`);
    const a = JSON.stringify(Array.from({ length: 50 }, (_, i) => i));
    const b = a.replace('49]', '52]');
    const pair = enc(`${a},${b},`);
    const per = Math.floor((1 << 20) / pair.length);
    const chunk = Buffer.concat(Array<Buffer>(per).fill(pair));
    const r = new SpeedscopeReader(new Profile());
    r.push(head);
    let size = head.length;
    let pairs = 0;
    while (size <= constants.MAX_STRING_LENGTH) {
      r.push(chunk);
      size += chunk.length;
      pairs += per;
    }
    r.push(enc(`${a}],"weights":[`));
    size += a.length + 13;
    // weights: 3 for every first stack of a pair, 1 for every second, 3 for the last one
    const wchunk = enc('3,1,'.repeat(100_000));
    let w = 0;
    for (; w + 100_000 <= pairs; w += 100_000) r.push(wchunk);
    r.push(enc(`${'3,1,'.repeat(pairs - w)}3]}]}`));
    r.end();
    expect(size).toBeGreaterThan(constants.MAX_STRING_LENGTH);
    expect(r.issues).toEqual([]);
    const p = r.profile;
    expect(p.metricSum('samples')).toBe(2 * pairs + 1);
    expect(p.metricSum('time')).toBe(4 * pairs + 3);
    const own49 = lineOwnPct(p, '/app/m0.py', 50);
    const own52 = lineOwnPct(p, '/app/m3.py', 53);
    expect(own49.value).toBe(3 * pairs + 3);
    expect(own52.value).toBe(pairs);
  });

  it('a file that grows after end() continues where it stopped', () => {
    const r = new SpeedscopeReader(new Profile());
    r.push(REAL.subarray(0, 200_000));
    r.end();
    expect(r.issues).toHaveLength(1);
    expect(r.failed).toBe(true);
    r.push(REAL.subarray(200_000));
    r.end();
    expect(r.issues).toEqual([]);
    expect(r.failed).toBe(false);
    expect(snapshot(r.profile)).toEqual(reference);
  });

  it('reports invalid JSON once, with its byte offset, and keeps what came before', () => {
    const text = REAL.toString('latin1');
    const at = text.indexOf('"weights"', text.indexOf('CPU time profile for 12701:0:12898'));
    const bad = Buffer.from(REAL);
    bad[at - 2] = 0x3b; // the ',' before "weights" becomes ';'
    const r = readSplit(bad);
    expect(r.failed).toBe(true);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ fatal: true, offset: at - 2 });
    expect(r.issues[0].message).toBe(`invalid JSON at byte ${at - 2}: expected ',' or '}', found ';'`);
    // the main thread's profile came before and is complete
    expect(aggregate(r.profile, { thread: 0 }, 'cpu').total).toBe(6_491_491);
  });
});

describe('speedscope: profile shapes and units', () => {
  const frames = [
    { name: 'main', file: '/app/main.py', line: 10 },
    { name: 'work', file: '/app/work.py', line: 20 },
    { name: 'leaf', file: '/app/work.py', line: 30 },
    { name: 'native_fn' },
  ];

  function read(doc: unknown): SpeedscopeReader {
    return readSplit(enc(typeof doc === 'string' ? doc : JSON.stringify(doc)));
  }

  function lineOwn(p: Profile, file: string, line: number, metric = p.defaultMetric()): number {
    const a = aggregate(p, {}, metric);
    for (let id = 0; id < p.lineCount; id++) {
      const k = p.lineKey(id);
      if (k.file === file && k.line === line) return a.lineOwn[id];
    }
    return 0;
  }

  it('evented profile: the top frame owns the time between events (hand-computed)', () => {
    // main [0,10): work opens at 2, leaf opens at 3 and closes at 7, work closes at 8
    const r = read({
      shared: { frames },
      profiles: [
        {
          type: 'evented',
          name: 'ev',
          unit: 'nanoseconds',
          startValue: 0,
          endValue: 10_000,
          events: [
            { type: 'O', at: 0, frame: 0 },
            { type: 'O', at: 2000, frame: 1 },
            { type: 'O', at: 3000, frame: 2 },
            { type: 'C', at: 7000, frame: 2 },
            { type: 'C', at: 8000, frame: 1 },
            { type: 'C', at: 10_000, frame: 0 },
          ],
        },
      ],
    });
    expect(r.issues).toEqual([]);
    const p = r.profile;
    expect(p.metrics.map((m) => `${m.key}/${m.unit}`)).toEqual(['time/microseconds', 'samples/count']);
    expect(lineOwn(p, '/app/main.py', 10)).toBeCloseTo(2 + 2, 9); // [0,2) and [8,10)
    expect(lineOwn(p, '/app/work.py', 20)).toBeCloseTo(1 + 1, 9); // [2,3) and [7,8)
    expect(lineOwn(p, '/app/work.py', 30)).toBeCloseTo(4, 9); // [3,7)
    const a = aggregate(p, {}, 'time');
    expect(a.total).toBeCloseTo(10, 9);
    expect(p.metricSum('samples')).toBe(5); // five intervals with a frame on top
    expect(p.threads[0].label).toBe('ev');
  });

  it('evented profile: closing a frame below the top closes the ones above, with one issue', () => {
    const r = read({
      shared: { frames },
      profiles: [
        { type: 'evented', name: 'ev', unit: 'none', startValue: 0, endValue: 4, events: [
          { type: 'O', at: 0, frame: 0 },
          { type: 'O', at: 1, frame: 1 },
          { type: 'C', at: 2, frame: 0 },
          { type: 'O', at: 3, frame: 2 },
          { type: 'C', at: 4, frame: 2 },
        ] },
      ],
    });
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0].message).toMatch(/closes frame 0 while other frames above it are open/);
    const p = r.profile;
    expect(lineOwn(p, '/app/main.py', 10)).toBe(1);
    expect(lineOwn(p, '/app/work.py', 20)).toBe(1);
    expect(lineOwn(p, '/app/work.py', 30)).toBe(1);
  });

  it('profiles before shared.frames: sample arrays wait for the frames', () => {
    const doc = `{"profiles":[{"type":"sampled","name":"Thread 1","unit":"microseconds","startValue":0,"endValue":6,
      "samples":[[0,1,2],[0,1],[0,3]],"weights":[3,2,1]}],
      "shared":{"frames":${JSON.stringify(frames)}},"$schema":"https://www.speedscope.app/file-format-schema.json"}`;
    const normal = `{"shared":{"frames":${JSON.stringify(frames)}},"profiles":[{"type":"sampled","name":"Thread 1","unit":"microseconds","startValue":0,"endValue":6,
      "samples":[[0,1,2],[0,1],[0,3]],"weights":[3,2,1]}]}`;
    const r = read(doc);
    expect(r.issues).toEqual([]);
    expect(snapshot(r.profile)).toEqual(snapshot(read(normal).profile));
    expect(lineOwn(r.profile, '/app/work.py', 30)).toBe(3);
    // the function-only frame: no file, synthetic, name kept
    const nat = [...Array(r.profile.functionCount).keys()].map((id) => r.profile.functionAt(id)).find((f) => f.name === 'native_fn');
    expect(nat).toMatchObject({ file: '', kind: 'synthetic' });
  });

  it('evented profiles before shared.frames: events wait for the frames too', () => {
    const ev = { type: 'evented', name: 'ev', unit: 'microseconds', startValue: 0, endValue: 4, events: [
      { type: 'O', at: 0, frame: 0 },
      { type: 'O', at: 1, frame: 2 },
      { type: 'C', at: 3, frame: 2 },
      { type: 'C', at: 4, frame: 0 },
    ] };
    const late = read(`{"profiles":[${JSON.stringify(ev)}],"shared":{"frames":${JSON.stringify(frames)}}}`);
    expect(late.issues).toEqual([]);
    expect(snapshot(late.profile)).toEqual(snapshot(read({ shared: { frames }, profiles: [ev] }).profile));
    expect(lineOwn(late.profile, '/app/work.py', 30)).toBe(2);
  });

  it('key order inside a profile does not matter (weights, unit and name after or before samples)', () => {
    const base = { type: 'sampled', name: 'Thread 1', unit: 'seconds', startValue: 0, endValue: 0.03, samples: [[0, 1, 2], [0, 1], [0, 3]], weights: [0.01, 0.01, 0.01] };
    const ref = snapshot(read({ shared: { frames }, profiles: [base] }).profile);
    const orders = [
      ['weights', 'samples', 'unit', 'name', 'type', 'startValue', 'endValue'],
      ['samples', 'type', 'weights', 'endValue', 'name', 'unit', 'startValue'],
      ['unit', 'weights', 'name', 'samples', 'type', 'startValue', 'endValue'],
    ] as const;
    for (const order of orders) {
      const prof = Object.fromEntries(order.map((k) => [k, base[k]]));
      const r = read({ shared: { frames }, profiles: [prof] });
      expect(r.issues).toEqual([]);
      expect(snapshot(r.profile)).toEqual(ref);
    }
    // seconds -> microseconds
    const p = read({ shared: { frames }, profiles: [base] }).profile;
    expect(p.metricSum('time')).toBeCloseTo(30_000, 6);
  });

  it('py-spy names give tid and thread name; unit none reads weights as samples', () => {
    const r = read({
      shared: { frames },
      profiles: [
        { type: 'sampled', name: 'Thread 4242 "MainThread"', unit: 'none', startValue: 0, endValue: 5, samples: [[0, 1], [0]], weights: [3, 2] },
        { type: 'sampled', name: 'Process 9 Thread 77 "worker"', unit: 'none', startValue: 0, endValue: 1, samples: [[0]], weights: [1] },
      ],
    });
    const p = r.profile;
    expect(p.threads.map((t) => [t.pid, t.tid, t.label])).toEqual([
      ['', '4242', 'MainThread'],
      ['9', '77', 'worker'],
    ]);
    expect(p.metrics).toEqual([{ key: 'samples', label: 'samples (weight)', unit: 'count' }]);
    expect(p.metricSum('samples')).toBe(6);
  });

  it('austin memory profiles: allocation and deallocation metrics; a profile of another kind is skipped with an issue', () => {
    const r = read({
      shared: { frames },
      profiles: [
        { type: 'sampled', name: 'Memory allocation profile for 5:0:5', unit: 'bytes', startValue: 0, endValue: 100, samples: [[0, 1]], weights: [100] },
        { type: 'sampled', name: 'Memory deallocation profile for 5:0:5', unit: 'bytes', startValue: 0, endValue: 40, samples: [[0, 2]], weights: [40] },
        { type: 'sampled', name: 'Wall time profile for 5:0:5', unit: 'microseconds', startValue: 0, endValue: 7, samples: [[0]], weights: [7] },
      ],
    });
    const p = r.profile;
    expect(p.metrics.map((m) => m.key)).toEqual(['alloc', 'dealloc', 'samples']);
    expect(p.threads).toHaveLength(1);
    expect(p.metricSum('alloc')).toBe(100);
    expect(p.metricSum('dealloc')).toBe(40);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0].message).toMatch(/"Wall time profile for 5:0:5" measures wall.*skipped/);
  });

  it('mismatched samples and weights, and bad frame indices, are reported and not counted', () => {
    const r = read({
      shared: { frames },
      profiles: [{ type: 'sampled', name: 'x', unit: 'none', startValue: 0, endValue: 3, samples: [[0], [0, 99], [1, 1.5], [1], [2]], weights: [1, 1, 1, 1] }],
    });
    expect(r.profile.metricSum('samples')).toBe(2); // [0] and [1]; [0,99] and [1,1.5] are dropped; [2] has no weight
    expect(r.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/refers to frame 99/),
      expect.stringMatching(/profile "x": 1 samples have no weight/),
    ]);
    // a sample that is not an array still takes its weight, so the others keep theirs
    const flat = read({ shared: { frames }, profiles: [{ type: 'sampled', name: 'y', unit: 'none', startValue: 0, endValue: 3, samples: [7, [0], [1]], weights: [100, 2, 3] }] });
    expect(tables(flat.profile).funcOwn.get('/app/main.py:main')).toBe(2);
    expect(tables(flat.profile).funcOwn.get('/app/work.py:work')).toBe(3);
    expect(flat.issues.map((i) => i.message)).toEqual([expect.stringMatching(/profile "y": a sample is a number/)]);
  });

  it('a JSON file of another shape is not detected as speedscope', () => {
    expect(detectFormat(readFileSync(recorded('node-cpu.cpuprofile')).subarray(0, 4096))?.name).not.toBe('speedscope');
    const other = enc('{"traceEvents":[{"ph":"X","ts":1}]}');
    expect(detectFormat(other)?.name).toBeUndefined();
  });

  it('no other recording is detected as speedscope', () => {
    for (const f of readdirSync(RECORDED)) {
      if (f.endsWith('.speedscope.json')) continue;
      const head = readFileSync(recorded(f)).subarray(0, 4096);
      expect(detectFormat(head)?.name, f).not.toBe('speedscope');
    }
  });
});
