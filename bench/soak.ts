/**
 * The soak (issue 15 item 2): the built server spawned as an editor runs it, driven over stdio at
 * full speed with random opens, edits, closes, hovers, hints, lenses, symbols, call hierarchy,
 * diagnostics, commands and settings changes, while its profiles are appended to, truncated,
 * deleted and created again; bounded (it stops at its deadline) and seeded (a failure names its
 * seed). It passes when nothing errors (no error response but a cancellation, no error log but the
 * expected read problems of the profiles it mangles, no crash, nothing on stderr, every request
 * answered) and resident memory after warm-up grows by less than 10 %.
 */
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, ResponseError } from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { SpawnedServer } from './spawned-server';
import { prng } from '../test/helpers/prng';

const ROOT = resolve(__dirname, '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const rec = (n: string) => join(FIXTURES, 'recorded', n);

export interface SoakOptions {
  /** The bundle to run. */
  bin: string;
  durationMs: number;
  seed?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Called about every 10 s with a line of progress. */
  progress?: (line: string) => void;
}

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SoakResult {
  seed: number;
  durationMs: number;
  operations: number;
  byKind: Record<string, number>;
  latency: Record<string, Latency>;
  /** Every error seen (at most 50 kept), each one line. */
  errors: string[];
  errorCount: number;
  /** Read problems of the profiles the soak mangles (expected, not errors). */
  readProblems: number;
  cancelled: number;
  rss: { startMiB: number; warmMiB: number; endMiB: number; maxMiB: number; growthPercent: number; samples: number[] };
  cpuMs: number;
  exitCode: number | null;
}


function percentiles(xs: number[]): Latency {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { count: s.length, p50: r(at(0.5)), p99: r(at(0.99)), max: r(s[s.length - 1] ?? 0) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** The workspace: the shop workload and real recordings of several formats. */
function makeSoakWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flamelens-soak-'));
  for (const d of ['shop', 'tests']) cpSync(join(FIXTURES, 'workloads', d), join(dir, d), { recursive: true });
  const old = new Date(Date.now() - 3600_000);
  const walk = (p: string) => {
    for (const n of readdirSync(p, { withFileTypes: true })) {
      if (n.isDirectory()) walk(join(p, n.name));
      else utimesSync(join(p, n.name), old, old);
    }
  };
  walk(dir);
  mkdirSync(join(dir, 'profiles'));
  for (const n of ['austin3-cpu.austin', 'austin3-wall.mojo', 'austin3-cpu.pprof', 'austin3-cpu.speedscope.json', 'austin3-children.austin', 'perf-c-srcline.folded']) {
    copyFileSync(rec(n), join(dir, 'profiles', n));
    utimesSync(join(dir, 'profiles', n), old, old);
  }
  return dir;
}

interface OpenDoc {
  uri: string;
  doc: TextDocument;
}

const SETTINGS_CHOICES: [string, unknown[]][] = [
  ['threshold', [0, 0.5, 2, 10]],
  ['hints', ['both', 'total', 'own', 'off']],
  ['lenses', [true, false]],
  ['metric', [null, 'cpu', 'wall', 'samples']],
  ['refreshInterval', [50, 100, 500]],
  ['heat', ['own', 'total']],
  ['percentOf', ['scope', 'profile', 'function']],
  ['diagnostics', [false, true, { enabled: true, count: 5 }]],
  ['logLevel', ['info', 'debug', 'warn']],
];

/**
 * Runs the soak against a fresh server; never throws for what the server does wrong (that goes in
 * `errors`), only for a broken harness.
 */
export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const seed = opts.seed ?? (Date.now() % 2 ** 31);
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const dir = makeSoakWorkspace();
  const profiles = join(dir, 'profiles');
  const errors: string[] = [];
  let errorCount = 0;
  const error = (m: string) => {
    errorCount++;
    if (errors.length < 50) errors.push(m.split('\n')[0].slice(0, 300));
  };
  const latencies = new Map<string, number[]>();
  const byKind: Record<string, number> = {};
  let cancelled = 0;
  let readProblems = 0;
  const s = new SpawnedServer({ bin: opts.bin, folders: [dir], keep: false, settings: { refreshInterval: 100 } });
  const logListener = (r: { method: string; params: unknown }) => {
    if (r.method !== 'window/logMessage' && r.method !== 'window/showMessage') return;
    const p = r.params as { type: number; message: string };
    if (p.type !== 1) return;
    // a profile the soak truncates mid-record or replaces is a read problem to report, not a fault
    const m = p.message.replace(/^flamelens: /, '').replace(/^baseline:? /, '');
    if (m.startsWith(profiles + '/')) readProblems++;
    else error(`${r.method}: ${p.message}`);
  };
  // the server's own listener list is private: wrap record through waitFor-like polling of received
  const seen = { n: 0 };
  const drainLogs = () => {
    for (; seen.n < s.received.length; seen.n++) logListener(s.received[seen.n]);
  };

  const sources = ['shop/pricing.py', 'shop/inventory.py', 'shop/__main__.py', 'shop/orders.py', 'shop/report.py', 'tests/test_pricing.py']
    .map((r) => join(dir, r))
    .filter(existsSync);
  const open = new Map<string, OpenDoc>();
  let version = 1;

  // the live profile: a real recording appended in pieces, truncated and deleted now and then
  const liveSrc = readFileSync(rec('austin3-cpu.austin'));
  const live = join(profiles, 'live.austin');
  let liveAt = 0;
  const LIVE_MAX = 16 * 1024 * 1024;
  writeFileSync(live, '');

  const t0 = Date.now();
  const deadline = t0 + opts.durationMs;
  const cpu0 = (() => {
    try {
      return s.cpuMs();
    } catch {
      return 0;
    }
  })();
  const rss: number[] = [];
  const rssTimer = setInterval(() => {
    try {
      rss.push(Math.round(s.rssMiB() * 10) / 10);
    } catch {
      // gone: noticed below
    }
  }, 500);
  let lastProgress = t0;

  const request = async <T>(kind: string, method: string, params: unknown, cancel = false): Promise<T | undefined> => {
    const t = performance.now();
    const cts = new CancellationTokenSource();
    if (cancel) setTimeout(() => cts.cancel(), Math.floor(rnd() * 3));
    try {
      const answer = await Promise.race([
        s.conn.sendRequest(method, params, cts.token) as Promise<T>,
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no answer within 30 s`)), 30_000)),
      ]);
      const list = latencies.get(kind) ?? [];
      list.push(performance.now() - t);
      latencies.set(kind, list);
      return answer;
    } catch (e) {
      if (e instanceof ResponseError && e.code === -32800) cancelled++;
      else error(`${method} (${kind}): ${e instanceof ResponseError ? `error ${e.code} ` : ''}${(e as Error).message}`);
      return undefined;
    } finally {
      cts.dispose();
    }
  };

  const randomPosition = (d: OpenDoc) => {
    const line = Math.floor(rnd() * d.doc.lineCount);
    return { line, character: Math.floor(rnd() * 12) };
  };

  const ops: [number, string, () => Promise<void> | void][] = [
    [5, 'open', async () => {
      const path = pick(sources);
      const uri = pathToFileURL(path).href;
      if (open.has(uri)) return;
      const doc = TextDocument.create(uri, 'python', 1, readFileSync(path, 'utf8'));
      open.set(uri, { uri, doc });
      await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: doc.getText() } });
    }],
    [3, 'close', async () => {
      if (open.size < 2) return;
      const d = pick([...open.values()]);
      open.delete(d.uri);
      await s.conn.sendNotification('textDocument/didClose', { textDocument: { uri: d.uri } });
    }],
    [14, 'edit', async () => {
      if (open.size === 0) return;
      const d = pick([...open.values()]);
      const line = Math.floor(rnd() * d.doc.lineCount);
      const r = rnd();
      let change: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string };
      if (r < 0.4) change = { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: '# soak\n' };
      else if (r < 0.7 && d.doc.lineCount > 40) change = { range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, text: '' };
      else if (r < 0.9) change = { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: 'x' };
      else change = { range: { start: { line, character: 0 }, end: { line: Math.min(d.doc.lineCount - 1, line + 3), character: 2 } }, text: 'y\nz\n' };
      const v = ++version;
      d.doc = TextDocument.update(d.doc, [change], v);
      await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri: d.uri, version: v }, contentChanges: [change] });
      if (rnd() < 0.1) await s.conn.sendNotification('textDocument/didSave', { textDocument: { uri: d.uri } });
    }],
    [18, 'hover', async () => {
      if (open.size === 0) return;
      const d = pick([...open.values()]);
      await request('hover', 'textDocument/hover', { textDocument: { uri: d.uri }, position: randomPosition(d) }, rnd() < 0.05);
    }],
    [14, 'inlayHint', async () => {
      if (open.size === 0) return;
      const d = pick([...open.values()]);
      await request('inlayHint', 'textDocument/inlayHint', { textDocument: { uri: d.uri }, range: { start: { line: 0, character: 0 }, end: { line: d.doc.lineCount, character: 0 } } }, rnd() < 0.05);
    }],
    [10, 'codeLens', async () => {
      if (open.size === 0) return;
      const d = pick([...open.values()]);
      await request('codeLens', 'textDocument/codeLens', { textDocument: { uri: d.uri } }, rnd() < 0.05);
    }],
    [3, 'workspaceSymbol', async () => {
      await request('workspaceSymbol', 'workspace/symbol', { query: pick(['', 'price', 'audit', 'x']) });
    }],
    [3, 'callHierarchy', async () => {
      if (open.size === 0) return;
      const d = pick([...open.values()]);
      const items = await request<unknown[] | null>('callHierarchy', 'textDocument/prepareCallHierarchy', { textDocument: { uri: d.uri }, position: randomPosition(d) });
      if (items && items.length > 0) {
        await request('callHierarchy', 'callHierarchy/incomingCalls', { item: items[0] });
        await request('callHierarchy', 'callHierarchy/outgoingCalls', { item: items[0] });
      }
    }],
    [2, 'diagnostic', async () => {
      if (open.size === 0) return;
      const d = pick([...open.values()]);
      await request('diagnostic', 'textDocument/diagnostic', { textDocument: { uri: d.uri } });
    }],
    [10, 'command', async () => {
      const c = rnd();
      const cmd = (command: string, ...args: unknown[]) => request(`command`, 'workspace/executeCommand', { command, arguments: args });
      if (c < 0.15) await cmd('flamelens.listProfiles');
      else if (c < 0.3) {
        const list = (await cmd('flamelens.listProfiles')) as { uri: string }[] | undefined;
        if (list && list.length > 0) await cmd('flamelens.selectProfile', pick(list).uri);
      } else if (c < 0.4) {
        const ms = (await cmd('flamelens.listMetrics')) as { key: string }[] | undefined;
        if (ms && ms.length > 0) await cmd('flamelens.selectMetric', pick(ms).key);
      } else if (c < 0.5) {
        const sc = (await cmd('flamelens.listScopes')) as { pid?: string; thread?: number }[] | undefined;
        await cmd('flamelens.setScope', sc && sc.length > 0 && rnd() < 0.5 ? pick(sc) : null);
      } else if (c < 0.6) await cmd('flamelens.toggle', rnd() < 0.8);
      else if (c < 0.7 && open.size > 0) {
        const d = pick([...open.values()]);
        await cmd('flamelens.showCallers', d.uri, randomPosition(d));
      } else if (c < 0.8) await cmd('flamelens.hotspots', {});
      else if (c < 0.87) await cmd('flamelens.setPercentOf', pick(['scope', 'profile', 'function']));
      else if (c < 0.94) await cmd('flamelens.selectBaseline', pick(['none', 'previous', join(profiles, 'austin3-children.austin')]));
      else await cmd('flamelens.openFlameGraph', { open: false });
    }],
    [3, 'settings', async () => {
      const [key, values] = pick(SETTINGS_CHOICES);
      s.settings = { ...s.settings, [key]: pick(values) };
      await s.conn.sendNotification('workspace/didChangeConfiguration', { settings: { flamelens: s.settings } });
    }],
    [9, 'append', () => {
      // a profiler writing: the next piece of the recording, cut anywhere (mid-line too)
      const n = 1 + Math.floor(rnd() * 60_000);
      const piece = liveSrc.subarray(liveAt, liveAt + n);
      appendFileSync(live, piece);
      liveAt += piece.length;
      if (liveAt >= liveSrc.length) liveAt = liveSrc.indexOf('\n\n') + 2; // go on with the samples after the header
      if (existsSync(live) && readSize(live) > LIVE_MAX) truncateLive();
    }],
    [1, 'truncate', () => {
      if (rnd() < 0.5) truncateLive();
      // cut at a random byte, the writer going on where it was: read again from the start, with a broken record inside
      else if (existsSync(live)) truncateSync(live, Math.floor(rnd() * readSize(live)));
    }],
    [1, 'delete', () => {
      const victims = readdirSync(profiles).filter((n) => n.startsWith('copy-'));
      if (victims.length > 0 && rnd() < 0.5) rmSync(join(profiles, pick(victims)), { force: true });
      else copyFileSync(rec(pick(['austin3-wall.austin', 'austin3-cpu.mojo', 'austin3-full.austin'])), join(profiles, `copy-${Math.floor(rnd() * 4)}${pick(['.austin', '.mojo'])}`));
      if (rnd() < 0.2) {
        rmSync(live, { force: true });
        liveAt = 0;
        writeFileSync(live, '');
      }
    }],
  ];
  const total = ops.reduce((a, o) => a + o[0], 0);
  const chooseOp = () => {
    let x = rnd() * total;
    for (const o of ops) {
      x -= o[0];
      if (x < 0) return o;
    }
    return ops[ops.length - 1];
  };

  function truncateLive(): void {
    truncateSync(live, 0);
    liveAt = 0;
  }

  let operations = 0;
  try {
    await s.initialize();
    // every worker opens a document first
    await ops[0][2]();
    const worker = async () => {
      while (Date.now() < deadline && s.exitCode === undefined) {
        const [, kind, run] = chooseOp();
        byKind[kind] = (byKind[kind] ?? 0) + 1;
        operations++;
        try {
          await run();
        } catch (e) {
          error(`${kind}: the soak itself failed: ${(e as Error).message}`);
        }
        drainLogs();
        if (Date.now() - lastProgress > 10_000 && opts.progress) {
          lastProgress = Date.now();
          opts.progress(`${Math.round((Date.now() - t0) / 1000)} s: ${operations} operations, RSS ${rss[rss.length - 1] ?? '?'} MiB, ${errorCount} errors`);
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
  } finally {
    clearInterval(rssTimer);
  }
  // let the last refreshes and reads settle, then look at the logs once more
  await new Promise((r) => setTimeout(r, 500));
  drainLogs();
  if (s.exitCode !== undefined) error(`the server exited during the soak with code ${s.exitCode}`);
  let cpuMs = 0;
  try {
    cpuMs = s.cpuMs() - cpu0;
  } catch {
    // gone
  }
  const exitCode = await s.stop();
  drainLogs();
  if (exitCode !== 0) error(`shutdown and exit gave code ${exitCode}`);
  if (s.stderr.trim()) error(`stderr: ${s.stderr.trim().split('\n')[0]}`);
  rmSync(dir, { recursive: true, force: true });

  // warm-up: the first fifth of the run (at least 10 s, at most 60 s): caches and JIT fill then
  const warmSamples = Math.min(120, Math.max(20, Math.floor(rss.length / 5)));
  const window = Math.max(5, Math.min(20, Math.floor(rss.length / 10)));
  const warm = median(rss.slice(warmSamples, warmSamples + window));
  const end = median(rss.slice(-window));
  return {
    seed,
    durationMs: Date.now() - t0,
    operations,
    byKind,
    latency: Object.fromEntries([...latencies].map(([k, v]) => [k, percentiles(v)])),
    errors,
    errorCount,
    readProblems,
    cancelled,
    rss: {
      startMiB: rss[0] ?? NaN,
      warmMiB: warm,
      endMiB: end,
      maxMiB: Math.max(...rss),
      growthPercent: Math.round(((end - warm) / warm) * 1000) / 10,
      samples: rss,
    },
    cpuMs,
    exitCode,
  };
}

function readSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

export function printSoak(r: SoakResult, log: (l: string) => void = console.log): void {
  log(`soak: seed ${r.seed}, ${(r.durationMs / 1000).toFixed(0)} s, ${r.operations.toLocaleString('en-US')} operations (${Object.entries(r.byKind).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  log(`  requests: ${Object.entries(r.latency).map(([k, l]) => `${k} ${l.count} (p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms)`).join('; ')}`);
  log(`  cancelled ${r.cancelled}; read problems reported for the mangled profiles ${r.readProblems}; server CPU ${(r.cpuMs / 1000).toFixed(1)} s`);
  log(`  RSS: start ${r.rss.startMiB} MiB, after warm-up ${r.rss.warmMiB} MiB, end ${r.rss.endMiB} MiB, max ${r.rss.maxMiB} MiB: growth ${r.rss.growthPercent} % (limit 10 %)`);
  log(`  exit code ${r.exitCode}; errors ${r.errorCount}${r.errors.length ? ':' : ''}`);
  for (const e of r.errors.slice(0, 20)) log(`    ${e}`);
}
