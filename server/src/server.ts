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
  type ClientCapabilities,
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
  type ServerCapabilities,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import type { Scope } from './core/model';
import { PathResolver } from './core/path-resolver';
import type { Staleness } from './core/present';
import { type AnnotatedDocument } from './features/annotated';
import { codeLenses } from './features/code-lens';
import { type CommandHost, executeCommand } from './features/commands';
import { hover } from './features/hover';
import { inlayHints } from './features/inlay-hints';
import { lineHeat } from './features/line-heat';
import { status } from './features/status';
import type { LspClient } from './lsp-client';
import { Commands } from './protocol';
import { defaultSettings, parseSettings, sameSettings, type Settings } from './settings';
import { Documents, type OpenDocument, uriToPath } from './workspace/documents';
import { globMatcher } from './workspace/glob';
import { type ProfileEntry, ProfileStore } from './workspace/profile-store';
import { ProfileView } from './workspace/profile-view';
import { WorkspaceWatcher } from './workspace/watcher';

/** The server's capabilities. Hints are offered whatever the client declared: some clients ask without declaring. */
export function capabilities(): ServerCapabilities {
  return {
    textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
    inlayHintProvider: { resolveProvider: false },
    codeLensProvider: { resolveProvider: false },
    hoverProvider: true,
    executeCommandProvider: { commands: Object.values(Commands) },
  };
}

/** What the server may send, from what the client declared. */
export interface ClientFeatures {
  inlayHintRefresh: boolean;
  codeLensRefresh: boolean;
  configuration: boolean;
  workDoneProgress: boolean;
  showDocument: boolean;
  showMessageRequest: boolean;
}

export function clientFeatures(c: ClientCapabilities | undefined): ClientFeatures {
  return {
    inlayHintRefresh: c?.workspace?.inlayHint?.refreshSupport === true,
    codeLensRefresh: c?.workspace?.codeLens?.refreshSupport === true,
    configuration: c?.workspace?.configuration === true,
    workDoneProgress: c?.window?.workDoneProgress === true,
    showDocument: c?.window?.showDocument?.support === true,
    // Every client implements showMessageRequest; the capability only refines it.
    showMessageRequest: true,
  };
}

/** Profiles bigger than this are read only once active or selected, not just because they exist. */
const EAGER_MAX_BYTES = 256 * 1024 * 1024;

/** Popups for files that gave no data at all (unknown format, unreadable); later ones are only logged. */
const MAX_UNREADABLE_POPUPS = 3;

type Empty<T> = T;

export class FlamelensServer implements CommandHost {
  private settings: Settings = defaultSettings();
  private features: ClientFeatures = clientFeatures(undefined);
  private folders: string[] = [];
  readonly documents = new Documents();
  readonly store: ProfileStore;
  private readonly resolver = new PathResolver({ workspaceFolders: [] });
  private resolverGen = 0;
  private watcher: WorkspaceWatcher | undefined;
  private scanned = false;
  private sources = new Set<string>();
  private cappedLogged = false;
  // session state changed by commands
  private pinned: string | undefined;
  private userMetric: string | undefined;
  private scope: Scope = {};
  private enabledOverride: boolean | undefined;
  // what requests are answered from
  private view: ProfileView | undefined;
  private viewKey = '';
  private baseKey = '';
  private sentKey = '';
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;
  private loadQueue: ProfileEntry[] = [];
  private loading = false;
  private disposed = false;
  private unreadable = 0;

  constructor(private readonly client: LspClient) {
    this.store = new ProfileStore({
      log: (level, message) => this.client.log(level, message),
      problem: (e, message) => {
        this.client.log('error', message);
        // A workspace full of unrelated files with a profile's extension must not bury the user in popups.
        if (!e.profile && ++this.unreadable > MAX_UNREADABLE_POPUPS) return;
        this.client.showMessage('error', `flamelens: ${message}`);
      },
      changed: (e, kind) => this.profileChanged(e, kind),
      progress: async (title) => (this.features.workDoneProgress ? this.client.progress(title) : undefined),
      // A live profiler may pause mid-record (a buffered write, an idle program): only a long quiet ends the file.
      settleMs: () => Math.max(2000, 10 * this.settings.refreshInterval),
    });
  }

  // ---- lifecycle

