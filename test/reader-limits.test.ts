/**
 * Pathological but valid input stays bounded (issue 15 item 4): deep stacks are cut to
 * MAX_STACK_DEPTH frames (the outermost and innermost kept, one synthetic frame between), long
 * names to MAX_NAME_LENGTH characters, and a line of any length holds at most MAX_LINE_BYTES in
 * memory: one 50 MB line of 3.6 million frames took 840 MB and 38 s before these limits.
 * Each cut says so in one counted issue. docs/reliability.md gives the reasons for the limits.
 */
import { Function as PFunction, Line, Location, Profile as PMessage, Sample, StringTable, ValueType } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../server/src/core/aggregate';
import { Profile } from '../server/src/core/model';
import { LineSplitter, MAX_LINE_BYTES, type LongLine } from '../server/src/core/readers/line-splitter';
import { FORMATS } from '../server/src/core/readers/index';
import type { ProfileReader } from '../server/src/core/readers/types';
import { CUT_FRAME_NAME, KEEP_LEAF, KEEP_ROOT, MAX_NAME_LENGTH, MAX_STACK_DEPTH } from '../server/src/core/readers/values';
import { encodeEvent, encodeHeader, EV, type MojoEvent } from './helpers/mojo-encoder';
import { readFileSync } from 'node:fs';
import { FIXTURES } from './helpers/paths';
import { compare, impossibleFigures, read, snapshot } from './fuzz/fuzz-lib';

const HEADER = '# austin: 3.7.0\n# mode: wall\n\n';

/** The deepest stack of a profile, root first, as frame names. */
function deepest(p: Profile): string[] {
  let best = -1;
  let bestDepth = -1;
  for (let n = 0; n < p.nodeCount; n++) {
    let d = 0;
    for (let a = n; p.nodeFrame[a] >= 0; a = p.nodeParent[a]) d++;
    if (d > bestDepth) [best, bestDepth] = [n, d];
  }
  const out: string[] = [];
  for (let a = best; a >= 0 && p.nodeFrame[a] >= 0; a = p.nodeParent[a]) out.unshift(p.frameAt(p.nodeFrame[a]).name);
  return out;
}

/** Names f0..f{n-1}, root first; a cut keeps f0..f4999, the cut frame, then the innermost 4,999. */
function expectCut(names: string[], n: number): void {
  expect(names).toHaveLength(MAX_STACK_DEPTH);
  expect(names[0]).toBe('f0');
  expect(names[KEEP_ROOT - 1]).toBe(`f${KEEP_ROOT - 1}`);
  expect(names[KEEP_ROOT]).toBe(CUT_FRAME_NAME);
  expect(names[KEEP_ROOT + 1]).toBe(`f${n - KEEP_LEAF}`);
  expect(names[MAX_STACK_DEPTH - 1]).toBe(`f${n - 1}`);
}

const stackIssue = (n: number) => `a stack of ${n.toLocaleString('en-US')} frames is deeper than the limit of 10,000; its 5,000 outermost and 4,999 innermost frames were kept`;

