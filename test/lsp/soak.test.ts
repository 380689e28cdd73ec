// The soak of the real server, one minute of it (issue 15 item 2; `npm run soak -- 10` runs ten):
// the built server spawned over stdio, driven at full speed with random requests, edits, commands,
// settings changes and profile appends, truncations and deletions. Nothing may error, the server
// must not crash, and its resident memory after warm-up must grow by less than 10 %.
// FLAMELENS_SOAK_MS changes the length, FLAMELENS_SOAK_SEED replays a run.
import { describe, expect, it } from 'vitest';
import { printSoak, runSoak } from '../../bench/soak';
import { useBuiltServer } from '../helpers/built-server';

const MS = Number(process.env.FLAMELENS_SOAK_MS ?? 60_000);
const builtServer = useBuiltServer();

describe('the soak', () => {
  it(`${MS / 1000} s of random work at full speed: no error, no crash, RSS after warm-up grows < 10 %`, async () => {
    const seed = process.env.FLAMELENS_SOAK_SEED ? Number(process.env.FLAMELENS_SOAK_SEED) : undefined;
    const r = await runSoak({ bin: builtServer(), durationMs: MS, seed });
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