  initialize(params: InitializeParams): InitializeResult {
    this.features = clientFeatures(params.capabilities);
    const folders = params.workspaceFolders?.map((f) => uriToPath(f.uri)) ?? [params.rootUri ? uriToPath(params.rootUri) : (params.rootPath ?? undefined)];
    this.folders = folders.filter((f): f is string => !!f).map((f) => nodePath.resolve(f));
    this.resolver.setWorkspaceFolders(this.folders);
    if (params.initializationOptions !== undefined && params.initializationOptions !== null) {
      this.settings = this.parse(params.initializationOptions);
      this.applyResolverSettings();
    }
    this.client.setLogLevel(this.settings.logLevel);
    return { capabilities: capabilities(), serverInfo: { name: 'flamelens', version: '0.1.0' } };
  }

  async initialized(): Promise<void> {
    await this.pullSettings();
    this.startWatcher();
  }

  async shutdown(): Promise<void> {
    await this.dispose();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.refreshTimer);
    this.store.dispose();
    await this.watcher?.close();
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
    this.applySettings(this.parse(raw));
  }

  private applySettings(next: Settings): void {
    const prev = this.settings;
    if (sameSettings(prev, next)) return;
    this.settings = next;
    this.client.setLogLevel(next.logLevel);
    if (JSON.stringify(prev.pathMappings) !== JSON.stringify(next.pathMappings)) this.applyResolverSettings();
    if (JSON.stringify(prev.profiles) !== JSON.stringify(next.profiles) || prev.maxWorkspaceFiles !== next.maxWorkspaceFiles) {
      if (this.watcher) this.startWatcher();
    }
    this.scheduleRefresh(true);
  }

  private applyResolverSettings(): void {
    this.resolver.setMappings(this.settings.pathMappings.map((m) => ({ localRoot: m.localRoot, remoteRoot: m.remoteRoot })));
    this.resolverGen++;
  }

  didChangeConfiguration(params: DidChangeConfigurationParams): void {
    const pushed = (params?.settings as Record<string, unknown> | undefined)?.flamelens ?? undefined;
    void this.pullSettings(pushed).catch((e) => this.client.log('error', `settings: ${(e as Error).message}`));
  }

  // ---- workspace

  private startWatcher(): void {
    if (this.disposed) return;
    void this.watcher?.close();
    for (const e of [...this.store.entries.values()]) this.store.remove(e.path);
    this.sources.clear();
    this.scanned = false;
    this.cappedLogged = false;
    const isProfile = globMatcher(this.settings.profiles);
    const w = new WorkspaceWatcher(this.folders, isProfile, {
      profile: (kind, path, stats) => {
        if (kind === 'add') {
          const e = this.store.add(path, stats);
          if (this.scanned) {
            // A new run: it becomes active even over a profile the user picked earlier.
            if (this.pinned) this.client.log('info', `new profile ${path}: showing it instead of ${this.pinned}`);
            this.pinned = undefined;
            this.enqueue(e);
          }
        } else if (kind === 'change') {
          this.store.touched(path, stats);
          if (!this.store.get(path)?.wanted) this.enqueue(this.store.get(path));
        } else {
          this.store.remove(path);
        }
      },
      source: (kind, path) => {
        if (kind === 'add') {
          if (this.sources.size >= this.settings.maxWorkspaceFiles) {
            if (!this.cappedLogged) {
              this.cappedLogged = true;
              this.client.log('warn', `indexed ${this.sources.size} workspace files for path matching and stopped there (flamelens.maxWorkspaceFiles)`);
            }
            return;
          }
          this.sources.add(path);
          if (this.scanned) this.resolverChanged(() => this.resolver.addFile(path));
        } else if (this.sources.delete(path) && this.scanned) {
          this.resolverChanged(() => this.resolver.removeFile(path));
        }
      },
      ready: () => {
        this.scanned = true;
        this.resolverChanged(() => this.resolver.setWorkspaceFiles(this.sources));
        this.client.log('info', `watching ${this.folders.join(', ')}: ${this.store.entries.size} profile(s), ${this.sources.size} source file(s)`);
        for (const e of this.store.list()) this.enqueue(e);
        this.scheduleRefresh(true);
      },
      error: (m) => this.client.log('warn', `file watcher: ${m}`),
    });
    this.watcher = w;
    w.start().catch((e) => this.client.log('error', `cannot watch the workspace: ${(e as Error).message}`));
  }

  private resolverChanged(apply: () => void): void {
    apply();
    this.resolverGen++;
    for (const note of this.resolver.takeNotes()) this.client.log('info', note);
    this.scheduleRefresh();
  }

  /** Reads profiles one at a time, newest first; big ones only when they are (or become) active. */
  private enqueue(e: ProfileEntry | undefined): void {
    if (!e || this.loadQueue.includes(e)) return;
    this.loadQueue.push(e);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      while (this.loadQueue.length > 0 && !this.disposed) {
        this.loadQueue.sort((a, b) => b.mtime - a.mtime);
        const e = this.loadQueue.shift()!;
        if (!this.store.entries.has(e.path) || e.wanted) continue;
        if (e.size > EAGER_MAX_BYTES && this.activeEntry() !== e) continue;
        await this.store.load(e);
      }
    } finally {
      this.loading = false;
    }
  }

  private profileChanged(e: ProfileEntry, kind: 'data' | 'reset' | 'loaded' | 'removed' | 'added'): void {
    if (kind === 'removed' && this.pinned === e.path) this.pinned = undefined;
    if (kind === 'added' && !this.scanned) return;
    this.scheduleRefresh();
  }

  // ---- the active profile and view

  profiles(): ProfileEntry[] {
    return this.store.list();
  }

  /** The pinned profile, else the most recently written one that has (or is getting) data. */
  activeEntry(): ProfileEntry | undefined {
    if (this.pinned) {
      const p = this.store.entries.get(this.pinned);
      if (p) return p;
    }
    const list = this.store.list();
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
    // A new recording: the open files are what it measured, so make their current text the base.
    const base = `${e.path}\u0000${e.generation}`;
    if (base !== this.baseKey) {
      this.baseKey = base;
      for (const d of this.documents.all()) if (!d.dirty) this.documents.rebase(d);
    }
    this.view = ProfileView.create(e, p, metric, scope);
    this.viewKey = key;
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
    if (this.refreshTimer) return;
    const wait = Math.max(0, this.lastRefresh + this.settings.refreshInterval - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refreshNow(false);
    }, wait);
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
    const key = `${this.viewKey}\u0000${this.resolverGen}\u0000${this.enabled()}\u0000${entry?.loading}\u0000${entry?.problem}\u0000${JSON.stringify(this.settings)}`;
    if (!force && key === this.sentKey) return;
    this.sentKey = key;
    const fail = (what: string) => (e: unknown) => this.client.log('warn', `${what} failed: ${(e as Error).message}`);
    if (this.features.inlayHintRefresh) this.client.inlayHintRefresh().catch(fail('workspace/inlayHint/refresh'));
    if (this.features.codeLensRefresh) this.client.codeLensRefresh().catch(fail('workspace/codeLens/refresh'));
    for (const d of this.documents.all()) this.sendLineHeat(d);
    this.client.status(status(entry, this.view, this.enabled()));
  }

  private sendLineHeat(d: OpenDocument): void {
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
    const costs = view.costs(doc.path, this.resolver, this.resolverGen);
    for (const note of this.resolver.takeNotes()) this.client.log('info', note);
    if (!costs) return undefined;
    const profileDir = nodePath.dirname(view.entry.path);
    return {
      doc,
      view,
      costs,
      settings: this.settings,
      documents: this.documents,
      uriOf: (recorded) => {
        const local = this.resolver.resolve(recorded, profileDir)?.local ?? (this.documents.all().find((d) => d.path === recorded) ? recorded : undefined);
        return local ? pathToFileURL(local).href : undefined;
      },
      currentLine: (target, line) => this.documents.get(target)?.tracker.toCurrent(line) ?? line,
    };
  }

  // ---- documents

  didOpenTextDocument(params: DidOpenTextDocumentParams): void {
    const t = params.textDocument;
    const d = this.documents.open(t.uri, t.languageId, t.version, t.text);
    this.sendLineHeat(d);
  }

  didChangeTextDocument(params: DidChangeTextDocumentParams): void {
    this.documents.change(params.textDocument.uri, params.textDocument.version, params.contentChanges);
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
  private async runSafe<T>(what: string, uri: string, empty: Empty<T>, token: CancellationToken | undefined, fn: () => T | Promise<T>): Promise<T | ResponseError<void>> {
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
    await this.store.load(e);
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
    for (const f of this.folders) {
      const r = nodePath.relative(f, path);
      if (!r.startsWith('..') && !nodePath.isAbsolute(r)) return r;
    }
    return path;
  }

  log(message: string): void {
    this.client.log('info', message);
  }
}
