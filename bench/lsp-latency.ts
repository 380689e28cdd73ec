/**
 * Language server request latency, in process over a real JSON-RPC connection (the server's own
 * connection on one end, vscode-languageserver-protocol's on the other, joined by in-memory
 * streams): with a big profile loaded, p50/p99 of inlay hints, code lenses and hovers on a large
 * source file; and, while such a profile is loading, how long a hover waits for its answer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, cpSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
  createProtocolConnection,
  type MessageConnection,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { createConnection } from 'vscode-languageserver/node';
import { serve } from '../server/src/connection';
import { SpawnedServer } from './spawned-server';
import type { LineHeatParams, StatusParams } from '../server/src/protocol';

export interface Percentiles {
  p50: number;
  p99: number;
}

export interface LspLatencyResult {
  inlayHint: Percentiles;
  codeLens: Percentiles;
  hover: Percentiles;
  /** Longest wait for a hover answered while the profile was being read. */
  hoverWhileLoadingMs: number;
  /** The same hovers' percentiles (the longest waits are GC pauses of the reader's allocations). */
  hoverWhileLoading: Percentiles;
  /** Hovers measured while loading, and the time the server took to read the profile. */
  hoversWhileLoading: number;
  loadMs: number;
  /** Lines of the source file the requests were made on. */
  sourceLines: number;
}

interface Session {
  conn: ProtocolConnection;
  notifications: { method: string; params: unknown }[];
  listeners: (() => void)[];
  dispose(): Promise<void>;
}

async function startSession(folder: string, profileGlob: string): Promise<Session> {
  const up = new PassThrough();
  const down = new PassThrough();
  const serverConn = createConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
  const server = serve(serverConn);
  const conn = createProtocolConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  const notifications: { method: string; params: unknown }[] = [];
  const listeners: (() => void)[] = [];
  const raw = conn as unknown as MessageConnection;
  raw.onNotification((method: string, params: unknown) => {
    notifications.push({ method, params });
    for (const l of listeners) l();
  });
  raw.onRequest((method: string) => {
    notifications.push({ method, params: undefined });
    for (const l of listeners) l();
    return method === 'workspace/configuration' ? [{ profiles: [profileGlob], refreshInterval: 500 }] : null;
  });
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: null,
    rootUri: pathToFileURL(folder).href,
    workspaceFolders: [{ uri: pathToFileURL(folder).href, name: 'bench' }],
    capabilities: {
      workspace: { configuration: true, inlayHint: { refreshSupport: true }, codeLens: { refreshSupport: true } },
      window: { workDoneProgress: true },
      // the bench waits on flamelens/status and flamelens/lineHeat, which are opt-in
      experimental: { flamelens: { lineHeat: true, status: true } },
    },
  });
  await conn.sendNotification('initialized', {});
  return {
    conn,
    notifications,
    listeners,
    dispose: async () => {
      await conn.sendRequest('shutdown').catch(() => undefined);
      await server.dispose();
      conn.dispose();
      serverConn.dispose();
    },
  };
}

function until<T>(s: Session, pick: () => T | undefined): Promise<T> {
  return new Promise((resolve) => {
    const check = () => {
      const v = pick();
      if (v !== undefined) {
        s.listeners.splice(s.listeners.indexOf(check), 1);
        resolve(v);
      }
    };
    s.listeners.push(check);
    check();
  });
}

const lastStatus = (s: Session) => [...s.notifications].reverse().find((n) => n.method === 'flamelens/status')?.params as StatusParams | undefined;

function percentiles(xs: number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: round(at(0.5)), p99: round(at(0.99)) };
}

/** Requests made before measuring: the first ones after a load pay for caches (definitions, line tables). */
const WARMUP = 10;

const round = (x: number) => Math.round(x * 1000) / 1000;

/** A deterministic pseudo-random sequence, so that runs make the same requests. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

/**
 * Puts the profile (hard-linked, else copied) and the sources in a temporary workspace.
 */
function prepareWorkspace(profilePath: string, sourceDir: string): { dir: string; profile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flamelens-lsp-bench-'));
  for (const n of readdirSync(sourceDir)) {
    if (statSync(join(sourceDir, n)).isDirectory()) cpSync(join(sourceDir, n), join(dir, n), { recursive: true });
    else copyFileSync(join(sourceDir, n), join(dir, n));
  }
  const profile = join(dir, basename(profilePath));
  try {
    linkSync(profilePath, profile);
  } catch {
    copyFileSync(profilePath, profile);
  }
  return { dir, profile };
}

/** Makes a source file large: its own lines first (so the profile's line numbers hold), then generated functions. */
function padSource(path: string, lines: number): void {
  const text = readFileSync(path, 'utf8');
  const have = text.split('\n').length;
  const out: string[] = [text.endsWith('\n') ? text.slice(0, -1) : text, '', ''];
  for (let i = 0; have + out.length < lines; i++) {
    out.push(`def generated_${i}(values, factor=1.0):`, `    total = 0.0`, `    for v in values:`, `        total += v * factor  # padding`, `    return total`, '', '');
  }
  writeFileSync(path, out.join('\n') + '\n');
}

