/**
 * Watches the workspace folders with chokidar (Neovim never sends didChangeWatchedFiles): profile
 * files matching the `flamelens.profiles` globs, and every other file as a candidate source for
 * path matching. Dependency and virtualenv folders are never entered.
 */
import { existsSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import * as nodePath from 'node:path';
import type { FSWatcher } from 'chokidar' with { 'resolution-mode': 'import' };

/** Folders never entered, for profiles or sources. */
const IGNORED_DIRS = new Set([
  'node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', '.tox', '.nox',
  '.mypy_cache', '.pytest_cache', '.ruff_cache', 'site-packages', 'dist-packages', '.idea',
]);
/** Folders whose files are build output: never source candidates (copies would tie with the real sources). */
const BUILD_DIRS = new Set(['build', 'dist', 'out']);

export interface WatcherEvents {
  profile(kind: 'add' | 'change' | 'unlink', path: string, stats?: Stats): void;
  source(kind: 'add' | 'unlink', path: string): void;
  /** The initial scan is complete. */
  ready(): void;
  error(message: string): void;
}

export function isIgnoredDir(path: string, stats?: Stats): boolean {
  const base = nodePath.basename(path);
  if (IGNORED_DIRS.has(base)) return true;
  // A virtualenv under any name (env, .env311, ...) has a pyvenv.cfg at its top.
  if (stats?.isDirectory() || (!stats && (base === 'env' || base.startsWith('.env')))) {
    return existsSync(nodePath.join(path, 'pyvenv.cfg'));
  }
  return false;
}

function inBuildDir(folder: string, path: string): boolean {
  return nodePath
    .relative(folder, path)
    .split(nodePath.sep)
    .slice(0, -1)
    .some((s) => BUILD_DIRS.has(s));
}

/** A home folder or a file system root opened as a workspace is searched only this deep. */
const SHALLOW_DEPTH = 3;

function isTooBroad(folder: string): boolean {
  const f = nodePath.resolve(folder);
  return f === nodePath.parse(f).root || f === nodePath.resolve(homedir());
}

export class WorkspaceWatcher {
  private watcher: FSWatcher | undefined;
  private closed = false;

  constructor(
    private readonly folders: readonly string[],
    /** Decides from a path relative to its workspace folder (with `/`). */
    private readonly isProfile: (relativePath: string) => boolean,
    private readonly events: WatcherEvents,
  ) {}

  async start(): Promise<void> {
    if (this.folders.length === 0) {
      this.events.ready();
      return;
    }
    const { watch } = await import('chokidar');
    if (this.closed) return;
    const broad = this.folders.filter(isTooBroad);
    if (broad.length > 0) this.events.error(`${broad.join(', ')} is a home folder or a root: searched ${SHALLOW_DEPTH} folders deep only`);
    const w = watch([...this.folders], {
      ...(broad.length > 0 ? { depth: SHALLOW_DEPTH } : {}),
      ignoreInitial: false,
      persistent: true,
      followSymlinks: false,
      alwaysStat: true,
      ignorePermissionErrors: true,
      ignored: (p: string, stats?: Stats) => (stats ? stats.isDirectory() : true) && isIgnoredDir(p, stats),
    });
    this.watcher = w;
    const classify = (p: string): { profile: boolean; folder: string } => {
      const folder = this.folders.find((f) => p === f || p.startsWith(f.endsWith(nodePath.sep) ? f : f + nodePath.sep)) ?? this.folders[0];
      return { profile: this.isProfile(nodePath.relative(folder, p).split(nodePath.sep).join('/')), folder };
    };
    w.on('add', (p, st) => {
      const c = classify(p);
      if (c.profile) this.events.profile('add', p, st);
      else if (!inBuildDir(c.folder, p)) this.events.source('add', p);
    });
    w.on('change', (p, st) => {
      if (classify(p).profile) this.events.profile('change', p, st);
    });
    w.on('unlink', (p) => {
      if (classify(p).profile) this.events.profile('unlink', p);
      else this.events.source('unlink', p);
    });
    w.on('ready', () => this.events.ready());
    w.on('error', (e) => this.events.error(String((e as Error)?.message ?? e)));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
  }
}
