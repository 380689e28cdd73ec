/**
 * Builds large benchmark inputs by repeating the samples of real recordings, in a temporary folder.
 * Nothing here is invented: every sample line comes from a recording, only repeated (and, in the
 * "distinct" variant, given per-repetition thread ids so that distinct stacks grow with size).
 */
import { createWriteStream, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { EV, parseMojo, repeatSamples, toV4WithRepeats } from '../test/helpers/mojo-encoder';

export interface Input {
  name: string;
  path: string;
  bytes: number;
  /** Units written (samples; stack lines for collapsed, function entries for pstats), for the per-second rate. */
  samples: number;
  /** What `samples` counts, when not samples. */
  unit?: string;
  /** The sum of the profile's `samples` metric when the whole input was read (a check that nothing was lost). */
  expectSamplesMetric?: number;
}

/** Bumped whenever a builder changes what it writes, so that older cached inputs are rebuilt. */
const RECIPE = 2;

/**
 * Returns the cached input when a previous run finished writing it (a `.json` note next to it,
 * written after the file was renamed into place, records its size), else builds it through a
 * temporary name. A cut or half-written file is never mistaken for a finished one.
 */
export async function cached(path: string, build: (tmp: string) => Promise<Omit<Input, 'path' | 'bytes' | 'name'>>): Promise<Input> {
  const note = `${path}.json`;
  const name = path.split('/').pop()!;
  if (existsSync(path) && existsSync(note)) {
    const saved = JSON.parse(readFileSync(note, 'utf8')) as Input & { recipe?: number };
    if (saved.recipe === RECIPE && saved.bytes === statSync(path).size) return { ...saved, name, path };
  }
  const tmp = `${path}.partial`;
  const info = await build(tmp);
  renameSync(tmp, path);
  const input: Input = { ...info, name, path, bytes: statSync(path).size };
  writeFileSync(note, JSON.stringify({ ...input, recipe: RECIPE }));
  return input;
}

/** Writes chunks to a file, waiting for the stream to drain (inputs are far larger than memory should hold). */
export async function writeAll(path: string, chunks: Iterable<string | Uint8Array>): Promise<void> {
  const out = createWriteStream(path);
  for (const chunk of chunks) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/**
 * The samples of a recording, byte for byte: everything between the metadata header and footer.
 * Not filtered line by line: a real recording can hold a sample whose garbage string contains
 * newlines (austin3-wall.austin line 1789), and dropping its continuation lines would turn a
 * sample the reader accepts into one it rejects.
 */
export function sampleBlock(recording: string): { block: string; samples: number } {
  const lines = readFileSync(recording, 'utf8').split('\n');
  let first = 0;
  while (first < lines.length && (lines[first] === '' || lines[first].startsWith('#'))) first++;
  let last = lines.length;
  while (last > first && (lines[last - 1] === '' || lines[last - 1].startsWith('#'))) last--;
  const body = lines.slice(first, last);
  return { block: body.join('\n') + '\n', samples: body.filter((l) => /^P\d+;T/.test(l)).length };
}

/**
 * Writes about `targetBytes` of Austin text: a header, then the recording's samples repeated. With
 * `distinct`, repetition k rewrites every `T<iid>:<tid>` to a new tid, so every repetition adds new
 * stacks (as a long run whose thread pool is recreated every round does).
 */
export async function austinText(dir: string, name: string, recording: string, targetBytes: number, distinct = false, mode = 'wall'): Promise<Input> {
  const { block, samples } = sampleBlock(recording);
  const reps = Math.max(1, Math.round(targetBytes / Buffer.byteLength(block)));
  return cached(join(dir, name), async (tmp) => {
    await writeAll(tmp, (function* () {
      yield `# austin: 3.7.0\n# interval: 1000\n# mode: ${mode}\n\n`;
      for (let k = 0; k < reps; k++) yield distinct ? block.replace(/;T(\d+):(\d+)/g, (_m, iid, tid) => `;T${iid}:${tid}${k}`) : block;
      yield '\n# duration: 1\n';
    })());
    return { samples: reps * samples, expectSamplesMetric: reps * samples };
  });
}

/**
 * Writes a MOJO file of about `samples` samples: the recording's samples repeated (optionally
 * re-encoded as v4 with STACK_REPEAT first, optionally with per-repetition thread ids).
 */
export async function mojo(
  dir: string,
  name: string,
  recording: string,
  samples: number,
  opts: { v4?: boolean; distinct?: boolean } = {},
): Promise<Input> {
  let src: Uint8Array = readFileSync(recording);
  if (opts.v4) src = toV4WithRepeats(src);
  const perRep = parseMojo(src).events.filter((e) => e.id === EV.STACK).length;
  const reps = Math.max(1, Math.round(samples / perRep));
  return cached(join(dir, name), async (tmp) => {
    await writeAll(tmp, repeatSamples(src, reps, { threadIdsPerRepetition: opts.distinct }));
    return { samples: reps * perRep, expectSamplesMetric: reps * perRep };
  });
}
