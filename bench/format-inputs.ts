/**
 * Big inputs for the readers other than Austin's, each built by repeating a real recording from
 * test/fixtures/recorded (issue 5: "throughput of each reader next to Austin's"). The repetition
 * respects each format's structure: collapsed lines and perf script blocks are independent, so
 * the file is repeated whole; speedscope and .cpuprofile keep their frame/node tables once and
 * repeat only their sample arrays; pprof is one protobuf message, so its sample list is repeated
 * and the message re-encoded with pprof-format's encoder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Profile as PprofMessage } from 'pprof-format';
import { cached, writeAll, type Input } from './inputs';

const MB = 1e6;

/** `perf-c-srcline.folded` (one stack and count per line) repeated to about `targetBytes`. */
export function collapsed(dir: string, recording: string, targetBytes: number): Promise<Input> {
  let block = readFileSync(recording, 'utf8');
  if (!block.endsWith('\n')) block += '\n';
  const lines = block.split('\n').filter((l) => l.trim() !== '').length;
  const reps = Math.max(1, Math.round(targetBytes / Buffer.byteLength(block)));
  return cached(join(dir, `perf-${Math.round(targetBytes / MB)}.folded`), async (tmp) => {
    await writeAll(tmp, (function* () {
      for (let k = 0; k < reps; k++) yield block;
    })());
    return { samples: reps * lines, unit: 'stack lines' };
  });
}

/**
 * `perf script` text repeated whole: samples are blank-line separated blocks that do not refer
 * to each other, so a repeated file is a valid (if time-travelling) perf script output.
 */
export function perfScript(dir: string, recording: string, targetBytes: number): Promise<Input> {
  let block = readFileSync(recording, 'utf8');
  if (!block.endsWith('\n\n')) block += block.endsWith('\n') ? '\n' : '\n\n';
  // a sample header is the only line that starts in column 0
  const samples = block.split('\n').filter((l) => l !== '' && !/^\s/.test(l)).length;
  const reps = Math.max(1, Math.round(targetBytes / Buffer.byteLength(block)));
  return cached(join(dir, `perf-dwarf-${Math.round(targetBytes / MB)}.perf.txt`), async (tmp) => {
    await writeAll(tmp, (function* () {
      for (let k = 0; k < reps; k++) yield block;
    })());
    return { samples: reps * samples, expectSamplesMetric: reps * samples };
  });
}

interface SpeedscopeFile {
  $schema: string;
  shared: { frames: unknown[] };
  profiles: { type: string; name?: string; unit: string; startValue: number; endValue: number; samples: number[][]; weights: number[] }[];
  name?: string;
  exporter?: string;
}

/**
 * A speedscope file whose `shared.frames` is the recording's and whose sampled profiles repeat
 * their `samples`/`weights` arrays; written piece by piece, since past ~512 MB it could not exist
 * as one JS string (which is the point of the big variant: the reader must never need one).
 * Keys stay in the recording's order (austin2speedscope writes `type` last).
 */
export function speedscope(dir: string, recording: string, targetBytes: number): Promise<Input> {
  const src = JSON.parse(readFileSync(recording, 'utf8')) as SpeedscopeFile;
  const perRep = src.profiles.reduce((n, p) => n + Buffer.byteLength(JSON.stringify(p.samples)) + Buffer.byteLength(JSON.stringify(p.weights)), 0);
  const reps = Math.max(1, Math.round(targetBytes / perRep));
  const samplesPerRep = src.profiles.reduce((n, p) => n + p.samples.length, 0);
  return cached(join(dir, `austin3-cpu-${Math.round(targetBytes / MB)}.speedscope.json`), async (tmp) => {
    await writeAll(tmp, (function* () {
      yield `{"$schema": ${JSON.stringify(src.$schema)}, "shared": {"frames": ${JSON.stringify(src.shared.frames)}}, "profiles": [`;
      for (const [i, p] of src.profiles.entries()) {
        if (i > 0) yield ', ';
        for (const [key, value] of Object.entries(p)) {
          const lead = key === Object.keys(p)[0] ? '{' : ', ';
          if (key === 'samples' || key === 'weights') {
            const items = JSON.stringify(value).slice(1, -1);
            yield `${lead}"${key}": [`;
            for (let k = 0; k < reps; k++) yield k === 0 ? items : `, ${items}`;
            yield ']';
          } else if (key === 'endValue') {
            yield `${lead}"endValue": ${p.startValue + reps * (p.endValue - p.startValue)}`;
          } else {
            yield `${lead}${JSON.stringify(key)}: ${JSON.stringify(value)}`;
          }
        }
        yield '}';
      }
      yield `], "name": ${JSON.stringify(src.name ?? '')}, "exporter": ${JSON.stringify(src.exporter ?? '')}}`;
    })());
    return { samples: reps * samplesPerRep, expectSamplesMetric: reps * samplesPerRep };
  });
}

interface Cpuprofile {
  nodes: unknown[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A V8 .cpuprofile with the recording's node tree and its samples/timeDeltas arrays repeated. */
export function cpuprofile(dir: string, recording: string, targetBytes: number): Promise<Input> {
  const src = JSON.parse(readFileSync(recording, 'utf8')) as Cpuprofile;
  const samples = JSON.stringify(src.samples).slice(1, -1);
  const deltas = JSON.stringify(src.timeDeltas).slice(1, -1);
  const reps = Math.max(1, Math.round(targetBytes / (samples.length + deltas.length + 2)));
  return cached(join(dir, `node-cpu-${Math.round(targetBytes / MB)}.cpuprofile`), async (tmp) => {
    await writeAll(tmp, (function* () {
      yield `{"nodes":${JSON.stringify(src.nodes)},"startTime":${src.startTime},"endTime":${src.startTime + reps * (src.endTime - src.startTime)},"samples":[`;
      for (let k = 0; k < reps; k++) yield k === 0 ? samples : `,${samples}`;
      yield '],"timeDeltas":[';
      for (let k = 0; k < reps; k++) yield k === 0 ? deltas : `,${deltas}`;
      yield ']}';
    })());
    return { samples: reps * src.samples.length, expectSamplesMetric: reps * src.samples.length };
  });
}

/**
 * A pprof message with the recording's tables and its sample list repeated, encoded by
 * pprof-format. pprof is one protobuf message (a reader cannot start before the end), so it is
 * built in memory; a few tens of MB is already far beyond what pprof writers produce, since they
 * merge identical stacks into one sample.
 */
export function pprof(dir: string, recording: string, targetBytes: number): Promise<Input> {
  const src = PprofMessage.decode(readFileSync(recording));
  const perRep = src.sample.length;
  const bytesPerRep = src.sample.reduce((n, s) => n + s.encode().length + 2, 0);
  const reps = Math.max(1, Math.round(targetBytes / bytesPerRep));
  return cached(join(dir, `${recording.split('/').pop()!.replace(/\.[^.]*$/, '')}-${Math.round(targetBytes / MB)}.pprof`), async (tmp) => {
    const big = PprofMessage.decode(readFileSync(recording));
    const one = big.sample;
    big.sample = [];
    for (let k = 0; k < reps; k++) big.sample.push(...one);
    await writeAll(tmp, [big.encode()]);
    return { samples: reps * perRep };
  });
}

/** Sample messages in a pprof file (its own count, for the rate of the real files read in-process). */
export function pprofSamples(recording: string): number {
  return PprofMessage.decode(readFileSync(recording)).sample.length;
}
