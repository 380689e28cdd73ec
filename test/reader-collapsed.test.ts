import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Profile } from '../server/src/core/model';
import { CollapsedReader, looksCollapsed, parseFoldedFrame } from '../server/src/core/readers/collapsed';
import { detectFormat } from '../server/src/core/readers/index';
import { RECORDED, recorded } from './helpers/paths';
import { pct, readInChunks, sortedEntries, tables } from './helpers/tables';

const PERIOD = 1001001; // cpu-clock period at -F 999: stackcollapse-perf sums periods
const FOLDED = readFileSync(recorded('perf-c.folded'));
const SRCLINE = readFileSync(recorded('perf-c-srcline.folded'));

function read(bytes: Uint8Array | string, sizes?: number[]): CollapsedReader {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return readInChunks(new CollapsedReader(new Profile()), b, sizes) as CollapsedReader;
}

/** What consumers see, canonically ordered, to compare two reads. */
function snapshot(p: Profile): unknown {
  const t = tables(p);
  return {
    threads: p.threads.map((x) => [x.pid, x.tid, x.label]),
    total: t.total,
    lineOwn: sortedEntries(t.lineOwn),
    lineTotal: sortedEntries(t.lineTotal),
    funcOwn: sortedEntries(t.funcOwn),
    funcTotal: sortedEntries(t.funcTotal),
  };
}

/** Σ counts of the lines an independent one-regex parser accepts (flamegraph.pl's rule). */
function naiveSum(text: string): number {
  let s = 0;
  for (const line of text.split('\n')) {
    const m = /^(.*)\s+?(\d+(?:\.\d*)?)$/.exec(line);
    if (m) s += Number(m[2]);
  }
  return s;
}

describe('collapsed: FlameGraph stackcollapse-perf output (perf-c.folded)', () => {
  const r = read(FOLDED);
  const p = r.profile;
  const t = tables(p);

  it('is detected by content and read whole', () => {
    expect(detectFormat(FOLDED.subarray(0, 4096))?.name).toBe('collapsed');
    expect(r.issues).toEqual([]);
    expect(r.consumed).toBe(FOLDED.length);
  });

  it('sums the values as given: periods, so the metric is a weight', () => {
    expect(p.metrics).toEqual([{ key: 'samples', label: 'samples (weight)', unit: 'count' }]);
    expect(t.total).toBe(1345 * PERIOD);
    expect(t.total).toBe(naiveSum(FOLDED.toString('utf8')));
  });

  it('matches the answer key (leaf and inclusive shares)', () => {
    expect(pct(t.funcOwn, t.total, ':line_total')).toBeCloseTo(54.72, 1);
    expect(pct(t.funcOwn, t.total, ':compare')).toBeCloseTo(19.26, 1);
    expect(pct(t.funcOwn, t.total, ':msort_with_tmp.part.0')).toBeCloseTo(15.02, 1);
    expect(pct(t.funcOwn, t.total, ':pvm_irq_enable')).toBeCloseTo(4.68, 1);
    expect(pct(t.funcOwn, t.total, ':sort_prices')).toBeCloseTo(2.08, 1);
    expect(pct(t.funcOwn, t.total, ':best_discount')).toBeCloseTo(2.01, 1);
    expect(pct(t.funcTotal, t.total, ':main')).toBeCloseTo(61.26, 1);
    expect(pct(t.funcTotal, t.total, ':line_total')).toBeCloseTo(54.8, 1);
  });

  it('keeps bare function names as synthetic frames with no file, and the comm root as a frame', () => {
    expect(p.sourceFiles()).toEqual([]);
    for (let f = 0; f < p.functionCount; f++) expect(p.functionAt(f)).toMatchObject({ file: '', kind: 'synthetic', defLine: 0 });
    expect(pct(t.funcTotal, t.total, ':hotloop')).toBe(100);
    expect(p.threads.map((x) => [x.pid, x.tid, x.label])).toEqual([['', '', 'all samples']]);
  });
});

