/**
 * Generated inputs per format for the fuzz suite: files shaped like the real thing (headers,
 * stacks, events, messages) whose numbers and structure run wild: negative, fractional, huge,
 * NaN and infinite values, undefined references, deep and recursive stacks, odd bytes. Built with
 * fast-check arbitraries so that every input is reproducible from a seed.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Function as PFunction, Label, Line, Location, Mapping, Profile as PMessage, Sample, StringTable, ValueType } from 'pprof-format';
import { encodeEvent, encodeHeader, EV, type MojoEvent } from '../helpers/mojo-encoder';

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

/** Numbers a profiler should never write, mixed with ordinary ones. */
export const wildInt = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -100_000, max: -1 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 60, -(2 ** 53), 9_223_372_036_854_775_807) },
);
const wildIntText = fc.oneof(
  { weight: 8, arbitrary: wildInt.map(String) },
  { weight: 1, arbitrary: fc.constantFrom('99999999999999999999999', '1' + '0'.repeat(400), '-0', '00012', '') },
);
export const wildFloat = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 0, max: 1e4, noNaN: true }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -1, 1e308, 2 ** 53, 0) },
);

const name = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('main', 'f', 'g', 'h', 'run', '<module>', 'Inventory.ship', 'lambda') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(5000), '\u202e', 'a\u0000b', '\ud800', 'é') },
);
const file = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('/app/a.py', '/app/b.py', '/usr/lib/python3.11/json/encoder.py', '<frozen importlib._bootstrap>', 'C:\\x86\\a.py') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const line = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 60 }) }, { weight: 1, arbitrary: wildInt });

/** Invalid UTF-8 bytes spliced into text now and then (they must stay distinct, never crash). */
const oddBytes = fc.constantFrom(new Uint8Array([0xff]), new Uint8Array([0xc3]), new Uint8Array([0xed, 0xa0, 0x80]), new Uint8Array([0]), new Uint8Array([13]));

function join(parts: (string | Uint8Array)[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
}

/** Lines of text with, now and then, odd bytes and a missing final newline. */
function textFile(lines: fc.Arbitrary<string>, max = 40): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.array(fc.oneof({ weight: 12, arbitrary: lines }, { weight: 1, arbitrary: oddBytes }), { maxLength: max }), fc.boolean())
    .map(([ls, nl]) => {
      const parts: (string | Uint8Array)[] = [];
      ls.forEach((l, i) => {
        parts.push(l);
        if (typeof l === 'string' && (nl || i < ls.length - 1)) parts.push('\n');
      });
      return join(parts);
    });
}

/** Frames per stack: a few, now and then past the depth limit (10,000) or past twice it (the compaction). */
const depthArb = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(200, 10_001, 21_000) });

// ---- Austin text ----------------------------------------------------------------------------

