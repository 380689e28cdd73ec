/**
 * Valid input is neither rejected nor merged (issue 17 item 7): names whose bytes are not UTF-8
 * stay distinct in every reader (they all became U+FFFD, so 60 directories merged into one file
 * entry), and folded stacks are detected with a first line longer than the 4 KiB head, with a NUL
 * byte, or with an `[unknown]` root.
 */
import fc from 'fast-check';
import { Function as PFunction, Line, Location, Profile as PMessage, Sample, StringTable, ValueType } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../server/src/core/readers/index';
import { decodeUtf8 } from '../server/src/core/readers/utf8-decode';
import { encodeEvent, encodeHeader, EV, type MojoEvent } from './helpers/mojo-encoder';
import { read, recordings } from './fuzz/fuzz-lib';
import { Marshal } from './fuzz/generators';

/** The inverse of decodeUtf8's escaping, written from its documented rule: the bytes back. */
function encodeBack(s: string): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  let lit = '';
  while (i < s.length) {
    if (s[i] === '\\') {
      let j = i;
      while (s[j] === '\\') j++;
      const m = j - i;
      if (/^x[89a-f][0-9a-f]/.test(s.slice(j, j + 3))) {
        lit += '\\'.repeat(m >> 1);
        if (m % 2 === 1) {
          parts.push(Buffer.from(lit, 'utf8'), Buffer.from([parseInt(s.slice(j + 1, j + 3), 16)]));
          lit = '';
          i = j + 3;
        } else i = j;
        continue;
      }
      lit += s.slice(i, j);
      i = j;
      continue;
    }
    lit += s[i++];
  }
  parts.push(Buffer.from(lit, 'utf8'));
  return Buffer.concat(parts);
}

describe('decodeUtf8', () => {
  it('valid UTF-8 decodes as usual; each bad byte becomes a visible \\xNN', () => {
    expect(decodeUtf8(Buffer.from('/home/dévé/a.py'))).toBe('/home/dévé/a.py');
    expect(decodeUtf8(Buffer.from([0x2f, 0x61, 0xff, 0x62]))).toBe('/a\\xffb');
    expect(decodeUtf8(Buffer.from([0xe2, 0x82]))).toBe('\\xe2\\x82'); // a cut sequence: each byte
    expect(decodeUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80'); // an encoded surrogate
    expect(decodeUtf8(Buffer.from('C:\\x64\\a.py'))).toBe('C:\\x64\\a.py'); // not an escape's shape
    expect(decodeUtf8(Buffer.from('C:\\x86\\a.py'))).toBe('C:\\\\x86\\a.py'); // doubled: it has one
  });

  it('is injective: the bytes come back from the text (property over random bytes)', () => {
    const alphabet = fc.constantFrom(0x5c, 0x78, 0x38, 0x61, 0x66, 0x30, 0xff, 0x80, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0x2f);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.array(alphabet, { maxLength: 24 }).map((a) => Uint8Array.from(a))), (b) => {
        const s = decodeUtf8(b);
        expect(encodeBack(s)).toEqual(Buffer.from(b));
      }),
      { seed: 17, numRuns: 3000 },
    );
  });
});

