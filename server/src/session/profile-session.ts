/**
 * The session: what the user is looking at, with no connection. It owns the open documents, the
 * workspace's profiles, which profile each document shows, the metric, the scope, the toggle, the
 * baseline slot and the refresh policy. The language server turns LSP messages into calls on it;
 * tests drive it directly.
 *
 * Views follow three rules: a complete file being read shows nothing new until it is read (never
 * numbers of a half-read file passed off as final); a live file (a profiler writing it) shows its
 * numbers so far, rebuilt at a bounded rate, and says so; a file with no samples (just created,
 * emptied) never takes a document away from a profile that has some.
 */
import { readFileSync, statSync } from 'node:fs';
import * as nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import { DefinitionIndex, type SourceText } from '../core/definition-index';
import { confirmedByDefinitions } from '../core/path-evidence';
import type { Scope } from '../core/model';
import { isPythonSourceRoot } from '../core/source-roots';
import { ProfileView } from '../core/view';
import type { ProgressReporter } from '../workspace/progress';
import type { LogLevel, PercentOf, Settings } from '../settings';
import { defaultSettings } from '../settings';
import { Documents, type OpenDocument } from '../workspace/documents';
import { hasSamples, type ProfileEntry } from '../workspace/profile-store';
import { ProfileWorkspace } from '../workspace/profile-workspace';
import { AnnotatedDocument, type Location } from './annotated-document';
import { BaselineSlot } from './baseline';
import { DocumentDiff } from './document-diff';

export interface SessionHost {
  log(level: LogLevel, message: string): void;
  /** An actionable problem (a profile that cannot be read): window/showMessage. */
  showError(message: string): void;
  progress(title: string): Promise<ProgressReporter | undefined>;
  /** What editors show may have changed: re-request hints and lenses, resend heat and status. */
  refresh(): void;
}

/** Source files bigger than this are never read for definitions. */
const MAX_SOURCE_BYTES = 8 * 1024 * 1024;

interface ViewSlot {
  /** generation, version, metric and scope the view reflects */
  key: string;
  /** the same without the version: views of one run */
  run: string;
  view: ProfileView;
  builtAt: number;
  buildMs: number;
}

export class ProfileSession {
  readonly documents = new Documents();
  readonly workspace: ProfileWorkspace;
  readonly definitions: DefinitionIndex;
  /** The profile the shown one is compared with (session/baseline.ts). */
  readonly baseline: BaselineSlot;
  private settingsNow: Settings = defaultSettings();
  private started = false;
  private disposed = false;
  // what the user chose
  private pinned: string | undefined;
  private userMetric: string | undefined;
  private chosenScope: { path: string; scope: Scope } | undefined;
  private enabledOverride: boolean | undefined;
  private userPercentOf: PercentOf | undefined;
  // derived
  private readonly views = new Map<string, ViewSlot>();
  private readonly mapped = new Map<string, { key: string; map: Map<string, string[]>; reverse: Map<string, string> }>();

  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;

  constructor(private readonly host: SessionHost) {
    this.workspace = new ProfileWorkspace({
      log: (level, message) => host.log(level, message),
      showError: (message) => host.showError(message),
      progress: (title) => host.progress(title),
      settings: () => this.settingsNow,
      wanted: (e) => {
        if (this.pinned) return this.pinned === e.path;
        const active = this.active();
        return !active || active === e || e.mtime >= active.mtime;
      },
      changed: (now) => this.scheduleRefresh(now),
      newRun: (e) => {
        // A new run is shown even over a profile the user picked earlier.
        if (this.pinned) host.log('info', `new profile ${e.path}: showing it instead of ${this.pinned}`);
        this.pinned = undefined;
      },
      removed: (e) => {
        if (this.pinned === e.path) this.pinned = undefined;
        this.views.delete(e.path);
        this.mapped.delete(e.path);
      },
    });
    this.definitions = new DefinitionIndex((path) => this.sourceText(path));
    this.baseline = new BaselineSlot({
      log: (level, message) => host.log(level, message),
      showError: (message) => host.showError(message),
      progress: (title) => host.progress(title),
      settings: () => this.settingsNow,
      folders: () => this.folders,
      profiles: () => this.profiles(),
      workspaceEntry: (path) => this.workspace.store.entries.get(path),
      loadWorkspaceEntry: (e) => this.workspace.store.load(e),
      localFor: (e, recorded) => this.localFor(e, recorded),
      changed: (now) => this.scheduleRefresh(now),
    });
  }

