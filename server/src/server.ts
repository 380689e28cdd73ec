/**
 * The flamelens language server: one method per LSP message, each turning the message into calls
 * on the ProfileSession (which knows nothing of LSP) and the answer into LSP types. Handlers are
 * bound to the connection in connection.ts; everything the server sends goes through LspClient.
 */
import * as nodePath from 'node:path';
import {
  type CallHierarchyIncomingCall,
  type CallHierarchyIncomingCallsParams,
  type CallHierarchyItem,
  type CallHierarchyOutgoingCall,
  type CallHierarchyOutgoingCallsParams,
  type CallHierarchyPrepareParams,
  type CancellationToken,
  type CodeLens,
  type Diagnostic,
  type DocumentDiagnosticParams,
  type DocumentDiagnosticReport,
  DocumentDiagnosticReportKind,
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
  type SymbolInformation,
  type WorkspaceDiagnosticParams,
  type WorkspaceDiagnosticReport,
  type WorkspaceDocumentDiagnosticReport,
  type WorkspaceFoldersChangeEvent,
  type WorkspaceSymbolParams,
} from 'vscode-languageserver/node';
import { capabilities, clientFeatures, type ClientFeatures } from './capabilities';
import type { Staleness } from './core/present';
import { incomingCalls, outgoingCalls, prepareCallHierarchy } from './features/call-hierarchy';
import { codeLenses } from './features/code-lens';
import { type CommandHost, executeCommand } from './features/commands';
import { FlameGraphFeature } from './features/flame-graph';
import { hotLineDiagnostics } from './features/diagnostics';

import { hover } from './features/hover';
import { inlayHints } from './features/inlay-hints';
import { lineHeat } from './features/line-heat';
import { status } from './features/status';
import { workspaceSymbols } from './features/workspace-symbols';
import type { LspClient } from './lsp-client';
import type { AnnotatedDocument } from './session/annotated-document';
import { ProfileSession } from './session/profile-session';
import { parseSettings, type Settings } from './settings';
import { InvalidChangeError, type OpenDocument, uriToPath } from './workspace/documents';

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

