/**
 * The built CLI on a bounded, seeded sample of fuzzed files of every format (the inputs of
 * fuzz-lib.ts): `top --json --limit 0` and `info --json` exit with a documented code (0, 1, 2)
 * and print no figure that cannot be true: no null, negative or non-finite value or percentage,
 * no share above 100 %. Needs `npm run build` (as `npm test` does before vitest).
 * stdout goes to a file: a pipe may cut a large document short.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { describeInput, FORMAT_NAMES, inputBytes, inputs } from './fuzz-lib';

const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'flamelens.js');
const SEED = Number(process.env.FLAMELENS_FUZZ_SEED ?? 20261203);
const PER_FORMAT = Number(process.env.FLAMELENS_FUZZ_CLI_RUNS ?? 3);
const tmp = mkdtempSync(join(tmpdir(), 'flamelens-fuzz-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = join(tmp, 'stdout.json');
  const fd = openSync(out, 'w');
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

/** Numbers that cannot be true in a CLI JSON document, with their paths. */
function badNumbers(doc: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${path}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, `${path}.${k}`);
    const key = path.slice(path.lastIndexOf('.') + 1);
    const numeric = /^(own|total|ownPercent|totalPercent)$/.test(key);
    if (!numeric) return;
    if (typeof v !== 'number' || !Number.isFinite(v)) out.push(`${path} = ${JSON.stringify(v)}`);
    else if (v < 0) out.push(`${path} = ${v} (negative)`);
    else if (/Percent$/.test(key) && v > 100) out.push(`${path} = ${v} (above 100 %)`);
  };
  visit(doc, '');
  return out;
}

describe.each(FORMAT_NAMES)('the CLI on fuzzed %s files', (format) => {
  const samples = fc.sample(fc.noBias(inputs(format)), { seed: SEED, numRuns: PER_FORMAT });
  it.each(samples.map((input, i) => [describeInput(input).slice(0, 120), input, i] as const))('%s', (_label, input, i) => {
    const file = join(tmp, `${format}-${i}.bin`);
    writeFileSync(file, inputBytes(input));
    for (const args of [['top', file, '--json', '--limit', '0'], ['info', file, '--json']]) {
      const r = cli(args);
      const what = `${args[0]} on ${describeInput(input)}`;
      expect([0, 1, 2], `${what}: exit ${r.status}, stderr ${r.stderr}`).toContain(r.status);
      if (r.status === 2) {
        // unusable: nothing on stdout, one line on stderr
        expect(r.stdout, what).toBe('');
        expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
        continue;
      }
      const doc = JSON.parse(r.stdout);
      expect(badNumbers(doc), what).toEqual([]);
      expect(r.status === 1, what).toBe(doc.issues.length > 0);
    }
  });
});
