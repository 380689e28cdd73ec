import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../server/src/core/aggregate';
import { loadProfile } from '../server/src/core/load';
import { Profile } from '../server/src/core/model';
import { AustinTextReader } from '../server/src/core/readers/austin-text';
import { detectFormat } from '../server/src/core/readers/index';
import { MOJO_EVENTS, MojoReader, readVarint } from '../server/src/core/readers/mojo';
import { MAX_NAME_LENGTH } from '../server/src/core/readers/values';
import { EV, encodeVarint, parseMojo, repeatSamplesToBuffer, toV4WithRepeats, writeMojo } from './helpers/mojo-encoder';
import { hasUpstream, recorded, upstream } from './helpers/paths';

const RECORDINGS = [
  'austin3-wall.mojo',
  'austin3-cpu.mojo',
  'austin3-full.mojo',
  'austin3-children.mojo',
  'austin3-pytest.mojo',
] as const;

const cache = new Map<string, Uint8Array>();
function load(file: string): Uint8Array {
  let b = cache.get(file);
  if (!b) cache.set(file, (b = new Uint8Array(readFileSync(file))));
  return b;
}

/** Reads bytes in chunks of the given sizes (cycled); one chunk when none are given. */
function read(bytes: Uint8Array, chunks: readonly number[] = []): MojoReader {
  const r = new MojoReader(new Profile());
  if (chunks.length === 0) r.push(bytes);
  else {
    let p = 0;
    for (let i = 0; p < bytes.length; i++) {
      const n = chunks[i % chunks.length];
      r.push(bytes.subarray(p, p + n));
      p += n;
    }
  }
  r.end();
  return r;
}

/** Share (%) of a metric owned by the line `file:line`, where `file` is a path suffix. */
function ownLine(p: Profile, file: string, line: number, metric = p.defaultMetric()): number {
  const a = aggregate(p, {}, metric);
  let v = 0;
  for (let id = 0; id < p.lineCount; id++) {
    const k = p.lineKey(id);
    if (k.line === line && (k.file === file || k.file.endsWith(`/${file}`))) v += a.lineOwn[id];
  }
  return a.percent(v);
}

/** Inclusive share (%) of the functions with this name (once per sample). */
function inclFunction(p: Profile, name: string, metric = p.defaultMetric()): number {
  const a = aggregate(p, {}, metric);
  let v = 0;
  for (let id = 0; id < p.functionCount; id++) if (p.functionAt(id).name === name) v += a.funcTotal[id];
  return a.percent(v);
}

/** Samples whose stack holds an INVALID frame. */
function invalidSamples(p: Profile): number {
  const a = aggregate(p, {}, 'samples');
  let v = 0;
  for (let id = 0; id < p.functionCount; id++) {
    const f = p.functionAt(id);
    if (f.file === '' && f.name === 'INVALID') v += a.funcTotal[id];
  }
  return v;
}

/** Every number a consumer can see for one metric: the total and each line's own and total. */
function fingerprint(p: Profile, metric = p.defaultMetric()): Record<string, number> {
  const a = aggregate(p, {}, metric);
  const out: Record<string, number> = { total: a.total, samples: p.metricSum('samples') };
  for (let id = 0; id < p.lineCount; id++) {
    if (a.lineOwn[id] === 0 && a.lineTotal[id] === 0) continue;
    const k = p.lineKey(id);
    const key = `${k.file}:${k.line}`;
    out[`own ${key}`] = (out[`own ${key}`] ?? 0) + a.lineOwn[id];
    out[`total ${key}`] = (out[`total ${key}`] ?? 0) + a.lineTotal[id];
  }
  return out;
}

