/**
 * Streaming is a property of the format (issue 8 item 5): `FormatSpec.streaming` says which
 * readers continue a growing file, and for those `end()` is non-destructive. Pushing the bytes
 * that complete a half-written last record after `end()` gives what reading them without the
 * `end()` gives (nothing counted twice, nothing lost), and the issue about the incomplete record
 * goes once it completes.
 */
import { describe, expect, it } from 'vitest';
import { Profile } from '../server/src/core/model';
import { FORMATS } from '../server/src/core/readers/index';
import { compare, read, recordingsOf, snapshot } from './fuzz/fuzz-lib';
import { encodeEvent, encodeHeader, EV, type MojoEvent } from './helpers/mojo-encoder';

const STREAMING = FORMATS.filter((f) => f.streaming).map((f) => f.name);

it('the formats that are read on as they grow, and those read whole', () => {
  expect(Object.fromEntries(FORMATS.map((f) => [f.name, f.streaming]))).toEqual({
    'austin-text': true,
    mojo: true,
    collapsed: true,
    'perf-script': true,
    pprof: false,
    pstats: false,
    cpuprofile: false,
    speedscope: false,
  });
  expect(FORMATS.map((f) => f.name)).not.toContain('austin-mojo');
});

describe.each(STREAMING)('%s: end() at any point, then the rest of the file', (format) => {
  for (const rec of recordingsOf(format as never)) {
    it(rec.name, () => {
      const bytes = rec.bytes;
      const plain = read(format, bytes);
      const want = snapshot(plain.profile);
      // cuts inside records and at record ends, spread over the file
      const cuts = Array.from({ length: 8 }, (_, i) => Math.floor(((i + 0.5) / 8) * bytes.length) + (i % 3));
      cuts.push(...rec.boundaries.filter((_, i) => i % Math.ceil(rec.boundaries.length / 4) === 1).map((b) => b + 1));
      for (const k of cuts) {
        const r = FORMATS.find((f) => f.name === format)!.create(new Profile());
        r.push(bytes.subarray(0, k));
        r.end();
        r.push(bytes.subarray(k));
        r.end();
        const d = compare(snapshot(r.profile), want);
        expect(d, `${rec.name}: end() at ${k}`).toEqual({ more: [], less: [] });
        expect(r.issues, `${rec.name}: end() at ${k}`).toEqual(plain.issues);
        expect(r.consumed).toBe(plain.consumed);
      }
    });
  }
});