describe('deep stacks, in every format with stacks', () => {
  const austinLine = (n: number, v = 7) => `P1;T0:1;${Array.from({ length: n }, (_, i) => `/a.py:f${i}:${(i % 50) + 1}`).join(';')} ${v}\n`;

  it('Austin text: 10,000 frames are kept whole; 10,001 are cut, own time stays on the leaf, totals count once', () => {
    const whole = read('austin-text', Buffer.from(HEADER + austinLine(MAX_STACK_DEPTH)));
    expect(whole.issues).toEqual([]);
    expect(deepest(whole.profile)).toHaveLength(MAX_STACK_DEPTH);
    const r = read('austin-text', Buffer.from(HEADER + austinLine(MAX_STACK_DEPTH + 1) + austinLine(MAX_STACK_DEPTH + 1, 3)));
    expectCut(deepest(r.profile), MAX_STACK_DEPTH + 1);
    expect(r.issues).toEqual([expect.objectContaining({ line: 4, fatal: false, message: `line 4: ${stackIssue(MAX_STACK_DEPTH + 1)}` })]);
    const a = aggregate(r.profile);
    expect(a.total).toBe(10);
    const leaf = [...Array(r.profile.functionCount).keys()].find((f) => r.profile.functionAt(f).name === `f${MAX_STACK_DEPTH}`)!;
    expect(a.funcOwn[leaf]).toBe(10);
    expect(impossibleFigures(r.profile)).toEqual([]);
  });

  it('recursion 5,000 deep is kept whole and counted once per sample', () => {
    const line = `P1;T0:1;${Array.from({ length: 5000 }, () => '/a.py:rec:3').join(';')} 9\n`;
    const r = read('austin-text', Buffer.from(HEADER + line + line));
    expect(r.issues).toEqual([]);
    expect(deepest(r.profile)).toHaveLength(5000);
    const a = aggregate(r.profile);
    expect(a.total).toBe(18);
    expect(a.lineTotal[0]).toBe(18);
    expect(a.funcTotal[0]).toBe(18);
    expect(a.funcOwn[0]).toBe(18);
  });

  it('folded stacks', () => {
    const n = 25_000;
    const r = read('collapsed', Buffer.from(`${Array.from({ length: n }, (_, i) => `f${i}`).join(';')} 4\n`));
    expectCut(deepest(r.profile), n);
    expect(r.issues.map((i) => i.message)).toEqual([`line 1: ${stackIssue(n)}`]);
  });

  it('perf script (leaf first in the file)', () => {
    const n = 30_000;
    const frames = Array.from({ length: n }, (_, i) => `\t ${(n - 1 - i).toString(16)} f${n - 1 - i}+0x1 (/bin/app)`).join('\n');
    const r = read('perf-script', Buffer.from(`app 1/1 [000] 1.0: 10 cpu-clock: \n${frames}\n\n`));
    expectCut(deepest(r.profile), n);
    expect(r.issues.map((i) => i.message)).toEqual([`line 1: ${stackIssue(n)}`]);
  });

  it('MOJO', () => {
    const n = 30_000;
    const te = new TextEncoder();
    const events: MojoEvent[] = [{ id: EV.METADATA, offset: 0, key: te.encode('mode'), value: te.encode('wall') }];
    for (let i = 0; i < n; i++) {
      events.push({ id: EV.STRING, offset: 0, key: 10 + i, value: te.encode(`f${i}`) });
      events.push({ id: EV.FRAME, offset: 0, key: 1 + i, filename: 1, scope: 10 + i, line: 1, lineEnd: 0, column: 0, columnEnd: 0 });
    }
    events.push({ id: EV.STACK, offset: 0, pid: 1, iid: 0, tid: te.encode('1') });
    for (let i = 0; i < n; i++) events.push({ id: EV.FRAME_REF, offset: 0, value: 1 + i });
    events.push({ id: EV.METRIC_TIME, offset: 0, value: 5 });
    const out = encodeHeader(3);
    for (const e of events) encodeEvent(e, 3, out);
    const r = read('mojo', Uint8Array.from(out), [65536]);
    expectCut(deepest(r.profile), n);
    expect(r.issues.map((i) => i.message.replace(/^byte \d+: /, ''))).toEqual([stackIssue(n)]);
    expect(aggregate(r.profile).total).toBe(5);
  });

  it('speedscope (sampled and evented)', () => {
    const n = 30_000;
    const frames = Array.from({ length: n }, (_, i) => ({ name: `f${i}`, file: '/a.py', line: 1 }));
    const stack = Array.from({ length: n }, (_, i) => i);
    const events = [...stack.map((i) => ({ type: 'O', frame: i, at: 0 })), ...stack.reverse().map((i) => ({ type: 'C', frame: i, at: 3 }))];
    const doc = { shared: { frames }, profiles: [{ type: 'sampled', name: 'Thread 1', unit: 'none', startValue: 0, endValue: 1, samples: [Array.from({ length: n }, (_, i) => i)], weights: [2] }, { type: 'evented', name: 'Thread 2', unit: 'none', startValue: 0, endValue: 3, events }] };
    const r = read('speedscope', Buffer.from(JSON.stringify(doc)), [100_000]);
    expectCut(deepest(r.profile), n);
    expect(r.issues.map((i) => i.message.replace(/^byte \d+: /, ''))).toEqual([`${stackIssue(n)}; 2 such stacks were cut`]);
    expect(aggregate(r.profile).total).toBe(5);
  });

  it('pprof (leaf first in a sample)', () => {
    const n = 12_000;
    const st = new StringTable();
    const fns = Array.from({ length: n }, (_, i) => new PFunction({ id: i + 1, name: st.dedup(`f${i}`), filename: st.dedup('/a.go') }));
    const locs = Array.from({ length: n }, (_, i) => new Location({ id: i + 1, line: [new Line({ functionId: i + 1, line: 1 })] }));
    const sample = new Sample({ locationId: Array.from({ length: n }, (_, i) => n - i), value: [4] });
    const bytes = new PMessage({ sampleType: [new ValueType({ type: st.dedup('samples'), unit: st.dedup('count') })], function: fns, location: locs, sample: [sample], stringTable: st }).encode();
    const r = read('pprof', bytes);
    expectCut(deepest(r.profile), n);
    expect(r.issues.map((i) => i.message.replace(/^byte \d+: /, ''))).toEqual([stackIssue(n)]);
  });

  it('.cpuprofile (a chain of nodes)', () => {
    const n = 12_000;
    const nodes = Array.from({ length: n + 1 }, (_, i) => ({ id: i + 1, callFrame: { functionName: i === 0 ? '(root)' : `f${i - 1}`, url: 'file:///a.js', lineNumber: i }, ...(i > 0 ? { parent: i } : {}) }));
    const r = read('cpuprofile', Buffer.from(JSON.stringify({ nodes, startTime: 0, endTime: 10, samples: [n + 1], timeDeltas: [0] })));
    expectCut(deepest(r.profile), n);
    expect(r.issues.map((i) => i.message)).toEqual([`byte 0: ${stackIssue(n)}`]);
  });
});

