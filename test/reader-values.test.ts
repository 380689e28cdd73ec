/**
 * Values that cannot be true are refused by every reader, with one counted issue naming where
 * (issue 15, "Measured on main": null percentages, negative time totals, own above total, totals
 * of -9.2e18, shares above 100 %). Negative values stay legal where the format means them:
 * Austin memory deltas. Each case is a small literal file next to the rule it breaks; the real
 * recordings are fuzzed in test/fuzz/.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../server/src/core/aggregate';
import { pstatsTable } from '../server/src/core/readers/pstats';
import { MAX_VALUE } from '../server/src/core/readers/values';
import { encodeHeader, encodeEvent, EV, type MojoEvent } from './helpers/mojo-encoder';
import { FIXTURES } from './helpers/paths';
import { impossibleFigures, read } from './fuzz/fuzz-lib';
import { marshalStats } from './fuzz/generators';

const text = (s: string) => Buffer.from(s);
const messages = (r: { issues: readonly { message: string }[] }) => r.issues.map((i) => i.message);

describe('Austin text', () => {
  it('refuses negative times, values past 2^53 and sums past 2^53, each kind in one counted issue with its first line', () => {
    const r = read('austin-text', text(
      '# austin: 3.7.0\n# mode: wall\n\n' +
        'P1;T0:1;/a.py:f:1 5\n' +
        'P1;T0:1;/a.py:f:1 -3\n' +
        'P1;T0:1;/a.py:g:2 -4\n' +
        'P1;T0:1;/a.py:f:2 99999999999999999999\n' +
        `P1;T0:1;/a.py:f:2 ${MAX_VALUE - 1}\n` +
        'P1;T0:1;/a.py:f:3 7\n',
    ));
    expect(aggregate(r.profile).total).toBe(12);
    expect(messages(r)).toEqual([
      "line 5: a sample's wall time is negative (-3), which it cannot be; 2 such samples were skipped",
      "line 7: a sample's wall time is 1.000e+20, beyond 2^53 - 1, the largest value counted exactly; the sample was skipped",
      "line 8: a sample's wall time (9007199254740990) would take the sum of wall time past 2^53 - 1, the largest value counted exactly; the sample was skipped",
    ]);
    expect(r.issues.map((i) => i.line)).toEqual([5, 7, 8]);
    expect(r.failed).toBe(false);
    expect(impossibleFigures(r.profile)).toEqual([]);
  });

  it('memory mode: a negative value is memory released, not an impossible one', () => {
    const r = read('austin-text', text('# austin: 3.7.0\n# mode: memory\n\nP1;T0:1;/a.py:f:1 100\nP1;T0:1;/a.py:f:2 -40\n'));
    expect(r.issues).toEqual([]);
    expect(aggregate(r.profile, {}, 'alloc').total).toBe(100);
    expect(aggregate(r.profile, {}, 'dealloc').total).toBe(40);
  });

  it('full mode: the memory column may be negative, the time may not, the idle flag is 0 or 1', () => {
    const r = read('austin-text', text(
      '# austin: 3.7.0\n# mode: full\n\n' +
        'P1;T0:1;/a.py:f:1 10,0,-64\n' +
        'P1;T0:1;/a.py:f:1 -10,0,64\n' +
        'P1;T0:1;/a.py:f:1 10,2,64\n' +
        'P1;T0:1;/a.py:f:1 20,1,32\n',
    ));
    expect(aggregate(r.profile, {}, 'wall').total).toBe(30);
    expect(aggregate(r.profile, {}, 'cpu').total).toBe(10);
    expect(aggregate(r.profile, {}, 'alloc').total).toBe(32);
    expect(aggregate(r.profile, {}, 'dealloc').total).toBe(64);
    expect(messages(r)).toEqual([
      "line 5: a sample's wall time is negative (-10), which it cannot be; the sample was skipped",
      "line 6: a sample's idle flag is 2, neither 0 nor 1; the sample was skipped",
    ]);
  });
});

describe('folded stacks', () => {
  it('refuses an infinite count and a sum past 2^53', () => {
    const r = read('collapsed', text(`a;b 5\na;c 1${'0'.repeat(400)}\na;b ${MAX_VALUE - 2}\na;d 1.5\n`));
    expect(aggregate(r.profile).total).toBe(6.5);
    expect(messages(r)).toEqual([
      "line 2: a sample's samples (weight) is Infinity, not a finite number; the sample was skipped",
      "line 3: a sample's samples (weight) (9007199254740989) would take the sum of samples (weight) past 2^53 - 1, the largest value counted exactly; the sample was skipped",
    ]);
  });
});

describe('perf script', () => {
  it('refuses a period past 2^53 (its sample is not counted either)', () => {
    const r = read('perf-script', text('app 5 1.0: 10 cpu-clock: \n\t 1 f (/x)\n\napp 5 1.1: 99999999999999999999 cpu-clock: \n\t 1 g (/x)\n\n'));
    expect(r.profile.metricSum('samples')).toBe(1);
    expect(r.profile.metricSum('cpu')).toBe(10);
    expect(r.issues).toEqual([expect.objectContaining({ line: 4, message: expect.stringMatching(/^line 4: a sample's CPU time is 1.000e\+20, beyond 2\^53 - 1/) })]);
  });
});

describe('MOJO', () => {
  const mojo = (events: MojoEvent[]) => {
    const out = encodeHeader(3);
    for (const e of events) encodeEvent(e, 3, out);
    return Uint8Array.from(out);
  };
  const b = (s: string) => new TextEncoder().encode(s);
  const head: MojoEvent[] = [
    { id: EV.STRING, offset: 0, key: 2, value: b('/a.py') },
    { id: EV.STRING, offset: 0, key: 3, value: b('f') },
    { id: EV.FRAME, offset: 0, key: 1, filename: 2, scope: 3, line: 1, lineEnd: 0, column: 0, columnEnd: 0 },
  ];
  const sample = (metrics: MojoEvent[]): MojoEvent[] => [{ id: EV.STACK, offset: 0, pid: 1, iid: 0, tid: b('1') }, { id: EV.FRAME_REF, offset: 0, value: 1 }, ...metrics];

  it('refuses a negative time with the byte offset of its sample', () => {
    const bytes = mojo([{ id: EV.METADATA, offset: 0, key: b('mode'), value: b('wall') }, ...head, ...sample([{ id: EV.METRIC_TIME, offset: 0, value: 5 }]), ...sample([{ id: EV.METRIC_TIME, offset: 0, value: -7 }])]);
    const r = read('mojo', bytes);
    expect(aggregate(r.profile).total).toBe(5);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0].message).toMatch(/^byte \d+: a sample's wall time is negative \(-7\), which it cannot be; the sample was skipped$/);
    expect(bytes[r.issues[0].offset]).toBe(EV.STACK);
  });

  it('full mode: a negative memory delta is memory released', () => {
    const r = read('mojo', mojo([{ id: EV.METADATA, offset: 0, key: b('mode'), value: b('full') }, ...head, ...sample([{ id: EV.METRIC_TIME, offset: 0, value: 5 }, { id: EV.METRIC_MEMORY, offset: 0, value: -64 }])]));
    expect(r.issues).toEqual([]);
    expect(aggregate(r.profile, {}, 'dealloc').total).toBe(64);
  });
});

describe('speedscope', () => {
  it('refuses negative, infinite and too large weights', () => {
    const doc = {
      shared: { frames: [{ name: 'f', file: '/a.py', line: 1 }] },
      profiles: [{ type: 'sampled', name: 'Thread 1', unit: 'none', startValue: 0, endValue: 1, samples: [[0], [0], [0], [0], [0]], weights: [3, -1, 1e400, 1e20, 4] }],
    };
    const r = read('speedscope', text(JSON.stringify(doc).replace('null', '1e400')));
    expect(aggregate(r.profile).total).toBe(7);
    expect(messages(r).map((m) => m.replace(/^byte \d+: /, ''))).toEqual([
      "a sample's samples (weight) is negative (-1), which it cannot be; the sample was skipped",
      "a sample's samples (weight) is Infinity, not a finite number; the sample was skipped",
      "a sample's samples (weight) is 1.000e+20, beyond 2^53 - 1, the largest value counted exactly; the sample was skipped",
    ]);
  });
});

describe('.cpuprofile', () => {
  it('refuses a time delta past 2^53 (the sample is not counted either)', () => {
    const doc = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2] },
        { id: 2, callFrame: { functionName: 'f', url: 'file:///a.js', lineNumber: 0 } },
      ],
      startTime: 0,
      endTime: 30,
      samples: [2, 2, 2],
      timeDeltas: [0, 10, 1e300],
    };
    const r = read('cpuprofile', text(JSON.stringify(doc)));
    expect(r.profile.metricSum('samples')).toBe(2);
    expect(messages(r)).toEqual(["byte 0: sample 1's time delta is 1e+300 µs, beyond 2^53 - 1, which cannot be; the sample was skipped"]);
    expect(impossibleFigures(r.profile)).toEqual([]);
  });
});

describe('pstats', () => {
  const key = (name: string, line = 1): [string, number, string] => ['/a.py', line, name];

  it('refuses entries whose numbers cannot be true, each kind in one counted issue with the entry offset', () => {
    const bytes = marshalStats([
      [key('ok'), 1, 1, 2, 3, [[key('leaf', 8), 1, 1, 0, 0]]],
      [key('leaf', 8), 1, 1, 1, 1, []],
      [key('own_above_total', 2), 1, 1, 5, 3, []],
      [key('negative', 3), 1, -1, 1, 1, []],
      [key('nan', 4), 1, 1, NaN, 1, []],
      [key('callers_own', 5), 1, 2, 1, 1, [[key('ok'), 1, 1, 0.8, 1], [key('ok2', 9), 1, 1, 0.8, 1]]],
      [key('caller_total', 6), 1, 1, 1, 1, [[key('ok'), 1, 1, 1, 4]]],
      [key('huge_total', 7), 1, 1, 1, 1e6, []],
    ]);
    const r = read('pstats', bytes);
    const table = pstatsTable(r.profile)!;
    expect([...table.functions.values()].map((f) => f.name)).toEqual(['ok', 'leaf']);
    expect(messages(r).map((m) => m.replace(/^byte \d+: /, ''))).toEqual([
      'the stats of own_above_total hold its own time (5 s) above its total (3 s), which cannot be; the entry was skipped',
      'the stats of negative hold a negative, infinite or too large count or time, which cannot be; 2 such entries were skipped',
      "the stats of callers_own hold callers accounting for more own time (1.6 s) than the function has (1 s), which cannot be; the entry was skipped",
      "the stats of caller_total hold a caller's total (4 s) above the function's (1 s), which cannot be; the entry was skipped",
      'the total of huge_total (1000000 s) is above the time of the whole profile (4 s), which cannot be; the entry was skipped',
    ]);
    // each issue names the byte where its entry starts (a marshal tuple key)
    for (const i of r.issues) expect(bytes[i.offset]).toBe(0x29);
    expect(impossibleFigures(r.profile)).toEqual([]);
  });

  it('the committed dump: exec\'s total passes Σ tt by a hair (9e-7 s); no share shown above 100 %, the table keeps the recorded value', () => {
    const r = read('pstats', readFileSync(`${FIXTURES}/generated/shop-pricing.pstats`));
    expect(r.issues).toEqual([]);
    const a = aggregate(r.profile, {}, 'time');
    const exec = [...pstatsTable(r.profile)!.functions.values()].find((f) => f.name === 'exec' || f.name === '<built-in method builtins.exec>')!;
    expect(exec.total).toBe(7.743928209000001);
    expect(exec.total).toBeGreaterThan(a.total);
    expect(a.percent(a.funcTotal[exec.funcId])).toBe(100);
    expect(impossibleFigures(r.profile)).toEqual([]);
  });
});

describe('regressions found by the fuzz suite', () => {
  const key = (name: string, line = 1, file = '/a.py'): [string, number, string] => [file, line, name];

  it('pstats: an entry whose calls would take the sum past 2^53 is refused whole (its recorded total stayed, above 100 %)', () => {
    const r = read('pstats', marshalStats([[key('f'), 1, 5, 1, 1, []], [key('g', 2), 1, MAX_VALUE, 1, 1, []]]));
    expect([...pstatsTable(r.profile)!.functions.values()].map((f) => f.name)).toEqual(['f']);
    expect(aggregate(r.profile, {}, 'calls').total).toBe(5);
    expect(impossibleFigures(r.profile)).toEqual([]);
    expect(r.issues).toHaveLength(1);
  });

  it('pstats: two same-named functions whose long names are cut stay two functions (the line is added after the cut)', () => {
    const long = 'x'.repeat(5000);
    const r = read('pstats', marshalStats([[key(long, 3), 1, 1, 1, 1, []], [key(long, 9), 1, 2, 2, 2, []]]));
    const names = [...Array(r.profile.functionCount).keys()].map((f) => r.profile.functionAt(f).name.slice(-10));
    expect(names).toEqual(['… (line 3)', '… (line 9)']);
    expect(impossibleFigures(r.profile)).toEqual([]);
  });

  it('pstats: a key repeated in a damaged dict is counted once', () => {
    const r = read('pstats', marshalStats([[key('f'), 1, 1, 1, 1, []], [key('f'), 1, 1, 1, 1, []]]));
    expect(aggregate(r.profile, {}, 'time').total).toBe(1);
    expect(messages(r)).toEqual([expect.stringMatching(/the stats of f appear a second time; the repeat was skipped$/)]);
  });

  it('speedscope: profiles whose samples and weights do not pair give one counted issue', () => {
    const p = (name: string) => ({ type: 'sampled', name, unit: 'none', startValue: 0, endValue: 1, samples: [[0], [0]], weights: [1] });
    const r = read('speedscope', Buffer.from(JSON.stringify({ shared: { frames: [{ name: 'f' }] }, profiles: [p('x'), p('x')] })));
    expect(messages(r)).toEqual(['profile "x": 1 samples have no weight; they were not counted (and the same in 1 more profiles)']);
  });
});

describe('a refused sample leaves no trace in the model', () => {
  it.each([
    ['austin-text', '# austin: 3.7.0\n# mode: wall\n\nP1;T0:1;/a.py:f:1 5\nP2;T0:9;/z.py:g:1 -5\n'],
    ['collapsed', `f (/a.py:1) 5\nprocess 2:"x";thread (9);g (/z.py:1) 1${'0'.repeat(400)}\n`],
    ['perf-script', 'app 1/1 [000] 1.0: 10 cpu-clock: \n\t 1 f (/x)\n  /a.py:1\n\napp 2/9 [000] 1.1: 99999999999999999999 cpu-clock: \n\t 2 g (/y)\n  /z.py:1\n\n'],
  ])('%s: no thread, frame or file of its own', (format, text) => {
    const r = read(format, Buffer.from(text));
    expect(r.issues).toHaveLength(1);
    expect(r.profile.threads).toHaveLength(1);
    expect(r.profile.sourceFiles()).toEqual(['/a.py']);
  });
});

describe('more regressions found by the fuzz suite', () => {
  it('Austin text: samples that end in no metric, on many lines, are one counted issue', () => {
    const r = read('austin-text', Buffer.from('# austin: 3.7.0\n# mode: wall\n\nP1;T0:1;/a.py:f:1 5\nP1;T0:1;/a.py:f:1 x\nP1;T0:1;/a.py:f:1 y\nP1;T0:1;/a.py:f:1 z\nP1;T0:1;/a.py:f:2 7\n'));
    expect(aggregate(r.profile).total).toBe(12);
    expect(r.issues.map((i) => [i.line, i.message])).toEqual([[5, 'a sample that does not end in a metric; 3 such samples were skipped (the first at line 5)']]);
  });

  it('speedscope: profiles skipped for measuring something else are one counted issue', () => {
    const p = (name: string, unit: string) => ({ type: 'sampled', name, unit, startValue: 0, endValue: 1, samples: [[0]], weights: [1] });
    const r = read('speedscope', Buffer.from(JSON.stringify({ shared: { frames: [{ name: 'f' }] }, profiles: [p('a', 'microseconds'), p('b', 'bytes'), p('c', 'bytes')] })));
    expect(messages(r).map((m) => m.replace(/measures \w+/, 'measures X'))).toEqual(['profile "b" measures X, but the file\'s first profile set the metrics to time, samples; 2 such profiles were skipped']);
  });

  it('pprof: cut inside its string table, samples are not counted under a made-up metric; partial numbers are fatal', () => {
    const b = readFileSync(`${FIXTURES}/recorded/node-pprof-wall.pb`);
    // the string table is the top-level fields from byte 1602 to 2541 (see reader-pprof.test.ts)
    for (const cut of [1610, 1638, 1700, 2000, 2400]) {
      const r = read('pprof', b.subarray(0, cut));
      expect(r.failed, `cut at ${cut}`).toBe(true);
      expect(r.profile.metrics.map((m) => m.key), `cut at ${cut}`).not.toContain('value');
      expect(impossibleFigures(r.profile)).toEqual([]);
    }
  });
});