const austinFrame = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(file, name, line).map(([f, n, l]) => `${f}:${n}:${l}`) },
  { weight: 1, arbitrary: fc.constantFrom(':INVALID:', ':GC:', '<idle>', 'native@0x7f:sym:12', 'kernel:do_sys:3', 'f (a.py);L3', '') },
);
// a deep stack is made of short frames (recursion through a few functions), so that files stay a few MB
const austinStack = fc.tuple(fc.array(austinFrame, { maxLength: 8 }), depthArb).map(([fs, d]) =>
  d > 8 ? [...fs, ...Array.from({ length: d }, (_, i) => `/r.py:f${i % 7}:${i % 13}`)].join(';') : fs.join(';'),
);
const austinMetric = fc.oneof(
  { weight: 6, arbitrary: wildIntText },
  { weight: 2, arbitrary: fc.tuple(wildIntText, fc.constantFrom('0', '1', '2', '-1', ''), wildIntText).map(([a, b, c]) => `${a},${b},${c}`) },
  { weight: 1, arbitrary: fc.tuple(wildIntText, wildIntText, wildIntText).map((t) => t.join(' ')) },
);
const austinLine = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), austinStack, austinMetric).map(([p, t, s, m]) => `P${p};T0:${t}${s ? ';' + s : ''} ${m}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('7f01', 'abc'), austinStack, austinMetric).map(([t, s, m]) => `Thread ${t};${s} ${m}`) },
  { weight: 2, arbitrary: fc.constantFrom('# austin: 3.7.0', '# mode: wall', '# mode: cpu', '# mode: memory', '# mode: full', '# mode: junk', '# interval: 100', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
export const austinText = textFile(austinLine).map((b) => join([Buffer.from('# austin: 3.7.0\n'), b]));

// ---- folded stacks --------------------------------------------------------------------------

const foldedFrame = fc.oneof(
  { weight: 6, arbitrary: name },
  { weight: 2, arbitrary: fc.tuple(name, file, line).map(([n, f, l]) => `${n} (${f}:${l})`) },
  { weight: 2, arbitrary: fc.tuple(name, file, line).map(([n, f, l]) => `${n}:${f}:${l}`) },
  { weight: 1, arbitrary: fc.constantFrom('[unknown]', 'do_syscall_64_[k]', 'process 12:"python x.py"', 'thread (0x7f): MainThread', 'app-123/456', 'sym+0x1f (/lib/x.so)') },
);
const foldedStack = fc.tuple(fc.array(foldedFrame, { minLength: 1, maxLength: 8 }), depthArb).map(([fs, d]) =>
  d > 8 ? [...fs, ...Array.from({ length: d }, (_, i) => `f${i % 7}`)].join(';') : fs.join(';'),
);
const foldedCount = fc.oneof(
  { weight: 6, arbitrary: wildIntText },
  { weight: 1, arbitrary: fc.constantFrom('1.5', '0.25', '1e5', '3.', '-2', '1 2', '7\t9', '1' + '0'.repeat(320)) },
);
export const collapsed = textFile(
  fc.oneof({ weight: 10, arbitrary: fc.tuple(foldedStack, foldedCount).map(([s, c]) => `${s} ${c}`) }, { weight: 1, arbitrary: fc.constantFrom('# comment', '', 'no count here') }),
);

// ---- perf script ----------------------------------------------------------------------------

const perfFrame = fc
  .tuple(fc.integer({ min: 0, max: 0xfffff }), name, fc.constantFrom('/usr/bin/app', '[kernel.kallsyms]', 'inlined', '/lib/libc.so.6'), fc.option(fc.tuple(file, line), { nil: undefined }))
  .map(([a, n, d, src]) => `\t${a.toString(16).padStart(8)} ${n}+0x1${d === 'inlined' ? '' : ` (${d})`}${src ? `\n  ${src[0]}:${src[1]}` : ''}`);
const perfBlock = fc
  .tuple(fc.constantFrom('app', 'python3', 'a b'), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), wildIntText, fc.constantFrom('cpu-clock:ppp:', 'cycles:', 'task-clock:'), fc.array(perfFrame, { maxLength: 8 }), depthArb)
  .map(([comm, pid, tid, period, ev, frames, d]) => {
    const fs = d > 8 ? [...frames, ...Array.from({ length: d }, (_, i) => `\t ${i.toString(16)} f${i % 7}+0x1 (/usr/bin/app)`)] : frames;
    return `${comm} ${pid}/${tid} [000] 1.${pid}${tid}: ${period} ${ev} \n${fs.join('\n')}${fs.length ? '\n' : ''}`;
  });
export const perfScript = textFile(fc.oneof({ weight: 10, arbitrary: perfBlock }, { weight: 1, arbitrary: fc.constantFrom('# ========', 'junk line', '\t 123 orphan_frame (/x)') }), 20);

// ---- MOJO -----------------------------------------------------------------------------------

const mojoEvent = (version: number): fc.Arbitrary<MojoEvent> => {
  const key = fc.integer({ min: 0, max: 12 });
  const value = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 5000 }) }, { weight: 1, arbitrary: wildInt });
  const str = fc.oneof({ weight: 4, arbitrary: name.map(bytes) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }).map((b) => b.filter((x) => x !== 0)) });
  const events: fc.Arbitrary<MojoEvent>[] = [
    fc.tuple(fc.constantFrom('mode', 'interval', 'python'), fc.constantFrom('wall', 'cpu', 'memory', 'full', '100', 'x')).map(([k, v]) => ({ id: EV.METADATA, offset: 0, key: bytes(k), value: bytes(v) })),
    fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1 }), fc.constantFrom('1', '2', '0:3')).map(([pid, iid, tid]) => ({ id: EV.STACK, offset: 0, pid, iid, tid: bytes(tid) })),
    fc.tuple(key, key, key, line).map(([k, f, s, l]) => ({ id: EV.FRAME, offset: 0, key: k, filename: f, scope: s, line: l, lineEnd: l, column: 0, columnEnd: 0 })),
    fc.tuple(key, str).map(([k, v]) => ({ id: EV.STRING, offset: 0, key: k, value: v })),
    key.map((k) => ({ id: EV.FRAME_REF, offset: 0, value: k })),
    value.map((v) => ({ id: EV.METRIC_TIME, offset: 0, value: v })),
    fc.oneof(value, value.map((v) => -v)).map((v) => ({ id: EV.METRIC_MEMORY, offset: 0, value: v })),
    fc.constantFrom(EV.GC, EV.IDLE, EV.FRAME_INVALID).map((id) => ({ id, offset: 0 }) as MojoEvent),
    str.map((s) => ({ id: EV.FRAME_KERNEL, offset: 0, scope: s })),
  ];
  if (version >= 4) events.push(fc.constant({ id: EV.STACK_REPEAT, offset: 0 }));
  return fc.oneof(...events);
};
/** A MOJO file: header, events (sometimes a runaway stack of FRAME_REFs), now and then a bad event id. */
export const mojo = fc
  .integer({ min: 1, max: 4 })
  .chain((v) => fc.tuple(fc.constant(v), fc.array(mojoEvent(v), { maxLength: 60 }), fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }), depthArb))
  .map(([version, events, bad, deep]) => {
    const out = encodeHeader(version);
    const list = [...events];
    if (deep > 8) {
      list.push({ id: EV.STACK, offset: 0, pid: 1, iid: 0, tid: bytes('9') });
      for (let i = 0; i < deep; i++) list.push({ id: EV.FRAME_REF, offset: 0, value: i % 5 });
      list.push({ id: EV.METRIC_TIME, offset: 0, value: 7 });
    }
    for (const e of list) encodeEvent(e, version, out);
    if (bad !== undefined) out.push(bad);
    return Uint8Array.from(out);
  });

// ---- pprof ----------------------------------------------------------------------------------

const bigValue = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 1e6 }) }, { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }) }, { weight: 1, arbitrary: fc.constantFrom(-5, 1n << 60n, (1n << 53n) - 1n) });
/** A pprof message with random samples over a few functions; string indexes may point anywhere. */
export const pprof = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom('cpu', 'wall', 'samples', 'alloc_space'), fc.constantFrom('nanoseconds', 'count', 'bytes', 'µs')), { minLength: 1, maxLength: 3 }),
    fc.array(fc.tuple(name, file, line), { minLength: 1, maxLength: 6 }),
    fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 8 }), fc.array(bigValue, { maxLength: 4 }), fc.option(fc.constantFrom('1', '2'), { nil: undefined })), { maxLength: 30 }),
    fc.boolean(),
    depthArb,
  )
  .map(([types, fns, samples, gz, deep]) => {
    const st = new StringTable();
    const sampleType = types.map(([t, u]) => new ValueType({ type: st.dedup(t), unit: st.dedup(u) }));
    const fn = fns.map(([n, f, l], i) => new PFunction({ id: i + 1, name: st.dedup(n), filename: st.dedup(f), startLine: l }));
    const location = fns.map((_, i) => new Location({ id: i + 1, mappingId: 1, line: [new Line({ functionId: i + 1, line: i + 1 })] }));
    const tid = st.dedup('thread id');
    const sample = samples.map(([locs, values, thread], i) => {
      const ids = i === 0 && deep > 8 ? Array.from({ length: deep }, (_, k) => (k % fns.length) + 1) : locs;
      return new Sample({ locationId: ids, value: values.length ? values : types.map(() => 1), label: thread ? [new Label({ key: tid, str: st.dedup(thread) })] : [] });
    });
    const msg = new PMessage({ sampleType, function: fn, location, sample, mapping: [new Mapping({ id: 1, filename: st.dedup('/bin/app') })], stringTable: st }).encode();
    return gz ? new Uint8Array(gzipSync(msg)) : msg;
  });

// ---- pstats (marshal) -----------------------------------------------------------------------

/** The few marshal types a stats dump holds, written as CPython's marshal (version 4, no refs). */
export class Marshal {
  readonly out: number[] = [];
  byte(b: number) {
    this.out.push(b & 0xff);
  }
  i32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v | 0);
    this.out.push(...b);
  }
  int(v: number) {
    if (Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) {
      this.byte(0x69); // 'i'
      this.i32(v);
    } else this.float(v);
  }
  float(v: number) {
    this.byte(0x67); // 'g'
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.out.push(...b);
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.byte(0x75); // 'u'
    this.i32(b.length);
    this.out.push(...b);
  }
  key(f: string, l: number, n: string) {
    this.byte(0x29); // ')' small tuple
    this.byte(3);
    this.str(f);
    this.int(l);
    this.str(n);
  }
}
const pstatsNum = fc.oneof({ weight: 6, arbitrary: fc.double({ min: 0, max: 10, noNaN: true }) }, { weight: 1, arbitrary: wildFloat });
const pstatsCount = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 1000 }) }, { weight: 1, arbitrary: wildInt });
const pstatsKey = fc.tuple(fc.constantFrom('/app/a.py', '/app/b.py', '~', '<string>'), fc.integer({ min: 0, max: 40 }), name);
type StatsKey = [file: string, line: number, name: string];
/** One pstats entry: (key, cc, nc, tt, ct, callers as (key, nc, cc, tt, ct)). */
export type StatsEntry = [StatsKey, number, number, number, number, [StatsKey, number, number, number, number][]];

/** A pstats dump (a marshal dict) of the given entries, numbers written as given. */
export function marshalStats(entries: StatsEntry[]): Uint8Array {
  const m = new Marshal();
  m.byte(0x7b); // '{'
  for (const [[f, l, n], cc, nc, tt, ct, callers] of entries) {
    m.key(f, l, n);
    m.byte(0x29);
    m.byte(5);
    m.int(cc);
    m.int(nc);
    m.float(tt);
    m.float(ct);
    m.byte(0x7b);
    for (const [[cf, cl, cn], cnc, ccc, ctt, cct] of callers) {
      m.key(cf, cl, cn);
      m.byte(0x29);
      m.byte(4);
      m.int(cnc);
      m.int(ccc);
      m.float(ctt);
      m.float(cct);
    }
    m.byte(0x30); // '0' ends the dict
  }
  m.byte(0x30);
  return Uint8Array.from(m.out);
}

/** A stats dict of random entries and callers, consistent or not. */
export const pstats = fc
  .array(
    fc.tuple(pstatsKey, pstatsCount, pstatsCount, pstatsNum, pstatsNum, fc.array(fc.tuple(pstatsKey, pstatsCount, pstatsCount, pstatsNum, pstatsNum), { maxLength: 3 })),
    { maxLength: 12 },
  )
  .map((entries) => marshalStats(entries));

// ---- speedscope -----------------------------------------------------------------------------

const jsonNumber = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 1e6 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom('-5', '1e400', '-1e400', '1.5', '9007199254740993', '1e308', '0') });
export const speedscope = fc
  .tuple(
    fc.array(fc.tuple(name, fc.option(file, { nil: undefined }), fc.option(line, { nil: undefined })), { maxLength: 6 }),
    fc.array(
      fc.oneof(
        fc.tuple(fc.constant('sampled'), fc.constantFrom('Thread 1', 'CPU time profile for 1:0:2', 'Wall time profile for 1:3', 'Memory allocation profile for 1:4', 'x'), fc.constantFrom('microseconds', 'seconds', 'bytes', 'none', 'parsecs'), fc.array(fc.array(fc.integer({ min: -1, max: 7 }), { maxLength: 6 }), { maxLength: 12 }), fc.array(jsonNumber, { maxLength: 13 }), depthArb),
        fc.tuple(fc.constant('evented'), fc.constantFrom('Thread 2', 'y'), fc.constantFrom('milliseconds', 'none'), fc.array(fc.tuple(fc.constantFrom('O', 'C', 'X'), jsonNumber, fc.integer({ min: -1, max: 7 })), { maxLength: 14 }), fc.constant([] as string[]), depthArb),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([frames, profiles]) => {
    const fr = frames.map(([n, f, l]) => ({ name: n, ...(f !== undefined ? { file: f } : {}), ...(l !== undefined ? { line: l } : {}) }));
    const ps = profiles.map(([type, nm, unit, a, w, deep]) => {
      if (type === 'sampled') {
        const samples = (a as number[][]).map((s, i) => (i === 0 && deep > 8 ? Array.from({ length: deep }, (_, k) => k % Math.max(1, fr.length)) : s));
        return `{"type":"sampled","name":${JSON.stringify(nm)},"unit":"${unit}","startValue":0,"endValue":10,"samples":${JSON.stringify(samples)},"weights":[${(w as string[]).join(',')}]}`;
      }
      const events = (a as [string, string, number][]).map(([t, at, f]) => `{"type":"${t}","at":${at},"frame":${f}}`);
      return `{"type":"evented","name":${JSON.stringify(nm)},"unit":"${unit}","startValue":0,"endValue":10,"events":[${events.join(',')}]}`;
    });
    return bytes(`{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":${JSON.stringify(fr)}},"profiles":[${ps.join(',')}]}`);
  });

