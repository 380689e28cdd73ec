// An independent, deliberately naive reading of an Austin 3 text file, used to work out the
// answer the editor must show (it shares no code with the server's reader).
import { readFileSync } from 'node:fs';

export interface LineShare {
  /** Metric summed over every sample. */
  total: number;
  /** Sum over samples that have file:line anywhere in the stack, once per sample. */
  lineTotal: number;
  /** Sum over samples whose leaf frame is file:line. */
  lineOwn: number;
}

const SAMPLE = /^P\d+;T([^;\s]*)(?:;(.*))? (-?\d+)$/s;

/**
 * Shares of `pathSuffix:line` in an Austin text recording with one metric per sample (cpu/wall mode),
 * over all samples or those of one thread id. A record that a garbage frame name split over
 * several physical lines is joined back.
 */
export function austinLineShare(file: string, pathSuffix: string, line: number, tid?: string): LineShare {
  const rows = readFileSync(file, 'utf8').split('\n');
  const out: LineShare = { total: 0, lineTotal: 0, lineOwn: 0 };
  for (let i = 0; i < rows.length; i++) {
    let row = rows[i];
    if (!row.startsWith('P')) continue;
    // A record without its trailing metric continues on the next physical lines.
    for (let j = i + 1; !/ -?\d+$/.test(row) && j < rows.length && j < i + 16; j++, i++) row += '\n' + rows[j];
    const m = SAMPLE.exec(row);
    // T<iid>:<tid> in Austin 3.6+, T<tid> before.
    if (!m || (tid !== undefined && m[1].split(':').pop() !== tid)) continue;
    const value = Number(m[3]);
    out.total += value;
    const frames = (m[2] ?? '').split(';').filter((f) => f !== '');
    // A frame is file:qualname:line; the file itself may hold colons, so split from the right.
    const at = frames.map((f) => {
      const b = f.lastIndexOf(':');
      const a = f.lastIndexOf(':', b - 1);
      return { file: f.slice(0, a), line: Number(f.slice(b + 1)) };
    });
    const hit = (f: { file: string; line: number }) => f.line === line && f.file.endsWith(pathSuffix);
    if (at.some(hit)) out.lineTotal += value;
    if (at.length > 0 && hit(at[at.length - 1])) out.lineOwn += value;
  }
  return out;
}

export interface CallerShare {
  /** Caller function name as recorded. */
  name: string;
  /** Recorded file of the call site. */
  file: string;
  /** 1-based line of the call site. */
  line: number;
  /** Share of the callee's total that passes through this call site, 0-100. */
  share: number;
}

/**
 * Call sites of `func` (defined in a file ending with `pathSuffix`), hottest first: for each
 * sample holding the function, each distinct (caller, line) immediately below an occurrence of it
 * gets the sample's value once. Cpu/wall-mode Austin text (one metric per sample).
 */
export function austinCallers(file: string, pathSuffix: string, func: string): CallerShare[] {
  const rows = readFileSync(file, 'utf8').split('\n');
  let funcTotal = 0;
  const sites = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    let row = rows[i];
    if (!row.startsWith('P')) continue;
    for (let j = i + 1; !/ -?\d+$/.test(row) && j < rows.length && j < i + 16; j++, i++) row += '\n' + rows[j];
    const m = SAMPLE.exec(row);
    if (!m) continue;
    const value = Number(m[3]);
    const frames = (m[2] ?? '')
      .split(';')
      .filter((f) => f !== '')
      .map((f) => {
        const b = f.lastIndexOf(':');
        const a = f.lastIndexOf(':', b - 1);
        return { file: f.slice(0, a), name: f.slice(a + 1, b), line: f.slice(b + 1) };
      });
    const isFunc = (f: { file: string; name: string }) => f.name === func && f.file.endsWith(pathSuffix);
    if (!frames.some(isFunc)) continue;
    funcTotal += value;
    const seen = new Set<string>();
    frames.forEach((f, k) => {
      if (k > 0 && isFunc(f)) seen.add(`${frames[k - 1].file}\u0000${frames[k - 1].name}\u0000${frames[k - 1].line}`);
    });
    for (const key of seen) sites.set(key, (sites.get(key) ?? 0) + value);
  }
  return [...sites]
    .map(([key, value]) => {
      const [callerFile, name, line] = key.split('\u0000');
      return { name, file: callerFile, line: Number(line), share: (value / funcTotal) * 100 };
    })
    .sort((a, b) => b.share - a.share);
}
