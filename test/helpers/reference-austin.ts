/**
 * Per-line and per-function tables of an Austin text file from the independent sample reading
 * (austin-samples.ts): own at the leaf, and total for each distinct line / function in the stack
 * (once per sample).
 */
import { austinSamples } from './austin-samples';

export interface Reference {
  samples: number;
  total: number; // of the chosen value
  lineOwn: Map<string, number>; // "file:line"
  lineTotal: Map<string, number>;
  funcTotal: Map<string, number>; // "file:name"
  funcOwn: Map<string, number>;
  threads: Set<string>;
  pids: Set<string>;
  invalidSamples: number;
  framelessTotal: number;
}

type Pick = (values: number[]) => number;

function add(map: Map<string, number>, key: string, v: number): void {
  map.set(key, (map.get(key) ?? 0) + v);
}

export function referenceAustin(path: string, pick: Pick = (v) => v[0]): Reference {
  const ref: Reference = {
    samples: 0, total: 0, lineOwn: new Map(), lineTotal: new Map(), funcTotal: new Map(), funcOwn: new Map(),
    threads: new Set(), pids: new Set(), invalidSamples: 0, framelessTotal: 0,
  };
  for (const s of austinSamples(path)) {
    const v = pick(s.values);
    const frames = s.frames;
    const thread = s.pid ? `P${s.pid};${s.thread}` : s.thread;
    if (s.pid) ref.pids.add(`P${s.pid}`);
    ref.threads.add(thread);
    ref.samples++;
    ref.total += v;
    if (frames.some((f) => f.name === 'INVALID')) ref.invalidSamples++;
    if (frames.length === 0) {
      ref.framelessTotal += v;
      continue;
    }
    const leaf = frames[frames.length - 1];
    add(ref.lineOwn, `${leaf.file}:${leaf.line}`, v);
    add(ref.funcOwn, `${leaf.file}:${leaf.name}`, v);
    for (const k of new Set(frames.map((f) => `${f.file}:${f.line}`))) add(ref.lineTotal, k, v);
    for (const k of new Set(frames.map((f) => `${f.file}:${f.name}`))) add(ref.funcTotal, k, v);
  }
  return ref;
}
