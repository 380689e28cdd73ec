import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../server/src/core/load';
import { Profile } from '../server/src/core/model';
import { detectFormat } from '../server/src/core/readers/index';
import { RECORDED, recorded } from './helpers/paths';
import { readInChunks, sortedEntries, tables } from './helpers/tables';

// Every recording, whatever its format, read by loadProfile in small chunks (a fresh buffer each
// time) gives the same model as one push of the whole file: guards readers that keep views of chunks.
describe('loadProfile reads every real recording in chunks like one whole push', () => {
  for (const name of readdirSync(RECORDED).sort()) {
    it(name, async () => {
      const bytes = readFileSync(recorded(name));
      const spec = detectFormat(bytes.subarray(0, 4096));
      expect(spec, `${name} is detected`).toBeDefined();
      const whole = readInChunks(spec!.create(new Profile()), bytes);
      const { profile, reader } = await loadProfile(recorded(name), { chunkSize: 4093 });
      expect(reader.format).toBe(whole.format);
      expect(reader.issues.map((i) => i.message)).toEqual(whole.issues.map((i) => i.message));
      const a = tables(profile);
      const b = tables(whole.profile);
      expect(a.total).toBe(b.total);
      expect(sortedEntries(a.lineOwn)).toEqual(sortedEntries(b.lineOwn));
      expect(sortedEntries(a.funcTotal)).toEqual(sortedEntries(b.funcTotal));
    });
  }
});
