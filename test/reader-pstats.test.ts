import { execFileSync } from 'node:child_process';
import { hasPython, pythonStats, type PyRow } from './helpers/python-pstats';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregate } from '../server/src/core/aggregate';
import { loadProfile } from '../server/src/core/load';
import { Profile } from '../server/src/core/model';
import { detectFormat } from '../server/src/core/readers/index';
import { MarshalDict, MarshalError, MarshalReader } from '../server/src/core/readers/marshal';
import { META } from '../server/src/core/readers/meta-keys';
import { PstatsReader, pstatsTable, type PstatsFunction } from '../server/src/core/readers/pstats';
import { FIXTURES, recorded } from './helpers/paths';
import { readInChunks } from './helpers/tables';

/** Made by `sh scripts/make-pstats.sh` (Debian python3 3.11.2, cProfile, `python3 -m shop pricing`). */
const FILE = join(FIXTURES, 'generated', 'shop-pricing.pstats');
const SCRIPT = resolve(__dirname, '..', 'scripts', 'make-pstats.sh');


const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const read = (bytes: Uint8Array, sizes?: number[]) => readInChunks(new PstatsReader(new Profile()), bytes, sizes);

/** The table entry for a pstats key (file suffix, line, name). */
function entry(p: Profile, fileSuffix: string, line: number, name: string): PstatsFunction {
  const hits = [...pstatsTable(p)!.functions.values()].filter((f) => f.file.endsWith(fileSuffix) && f.line === line && f.name === name);
  expect(hits, `${fileSuffix}:${line}(${name})`).toHaveLength(1);
  return hits[0];
}

