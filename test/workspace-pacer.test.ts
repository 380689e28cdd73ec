// Reading paced for requests (issue 15 item 5): a chunk that takes long to parse (new stacks) is
// cut into pieces with turns of the event loop between them, so work queued meanwhile (a request)
// runs before the chunk is done; the reader still gets every byte, in order. Speed is measured in
// npm run bench; here, only what happens.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ByteSource, pump } from '../server/src/core/byte-source';
import { Profile } from '../server/src/core/model';
import type { ProfileReader } from '../server/src/core/readers/types';
import { Pacer } from '../server/src/workspace/pacer';
import { recorded } from './helpers/paths';

/** A reader that keeps what it gets and spends `usPerKiB` of CPU per KiB, as a parser of new stacks does. */
function slowReader(usPerKiB: number): ProfileReader & { got: Uint8Array[] } {
  const got: Uint8Array[] = [];
  return {
    format: 'test',
    profile: new Profile(),
    issues: [],
    consumed: 0,
    failed: false,
    got,
    push(chunk: Uint8Array) {
      got.push(chunk);
      const until = performance.now() + (chunk.length / 1024) * (usPerKiB / 1000);
      while (performance.now() < until) {
        // busy: parsing
      }
    },
    end() {},
  };
}

function chunks(bytes: Buffer, sizes: number[]): ByteSource {
  let at = 0;
  let i = 0;
  return {
    async next() {
      if (at >= bytes.length) return null;
      const n = sizes[i++ % sizes.length];
      const c = Buffer.from(bytes.subarray(at, at + n));
      at += n;
      return c;
    },
    async close() {},
  };
}

describe('the pacer', () => {
  it('hands the reader every byte of a real recording, in order, whatever the chunk sizes', async () => {
    const bytes = readFileSync(recorded('austin3-cpu.austin'));
    const reader = slowReader(0);
    const pacer = new Pacer();
    await pump(reader, pacer.source(chunks(bytes, [1 << 20, 7, 300_001, 65_536])), { onChunk: () => pacer.pushed() });
    expect(Buffer.concat(reader.got).equals(bytes)).toBe(true);
  });

  it('lets work queued during a slow 1 MiB chunk run before the chunk is parsed (before: only after it)', async () => {
    const bytes = Buffer.alloc(1 << 20, 0x41);
    // 1 MiB at 100 µs per KiB: 100 ms of parsing in one chunk
    const reader = slowReader(100);
    const pacer = new Pacer();
    let turns = 0;
    let finished = false;
    let ranBeforeEnd = false;
    const tick = () => {
      turns++;
      if (!finished) setImmediate(tick);
    };
    setImmediate(tick);
    // a "request" that arrives once parsing has begun
    setTimeout(() => (ranBeforeEnd = !finished), 5);
    await pump(reader, pacer.source(chunks(bytes, [1 << 20])), { onChunk: () => pacer.pushed() });
    finished = true;
    expect(ranBeforeEnd).toBe(true);
    // the event loop turned all along the chunk, not once
    expect(turns).toBeGreaterThan(10);
    expect(reader.got.length).toBeGreaterThan(10);
    expect(Buffer.concat(reader.got).equals(bytes)).toBe(true);
  });
});
