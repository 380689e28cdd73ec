/**
 * The session's baseline slot: which profile the shown one is compared with, read with the same
 * reading loop as the workspace's (a baseline given by path may lie outside the workspace globs,
 * or outside the workspace), and the comparison itself, computed once per pair of views.
 *
 * The user's choice (the selectBaseline command) wins over the `flamelens.baseline` setting
 * until the setting changes. "previous" follows the runs: the newest profile older than the one
 * shown, of the same format and metrics, so that a new run is compared with the run before it.
 */
import { existsSync } from 'node:fs';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Definition } from '../core/definitions';
import { inert } from '../core/present';
import { baselineMetric, countsView, type DiffRefusal, type FileLineDiff, ProfileDiff } from '../core/diff';
import { ProfileView } from '../core/view';
import type { ProgressReporter } from '../workspace/progress';
import type { LogLevel, Settings } from '../settings';
import { hasSamples, type ProfileEntry, ProfileStore } from '../workspace/profile-store';

export interface BaselineHost {
  log(level: LogLevel, message: string): void;
  showError(message: string): void;
  progress(title: string): Promise<ProgressReporter | undefined>;
  settings(): Settings;
  folders(): readonly string[];
  /** The workspace's profiles, newest first. */
  profiles(): ProfileEntry[];
  /** The workspace's entry for a path (read by the workspace store), if it has one. */
  workspaceEntry(path: string): ProfileEntry | undefined;
  /** Reads a workspace entry (the workspace store's loop). */
  loadWorkspaceEntry(e: ProfileEntry): Promise<void>;
  /** The local file a recorded path of a profile maps to, if any. */
  localFor(e: ProfileEntry, recorded: string): string | undefined;
  changed(now: boolean): void;
}

/** What the status says about the comparison. */
export interface BaselineState {
  /** The baseline's path, when one is resolved. */
  path?: string;
  /** One line: what is compared with what, and how. */
  comparison?: string;
  /** Why nothing is compared although a baseline is set; no numbers are shown then. */
  problem?: string;
  loading?: boolean;
}

const PREVIOUS = 'previous';

export class BaselineSlot {
  private choice: string | undefined;
  private readonly store: ProfileStore;
  private readonly diffs = new Map<string, { key: string; view: ProfileView; result: ProfileDiff | DiffRefusal }>();
  private readonly lineCache = new WeakMap<ProfileDiff, Map<string, { key: string; lines: FileLineDiff }>>();

  constructor(private readonly host: BaselineHost) {
    this.store = new ProfileStore({
      log: (level, message) => host.log(level, message),
      problem: (_e, message) => {
        host.log('error', `baseline: ${message}`);
        host.showError(`flamelens: baseline ${message}`);
      },
      changed: (_e, kind) => host.changed(kind === 'loaded'),
      progress: (title) => host.progress(title),
      settleMs: () => Math.max(2000, 10 * host.settings().refreshInterval),
      pollMs: () => Math.max(100, host.settings().refreshInterval),
    });
  }

  /** The baseline asked for: a path, "previous", or undefined for none. */
  spec(): string | undefined {
    const s = this.choice ?? this.host.settings().baseline ?? undefined;
    return s === undefined || s === 'none' ? undefined : s;
  }

  /** A new value of the setting takes over from an earlier command choice. */
  settingsChanged(prev: Settings, next: Settings): void {
    if (prev.baseline !== next.baseline) this.choice = undefined;
    this.forgetUnused();
  }

  /** The user's choice: a path (or file uri), "previous" or "none"; resolves once the baseline is read. */
  async choose(spec: string, current: ProfileEntry | undefined): Promise<void> {
    this.choice = spec.startsWith('file:') ? fileURLToPath(spec) : spec;
    this.forgetUnused();
    this.host.changed(true);
    const r = this.resolve(current);
    if (r.entry) {
      const ws = this.host.workspaceEntry(r.entry.path);
      await (ws ? this.host.loadWorkspaceEntry(ws) : this.store.load(r.entry));
    }
    this.host.changed(true);
  }

  /** The path a baseline spec names: absolute, or relative to the first workspace folder holding it. */
  private pathOf(spec: string): string {
    if (nodePath.isAbsolute(spec)) return nodePath.resolve(spec);
    const folders = this.host.folders();
    for (const f of folders) {
      const p = nodePath.resolve(f, spec);
      if (existsSync(p)) return p;
    }
    return nodePath.resolve(folders[0] ?? process.cwd(), spec);
  }

  /** The baseline's entry for a shown profile (reading it if needed), or why there is none. */
  resolve(current: ProfileEntry | undefined): { entry?: ProfileEntry; problem?: string } {
    const spec = this.spec();
    if (spec === undefined) return {};
    if (spec === PREVIOUS) {
      if (!current?.profile) return { problem: 'no profile is shown, so there is no previous one' };
      const keys = current.profile.metrics.map((m) => m.key).join(',');
      const prev = this.host
        .profiles()
        .find(
          (e) =>
            e !== current &&
            e.mtime <= current.mtime &&
            hasSamples(e) &&
            e.format === current.format &&
            e.profile!.metrics.map((m) => m.key).join(',') === keys,
        );
      if (!prev) return { problem: `no earlier profile of the same kind as ${nodePath.basename(current.path)} (${current.format}: ${keys})` };
      return { entry: prev };
    }
    const path = this.pathOf(spec);
    const ws = this.host.workspaceEntry(path);
    if (ws) {
      if (!ws.wanted) void this.host.loadWorkspaceEntry(ws);
      return { entry: ws };
    }
    const e = this.store.get(path) ?? this.store.add(path);
    if (!e.wanted) void this.store.load(e);
    return { entry: e };
  }