describe('60 directories whose names differ only in a byte that is not UTF-8 stay 60 files, in every reader', () => {
  const dirs = Array.from({ length: 60 }, (_, i) => Buffer.concat([Buffer.from('/srv/d'), Buffer.from([0x80 + i]), Buffer.from('/app.py')]));
  const expectDistinct = (files: string[]) => {
    expect(new Set(files).size).toBe(60);
    expect(files.every((f) => /^\/srv\/d\\x[89ab][0-9a-f]\/app\.py$/.test(f))).toBe(true);
  };
  const lines = (f: (d: Buffer, i: number) => Buffer) => Buffer.concat(dirs.map(f));

  it('Austin text', () => {
    const r = read('austin-text', Buffer.concat([Buffer.from('# austin: 3.7.0\n# mode: wall\n\n'), lines((d) => Buffer.concat([Buffer.from('P1;T0:1;'), d, Buffer.from(':main:3 10\n')]))]));
    expectDistinct(r.profile.sourceFiles());
  });

  it('folded stacks (py-spy frames)', () => {
    const r = read('collapsed', lines((d) => Buffer.concat([Buffer.from('main ('), d, Buffer.from(':3) 1\n')])));
    expectDistinct(r.profile.sourceFiles());
  });

  it('perf script (srcline)', () => {
    const r = read('perf-script', lines((d, i) => Buffer.concat([Buffer.from(`app 1/1 [000] 1.${i}: 10 cpu-clock: \n\t 1 f+0x1 (/bin/app)\n  `), d, Buffer.from(':3\n\n')])));
    expectDistinct(r.profile.sourceFiles());
  });

  it('MOJO', () => {
    const out = encodeHeader(3);
    const ev: MojoEvent[] = [{ id: EV.METADATA, offset: 0, key: Buffer.from('mode'), value: Buffer.from('wall') }, { id: EV.STRING, offset: 0, key: 1000, value: Buffer.from('main') }];
    dirs.forEach((d, i) => {
      ev.push({ id: EV.STRING, offset: 0, key: 2 + i, value: d });
      ev.push({ id: EV.FRAME, offset: 0, key: 100 + i, filename: 2 + i, scope: 1000, line: 3, lineEnd: 0, column: 0, columnEnd: 0 });
      ev.push({ id: EV.STACK, offset: 0, pid: 1, iid: 0, tid: Buffer.from('1') }, { id: EV.FRAME_REF, offset: 0, value: 100 + i }, { id: EV.METRIC_TIME, offset: 0, value: 10 });
    });
    for (const e of ev) encodeEvent(e, 3, out);
    expectDistinct(read('mojo', Uint8Array.from(out)).profile.sourceFiles());
  });

  it('speedscope (raw bytes inside JSON strings, with and without escapes, across chunks)', () => {
    const frames = Buffer.concat(dirs.map((d, i) => Buffer.concat([Buffer.from(`${i ? ',' : ''}{"name":"m\\u0061in","file":"`), d, Buffer.from('"}')])));
    const doc = Buffer.concat([Buffer.from('{"shared":{"frames":['), frames, Buffer.from(`]},"profiles":[{"type":"sampled","name":"Thread 1","unit":"none","startValue":0,"endValue":1,"samples":[${dirs.map((_, i) => `[${i}]`).join(',')}],"weights":[${dirs.map(() => 1).join(',')}]}]}`)]);
    expectDistinct(read('speedscope', doc).profile.sourceFiles());
    expectDistinct(read('speedscope', doc, [7, 3]).profile.sourceFiles());
  });

  it('.cpuprofile', () => {
    const nodes = Buffer.concat(dirs.map((d, i) => Buffer.concat([Buffer.from(`,{"id":${i + 2},"parent":1,"callFrame":{"functionName":"main","url":"`), d, Buffer.from('","lineNumber":2}}')])));
    const doc = Buffer.concat([Buffer.from('{"nodes":[{"id":1,"callFrame":{"functionName":"(root)","url":"","lineNumber":-1}}'), nodes, Buffer.from(`],"startTime":0,"endTime":60,"samples":[${dirs.map((_, i) => i + 2).join(',')}],"timeDeltas":[${dirs.map(() => 1).join(',')}]}`)]);
    expectDistinct(read('cpuprofile', doc).profile.sourceFiles());
  });

  it('pprof', () => {
    const st = new StringTable();
    const names = dirs.map((_, i) => st.dedup(`PLACEHOLDER${String(i).padStart(3, '0')}`));
    const msg = new PMessage({
      sampleType: [new ValueType({ type: st.dedup('samples'), unit: st.dedup('count') })],
      function: dirs.map((_, i) => new PFunction({ id: i + 1, name: st.dedup('main'), filename: names[i] })),
      location: dirs.map((_, i) => new Location({ id: i + 1, line: [new Line({ functionId: i + 1, line: 3 })] })),
      sample: dirs.map((_, i) => new Sample({ locationId: [i + 1], value: [1] })),
      stringTable: st,
    }).encode();
    // swap the placeholders for the raw paths (same length: 14 bytes each)
    const b = Buffer.from(msg);
    dirs.forEach((d, i) => b.set(d, b.indexOf(`PLACEHOLDER${String(i).padStart(3, '0')}`)));
    expect(dirs[0].length).toBe(14);
    expectDistinct(read('pprof', b).profile.sourceFiles());
  });

  it('pstats (marshal utf8 strings)', () => {
    const m = new Marshal();
    m.byte(0x7b);
    for (const d of dirs) {
      m.byte(0x29);
      m.byte(3);
      m.byte(0x75);
      m.i32(d.length);
      m.out.push(...d);
      m.int(1);
      m.str('main');
      m.byte(0x29);
      m.byte(5);
      for (const v of [1, 1]) m.int(v);
      for (const v of [0.5, 0.5]) m.float(v);
      m.byte(0x7b);
      m.byte(0x30);
    }
    m.byte(0x30);
    expectDistinct(read('pstats', Uint8Array.from(m.out)).profile.sourceFiles());
  });
});

