/**
 * The flamelens language server: state (settings, documents, profiles, the active view) and one
 * method per LSP message. Handlers are bound to the connection in connection.ts; everything the
 * server sends goes through LspClient. Requests are answered from the active ProfileView, which
 * is rebuilt at most once per refresh interval while a profile grows.
 */
import { statSync } from 'node:fs';
import * as nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CancellationToken,
  type CodeLens,
  type CodeLensParams,
  type DidChangeConfigurationParams,
  type DidChangeTextDocumentParams,
  type DidCloseTextDocumentParams,
  type DidOpenTextDocumentParams,
  type DidSaveTextDocumentParams,
  type ExecuteCommandParams,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  type InlayHint,
  type InlayHintParams,
  LSPErrorCodes,
  ResponseError,
  type WorkspaceFoldersChangeEvent,
} from 'vscode-languageserver/node';
import { capabilities, clientFeatures, type ClientFeatures } from './capabilities';
import type { Scope } from './core/model';
import type { Staleness } from './core/present';
import { type AnnotatedDocument } from './features/annotated';
import { codeLenses } from './features/code-lens';
import { type CommandHost, executeCommand } from './features/commands';
import { hover } from './features/hover';
import { inlayHints } from './features/inlay-hints';
import { lineHeat } from './features/line-heat';
import { status } from './features/status';
import type { LspClient } from './lsp-client';
import { defaultSettings, parseSettings, sameSettings, type Settings } from './settings';
import { Documents, type OpenDocument, uriToPath } from './workspace/documents';
import type { ProfileEntry } from './workspace/profile-store';
import { ProfileView } from './workspace/profile-view';
import { ProfileWorkspace } from './workspace/profile-workspace';


const section = (raw: unknown): Record<string, unknown> | undefined => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  return typeof r.flamelens === 'object' && r.flamelens !== null ? (r.flamelens as Record<string, unknown>) : r;
};

/** Keys of `over` win; a section that is not an object is passed on as it is (parseSettings reports it). */
function mergeSections(base: unknown, over: unknown): unknown {
  const b = section(base);
  const o = section(over);
  if (!b) return over;
  if (over === null || over === undefined) return b;
  return o ? { ...b, ...o } : over;
}

export class FlamelensServer implements CommandHost {
  private settings: Settings = defaultSettings();
  private features: ClientFeatures = clientFeatures(undefined);
  readonly documents = new Documents();
  readonly workspace: ProfileWorkspace;
  private started = false;
  private initOptions: unknown;
  // session state changed by commands
  private pinned: string | undefined;
  private userMetric: string | undefined;
  private scope: Scope = {};
  private enabledOverride: boolean | undefined;
  // what requests are answered from
  private view: ProfileView | undefined;
  private viewKey = '';
  /** The view's profile run, metric and scope (its key without the profile version). */
  private viewIdentity = '';
  private baseKey = '';
  private sentKey = '';
  /** While a profile loads, views are rebuilt no more often than 10x the time the last build took. */
  private viewBuiltAt = 0;
  private viewBuildMs = 0;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;
  private disposed = false;

  constructor(private readonly client: LspClient) {
    this.workspace = new ProfileWorkspace({
      log: (level, message) => client.log(level, message),
      showError: (message) => client.showMessage('error', message),
      progress: async (title) => (this.features.workDoneProgress ? client.progress(title) : undefined),
      settings: () => this.settings,
      activeEntry: () => this.activeEntry(),
      changed: (now) => this.scheduleRefresh(now),
      newRun: (e) => {
        // A new run becomes active even over a profile the user picked earlier.
        if (this.pinned) client.log('info', `new profile ${e.path}: showing it instead of ${this.pinned}`);
        this.pinned = undefined;
      },
      removed: (e) => {
        if (this.pinned === e.path) this.pinned = undefined;
      },
    });
  }

  // ---- lifecycle

  initialize(params: InitializeParams): InitializeResult {
    this.features = clientFeatures(params.capabilities);
    const folders = params.workspaceFolders?.map((f) => uriToPath(f.uri)) ?? [params.rootUri ? uriToPath(params.rootUri) : (params.rootPath ?? undefined)];
    this.workspace.setFolders(folders.filter((f): f is string => !!f).map((f) => nodePath.resolve(f)));
    if (params.initializationOptions !== undefined && params.initializationOptions !== null) {
      this.initOptions = params.initializationOptions;
      this.settings = this.parse(params.initializationOptions);
      this.workspace.setMappings(this.settings.pathMappings);
    }
    this.client.setLogLevel(this.settings.logLevel);
    return { capabilities: capabilities(), serverInfo: { name: 'flamelens', version: '0.1.0' } };
  }

