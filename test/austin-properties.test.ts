import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../server/src/core/aggregate';
import { AustinTextReader } from '../server/src/core/readers/austin-text';
import { recorded } from './helpers/paths';
import { readInChunks, sortedEntries, tables } from './helpers/tables';

const FILES = ['austin3-wall.austin', 'austin3-full.austin', 'austin1-cpu.austin', 'austin3-children.austin'];

function model(bytes: Uint8Array, sizes?: number[]) {
  const r = readInChunks(new AustinTextReader(), bytes, sizes);
  return { r, t: tables(r.profile, {}, r.profile.metrics[0]?.key) };
}

describe('property: reading in random chunk sizes gives exactly the model of reading whole', () => {
  for (const name of FILES) {
    it(name, () => {
      const bytes = readFileSync(recorded(name));
      const whole = model(bytes).t;
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 12 }), (sizes) => {
          const { r, t } = model(bytes, sizes);
          expect(r.issues).toEqual([]);
          expect(t.total).toBe(whole.total);
          expect(sortedEntries(t.lineOwn)).toEqual(sortedEntries(whole.lineOwn));
          expect(sortedEntries(t.lineTotal)).toEqual(sortedEntries(whole.lineTotal));
          expect(sortedEntries(t.funcTotal)).toEqual(sortedEntries(whole.funcTotal));
        }),
        { numRuns: 8 },
      );
    });
  }

  it('tiny chunks (1-7 bytes) on a real file', () => {
    const bytes = readFileSync(recorded('austin3-mem.austin'));
    const whole = model(bytes).t;
    const { t } = model(bytes, [1, 2, 3, 5, 7]);
    expect(sortedEntries(t.lineTotal)).toEqual(sortedEntries(whole.lineTotal));
  });
});

// Random samples over a small alphabet of frames, so recursion (a frame repeated in a stack) is common.
const frameArb = fc.record({ fn: fc.constantFrom('f', 'g', 'h'), line: fc.integer({ min: 1, max: 4 }) });
const sampleArb = fc.record({
  thread: fc.constantFrom('1', '2'),
  stack: fc.array(frameArb, { maxLength: 8 }),
  value: fc.integer({ min: 0, max: 1000 }),
});

function austinText(samples: { thread: string; stack: { fn: string; line: number }[]; value: number }[]): string {
  const lines = samples.map((s) => {
    const frames = s.stack.map((f) => `;m.py:${f.fn}:${f.line}`).join('');
    return `P7;T0:${s.thread}${frames} ${s.value}`;
  });
  return `# austin: 3.7.0\n# mode: wall\n\n${lines.join('\n')}\n`;
}

describe('property: the call-tree tables equal brute force over the samples', () => {
  it('own, total (once per sample), callers and callees', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { maxLength: 40 }), (samples) => {
        const r = new AustinTextReader();
        r.push(Buffer.from(austinText(samples)));
        r.end();
        const p = r.profile;
        const agg = aggregate(p);
        let T = 0;
        let framed = 0;
        const lineTotal = new Map<string, number>();
        const funcTotal = new Map<string, number>();
        const callers = new Map<string, number>(); // "callee<-caller@line"
        const callees = new Map<string, number>(); // "caller->callee"
        const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
        for (const s of samples) {
          T += s.value;
          if (s.stack.length) framed += s.value;
          for (const k of new Set(s.stack.map((f) => `m.py:${f.line}`))) add(lineTotal, k, s.value);
          for (const k of new Set(s.stack.map((f) => `m.py:${f.fn}`))) add(funcTotal, k, s.value);
          // recursion merged: each function's caller is the frame below its outermost occurrence,
          // its callee the frame above that occurrence
          const seen = new Set<string>();
          s.stack.forEach((f, i) => {
            if (seen.has(f.fn)) return;
            seen.add(f.fn);
            if (i > 0) add(callers, `${f.fn}<-${s.stack[i - 1].fn}@${s.stack[i - 1].line}`, s.value);
            if (i + 1 < s.stack.length) add(callees, `${f.fn}->${s.stack[i + 1].fn}`, s.value);
          });
        }
        expect(agg.total).toBe(T);
        const t = tables(p);
        expect(sortedEntries(t.lineTotal)).toEqual(sortedEntries(lineTotal));
        expect(sortedEntries(t.funcTotal)).toEqual(sortedEntries(funcTotal));
        // no total ever exceeds the scope total: recursion never counts a sample twice
        for (const v of t.lineTotal.values()) expect(v).toBeLessThanOrEqual(T);
        // own over all lines = total of samples that have frames
        expect([...t.lineOwn.values()].reduce((a, b) => a + b, 0)).toBe(framed);
        const gotCallers = new Map<string, number>();
        const gotCallees = new Map<string, number>();
        for (let f = 0; f < p.functionCount; f++) {
          const name = p.functionAt(f).name;
          for (const c of agg.callers(f)) gotCallers.set(`${name}<-${p.functionAt(c.funcId).name}@${p.lineKey(c.lineId).line}`, c.value);
          for (const c of agg.callees(f)) gotCallees.set(`${name}->${p.functionAt(c.funcId).name}`, c.value);
        }
        expect(sortedEntries(gotCallers)).toEqual(sortedEntries(callers));
        expect(sortedEntries(gotCallees)).toEqual(sortedEntries(callees));
      }),
      { numRuns: 300 },
    );
  });

  it('thread scopes partition the total', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { maxLength: 30 }), (samples) => {
        const r = new AustinTextReader();
        r.push(Buffer.from(austinText(samples)));
        r.end();
        const p = r.profile;
        const whole = aggregate(p).total;
        const parts = p.threads.reduce((s, t) => s + aggregate(p, { thread: t.index }).total, 0);
        expect(parts).toBe(whole);
      }),
      { numRuns: 100 },
    );
  });
});

describe('truncation: every real file cut at many offsets', () => {
  const files = ['austin3-wall.austin', 'austin3-cpu.austin', 'austin3-mem.austin', 'austin3-full.austin', 'austin3-children.austin', 'austin1-wall.austin', 'austin3-wall.compressed.austin'];
  for (const name of files) {
    it(name, () => {
      const bytes = readFileSync(recorded(name));
      const full = model(bytes).t.total;
      const offsets = Array.from({ length: 30 }, (_, i) => Math.floor(((i + 0.37) / 30) * bytes.length));
      offsets.push(1, 5, bytes.length - 1);
      for (const cut of offsets) {
        const prefix = bytes.subarray(0, cut);
        const { r, t } = model(prefix);
        // what came before the cut is kept: the same as reading only the complete lines
        const complete = prefix.subarray(0, prefix.lastIndexOf(10) + 1);
        const expected = model(complete).t.total;
        expect(t.total).toBe(expected);
        expect(t.total).toBeLessThanOrEqual(full);
        if (complete.length < prefix.length && r.profile.metrics.length > 0) {
          const last = r.issues[r.issues.length - 1];
          expect(last.line).toBeGreaterThan(0);
          expect(last.offset).toBeLessThanOrEqual(cut);
          expect(last.offset).toBeGreaterThanOrEqual(complete.length - 1 > 0 ? complete.length - 4096 : 0);
        }
      }
    });
  }
});
