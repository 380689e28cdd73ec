/**
 * `npm run fuzz`: the long fuzz run. Each format's inputs are judged in a child process (so that a
 * hang is seen and skipped, not waited for), input i of a run with seed S being the first value
 * fast-check draws (unbiased) with seed S + i: any input is reproduced alone from (format, S, i).
 *
 *   npm run fuzz                                   # FLAMELENS_FUZZ_RUNS (100000) inputs per format
 *   npm run fuzz -- --runs 2000 --format mojo      # fewer, one format (--format may repeat)
 *   npm run fuzz -- --seed 42 --from 1234 --runs 1 --show 1 --format pstats   # one input, in full
 *   npm run fuzz -- --pathological                 # time and peak RSS of the pathological inputs
 *
 * Prints per format: inputs tried, crashes (an exception escaped), hangs (no answer within
 * --hang-ms, default 60 s, or slower than --slow-ms, default 10 s), wrong numbers (a figure that
 * cannot be true, or more than the clean cut has), data lost (less than the clean cut has) and
 * unclear issues, then the first failures with the command that reproduces each. Exit code 1 when
 * anything failed.
 */
import { fork, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { aggregate } from '../../server/src/core/aggregate';
import { Profile } from '../../server/src/core/model';
import { FORMATS } from '../../server/src/core/readers/index';
import { describeInput, FORMAT_NAMES, type FormatName, inputs, judge, type Outcome } from './fuzz-lib';

interface Args {
  formats: FormatName[];
  runs: number;
  seed: number;
  from: number;
  show: number;
  hangMs: number;
  slowMs: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const formats = argv.flatMap((a, i) => (a === '--format' ? [argv[i + 1] as FormatName] : []));
  for (const f of formats) if (!FORMAT_NAMES.includes(f)) throw new Error(`unknown format ${f}; known: ${FORMAT_NAMES.join(', ')}`);
  return {
    formats: formats.length ? formats : [...FORMAT_NAMES],
    runs: Number(get('runs') ?? process.env.FLAMELENS_FUZZ_RUNS ?? 100_000),
    seed: Number(get('seed') ?? process.env.FLAMELENS_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31)),
    from: Number(get('from') ?? 0),
    show: Number(get('show') ?? 3),
    hangMs: Number(get('hang-ms') ?? 60_000),
    slowMs: Number(get('slow-ms') ?? 10_000),
  };
}

type Verdict = 'crash' | 'hang' | 'wrong' | 'lost' | 'issues';

interface Failure {
  format: FormatName;
  index: number;
  verdict: Verdict;
  input: string;
  detail: string;
}

type Message = { type: 'start'; i: number } | { type: 'done'; i: number; ms: number; verdicts: Verdict[]; failure?: Omit<Failure, 'format'> } | { type: 'end' };

/**
 * The input of index i: the first value fast-check draws with seed + i, without the bias towards
 * small values fast-check gives its first runs (every input here is somebody's first run).
 */
function inputAt(format: FormatName, seed: number, i: number) {
  return fc.sample(fc.noBias(inputs(format)), { seed: seed + i, numRuns: 1 })[0];
}

function verdictsOf(o: Outcome): Verdict[] {
  const v: Verdict[] = [];
  if (o.crash) v.push('crash');
  if (o.wrong.length) v.push('wrong');
  if (o.lost.length) v.push('lost');
  if (o.issues.length) v.push('issues');
  return v;
}

async function child(format: FormatName, seed: number, from: number, to: number): Promise<void> {
  const send = (m: Message) => process.send!(m);
  let yielded = performance.now();
  for (let i = from; i < to; i++) {
    // IPC messages only leave while the event loop runs: without a pause now and then, a busy child
    // looks silent to the watchdog and a hang is blamed on an input that did not hang
    if (performance.now() - yielded > 50) {
      await new Promise((r) => setImmediate(r));
      yielded = performance.now();
    }
    send({ type: 'start', i });
    const input = inputAt(format, seed, i);
    const t0 = performance.now();
    const o = judge(input);
    const ms = performance.now() - t0;
    const verdicts = verdictsOf(o);
    const detail = o.crash ?? [...o.wrong, ...o.lost, ...o.issues].slice(0, 6).join('\n');
    send({ type: 'done', i, ms, verdicts, failure: verdicts.length ? { index: i, verdict: verdicts[0], input: describeInput(input), detail } : undefined });
  }
  send({ type: 'end' });
}

