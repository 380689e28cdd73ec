/**
 * `npm run bench`: reader throughput against a plain newline count of the same bytes, peak RSS,
 * and the language server's request latency. Inputs are built from the real recordings in
 * test/fixtures and cached in $TMPDIR/flamelens-bench. Every measurement runs in a fresh process
 * (peak RSS then belongs to one reader and one file).
 *
 * Environment: FLAMELENS_BENCH_MB (Austin text sizes, default "200,1000"); FLAMELENS_BENCH_OTHER_MB
 * (collapsed, perf script and speedscope sizes, default 200; .cpuprofile gets a quarter);
 * FLAMELENS_BENCH_PPROF_MB (the synthetic pprof, default a tenth: pprof-format decodes slowly);
 * FLAMELENS_BENCH_SPEEDSCOPE_BIG_MB (an extra speedscope input past V8's ~512 MB string limit,
 * off by default); FLAMELENS_BENCH_RUNS=N measures each input N times and keeps the median
 * (a shared machine is noisy); FLAMELENS_BENCH_LSP=0 skips the latency part; FLAMELENS_BENCH_JSON=<file> and
 * FLAMELENS_BENCH_MD=<file> also write every figure as JSON / Markdown tables.
 * FLAMELENS_BENCH_FLAME=0 skips the flame graph page (bench/flamegraph.ts: the largest distinct-threads
 * input in headless Chromium, skipped when /usr/bin/chromium is missing); FLAMELENS_BENCH_ONLY=flamegraph
 * runs nothing else. FLAMELENS_BENCH_DIFF=0 skips `flamelens diff` on two runs (bench/diff.ts: the
 * audit-fix pair repeated to FLAMELENS_BENCH_DIFF_MB each, default the largest Austin size);
 * FLAMELENS_BENCH_ONLY=diff runs nothing else.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measure, measureRepeated, type ChildResult } from './child';
import { printDiffBench, runDiffBench, type DiffBenchResult } from './diff';
import { runFlameGraphBench, printFlameBench, type FlameBenchResult } from './flamegraph';
import { collapsed, cpuprofile, perfScript, pprof, pprofSamples, speedscope } from './format-inputs';
import { austinText, mojo, type Input } from './inputs';
import { runLoadingLatency, runLspLatencyBench, type LoadingUnderLoad, type LspLatencyResult } from './lsp-latency';
import { measureStoreRead, printStoreRead, type StoreReadResult } from './store-read';
import { markdownLsp, markdownTable } from './report';

const ROOT = resolve(__dirname, '..');
const rec = (name: string) => join(ROOT, 'test', 'fixtures', 'recorded', name);
const FIXTURES = join(ROOT, 'test', 'fixtures');

interface Job {
  label: string;
  input: Input;
  /** Read the file this many times in one process (small whole-message files), instead of once. */
  times?: number;
}

interface Row {
  label: string;
  input: Input;
  r: ChildResult;
}

/**
 * The script the measuring processes run: a private copy of this bundle, because `npm run build`
 * (run by anyone sharing the checkout) rewrites dist/bench.js while a long bench is under way.
 */
let childScript = __filename;

const LSP_TIMEOUT_MS = 300_000;