describe('pstats: the committed cProfile dump of shop pricing', () => {
  it('reads function times, calls and callers (facts from pstats.Stats on this file)', async () => {
    const { profile: p, reader } = await loadProfile(FILE, { chunkSize: 4096 });
    expect(reader.format).toBe('pstats');
    expect(reader.issues).toEqual([]);
    expect(p.metrics).toEqual([
      { key: 'time', label: 'time', unit: 'seconds' },
      { key: 'calls', label: 'calls', unit: 'count' },
    ]);
    expect(p.defaultMetric()).toBe('time');
    const table = pstatsTable(p)!;
    expect(table.functions.size).toBe(551);
    expect(table.totalTime).toBeCloseTo(7.743927326000003, 12);
    expect(table.totalCalls).toBe(498863);
    expect(table.primitiveCalls).toBe(498276);

    const lt = entry(p, '/shop/pricing.py', 25, 'line_total');
    expect([lt.calls, lt.primitiveCalls, lt.own, lt.total]).toEqual([456932, 456932, 7.185852549000001, 7.185852549000001]);
    expect(lt.callers).toHaveLength(1);
    expect(lt.callers[0]).toMatchObject({ name: 'best_discount', line: 32, calls: 456932, total: 7.185852549000001 });
    expect(entry(p, '/shop/pricing.py', 43, 'price_basket').total).toBe(7.5229347);
    // the built-in exec: 33 calls, 32 of them from the three callers, 1 from outside the profile
    const exec = entry(p, '~', 0, '<built-in method builtins.exec>');
    expect([exec.primitiveCalls, exec.calls]).toEqual([1, 33]);
    expect(exec.callers.map((c) => c.name)).toEqual(['_run_code', '_call_with_frames_removed', '_create_fn']);

    // The tree: own time and calls are exact at the definition line, function by function
    const a = aggregate(p, {}, 'time');
    const calls = aggregate(p, {}, 'calls');
    expect(a.total).toBeCloseTo(table.totalTime, 9);
    expect(calls.total).toBe(table.totalCalls);
    expect(a.funcOwn[lt.funcId]).toBeCloseTo(7.185852549000001, 12);
    expect(a.percent(a.funcOwn[lt.funcId])).toBeCloseTo(92.79, 1);
    expect(calls.funcOwn[lt.funcId]).toBe(456932);
    expect(p.functionAt(lt.funcId)).toMatchObject({ name: 'line_total', defLine: 25, kind: 'source' });
    expect(p.functionAt(exec.funcId)).toMatchObject({ file: '', kind: 'synthetic' });
    // callers in the tree rank by the callee's own time from each caller (a real pstats number)
    expect(a.callers(lt.funcId).map((c) => [p.functionAt(c.funcId).name, c.value])).toEqual([['best_discount', 7.185852549000001]]);
  });

  it('says what the format lacks: no per-line data; function totals come from pstats itself', () => {
    const p = read(readFileSync(FILE)).profile;
    expect(p.meta.get(META.lineTotals)).toBe('none');
    expect(p.meta.get(META.lineOwn)).toBe('none');
    expect(p.meta.get(META.functionTotals)).toBe('pstats');
    // The depth-two tree cannot hold cumulative times (price_basket's tree total would be far below
    // pstats' cumulative 7.52 s), so aggregation takes them from Profile.functionLevel.
    const pb = entry(p, '/shop/pricing.py', 43, 'price_basket');
    expect(aggregate(p, {}, 'time').funcTotal[pb.funcId]).toBe(pb.total);
  });

  it('same-named functions of one file stay apart (pstats keys carry the bare co_name)', () => {
    const p = read(readFileSync(FILE)).profile;
    const names = [...Array(p.functionCount).keys()].map((f) => p.functionAt(f)).filter((f) => f.file === '<frozen importlib._bootstrap_external>');
    expect(names.map((f) => f.name)).toEqual(expect.arrayContaining(['__init__ (line 1097)', '__init__ (line 1220)', '__init__ (line 1559)']));
    expect(names.every((f) => f.kind === 'synthetic')).toBe(true);
  });

  it.skipIf(!hasPython)('matches CPython pstats for every function and caller edge', () => {
    const p = read(readFileSync(FILE)).profile;
    const table = pstatsTable(p)!;
    const rows = pythonStats(FILE);
    expect(rows).toHaveLength(table.functions.size);
    const byKey = new Map([...table.functions.values()].map((f) => [`${f.file}|${f.line}|${f.name}`, f]));
    const a = aggregate(p, {}, 'time');
    const calls = aggregate(p, {}, 'calls');
    for (const [file, line, name, cc, nc, tt, ct, callers] of rows) {
      const f = byKey.get(`${file}|${line}|${name}`)!;
      expect(f, `${file}:${line}(${name})`).toBeDefined();
      expect([f.primitiveCalls, f.calls, f.own, f.total]).toEqual([cc, nc, tt, ct]);
      expect(a.funcOwn[f.funcId]).toBeCloseTo(tt, 12);
      expect(calls.funcOwn[f.funcId]).toBe(nc);
      const mine = new Map(f.callers.map((c) => [`${c.file}|${c.line}|${c.name}`, [c.calls, c.primitiveCalls, c.own, c.total]]));
      expect(mine.size).toBe(callers.length);
      for (const [cf, cl, cn, cnc, ccc, ctt, cct] of callers) expect(mine.get(`${cf}|${cl}|${cn}`)).toEqual([cnc, ccc, ctt, cct]);
    }
  });

  it.skipIf(!hasPython)(
    'scripts/make-pstats.sh regenerates a dump that parses, with the shop paths under its temporary folder',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'flamelens-pstats-test-'));
      temps.push(dir);
      const out = join(dir, 'shop-pricing.pstats');
      execFileSync('sh', [SCRIPT, out], { env: { ...process.env, TMPDIR: dir }, stdio: 'ignore' });
      const r = read(readFileSync(out));
      expect(r.issues).toEqual([]);
      const lt = entry(r.profile, '/shop/pricing.py', 25, 'line_total');
      expect(lt.file.startsWith(`${dir}/flamelens-pstats.`)).toBe(true);
      expect(lt.calls).toBe(456932);
      const rows = pythonStats(out);
      expect(pstatsTable(r.profile)!.functions.size).toBe(rows.length);
    },
    120_000,
  );
});

