/**
 * The profiles of the workspace: discovery events in, models out. Files are read with the
 * engine's one reading loop (core/byte-source.ts), paced (pacer.ts) so that requests are answered
 * within a few milliseconds while a big file loads. A file that grows is continued from where
 * reading stopped (the reader keeps a half-written record until its end); a file truncated or
 * replaced is read again from the start; a file deleted or replaced while it is read stops being
 * read at once. Only regular files are ever opened (a FIFO named like a profile would block), and
 * only inside the workspace: a symlink named like a profile is followed only to a file in a
 * workspace folder (`evil.austin -> /etc/shadow` is never opened).
 * Problems are reported once per file version, naming the file and where reading stopped.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, realpath, stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { fileSource, HEAD_BYTES, pump } from '../core/byte-source';
import { describeIssues } from '../core/load';
import { Profile } from '../core/model';
import { detectFormat, formatSpec } from '../core/readers/index';
import type { ProfileReader } from '../core/readers/types';
import { Pacer } from './pacer';
import type { ProgressReporter } from './progress';
import type { LogLevel } from '../settings';

export interface ProfileEntry {
  readonly path: string;
  readonly uri: string;
  /** Last modification time seen, ms since the epoch. */
  mtime: number;
  size: number;
  profile: Profile | undefined;
  reader: ProfileReader | undefined;
  format: string | undefined;
  /** Bytes pushed into the reader. */
  offset: number;
  /** Bytes are being read now. */
  loading: boolean;
  /**
   * Being written by a profiler: it changed within the settle time, or grew after it was read.
   * Views of a live file show its numbers so far; views of a complete file wait for its end.
   */
  live: boolean;
  /** Someone asked for its data: later changes on disk are read as they come. */
  wanted: boolean;
  /** The reader was told the file ended (it may still continue if the file grows). */
  ended: boolean;
  /** Bumped whenever the file is read again from the start. */
  generation: number;
  /** One line naming the file and where reading stopped, when something went wrong. */
  problem: string | undefined;
  /** Generation whose problem was shown, so each version of a file pops up at most once. */
  reportedGeneration: number;
  // identity of the bytes read, to tell growth from replacement
  ino: number;
  birthtime: number;
  head: Buffer | undefined;
  busy: Promise<void> | undefined;
  again: boolean;
  /** Declares a quiet live file finished, and polls its size meanwhile (watchers miss events). */
  settleTimer: NodeJS.Timeout | undefined;
  pollTimer: NodeJS.Timeout | undefined;
}

/** Whether a profile has samples to show: a file a profiler just created (0 bytes, a header) has none. */
export function hasSamples(e: ProfileEntry): boolean {
  const p = e.profile;
  return !!p && p.metrics.length > 0 && p.nodeCount > p.threads.length;
}

export interface StoreHost {
  log(level: LogLevel, message: string): void;
  /** A problem with a file, once per file version (window/showMessage). */
  problem(entry: ProfileEntry, message: string): void;
  /** Data, state or identity of an entry changed; `reset` when it was read again from scratch (or emptied). */
  changed(entry: ProfileEntry, kind: 'data' | 'reset' | 'loaded' | 'removed' | 'added'): void;
  /** Work-done progress for a big read, if the client supports it. */
  progress(title: string): Promise<ProgressReporter | undefined>;
  /** How long a file must stay unchanged before its reader is told the file ended. */
  settleMs(): number;
  /** How often a live file's size is checked besides the watcher's events. */
  pollMs(): number;
  /**
   * Whether a real path (symlinks resolved) lies in a workspace folder: nothing else is opened.
   * Absent for a store of files the user named explicitly (a baseline may lie anywhere).
   */
  inside?(realPath: string): boolean;
}

/** An error of the file system in words (the code stays, for searching). */
function fsProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'ENOENT':
      return 'no such file (ENOENT)';
    case 'ELOOP':
      return 'a symlink loop (ELOOP)';
    case 'EISDIR':
      return 'a folder, not a file (EISDIR)';
    default:
      return code ?? (err as Error).message;
  }
}

const HEAD_CHECK = 64;
const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;
/** A file waiting for samples is polled until it has been unchanged this long. */
const POLL_QUIET_MS = 60_000;
/** While reading, how often the path is checked for deletion or replacement. */
const IDENTITY_CHECK_MS = 200;

export class ProfileStore {
  readonly entries = new Map<string, ProfileEntry>();
  private disposed = false;

  constructor(
    private readonly host: StoreHost,
    private readonly chunkSize?: number,
  ) {}

  /** Newest first by modification time. */
  list(): ProfileEntry[] {
    return [...this.entries.values()].sort((a, b) => b.mtime - a.mtime || a.path.localeCompare(b.path));
  }