async function open(s: Session, path: string): Promise<{ uri: string; lines: number }> {
  const uri = pathToFileURL(path).href;
  const text = readFileSync(path, 'utf8');
  await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
  return { uri, lines: text.split('\n').length };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function runLspLatencyBench(opts: { profilePath: string; sourceDir: string; requests?: number; sourceLines?: number }): Promise<LspLatencyResult> {
  const requests = opts.requests ?? 500;
  const { dir, profile } = prepareWorkspace(opts.profilePath, opts.sourceDir);
  const glob = basename(profile);
  try {
    // 1. hovers while the profile loads (a fresh server, the file read from the start)
    const loading = await startSession(dir, glob);
    await until(loading, () => loading.notifications.find((n) => n.method === 'window/workDoneProgress/create' || n.method === 'flamelens/status'));
    const started = performance.now();
    const target = await findHotFile(dir);
    const doc = await open(loading, target);
    const whileLoading: number[] = [];
    const rnd = lcg(7);
    while (!(lastStatus(loading)?.loading === false && (lastStatus(loading)?.samples ?? 0) > 0)) {
      const line = Math.floor(rnd() * doc.lines);
      whileLoading.push(await time(() => loading.conn.sendRequest('textDocument/hover', { textDocument: { uri: doc.uri }, position: { line, character: 4 } })));
      await new Promise((r) => setTimeout(r, 5));
    }
    const loadMs = performance.now() - started;
    await loading.dispose();

    // 2. steady state on a large source file
    padSource(target, opts.sourceLines ?? 20000);
    const s = await startSession(dir, glob);
    await until(s, () => {
      const st = lastStatus(s);
      return st && !st.loading && (st.samples ?? 0) > 0 ? st : undefined;
    });
    const big = await open(s, target);
    const heat = await until(s, () =>
      s.notifications.find((n) => n.method === 'flamelens/lineHeat' && (n.params as LineHeatParams).uri === big.uri && (n.params as LineHeatParams).lines.length > 0),
    );
    const hot = (heat.params as LineHeatParams).lines.map((l) => l.line);
    const all = { start: { line: 0, character: 0 }, end: { line: big.lines, character: 0 } };
    const hints: number[] = [];
    const lenses: number[] = [];
    const hovers: number[] = [];
    for (let i = -WARMUP; i < requests; i++) {
      if (i === 0) hints.length = lenses.length = hovers.length = 0;
      hints.push(await time(() => s.conn.sendRequest('textDocument/inlayHint', { textDocument: { uri: big.uri }, range: all })));
      lenses.push(await time(() => s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: big.uri } })));
      // mostly lines with data, some without
      const line = i % 4 === 3 ? Math.floor(rnd() * big.lines) : hot[Math.floor(rnd() * hot.length)];
      hovers.push(await time(() => s.conn.sendRequest('textDocument/hover', { textDocument: { uri: big.uri }, position: { line, character: 4 } })));
    }
    await s.dispose();
    return {
      inlayHint: percentiles(hints),
      codeLens: percentiles(lenses),
      hover: percentiles(hovers),
      hoverWhileLoadingMs: round(Math.max(0, ...whileLoading)),
      hoverWhileLoading: whileLoading.length > 0 ? percentiles(whileLoading) : { p50: 0, p99: 0 },
      hoversWhileLoading: whileLoading.length,
      loadMs: Math.round(loadMs),
      sourceLines: big.lines,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The workspace's pricing.py when present (the hottest shop file), else its first .py file. */
async function findHotFile(dir: string): Promise<string> {
  const found: string[] = [];
  const walk = (p: string) => {
    for (const n of readdirSync(p)) {
      const f = join(p, n);
      if (statSync(f).isDirectory()) walk(f);
      else if (n.endsWith('.py')) found.push(f);
    }
  };
  walk(dir);
  return found.find((f) => f.endsWith(`${'/'}pricing.py`)) ?? found[0];
}

export interface LoadingUnderLoad {
  hogs: number;
  hovers: number;
  hover: Percentiles & { max: number };
  loadMs: number;
}

/** Processes that keep a core busy each, until killed (the "both cores busy with other work" of issue 15). */
export function cpuHogs(n: number): { stop(): void } {
  const kids: ChildProcess[] = [];
  for (let i = 0; i < n; i++) kids.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const stop = () => {
    for (const k of kids) k.kill('SIGKILL');
  };
  process.once('exit', stop);
  return { stop };
}

/**
 * Hovers while a profile loads, with `hogs` busy processes running: the built server spawned as an
 * editor runs it (so the client's own work is not on the server's event loop), a hover about every
 * 5 ms on the hot source file, from the server's start to the end of the read.
 */
export async function runLoadingLatency(opts: { profilePath: string; sourceDir: string; hogs: number; bin: string }): Promise<LoadingUnderLoad> {
  const { dir, profile } = prepareWorkspace(opts.profilePath, opts.sourceDir);
  const bin = join(dir, '.flamelens-server.js');
  copyFileSync(opts.bin, bin);
  const hogs = cpuHogs(opts.hogs);
  const s = new SpawnedServer({ bin, folders: [dir], keep: true, settings: { profiles: [basename(profile)], refreshInterval: 500 } });
  try {
    // the hogs take the cores first
    await new Promise((r) => setTimeout(r, 500));
    await s.initialize();
    const status = () => [...s.received].reverse().find((r) => r.method === 'flamelens/status')?.params as StatusParams | undefined;
    await s.waitFor((r) => r.method === 'window/workDoneProgress/create' || r.method === 'flamelens/status', 60_000, 'the read to start');
    const started = performance.now();
    const target = await findHotFile(dir);
    const text = readFileSync(target, 'utf8');
    const uri = pathToFileURL(target).href;
    await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
    const lines = text.split('\n').length;
    const times: number[] = [];
    const rnd = lcg(11);
    while (!(status()?.loading === false && (status()?.samples ?? 0) > 0)) {
      const line = Math.floor(rnd() * lines);
      times.push(await time(() => s.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character: 4 } })));
      await new Promise((r) => setTimeout(r, 5));
    }
    const loadMs = performance.now() - started;
    return { hogs: opts.hogs, hovers: times.length, hover: { ...percentiles(times), max: round(Math.max(0, ...times)) }, loadMs: Math.round(loadMs) };
  } finally {
    hogs.stop();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
