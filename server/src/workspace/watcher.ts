/**
 * Watches the workspace folders for profiles (Neovim never sends didChangeWatchedFiles) and tells
 * the file index which source files exist. One non-recursive `fs.watch` per folder, never one per
 * file: a folder's watch reports every name created, changed or removed in it, which is all that is
 * needed to find new profiles and keep the index of sources current. Only profiles are stat'ed;
 * sources are known by name from the folder listings. Folders matching `flamelens.exclude`
 * (dependencies, VCS data, caches) and virtualenvs (a `pyvenv.cfg` at their top) are never
 * entered, symlinked folders are never followed (loops), and at most MAX_WATCHED_FOLDERS folders
 * are watched, so the inotify watches a workspace costs are bounded whatever its size.
 */
import { type Dirent, type FSWatcher, type Stats, watch } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as nodePath from 'node:path';

/** Folders whose files are build output: never source candidates (copies would tie with the real sources). */
const BUILD_DIRS = new Set(['build', 'dist', 'out']);
/** Most folders watched at once; past it, folders are still searched once but not watched. */
export const MAX_WATCHED_FOLDERS = 10_000;
/** A home folder or a file system root opened as a workspace is searched only this deep. */
const SHALLOW_DEPTH = 3;
/** Folders listed at once during a walk. */
const WALK_CONCURRENCY = 8;
/** Events on one path within this time are handled once. */
const COALESCE_MS = 10;

export interface WatcherEvents {
  profile(kind: 'add' | 'change' | 'unlink', path: string, stats?: Stats): void;
  /** A source file appeared or went; `unlinkDir`: every file under a folder went. */
  source(kind: 'add' | 'unlink' | 'unlinkDir', path: string): void;
  /** The initial search is complete: every profile present was reported. */
  ready(): void;
  /** Something the user may want to know (logged as a warning). */
  error(message: string): void;
}

export interface WatcherOptions {
  /** Decides from a path relative to its workspace folder (with `/`). */
  isProfile(relativePath: string): boolean;
  /** Folders never entered, from a path relative to its workspace folder (with `/`). */
  isExcluded(relativePath: string): boolean;
  maxWatchedFolders?: number;
}

interface Folder {
  dir: string;
  root: string;
  /** Relative to `root`, with `/` ('' for the root). */
  rel: string;
  depth: number;
  /** In a build output folder: its files are never sources. */
  build: boolean;
}

function isTooBroad(folder: string): boolean {
  const f = nodePath.resolve(folder);
  return f === nodePath.parse(f).root || f === nodePath.resolve(homedir());
}

const toSlash = (p: string) => (nodePath.sep === '/' ? p : p.split(nodePath.sep).join('/'));

