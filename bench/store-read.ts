/**
 * The language server's read of a profile (ProfileStore: chunks, yields to requests, identity
 * checks) against the CLI's read of the same file (loadProfile), in one process: both go through
 * the engine's one reading loop, so the server must not be slower than the CLI by more than its
 * bookkeeping. Reads alternate (CLI, server, CLI, server) and the faster of each pair counts.
 */
import { stat } from 'node:fs/promises';
import { loadProfile } from '../server/src/core/load';
import { ProfileStore } from '../server/src/workspace/profile-store';

export interface StoreReadResult {
  bytes: number;
  cliMs: number;
  serverMs: number;
  samplesCli: number;
  samplesServer: number;
}

async function serverRead(path: string): Promise<{ ms: number; samples: number }> {
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const store = new ProfileStore({
    log: () => undefined,
    problem: () => undefined,
    changed: (_e, kind) => {
      if (kind === 'loaded') done();
    },
    progress: async () => undefined,
    settleMs: () => 2000,
    pollMs: () => 500,
  });
  const t = performance.now();
  const e = store.add(path, await stat(path));
  await store.load(e);
  await finished;
  const ms = performance.now() - t;
  const p = e.profile!;
  store.dispose();
  return { ms, samples: p.metricIndex('samples') >= 0 ? p.metricSum('samples') : p.nodeCount };
}

async function cliRead(path: string): Promise<{ ms: number; samples: number }> {
  const t = performance.now();
  const { profile: p } = await loadProfile(path);
  return { ms: performance.now() - t, samples: p.metricIndex('samples') >= 0 ? p.metricSum('samples') : p.nodeCount };
}

export async function measureStoreRead(path: string, rounds = 2): Promise<StoreReadResult> {
  await cliRead(path); // page cache warm-up, untimed
  let cliMs = Infinity;
  let serverMs = Infinity;
  let samplesCli = 0;
  let samplesServer = 0;
  for (let i = 0; i < rounds; i++) {
    const c = await cliRead(path);
    cliMs = Math.min(cliMs, c.ms);
    samplesCli = c.samples;
    const s = await serverRead(path);
    serverMs = Math.min(serverMs, s.ms);
    samplesServer = s.samples;
  }
  return { bytes: (await stat(path)).size, cliMs, serverMs, samplesCli, samplesServer };
}

export function printStoreRead(r: StoreReadResult): void {
  const ratio = r.serverMs / r.cliMs;
  console.log(`\nServer read vs CLI read of the same ${Math.round(r.bytes / 1e6)} MB Austin text file (one process, best of 2 each)`);
  console.log(`  CLI (loadProfile) ${(r.cliMs / 1000).toFixed(2)} s · server (ProfileStore) ${(r.serverMs / 1000).toFixed(2)} s · x${ratio.toFixed(2)} (target <= 1.2: ${ratio <= 1.2 ? 'met' : 'NOT met'})`);
  if (r.samplesCli !== r.samplesServer) console.log(`  ! the two reads disagree: ${r.samplesCli} vs ${r.samplesServer} samples`);
}
