/**
 * One measurement in a fresh process, so that peak RSS belongs to one reader and one file: first a
 * plain newline count of the file (the baseline: the cheapest pass over the same bytes), then the
 * real reader. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { aggregate } from '../server/src/core/aggregate';
import { CHUNK_BYTES, HEAD_BYTES, loadProfile } from '../server/src/core/load';
import { Profile } from '../server/src/core/model';
import { detectFormat } from '../server/src/core/readers/index';

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
  /** Functions with recorded totals (pstats entries), 0 for formats without function-level data. */
  functionEntries: number;
  /** Times the file was read (in-process repetition of a small whole-message file), else 1. */
  times: number;
  /** Reader issues of the (last) read: a benchmark input must read cleanly. */
  issues: number;
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
  // An untimed pass first, so that the timed one and the reader both find the file in the page
  // cache (this VM's cache is small and reclaimed quickly: a cold first pass made ratios swing).
  await countNewlines(path);
  let t = performance.now();
  const base = await countNewlines(path);
  const baselineMs = performance.now() - t;
  t = performance.now();
  const loaded = await loadProfile(path);
  // buffered readers may replace their profile in end(); reader.profile is the one to read
  const { reader } = loaded;
  const profile = reader.profile;
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
    functionEntries: functionEntries(profile),
    times: 1,
    issues: reader.issues.length,
  };
}

function functionEntries(profile: Profile): number {
  const totals = profile.functionLevel?.totals.values().next().value;
  return totals ? totals.size : 0;
}

/**
 * For files that are one whole message (pprof, pstats) and small as recorded: the bytes are read
 * once, then the newline count and the reader (detection, a fresh Profile, the same 1 MiB pushes
 * as loadProfile, end) each run `times` times over them in memory. Rates are over `times` × size.
 */
export async function measureRepeated(path: string, times: number): Promise<ChildResult> {
  const buf = readFileSync(path);
  let newlines = 0;
  let t = performance.now();
  for (let k = 0; k < times; k++) {
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) newlines++;
  }
  const baselineMs = performance.now() - t;
  let profile = new Profile();
  let format = '';
  let issues = 0;
  t = performance.now();
  for (let k = 0; k < times; k++) {
    const spec = detectFormat(buf.subarray(0, HEAD_BYTES));
    if (!spec) throw new Error(`${path}: unknown format`);
    const reader = spec.create(new Profile());
    for (let at = 0; at < buf.length; at += CHUNK_BYTES) reader.push(buf.subarray(at, at + CHUNK_BYTES));
    reader.end();
    profile = reader.profile;
    format = reader.format;
    issues = reader.issues.length;
  }
  const readMs = performance.now() - t;
  t = performance.now();
  aggregate(profile);
  const aggregateMs = performance.now() - t;
  return {
    file: path,
    bytes: buf.length * times,
    baselineMs,
    newlines,
    readMs,
    aggregateMs,
    samples: profile.metricIndex('samples') >= 0 ? profile.metricSum('samples') * times : 0,
    stacks: profile.nodeCount,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    format,
    functionEntries: functionEntries(profile),
    times,
    issues,
  };
}