describe('Austin varint', () => {
  const dec = (...b: number[]) => readVarint(Uint8Array.from(b), 0, b.length);

  it('decodes the documented example and small values', () => {
    expect(dec(0xc3, 0x02)).toBe(-131);
    expect(dec(0x00)).toBe(0);
    expect(dec(0x3f)).toBe(63);
    expect(dec(0x7f)).toBe(-63);
    expect(dec(0x80, 0x01)).toBe(64);
    expect(dec(0x83, 0x12)).toBe(1155); // pid in the upstream v4 file (formats.md §2.6)
    expect(dec(0x82, 0x11)).toBe(1090);
  });

  it('decodes values beyond 32 bits without bitwise truncation', () => {
    // FRAME key 3027596476459 from the upstream v4 file (formats.md §2.6)
    expect(dec(0xab, 0x80, 0x80, 0xad, 0x9d, 0xb0, 0x01)).toBe(3027596476459);
    for (const n of [2 ** 32, 2 ** 32 + 1, 2 ** 43 + 12345, -(2 ** 40) - 7, Number.MAX_SAFE_INTEGER]) {
      const b = encodeVarint(n);
      expect(readVarint(Uint8Array.from(b), 0, b.length)).toBe(n);
    }
  });

  it('reports a varint cut short as NaN', () => {
    expect(dec(0x80)).toBeNaN();
    expect(dec(0xab, 0x80, 0x80)).toBeNaN();
    expect(dec()).toBeNaN();
  });

  it('round-trips any safe integer through the test encoder', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        const b = encodeVarint(n);
        expect(readVarint(Uint8Array.from(b), 0, b.length)).toBe(n);
      }),
    );
  });
});

describe('MOJO detection', () => {
  it('claims files that start with MOJ, whatever their name', () => {
    expect(detectFormat(load(recorded('austin3-wall.mojo')).subarray(0, 4096))?.name).toBe('mojo');
    expect(detectFormat(Uint8Array.from([0x4d, 0x4f, 0x4a, 0x03]))?.name).toBe('mojo');
    expect(detectFormat(load(recorded('austin3-wall.austin')).subarray(0, 4096))?.name).toBe('austin-text');
  });
});

