import { readFileSync } from 'node:fs';
import { aggregate, type Aggregation } from '../../server/src/core/aggregate';
import type { Profile, Scope } from '../../server/src/core/model';
import type { ProfileReader } from '../../server/src/core/readers/types';

/** Reads a whole file through a reader in chunks of the given sizes (cycled). */
export function readInChunks(reader: ProfileReader, bytes: Uint8Array, sizes: number[] = [bytes.length]): ProfileReader {
  let pos = 0;
  let i = 0;
  while (pos < bytes.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]);
    reader.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  reader.end();
  return reader;
}

export function readFile(make: () => ProfileReader, path: string, sizes?: number[]): ProfileReader {
  return readInChunks(make(), readFileSync(path), sizes);
}

/** A line/function table keyed by readable strings, for comparing two models or a model with a reference. */
export function tables(profile: Profile, scope: Scope = {}, metric?: string) {
  const agg: Aggregation = aggregate(profile, scope, metric ?? profile.defaultMetric());
  const lineOwn = new Map<string, number>();
  const lineTotal = new Map<string, number>();
  const funcOwn = new Map<string, number>();
  const funcTotal = new Map<string, number>();
  for (let l = 0; l < profile.lineCount; l++) {
    const k = profile.lineKey(l);
    const key = `${k.file}:${k.line}`;
    if (agg.lineOwn[l]) lineOwn.set(key, (lineOwn.get(key) ?? 0) + agg.lineOwn[l]);
    if (agg.lineTotal[l]) lineTotal.set(key, (lineTotal.get(key) ?? 0) + agg.lineTotal[l]);
  }
  for (let f = 0; f < profile.functionCount; f++) {
    const fn = profile.functionAt(f);
    const key = `${fn.file}:${fn.name}`;
    if (agg.funcOwn[f]) funcOwn.set(key, agg.funcOwn[f]);
    if (agg.funcTotal[f]) funcTotal.set(key, agg.funcTotal[f]);
  }
  return { total: agg.total, lineOwn, lineTotal, funcOwn, funcTotal, agg };
}

/** Percent of `total` for the entry whose key ends with `suffix` (e.g. "/workers.py:12"). */
export function pct(map: Map<string, number>, total: number, suffix: string): number {
  const hits = [...map.entries()].filter(([k]) => k.endsWith(suffix));
  if (hits.length !== 1) throw new Error(`${hits.length} entries end with ${suffix}`);
  return (hits[0][1] / total) * 100;
}

/** Non-zero entries sorted by key. */
export function sortedEntries(map: Map<string, number>): [string, number][] {
  return [...map.entries()].filter(([, v]) => v !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
