import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Profile } from '../server/src/core/model';
import { CollapsedReader } from '../server/src/core/readers/collapsed';
import { detectFormat } from '../server/src/core/readers/index';
import { parsePerfHeader, PerfScriptReader } from '../server/src/core/readers/perf-script';
import { RECORDED, recorded } from './helpers/paths';
import { pct, readInChunks, sortedEntries, tables } from './helpers/tables';

const PERIOD = 1001001;
const FP = readFileSync(recorded('perf-c.perf.txt'));
const DWARF = readFileSync(recorded('perf-c-dwarf-srcline.perf.txt'));

function read(bytes: Uint8Array | string, sizes?: number[]): PerfScriptReader {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return readInChunks(new PerfScriptReader(new Profile()), b, sizes) as PerfScriptReader;
}

function snapshot(p: Profile): unknown {
  const out: Record<string, unknown> = { threads: p.threads.map((x) => [x.pid, x.tid, x.label]) };
  for (const m of p.metrics) {
    const t = tables(p, {}, m.key);
    out[m.key] = [t.total, sortedEntries(t.lineOwn), sortedEntries(t.lineTotal), sortedEntries(t.funcOwn), sortedEntries(t.funcTotal)];
  }
  return out;
}

/** name -> value, summed over files (the folded output has no dso, perf's model does). */
function byName(map: Map<string, number>, scale = 1): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of map) {
    const name = k.slice(k.lastIndexOf(':') + 1);
    out.set(name, (out.get(name) ?? 0) + v * scale);
  }
  return out;
}

describe('perf script: frame-pointer stacks (perf-c.perf.txt)', () => {
  const r = read(FP);
  const p = r.profile;
  const t = tables(p, {}, 'samples');

  it('is detected by content and read whole', () => {
    expect(detectFormat(FP.subarray(0, 4096))?.name).toBe('perf-script');
    expect(r.issues).toEqual([]);
    expect(r.consumed).toBe(FP.length);
  });

  it('counts samples and sums cpu-clock periods as CPU time in nanoseconds', () => {
    expect(p.metrics).toEqual([
      { key: 'samples', label: 'samples', unit: 'count' },
      { key: 'cpu', label: 'CPU time', unit: 'nanoseconds' },
    ]);
    expect(p.defaultMetric()).toBe('cpu');
    expect(p.metricSum('samples')).toBe(1345);
    expect(p.metricSum('cpu')).toBe(1345 * PERIOD);
    expect(p.meta.get('event')).toBe('cpu-clock:ppp');
    expect(p.threads.map((x) => [x.pid, x.tid, x.label])).toEqual([['', '15974', 'hotloop 15974']]);
  });

  it('matches the answer key (leaf and inclusive shares by samples)', () => {
    expect(pct(t.funcOwn, t.total, ':line_total')).toBeCloseTo(54.72, 1);
    expect(pct(t.funcOwn, t.total, ':compare')).toBeCloseTo(19.26, 1);
    expect(pct(t.funcOwn, t.total, ':msort_with_tmp.part.0')).toBeCloseTo(15.02, 1);
    expect(pct(t.funcOwn, t.total, ':pvm_irq_enable')).toBeCloseTo(4.68, 1);
    expect(pct(t.funcTotal, t.total, ':main')).toBeCloseTo(61.26, 1);
    expect(pct(t.funcTotal, t.total, ':line_total')).toBeCloseTo(54.8, 1);
  });

  it('without srclines, frames sit at their dso and map to no source', () => {
    expect(p.sourceFiles()).toEqual([]);
    const fn = (name: string) => [...Array(p.functionCount).keys()].map((f) => p.functionAt(f)).filter((f) => f.name === name);
    expect(fn('line_total')).toEqual([{ file: '/home/dev/shop/native/hotloop', name: 'line_total', defLine: 0, kind: 'synthetic' }]);
    expect(fn('pvm_irq_enable')[0]).toMatchObject({ file: '[kernel.kallsyms]', kind: 'synthetic' });
  });

  it('agrees with stackcollapse-perf run on the same file (perf-c.folded), function by function', () => {
    const folded = readInChunks(new CollapsedReader(new Profile()), readFileSync(recorded('perf-c.folded'))).profile;
    const f = tables(folded);
    const own = byName(t.funcOwn, PERIOD);
    expect(sortedEntries(own)).toEqual(sortedEntries(byName(f.funcOwn)));
    // the folded root frame `hotloop` is the comm, which perf's model keeps as the thread
    const total = byName(f.funcTotal);
    total.delete('hotloop');
    expect(sortedEntries(byName(t.funcTotal, PERIOD))).toEqual(sortedEntries(total));
  });
});