  get(pathOrUri: string): ProfileEntry | undefined {
    return this.entries.get(pathOrUri) ?? [...this.entries.values()].find((e) => e.uri === pathOrUri);
  }

  /** A file appeared (or was seen by the initial scan). Does not read it: call `load`. */
  add(path: string, stats?: Stats): ProfileEntry {
    let e = this.entries.get(path);
    if (e) return e;
    e = {
      path,
      uri: pathToFileURL(path).href,
      mtime: stats?.mtimeMs ?? Date.now(),
      size: stats?.size ?? 0,
      profile: undefined,
      reader: undefined,
      format: undefined,
      offset: 0,
      loading: false,
      live: false,
      wanted: false,
      ended: false,
      generation: 0,
      problem: undefined,
      reportedGeneration: -1,
      ino: 0,
      birthtime: 0,
      head: undefined,
      busy: undefined,
      again: false,
      settleTimer: undefined,
      pollTimer: undefined,
    };
    this.entries.set(path, e);
    this.host.changed(e, 'added');
    return e;
  }

  remove(path: string): void {
    const e = this.entries.get(path);
    if (!e) return;
    this.stopTimers(e);
    this.entries.delete(path);
    this.host.changed(e, 'removed');
  }

  /** The file changed on disk: continue or restart reading if it was read before. */
  touched(path: string, stats?: Stats): void {
    const e = this.entries.get(path);
    if (!e) return;
    if (stats) e.mtime = stats.mtimeMs;
    if (e.wanted) void this.load(e);
  }