// ---- .cpuprofile ----------------------------------------------------------------------------

export const cpuprofile = fc
  .tuple(
    fc.array(fc.tuple(name, file, fc.integer({ min: -1, max: 50 }), fc.integer({ min: 0, max: 9 }), fc.option(wildInt, { nil: undefined }), fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), wildInt), { maxLength: 3 })), { minLength: 1, maxLength: 10 }),
    fc.array(fc.integer({ min: 0, max: 11 }), { maxLength: 40 }),
    fc.array(jsonNumber, { maxLength: 41 }),
    depthArb,
  )
  .map(([nodes, samples, deltas, deep]) => {
    const n = deep > 8 ? Math.max(nodes.length, deep) : nodes.length;
    const out = [];
    for (let i = 0; i < n; i++) {
      const [fn, url, ln, parentPick, hit, ticks] = nodes[i % nodes.length];
      // node 1 is the root; each other node's parent is an earlier node (or its predecessor, for a deep chain)
      const parent = i === 0 ? undefined : deep > 8 ? i : (parentPick % i) + 1;
      out.push({ id: i + 1, callFrame: { functionName: i === 0 ? '(root)' : fn, url, lineNumber: ln, columnNumber: 0 }, ...(hit !== undefined ? { hitCount: hit } : {}), ...(parent ? { parent } : {}), positionTicks: ticks.map(([l, t]) => ({ line: l, ticks: t })) });
    }
    const body = JSON.stringify({ nodes: out, startTime: 0, endTime: 1000, samples: samples.map((s) => (deep > 8 ? n : s)) });
    return bytes(body.replace(/}$/, `,"timeDeltas":[${deltas.join(',')}]}`));
  });

/** Generated inputs by format name. */
export const GENERATED: Record<string, fc.Arbitrary<Uint8Array>> = {
  'austin-text': austinText,
  collapsed,
  'perf-script': perfScript,
  mojo,
  pprof,
  pstats,
  speedscope,
  cpuprofile,
};