function child(args: string[], timeoutMs?: number): string {
  const out = execFileSync(process.execPath, [childScript, ...args], { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'], timeout: timeoutMs });
  return out.trim().split('\n').pop()!;
}

/** Fresh processes per input (FLAMELENS_BENCH_RUNS, default 1); with several, the run of median read time. */
function runChild(job: Job): ChildResult {
  const runs = Math.max(1, Number(process.env.FLAMELENS_BENCH_RUNS ?? 1));
  const results: ChildResult[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(JSON.parse(child(job.times ? ['--child-repeat', job.input.path, String(job.times)] : ['--child', job.input.path])) as ChildResult);
  }
  results.sort((a, b) => a.readMs - b.readMs);
  return results[(runs - 1) >> 1];
}

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

function row({ label, input, r }: Row): string {
  const mb = r.bytes / 1e6;
  const secs = r.readMs / 1000;
  const units = input.samples * r.times;
  const unit = input.unit ?? 'samples';
  return [
    label.padEnd(38),
    `${mb.toFixed(0).padStart(5)} MB`,
    `${(mb / secs).toFixed(0).padStart(5)} MB/s`,
    `${(units / secs / 1e6).toFixed(2).padStart(6)} M ${unit}/s`.padEnd(26),
    `x${(r.readMs / r.baselineMs).toFixed(1).padStart(5)} newline count`,
    `peak RSS ${r.maxRssMiB.toFixed(0).padStart(5)} MiB`,
    `${r.stacks.toLocaleString('en-US').padStart(10)} tree nodes`,
  ].join('  ');
}

/** A benchmark input that did not read whole would give flattering figures: say so next to them. */
function checks({ input, r }: Row): string[] {
  const out: string[] = [];
  if (r.issues > 0) out.push(`  ! ${input.name}: the reader reported ${r.issues} issue(s)`);
  if (input.expectSamplesMetric !== undefined && Math.round(r.samples) !== input.expectSamplesMetric) {
    out.push(`  ! ${input.name}: ${r.samples} samples read, ${input.expectSamplesMetric} written`);
  }
  if (input.unit === 'function entries' && r.functionEntries !== input.samples) {
    out.push(`  ! ${input.name}: ${r.functionEntries} function entries read, ${input.samples} expected`);
  }
  return out;
}

function runAll(title: string, jobs: Job[], rows: Row[]): void {
  console.log(`\n${title}`);
  for (const job of jobs) {
    const r = runChild(job);
    const done = { label: job.label, input: job.input, r };
    rows.push(done);
    console.log(row(done));
    for (const c of checks(done)) console.log(c);
  }
}

async function austinJobs(dir: string, sizes: number[]): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const mb of sizes) {
    jobs.push({ label: `austin text ${mb} MB, repeated stacks`, input: await austinText(dir, `wall-${mb}.austin`, rec('austin3-wall.austin'), mb * 1e6) });
  }
  for (const mb of sizes) {
    jobs.push({ label: `austin text ${mb} MB, distinct threads`, input: await austinText(dir, `wall-${mb}-distinct.austin`, rec('austin3-wall.austin'), mb * 1e6, true) });
  }
  // MOJO with as many samples as the text inputs, for the samples/s comparison
  for (const { input } of jobs.slice(0, sizes.length)) {
    const mb = Math.round(input.bytes / 1e6);
    jobs.push({ label: `mojo v3, samples of ${mb} MB text`, input: await mojo(dir, `wall-${mb}.mojo`, rec('austin3-wall.mojo'), input.samples) });
  }
  const first = jobs[0].input;
  const firstMb = Math.round(first.bytes / 1e6);
  jobs.push({ label: `mojo v4 (STACK_REPEAT), ${firstMb} MB text`, input: await mojo(dir, `wall-${firstMb}-v4.mojo`, rec('austin3-wall.mojo'), first.samples, { v4: true }) });
  jobs.push({ label: `mojo v3, distinct threads, ${firstMb} MB text`, input: await mojo(dir, `wall-${firstMb}-distinct.mojo`, rec('austin3-wall.mojo'), first.samples, { distinct: true }) });
  return jobs;
}

