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
