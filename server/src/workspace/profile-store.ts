/**
 * The profiles of the workspace: discovery events in, models out. Files are read in chunks that
 * yield to the event loop, so requests are answered while a big file loads. A file that grows is
 * continued from where reading stopped (the reader keeps a half-written record until its end); a
 * file truncated or replaced is read again from the start. Problems are reported once per file
 * version, naming the file and where reading stopped.
 */
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { describeIssues, HEAD_BYTES } from '../core/load';
import { Profile } from '../core/model';
import { detectFormat } from '../core/readers/index';
import type { ProfileReader } from '../core/readers/types';
import type { ProgressReporter } from '../lsp-client';
import type { LogLevel } from '../settings';

export interface ProfileEntry {
  readonly path: string;
  readonly uri: string;
  /** Last modification time seen, ms since the epoch. */
  mtime: number;
  size: number;
  /** When the watcher first reported the file. */
  readonly discovered: number;
  profile: Profile | undefined;
  reader: ProfileReader | undefined;
  format: string | undefined;
  /** Bytes pushed into the reader. */
  offset: number;
  loading: boolean;
  /** A big file read from its start: partial views of it are not worth building. */
  bulk: boolean;
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
  settleTimer: NodeJS.Timeout | undefined;
}

export interface StoreHost {
  log(level: LogLevel, message: string): void;
  /** A problem with a file, once per file version (window/showMessage). */
  problem(entry: ProfileEntry, message: string): void;
  /** Data, state or identity of an entry changed; `reset` when it was read again from scratch. */
  changed(entry: ProfileEntry, kind: 'data' | 'reset' | 'loaded' | 'removed' | 'added'): void;
  /** Work-done progress for a big read, if the client supports it. */
  progress(title: string): Promise<ProgressReporter | undefined>;
  /** How long a streaming file must stay unchanged before its reader is told the file ended. */
  settleMs(): number;
}

/** Formats whose readers produce data while bytes arrive: a growing file is continued, not re-read. */
const STREAMING = new Set(['austin-text', 'mojo', 'austin-mojo', 'collapsed']);
const CHUNK = 256 * 1024;
const HEAD_CHECK = 64;
const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;

export class ProfileStore {
  readonly entries = new Map<string, ProfileEntry>();
  private disposed = false;

  constructor(
    private readonly host: StoreHost,
    private readonly chunkSize = CHUNK,
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
      discovered: Date.now(),
      profile: undefined,
      reader: undefined,
      format: undefined,
      offset: 0,
      loading: false,
      bulk: false,
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
    };
    this.entries.set(path, e);
    this.host.changed(e, 'added');
    return e;
  }

  remove(path: string): void {
    const e = this.entries.get(path);
    if (!e) return;
    clearTimeout(e.settleTimer);
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
        this.fail(e, `reading stopped: ${(err as Error).message}`);
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
    for (const e of this.entries.values()) clearTimeout(e.settleTimer);
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

  private async readNew(e: ProfileEntry): Promise<void> {
    let st: Stats;
    try {
      st = await stat(e.path);
    } catch (err) {
      this.fail(e, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return;
    }
    e.mtime = st.mtimeMs;
    e.size = st.size;
    const fh = await open(e.path, 'r');
    try {
      if (e.reader && (await this.replaced(e, st, fh))) {
        this.host.log('info', `${e.path} was truncated or replaced: reading it again from the start`);
        e.reader = undefined;
      }
      if (!e.reader) {
        if (st.size === 0) return; // a profiler just created it: wait for bytes
        if (!(await this.start(e, st, fh))) return;
      } else if (e.ended && st.size > e.offset && !STREAMING.has(e.format ?? '')) {
        // A whole-file format that changed: only a fresh read gives a consistent model.
        if (!(await this.start(e, st, fh))) return;
      }
      if (st.size <= e.offset) return;
      clearTimeout(e.settleTimer);
      e.loading = true;
      e.ended = false;
      const reader = e.reader!;
      const big = st.size - e.offset >= PROGRESS_MIN_BYTES;
      const progress = big ? await this.host.progress(`flamelens: reading ${baseName(e.path)}`) : undefined;
      const from = e.offset;
      const t0 = Date.now();
      e.bulk = big && from === 0;
      try {
        while (e.offset < st.size && !this.disposed && e.reader === reader) {
          // a fresh buffer per chunk: readers may keep views of what they were pushed
          const buf = Buffer.allocUnsafe(this.chunkSize);
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, st.size - e.offset), e.offset);
          if (bytesRead === 0) break;
          try {
            reader.push(buf.subarray(0, bytesRead));
          } catch (err) {
            this.fail(e, `reading stopped at byte ${e.offset}: ${(err as Error).message}`);
            return;
          }
          e.offset += bytesRead;
          if (reader.failed) break;
          progress?.report(((e.offset - from) / (st.size - from)) * 100);
          this.host.changed(e, 'data');
        }
      } finally {
        progress?.done();
        e.bulk = false;
      }
      if (e.reader !== reader) return;
      e.loading = false;
      const mb = (e.offset - from) / 1048576;
      this.host.log(from === 0 ? 'info' : 'debug', `${e.path}: read ${mb.toFixed(mb < 10 ? 2 : 0)} MiB${from > 0 ? ' more' : ''} (${reader.format}) in ${Date.now() - t0} ms`);
      if (reader.failed) {
        e.problem = describeIssues(e.path, reader.issues) ?? `${e.path}: reading stopped at byte ${e.offset}`;
        this.report(e);
      } else if (STREAMING.has(reader.format) || (e.profile?.nodeCount ?? 0) > 0) {
        // Problems inside what was read are real now; a half-written tail is only judged on settling.
        if (reader.issues.length > 0) {
          e.problem = describeIssues(e.path, reader.issues);
          this.report(e);
        }
        // The writer may still be at work: a half-written record waits in the reader. Only a file
        // that stays unchanged for a while is declared finished (which reports a truncated tail).
        e.settleTimer = setTimeout(() => this.settle(e, reader), this.host.settleMs());
        e.settleTimer.unref?.();
      } else {
        this.finish(e, reader);
      }
      this.host.changed(e, 'loaded');
    } finally {
      await fh.close();
    }
  }

  private settle(e: ProfileEntry, reader: ProfileReader): void {
    if (this.disposed || e.reader !== reader || e.busy) return;
    this.finish(e, reader);
    this.host.changed(e, 'loaded');
  }

  private finish(e: ProfileEntry, reader: ProfileReader): void {
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

  /** Creates a reader for the file from its first bytes. False when the format is unknown. */
  private async start(e: ProfileEntry, st: Stats, fh: import('node:fs/promises').FileHandle): Promise<boolean> {
    clearTimeout(e.settleTimer);
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

  /** True when the bytes already read are no longer the file's: truncated, or another file now. */
  private async replaced(e: ProfileEntry, st: Stats, fh: import('node:fs/promises').FileHandle): Promise<boolean> {
    if (st.size < e.offset) return true;
    if (st.ino !== e.ino || (e.birthtime && st.birthtimeMs && st.birthtimeMs !== e.birthtime)) return true;
    if (!e.head) return false;
    const b = Buffer.alloc(e.head.length);
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    return bytesRead < e.head.length || !b.equals(e.head);
  }
}

function baseName(p: string): string {
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
}
