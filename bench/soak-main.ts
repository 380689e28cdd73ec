/**
 * `npm run soak -- <minutes>`: the long forms of the reliability checks, against the built server.
 *   1. the soak (bench/soak.ts) for <minutes> (default 10);
 *   2. a big and messy workspace at full size (bench/big-workspace.ts): 100,000 files in heavy
 *      folders and a 100,000-file vendor/, idle CPU measured over 60 s;
 *   3. one profile of 1 M distinct stacks (bench/huge-profile.ts): load, first hover, caps, RSS, and
 *      the CLI's `info` on it.
 * FLAMELENS_SOAK_PARTS=soak,workspace,stacks picks parts; FLAMELENS_SOAK_SEED replays a soak.
 * Exits 1 when the soak fails its criteria. Inputs are cached in $TMPDIR/flamelens-bench.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBigWorkspace, buildSmallWorkspace, measureWorkspace } from './big-workspace';
import { printHugeProfile, runHugeProfile } from './huge-profile';
import { printSoak, runSoak } from './soak';

async function main(): Promise<number> {
  const minutes = Number(process.argv[2] ?? 10);
  const parts = (process.env.FLAMELENS_SOAK_PARTS ?? 'soak,workspace,stacks').split(',');
  const dir = join(tmpdir(), 'flamelens-bench');
  mkdirSync(dir, { recursive: true });
  // a private copy of the server: a build meanwhile must not change what is measured
  const bin = join(dir, `soak-server-${process.pid}.js`);
  copyFileSync(join(__dirname, 'flamelens.js'), bin);
  process.on('exit', () => rmSync(bin, { force: true }));
  const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`flamelens soak: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim()}); load average ${load()}`);
  let failed = false;

  if (parts.includes('soak')) {
    const seed = process.env.FLAMELENS_SOAK_SEED ? Number(process.env.FLAMELENS_SOAK_SEED) : undefined;
    const r = await runSoak({ bin, durationMs: minutes * 60_000, seed, progress: (l) => console.log(`  ${l}`) });
    printSoak(r);
    const ok = r.errorCount === 0 && r.exitCode === 0 && r.rss.growthPercent < 10;
    console.log(`  ${ok ? 'PASSED' : 'FAILED'} (load average ${load()})`);
    failed ||= !ok;
  }

  if (parts.includes('workspace')) {
    const built = buildBigWorkspace(dir, { heavyFiles: 100_000, vendorFiles: 100_000 });
    const small = await measureWorkspace(bin, buildSmallWorkspace(dir), 10_000);
    const big = await measureWorkspace(bin, built.dir, 60_000);
    console.log(`\nbig and messy workspace: ${built.files.toLocaleString('en-US')} files (${built.ordinaryDirs} ordinary folders), load average ${load()}`);
    console.log(`  small workspace: first hints ${small.firstHintsMs} ms, RSS ${small.rssMiB.toFixed(0)} MiB, ${small.inotifyWatches} inotify watches`);
    console.log(`  big workspace:   first hints ${big.firstHintsMs} ms, RSS ${big.rssMiB.toFixed(0)} MiB (x${(big.rssMiB / small.rssMiB).toFixed(2)}), ${big.inotifyWatches} inotify watches, CPU at rest ${big.idleCpuMs} ms over ${(big.idleMs / 1000).toFixed(0)} s`);
    console.log(`  profiles found: ${big.profiles.map((p) => p.slice(built.dir.length + 1)).join(', ')}`);
  }

  if (parts.includes('stacks')) {
    printHugeProfile(await runHugeProfile(bin, dir));
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 2;
  },
);
