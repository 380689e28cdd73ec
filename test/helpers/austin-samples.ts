/**
 * The one independent reading of Austin text that tests compute their expectations from: a plain
 * whole-file split, no caching, no call tree, sharing no code with the server's reader. It handles
 * Austin 3.x records (`P<pid>;T[<iid>:]<tid>;file:name:line;... <value>[,idle,memdelta]`, a record
 * split over several physical lines by a garbage frame name joined back, `:INVALID:` frames) and
 * Austin 1.x records (`Thread <id>;name (file);L<line>;... <value>`, `<idle>` pseudo-frames).
 */
import { readFileSync } from 'node:fs';

export interface Frame {
  file: string;
  name: string;
  /** 0 when the record gives none. */
  line: number;
}

export interface Sample {
  /** '' for Austin 1.x, which records no process. */
  pid: string;
  /** As recorded: `T0:12901` (3.x) or `Thread 7f...` (1.x). */
  thread: string;
  /** Root first. */
  frames: Frame[];
  /** The metric fields: one value, or time, idle flag and memory delta in full mode. */
  values: number[];
}

/** Values of a record: `12`, `12,0,-4` (3.x full) or the old `12 4 0`. */
function splitMetrics(line: string): { stack: string; values: number[] } | null {
  const full = /^(.*) (\d+),([01]),(-?\d+)$/s.exec(line);
  if (full) return { stack: full[1], values: [Number(full[2]), Number(full[3]), Number(full[4])] };
  const one = /^(.*) (-?\d+)$/s.exec(line);
  if (one) return { stack: one[1], values: [Number(one[2])] };
  return null;
}

function frames3(fields: string[]): Frame[] {
  return fields.map((f) => {
    if (f === ':INVALID:') return { file: '', name: 'INVALID', line: 0 };
    // file:qualname:line; the file itself may hold colons, so split from the right
    const b = f.lastIndexOf(':');
    const a = f.lastIndexOf(':', b - 1);
    const line = f.slice(b + 1);
    return { file: f.slice(0, a), name: f.slice(a + 1, b), line: /^\d+$/.test(line) ? Number(line) : 0 };
  });
}

function frames1(fields: string[]): Frame[] {
  const out: Frame[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const f = fields[i];
    const open = f.lastIndexOf(' (');
    out.push({ name: f.slice(0, open), file: f.slice(open + 2, -1), line: Number(fields[i + 1].slice(1)) });
  }
  if (fields.length % 2 === 1) out.push({ name: fields[fields.length - 1], file: '', line: 0 }); // <idle>
  return out;
}

export function austinSamples(path: string): Sample[] {
  const out: Sample[] = [];
  let pending = '';
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (pending === '' && (raw === '' || raw.startsWith('#'))) continue;
    const line = pending === '' ? raw : `${pending}\n${raw}`;
    const parsed = splitMetrics(line);
    if (!parsed) {
      pending = line;
      continue;
    }
    pending = '';
    const fields = parsed.stack.split(';');
    if (fields[0].startsWith('Thread ')) out.push({ pid: '', thread: fields[0], frames: frames1(fields.slice(1)), values: parsed.values });
    else out.push({ pid: fields[0].slice(1), thread: fields[1], frames: frames3(fields.slice(2)), values: parsed.values });
  }
  return out;
}