interface Tally {
  inputs: number;
  crash: number;
  hang: number;
  wrong: number;
  lost: number;
  issues: number;
  ms: number;
}

/** Runs inputs [from, to) of a format in child processes, restarting past a hang. */
async function runFormat(format: FormatName, a: Args, failures: Failure[]): Promise<Tally> {
  const t: Tally = { inputs: 0, crash: 0, hang: 0, wrong: 0, lost: 0, issues: 0, ms: 0 };
  let next = a.from;
  const to = a.from + a.runs;
  const started = Date.now();
  while (next < to) {
    next = await new Promise<number>((resolve) => {
      const proc = fork(__filename, ['--child', format, String(a.seed), String(next), String(to)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      /** The input in flight: the last one started and not yet done. */
      let current = next;
      let timer: NodeJS.Timeout;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          t.inputs++;
          t.hang++;
          const input = describeInput(inputAt(format, a.seed, current));
          failures.push({ format, index: current, verdict: 'hang', input, detail: `no answer within ${a.hangMs} ms` });
          proc.kill('SIGKILL');
          resolve(current + 1);
        }, a.hangMs);
      };
      arm();
      proc.on('message', (m: Message) => {
        if (m.type === 'start') {
          current = m.i;
          arm();
        } else if (m.type === 'done') {
          current = m.i + 1;
          arm();
          t.inputs++;
          t.ms += m.ms;
          const verdicts = [...m.verdicts];
          if (m.ms > a.slowMs && !verdicts.includes('hang')) verdicts.push('hang');
          for (const v of verdicts) t[v]++;
          if (m.failure) failures.push({ format, ...m.failure });
          else if (verdicts.includes('hang')) failures.push({ format, index: m.i, verdict: 'hang', input: describeInput(inputAt(format, a.seed, m.i)), detail: `took ${m.ms.toFixed(0)} ms` });
          if (t.inputs % 5000 === 0) process.stderr.write(`  ${format}: ${t.inputs} inputs, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
        } else {
          clearTimeout(timer);
          resolve(to);
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        // a crash of the process itself (out of memory, say) counts against the input it was on
        if (code !== 0 && code !== null) {
          t.inputs++;
          t.crash++;
          failures.push({ format, index: current, verdict: 'crash', input: describeInput(inputAt(format, a.seed, current)), detail: `the process exited with code ${code}` });
          resolve(current + 1);
        }
      });
    });
  }
  return t;
}

// ---- pathological but valid inputs: time and peak memory, each in a fresh process ------------

const PATHOLOGICAL: Record<string, { format: FormatName; what: string; chunks: () => Generator<Buffer> }> = {
  'austin-50mb-line': { format: 'austin-text', what: 'Austin text: one 50 MB line, a stack of 3.6 million frames', chunks: () => bigLine('# austin: 3.7.0\n# mode: wall\n\nP1;T0:1', (i) => `;/a.py:f${i % 1000}:${i % 97}`, 3_600_000, ' 5\n') },
  'folded-50mb-line': { format: 'collapsed', what: 'folded stacks: one 50 MB line, 3.6 million frames', chunks: () => bigLine('main', (i) => `;func_${i % 100000}_x`, 3_600_000, ' 5\n') },
  'austin-deep-10k': { format: 'austin-text', what: 'Austin text: 1,000 distinct stacks of 10,000 frames', chunks: () => lines(1000, (k) => `P1;T0:1;${Array.from({ length: 10_000 }, (_, i) => `/a.py:f${(i * 7 + k) % 500}:${i % 50}`).join(';')} 3\n`, '# austin: 3.7.0\n# mode: wall\n\n') },
  'austin-recursion-5000': { format: 'austin-text', what: 'Austin text: 1,000 samples of recursion 5,000 deep', chunks: () => lines(1000, (k) => `P1;T0:1;${'/a.py:rec:3;'.repeat(4999)}/a.py:rec:${k % 5} 3\n`, '# austin: 3.7.0\n# mode: wall\n\n') },
  'austin-1mb-names': { format: 'austin-text', what: 'Austin text: 50 samples with 1 MB frame names', chunks: () => lines(50, (k) => `P1;T0:1;/a.py:${String(k).padStart(4, '0')}${'x'.repeat(1 << 20)}:1 3\n`, '# austin: 3.7.0\n# mode: wall\n\n') },
};

function* bigLine(prefix: string, frame: (i: number) => string, n: number, suffix: string): Generator<Buffer> {
  let pending = prefix;
  for (let i = 0; i < n; i++) {
    pending += frame(i);
    if (pending.length >= 1 << 20) {
      yield Buffer.from(pending);
      pending = '';
    }
  }
  yield Buffer.from(pending + suffix);
}

function* lines(n: number, line: (k: number) => string, head: string): Generator<Buffer> {
  let pending = head;
  for (let k = 0; k < n; k++) {
    pending += line(k);
    if (pending.length >= 1 << 20) {
      yield Buffer.from(pending);
      pending = '';
    }
  }
  yield Buffer.from(pending);
}

/** In a fresh process: reads one pathological input, prints time, peak RSS, nodes and issues. */
function pathologicalChild(name: string): void {
  const p = PATHOLOGICAL[name];
  const reader = FORMATS.find((f) => f.name === p.format)!.create(new Profile());
  let bytes = 0;
  let ms = 0;
  for (const c of p.chunks()) {
    bytes += c.length;
    const t0 = performance.now();
    reader.push(c);
    ms += performance.now() - t0;
  }
  const t0 = performance.now();
  reader.end();
  aggregate(reader.profile);
  ms += performance.now() - t0;
  process.stdout.write(JSON.stringify({ bytes, ms, rssMiB: process.resourceUsage().maxRSS / 1024, nodes: reader.profile.nodeCount, issues: reader.issues.map((i) => i.message) }) + '\n');
}

function pathological(): void {
  console.log('pathological but valid inputs, each read in a fresh process (reading time excludes making the input; peak RSS includes it)');
  for (const [name, p] of Object.entries(PATHOLOGICAL)) {
    const r = spawnSync(process.execPath, [__filename, '--pathological-child', name], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      console.log(`${p.what}: failed (${r.stderr.split('\n')[0]})`);
      continue;
    }
    const x = JSON.parse(r.stdout.trim().split('\n').pop()!) as { bytes: number; ms: number; rssMiB: number; nodes: number; issues: string[] };
    console.log(`${p.what}: ${(x.bytes / 1e6).toFixed(1)} MB read in ${(x.ms / 1000).toFixed(2)} s, peak RSS ${x.rssMiB.toFixed(0)} MiB, ${x.nodes.toLocaleString('en-US')} tree nodes; ${x.issues.join(' | ') || 'no issues'}`);
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--pathological-child') return pathologicalChild(process.argv[3]);
  if (process.argv.includes('--pathological')) return pathological();
  if (process.argv[2] === '--child') {
    const [format, seed, from, to] = process.argv.slice(3);
    await child(format as FormatName, Number(seed), Number(from), Number(to));
    return;
  }
  const a = parseArgs(process.argv.slice(2));
  console.log(`flamelens fuzz: seed ${a.seed}, inputs ${a.from}..${a.from + a.runs - 1} per format, formats ${a.formats.join(', ')}`);
  const failures: Failure[] = [];
  const rows: [string, Tally][] = [];
  const t0 = Date.now();
  for (const f of a.formats) {
    const t = await runFormat(f, a, failures);
    rows.push([f, t]);
    console.log(`${f.padEnd(12)} ${String(t.inputs).padStart(7)} inputs  ${String(t.crash).padStart(4)} crashes  ${String(t.hang).padStart(4)} hangs  ${String(t.wrong).padStart(4)} wrong numbers  ${String(t.lost).padStart(4)} data lost  ${String(t.issues).padStart(4)} unclear issues  (${(t.ms / Math.max(1, t.inputs)).toFixed(1)} ms per input)`);
  }
  const sum = (k: keyof Tally) => rows.reduce((s, [, t]) => s + t[k], 0);
  console.log(`${'all'.padEnd(12)} ${String(sum('inputs')).padStart(7)} inputs  ${String(sum('crash')).padStart(4)} crashes  ${String(sum('hang')).padStart(4)} hangs  ${String(sum('wrong')).padStart(4)} wrong numbers  ${String(sum('lost')).padStart(4)} data lost  ${String(sum('issues')).padStart(4)} unclear issues  in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const f of failures.slice(0, a.show)) {
    console.log(`\n${f.verdict} in ${f.format} input ${f.index}: ${f.input}\n${f.detail.split('\n').map((l) => `  ${l.slice(0, 400)}`).join('\n')}\n  reproduce: npm run fuzz -- --format ${f.format} --seed ${a.seed} --from ${f.index} --runs 1 --show 1`);
  }
  if (failures.length > a.show) console.log(`\n(${failures.length - a.show} more failures not shown; --show N shows more)`);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