describe('real Austin 3.7.0 MOJO recordings (answer keys ±0.1 pp)', () => {
  it('austin3-wall.mojo', () => {
    const r = read(load(recorded('austin3-wall.mojo')));
    const p = r.profile;
    expect(r.issues).toEqual([]);
    expect(r.version).toBe(3);
    expect(p.meta.get('austin')).toBe('3.7.0');
    expect(p.meta.get('interval')).toBe('1000');
    expect(p.meta.get('mode')).toBe('wall');
    expect(p.metrics.map((m) => m.key)).toEqual(['wall', 'samples']);
    expect(r.samples).toBe(8763);
    expect(p.metricSum('samples')).toBe(8763);
    expect(p.threads).toHaveLength(5);
    expect(invalidSamples(p)).toBe(39);
    expect(p.metricSum('wall')).toBe(11_118_242);
    expect(ownLine(p, 'workers.py', 12)).toBeCloseTo(24.32, 1);
    expect(ownLine(p, 'workers.py', 17)).toBeCloseTo(12.47, 1);
    expect(ownLine(p, 'threading.py', 1132)).toBeCloseTo(9.62, 1);
    expect(ownLine(p, 'memory.py', 7)).toBeCloseTo(9.32, 1);
    expect(ownLine(p, 'pricing.py', 28)).toBeCloseTo(6.65, 1);
    expect(inclFunction(p, 'audit')).toBeCloseTo(11.69, 1);
  });

  it('austin3-cpu.mojo', () => {
    const r = read(load(recorded('austin3-cpu.mojo')));
    const p = r.profile;
    expect(r.issues).toEqual([]);
    expect(p.metrics.map((m) => m.key)).toEqual(['cpu', 'samples']);
    expect(p.metricSum('samples')).toBe(5428);
    expect(invalidSamples(p)).toBe(120);
    expect(p.metricSum('cpu')).toBe(6_615_380);
    expect(ownLine(p, 'memory.py', 7)).toBeCloseTo(13.69, 1);
    expect(ownLine(p, 'workers.py', 12)).toBeCloseTo(13.14, 1);
    expect(ownLine(p, 'inspect.py', 992)).toBeCloseTo(11.0, 1);
    expect(ownLine(p, 'pricing.py', 28)).toBeCloseTo(8.85, 1);
    expect(inclFunction(p, 'audit')).toBeCloseTo(27.85, 1);
    expect(inclFunction(p, 'fake_io')).toBeCloseTo(0.74, 1);
  });

  it('austin3-full.mojo: time, idle and memory', () => {
    const r = read(load(recorded('austin3-full.mojo')));
    const p = r.profile;
    expect(r.issues).toEqual([]);
    expect(p.metrics.map((m) => m.key)).toEqual(['wall', 'cpu', 'alloc', 'dealloc', 'samples']);
    expect(p.defaultMetric()).toBe('cpu');
    expect(p.metricSum('samples')).toBe(9512);
    expect(p.metricSum('wall')).toBe(13_587_478);
    expect((p.metricSum('cpu') / p.metricSum('wall')) * 100).toBeCloseTo(68.5, 1);
    expect(r.eventCounts[EV.IDLE]).toBe(2968);
    expect(p.metricSum('alloc')).toBe(423_059_456);
    expect(p.metricSum('dealloc')).toBe(396_763_136);
    expect(ownLine(p, 'workers.py', 12, 'wall')).toBeCloseTo(20.18, 1);
    expect(ownLine(p, 'workers.py', 17, 'wall')).toBeCloseTo(9.5, 1);
    expect(ownLine(p, 'memory.py', 7, 'wall')).toBeCloseTo(9.39, 1);
  });

  it('austin3-children.mojo: three processes with their own tables', () => {
    const r = read(load(recorded('austin3-children.mojo')));
    const p = r.profile;
    expect(r.issues).toEqual([]);
    expect(p.meta.get('multiprocess')).toBe('on');
    expect(p.processes()).toHaveLength(3);
    expect(p.metricSum('samples')).toBe(2028);
    expect(p.metricSum('wall')).toBe(3_137_924);
    expect(ownLine(p, 'connection.py', 378)).toBeCloseTo(33.42, 1);
    expect(ownLine(p, 'pricing.py', 28)).toBeCloseTo(25.54, 1);
    expect(ownLine(p, 'pricing.py', 27)).toBeCloseTo(9.83, 1);
  });

  it('austin3-pytest.mojo: deep pytest stacks', () => {
    const r = read(load(recorded('austin3-pytest.mojo')));
    const p = r.profile;
    expect(r.issues).toEqual([]);
    expect(p.meta.get('mode')).toBe('cpu');
    expect(p.metricSum('samples')).toBe(4023);
    expect(ownLine(p, 'inspect.py', 992)).toBeCloseTo(17.68, 1);
    expect(ownLine(p, '<frozen genericpath>', 19)).toBeCloseTo(13.45, 1);
    expect(ownLine(p, 'inspect.py', 1660)).toBeCloseTo(11.14, 1);
    // the hottest line of the user's own code
    const a = aggregate(p);
    const mine = a.topLines('own', 1, (id) => p.lineKey(id).file.startsWith('/home/dev/shop/'));
    expect(p.lineKey(mine[0])).toEqual({ file: '/home/dev/shop/shop/workers.py', line: 12 });
    expect(a.percent(a.lineOwn[mine[0]])).toBeCloseTo(3.6, 1);
  });

  it('own values of all lines add up to the total of the samples that have frames', () => {
    for (const name of RECORDINGS) {
      const p = read(load(recorded(name))).profile;
      for (const m of p.metrics) {
        const a = aggregate(p, {}, m.key);
        const mi = p.metricIndex(m.key);
        let frameless = 0;
        for (const t of p.threads) frameless += p.nodeSelf[p.root(t.index) * p.metricsPerNode + mi];
        const own = a.lineOwn.reduce((x, y) => x + y, 0);
        expect(own, `${name} ${m.key}`).toBeCloseTo(a.total - frameless, 3);
        // once per sample: no line's total exceeds the scope total
        expect(Math.max(...a.lineTotal), `${name} ${m.key}`).toBeLessThanOrEqual(a.total + 1e-6);
      }
    }
  });

  it('keeps columns and end lines, which only MOJO carries', () => {
    const p = read(load(recorded('austin3-wall.mojo'))).profile;
    let withColumns = 0;
    for (let id = 0; id < p.frameCount; id++) {
      const f = p.frameAt(id);
      if (f.column > 0) {
        withColumns++;
        expect(f.lineEnd).toBeGreaterThanOrEqual(f.line);
        expect(f.kind === 'source' || f.file.startsWith('<')).toBe(true);
      }
    }
    expect(withColumns).toBeGreaterThan(100);
    const invalid = [...Array(p.frameCount).keys()].map((id) => p.frameAt(id)).find((f) => f.name === 'INVALID');
    expect(invalid).toMatchObject({ file: '', line: 0, kind: 'synthetic' });
  });
});