describe('perf script: DWARF stacks with srclines (perf-c-dwarf-srcline.perf.txt)', () => {
  const r = read(DWARF);
  const p = r.profile;
  const t = tables(p, {}, 'samples');

  it('reads every sample', () => {
    expect(detectFormat(DWARF.subarray(0, 4096))?.name).toBe('perf-script');
    expect(r.issues).toEqual([]);
    expect(p.metricSum('samples')).toBe(1721);
  });

  it('matches the answer key (leaf srcline and inclusive functions)', () => {
    expect(pct(t.lineOwn, t.total, 'hotloop.c:8')).toBeCloseTo(52.3, 1);
    expect(pct(t.lineOwn, t.total, 'hotloop.c:26')).toBeCloseTo(8.43, 1);
    expect(pct(t.funcOwn, t.total, ':pvm_irq_enable')).toBeCloseTo(11.8, 1);
    expect(pct(t.funcTotal, t.total, ':main')).toBeCloseTo(99.77, 1);
    expect(pct(t.funcTotal, t.total, ':best_discount')).toBeCloseTo(60.66, 1);
    expect(pct(t.funcTotal, t.total, ':line_total')).toBeCloseTo(58.28, 1);
    expect(pct(t.funcTotal, t.total, ':sort_prices')).toBeCloseTo(38.64, 1);
  });

  it('takes file and line from the srcline, keeps inlined frames that have no dso', () => {
    const fn = (name: string) => [...Array(p.functionCount).keys()].map((f) => p.functionAt(f)).filter((f) => f.name === name);
    expect(fn('main')).toEqual([{ file: 'hotloop.c', name: 'main', defLine: 0, kind: 'source' }]);
    // perf 6.1 prints these inlined frames without `(dso)`; their srcline still names the source
    expect(fn('__libc_start_main_impl')).toEqual([{ file: 'libc-start.c', name: '__libc_start_main_impl', defLine: 0, kind: 'source' }]);
    expect(fn('dl_platform_init')[0]).toMatchObject({ file: 'dl-machine.h', kind: 'source' });
    // `??:0` and `:0` srclines: no source, the frame sits at its dso
    expect(fn('_start').map((f) => [f.file, f.kind])).toEqual([
      ['/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 'synthetic'],
      ['/home/dev/shop/native/hotloop', 'synthetic'],
    ]);
    expect(pct(t.lineTotal, t.total, 'libc-start.c:360')).toBeCloseTo(99.83, 1);
  });

  it('agrees with stackcollapse-perf --srcline on the hotloop.c lines it did not garble', () => {
    const folded = readInChunks(new CollapsedReader(new Profile()), readFileSync(recorded('perf-c-srcline.folded'))).profile;
    const f = tables(folded);
    const mine = (m: Map<string, number>) => sortedEntries(m).filter(([k]) => k.startsWith('hotloop.c:')).map(([k, v]) => [k, v * PERIOD] as const);
    const theirs = (m: Map<string, number>) => sortedEntries(m).filter(([k]) => k.startsWith('hotloop.c:'));
    expect(mine(t.lineOwn)).toEqual(theirs(f.lineOwn));
    expect(mine(t.lineOwn).length).toBeGreaterThan(10);
    // a frame right after an inlined one (no dso) is what stackcollapse garbles: sort_prices at
    // lines 31 and 38 calls malloc/free, whose inlined frames come first; every other line agrees
    const known = new Map(theirs(f.lineTotal));
    const total = mine(t.lineTotal);
    expect(total.filter(([k]) => known.has(k))).toEqual(theirs(f.lineTotal));
    expect(total.filter(([k]) => !known.has(k)).map(([k]) => k)).toEqual(['hotloop.c:31', 'hotloop.c:38']);
  });
});

describe('perf script: literal cases', () => {
  it('parses header variants: pid/tid, cpu, comm with spaces, no period, tracepoint arguments', () => {
    expect(parsePerfHeader('hotloop 15974  1824.662141:    1001001 cpu-clock:ppp: ')).toEqual({
      comm: 'hotloop',
      pid: '',
      tid: '15974',
      period: 1001001,
      event: 'cpu-clock:ppp',
      ip: undefined,
    });
    expect(parsePerfHeader('  Web Content  1234/1240 [003]    12.500000:     250000 cycles:u: ')).toMatchObject({
      comm: 'Web Content',
      pid: '1234',
      tid: '1240',
      period: 250000,
      event: 'cycles:u',
    });
    expect(parsePerfHeader('swapper     0 [000] 100.000001: cpu-clock: ')).toMatchObject({ tid: '0', period: undefined, event: 'cpu-clock' });
    expect(parsePerfHeader('a 1 2.5: sched:sched_switch: prev_comm=a prev_pid=1')).toMatchObject({ event: 'sched:sched_switch', period: undefined });
    expect(parsePerfHeader('\t            118e line_total+0x15 (/bin/x)')).toBeUndefined();
  });

  it('reads stacks leaf first into root-first paths; no period means samples only', () => {
    const r = read(
      [
        'app 7/8 [001] 1.000000: cycles:u: ',
        '\t 10 leaf+0x1 (/bin/app)',
        '\t 20 mid+0x2 (/bin/app)',
        '\t 30 main+0x3 (/bin/app)',
        '',
        'app 7/8 [001] 1.100000: cycles:u: ',
        '\t 20 mid+0x4 (/bin/app)',
        '\t 30 main+0x3 (/bin/app)',
        '',
        'app 7/9 [000] 1.200000: cycles:u: ',
        '',
        '',
      ].join('\n'),
    );
    const p = r.profile;
    expect(r.issues).toEqual([]);
    expect(p.metrics.map((m) => m.key)).toEqual(['samples']);
    const t = tables(p);
    expect(t.total).toBe(3);
    expect(t.funcTotal.get('/bin/app:main')).toBe(2);
    expect(t.funcOwn.get('/bin/app:mid')).toBe(1);
    expect(p.threads.map((x) => [x.pid, x.tid])).toEqual([
      ['7', '8'],
      ['7', '9'],
    ]);
    expect(aggregateRootOwn(p, 1)).toBe(1); // the sample with no call chain
  });

  it('reads perf script without call chains (one line per sample, no blank lines)', () => {
    const r = read('app 5 1.0: 1000 task-clock: 118e work+0x15 (/bin/app)\napp 5 1.1: 1000 task-clock: 118e work+0x15 (/bin/app)\napp 5 1.2: 500 task-clock: 200 other+0x1 (/bin/app)\n');
    const p = r.profile;
    expect(r.issues).toEqual([]);
    expect(p.metricSum('samples')).toBe(3);
    expect(tables(p, {}, 'cpu').funcOwn.get('/bin/app:work')).toBe(2000);
    expect(p.metrics[1]).toEqual({ key: 'cpu', label: 'CPU time', unit: 'nanoseconds' });
  });

  it('a second event is counted in samples but not summed into the first one\'s periods', () => {
    const r = read('a 1 1.0: 100 cycles: \n\t 1 f (/x)\n\na 1 1.1: 7 instructions: \n\t 1 f (/x)\n\n');
    expect(r.profile.metrics[1]).toEqual({ key: 'period', label: 'cycles period', unit: 'count' });
    expect(r.profile.metricSum('samples')).toBe(2);
    expect(r.profile.metricSum('period')).toBe(100);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ line: 4, fatal: false });
  });

  it('reports junk lines once and skips them', () => {
    const r = read('# header comment\nnot a header\nalso junk\napp 5 1.0: 10 cpu-clock: \n\t 1 f (/x)\n\n');
    expect(r.profile.metricSum('samples')).toBe(1);
    expect(r.issues).toEqual([{ message: 'line 2 is not a perf script sample header; 2 such lines were skipped', offset: 17, line: 2, fatal: false }]);
  });

  it('an unterminated last sample is left out with an issue, and read whole when the file grows', () => {
    const text = 'app 5 1.0: 10 cpu-clock: \n\t 1 leaf (/x)\n\t 2 main (/x)\n\napp 5 1.1: 10 cpu-clock: \n\t 1 leaf (/x)\n';
    const r = new PerfScriptReader(new Profile());
    r.push(Buffer.from(text));
    r.end();
    // the same as the file cut after its last blank line: the cut block would be a made-up stack
    expect(r.profile.metricSum('samples')).toBe(1);
    expect(r.issues).toEqual([
      {
        message: 'the file ends inside the sample starting at line 5 (no blank line after it); it was left out',
        offset: 55,
        line: 5,
        fatal: false,
      },
    ]);
    r.push(Buffer.from('\t 2 main (/x)\n\n'));
    r.end();
    expect(r.issues).toEqual([]);
    const t = tables(r.profile, {}, 'samples');
    expect(t.total).toBe(2);
    expect(t.funcTotal.get('/x:main')).toBe(2);
    expect(t.funcOwn.get('/x:leaf')).toBe(2);
  });

  it('without call chains the last line is a whole sample: counted at end(), not twice when the file grows', () => {
    const text = 'app 5 1.0: 10 cpu-clock: 1 leaf (/x)\napp 5 1.1: 10 cpu-clock: 2 main (/x)\n';
    const r = new PerfScriptReader(new Profile());
    r.push(Buffer.from(text));
    r.end();
    expect(r.issues).toEqual([]);
    expect(r.profile.metricSum('samples')).toBe(2);
    r.push(Buffer.from('app 5 1.2: 10 cpu-clock: 3 leaf (/x)\n'));
    r.end();
    expect(r.issues).toEqual([]);
    const t = tables(r.profile, {}, 'samples');
    expect(t.total).toBe(3);
    expect(t.funcOwn.get('/x:leaf')).toBe(2);
    expect(t.funcOwn.get('/x:main')).toBe(1);
  });
});