describe('pstats: damaged files', () => {
  const bytes = readFileSync(FILE);
  const whole = pstatsTable(read(bytes).profile)!;
  const key = (f: PstatsFunction) => `${f.file}|${f.line}|${f.name}`;
  const wholeByKey = new Map([...whole.functions.values()].map((f) => [key(f), f]));

  it('a dump cut anywhere: no throw, one fatal issue with an offset, the whole entries before it kept as they are', () => {
    for (const cut of [0, 1, 3, 50, 1000, 30000, bytes.length - 1]) {
      const r = read(bytes.subarray(0, cut));
      const fatal = r.issues.filter((i) => i.fatal);
      expect(fatal, `cut at ${cut}`).toHaveLength(1);
      expect(fatal[0].offset).toBeLessThanOrEqual(cut);
      expect(r.consumed).toBeLessThanOrEqual(cut);
      const kept = [...pstatsTable(r.profile)!.functions.values()];
      // cut inside the last entry or later: the dict's end marker is what is missing
      expect(kept.length).toBeLessThanOrEqual(whole.functions.size);
      if (cut < 70000) expect(kept.length).toBeLessThan(whole.functions.size);
      for (const f of kept) {
        const w = wholeByKey.get(key(f))!;
        expect([f.calls, f.own, f.total, f.callers.length]).toEqual([w.calls, w.own, w.total, w.callers.length]);
      }
      if (cut >= 30000) expect(kept.length).toBeGreaterThan(100);
    }
  });

  it('random byte damage never throws, and an issue names what stopped reading', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 60; i++) {
      const b = Buffer.from(bytes);
      for (let j = 0; j < 3; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      const r = read(b);
      for (const issue of r.issues) expect(issue.offset).toBeLessThanOrEqual(b.length);
      expect(() => aggregate(r.profile)).not.toThrow();
    }
  });

  it('an unknown type byte stops reading there with its offset', () => {
    const bad = Buffer.from(bytes);
    bad[1] = 0x63; // 'c' (a code object) where the first key's tuple starts
    const r = read(bad);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ fatal: true, offset: 1 });
    expect(r.issues[0].message).toMatch(/unsupported marshal type byte 0x63/);
    expect(() => read(Buffer.from([0x7b, 0x29, 0x03, 0x72, 0xff, 0xff, 0xff, 0x7f]))).not.toThrow();
  });
});

describe('marshal subset', () => {
  const dec = (hex: string) => new MarshalReader(Buffer.from(hex.replace(/\s+/g, ''), 'hex')).readObject();

  it('reserves reference slots in pre-order, so a tuple comes before its children', () => {
    // ( flagged small tuple of 2: flagged 'z' "ab", then r#1 (the string, not the tuple at #0)
    expect(dec('a9 02 fa 02 6162 72 01000000')).toEqual(['ab', 'ab']);
    // a reference to the tuple being read is an error, not a hang
    expect(() => dec('a9 01 72 00000000')).toThrow(MarshalError);
  });

  it('reads ints, longs (15-bit digits), floats, None/True/False, utf-8 strings and dicts', () => {
    expect(dec('e9 ffffffff')).toBe(-1);
    // long 2^30 + 5 = digits [5, 0, 1]; negative count = negative value
    expect(dec('6c 03000000 0500 0000 0100')).toBe(2 ** 30 + 5);
    expect(dec('6c fdffffff 0500 0000 0100')).toBe(-(2 ** 30 + 5));
    expect(dec('67 000000000000f83f')).toBe(1.5);
    expect(dec('29 03 4e 54 46')).toEqual([null, true, false]);
    expect(dec(`75 03000000 ${Buffer.from('μs').toString('hex')}`)).toBe('μs');
    const d = dec('7b 7a 01 6b 69 07000000 30') as MarshalDict;
    expect(d.entries).toEqual([['k', 7]]);
  });

  it('truncation and absurd lengths throw MarshalError with an offset, never allocate or hang', () => {
    for (const hex of ['29 03 4e', '61 ffffff7f 41', '28 ffffff7f', '6c 00000010', '67 0000']) {
      try {
        dec(hex);
        expect.unreachable(hex);
      } catch (e) {
        expect(e, hex).toBeInstanceOf(MarshalError);
        expect((e as MarshalError).offset).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

describe('pstats: detection', () => {
  it('detects the dump by its marshal head, and not the other recordings', () => {
    expect(detectFormat(readFileSync(FILE).subarray(0, 4096))?.name).toBe('pstats');
    // an un-flagged dict and a '(' tuple key are pstats too
    expect(detectFormat(Buffer.from('7b28030000007a017e', 'hex'))?.name).toBe('pstats');
    for (const name of ['austin3-cpu.austin', 'austin3-cpu.mojo', 'node-cpu.cpuprofile', 'austin3-cpu.speedscope.json', 'node-pprof-wall.pb']) {
      expect(detectFormat(readFileSync(recorded(name)).subarray(0, 4096))?.name, name).not.toBe('pstats');
    }
    expect(detectFormat(Buffer.from('{"nodes":[]}'))?.name).not.toBe('pstats');
  });
});