if (!hasUpstream) console.warn('[flamelens] Austin 4 upstream tests skipped: ../shared/profiles/upstream not found (another project\'s data, never copied into the repo)');
describe.skipIf(!hasUpstream)('upstream Austin 4.0.0 MOJO v4 (STACK_REPEAT)', () => {
  const file = () => load(upstream('austin4.0.0-repeat.mojo'));

  it('reads the events, metadata and threads of the answer key', () => {
    const r = read(file());
    const p = r.profile;
    expect(r.issues).toEqual([]);
    expect(r.version).toBe(4);
    const c = r.eventCounts;
    expect([c[EV.METADATA], c[EV.STACK], c[EV.STACK_REPEAT], c[EV.FRAME_REF], c[EV.FRAME], c[EV.STRING], c[EV.METRIC_TIME]]).toEqual([
      9, 1708, 973, 2163, 20, 8, 1708,
    ]);
    expect(Object.fromEntries([...p.meta])).toMatchObject({
      austin: '4.0.0',
      interval: '1000',
      mode: 'wall',
      python: '3.13.1',
      count: '1708',
      duration: '891235',
      sampling: '7,17,180',
      saturation: '0/891',
      errors: '0/1708',
    });
    expect(p.processes()).toEqual(['1155']);
    const perThread = p.threads.map((t) => [t.tid, aggregate(p, { thread: t.index }, 'samples').total]);
    expect(Object.fromEntries(perThread)).toEqual({ '16e793000': 817, '1ef20d8c0': 891 });
    expect(p.metricSum('wall')).toBe(1_706_506);
    // frameless samples add to the thread roots
    let frameless = 0;
    for (const t of p.threads) frameless += p.nodeSelf[p.root(t.index) * p.metricsPerNode + p.metricIndex('samples')];
    expect(frameless).toBe(8);
  });

  it('rebuilds repeated stacks from the previous stack of the same thread', () => {
    const p = read(file()).profile;
    expect(ownLine(p, 'target34.py', 32)).toBeCloseTo(79.23, 1);
    expect(ownLine(p, 'target34.py', 31)).toBeCloseTo(7.74, 1);
    expect(ownLine(p, 'target34.py', 30)).toBeCloseTo(4.18, 1);
    expect(ownLine(p, 'target34.py', 38)).toBeCloseTo(3.64, 1);
    expect(ownLine(p, 'threading.py', 992)).toBeCloseTo(3.51, 1);
    expect(inclFunction(p, 'keep_cpu_busy')).toBeCloseTo(91.97, 1);
    // columns of target34.py:32 `i % 1000000 == 0` (formats.md §2.5)
    const f = [...Array(p.frameCount).keys()].map((id) => p.frameAt(id)).find((x) => x.line === 32);
    expect(f).toMatchObject({ lineEnd: 32, column: 12, columnEnd: 28, kind: 'source' });
  });

  it("agrees line by line with austin-python's text conversion of the same file", () => {
    const text = new AustinTextReader(new Profile());
    text.push(load(upstream('austin4.0.0-repeat.austin')));
    text.end();
    const mojo = read(file()).profile;
    expect(fingerprint(mojo)).toEqual(fingerprint(text.profile));
    expect(mojo.threads.map((t) => BigInt(`0x${t.tid}`).toString())).toEqual(text.profile.threads.map((t) => t.tid));
  });

  it('differs from a decoder that ignores STACK_REPEAT, as the answer key says', () => {
    const { events } = parseMojo(file());
    const stripped = writeMojo(4, events.filter((e) => e.id !== EV.STACK_REPEAT));
    const p = read(stripped).profile;
    expect(ownLine(p, 'target34.py', 32)).toBeCloseTo(33.58, 1);
  });
});