describe('collapsed: stackcollapse-perf --srcline output (perf-c-srcline.folded)', () => {
  const r = read(SRCLINE);
  const p = r.profile;
  const t = tables(p);

  it('reads every line, garbled frames included, and the count after the last space', () => {
    expect(r.issues).toEqual([]);
    expect(t.total).toBe(1721 * PERIOD);
    expect(t.total).toBe(naiveSum(SRCLINE.toString('utf8')));
  });

  it('maps func:file:line frames to the file and line (answer key: leaf and inclusive frames)', () => {
    // the key's frames `line_total:hotloop.c:8` etc. are lines: one function per line in hotloop.c
    expect(pct(t.lineOwn, t.total, 'hotloop.c:8')).toBeCloseTo(52.3, 1);
    expect(pct(t.lineOwn, t.total, 'hotloop.c:26')).toBeCloseTo(8.43, 1);
    expect(pct(t.lineOwn, t.total, 'hotloop.c:27')).toBeCloseTo(6.04, 1);
    expect(pct(t.lineOwn, t.total, 'hotloop.c:34')).toBeCloseTo(2.27, 1);
    expect(pct(t.funcOwn, t.total, ':pvm_irq_enable')).toBeCloseTo(11.8, 1);
    expect(pct(t.lineTotal, t.total, 'libc-start.c:58')).toBeCloseTo(99.77, 1);
    expect(pct(t.lineTotal, t.total, 'hotloop.c:49')).toBeCloseTo(61.13, 1);
    expect(pct(t.lineTotal, t.total, 'hotloop.c:18')).toBeCloseTo(58.8, 1);
    expect(pct(t.lineTotal, t.total, 'hotloop.c:8')).toBeCloseTo(58.28, 1);
    expect(pct(t.lineTotal, t.total, 'hotloop.c:51')).toBeCloseTo(38.64, 1);
    expect(pct(t.lineTotal, t.total, 'hotloop.c:36')).toBeCloseTo(34.34, 1);
    expect(p.sourceFiles().sort()).toContain('hotloop.c');
    const lt = [...Array(p.functionCount).keys()].map((f) => p.functionAt(f)).filter((f) => f.name === 'line_total');
    expect(lt).toEqual([{ file: 'hotloop.c', name: 'line_total', defLine: 0, kind: 'source' }]);
  });

  it('recovers the symbol of perf frames that stackcollapse could not split', () => {
    expect(parseFoldedFrame('.c:92:3f9a3 msort_with_tmp+0x43')).toEqual({ file: '', name: 'msort_with_tmp', line: 0, kind: 'synthetic', pyspy: false });
    expect(parseFoldedFrame('-start.c:360:10b0 _start+0x20 (/home/dev/shop/native/hotloop)')).toEqual({
      file: '/home/dev/shop/native/hotloop',
      name: '_start',
      line: 0,
      kind: 'synthetic',
      pyspy: false,
    });
    // `_start` opens every stack that perf unwound to the binary's entry
    expect(pct(t.funcTotal, t.total, '/native/hotloop:_start')).toBeCloseTo(99.8, 0);
  });
});

describe('collapsed: literal cases', () => {
  it('py-spy raw: thread and process roots become the thread, frames get file and line', () => {
    const r = read(
      [
        'process 41:"python app.py";process 42:"python -m worker";thread (0x7f01): MainThread;<module> (app.py:12);work (pkg/mod.py:3) 5',
        'thread (140021): worker-1;run (threading.py:1010);work (pkg/mod.py:4) 2',
        '<module> (app.py:12);main (app.py) 1',
        '',
      ].join('\n'),
    );
    const p = r.profile;
    expect(r.issues).toEqual([]);
    expect(p.metrics[0].label).toBe('samples');
    expect(p.threads.map((x) => [x.pid, x.tid, x.label])).toEqual([
      ['42', '0x7f01', 'MainThread'],
      ['', '140021', 'worker-1'],
      ['', '', 'all samples'],
    ]);
    const t = tables(p);
    expect(t.lineOwn.get('pkg/mod.py:3')).toBe(5);
    expect(t.lineOwn.get('pkg/mod.py:4')).toBe(2);
    expect(t.lineOwn.get('app.py:0')).toBe(1); // `name (file)` without a line (--nolineno)
    expect(t.lineTotal.get('app.py:12')).toBe(6);
    expect(p.sourceFiles().sort()).toEqual(['app.py', 'pkg/mod.py', 'threading.py']);
  });

  it('keeps fractional counts exactly (inferno would truncate them)', () => {
    const r = read('a;b 0.5\na;b 0.25\na;c 1.5\nd 2.\n');
    const t = tables(r.profile);
    expect(r.issues).toEqual([]);
    expect(t.total).toBe(4.25);
    expect(t.funcOwn.get(':b')).toBe(0.75);
  });

  it('strips _[k] _[i] _[j] _[w] annotations; kernel frames stay synthetic', () => {
    const r = read('java;start_thread;JavaMain;Interpreter_[j];copy_page_[k] 7\nmain;inlined_fn:x.c:3_[i];wake_[w] 1\n');
    const names = [...Array(r.profile.functionCount).keys()].map((f) => r.profile.functionAt(f));
    expect(names.map((f) => f.name)).toEqual(['java', 'start_thread', 'JavaMain', 'Interpreter', 'copy_page', 'main', 'inlined_fn', 'wake']);
    expect(names.find((f) => f.name === 'copy_page')?.kind).toBe('synthetic');
    expect(names.find((f) => f.name === 'inlined_fn')).toMatchObject({ file: 'x.c', kind: 'source' });
  });

  it('stackcollapse-perf --pid/--tid roots become the process and thread', () => {
    const r = read('hotloop-15974/15975;main;work 3\nhotloop-15974;main 2\nweb content-9/11;f 1\n');
    expect(r.profile.threads.map((x) => [x.pid, x.tid, x.label])).toEqual([
      ['15974', '15975', 'hotloop 15975'],
      ['15974', '', 'hotloop 15974'],
      ['9', '11', 'web content 11'],
    ]);
    expect(tables(r.profile).funcTotal.get(':main')).toBe(5);
  });

  it('reports lines that are not stacks once, with the first line and how many, and keeps the rest', () => {
    const r = read('# a comment\r\na;b 1\r\n\r\nnot a stack\na;b\t2\nxx yy\n;; 3\nc 4\n');
    expect(tables(r.profile).total).toBe(1 + 2 + 4 + 3);
    expect(r.issues).toEqual([
      { message: 'line 4 is not a folded stack (`frame;frame count`); 2 such lines were skipped', offset: 22, line: 4, fatal: false },
    ]);
  });

  it('differential folded stacks: the second count is read, with one note', () => {
    const r = read('a;b 5 7\na;c 1 2\n');
    expect(tables(r.profile).total).toBe(9);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0].message).toMatch(/two counts/);
  });

  it('a last line without newline is reported, and read once the file grows', () => {
    const r = new CollapsedReader(new Profile());
    r.push(Buffer.from('a;b 1\na;c 2'));
    r.end();
    expect(tables(r.profile).total).toBe(1);
    expect(r.issues).toEqual([
      { message: 'line 2 is incomplete (no newline at the end of the file); it was ignored', offset: 6, line: 2, fatal: false },
    ]);
    r.push(Buffer.from('0\n'));
    r.end();
    expect(r.issues).toEqual([]);
    expect(tables(r.profile).total).toBe(21);
  });
});

