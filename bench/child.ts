/**
 * One measurement in a fresh process, so that peak RSS belongs to one reader and one file: first a
 * plain newline count of the file (the baseline: the cheapest pass over the same bytes), then the
 * real reader. Prints one JSON line.
 */
import { open } from 'node:fs/promises';
import { aggregate } from '../server/src/core/aggregate';
import { loadProfile } from '../server/src/core/load';

export interface ChildResult {
  file: string;
  bytes: number;
  baselineMs: number;
  newlines: number;
  readMs: number;
  aggregateMs: number;
  samples: number;
  stacks: number;
  maxRssMiB: number;
  format: string;
}

async function countNewlines(path: string): Promise<{ bytes: number; newlines: number }> {
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  let newlines = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, bytes);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) newlines++;
      bytes += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { bytes, newlines };
}

export async function measure(path: string): Promise<ChildResult> {
  let t = performance.now();
  const base = await countNewlines(path);
  const baselineMs = performance.now() - t;
  t = performance.now();
  const { profile, reader } = await loadProfile(path);
  const readMs = performance.now() - t;
  t = performance.now();
  aggregate(profile);
  const aggregateMs = performance.now() - t;
  const samples = profile.metricIndex('samples') >= 0 ? profile.metricSum('samples') : 0;
  return {
    file: path,
    bytes: base.bytes,
    baselineMs,
    newlines: base.newlines,
    readMs,
    aggregateMs,
    samples,
    stacks: profile.nodeCount,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    format: reader.format,
  };
}