describe('MOJO v4 re-encoded from the v3 recordings', () => {
  for (const name of ['austin3-wall.mojo', 'austin3-cpu.mojo', 'austin3-full.mojo', 'austin3-children.mojo']) {
    it(`${name} with STACK_REPEAT reads back to the same numbers`, () => {
      const original = read(load(recorded(name)));
      const v4 = toV4WithRepeats(load(recorded(name)));
      const r = read(v4);
      expect(r.issues).toEqual([]);
      expect(r.version).toBe(4);
      expect(r.eventCounts[EV.STACK_REPEAT]).toBeGreaterThan(original.samples / 10);
      expect(r.eventCounts[EV.FRAME_REF]).toBeLessThan(original.eventCounts[EV.FRAME_REF]);
      for (const m of original.profile.metrics) expect(fingerprint(r.profile, m.key)).toEqual(fingerprint(original.profile, m.key));
    });
  }

  it('round-trips v1 and v2 layouts through the encoder', () => {
    const src = load(recorded('austin3-cpu.mojo'));
    const { events } = parseMojo(src);
    const want = fingerprint(read(src).profile);
    for (const version of [1, 2]) {
      const r = read(writeMojo(version, events));
      expect(r.issues).toEqual([]);
      expect(r.version).toBe(version);
      const p = r.profile;
      // v1 has no interpreter ids or columns, so frames and thread keys differ, not the numbers
      expect(fingerprint(p)).toEqual(want);
      if (version === 1) for (let id = 0; id < p.frameCount; id++) expect(p.frameAt(id).column).toBe(0);
    }
  });

  it('repeats samples N times, with and without their own thread ids', () => {
    const src = toV4WithRepeats(load(recorded('austin3-wall.mojo')));
    const once = read(src).profile;
    const same = read(repeatSamplesToBuffer(src, 3)).profile;
    expect(same.metricSum('wall')).toBe(3 * once.metricSum('wall'));
    expect(same.threads).toHaveLength(once.threads.length);
    expect(ownLine(same, 'workers.py', 12)).toBeCloseTo(ownLine(once, 'workers.py', 12), 6);
    const own = read(repeatSamplesToBuffer(src, 3, { threadIdsPerRepetition: true })).profile;
    expect(own.threads).toHaveLength(3 * once.threads.length);
    expect(own.metricSum('wall')).toBe(3 * once.metricSum('wall'));
    expect(ownLine(own, 'workers.py', 12)).toBeCloseTo(ownLine(once, 'workers.py', 12), 6);
  });
});

