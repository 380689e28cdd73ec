/**
 * Builds large benchmark inputs by repeating the samples of real recordings, in a temporary folder.
 * Nothing here is invented: every sample line comes from a recording, only repeated (and, in the
 * "distinct" variant, given per-repetition thread ids so that distinct stacks grow with size).
 */
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { EV, parseMojo, repeatSamples, toV4WithRepeats } from '../test/helpers/mojo-encoder';

export interface Input {
  name: string;
  path: string;
  bytes: number;
  samples: number;
}

/** Sample lines of a recording (no metadata, no blank lines). */
export function sampleLines(recording: string): string[] {
  return readFileSync(recording, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && /^P\d+;T/.test(l));
}

/**
 * Writes about `targetBytes` of Austin text: a header, then the recording's samples repeated. With
 * `distinct`, repetition k rewrites every `T<iid>:<tid>` to a new tid, so every repetition adds new
 * stacks (as a long run whose thread pool is recreated every round does).
 */
export async function austinText(dir: string, name: string, recording: string, targetBytes: number, distinct = false): Promise<Input> {
  const path = join(dir, name);
  const lines = sampleLines(recording);
  const block = lines.join('\n') + '\n';
  const reps = Math.max(1, Math.round(targetBytes / Buffer.byteLength(block)));
  if (existsSync(path) && Math.abs(statSync(path).size - reps * Buffer.byteLength(block)) < 4096) {
    return { name, path, bytes: statSync(path).size, samples: reps * lines.length };
  }
  const out = createWriteStream(path);
  out.write('# austin: 3.7.0\n# interval: 1000\n# mode: wall\n\n');
  for (let k = 0; k < reps; k++) {
    const text = distinct ? block.replace(/;T(\d+):(\d+)/g, (_m, iid, tid) => `;T${iid}:${tid}${k}`) : block;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end('\n# duration: 1\n');
  await once(out, 'finish');
  return { name, path, bytes: statSync(path).size, samples: reps * lines.length };
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
  const path = join(dir, name);
  if (!existsSync(path)) {
    const out = createWriteStream(path);
    for (const chunk of repeatSamples(src, reps, { threadIdsPerRepetition: opts.distinct })) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }
  return { name, path, bytes: statSync(path).size, samples: reps * perRep };
}