/** Own value of a thread's root node: samples with no frames. */
function aggregateRootOwn(p: Profile, thread: number): number {
  return p.nodeSelf[p.root(thread) * p.metricsPerNode];
}

describe('perf script: streaming', () => {
  const reference = snapshot(read(DWARF).profile);

  it('gives the same model however the file is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        expect(snapshot(read(DWARF, sizes).profile)).toEqual(reference);
      }),
      { numRuns: 8 },
    );
  });

  it.each([
    ['perf-c.perf.txt', FP],
    ['perf-c-dwarf-srcline.perf.txt', DWARF],
  ])('%s truncated at many offsets: never throws, says where unless cut between samples, keeps exactly the whole samples before', (_name, bytes) => {
    const text = bytes.toString('latin1');
    let last = 0;
    for (let cut = 1; cut < bytes.length; cut += 3001) {
      const r = read(bytes.subarray(0, cut));
      const samples = r.profile.metrics.length ? r.profile.metricSum('samples') : 0;
      const before = text.slice(0, cut);
      // every sample whose block ended (blank line) before the cut is there, the cut one is not
      const whole = before.slice(0, before.lastIndexOf('\n\n') + 2);
      const headers = (whole.match(/^hotloop /gm) ?? []).length;
      expect(samples).toBe(headers);
      if (before.endsWith('\n\n')) expect(r.issues).toEqual([]);
      else {
        expect(r.issues).toHaveLength(1);
        expect(r.issues[0].fatal).toBe(false);
        expect(r.issues[0].line).toBeGreaterThan(0);
      }
      expect(samples).toBeGreaterThanOrEqual(last);
      last = samples;
    }
  });

  it('no other recording is detected as perf script', () => {
    for (const f of readdirSync(RECORDED).filter((n) => !n.endsWith('.perf.txt'))) {
      expect(detectFormat(readFileSync(recorded(f)).subarray(0, 4096))?.name, f).not.toBe('perf-script');
    }
  });
});
