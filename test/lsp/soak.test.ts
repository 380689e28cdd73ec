// The soak of the real server, one minute of it (issue 15 item 2; `npm run soak -- 10` runs ten):
// the built server spawned over stdio, driven at full speed with random requests, edits, commands,
// settings changes and profile appends, truncations and deletions. Nothing may error, the server
// must not crash, and its resident memory after warm-up must grow by less than 10 %.
// FLAMELENS_SOAK_MS changes the length, FLAMELENS_SOAK_SEED replays a run.
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printSoak, runSoak } from '../../bench/soak';

const ROOT = resolve(__dirname, '..', '..');
const MS = Number(process.env.FLAMELENS_SOAK_MS ?? 60_000);
let binDir = '';
let BIN = '';

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'flamelens.js'))) execSync('npm run build --silent', { cwd: ROOT, stdio: 'inherit' });
  binDir = mkdtempSync(join(tmpdir(), 'flamelens-bin-'));
  BIN = join(binDir, 'flamelens.js');
  copyFileSync(join(ROOT, 'dist', 'flamelens.js'), BIN);
});
afterAll(() => rmSync(binDir, { recursive: true, force: true }));

describe('the soak', () => {
  it(`${MS / 1000} s of random work at full speed: no error, no crash, RSS after warm-up grows < 10 %`, async () => {
    const seed = process.env.FLAMELENS_SOAK_SEED ? Number(process.env.FLAMELENS_SOAK_SEED) : undefined;
    const r = await runSoak({ bin: BIN, durationMs: MS, seed });
    const lines: string[] = [];
    printSoak(r, (l) => lines.push(l));
    // the seed and the figures, in the failure message
    const summary = lines.join('\n');
    expect(r.operations, summary).toBeGreaterThan(1000);
    // every kind of work happened, requests were answered
    for (const kind of ['hover', 'inlayHint', 'codeLens', 'edit', 'command', 'settings', 'append', 'truncate', 'delete']) expect(r.byKind[kind], `${kind}\n${summary}`).toBeGreaterThan(0);
    for (const kind of ['hover', 'inlayHint', 'codeLens', 'command']) expect(r.latency[kind]?.count ?? 0, `${kind}\n${summary}`).toBeGreaterThan(100);
    expect(r.errors, summary).toEqual([]);
    expect(r.exitCode, summary).toBe(0);
    expect(r.rss.growthPercent, summary).toBeLessThan(10);
  }, MS + 120_000);
});