  /** Entries of the private store that are no longer the baseline. */
  private forgetUnused(): void {
    const spec = this.spec();
    const keep = spec && spec !== PREVIOUS ? this.pathOf(spec) : undefined;
    for (const path of [...this.store.entries.keys()]) if (path !== keep) this.store.remove(path);
    this.diffs.clear();
  }

  /**
   * The comparison of a shown profile's view with the baseline: a diff, a refusal (one message,
   * no numbers), 'loading' while the baseline is read, or undefined when no baseline is set.
   */
  compare(current: ProfileEntry, view: ProfileView): ProfileDiff | DiffRefusal | 'loading' | undefined {
    const r = this.resolve(current);
    if (!r.entry) return r.problem ? { refused: r.problem } : undefined;
    const b = r.entry;
    const name = nodePath.basename(b.path);
    if (b.loading && !b.live) return 'loading';
    if (!b.profile || !hasSamples(b)) {
      if (b.problem) return { refused: b.problem };
      return b.busy || !b.wanted ? 'loading' : { refused: `${name} holds no samples: nothing to compare with` };
    }
    if (view.scope.pid !== undefined || view.scope.thread !== undefined) {
      return { refused: `the baseline is compared over all threads: set the scope to all threads to see the changes` };
    }
    const s = this.host.settings();
    const key = [b.path, b.generation, b.profile.version, view.metric.key, s.diffCompare, s.diffMinEffect, s.diffMinShare].join('\u0000');
    const hit = this.diffs.get(current.path);
    if (hit && hit.key === key && hit.view === view) return hit.result;
    const result = this.build(b, current, view);
    this.diffs.set(current.path, { key, view, result });
    return result;
  }

  private build(b: ProfileEntry, current: ProfileEntry, view: ProfileView): ProfileDiff | DiffRefusal {
    const baseName = nodePath.basename(b.path);
    const currentName = nodePath.basename(current.path);
    const m = baselineMetric(b.profile!, baseName, view.metric, currentName);
    if ('refused' in m) return m;
    const bv = ProfileView.create(b.profile!, m.key, {}, baseName);
    const s = this.host.settings();
    return ProfileDiff.create(
      { view: bv, counts: countsView(bv) },
      { view, counts: countsView(view) },
      {
        settings: { compare: s.diffCompare, minEffect: s.diffMinEffect, minShare: s.diffMinShare },
        baseName: b === current ? `${baseName} (itself)` : baseName,
        currentName,
        // both runs' paths meet at the local file they map to
        fileKey: (rec, side) => this.host.localFor(side === 'base' ? b : current, rec) ?? rec,
      },
    );
  }

  /** Line changes of a document, cached per diff, document revision and recorded paths. */
  fileLines(diff: ProfileDiff, uri: string, revision: number, baseRecorded: string[], currentRecorded: readonly string[], defs: () => Definition[] | undefined): FileLineDiff {
    let byUri = this.lineCache.get(diff);
    if (!byUri) this.lineCache.set(diff, (byUri = new Map()));
    const key = `${revision}\u0000${baseRecorded.join('\u0001')}\u0000${currentRecorded.join('\u0001')}`;
    const hit = byUri.get(uri);
    if (hit?.key === key) return hit.lines;
    const lines = diff.fileLines(baseRecorded, currentRecorded, defs());
    byUri.set(uri, { key, lines });
    return lines;
  }

  /** What the status item says: the baseline, what is compared with what, or why nothing is. */
  state(current: ProfileEntry | undefined, view: ProfileView | undefined): BaselineState | undefined {
    if (this.spec() === undefined) return undefined;
    const r = this.resolve(current);
    // status texts are shown as they are: names from the file system made inert
    if (!r.entry) return { problem: r.problem && inert(r.problem) };
    if (!current || !view) return { path: r.entry.path };
    const c = this.compare(current, view);
    if (c === undefined) return undefined;
    if (c === 'loading') return { path: r.entry.path, loading: true };
    if ('refused' in c) return { path: r.entry.path, problem: inert(c.refused) };
    const how = c.settings.compare === 'share' ? 'shares of each total' : c.settings.compare === 'perSample' ? 'per sample' : 'as recorded';
    const comparison = `${inert(c.currentName)} vs ${inert(c.baseName)}: ${view.metric.label}, ${how}` + (c.note ? `; ${c.note}` : '');
    return { path: r.entry.path, comparison };
  }

  /** A key that changes whenever what the status or the editors show about the baseline may change. */
  stateKey(current: ProfileEntry | undefined): string {
    const spec = this.spec();
    if (spec === undefined) return '';
    const r = this.resolve(current);
    const b = r.entry;
    const s = this.host.settings();
    return [spec, r.problem, b?.path, b?.generation, b?.profile?.version, b?.loading, b?.problem, s.diffCompare, s.diffMinEffect, s.diffMinShare].join('\u0000');
  }

  dispose(): void {
    this.store.dispose();
  }
}