  async initialized(): Promise<void> {
    await this.pullSettings();
    this.started = true;
    this.workspace.start();
  }

  get clientSendsFolderChanges(): boolean {
    return this.features.workspaceFolders;
  }

  didChangeWorkspaceFolders(event: WorkspaceFoldersChangeEvent): void {
    const removed = new Set(event.removed.map((f) => uriToPath(f.uri)));
    const added = event.added.map((f) => uriToPath(f.uri)).filter((f): f is string => !!f);
    const folders = [...this.workspace.folders.filter((f) => !removed.has(f)), ...added.map((f) => nodePath.resolve(f))];
    this.workspace.setFolders(folders);
    if (this.started) this.workspace.start();
  }

  async shutdown(): Promise<void> {
    await this.dispose();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.refreshTimer);
    await this.workspace.dispose();
  }

  // ---- settings

  private parse(raw: unknown): Settings {
    return parseSettings(raw, (m) => this.client.log('warn', m));
  }

  private async pullSettings(pushed?: unknown): Promise<void> {
    let raw: unknown = pushed;
    if (this.features.configuration) {
      try {
        raw = await this.client.configuration();
      } catch (e) {
        this.client.log('warn', `workspace/configuration failed: ${(e as Error).message}`);
        return;
      }
    }
    if (raw === undefined) return;
    // initializationOptions stay the base: a client whose configuration has no flamelens section
    // (Neovim answers null) must not reset what was given at start
    this.applySettings(this.parse(mergeSections(this.initOptions, raw)));
  }

  private applySettings(next: Settings): void {
    const prev = this.settings;
    if (sameSettings(prev, next)) return;
    this.settings = next;
    this.client.setLogLevel(next.logLevel);
    if (JSON.stringify(prev.pathMappings) !== JSON.stringify(next.pathMappings)) this.workspace.setMappings(next.pathMappings);
    if (JSON.stringify(prev.profiles) !== JSON.stringify(next.profiles) || prev.maxWorkspaceFiles !== next.maxWorkspaceFiles) {
      if (this.started) this.workspace.start();
    }
    this.scheduleRefresh(true);
  }

  didChangeConfiguration(params: DidChangeConfigurationParams): void {
    const pushed = (params?.settings as Record<string, unknown> | undefined)?.flamelens ?? undefined;
    void this.pullSettings(pushed).catch((e) => this.client.log('error', `settings: ${(e as Error).message}`));
  }

  // ---- the active profile and view

  profiles(): ProfileEntry[] {
    return this.workspace.store.list();
  }

  /** The pinned profile, else the most recently written one that has (or is getting) data. */
  activeEntry(): ProfileEntry | undefined {
    if (this.pinned) {
      const p = this.workspace.store.entries.get(this.pinned);
      if (p) return p;
    }
    const list = this.workspace.store.list();
    // a file that failed without giving any data is skipped; a truncated one still counts
    return list.find((e) => !e.problem || (e.profile?.metrics.length ?? 0) > 0);
  }

  activeView(): ProfileView | undefined {
    return this.view;
  }

  enabled(): boolean {
    return this.enabledOverride ?? this.settings.enabled;
  }

  private metricFor(e: ProfileEntry): string {
    const p = e.profile!;
    for (const k of [this.userMetric, this.settings.metric]) if (k && p.metricIndex(k) >= 0) return k;
    return p.defaultMetric();
  }

  private scopeFor(e: ProfileEntry): Scope {
    const p = e.profile!;
    const s: { pid?: string; thread?: number } = {};
    if (this.scope.pid !== undefined && p.processes().includes(this.scope.pid)) s.pid = this.scope.pid;
    if (this.scope.thread !== undefined && this.scope.thread < p.threads.length) s.thread = this.scope.thread;
    return s;
  }

  /** Rebuilds the view when the profile, metric or scope changed. */
  private updateView(): void {
    const e = this.activeEntry();
    const p = e?.profile;
    if (!e || !p || p.metrics.length === 0) {
      this.view = undefined;
      this.viewKey = '';
      return;
    }
    const metric = this.metricFor(e);
    const scope = this.scopeFor(e);
    const key = `${e.path}\u0000${e.generation}\u0000${p.version}\u0000${metric}\u0000${scope.pid ?? ''}\u0000${scope.thread ?? ''}`;
    if (key === this.viewKey && this.view) return;
    // A file still loading: keep the current view while a big file is read from its start (requests
    // must not wait for aggregations of partial data), and for a while when building one is costly.
    const identity = `${e.path}\u0000${e.generation}\u0000${metric}\u0000${scope.pid ?? ''}\u0000${scope.thread ?? ''}`;
    const sameRun = this.view?.entry === e && identity === this.viewIdentity;
    const wait = this.viewBuiltAt + 10 * this.viewBuildMs - Date.now();
    if (sameRun && e.loading && (e.bulk || wait > 0)) {
      if (!e.bulk) this.scheduleRefreshIn(wait);
      return;
    }
    // A new recording: the open files are what it measured, so make their current text the base.
    const base = `${e.path}\u0000${e.generation}`;
    if (base !== this.baseKey) {
      this.baseKey = base;
      for (const d of this.documents.all()) if (!d.dirty) this.documents.rebase(d);
    }
    const t0 = Date.now();
    this.view = ProfileView.create(e, p, metric, scope);
    this.viewBuiltAt = Date.now();
    this.viewBuildMs = this.viewBuiltAt - t0;
    this.viewKey = key;
    this.viewIdentity = identity;
  }

  /** Refreshes editors now, or at most once per refresh interval (a growing profile). */
  private scheduleRefresh(now = false): void {
    if (this.disposed) return;
    if (now) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = undefined;
      this.refreshNow(true);
      return;
    }
    this.scheduleRefreshIn(this.lastRefresh + this.settings.refreshInterval - Date.now());
  }

  private scheduleRefreshIn(ms: number): void {
    if (this.refreshTimer || this.disposed) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refreshNow(false);
    }, Math.max(0, ms));
  }

  private refreshNow(force: boolean): void {
    if (this.disposed) return;
    this.lastRefresh = Date.now();
    try {
      this.updateView();
    } catch (e) {
      this.client.log('error', `cannot aggregate the profile: ${(e as Error).stack ?? e}`);
      this.view = undefined;
    }
    const entry = this.activeEntry();
    const key = `${this.viewKey}\u0000${this.workspace.resolverGen}\u0000${this.enabled()}\u0000${entry?.loading}\u0000${entry?.problem}\u0000${JSON.stringify(this.settings)}`;
    if (!force && key === this.sentKey) return;
    this.sentKey = key;
    const fail = (what: string) => (e: unknown) => this.client.log('warn', `${what} failed: ${(e as Error).message}`);
    if (this.features.inlayHintRefresh) this.client.inlayHintRefresh().catch(fail('workspace/inlayHint/refresh'));
    if (this.features.codeLensRefresh) this.client.codeLensRefresh().catch(fail('workspace/codeLens/refresh'));
    for (const d of this.documents.all()) this.sendLineHeat(d);
    if (this.features.status) this.client.status(status(entry, this.view, this.enabled()));
  }

  private sendLineHeat(d: OpenDocument): void {
    if (!this.features.lineHeat) return;
    try {
      this.client.lineHeat(lineHeat(d, this.annotated(d.uri)));
    } catch (e) {
      this.client.log('error', `line heat failed for ${d.uri}: ${(e as Error).message}`);
    }
  }

  /** The document with the active view's costs, or undefined when it has none (or annotations are off). */
  annotated(uri: string): AnnotatedDocument | undefined {
    const doc = this.documents.get(uri);
    const view = this.view;
    if (!doc?.path || !view || !this.enabled()) return undefined;
    const { resolver } = this.workspace;
    const costs = view.costs(doc.path, resolver, this.workspace.resolverGen);
    this.workspace.flushNotes();
    if (!costs) return undefined;
    const profileDir = nodePath.dirname(view.entry.path);
    return {
      doc,
      view,
      costs,
      settings: this.settings,
      documents: this.documents,
      uriOf: (recorded) => {
        const local = resolver.resolve(recorded, profileDir)?.local ?? (this.documents.all().find((d) => d.path === recorded) ? recorded : undefined);
        return local ? pathToFileURL(local).href : undefined;
      },
      currentLine: (target, line) => this.documents.get(target)?.tracker.toCurrent(line) ?? line,
    };
  }

  // ---- documents

  didOpenTextDocument(params: DidOpenTextDocumentParams): void {
    const t = params.textDocument;
    this.sendLineHeat(this.documents.open(t.uri, t.languageId, t.version, t.text));
  }

  didChangeTextDocument(params: DidChangeTextDocumentParams): void {
    const { uri, version } = params.textDocument;
    try {
      this.documents.change(uri, version, params.contentChanges);
    } catch (e) {
      // Better no annotations than annotations on the wrong lines.
      this.client.log('error', `didChange failed for ${uri}: ${(e as Error).stack ?? e}`);
      const d = this.documents.get(uri);
      d?.tracker.invalidate(d.text.lineCount);
    }
  }

  didSaveTextDocument(params: DidSaveTextDocumentParams): void {
    this.documents.saved(params.textDocument.uri);
  }

  didCloseTextDocument(params: DidCloseTextDocumentParams): void {
    this.documents.close(params.textDocument.uri);
  }

  // ---- requests

  inlayHint(params: InlayHintParams, token?: CancellationToken): Promise<InlayHint[] | ResponseError<void>> {
    return this.runSafe('inlay hints', params.textDocument.uri, [], token, () => {
      const a = this.annotated(params.textDocument.uri);
      return a ? inlayHints(a, params.range) : [];
    });
  }

  codeLens(params: CodeLensParams, token?: CancellationToken): Promise<CodeLens[] | ResponseError<void>> {
    return this.runSafe('code lenses', params.textDocument.uri, [], token, () => {
      const a = this.annotated(params.textDocument.uri);
      return a ? codeLenses(a) : [];
    });
  }

  hover(params: HoverParams, token?: CancellationToken): Promise<Hover | null | ResponseError<void>> {
    return this.runSafe<Hover | null>('hover', params.textDocument.uri, null, token, () => {
      const a = this.annotated(params.textDocument.uri);
      return a ? hover(a, params.position, this.staleness(a)) : null;
    });
  }

  executeCommand(params: ExecuteCommandParams, token?: CancellationToken): Promise<unknown> {
    return this.runSafe<unknown>(`command ${params.command}`, '', null, token, () => executeCommand(this, params.command, params.arguments ?? []));
  }

  private staleness(a: AnnotatedDocument): Staleness | undefined {
    try {
      const src = statSync(a.doc.path!).mtimeMs;
      return src > a.view.entry.mtime ? { sourceMtime: src, profileMtime: a.view.entry.mtime } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Never throws to the client: on failure the empty result, and a log line saying what failed. */
  private async runSafe<T>(what: string, uri: string, empty: T, token: CancellationToken | undefined, fn: () => T | Promise<T>): Promise<T | ResponseError<void>> {
    if (token?.isCancellationRequested) return new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    try {
      const r = await fn();
      if (token?.isCancellationRequested) return new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
      return r;
    } catch (e) {
      this.client.log('error', `${what} failed${uri ? ` for ${uri}` : ''}: ${(e as Error).stack ?? e}`);
      return empty;
    }
  }

  // ---- command host

  async selectProfile(e: ProfileEntry): Promise<void> {
    this.pinned = e.path;
    this.scheduleRefresh(true);
    await this.workspace.store.load(e);
    this.scheduleRefresh(true);
  }

  selectMetric(key: string): void {
    this.userMetric = key;
    this.scheduleRefresh(true);
  }

  setScope(scope: Scope): void {
    this.scope = scope;
    this.scheduleRefresh(true);
  }

  setEnabled(on: boolean): void {
    this.enabledOverride = on;
    this.scheduleRefresh(true);
  }

  ask(message: string, items: string[]): Promise<string | undefined> {
    return this.client.showMessageRequest(message, items);
  }

  async openLocation(uri: string, line: number): Promise<boolean> {
    if (!this.features.showDocument) {
      this.client.log('info', `the client cannot open documents for the server (window/showDocument): ${uri}:${line + 1}`);
      return false;
    }
    const pos = { line, character: 0 };
    return this.client.showDocument(uri, { start: pos, end: pos });
  }

  displayPath(path: string): string {
    for (const f of this.workspace.folders) {
      const r = nodePath.relative(f, path);
      if (!r.startsWith('..') && !nodePath.isAbsolute(r)) return r;
    }
    return path;
  }

  log(message: string): void {
    this.client.log('info', message);
  }
}