/** A short digest of a diagnostics list: equal lists, equal ids (FNV-1a over their JSON). */
function resultIdOf(items: Diagnostic[]): string {
  const text = JSON.stringify(items);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${items.length}-${h.toString(16)}`;
}

export class FlamelensServer implements CommandHost {
  readonly session: ProfileSession;
  readonly flameGraph: FlameGraphFeature;
  private features: ClientFeatures = clientFeatures(undefined);
  private initOptions: unknown;
  private sentKey = '';
  private disposed = false;
  /** Push: what each document was last sent. Pull: the documents whose last report had items (to clear them). */
  private readonly published = new Map<string, string>();
  private readonly pulled = new Set<string>();

  constructor(private readonly client: LspClient) {
    this.session = new ProfileSession({
      log: (level, message) => client.log(level, message),
      showError: (message) => client.showMessage('error', message),
      progress: async (title) => (this.features.workDoneProgress ? client.progress(title) : undefined),
      refresh: () => this.refresh(),
    });
    this.flameGraph = new FlameGraphFeature(this);
  }

  get documents() {
    return this.session.documents;
  }

  // ---- lifecycle

  initialize(params: InitializeParams): InitializeResult {
    this.features = clientFeatures(params.capabilities);
    const folders = params.workspaceFolders?.map((f) => uriToPath(f.uri)) ?? [params.rootUri ? uriToPath(params.rootUri) : (params.rootPath ?? undefined)];
    this.session.setFolders(folders.filter((f): f is string => !!f));
    if (params.initializationOptions !== undefined && params.initializationOptions !== null) {
      this.initOptions = params.initializationOptions;
      this.session.applySettings(this.parse(params.initializationOptions));
    }
    this.client.setLogLevel(this.session.settings.logLevel);
    return { capabilities: capabilities(this.features), serverInfo: { name: 'flamelens', version: '0.1.0' } };
  }

  async initialized(): Promise<void> {
    await this.pullSettings();
    this.session.start();
  }

  get clientSendsFolderChanges(): boolean {
    return this.features.workspaceFolders;
  }

  didChangeWorkspaceFolders(event: WorkspaceFoldersChangeEvent): void {
    const removed = new Set(event.removed.map((f) => uriToPath(f.uri)));
    const added = event.added.map((f) => uriToPath(f.uri)).filter((f): f is string => !!f);
    this.session.setFolders([...this.session.folders.filter((f) => !removed.has(f)), ...added]);
  }

  async shutdown(): Promise<void> {
    await this.dispose();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.flameGraph.dispose();
    await this.session.dispose();
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
    const next = this.parse(mergeSections(this.initOptions, raw));
    this.client.setLogLevel(next.logLevel);
    this.session.applySettings(next);
  }

  didChangeConfiguration(params: DidChangeConfigurationParams): void {
    const pushed = (params?.settings as Record<string, unknown> | undefined)?.flamelens ?? undefined;
    void this.pullSettings(pushed).catch((e) => this.client.log('error', `settings: ${(e as Error).message}`));
  }

  // ---- refresh

  /** Tells the client what may have changed: refresh requests, line heat, status; nothing when nothing did. */
  private refresh(): void {
    if (this.disposed) return;
    const s = this.session;
    const entry = s.active();
    const view = this.safe('cannot aggregate the profile', () => s.viewOf(entry));
    const key = [
      entry?.path,
      entry?.generation,
      view?.version,
      view?.metric.key,
      view?.ctx.scopeLabel,
      s.workspace.resolverGen,
      s.enabled(),
      entry?.loading,
      entry?.live,
      entry?.problem,
      s.waiting()?.path,
      s.percentOf(),
      JSON.stringify(s.settings),
      s.baseline.stateKey(entry),
    ].join('\u0000');
    if (key === this.sentKey) return;
    this.sentKey = key;
    this.flameGraph.changed();
    const fail = (what: string) => (e: unknown) => this.client.log('warn', `${what} failed: ${(e as Error).message}`);
    if (this.features.inlayHintRefresh) this.client.inlayHintRefresh().catch(fail('workspace/inlayHint/refresh'));
    if (this.features.codeLensRefresh) this.client.codeLensRefresh().catch(fail('workspace/codeLens/refresh'));
    for (const d of s.documents.all()) this.sendLineHeat(d);
    if (this.features.status) {
      const baseline = this.safe('cannot compare with the baseline', () => s.baseline.state(entry, view));
      this.client.status(status(entry, view, s.enabled(), s.waiting(), s.percentOf(), baseline));
    }
    if (this.features.pullDiagnostics) {
      if (this.pulled.size > 0 || s.settings.diagnostics.enabled) this.client.diagnosticRefresh().catch(fail('workspace/diagnostic/refresh'));
    } else {
      this.pushDiagnostics();
    }
  }

  /** publishDiagnostics for every document whose hot lines changed, an empty list where they went away. */
  private pushDiagnostics(): void {
    const now = this.safe('diagnostics failed', () => hotLineDiagnostics(this.session)) ?? new Map<string, Diagnostic[]>();
    for (const [uri, list] of now) {
      const text = JSON.stringify(list);
      if (this.published.get(uri) === text) continue;
      this.published.set(uri, text);
      this.client.publishDiagnostics(uri, list);
    }
    for (const uri of [...this.published.keys()]) {
      if (now.has(uri)) continue;
      this.published.delete(uri);
      this.client.publishDiagnostics(uri, []);

    }
  }

  private safe<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      this.client.log('error', `${what}: ${(e as Error).stack ?? e}`);
      return undefined;
    }
  }

  private sendLineHeat(d: OpenDocument): void {
    if (!this.features.lineHeat) return;
    const params = this.safe(`line heat failed for ${d.uri}`, () => {
      const a = this.session.annotated(d.uri);
      return lineHeat(d, a, a ? (f) => !this.session.recordedInWorkspace(a.entry, a.view.fn(f).file) : undefined);
    });
    if (params) this.client.lineHeat(params);
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
      // refused before anything was applied: the text and its annotations are as they were
      if (e instanceof InvalidChangeError) return this.client.log('error', `didChange refused for ${uri} (version ${version}): ${e.message}`);
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
      const a = this.session.annotated(params.textDocument.uri);
      return a ? inlayHints(a, params.range) : [];
    });
  }

  codeLens(params: CodeLensParams, token?: CancellationToken): Promise<CodeLens[] | ResponseError<void>> {
    return this.runSafe('code lenses', params.textDocument.uri, [], token, () => {
      const a = this.session.annotated(params.textDocument.uri);
      return a ? codeLenses(a) : [];
    });
  }

  hover(params: HoverParams, token?: CancellationToken): Promise<Hover | null | ResponseError<void>> {
    return this.runSafe<Hover | null>('hover', params.textDocument.uri, null, token, () => {
      const a = this.session.annotated(params.textDocument.uri);
      return a ? hover(a, params.position, this.staleness(a)) : null;
    });
  }

  workspaceSymbol(params: WorkspaceSymbolParams, token?: CancellationToken): Promise<SymbolInformation[] | ResponseError<void>> {
    return this.runSafe('workspace symbols', '', [], token, () => workspaceSymbols(this.session, typeof params.query === 'string' ? params.query : ''));
  }

  prepareCallHierarchy(params: CallHierarchyPrepareParams, token?: CancellationToken): Promise<CallHierarchyItem[] | null | ResponseError<void>> {
    return this.runSafe<CallHierarchyItem[] | null>('call hierarchy', params.textDocument.uri, null, token, () =>
      prepareCallHierarchy(this.session, params.textDocument.uri, params.position),
    );
  }

  incomingCalls(params: CallHierarchyIncomingCallsParams, token?: CancellationToken): Promise<CallHierarchyIncomingCall[] | ResponseError<void>> {
    return this.runSafe('incoming calls', params.item?.uri ?? '', [], token, () => incomingCalls(this.session, params.item));
  }

  outgoingCalls(params: CallHierarchyOutgoingCallsParams, token?: CancellationToken): Promise<CallHierarchyOutgoingCall[] | ResponseError<void>> {
    return this.runSafe('outgoing calls', params.item?.uri ?? '', [], token, () => outgoingCalls(this.session, params.item));
  }

  /** Pull diagnostics for one document: its hot lines, or none; "unchanged" when the client has them already. */
  documentDiagnostic(params: DocumentDiagnosticParams): Promise<DocumentDiagnosticReport> {
    const uri = params.textDocument.uri;
    const empty: DocumentDiagnosticReport = { kind: DocumentDiagnosticReportKind.Full, items: [] };
    return this.answer('diagnostics', uri, empty, () => {
      const items = hotLineDiagnostics(this.session).get(uri) ?? [];
      return this.report(uri, items, params.previousResultId);
    });
  }

  /** Pull diagnostics for the workspace: every document with hot lines, and an empty report for those that had some before. */
  workspaceDiagnostic(params: WorkspaceDiagnosticParams): Promise<WorkspaceDiagnosticReport> {
    return this.answer<WorkspaceDiagnosticReport>('workspace diagnostics', '', { items: [] }, () => {
      const now = hotLineDiagnostics(this.session);
      const previous = new Map((params.previousResultIds ?? []).map((p) => [p.uri, p.value]));
      const items: WorkspaceDocumentDiagnosticReport[] = [];
      for (const uri of new Set([...now.keys(), ...this.pulled])) {
        items.push({ uri, version: this.documents.get(uri)?.text.version ?? null, ...this.report(uri, now.get(uri) ?? [], previous.get(uri)) });
      }
      return { items };
    });
  }

  private report(uri: string, items: Diagnostic[], previousResultId: string | undefined): DocumentDiagnosticReport {
    if (items.length > 0) this.pulled.add(uri);
    else this.pulled.delete(uri);
    const resultId = resultIdOf(items);
    if (previousResultId === resultId) return { kind: DocumentDiagnosticReportKind.Unchanged, resultId };
    return { kind: DocumentDiagnosticReportKind.Full, resultId, items };
  }

  executeCommand(params: ExecuteCommandParams, token?: CancellationToken): Promise<unknown> {
    return this.runSafe<unknown>(`command ${params.command}`, '', null, token, () => executeCommand(this, params.command, params.arguments ?? []));
  }

  private staleness(a: AnnotatedDocument): Staleness | undefined {
    const reasons = this.session.staleness(a);
    return reasons.length > 0 ? { reasons } : undefined;
  }

  /** runSafe for requests answered at once (diagnostic pulls: their cancellation carries other data). */
  private async answer<T>(what: string, uri: string, empty: T, fn: () => T): Promise<T> {
    const r = await this.runSafe(what, uri, empty, undefined, fn);
    return r instanceof ResponseError ? empty : r;
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

  ask(message: string, items: string[]): Promise<string | undefined> {
    return this.client.showMessageRequest(message, items);
  }

  /** Opens a file the server may read, at a 0-based line; anything else (another scheme, a file outside the workspace) is refused. */
  async openLocation(uri: string, line: number): Promise<boolean> {
    const path = uriToPath(uri);
    if (!path || !this.session.mayRead(path)) {
      this.client.log('warn', `not opening ${JSON.stringify(uri)}: only files in the workspace, open documents and source roots are opened`);
      return false;
    }
    if (!this.features.showDocument) {
      this.client.log('info', `the client cannot open documents for the server (window/showDocument): ${uri}:${line + 1}`);
      return false;
    }
    const pos = { line, character: 0 };
    return this.client.showDocument(uri, { start: pos, end: pos });
  }

  async openExternal(url: string): Promise<boolean> {
    if (!this.features.showDocument) return false;
    try {
      return await this.client.showExternal(url);
    } catch (e) {
      this.client.log('warn', `window/showDocument (external) failed: ${(e as Error).message}`);
      return false;
    }
  }

  log(message: string): void {
    this.client.log('info', message);
  }
}
