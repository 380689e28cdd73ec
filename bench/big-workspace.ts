/**
 * Big and messy workspaces (issue 15 item 3, issue 17 item 5): a workspace holding the shop
 * workload and a real recording, plus heavy folders (node_modules, .git, a virtualenv,
 * __pycache__ folders), a symlink loop and a big ordinary `vendor/`. The built server is spawned
 * on it; measured: time to the first inlay hints on shop/pricing.py, the profiles found, inotify
 * watches, resident memory, and CPU time while idle. `npm run soak` runs it at full size (100,000
 * heavy files and a 100,000-file vendor/), test/lsp/big-workspace.test.ts a scaled version.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { InlayHint } from 'vscode-languageserver-protocol';
import { SpawnedServer } from './spawned-server';

const ROOT = resolve(__dirname, '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
export const WORKLOADS = join(FIXTURES, 'workloads');
export const RECORDING = join(FIXTURES, 'recorded', 'austin3-cpu.austin');

export interface BigWorkspaceSpec {
  /** Files in the heavy folders (node_modules, .git, .venv, __pycache__), in all. */
  heavyFiles: number;
  /** Files in vendor/, an ordinary folder (not skipped by name). */
  vendorFiles: number;
}

export interface BuiltWorkspace {
  dir: string;
  files: number;
  /** Folders outside the skipped ones (what a watcher of profile folders needs). */
  ordinaryDirs: number;
}

const PER_DIR = 100;

/** Writes `n` small files under `base`, PER_DIR to a folder, folders two levels deep. */
function fill(base: string, n: number, name: (i: number) => string, content: string): void {
  for (let i = 0; i < n; i += PER_DIR) {
    const d = join(base, `g${Math.floor(i / (PER_DIR * 50))}`, `d${Math.floor(i / PER_DIR) % 50}`);
    mkdirSync(d, { recursive: true });
    for (let k = i; k < Math.min(n, i + PER_DIR); k++) writeFileSync(join(d, name(k)), content);
  }
}

/**
 * The workspace, built once per spec under `parent` (a `.done` note marks a complete build).
 * Every source is older than the profile; a profile inside node_modules must never be found, an
 * older one inside vendor/ must.
 */
export function buildBigWorkspace(parent: string, spec: BigWorkspaceSpec): BuiltWorkspace {
  const dir = join(parent, `big-ws-${spec.heavyFiles}-${spec.vendorFiles}`);
  const note = join(parent, `big-ws-${spec.heavyFiles}-${spec.vendorFiles}.done`);
  if (existsSync(note) && existsSync(dir)) return JSON.parse(readFileSync(note, 'utf8')) as BuiltWorkspace;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const d of ['shop', 'tests']) cpSync(join(WORKLOADS, d), join(dir, d), { recursive: true });
  const h = spec.heavyFiles;
  const nm = Math.round(h * 0.4);
  const git = Math.round(h * 0.25);
  const venv = Math.round(h * 0.2);
  const pyc = h - nm - git - venv;
  fill(join(dir, 'node_modules'), nm, (k) => `m${k}.js`, 'module.exports = 1;\n');
  fill(join(dir, '.git', 'objects'), git, (k) => `${k.toString(16).padStart(38, '0')}`, 'x');
  mkdirSync(join(dir, '.venv'), { recursive: true });
  writeFileSync(join(dir, '.venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
  fill(join(dir, '.venv', 'lib', 'python3.11', 'site-packages'), venv, (k) => `mod${k}.py`, 'x = 1\n');
  // __pycache__ folders next to ordinary sources, as Python leaves them
  for (let i = 0; i < pyc; i += PER_DIR) {
    const pkg = join(dir, 'src', `pkg${Math.floor(i / PER_DIR)}`);
    mkdirSync(join(pkg, '__pycache__'), { recursive: true });
    writeFileSync(join(pkg, 'mod.py'), 'def f():\n    return 1\n');
    for (let k = i; k < Math.min(pyc, i + PER_DIR); k++) writeFileSync(join(pkg, '__pycache__', `m${k}.cpython-311.pyc`), 'x');
  }
  fill(join(dir, 'vendor'), spec.vendorFiles, (k) => `v${k}.c`, 'int v(void) { return 0; }\n');
  // a profile where nobody looks (must never be found), and an older one in vendor/ (found, not shown)
  const recording = readFileSync(RECORDING);
  writeFileSync(join(dir, 'node_modules', 'hidden.austin'), recording);
  mkdirSync(join(dir, 'vendor', 'old'), { recursive: true });
  writeFileSync(join(dir, 'vendor', 'old', 'old.austin'), recording);
  // symlink loops: followed, they never end
  symlinkSync('.', join(dir, 'loop'));
  symlinkSync('..', join(dir, 'shop', 'up'));
  // sources and the old profile well before the profile
  const old = new Date(Date.now() - 3600_000);
  const walkOld = (p: string) => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      if (e.isSymbolicLink()) continue;
      const f = join(p, e.name);
      if (e.isDirectory()) {
        if (['node_modules', '.git', '.venv', 'vendor', 'src'].includes(e.name)) continue;
        walkOld(f);
      } else utimesSync(f, old, old);
    }
  };
  walkOld(dir);
  utimesSync(join(dir, 'vendor', 'old', 'old.austin'), old, old);
  writeFileSync(join(dir, 'profile.austin'), recording);
  const ordinaryDirs = countDirs(dir, new Set(['node_modules', '.git', '.venv', '__pycache__']));
  const built: BuiltWorkspace = { dir, files: h + spec.vendorFiles, ordinaryDirs };
  writeFileSync(note, JSON.stringify(built));
  return built;
}