/** Runs `fn` over `items`, at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, run));
}

export class WorkspaceWatcher {
  /** Folder -> its watch (null: searched but not watched, past the cap or refused) and inode. */
  private readonly dirs = new Map<string, { w: FSWatcher | null; ino: number }>();
  private readonly profiles = new Set<string>();
  private watched = 0;
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private draining = false;
  private closed = false;
  private readonly said = new Set<string>();
  private readonly roots: string[];
  private readonly broad: Set<string>;

  constructor(
    folders: readonly string[],
    private readonly opts: WatcherOptions,
    private readonly events: WatcherEvents,
  ) {
    this.roots = folders.map((f) => nodePath.resolve(f));
    this.broad = new Set(this.roots.filter(isTooBroad));
  }

  /** How many folders are watched now (each one inotify watch on Linux). */
  get watchedFolders(): number {
    return this.watched;
  }

  async start(): Promise<void> {
    if (this.broad.size > 0) this.events.error(`${[...this.broad].join(', ')} is a home folder or a root: searched ${SHALLOW_DEPTH} folders deep only`);
    await this.walk(this.roots.map((r) => ({ dir: r, root: r, rel: '', depth: 0, build: false })));
    if (!this.closed) this.events.ready();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const d of this.dirs.values()) d.w?.close();
    this.dirs.clear();
  }

  // ---- searching

  /** Lists folders breadth first (shallow folders, where the user's own files are, come first). */
  private async walk(start: Folder[]): Promise<void> {
    const adds: Promise<void>[] = [];
    let level = start;
    while (level.length > 0 && !this.closed) {
      const next: Folder[] = [];
      await pool(level, WALK_CONCURRENCY, async (f) => {
        for (const sub of await this.visit(f, adds)) next.push(sub);
      });
      level = next;
    }
    await Promise.all(adds);
  }

  /** Watches a folder, then lists it: profiles are reported, sources indexed, sub-folders returned. */
  private async visit(f: Folder, adds: Promise<void>[]): Promise<Folder[]> {
    if (this.closed || this.dirs.has(f.dir)) return [];
    // watched before it is listed: nothing created in between is missed
    this.watchDir(f.dir);
    let entries: Dirent[];
    try {
      entries = await readdir(f.dir, { withFileTypes: true });
    } catch (e) {
      this.forget(f.dir);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') this.once(`perm:${f.dir}`, `${f.dir}: permission denied, not searched for profiles`);
      return [];
    }
    if (this.closed) return [];
    // a virtualenv, whatever its name
    if (f.depth > 0 && entries.some((e) => e.name === 'pyvenv.cfg' && !e.isDirectory())) {
      this.forget(f.dir);
      return [];
    }
    const subs: Folder[] = [];
    const maxDepth = this.broad.has(f.root) ? SHALLOW_DEPTH : Infinity;
    const prefix = f.dir.endsWith(nodePath.sep) ? f.dir : f.dir + nodePath.sep;
    for (const e of entries) {
      const path = prefix + e.name;
      const rel = f.rel ? `${f.rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (f.depth + 1 <= maxDepth && !this.opts.isExcluded(rel)) {
          subs.push({ dir: path, root: f.root, rel, depth: f.depth + 1, build: f.build || BUILD_DIRS.has(e.name) });
        }
      } else if (this.opts.isProfile(rel)) {
        adds.push(this.reportProfile(path));
      } else if (!f.build && e.isFile()) {
        this.events.source('add', path);
      }
    }
    return subs;
  }

  private watchDir(dir: string): void {
    const max = this.opts.maxWatchedFolders ?? MAX_WATCHED_FOLDERS;
    if (this.watched >= max) {
      this.once('cap', `watching ${max} folders and no more: profiles created in further folders are found when the workspace is searched again`);
      this.dirs.set(dir, { w: null, ino: 0 });
      return;
    }
    try {
      const w = watch(dir, { persistent: false }, (_type, name) => this.onEvent(dir, name));
      w.on('error', () => this.forget(dir));
      this.dirs.set(dir, { w, ino: 0 });
      this.watched++;
      void lstat(dir).then(
        (st) => {
          const d = this.dirs.get(dir);
          if (d?.w === w) d.ino = st.ino;
        },
        () => undefined,
      );
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC') this.once('enospc', `the system's limit of inotify watches is reached (fs.inotify.max_user_watches): ${dir} and further folders are not watched`);
      this.dirs.set(dir, { w: null, ino: 0 });
    }
  }

  private forget(dir: string): void {
    const d = this.dirs.get(dir);
    if (!d) return;
    if (d.w) {
      d.w.close();
      this.watched--;
    }
    this.dirs.delete(dir);
  }

  private async reportProfile(path: string, lst?: Stats): Promise<void> {
    let st: Stats | undefined;
    try {
      // through a symlink for its size and time (never opened here: the store decides what it reads)
      st = await stat(path);
    } catch {
      st = lst ?? (await lstat(path).catch(() => undefined));
    }
    if (this.closed || !st) return;
    if (this.profiles.has(path)) this.events.profile('change', path, st);
    else {
      this.profiles.add(path);
      this.events.profile('add', path, st);
    }
  }

  // ---- events

  private onEvent(dir: string, name: string | Buffer | null): void {
    if (this.closed) return;
    // no name: something in the folder changed; look at the folder again
    this.pending.add(name ? nodePath.join(dir, name.toString()) : dir + nodePath.sep);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.drain();
      }, COALESCE_MS);
    }
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.size > 0 && !this.closed) {
        const batch = [...this.pending];
        this.pending.clear();
        for (const p of batch) {
          try {
            if (p.endsWith(nodePath.sep)) await this.rescan(p.slice(0, -1));
            else await this.handle(p);
          } catch (e) {
            this.events.error(`${p}: ${(e as Error).message}`);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private rootOf(path: string): string | undefined {
    return this.roots.find((r) => path === r || path.startsWith(r.endsWith(nodePath.sep) ? r : r + nodePath.sep));
  }

  /** Whatever happened to one path: it appeared, changed, went, or was replaced. */
  private async handle(path: string): Promise<void> {
    const root = this.rootOf(path);
    if (!root) return;
    const rel = toSlash(nodePath.relative(root, path));
    const st = await lstat(path).catch(() => undefined);
    if (this.closed) return;
    const known = this.dirs.get(path);
    if (!st) {
      if (known) this.removeTree(path);
      else if (this.profiles.delete(path)) this.events.profile('unlink', path);
      else this.events.source('unlink', path);
      return;
    }
    if (st.isDirectory()) {
      if (this.profiles.delete(path)) this.events.profile('unlink', path);
      // a folder deleted and created again under the same name: its old watch watches nothing
      if (known && known.ino !== 0 && known.ino !== st.ino) this.removeTree(path);
      else if (known) return;
      const depth = rel.split('/').length;
      if (this.opts.isExcluded(rel) || (this.broad.has(root) && depth > SHALLOW_DEPTH)) return;
      await this.walk([{ dir: path, root, rel, depth, build: inBuildDir(rel + '/x') }]);
      return;
    }
    if (known) this.removeTree(path);
    // a folder that just became a virtualenv: no longer searched
    const parent = nodePath.dirname(path);
    if (nodePath.basename(path) === 'pyvenv.cfg' && parent !== root && this.dirs.has(parent)) return this.removeTree(parent);
    if (this.opts.isProfile(rel)) await this.reportProfile(path, st);
    else if (st.isFile() && !inBuildDir(rel)) this.events.source('add', path);
  }

  /** A folder whose watch reported no name: compare its listing with what is known. */
  private async rescan(dir: string): Promise<void> {
    const names = await readdir(dir).catch(() => undefined);
    if (!names) return this.handle(dir);
    for (const n of names) await this.handle(nodePath.join(dir, n));
  }

  /** A folder went: its watches close, its profiles go, and the index forgets its files. */
  private removeTree(dir: string): void {
    const under = (p: string) => p === dir || p.startsWith(dir + nodePath.sep);
    for (const d of [...this.dirs.keys()]) if (under(d)) this.forget(d);
    for (const p of [...this.profiles]) {
      if (!under(p)) continue;
      this.profiles.delete(p);
      this.events.profile('unlink', p);
    }
    this.events.source('unlinkDir', dir);
  }

  private once(key: string, message: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.events.error(message);
  }
}

function inBuildDir(rel: string): boolean {
  const segs = rel.split('/');
  return segs.slice(0, -1).some((s) => BUILD_DIRS.has(s));
}