async function otherJobs(dir: string, mb: number, pprofMb: number, speedscopeBig: number): Promise<Job[]> {
  const jobs: Job[] = [
    { label: `collapsed (perf-c-srcline) ${mb} MB`, input: await collapsed(dir, rec('perf-c-srcline.folded'), mb * 1e6) },
    { label: `perf script (dwarf, srcline) ${mb} MB`, input: await perfScript(dir, rec('perf-c-dwarf-srcline.perf.txt'), mb * 1e6) },
    { label: `speedscope (austin3-cpu) ${mb} MB`, input: await speedscope(dir, rec('austin3-cpu.speedscope.json'), mb * 1e6) },
  ];
  if (speedscopeBig > 0) {
    jobs.push({ label: `speedscope ${speedscopeBig} MB (> V8 string)`, input: await speedscope(dir, rec('austin3-cpu.speedscope.json'), speedscopeBig * 1e6) });
  }
  const quarter = Math.max(1, Math.round(mb / 4));
  jobs.push(
    { label: `.cpuprofile (node-cpu) ${quarter} MB`, input: await cpuprofile(dir, rec('node-cpu.cpuprofile'), quarter * 1e6) },
    { label: `pprof (austin3-cpu samples) ${pprofMb} MB`, input: await pprof(dir, rec('austin3-cpu.pprof'), pprofMb * 1e6) },
  );
  // the real whole-message files as recorded, read many times in one process (about 5 MB in all)
  const small = (label: string, path: string, bytes: number, samples: number, unit?: string): Job => ({
    label,
    input: { name: path.split('/').pop()!, path, bytes, samples, unit },
    times: Math.max(1, Math.round(5e6 / bytes)),
  });
  const size = (p: string) => statSync(p).size;
  const pstatsPath = join(FIXTURES, 'generated', 'shop-pricing.pstats');
  jobs.push(
    small('pprof node-pprof-wall.pb, in-process', rec('node-pprof-wall.pb'), size(rec('node-pprof-wall.pb')), pprofSamples(rec('node-pprof-wall.pb'))),
    small('pprof node-pprof-wall.pb.gz, in-process', rec('node-pprof-wall.pb.gz'), size(rec('node-pprof-wall.pb.gz')), pprofSamples(rec('node-pprof-wall.pb'))),
    small('pprof austin3-cpu.pprof, in-process', rec('austin3-cpu.pprof'), size(rec('austin3-cpu.pprof')), pprofSamples(rec('austin3-cpu.pprof'))),
    small('pstats shop-pricing, in-process', pstatsPath, size(pstatsPath), JSON.parse(child(['--pstats-entries', pstatsPath])) as number, 'function entries'),
  );
  return jobs;
}

function printLsp(res: LspLatencyResult & { maxRssMiB: number }, profile: Input): void {
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(`\nLanguage server latency (profile ${Math.round(profile.bytes / 1e6)} MB Austin text, source file of ${res.sourceLines.toLocaleString('en-US')} lines)`);
  console.log(`  inlay hints (whole file)  p50 ${ms(res.inlayHint.p50)}  p99 ${ms(res.inlayHint.p99)}`);
  console.log(`  code lenses               p50 ${ms(res.codeLens.p50)}  p99 ${ms(res.codeLens.p99)}`);
  console.log(`  hovers                    p50 ${ms(res.hover.p50)}  p99 ${ms(res.hover.p99)}`);
  console.log(`  hover while loading       p50 ${ms(res.hoverWhileLoading.p50)}  p99 ${ms(res.hoverWhileLoading.p99)}  max ${ms(res.hoverWhileLoadingMs)} (${res.hoversWhileLoading} hovers; the server read the profile in ${(res.loadMs / 1000).toFixed(1)} s)`);
  console.log(`  peak RSS of the process   ${res.maxRssMiB.toFixed(0)} MiB`);
  const p99 = Math.max(res.inlayHint.p99, res.codeLens.p99, res.hover.p99);
  console.log(`  targets: p99 < 10 ms ${p99 < 10 ? 'met' : 'NOT met'}; hover while loading < 50 ms ${res.hoverWhileLoadingMs < 50 ? 'met' : 'NOT met'}`);
}