function countDirs(p: string, skip: Set<string>): number {
  let n = 1;
  for (const e of readdirSync(p, { withFileTypes: true })) {
    if (e.isDirectory() && !e.isSymbolicLink() && !skip.has(e.name)) n += countDirs(join(p, e.name), skip);
  }
  return n;
}

export interface WorkspaceFigures {
  /** From spawning the server to the first non-empty inlay hints on shop/pricing.py. */
  firstHintsMs: number;
  profiles: string[];
  inotifyWatches: number;
  rssMiB: number;
  /** CPU time the server used while nothing happened, and over how long. */
  idleCpuMs: number;
  idleMs: number;
}

/** Spawns the server on `dir`, waits for hints, then measures it at rest for `idleMs`. */
export async function measureWorkspace(bin: string, dir: string, idleMs: number, settings: Record<string, unknown> = {}): Promise<WorkspaceFigures> {
  const t0 = Date.now();
  const s = new SpawnedServer({ bin, folders: [dir], settings, keep: true });
  try {
    await s.initialize();
    const uri = pathToFileURL(join(dir, 'shop', 'pricing.py')).href;
    await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: readFileSync(join(dir, 'shop', 'pricing.py'), 'utf8') } });
    let hints: InlayHint[] = [];
    while (hints.length === 0) {
      if (Date.now() - t0 > 120_000) throw new Error(`no hints within 120 s; stderr: ${s.stderr.slice(-300)}`);
      // ask again whenever the server says something changed, and at least every 50 ms
      await s.waitFor((r) => r.method === 'workspace/inlayHint/refresh', 50, 'refresh', false).catch(() => undefined);
      hints = await s.conn.sendRequest<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } } });
    }
    const firstHintsMs = Date.now() - t0;
    const list = await s.conn.sendRequest<{ path: string; loading: boolean }[]>('workspace/executeCommand', { command: 'flamelens.listProfiles', arguments: [] });
    // let every profile found finish loading before measuring rest
    for (let i = 0; i < 200; i++) {
      const l = await s.conn.sendRequest<{ loading: boolean }[]>('workspace/executeCommand', { command: 'flamelens.listProfiles', arguments: [] });
      if (!l.some((p) => p.loading)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    const cpu0 = s.cpuMs();
    const i0 = Date.now();
    await new Promise((r) => setTimeout(r, idleMs));
    const idleCpuMs = s.cpuMs() - cpu0;
    const idle = Date.now() - i0;
    return { firstHintsMs, profiles: list.map((p) => p.path), inotifyWatches: s.inotifyWatches(), rssMiB: s.rssMiB(), idleCpuMs, idleMs: idle };
  } finally {
    await s.stop();
  }
}

/** A small workspace for comparison: the shop workload and the same profile. */
export function buildSmallWorkspace(parent: string): string {
  const dir = join(parent, 'small-ws');
  if (existsSync(join(dir, 'profile.austin')) && statSync(join(dir, 'profile.austin')).size > 0) return dir;
  mkdirSync(dir, { recursive: true });
  for (const d of ['shop', 'tests']) cpSync(join(WORKLOADS, d), join(dir, d), { recursive: true });
  const old = new Date(Date.now() - 3600_000);
  for (const d of ['shop', 'tests']) for (const f of readdirSync(join(dir, d))) utimesSync(join(dir, d, f), old, old);
  writeFileSync(join(dir, 'profile.austin'), readFileSync(RECORDING));
  return dir;
}