describe('collapsed: streaming', () => {
  const reference = snapshot(read(SRCLINE).profile);

  it('gives the same model however the file is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        expect(snapshot(read(SRCLINE, sizes).profile)).toEqual(reference);
      }),
      { numRuns: 20 },
    );
  });

  it.each([
    ['perf-c.folded', FOLDED, 37],
    ['perf-c-srcline.folded', SRCLINE, 4999],
  ])('%s truncated at many offsets: never throws, says where, keeps the complete lines', (_name, bytes, step) => {
    for (let cut = 1; cut < bytes.length; cut += step) {
      const part = bytes.subarray(0, cut);
      const r = read(part);
      const text = part.toString('utf8');
      const lastNl = text.lastIndexOf('\n');
      expect(tables(r.profile).total).toBe(naiveSum(text.slice(0, lastNl + 1)));
      if (lastNl === text.length - 1) expect(r.issues).toEqual([]);
      else {
        expect(r.issues).toHaveLength(1);
        expect(r.issues[0]).toMatchObject({ offset: Buffer.byteLength(text.slice(0, lastNl + 1)), fatal: false });
        expect(r.issues[0].line).toBe(text.slice(0, lastNl + 1).split('\n').length);
      }
    }
  });
});

describe('collapsed: detection', () => {
  it('never takes an Austin file for folded stacks', () => {
    for (const f of readdirSync(RECORDED).filter((n) => n.endsWith('.austin'))) {
      const head = readFileSync(recorded(f)).subarray(0, 4096);
      expect(looksCollapsed(head, Buffer.from(head).toString('latin1')), f).toBe(false);
      expect(detectFormat(head)?.name, f).toBe('austin-text');
    }
    const noHeader = Buffer.from('P1;T0:1;/a.py:f:1 10\nP1;T0:1;/a.py:f:2 5\n');
    expect(looksCollapsed(noHeader, noHeader.toString('latin1'))).toBe(false);
  });

  it('no other recording is detected as folded stacks', () => {
    for (const f of readdirSync(RECORDED).filter((n) => !n.endsWith('.folded'))) {
      expect(detectFormat(readFileSync(recorded(f)).subarray(0, 4096))?.name, f).not.toBe('collapsed');
    }
  });

  it('detects py-spy raw output, a one-line file without newline, and a first line longer than the head', () => {
    expect(detectFormat(Buffer.from('<module> (app.py:12);main (app.py:8) 42\nthread (5);x (a.py:1) 1\n'))?.name).toBe('collapsed');
    expect(detectFormat(Buffer.from('main;work 3'))?.name).toBe('collapsed');
    const deep = Buffer.from(`${Array.from({ length: 400 }, (_, i) => `frame_number_${i}`).join(';')} 5\n`);
    expect(detectFormat(deep.subarray(0, 4096))?.name).toBe('collapsed');
    expect(detectFormat(Buffer.from('hello world\nthis is prose\n'))).toBeUndefined();
  });
});