  /**
   * Reads whatever is new in the file. Calls are serialised per entry; a call made while a read
   * runs schedules one more pass after it, so no change is missed.
   */
  load(e: ProfileEntry): Promise<void> {
    e.wanted = true;
    if (e.busy) {
      e.again = true;
      return e.busy;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          e.again = false;
          await this.readNew(e);
        } while (e.again && !this.disposed && this.entries.has(e.path));
      } catch (err) {
        this.fail(e, `reading stopped: ${fsProblem(err)}`);
      } finally {
        e.busy = undefined;
        e.loading = false;
      }
    };
    e.busy = run();
    return e.busy;
  }

  dispose(): void {
    this.disposed = true;
    for (const e of this.entries.values()) this.stopTimers(e);
  }

  private stopTimers(e: ProfileEntry): void {
    clearTimeout(e.settleTimer);
    clearInterval(e.pollTimer);
    e.settleTimer = undefined;
    e.pollTimer = undefined;
  }

  private fail(e: ProfileEntry, message: string): void {
    e.problem = message.startsWith(e.path) ? message : `${e.path}: ${message}`;
    this.report(e);
    this.host.changed(e, 'loaded');
  }

  private report(e: ProfileEntry): void {
    if (!e.problem || e.reportedGeneration === e.generation) return;
    e.reportedGeneration = e.generation;
    this.host.problem(e, e.problem);
  }

  /** Forgets what was read: the file was truncated to nothing or replaced by an empty one. */
  private clear(e: ProfileEntry): void {
    this.stopTimers(e);
    e.generation++;
    e.reader = undefined;
    e.profile = undefined;
    e.format = undefined;
    e.offset = 0;
    e.ended = false;
    e.live = false;
    e.problem = undefined;
    e.head = undefined;
    this.host.changed(e, 'reset');
    // an emptied file is about to be written again, and watchers miss quick rewrites
    this.startPolling(e);
  }

  /** Checks a file's size on a timer too (watchers miss events), until it has been quiet for a while. */
  private startPolling(e: ProfileEntry): void {
    if (e.pollTimer || this.disposed) return;
    e.pollTimer = setInterval(() => void this.poll(e), this.host.pollMs());
    e.pollTimer.unref?.();
  }

  private async readNew(e: ProfileEntry): Promise<void> {
    let st: Stats;
    let real: string;
    try {
      real = await this.realInside(e);
      st = await stat(real);
    } catch (err) {
      if (err instanceof Outside) return this.fail(e, err.message);
      this.fail(e, `cannot read: ${fsProblem(err)}`);
      return;
    }
    if (!st.isFile()) {
      // a FIFO or device named like a profile: opening it for reading would block until a writer comes
      this.fail(e, 'not a regular file (a pipe or a device): not read');
      return;
    }
    e.mtime = st.mtimeMs;
    e.size = st.size;
    if (e.reader && st.size === 0) {
      this.host.log('info', `${e.path} was emptied: its numbers are cleared until it has samples again`);
      this.clear(e);
      return;
    }
    let fh: FileHandle;
    try {
      // the resolved path, never through a symlink again: what was checked is what is opened
      fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      this.fail(e, `cannot read: ${fsProblem(err)}`);
      return;
    }
    try {
      if (e.reader && (await this.replaced(e, st, fh))) {
        this.host.log('info', `${e.path} was truncated or replaced: reading it again from the start`);
        this.clear(e);
      }
      if (!e.reader) {
        if (st.size === 0) {
          // a profiler just created it: wait for bytes
          this.startPolling(e);
          return;
        }
        if (!(await this.start(e, st, fh))) return;
      } else if (e.ended && st.size > e.offset && !this.streaming(e)) {
        // A whole-file format that changed: only a fresh read gives a consistent model.
        if (!(await this.start(e, st, fh))) return;
      }
      if (st.size <= e.offset) {
        this.afterRead(e, e.reader!, st);
        return;
      }
      await this.readRange(e, fh, st);
    } finally {
      await fh.close();
    }
  }

  private async readRange(e: ProfileEntry, fh: FileHandle, st: Stats): Promise<void> {
    clearTimeout(e.settleTimer);
    e.loading = true;
    const reader = e.reader!;
    const from = e.offset;
    // The first pass over a file reads what it held when it was opened: views wait for its end.
    // Only growth seen after that makes it live (its numbers so far are shown, and said to be).
    if (from === 0) e.live = false;
    const big = st.size - from >= PROGRESS_MIN_BYTES;
    const progress = big ? await this.host.progress(`flamelens: reading ${baseName(e.path)}`) : undefined;
    const t0 = Date.now();
    let checked = t0;
    let gone = false;
    const pacer = new Pacer();
    let reported = -1;
    try {
      await pump(reader, pacer.source(fileSource(fh, from, st.size, this.chunkSize)), {
        stop: () => this.disposed || e.reader !== reader || gone || !this.entries.has(e.path),
        onChunk: async (bytes) => {
          e.offset = from + bytes;
          const percent = Math.floor((bytes / (st.size - from)) * 100);
          // one report per percent: pieces are small when parsing is slow, and each report is a message
          if (percent !== reported) progress?.report((reported = percent));
          this.host.changed(e, 'data');
          if (Date.now() - checked > IDENTITY_CHECK_MS) {
            checked = Date.now();
            gone = await this.isGone(e, st);
          }
          await pacer.pushed();
        },
      });
    } catch (err) {
      this.fail(e, `reading stopped at byte ${e.offset}: ${(err as Error).message}`);
      return;
    } finally {
      progress?.done();
    }
    // gone from the disk (seen here) or from the store (the watcher was first): never finish or
    // report a file half read, since its truncated tail would be blamed on a file that is fine
    if (gone || (!this.entries.has(e.path) && !this.disposed)) {
      this.host.log('info', `${e.path} was deleted or replaced while it was read: stopped reading it`);
      e.loading = false;
      if (this.entries.has(e.path)) e.again = true;
      return;
    }
    if (this.disposed) return;
    if (e.reader !== reader) return;
    const mb = (e.offset - from) / 1048576;
    this.host.log(from === 0 ? 'info' : 'debug', `${e.path}: read ${mb.toFixed(mb < 10 ? 2 : 0)} MiB${from > 0 ? ' more' : ''} (${reader.format}) in ${Date.now() - t0} ms`);
    this.afterRead(e, reader, st);
  }

  /** At the end of what the file held: finish a complete file now, or wait (and poll) while it may grow. */
  private afterRead(e: ProfileEntry, reader: ProfileReader, st: Stats): void {
    e.loading = false;
    if (reader.failed) {
      e.problem = describeIssues(e.path, reader.issues) ?? `${e.path}: reading stopped at byte ${e.offset}`;
      this.report(e);
      this.stopTimers(e);
    } else if (this.streaming(e) && Date.now() - st.mtimeMs < this.host.settleMs()) {
      // The writer may still be at work: a half-written record waits in the reader, and only a
      // file that stays unchanged for a while is declared finished (which reports a truncated tail).
      e.live = true;
      this.reportInner(e, reader);
      clearTimeout(e.settleTimer);
      e.settleTimer = setTimeout(() => void this.settle(e, reader), this.host.settleMs());
      e.settleTimer.unref?.();
      this.startPolling(e);
    } else {
      this.finish(e, reader);
    }
    this.host.changed(e, 'loaded');
  }

  /** Problems inside what was read are real now; a half-written tail is only judged when the file is finished. */
  private reportInner(e: ProfileEntry, reader: ProfileReader): void {
    if (reader.issues.length === 0) return;
    e.problem = describeIssues(e.path, reader.issues);
    this.report(e);
  }

  /** A live file's size, checked on a timer too: a watcher can miss the last write of a burst. */
  private async poll(e: ProfileEntry): Promise<void> {
    if (this.disposed || !this.entries.has(e.path) || e.busy) return;
    try {
      const st = await stat(e.path);
      if (st.size !== e.offset || st.mtimeMs !== e.mtime) void this.load(e);
      else if (!e.live && Date.now() - st.mtimeMs > POLL_QUIET_MS) this.stopPolling(e);
    } catch {
      // gone: the watcher reports the unlink
    }
  }

  private stopPolling(e: ProfileEntry): void {
    clearInterval(e.pollTimer);
    e.pollTimer = undefined;
  }

  private async settle(e: ProfileEntry, reader: ProfileReader): Promise<void> {
    if (this.disposed || e.reader !== reader) return;
    // never declare a file finished without looking at it once more
    try {
      const st = await stat(e.path);
      if (st.size !== e.offset || st.mtimeMs !== e.mtime) {
        void this.load(e);
        return;
      }
    } catch {
      return;
    }
    if (e.busy || e.reader !== reader) return;
    this.finish(e, reader);
    this.host.changed(e, 'loaded');
  }

  private finish(e: ProfileEntry, reader: ProfileReader): void {
    this.stopTimers(e);
    e.live = false;
    if (e.ended) return;
    try {
      reader.end();
    } catch (err) {
      e.problem = `${e.path}: reading stopped at byte ${e.offset}: ${(err as Error).message}`;
    }
    e.ended = true;
    e.problem = e.problem ?? describeIssues(e.path, reader.issues);
    this.report(e);
  }

  private streaming(e: ProfileEntry): boolean {
    return !!e.reader && (formatSpec(e.reader.format)?.streaming ?? false);
  }

  /** Creates a reader for the file from its first bytes. False when the format is unknown. */
  private async start(e: ProfileEntry, st: Stats, fh: FileHandle): Promise<boolean> {
    this.stopTimers(e);
    const head = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const h = head.subarray(0, bytesRead);
    e.generation++;
    e.problem = undefined;
    e.reader = undefined;
    e.profile = undefined;
    e.offset = 0;
    e.ended = false;
    e.ino = st.ino;
    e.birthtime = st.birthtimeMs;
    e.head = Buffer.from(h.subarray(0, HEAD_CHECK));
    const spec = detectFormat(h);
    if (!spec) {
      // A profiler may still be writing its header: only a file of some size is declared unknown.
      if (bytesRead >= HEAD_BYTES || st.mtimeMs < Date.now() - this.host.settleMs()) {
        this.fail(e, 'unknown profile format (no reader recognises its first bytes)');
      } else {
        e.settleTimer = setTimeout(() => void this.load(e), this.host.settleMs());
        e.settleTimer.unref?.();
      }
      return false;
    }
    const profile = new Profile();
    e.profile = profile;
    e.reader = spec.create(profile);
    e.format = spec.name;
    this.host.changed(e, 'reset');
    return true;
  }

  /** The file's real path when it lies in the workspace; a symlink out of it is refused (Outside). */
  private async realInside(e: ProfileEntry): Promise<string> {
    const link = await lstat(e.path);
    if (!link.isSymbolicLink()) {
      const real = await realpath(e.path);
      // a folder on the way may be a symlink out (the watcher never enters one, but the path is old)
      if (this.host.inside && !this.host.inside(real)) throw new Outside(`${e.path} resolves to ${real}, outside the workspace folders: not read`);
      return real;
    }
    let real: string;
    try {
      real = await realpath(e.path);
    } catch (err) {
      throw new Outside(`${e.path} is a symlink to nothing readable (${fsProblem(err)}): not read`);
    }
    if (this.host.inside && !this.host.inside(real)) throw new Outside(`${e.path} is a symlink to ${real}, outside the workspace folders: not followed, not read`);
    return real;
  }

  /** True when the bytes already read are no longer the file's: truncated, or another file now. */
  private async replaced(e: ProfileEntry, st: Stats, fh: FileHandle): Promise<boolean> {
    if (st.size < e.offset) return true;
    if (st.ino !== e.ino || (e.birthtime && st.birthtimeMs && st.birthtimeMs !== e.birthtime)) return true;
    if (!e.head) return false;
    const b = Buffer.alloc(e.head.length);
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    return bytesRead < e.head.length || !b.equals(e.head);
  }

  /** The path no longer names the file being read (deleted, renamed away, atomically replaced, truncated). */
  private async isGone(e: ProfileEntry, st: Stats): Promise<boolean> {
    try {
      const now = await stat(e.path);
      return now.ino !== st.ino || now.size < e.offset;
    } catch {
      return true;
    }
  }
}


/** A profile path that leads out of the workspace. */
class Outside extends Error {}

function baseName(p: string): string {
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
}