describe('streaming', () => {
  it('gives exactly the same model whatever the chunk sizes', () => {
    const files = [...RECORDINGS.map((f) => load(recorded(f))), toV4WithRepeats(load(recorded('austin3-full.mojo')))];
    const whole = files.map((b) => fingerprint(read(b).profile));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: files.length - 1 }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 12 }),
        (i, chunks) => {
          expect(fingerprint(read(files[i], chunks).profile)).toEqual(whole[i]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('decodes byte by byte', () => {
    const b = load(recorded('austin3-children.mojo'));
    expect(fingerprint(read(b, [1]).profile)).toEqual(fingerprint(read(b).profile));
  });

  it('continues a growing file with the same reader', () => {
    const b = load(recorded('austin3-wall.mojo'));
    const r = new MojoReader(new Profile());
    r.push(b.subarray(0, 200_001));
    const partial = r.profile.metricSum('samples');
    expect(partial).toBeGreaterThan(0);
    expect(r.consumed).toBeLessThanOrEqual(200_001);
    r.push(b.subarray(200_001));
    r.end();
    expect(r.issues).toEqual([]);
    expect(fingerprint(r.profile)).toEqual(fingerprint(read(b).profile));
  });

  it('continues after an early end() and still ends with the numbers of the whole file', () => {
    for (const name of ['austin3-wall.mojo', 'austin3-full.mojo']) {
      const b = load(recorded(name));
      const want = fingerprint(read(b).profile);
      for (const cut of [5_001, 123_457, 300_000, b.length - 3]) {
        const r = new MojoReader(new Profile());
        r.push(b.subarray(0, cut));
        r.end(); // a watcher that saw the file stop growing for a while
        r.push(b.subarray(cut));
        r.end();
        expect(fingerprint(r.profile), `${name} cut at ${cut}`).toEqual(want);
      }
    }
  });

  it('loads through loadProfile, whose chunk buffer is reused, with the numbers of one whole push', async () => {
    for (const name of RECORDINGS) {
      const { profile, reader } = await loadProfile(recorded(name), { chunkSize: 4093 });
      expect(reader.format).toBe('mojo');
      expect(reader.issues).toEqual([]);
      expect(fingerprint(profile)).toEqual(fingerprint(read(load(recorded(name))).profile));
    }
  });

  it('does not keep a reference to a chunk it was given', () => {
    const b = load(recorded('austin3-cpu.mojo'));
    const r = new MojoReader(new Profile());
    const chunk = new Uint8Array(4099);
    for (let p = 0; p < b.length; p += chunk.length) {
      const part = b.subarray(p, p + chunk.length);
      chunk.set(part);
      r.push(chunk.subarray(0, part.length));
      chunk.fill(0xff); // the caller reuses its buffer
    }
    r.end();
    expect(fingerprint(r.profile)).toEqual(fingerprint(read(b).profile));
  });
});

describe('truncated and corrupt files', () => {
  const files = [...RECORDINGS, 'austin3-wall.v4'];
  const bytesOf = (name: string) =>
    name.endsWith('.v4') ? toV4WithRepeats(load(recorded('austin3-wall.mojo'))) : load(recorded(name));

  for (const name of files) {
    it(`${name} cut at 40 offsets keeps what came before and says where it stopped`, () => {
      const b = bytesOf(name);
      const events = parseMojo(b).events;
      const full = read(b).profile;
      const fullSamples = full.metricSum('samples');
      const fullTotal = aggregate(full).total;
      const cuts = [0, 1, 2, 3];
      for (let i = 1; i <= 36; i++) cuts.push(Math.floor((b.length * i) / 37) + (i % 5));
      const starts = new Set(events.map((e) => e.offset));
      for (const cut of cuts) {
        const r = read(b.subarray(0, cut));
        const p = r.profile;
        expect(r.failed).toBe(false);
        if (cut < 4) {
          expect(r.issues[0].message).toMatch(/header|empty/);
          continue;
        }
        const total = aggregate(p).total;
        expect(total).toBeLessThanOrEqual(fullTotal);
        const samples = p.metricSum('samples');
        expect(samples).toBeLessThanOrEqual(fullSamples);
        // every sample that ended before the cut is there: the stacks that start before it, minus the cut one
        const stacksBefore = events.filter((e) => e.id === EV.STACK && e.offset < cut).length;
        expect(samples).toBeGreaterThanOrEqual(stacksBefore - 1);
        if (!starts.has(cut) && cut < b.length) {
          const issue = r.issues.find((i) => /ends inside a \w+ event/.test(i.message));
          expect(issue, `cut at ${cut}`).toBeDefined();
          expect(issue!.offset).toBeLessThan(cut);
          expect(starts.has(issue!.offset)).toBe(true);
        }
      }
    });
  }

  it('drops a sample cut before its metrics and says so', () => {
    const b = load(recorded('austin3-cpu.mojo'));
    const events = parseMojo(b).events;
    // cut just before the 100th sample's METRIC_TIME event
    const stacks = events.filter((e) => e.id === EV.STACK);
    const next = events.find((e) => e.offset > stacks[99].offset && e.id === EV.METRIC_TIME)!;
    const r = read(b.subarray(0, next.offset));
    expect(r.profile.metricSum('samples')).toBe(99);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ offset: stacks[99].offset, fatal: false });
    expect(r.issues[0].message).toContain(`byte ${stacks[99].offset}`);
  });

  it('stops at an event id 0 with the byte offset and keeps the samples before it', () => {
    const b = load(recorded('austin3-wall.mojo'));
    const events = parseMojo(b).events;
    const stacks = events.filter((e) => e.id === EV.STACK);
    const at = stacks[500].offset;
    const bad = new Uint8Array(b.length + 1);
    bad.set(b.subarray(0, at));
    bad[at] = 0;
    bad.set(b.subarray(at), at + 1);
    const r = read(bad, [65_536]);
    expect(r.failed).toBe(true);
    const fatal = r.issues.filter((i) => i.fatal);
    expect(fatal).toHaveLength(1);
    expect(fatal[0].offset).toBe(at);
    expect(fatal[0].message).toContain(`byte ${at}`);
    expect(r.profile.metricSum('samples')).toBe(500);
  });

  it('rejects an unknown event id and a STACK_REPEAT in a v3 file', () => {
    for (const id of [0x2a, EV.STACK_REPEAT]) {
      const b = load(recorded('austin3-children.mojo'));
      const at = parseMojo(b).events.filter((e) => e.id === EV.STACK)[10].offset;
      const bad = Uint8Array.from(b);
      bad[at] = id;
      const r = read(bad);
      expect(r.failed).toBe(true);
      expect(r.issues.find((i) => i.fatal)).toMatchObject({ offset: at });
      expect(r.profile.metricSum('samples')).toBe(10);
    }
  });

  it('refuses a file that is not MOJO or of an unknown version', () => {
    const notMojo = read(Uint8Array.from([0x50, 0x31, 0x3b]));
    expect(notMojo.failed).toBe(true);
    expect(notMojo.issues[0]).toMatchObject({ offset: 0, fatal: true });
    const v9 = read(Uint8Array.from([0x4d, 0x4f, 0x4a, 0x09, 0x02]));
    expect(v9.failed).toBe(true);
    expect(v9.issues[0].message).toMatch(/version 9/);
  });
});