describe('a MOJO event of megabytes in tiny chunks', () => {
  const te = new TextEncoder();
  const file = (name: Uint8Array) => {
    const out = encodeHeader(3);
    const events: MojoEvent[] = [
      { id: EV.METADATA, offset: 0, key: te.encode('mode'), value: te.encode('wall') },
      { id: EV.STRING, offset: 0, key: 2, value: te.encode('/a.py') },
      { id: EV.STRING, offset: 0, key: 3, value: name },
      { id: EV.FRAME, offset: 0, key: 1, filename: 2, scope: 3, line: 1, lineEnd: 0, column: 0, columnEnd: 0 },
      { id: EV.STACK, offset: 0, pid: 1, iid: 0, tid: te.encode('1') },
      { id: EV.FRAME_REF, offset: 0, value: 1 },
      { id: EV.METRIC_TIME, offset: 0, value: 5 },
    ];
    for (const e of events) encodeEvent(e, 3, out);
    return Uint8Array.from(out);
  };

  it('a 3 MB string read 64 bytes at a time is read once, not rescanned per chunk (linear), and cut as a name', () => {
    const r = read('mojo', file(new Uint8Array(3 << 20).fill(0x78)), [64]);
    expect(r.issues.map((i) => i.message.replace(/^byte \d+: /, ''))).toEqual(['a name of 3,145,728 characters is longer than the limit of 4,096; it was cut']);
    expect(r.profile.metricSum('wall')).toBe(5);
  });

  it('an event of numbers only that runs past 64 KiB is corrupt: fatal, with its offset', () => {
    const head = Uint8Array.from(encodeHeader(3));
    const bad = Uint8Array.from([EV.METRIC_TIME, ...new Array(70_000).fill(0x80)]);
    const r = read('mojo', Uint8Array.from([...head, ...bad, 0x01]), [1000]);
    expect(r.failed).toBe(true);
    expect(r.issues).toEqual([expect.objectContaining({ fatal: true, offset: head.length, message: expect.stringMatching(/holds only numbers/) })]);
  });
});

describe('long names', () => {
  it('a 1 MB frame name is cut to 4,096 characters, with one counted issue', () => {
    const big = 'x'.repeat(1 << 20);
    const r = read('austin-text', Buffer.from(`${HEADER}P1;T0:1;/a.py:${big}:1 5\nP1;T0:1;/a.py:${big}y:1 6\n`));
    const names = [...Array(r.profile.functionCount).keys()].map((f) => r.profile.functionAt(f).name);
    expect(names).toEqual([`${'x'.repeat(MAX_NAME_LENGTH - 1)}\u2026`]);
    expect(r.issues.map((i) => i.message)).toEqual(['line 4: a name of 1,048,576 characters is longer than the limit of 4,096; 2 such names were cut']);
    expect(aggregate(r.profile).total).toBe(11);
  });
});