describe('detection of folded stacks', () => {
  const detect = (s: string | Buffer) => detectFormat(Buffer.from(s).subarray(0, 4096))?.name;

  it('a first line longer than the 4 KiB head, whatever its frames look like', () => {
    const deep = (frame: (i: number) => string) => `${Array.from({ length: 1500 }, (_, i) => frame(i)).join(';')} 5\nmain 1\n`;
    expect(detect(deep((i) => `func_${i}`))).toBe('collapsed');
    expect(detect(deep((i) => `func_${i} (/home/u/x.py:${i})`))).toBe('collapsed');
    expect(detect(deep((i) => `func_${i}:/home/u/x.c:${i}`))).toBe('collapsed');
    expect(detect(deep((i) => (i === 0 ? '[unknown]' : `f${i}_[k]`)))).toBe('collapsed');
    expect(detect(deep((i) => `f\t${i}`))).toBe('collapsed');
  });

  it('a NUL byte in a frame name, and an [unknown] root', () => {
    expect(detect('a;b\u0000c 5\nd;e 3\n')).toBe('collapsed');
    expect(detect('[unknown];main;foo 5\n[unknown];main 3\n')).toBe('collapsed');
    const r = read('collapsed', Buffer.from('a;b\u0000c 5\nd;e 3\n'));
    expect(r.issues).toEqual([]);
    expect(r.profile.metricSum('samples')).toBe(8);
  });

  it('still not JSON, binary data, HTML or a comment', () => {
    expect(detect('[1, 2, 3]\n')).toBeUndefined();
    expect(detect('[{"a": 1}]')).toBeUndefined();
    expect(detect(`<html>${'a;'.repeat(3000)}`)).toBeUndefined();
    expect(detect(`# ${'a;'.repeat(3000)}`)).toBeUndefined();
    expect(detect(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)))).toBeUndefined();
  });

  it('every recording is detected as its own format', () => {
    const expected: Record<string, string> = { '.austin': 'austin-text', '.mojo': 'mojo', '.folded': 'collapsed', '.perf.txt': 'perf-script', '.pprof': 'pprof', '.pb': 'pprof', '.pb.gz': 'pprof', '.pstats': 'pstats', '.speedscope.json': 'speedscope', '.cpuprofile': 'cpuprofile' };
    for (const r of recordings()) {
      const ext = Object.keys(expected).find((e) => r.name.endsWith(e))!;
      expect(detectFormat(r.bytes.subarray(0, 4096))?.name, r.name).toBe(expected[ext]);
    }
  });
});