describe('small literal streams', () => {
  const s = (t: string) => new TextEncoder().encode(t);
  const meta = (k: string, v: string) => ({ id: EV.METADATA, offset: -1, key: s(k), value: s(v) }) as const;
  const stack = (tid: string, pid = 7) => ({ id: EV.STACK, offset: -1, pid, iid: 0, tid: s(tid) }) as const;
  const str = (key: number, v: string) => ({ id: EV.STRING, offset: -1, key, value: s(v) }) as const;
  const frame = (key: number, filename: number, scope: number, line: number) =>
    ({ id: EV.FRAME, offset: -1, key, filename, scope, line, lineEnd: line, column: 0, columnEnd: 0 }) as const;
  const ref = (value: number) => ({ id: EV.FRAME_REF, offset: -1, value }) as const;
  const time = (value: number) => ({ id: EV.METRIC_TIME, offset: -1, value }) as const;
  const mem = (value: number) => ({ id: EV.METRIC_MEMORY, offset: -1, value }) as const;
  const bare = (id: 4 | 7 | 8 | 13) => ({ id, offset: -1 }) as const;

  it('infers full mode from the metric events when no mode metadata comes first', () => {
    const b = writeMojo(3, [
      stack('a'),
      str(2, 'app.py'),
      frame(2 ** 40 + 3, 2, 1, 10),
      ref(2 ** 40 + 3),
      time(100),
      bare(EV.IDLE),
      mem(-4096),
      stack('a'),
      ref(2 ** 40 + 3),
      bare(EV.GC),
      time(50),
      mem(512),
      meta('mode', 'full'),
    ]);
    const r = read(b);
    const p = r.profile;
    expect(r.issues).toEqual([]);
    expect(p.metrics.map((m) => m.key)).toEqual(['wall', 'cpu', 'alloc', 'dealloc', 'samples']);
    expect([p.metricSum('wall'), p.metricSum('cpu'), p.metricSum('alloc'), p.metricSum('dealloc')]).toEqual([150, 50, 512, 4096]);
    // scope ref 1 is the predefined <unknown>; GC is a synthetic leaf like text's :GC:
    const frames = [...Array(p.frameCount).keys()].map((id) => p.frameAt(id));
    expect(frames.map((f) => [f.file, f.name, f.line, f.kind])).toEqual([
      ['app.py', '<unknown>', 10, 'source'],
      ['', 'GC', 0, 'synthetic'],
    ]);
    // column 0: line_end is not trusted
    expect(frames[0].lineEnd).toBe(0);
  });

  it('keeps string and frame tables per process', () => {
    const b = writeMojo(3, [
      meta('mode', 'wall'),
      stack('a', 1),
      str(5, 'one.py'),
      str(6, 'f'),
      frame(9, 5, 6, 1),
      ref(9),
      time(10),
      stack('a', 2),
      str(5, 'two.py'),
      str(6, 'g'),
      frame(9, 5, 6, 2),
      ref(9),
      time(20),
      stack('a', 1),
      ref(9),
      time(30),
    ]);
    const p = read(b).profile;
    expect(ownLine(p, 'one.py', 1)).toBeCloseTo((40 / 60) * 100, 6);
    expect(ownLine(p, 'two.py', 2)).toBeCloseTo((20 / 60) * 100, 6);
    expect(p.processes()).toEqual(['1', '2']);
  });

  it('STACK_REPEAT replaces the native top of the base with the native frames that follow', () => {
    const b = writeMojo(4, [
      meta('mode', 'wall'),
      stack('a'),
      str(2, 'app.py'),
      str(3, 'libc.so'),
      str(4, 'main'),
      str(5, 'read'),
      str(6, 'write'),
      frame(10, 2, 4, 3),
      frame(11, 3, 5, 0),
      frame(12, 3, 6, 0),
      ref(10),
      ref(11),
      time(10),
      stack('b'),
      bare(EV.STACK_REPEAT), // no previous stack for this thread: empty base
      time(1),
      stack('a'),
      bare(EV.STACK_REPEAT),
      ref(12),
      time(20),
      stack('a'),
      bare(EV.STACK_REPEAT),
      time(40),
    ]);
    const r = read(b);
    expect(r.issues).toEqual([]);
    const p = r.profile;
    const a = aggregate(p);
    const leaf = (name: string) => {
      let v = 0;
      for (let id = 0; id < p.functionCount; id++) if (p.functionAt(id).name === name) v += a.funcOwn[id];
      return v;
    };
    expect([leaf('read'), leaf('write'), a.total]).toEqual([10, 60, 71]);
    let mainTotal = 0;
    for (let id = 0; id < p.functionCount; id++) if (p.functionAt(id).name === 'main') mainTotal += a.funcTotal[id];
    expect(mainTotal).toBe(70);
  });

  it('maps kernel, invalid and austinp native frames to synthetic frames', () => {
    const b = writeMojo(1, [
      meta('map', '400000-423000 /usr/bin/python3.8'),
      meta('mode', 'cpu'),
      stack('7f01'),
      str(2, 'app.py'),
      str(3, 'main'),
      str(4, 'native@4f28b6'),
      str(5, '_PyEval_EvalFrameDefault'),
      str(6, '/usr/lib/libz.so'),
      frame(10, 2, 3, 3),
      frame(11, 4, 5, 1234),
      frame(12, 6, 5, 99),
      ref(10),
      ref(11),
      ref(12),
      bare(EV.FRAME_INVALID),
      { id: EV.FRAME_KERNEL, offset: -1, scope: s('do_syscall_64') },
      time(5),
    ]);
    const r = read(b);
    expect(r.issues).toEqual([]);
    const p = r.profile;
    expect(p.threads[0]).toMatchObject({ pid: '7', tid: '7f01', iid: '', label: '7f01' });
    const frames = [...Array(p.frameCount).keys()].map((id) => p.frameAt(id));
    expect(frames.map((f) => [f.file, f.name, f.line, f.kind])).toEqual([
      ['app.py', 'main', 3, 'source'],
      ['native', '_PyEval_EvalFrameDefault', 0, 'synthetic'],
      ['/usr/lib/libz.so', '_PyEval_EvalFrameDefault', 0, 'synthetic'],
      ['', 'INVALID', 0, 'synthetic'],
      ['kernel', 'do_syscall_64', 0, 'synthetic'],
    ]);
    expect(p.sourceFiles()).toEqual(['app.py']);
  });

  it('skips asyncio task blocks (TASK_STACK frames and their time) inside a sample', () => {
    const b = writeMojo(4, [
      meta('mode', 'wall'),
      stack('a'),
      str(2, 'app.py'),
      str(3, 'main'),
      str(4, 'worker'),
      frame(10, 2, 3, 3),
      frame(11, 2, 4, 8),
      { id: EV.TASK_STACK, offset: -1, a: 2 ** 45, b: 4 },
      ref(11),
      time(999),
      { id: EV.TASK_WAITER, offset: -1, a: 2 ** 45, b: 2 ** 44 },
      ref(10),
      time(10),
    ]);
    const r = read(b);
    expect(r.issues).toEqual([]);
    expect(r.eventCounts[EV.TASK_STACK]).toBe(1);
    const p = r.profile;
    expect(p.metricSum('wall')).toBe(10);
    expect(ownLine(p, 'app.py', 3)).toBe(100);
    expect(aggregate(p).lineTotal.reduce((x, y) => x + y, 0)).toBe(10);
  });

  it('waits for an event longer than a chunk', () => {
    const long = 'x'.repeat(50_000);
    const b = writeMojo(3, [
      meta('mode', 'wall'),
      stack('a'),
      str(2, long),
      frame(10, 2, 1, 3),
      ref(10),
      time(10),
      meta('note', long),
      stack('a'),
      ref(10),
      time(5),
    ]);
    // names and values past the name limit are cut, with one counted issue
    const cut = long.slice(0, MAX_NAME_LENGTH - 1) + '\u2026';
    for (const chunks of [[7, 20_000], [20_000], [1_000], [40_000, 3]]) {
      const r = read(b, chunks);
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0].message).toMatch(/a name of 50,000 characters is longer than the limit of 4,096; 2 such names were cut/);
      expect(r.profile.meta.get('note')).toBe(cut);
      expect(ownLine(r.profile, cut, 3)).toBe(100);
      expect(r.profile.metricSum('wall')).toBe(15);
      expect(r.consumed).toBe(b.length);
    }
  });

  it('names every event id it knows', () => {
    expect(MOJO_EVENTS[EV.STACK_REPEAT]).toBe('STACK_REPEAT');
    expect(MOJO_EVENTS).toHaveLength(16);
  });
});