async function childMain(args: string[]): Promise<void> {
  const [mode, path, extra] = args;
  let out: unknown;
  if (mode === '--child') out = await measure(path);
  else if (mode === '--child-repeat') out = await measureRepeated(path, Number(extra));
  else if (mode === '--pstats-entries') out = (await measure(path)).functionEntries;
  else if (mode === '--flame') out = await runFlameGraphBench(path, extra);
  else if (mode === '--store') out = await measureStoreRead(path);
  else if (mode === '--diff') out = { ...(await runDiffBench(path, extra, Number(args[3]))), maxRssMiB: process.resourceUsage().maxRSS / 1024 };

  else if (mode === '--lsp-loaded') out = await runLoadingLatency({ profilePath: path, sourceDir: extra, hogs: Number(args[3]), bin: args[4] });
  else if (mode === '--lsp') {
    const res = await runLspLatencyBench({ profilePath: path, sourceDir: extra });
    out = { ...res, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

/**
 * Hovers while a 1 GB profile loads with both cores busy elsewhere (two CPU hogs), on the
 * repeated-stacks input and on the distinct-threads one (every stack new: the slowest to parse).
 * FLAMELENS_BENCH_HOGS changes the number of hogs.
 */
function loadedLatency(repeated: Input): { label: string; r: LoadingUnderLoad }[] {
  const hogs = Number(process.env.FLAMELENS_BENCH_HOGS ?? 2);
  const inputs = [repeated.path, repeated.path.replace(/\.austin$/, '-distinct.austin')].filter((p) => existsSync(p));
  const out: { label: string; r: LoadingUnderLoad }[] = [];
  // the built server, spawned as an editor runs it; a private copy (a build meanwhile must not change it)
  const bin = join(tmpdir(), `flamelens-bench-server-${process.pid}.js`);
  copyFileSync(join(ROOT, 'dist', 'flamelens.js'), bin);
  process.on('exit', () => rmSync(bin, { force: true }));
  console.log(`\nHovers while a profile loads, ${hogs} CPU hogs running (${cpus().length} cores; the server spawned, the client in another process)`);
  for (const path of inputs) {
    const label = path.split('/').pop()!;
    try {
      const r = JSON.parse(child(['--lsp-loaded', path, join(FIXTURES, 'workloads'), String(hogs), bin], LSP_TIMEOUT_MS)) as LoadingUnderLoad;
      out.push({ label, r });
      console.log(`  ${label.padEnd(28)} ${r.hovers} hovers: p50 ${r.hover.p50.toFixed(2)} ms  p99 ${r.hover.p99.toFixed(2)} ms  max ${r.hover.max.toFixed(1)} ms (read in ${(r.loadMs / 1000).toFixed(1)} s); target p99 < 50 ms ${r.hover.p99 < 50 ? 'met' : 'NOT met'}`);
    } catch (e) {
      console.log(`  ${label}: failed (${(e as Error).message.split('\n')[0]})`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  if (process.argv[2]?.startsWith('--')) return childMain(process.argv.slice(2));
  const started = Date.now();
  const sizes = (process.env.FLAMELENS_BENCH_MB ?? '200,1000').split(',').map(Number);
  const otherMb = Number(process.env.FLAMELENS_BENCH_OTHER_MB ?? Math.min(200, sizes[0]));
  const pprofMb = Number(process.env.FLAMELENS_BENCH_PPROF_MB ?? Math.max(1, Math.round(otherMb / 10)));
  const speedscopeBig = Number(process.env.FLAMELENS_BENCH_SPEEDSCOPE_BIG_MB ?? 0);
  const dir = join(tmpdir(), 'flamelens-bench');
  mkdirSync(dir, { recursive: true });
  childScript = join(dir, `bench-${process.pid}.js`);
  copyFileSync(__filename, childScript);
  process.on('exit', () => rmSync(childScript, { force: true }));
  const machine = `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim()})`;
  console.log(`flamelens bench: ${machine}; load average ${load()}; inputs in ${dir}`);
  console.log('Each input is read in a fresh process; "x newline count" = reader time / time to count the newlines of the same bytes in that process.');

  const rows: Row[] = [];
  if (process.env.FLAMELENS_BENCH_ONLY === 'flamegraph') {
    await flameBench(dir, sizes);
    return;
  }
  if (process.env.FLAMELENS_BENCH_ONLY === 'diff') {
    await diffBench(dir, sizes);
    return;
  }
  const austin = await austinJobs(dir, sizes);
  runAll('Austin text and MOJO', austin, rows);
  const sps = (prefix: string) => {
    const hit = rows.find((x) => x.label.startsWith(prefix));
    return hit ? hit.r.samples / hit.r.readMs : NaN;
  };
  for (const mb of sizes) {
    const text = rows.find((x) => x.label === `austin text ${mb} MB, repeated stacks`)!;
    const textMb = Math.round(text.r.bytes / 1e6);
    console.log(`MOJO v3 / text, samples per second (${textMb} MB text): x${(sps(`mojo v3, samples of ${textMb} MB`) / sps(`austin text ${mb} MB, repeated`)).toFixed(2)}`);
  }

  // the server reads through the same loop as the CLI: its full read of the largest input, against the CLI's
  let storeRead: StoreReadResult | undefined;
  const largest = rows.filter((x) => x.label.includes('repeated stacks')).pop()!.input;
  try {
    storeRead = JSON.parse(child(['--store', largest.path], LSP_TIMEOUT_MS)) as StoreReadResult;
    printStoreRead(storeRead);
  } catch (e) {
    console.log(`\nServer read vs CLI read: failed (${(e as Error).message.split('\n')[0]})`);
  }

  runAll('Other formats (each built from a real recording; see docs/performance.md)', await otherJobs(dir, otherMb, pprofMb, speedscopeBig), rows);

  let lsp: (LspLatencyResult & { maxRssMiB: number }) | undefined;
  let lspProfile: Input | undefined;
  let lspLoaded: { label: string; r: LoadingUnderLoad }[] | undefined;
  if (process.env.FLAMELENS_BENCH_LSP !== '0') {
    const profile = rows.filter((x) => x.label.includes('repeated stacks')).pop()!.input;
    lspProfile = profile;
    try {
      // bounded: a server that never reports the end of loading would otherwise hang the bench
      lsp = JSON.parse(child(['--lsp', profile.path, join(FIXTURES, 'workloads')], LSP_TIMEOUT_MS));
      printLsp(lsp!, profile);
    } catch (e) {
      // the reader figures above stand on their own; say what failed instead of losing them
      const err = e as Error & { signal?: string };
      const why = err.signal === 'SIGTERM' ? `no answer within ${LSP_TIMEOUT_MS / 1000} s` : err.message.split('\n')[0];
      console.log(`\nLanguage server latency: failed (${why})`);
    }
    lspLoaded = loadedLatency(profile);
  } else {
    console.log('\nLanguage server latency: skipped (FLAMELENS_BENCH_LSP=0)');
  }

  const diff = process.env.FLAMELENS_BENCH_DIFF !== '0' ? await diffBench(dir, sizes) : undefined;

  const flame = process.env.FLAMELENS_BENCH_FLAME !== '0' ? await flameBench(dir, sizes) : undefined;

  console.log(`\nload average at the end ${load()}; whole run ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (process.env.FLAMELENS_BENCH_JSON) {
    const json = { machine, loadAverage: loadavg(), rows: rows.map(({ label, input, r }) => ({ label, input, ...r })), storeRead, lsp, lspLoaded, diff, flame };

    writeFileSync(process.env.FLAMELENS_BENCH_JSON, JSON.stringify(json, null, 2));
  }
  if (process.env.FLAMELENS_BENCH_MD) {
    const md = [`${machine}; load average ${load()} at the end; whole run ${((Date.now() - started) / 1000).toFixed(0)} s`, '', markdownTable(rows)];
    if (lsp && lspProfile) md.push(markdownLsp(lsp, lspProfile.bytes));
    writeFileSync(process.env.FLAMELENS_BENCH_MD, md.join('\n'));
  }
}

/**
 * `flamelens diff` of two runs of the largest size (the audit-fix pair repeated), in a fresh
 * process: reading both, then comparing by function and by line, as a ratio to reading alone.
 */
async function diffBench(dir: string, sizes: number[]): Promise<DiffBenchResult | undefined> {
  const mb = Number(process.env.FLAMELENS_BENCH_DIFF_MB ?? Math.max(...sizes));
  const pair = join(FIXTURES, 'pairs', 'audit-fix');
  const before = await austinText(dir, `pair-before-${mb}.austin`, join(pair, 'before.austin'), mb * 1e6, false, 'cpu');
  const after = await austinText(dir, `pair-after-${mb}.austin`, join(pair, 'after.austin'), mb * 1e6, false, 'cpu');
  try {
    const r = JSON.parse(child(['--diff', before.path, after.path, String(before.bytes + after.bytes)], LSP_TIMEOUT_MS)) as DiffBenchResult;
    printDiffBench(r);
    return r;
  } catch (e) {
    console.log(`\nflamelens diff: failed (${(e as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

/** The flame graph page on the largest distinct-threads input (the biggest call tree), in a fresh process. */
async function flameBench(dir: string, sizes: number[]): Promise<FlameBenchResult | undefined> {
  if (!existsSync('/usr/bin/chromium')) {
    console.log('\nFlame graph page: skipped (/usr/bin/chromium is missing; scripts/setup-code-server.sh installs it)');
    return undefined;
  }
  const mb = Math.max(...sizes);
  const input = await austinText(dir, `wall-${mb}-distinct.austin`, rec('austin3-wall.austin'), mb * 1e6, true);
  try {
    const r = JSON.parse(child(['--flame', input.path, ROOT], LSP_TIMEOUT_MS)) as FlameBenchResult;
    printFlameBench(r, input.bytes);
    return r;
  } catch (e) {
    console.log(`\nFlame graph page: failed (${(e as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