  // ---- lifecycle and settings

  get settings(): Settings {
    return this.settingsNow;
  }

  get folders(): readonly string[] {
    return this.workspace.folders;
  }

  setFolders(folders: readonly string[]): void {
    this.workspace.setFolders(folders.map((f) => nodePath.resolve(f)));
    if (this.started) this.workspace.start();
  }

  /** Starts watching the folders. */
  start(): void {
    this.started = true;
    this.workspace.start();
  }

  /** Applies parsed settings; re-reads or re-watches only what they change. */
  applySettings(next: Settings): void {
    const prev = this.settingsNow;
    if (JSON.stringify(prev) === JSON.stringify(next)) return;
    this.settingsNow = next;
    this.baseline.settingsChanged(prev, next);
    if (JSON.stringify(prev.pathMappings) !== JSON.stringify(next.pathMappings)) this.workspace.setMappings(next.pathMappings);
    const rewatch =
      JSON.stringify(prev.profiles) !== JSON.stringify(next.profiles) ||
      prev.maxWorkspaceFiles !== next.maxWorkspaceFiles ||
      JSON.stringify(prev.exclude) !== JSON.stringify(next.exclude);
    if (rewatch && this.started) this.workspace.start();
    this.scheduleRefresh(true);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.refreshTimer);
    this.baseline.dispose();
    await this.workspace.dispose();
  }

  // ---- profiles and views

  /** Newest first. */
  profiles(): ProfileEntry[] {
    return this.workspace.store.list();
  }

  entry(pathOrUri: string): ProfileEntry | undefined {
    return this.workspace.store.get(pathOrUri);
  }

  /** The profile chosen by the user, else the newest one with samples. */
  active(): ProfileEntry | undefined {
    if (this.pinned) {
      const p = this.workspace.store.entries.get(this.pinned);
      if (p) return p;
    }
    return this.profiles().find((e) => hasSamples(e));
  }

  /** A newer profile than the active one that has no samples yet (a recording that just started). */
  waiting(): ProfileEntry | undefined {
    const active = this.active();
    return this.profiles().find((e) => !hasSamples(e) && !e.problem && (!active || e.mtime > active.mtime));
  }

  get pinnedPath(): string | undefined {
    return this.pinned;
  }

  /**
   * The profile a document shows: the user's choice, else the newest profile with samples for the
   * document's file, else the active one (which then shows nothing there).
   */
  entryFor(doc: OpenDocument | undefined): ProfileEntry | undefined {
    const active = this.active();
    if (this.pinned || !doc?.path) return active;
    for (const e of this.profiles()) {
      if (!hasSamples(e)) continue;
      if (this.recordedFor(e, doc.path).length > 0) return e;
    }
    return active;
  }

  /** The metric a profile is shown in: the user's pick, the setting, else the format's default. */
  metricFor(e: ProfileEntry): string | undefined {
    const p = e.profile;
    if (!p || p.metrics.length === 0) return undefined;
    for (const k of [this.userMetric, this.settingsNow.metric]) if (k && p.metricIndex(k) >= 0) return k;
    return p.defaultMetric();
  }

  scopeFor(e: ProfileEntry): Scope {
    const p = e.profile;
    if (!p || this.chosenScope?.path !== e.path) return {};
    const s = this.chosenScope.scope;
    const out: { pid?: string; thread?: number } = {};
    if (s.pid !== undefined && p.processes().includes(s.pid)) out.pid = s.pid;
    if (s.thread !== undefined && s.thread < p.threads.length) out.thread = s.thread;
    return out;
  }

  /**
   * The view requests are answered from, for a profile; undefined when it has no samples yet.
   * Never the numbers of a complete file that is still being read (the previous ones instead, or
   * none); a live file's view is rebuilt at most once per refresh interval (and never more often
   * than ten times the time the last build took).
   */
  viewOf(e: ProfileEntry | undefined): ProfileView | undefined {
    if (!e?.profile || !hasSamples(e)) return undefined;
    const metric = this.metricFor(e)!;
    const scope = this.scopeFor(e);
    const base = this.percentOf() === 'profile' ? 'profile' : 'scope';
    const run = `${e.generation}\u0000${metric}\u0000${scope.pid ?? ''}\u0000${scope.thread ?? ''}\u0000${base}`;
    const key = `${run}\u0000${e.profile.version}`;
    const slot = this.views.get(e.path);
    if (slot?.key === key) return slot.view;
    if (e.loading && !e.live) return slot?.view;
    if (slot && slot.run === run && e.loading) {
      const wait = slot.builtAt + Math.max(this.settingsNow.refreshInterval, 10 * slot.buildMs) - Date.now();
      if (wait > 0) {
        this.scheduleRefreshIn(wait);
        return slot.view;
      }
    }
    const t0 = Date.now();
    const view = ProfileView.create(e.profile, metric, scope, nodePath.basename(e.path), { base });
    const builtAt = Date.now();
    this.views.set(e.path, { key, run, view, builtAt, buildMs: builtAt - t0 });
    return view;
  }

  /** Local file -> the recorded paths of a profile that map to it (resolved once per profile, file set and resolver). */
  localFiles(e: ProfileEntry): ReadonlyMap<string, string[]> {
    const p = e.profile;
    if (!p) return new Map();
    const key = `${e.generation}\u0000${p.functionCount}\u0000${this.workspace.resolverGen}`;
    let hit = this.mapped.get(e.path);
    if (hit?.key !== key) {
      const confirm = (rec: string, local: string) => confirmedByDefinitions(p, rec, this.definitions.definitions(local));
      const map = this.workspace.mapFiles(p.sourceFiles(), nodePath.dirname(e.path), confirm);
      const reverse = new Map<string, string>();
      for (const [local, recs] of map) for (const r of recs) reverse.set(r, local);
      hit = { key, map, reverse };
      this.mapped.set(e.path, hit);
      this.workspace.flushNotes();
    }
    return hit.map;
  }

  /** Recorded paths of a profile that map to a local file. */
  recordedFor(e: ProfileEntry, localPath: string): string[] {
    const p = e.profile;
    if (!p) return [];
    const local = this.localFiles(e).get(localPath);

    if (local) return local;
    // A file outside the workspace that the user opened matches by its exact absolute path.
    return this.documents.all().some((d) => d.path === localPath) && p.sourceFiles().includes(localPath) ? [localPath] : [];
  }

  /**
   * The local file a recorded path of a profile stands for, when the server may read it (see
   * `mayRead`); undefined for synthetic frames, unknown files and anything outside the policy.
   */
  localFor(e: ProfileEntry, recorded: string): string | undefined {
    this.localFiles(e);
    const local = this.mapped.get(e.path)?.reverse.get(recorded) ?? (this.documents.all().some((d) => d.path === recorded) ? recorded : undefined);
    return local !== undefined && this.mayRead(local) ? local : undefined;
  }

  // ---- documents

  enabled(): boolean {
    return this.enabledOverride ?? this.settingsNow.enabled;
  }

  /** The document with its profile's costs, or undefined when it has none (or annotations are off). */
  annotated(uri: string): AnnotatedDocument | undefined {
    const doc = this.documents.get(uri);
    if (!doc?.path || !this.enabled()) return undefined;
    const e = this.entryFor(doc);
    const view = this.viewOf(e);
    if (!e || !view) return undefined;
    // The first time a document meets a recording, its current text is what the profile measured.
    const base = `${e.path}\u0000${e.generation}`;
    if (doc.base !== base) {
      if (!doc.dirty) this.documents.rebase(doc);
      doc.base = base;
    }
    const costs = view.fileCosts(this.recordedFor(e, doc.path));
    if (!costs) return undefined;
    const profileDir = nodePath.dirname(e.path);
    const a = new AnnotatedDocument(doc, e, view, costs, this.effectiveSettings(), {

      locate: (file, line) => this.locate(file, line, profileDir),
      definitions: (d) => this.definitions.definitions(d.path ?? d.uri, d.languageId),
      displayPath: (p) => this.displayPath(p),
    });
    a.diff = this.documentDiff(a);
    return a;
  }

  /** The document's comparison with the baseline, when one is set and can be compared. */
  private documentDiff(a: AnnotatedDocument): DocumentDiff | undefined {
    // a comparison that fails must not take the document's own numbers with it
    let diff: ReturnType<BaselineSlot['compare']>;
    try {
      diff = this.baseline.compare(a.entry, a.view);
    } catch (e) {
      this.host.log('error', `comparison with the baseline failed: ${(e as Error).stack ?? e}`);
      return undefined;
    }
    if (diff === undefined || diff === 'loading' || 'refused' in diff) return undefined;
    const base = this.baseline.resolve(a.entry).entry!;
    const docPath = a.doc.path!;
    const baseRecorded = base === a.entry ? [...a.costs.recorded] : this.recordedFor(base, docPath);
    const definitions = () => this.definitions.definitions(docPath, a.doc.languageId);
    const d = diff;
    return new DocumentDiff(
      d,
      a,
      (defs) => {
        try {
          return this.baseline.fileLines(d, a.doc.uri, a.doc.revision, baseRecorded, a.costs.recorded, defs);
        } catch (e) {
          this.host.log('error', `comparing the lines of ${a.doc.uri} with the baseline failed: ${(e as Error).stack ?? e}`);
          return { lines: new Map(), shifts: new Map(), unplaced: [] };
        }
      },
      definitions,
    );
  }

  /** Chooses the baseline: a path, "previous" or "none" (until the setting changes). */
  async selectBaseline(spec: string): Promise<void> {
    await this.baseline.choose(spec, this.active());
  }

  /** A recorded place as a location the editor may open: a file the server may read, never any path a profile names. */
  locate(file: string, line: number, profileDir: string): Location | undefined {
    const local = this.workspace.resolver.resolve(file, profileDir)?.local ?? (this.documents.all().some((d) => d.path === file) ? file : undefined);
    if (!local || !this.mayRead(local)) return undefined;
    const uri = pathToFileURL(local).href;
    const cur = line > 0 ? (this.documents.get(uri)?.tracker.toCurrent(line - 1) ?? line - 1) : 0;
    return { uri, line: cur };
  }

  /**
   * Evidence that a document's numbers may not fit its text, in words; none from modification
   * times alone (a fresh checkout gives every file a new mtime). Seen: recorded lines past the end
   * of the text the profile is mapped onto, or functions the profile names that the text does not
   * define around the lines it records.
   */
  staleness(a: AnnotatedDocument): string[] {
    const out: string[] = [];
    const lineCount = a.doc.tracker.baseLineCount;
    const past = [...a.costs.lines.keys()].filter((l) => l > lineCount);
    if (past.length > 0) out.push(`the profile records ${past.length === 1 ? `line ${past[0]}` : `${past.length} lines`} past the end of the file (${lineCount} lines)`);
    const defs = this.definitions.definitions(a.doc.path ?? a.doc.uri, a.doc.languageId);
    if (defs && !a.costs.recorded.some((r) => confirmedByDefinitions(a.view.profile, r, defs, { anyRoot: true }))) {
      const named = a.costs.functions.some((f) => !/(^|\.)<[^>]*>$/.test(f.name));
      if (named) out.push("the functions it names are not defined around the lines it records in this file's text");
    }
    return out;
  }

  /** Whether a profile's recorded path maps to a file in a workspace folder (the user's own code). */
  recordedInWorkspace(e: ProfileEntry, recorded: string): boolean {
    if (!recorded) return false;
    const local = this.workspace.resolver.resolve(recorded, nodePath.dirname(e.path))?.local;
    return !!local && this.inWorkspace(local);
  }

  /** Files a profile may make the server read or open: workspace folders, open documents, the language's source roots. */
  mayRead(path: string): boolean {
    const p = nodePath.resolve(path);
    if (this.inWorkspace(p)) return true;
    if (this.documents.all().some((d) => d.path === p)) return true;
    return isPythonSourceRoot(p);
  }

  /** Inside one of the workspace folders: the user's own code, as far as the server can tell. */
  inWorkspace(path: string): boolean {
    const p = nodePath.resolve(path);
    return this.folders.some((f) => p === f || p.startsWith(f.endsWith(nodePath.sep) ? f : f + nodePath.sep));
  }

  /** The current text of a file the server may read (an open document's, else the disk's); undefined otherwise. */
  sourceOf(path: string): string | undefined {
    try {
      return this.sourceText(path)?.text();
    } catch {
      return undefined;
    }
  }

  private sourceText(path: string): SourceText | undefined {
    const open = this.documents.all().find((d) => d.path === path);
    if (open) return { version: `open:${open.uri}:${open.revision}`, text: () => open.text.getText() };
    if (!this.mayRead(path)) return undefined;
    try {
      const st = statSync(path);
      if (!st.isFile() || st.size > MAX_SOURCE_BYTES) return undefined;
      return { version: `disk:${st.mtimeMs}:${st.size}`, text: () => readFileSync(path, 'utf8') };
    } catch {
      return undefined;
    }
  }

  displayPath(path: string): string {
    for (const f of this.folders) {
      const r = nodePath.relative(f, path);
      if (!r.startsWith('..') && !nodePath.isAbsolute(r)) return r;
    }
    return path;
  }

  // ---- what the user chooses

  async select(e: ProfileEntry): Promise<void> {
    this.pinned = e.path;
    this.scheduleRefresh(true);
    await this.workspace.store.load(e);
    this.scheduleRefresh(true);
  }

  selectMetric(key: string): void {
    this.userMetric = key;
    this.scheduleRefresh(true);
  }

  /** Narrows the samples counted in the active profile. */
  setScope(scope: Scope): void {
    const e = this.active();
    this.chosenScope = e ? { path: e.path, scope } : undefined;
    this.scheduleRefresh(true);
  }

  /** What percents are shares of: the user's pick for the session, else the setting. */
  percentOf(): PercentOf {
    return this.userPercentOf ?? this.settingsNow.percentOf;
  }

  setPercentOf(base: PercentOf): void {
    this.userPercentOf = base;
    this.scheduleRefresh(true);
  }

  /** The settings with the session's overrides applied (what features read). */
  effectiveSettings(): Settings {
    const base = this.percentOf();
    return base === this.settingsNow.percentOf ? this.settingsNow : { ...this.settingsNow, percentOf: base };
  }

  setEnabled(on: boolean): void {
    this.enabledOverride = on;
    this.scheduleRefresh(true);
  }

  // ---- refresh policy

  /** Refreshes editors now, or at most once per refresh interval (a growing profile). */
  scheduleRefresh(now = false): void {
    if (this.disposed) return;
    if (now) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = undefined;
      this.lastRefresh = Date.now();
      this.host.refresh();
      return;
    }
    this.scheduleRefreshIn(this.lastRefresh + this.settingsNow.refreshInterval - Date.now());
  }

  private scheduleRefreshIn(ms: number): void {
    if (this.refreshTimer || this.disposed) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.lastRefresh = Date.now();
      this.host.refresh();
    }, Math.max(0, ms));
  }
}
