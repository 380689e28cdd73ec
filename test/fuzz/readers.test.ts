/**
 * Bounded fuzzing of every reader (the long run is `npm run fuzz`; see docs/reliability.md):
 * seeded, so a failure names its seed and fast-check's path, and FLAMELENS_FUZZ_SEED=<seed>
 * reproduces it. What each input must satisfy is in fuzz-lib.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanCut, describeInput, FORMAT_NAMES, inputs, isStreaming, judge, read, recordings, snapshot, compare, impossibleFigures, badIssues } from './fuzz-lib';

const SEED = Number(process.env.FLAMELENS_FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.FLAMELENS_FUZZ_TEST_RUNS ?? 60);

describe.each(FORMAT_NAMES)('fuzz %s', (format) => {
  it(`${RUNS} inputs (cuts, flips, end() part-way, generated): no crash, no impossible figure, a cut keeps exactly its clean prefix, one clear issue per problem`, () => {
    fc.assert(
      fc.property(inputs(format), (input) => {
        const o = judge(input);
        expect({ input: describeInput(input), ...o }).toEqual({ input: describeInput(input), wrong: [], lost: [], issues: [] });
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });
});

describe('every record end of the small recordings, and one byte past it', () => {
  const small = recordings().filter((r) => r.bytes.length <= 80_000);
  it.each(small.map((r) => [r.name, r] as const))('%s', (_name, rec) => {
    // small whole-file recordings have few records: every byte of the smallest ones
    const offsets = new Set<number>();
    if (rec.bytes.length <= 4096) for (let k = 0; k <= rec.bytes.length; k++) offsets.add(k);
    for (const b of rec.boundaries) {
      offsets.add(b);
      if (b + 1 <= rec.bytes.length) offsets.add(b + 1);
    }
    for (let k = 0; k < rec.bytes.length; k += 997) offsets.add(k);
    let previous = new Map<string, number>();
    for (const k of [...offsets].sort((a, b) => a - b)) {
      const r = read(rec.format, rec.bytes.subarray(0, k));
      const where = `${rec.name} cut at ${k}`;
      expect(impossibleFigures(r.profile), where).toEqual([]);
      expect(badIssues(r, k), where).toEqual([]);
      if (isStreaming(rec.format)) {
        // at a record end there is nothing to undo: the numbers are those of that clean prefix,
        // and a longer prefix never has less
        const s = snapshot(r.profile);
        if (cleanCut(rec.boundaries, k) === k) expect(compare(s, previous).less, where).toEqual([]);
        previous = s;
      } else if (k < rec.bytes.length && !r.failed) {
        // a whole-file format read without a fatal issue must be whole
        expect(compare(snapshot(r.profile, false), snapshot(read(rec.format, rec.bytes).profile, false)).less, where).toEqual([]);
      }
    }
  });
});
