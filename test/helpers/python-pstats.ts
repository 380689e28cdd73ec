import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
/** CPython with its pstats module: the independent reading of a cProfile dump. */
export const hasPython = spawnSync(PYTHON, ['-c', 'import pstats'], { stdio: 'ignore' }).status === 0;

/** [file, line, name, primitive calls, calls, tt, ct, callers[[file, line, name, pc, nc, tt, ct]]] */
export type PyRow = [string, number, string, number, number, number, number, [string, number, string, number, number, number, number][]];

/** CPython's own reading of a dump: pstats.Stats, printed as JSON (floats round-trip exactly). */
export function pythonStats(file: string): PyRow[] {
  const code = [
    'import json, pstats, sys',
    's = pstats.Stats(sys.argv[1])',
    'print(json.dumps([[k[0], k[1], k[2], v[0], v[1], v[2], v[3], [[c[0], c[1], c[2], *cv] for c, cv in v[4].items()]] for k, v in s.stats.items()]))',
  ].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', code, file], { encoding: 'utf8', maxBuffer: 1 << 26 })) as PyRow[];
}
