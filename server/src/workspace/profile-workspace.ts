/**
 * The workspace as the server sees it: the watcher's events turned into profile entries (read one
 * at a time, newest first) and into the file index that maps recorded paths to local files.
 */
import { realpathSync } from 'node:fs';
import * as nodePath from 'node:path';
import { FileIndex } from '../core/file-index';
import type { Confirm, PathMapping } from '../core/path-resolver';
import { PathResolver } from '../core/path-resolver';
import type { ProgressReporter } from './progress';
import type { LogLevel, Settings } from '../settings';
import { globMatcher } from '../core/glob';
import { type ProfileEntry, ProfileStore } from './profile-store';
import { WorkspaceWatcher } from './watcher';

/** Profiles bigger than this are read only when they would be shown (the newest, or selected), not just because they exist. */
const EAGER_MAX_BYTES = 256 * 1024 * 1024;
/** Popups for files that gave no data at all (unknown format, unreadable); later ones are only logged. */
const MAX_UNREADABLE_POPUPS = 3;

export interface WorkspaceHost {
  log(level: LogLevel, message: string): void;
  showError(message: string): void;
  progress(title: string): Promise<ProgressReporter | undefined>;
  settings(): Settings;
  /** Whether a profile would be shown once read: big files are read only then, not just because they exist. */
  wanted(entry: ProfileEntry): boolean;
  /** Something the editors show may have changed; `now` after a scan completes. */
  changed(now: boolean): void;
  /** A profile file appeared after the initial scan: a new run. */
  newRun(entry: ProfileEntry): void;
  removed(entry: ProfileEntry): void;
}

export class ProfileWorkspace {
  readonly store: ProfileStore;
  /** Source files by name, bounded by `maxWorkspaceFiles`, kept current by the watcher. */
  readonly files = new FileIndex();
  readonly resolver = new PathResolver({ workspaceFolders: [], files: this.files });
  /** Bumped whenever path resolution may answer differently. */
  resolverGen = 0;
  folders: string[] = [];
  private watcher: WorkspaceWatcher | undefined;
  private scanned = false;
  private cappedLogged = false;
  /** The folders with every symlink resolved: what a profile's real path must lie in. */
  private realFolders: string[] = [];
  private readonly queue: ProfileEntry[] = [];
  private draining = false;
  private disposed = false;
  private unreadable = 0;

  constructor(private readonly host: WorkspaceHost) {
    this.store = new ProfileStore({
      log: (level, message) => host.log(level, message),
      problem: (e, message) => {
        host.log('error', message);
        // A workspace full of unrelated files with a profile's extension must not bury the user in popups.
        if (!e.profile && ++this.unreadable > MAX_UNREADABLE_POPUPS) return;
        host.showError(`flamelens: ${message}`);
      },
      changed: (e, kind) => {
        if (kind === 'removed') host.removed(e);
        if (kind === 'added' && !this.scanned) return;
        host.changed(false);
      },
      progress: (title) => host.progress(title),
      inside: (real) => this.realFolders.some((f) => real === f || real.startsWith(f.endsWith(nodePath.sep) ? f : f + nodePath.sep)),
      // A live profiler may pause mid-record (a buffered write, an idle program): only a long quiet ends the file.
      settleMs: () => Math.max(2000, 10 * host.settings().refreshInterval),
      pollMs: () => Math.max(100, host.settings().refreshInterval),
    });
  }

  setFolders(folders: string[]): void {
    this.folders = folders;
    this.realFolders = folders.map((f) => {
      try {
        return realpathSync(f);
      } catch {
        return nodePath.resolve(f);
      }
    });
    this.resolver.setWorkspaceFolders(folders);
    this.resolverGen++;
  }

  setMappings(mappings: readonly PathMapping[]): void {
    this.resolver.setMappings(mappings.map((m) => ({ localRoot: m.localRoot, remoteRoot: m.remoteRoot })));
    this.resolverGen++;
  }

  /** Local file -> the recorded paths of a profile that map to it (`confirm` weighs the evidence where it is needed). */
  mapFiles(recorded: Iterable<string>, profileDir: string, confirm?: Confirm): Map<string, string[]> {
    return this.resolver.mapFiles(recorded, profileDir, confirm);
  }

  /** Logs what path resolution noticed (ties between equally good candidates). */
  flushNotes(): void {
    for (const note of this.resolver.takeNotes()) this.host.log('info', note);
  }

  /** (Re)starts watching with the current folders and settings, forgetting what was known. */
  start(): void {
    if (this.disposed) return;
    void this.watcher?.close();
    for (const e of [...this.store.entries.values()]) this.store.remove(e.path);
    this.files.clear();
    this.files.limit = this.host.settings().maxWorkspaceFiles;
    this.resolver.clearCache();
    this.scanned = false;
    this.cappedLogged = false;
    const settings = this.host.settings();
    const options = { isProfile: globMatcher(settings.profiles), isExcluded: globMatcher(settings.exclude) };
    const w = new WorkspaceWatcher(this.folders, options, {
      profile: (kind, path, stats) => {
        if (kind === 'add') {
          const e = this.store.add(path, stats);
          if (this.scanned) {
            this.host.newRun(e);
            this.enqueue(e);
          }
        } else if (kind === 'change') {
          this.store.touched(path, stats);
          const e = this.store.get(path);
          if (e && !e.wanted && this.scanned) this.enqueue(e);
        } else {
          this.store.remove(path);
        }
      },
      source: (kind, path) => this.source(kind, path),
      ready: () => {
        this.scanned = true;
        this.resolverChanged(() => this.resolver.clearCache());
        this.host.log('info', `watching ${this.folders.join(', ')}: ${this.store.entries.size} profile(s), ${this.files.size} source file(s) indexed, ${w.watchedFolders} folder(s) watched`);
        for (const e of this.store.list()) this.enqueue(e);
        this.host.changed(true);
      },
      error: (m) => this.host.log('warn', `file watcher: ${m}`),
    });
    this.watcher = w;
    w.start().catch((e) => this.host.log('error', `cannot watch the workspace: ${(e as Error).message}`));
  }

  private source(kind: 'add' | 'unlink' | 'unlinkDir', path: string): void {
    let changed: boolean;
    if (kind === 'add') {
      const r = this.files.add(path);
      if (r === 'full' && !this.cappedLogged) {
        this.cappedLogged = true;
        this.host.log('warn', `indexed ${this.files.size} workspace files for path matching and stopped there (flamelens.maxWorkspaceFiles)`);
      }
      changed = r === 'added';
    } else if (kind === 'unlink') {
      changed = this.files.remove(path);
    } else {
      changed = this.files.removeUnder(path) > 0;
    }
    if (changed && this.scanned) this.resolverChanged(() => this.resolver.clearCache());
  }

  private resolverChanged(apply: () => void): void {
    apply();
    this.resolverGen++;
    this.flushNotes();
    this.host.changed(false);
  }

  /** Reads profiles one at a time, newest first; big ones only when they are (or become) active. */
  enqueue(e: ProfileEntry): void {
    if (this.queue.includes(e)) return;
    this.queue.push(e);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.disposed) {
        this.queue.sort((a, b) => b.mtime - a.mtime);
        const e = this.queue.shift()!;
        if (!this.store.entries.has(e.path) || e.wanted) continue;
        if (e.size > EAGER_MAX_BYTES && !this.host.wanted(e)) continue;
        await this.store.load(e);
      }
    } finally {
      this.draining = false;
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.store.dispose();
    await this.watcher?.close();
  }
}
