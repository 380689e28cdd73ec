/**
 * A deliberately naive Austin text reader used only as an independent check of the real one:
 * whole-file string, split on newlines, no caching, no call tree. It sums per sample: own at the
 * leaf, and total for each distinct line / function in the stack (once per sample).
 */
import { readFileSync } from 'node:fs';

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

/** Values of a sample's metric field: `12`, `12,0,-4` (3.x full) or the old `12 4 0`. */
function splitMetrics(line: string): { stack: string; values: number[] } | null {
  const m3 = /^(.*) (\d+),([01]),(-?\d+)$/s.exec(line);
  if (m3) return { stack: m3[1], values: [Number(m3[2]), Number(m3[3]), Number(m3[4])] };
  const m1 = /^(.*) (-?\d+)$/s.exec(line);
  if (m1) return { stack: m1[1], values: [Number(m1[2])] };
  return null;
}

function add(map: Map<string, number>, key: string, v: number): void {
  map.set(key, (map.get(key) ?? 0) + v);
}

export function referenceAustin(path: string, pick: Pick = (v) => v[0]): Reference {
  const lines = readFileSync(path, 'utf8').split('\n');
  const ref: Reference = {
    samples: 0, total: 0, lineOwn: new Map(), lineTotal: new Map(), funcTotal: new Map(), funcOwn: new Map(),
    threads: new Set(), pids: new Set(), invalidSamples: 0, framelessTotal: 0,
  };
  let pending = '';
  for (const raw of lines) {
    if (pending === '' && (raw === '' || raw.startsWith('#'))) continue;
    const line = pending === '' ? raw : `${pending}\n${raw}`;
    const parsed = splitMetrics(line);
    if (!parsed) {
      pending = line;
      continue;
    }
    pending = '';
    const v = pick(parsed.values);
    const fields = parsed.stack.split(';');
    let frames: { file: string; name: string; line: string }[];
    let thread: string;
    if (fields[0].startsWith('Thread ')) {
      thread = fields[0];
      frames = [];
      for (let i = 1; i + 1 < fields.length; i += 2) {
        const f = fields[i];
        const open = f.lastIndexOf(' (');
        frames.push({ name: f.slice(0, open), file: f.slice(open + 2, -1), line: fields[i + 1].slice(1) });
      }
      if (fields.length % 2 === 0) frames.push({ name: fields[fields.length - 1], file: '', line: '0' }); // <idle>
    } else {
      ref.pids.add(fields[0]);
      thread = `${fields[0]};${fields[1]}`;
      frames = fields.slice(2).map((f) => {
        if (f === ':INVALID:') return { file: '', name: 'INVALID', line: '0' };
        const parts = f.split(':');
        const lineNo = parts.pop()!;
        const name = parts.pop()!;
        return { file: parts.join(':'), name, line: /^\d+$/.test(lineNo) ? lineNo : '0' };
      });
    }
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