describe('one 50 MB line of 3.6 million frames', () => {
  const FRAMES = 3_600_000;
  /** The line, in 1 MiB chunks made on the fly: the test never holds it either. */
  function* chunks(prefix: string, frame: (i: number) => string, suffix: string): Generator<Buffer> {
    let pending = prefix;
    for (let i = 0; i < FRAMES; i++) {
      pending += frame(i);
      if (pending.length >= 1 << 20) {
        yield Buffer.from(pending);
        pending = '';
      }
    }
    yield Buffer.from(pending + suffix);
  }

  function feed(reader: ProfileReader, gen: Generator<Buffer>): { bytes: number } {
    let bytes = 0;
    for (const c of gen) {
      reader.push(c);
      bytes += c.length;
    }
    reader.end();
    return { bytes };
  }

  it('the line splitter holds at most MAX_LINE_BYTES and a chunk, and counts what it left out', () => {
    let got: LongLine | undefined;
    const s = new LineSplitter(() => undefined, { onLongLine: (l) => (got = l), sep: 59 });
    let max = 0;
    let bytes = 0;
    for (const c of chunks('P1;T0:1', (i) => `;/a.py:f${i}:1`, ' 5\n')) {
      s.push(c);
      bytes += c.length;
      max = Math.max(max, s.heldBytes);
    }
    expect(max).toBeLessThanOrEqual(MAX_LINE_BYTES + (1 << 20) + 64);
    expect(got!.head.length + got!.tail.length).toBe(MAX_LINE_BYTES);
    expect(got!.dropped).toBe(bytes - 1 - MAX_LINE_BYTES);
    expect(bytes).toBeGreaterThan(50_000_000);
    expect(s.offset).toBe(bytes);
    expect(s.line).toBe(2);
  });

  it('Austin text: the stack is cut to 10,000 frames, the count and the value are right', () => {
    const r = FORMATS.find((f) => f.name === 'austin-text')!.create(new Profile());
    r.push(Buffer.from(HEADER));
    feed(r, chunks('P1;T0:1', (i) => `;/a.py:f${i}:1`, ' 5\n'));
    expect(r.issues.map((i) => i.message)).toEqual([`line 4: ${stackIssue(FRAMES)}`]);
    expectCut(deepest(r.profile), FRAMES);
    expect(aggregate(r.profile).total).toBe(5);
    expect(r.profile.nodeCount).toBeLessThanOrEqual(MAX_STACK_DEPTH + 2);
  });

  it('folded stacks: the same', () => {
    const r = FORMATS.find((f) => f.name === 'collapsed')!.create(new Profile());
    feed(r, chunks('f0', (i) => (i === 0 ? '' : `;f${i}`), ' 5\n'));
    expect(r.issues.map((i) => i.message)).toEqual([`line 1: ${stackIssue(FRAMES)}`]);
    expectCut(deepest(r.profile), FRAMES);
    expect(aggregate(r.profile).total).toBe(5);
  });
});

describe('perf script: a line longer than the splitter holds', () => {
  it('is read from its two ends with one issue, and what was consumed ends after it', () => {
    const sym = 'x'.repeat(5 << 20);
    const text = `# junk ${sym}\napp 1/1 [000] 1.0: 10 cpu-clock: \n\t 1 ${sym}+0x1 (/bin/app)\n\n`;
    const r = read('perf-script', Buffer.from(text), [1 << 20]);
    expect(r.consumed).toBe(text.length);
    const first = `# junk ${sym}\n`;
    expect(read('perf-script', Buffer.from(first), [1 << 20]).consumed).toBe(first.length);
    expect(r.profile.metricSum('samples')).toBe(1);
    expect(r.issues.map((i) => i.message)).toEqual([
      'line 1: the line is longer than 4 MiB; 2 such lines lost their middle',
      expect.stringMatching(/^line 2: a name of 4,194,\d{3} characters is longer than the limit of 4,096; it was cut$/),
    ]);
  });
});

describe('whole-file readers given tiny chunks', () => {
  it('keep one growing buffer, not an object per chunk (26 MB in 1-byte chunks took 2.6 GB of Buffer objects)', () => {
    for (const name of ['node-cpu.cpuprofile', 'austin3-cpu.pprof']) {
      const bytes = readFileSync(`${FIXTURES}/recorded/${name}`);
      const format = name.endsWith('.pprof') ? 'pprof' : 'cpuprofile';
      const whole = read(format, bytes);
      const tiny = read(format, bytes, [1, 2, 3]);
      expect(compare(snapshot(tiny.profile), snapshot(whole.profile)), name).toEqual({ more: [], less: [] });
      expect(tiny.issues).toEqual(whole.issues);
    }
  });
});