describe('a half-written last record: its issue goes once it completes', () => {
  const cases: [string, string, string][] = [
    ['austin-text', '# austin: 3.7.0\n# mode: wall\n\nP1;T0:1;/a.py:f:1 5\nP1;T0:1;/a.py:f:', '2 7\n'],
    ['collapsed', 'a;b 5\na;c', ' 7\n'],
    ['perf-script', 'app 1/1 [000] 1.0: 5 cpu-clock: \n\t 1 f (/x)\n\napp 1/1 [000] 1.1: 7 cpu-clock: \n\t 1 g (/x)\n', '\t 2 main (/x)\n\n'],
  ];
  it.each(cases)('%s', (format, head, rest) => {
    const r = FORMATS.find((f) => f.name === format)!.create(new Profile());
    r.push(Buffer.from(head));
    r.end();
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0].fatal).toBe(false);
    r.push(Buffer.from(rest));
    expect(r.issues).toEqual([]);
    r.end();
    expect(r.issues).toEqual([]);
    const whole = read(format, Buffer.from(head + rest));
    expect(compare(snapshot(r.profile), snapshot(whole.profile))).toEqual({ more: [], less: [] });
  });

  it('Austin text: a sample spread over lines (a garbage string with newlines) waits across end()', () => {
    const head = '# austin: 3.7.0\n# mode: wall\n\nP1;T0:1;/a.py:f:1 5\nP1;T0:1;/a.py:g\n';
    const rest = 'arbage:3 7\n';
    const r = FORMATS.find((f) => f.name === 'austin-text')!.create(new Profile());
    r.push(Buffer.from(head));
    r.end();
    expect(r.issues.map((i) => [i.line, i.message])).toEqual([[5, 'the profile ends inside a sample; skipped']]);
    r.push(Buffer.from(rest));
    r.end();
    expect(r.issues).toEqual([]);
    expect(compare(snapshot(r.profile), snapshot(read('austin-text', Buffer.from(head + rest)).profile))).toEqual({ more: [], less: [] });
    expect(r.profile.metricSum('samples')).toBe(2);
  });

  it('MOJO: a sample counted at end() is not counted twice when its metrics go on (full mode: time, IDLE, memory)', () => {
    const te = new TextEncoder();
    const ev = (events: MojoEvent[]) => {
      const out: number[] = [];
      for (const e of events) encodeEvent(e, 3, out);
      return Uint8Array.from(out);
    };
    const head = Uint8Array.from([
      ...encodeHeader(3),
      ...ev([
        { id: EV.METADATA, offset: 0, key: te.encode('mode'), value: te.encode('wall') },
        { id: EV.STRING, offset: 0, key: 2, value: te.encode('/a.py') },
        { id: EV.STRING, offset: 0, key: 3, value: te.encode('f') },
        { id: EV.FRAME, offset: 0, key: 1, filename: 2, scope: 3, line: 1, lineEnd: 0, column: 0, columnEnd: 0 },
        { id: EV.STACK, offset: 0, pid: 1, iid: 0, tid: te.encode('1') },
        { id: EV.FRAME_REF, offset: 0, value: 1 },
        { id: EV.METRIC_TIME, offset: 0, value: 5 },
      ]),
    ]);
    const rest = ev([{ id: EV.IDLE, offset: 0 }, { id: EV.STACK, offset: 0, pid: 1, iid: 0, tid: te.encode('1') }, { id: EV.FRAME_REF, offset: 0, value: 1 }, { id: EV.METRIC_TIME, offset: 0, value: 6 }]);
    const r = FORMATS.find((f) => f.name === 'mojo')!.create(new Profile());
    r.push(head);
    r.end();
    expect(r.profile.metricSum('samples')).toBe(1);
    expect(r.issues).toEqual([]);
    r.push(rest);
    r.end();
    expect(r.profile.metricSum('samples')).toBe(2);
    expect(r.profile.metricSum('wall')).toBe(11);
    expect(compare(snapshot(r.profile), snapshot(read('mojo', Uint8Array.from([...head, ...rest])).profile))).toEqual({ more: [], less: [] });
  });

  it('MOJO: cut inside an event of a sample that lacks its metrics: one issue for the one cut', () => {
    const te = new TextEncoder();
    const out = encodeHeader(3);
    for (const e of [
      { id: EV.METADATA, offset: 0, key: te.encode('mode'), value: te.encode('cpu') },
      { id: EV.STACK, offset: 0, pid: 1, iid: 0, tid: te.encode('1') },
      { id: EV.STRING, offset: 0, key: 2, value: te.encode('/a/long/file/name.py') },
    ] as MojoEvent[])
      encodeEvent(e, 3, out);
    const bytes = Uint8Array.from(out);
    const r = read('mojo', bytes.subarray(0, bytes.length - 5));
    expect(r.issues.map((i) => i.message)).toEqual([expect.stringMatching(/^the file ends inside a STRING event at byte \d+ \(\d+ bytes of it\), in the sample that starts at byte \d+; the sample is left out$/)]);
  });

  it('MOJO: a sample cut before its metrics is left out with an issue, counted once they arrive', () => {
    const te = new TextEncoder();
    const out = encodeHeader(3);
    for (const e of [
      { id: EV.METADATA, offset: 0, key: te.encode('mode'), value: te.encode('cpu') },
      { id: EV.STACK, offset: 0, pid: 1, iid: 0, tid: te.encode('1') },
      { id: EV.FRAME_INVALID, offset: 0 },
    ] as MojoEvent[])
      encodeEvent(e, 3, out);
    const r = FORMATS.find((f) => f.name === 'mojo')!.create(new Profile());
    r.push(Uint8Array.from(out));
    r.end();
    expect(r.issues.map((i) => i.message)).toEqual([expect.stringMatching(/ends inside the sample that starts at byte \d+ \(its metrics are missing\)/)]);
    const more: number[] = [];
    encodeEvent({ id: EV.METRIC_TIME, offset: 0, value: 9 }, 3, more);
    r.push(Uint8Array.from(more));
    r.end();
    expect(r.issues).toEqual([]);
    expect(r.profile.metricSum('cpu')).toBe(9);
  });
});

it('whole-file formats read again from the start when the file grew after end()', () => {
  const rec = recordingsOf('speedscope')[0];
  const r = FORMATS.find((f) => f.name === 'speedscope')!.create(new Profile());
  r.push(rec.bytes.subarray(0, 1000));
  r.end();
  expect(r.failed).toBe(true);
  r.push(rec.bytes.subarray(1000));
  r.end();
  expect(r.failed).toBe(false);
  expect(r.issues).toEqual([]);
  expect(compare(snapshot(r.profile), snapshot(read('speedscope', rec.bytes).profile))).toEqual({ more: [], less: [] });
  for (const format of ['pprof', 'pstats', 'cpuprofile']) {
    const whole = recordingsOf(format as never)[0];
    const b = FORMATS.find((f) => f.name === format)!.create(new Profile());
    b.push(whole.bytes.subarray(0, 100));
    b.end();
    expect(b.failed, format).toBe(true);
    b.push(whole.bytes.subarray(100));
    b.end();
    expect(b.issues, format).toEqual([]);
    expect(compare(snapshot(b.profile), snapshot(read(format, whole.bytes).profile))).toEqual({ more: [], less: [] });
  }
});
