/**
 * In-process LSP tests over a real JSON-RPC connection: the server's own `createConnection` on
 * one end, vscode-languageserver-protocol's client connection on the other, joined by in-memory
 * streams. A test declares a temporary workspace and waits on what the server sends (a refresh
 * request, a notification), never on time.
 */
import { cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync, readFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  type MessageConnection,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import type { ClientCapabilities, CodeLens, Hover, InlayHint, Range } from 'vscode-languageserver-protocol';
import { createConnection } from 'vscode-languageserver/node';
import { serve } from '../../server/src/connection';
import type { FlamelensServer } from '../../server/src/server';
import type { LineHeatParams, StatusParams } from '../../server/src/protocol';
import { FULL_CAPABILITIES } from '../helpers/capabilities';
import { WORKLOADS } from '../helpers/paths';

/** How long a test waits for the server to send something before it fails saying what it waited for. */
const WAIT_MS = 30_000;

export interface Workspace {
  readonly dir: string;
  path(rel: string): string;
  uri(rel: string): string;
  write(rel: string, content: string | Buffer): void;
  dispose(): void;
}

/**
 * A temporary folder holding a copy of the shop workload (shop/, tests/) with old modification
 * times, plus the given files (profiles) written after it.
 */
export function makeWorkspace(files: Record<string, string | Buffer> = {}, opts: { sources?: boolean; dirs?: readonly string[] } = {}): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'flamelens-lsp-'));
  const ws: Workspace = {
    dir,
    path: (rel) => join(dir, rel),
    uri: (rel) => pathToFileURL(join(dir, rel)).href,
    write: (rel, content) => {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
  if (opts.sources !== false) {
    for (const d of opts.dirs ?? ['shop', 'tests']) cpSync(join(WORKLOADS, d), join(dir, d), { recursive: true });
    // Sources older than any profile: no staleness notes unless a test asks for them.
    const old = new Date(Date.now() - 3600_000);
    const walk = (p: string) => {
      for (const n of readdirSync(p)) {
        const f = join(p, n);
        if (statSync(f).isDirectory()) walk(f);
        else utimesSync(f, old, old);
      }
    };
    walk(dir);
  }
  for (const [rel, content] of Object.entries(files)) ws.write(rel, content);
  return ws;
}

export interface Event {
  readonly kind: 'request' | 'notification';
  readonly method: string;
  readonly params: unknown;
}

export { FULL_CAPABILITIES };

/** Only the opt-in to flamelens' notifications: what the tests of clients that declare little add. */
export const NOTIFICATIONS_ONLY: ClientCapabilities = { experimental: FULL_CAPABILITIES.experimental };

export interface StartOptions {
  capabilities?: ClientCapabilities;
  /** Answer to workspace/configuration for the flamelens section. */
  settings?: unknown;
  initializationOptions?: unknown;
  /** Answer to window/showMessageRequest. */
  pick?: (items: string[]) => string | undefined;
  folders?: string[];
}

export class TestClient {
  readonly events: Event[] = [];
  private waiters: { pred: (e: Event) => boolean; from: number; resolve: (e: Event) => void }[] = [];
  settings: unknown;
  pick: (items: string[]) => string | undefined;

  private constructor(
    readonly connection: ProtocolConnection,
    readonly server: FlamelensServer,
    readonly ws: Workspace,
    opts: StartOptions,
  ) {
    this.settings = 'settings' in opts ? opts.settings : {};
    this.pick = opts.pick ?? (() => undefined);
    const record = (kind: Event['kind'], method: string, params: unknown) => {
      const e = { kind, method, params };
      this.events.push(e);
      const idx = this.events.length - 1;
      this.waiters = this.waiters.filter((w) => {
        if (idx >= w.from && w.pred(e)) {
          w.resolve(e);
          return false;
        }
        return true;
      });
    };
    // the catch-all handlers exist at runtime but not in ProtocolConnection's typings
    const raw = connection as unknown as MessageConnection;
    raw.onRequest((method: string, params: unknown) => {
      record('request', method, params);
      switch (method) {
        case 'workspace/configuration':
          return [this.settings];
        case 'window/showMessageRequest': {
          const p = params as { actions?: { title: string }[] };
          const t = this.pick((p.actions ?? []).map((a) => a.title));
          return t === undefined ? null : { title: t };
        }
        case 'window/showDocument':
          return { success: true };
        default:
          return null;
      }
    });
    raw.onNotification((method: string, params: unknown) => record('notification', method, params));
    // $/progress never reaches the catch-all handler: jsonrpc routes it by token
    raw.onUnhandledProgress((params) => record('notification', '$/progress', params));
  }

  static async start(ws: Workspace, opts: StartOptions = {}): Promise<TestClient> {
    const up = new PassThrough();
    const down = new PassThrough();
    const serverConn = createConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
    const server = serve(serverConn);
    const conn = createProtocolConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
    const client = new TestClient(conn, server, ws, opts);
    conn.listen();
    const folders = opts.folders ?? [ws.dir];
    await conn.sendRequest('initialize', {
      processId: null,
      rootUri: pathToFileURL(folders[0]).href,
      workspaceFolders: folders.map((f) => ({ uri: pathToFileURL(f).href, name: f })),
      capabilities: opts.capabilities ?? FULL_CAPABILITIES,
      initializationOptions: opts.initializationOptions,
    });
    await conn.sendNotification('initialized', {});
    (client as { serverConn?: unknown }).serverConn = serverConn;
    return client;
  }

  /** Index to pass to `waitFor` so that only later events count. */
  mark(): number {
    return this.events.length;
  }

  /**
   * The first event (from index `from`) that satisfies `pred`, now or when it arrives. Past the
   * deadline it fails saying what it waited for and the last events that did arrive.
   */
  waitFor(pred: (e: Event) => boolean, from = 0, what = 'an event', deadlineMs = WAIT_MS): Promise<Event> {
    for (let i = from; i < this.events.length; i++) if (pred(this.events[i])) return Promise.resolve(this.events[i]);
    return new Promise((resolve, reject) => {
      const waiter = { pred, from, resolve: (e: Event) => (clearTimeout(timer), resolve(e)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const last = this.events.slice(Math.max(from, this.events.length - 5)).map((e) => `${e.method} ${(JSON.stringify(e.params) ?? '').slice(0, 160)}`);
        reject(new Error(`waited ${deadlineMs} ms for ${what}; the last events after the mark were:\n  ${last.join('\n  ') || '(none)'}`));
      }, deadlineMs);
      this.waiters.push(waiter);
    });
  }

  waitForNotification<T>(method: string, pred: (p: T) => boolean = () => true, from = 0): Promise<T> {
    return this.waitFor((e) => e.kind === 'notification' && e.method === method && pred(e.params as T), from, `a ${method} notification that fits the test`).then((e) => e.params as T);
  }

  waitForRequest(method: string, from = 0): Promise<Event> {
    return this.waitFor((e) => e.kind === 'request' && e.method === method, from, `a ${method} request`);
  }

  /** Waits until the server reports an active profile that finished loading (optionally a given one). */
  ready(profileName?: string, from = 0): Promise<StatusParams> {
    return this.waitForNotification<StatusParams>(
      'flamelens/status',
      (s) => !!s.profile && !s.loading && !!s.metric && (!profileName || s.profile.endsWith(profileName)),
      from,
    );
  }

  lineHeat(uri: string, pred: (p: LineHeatParams) => boolean = () => true, from = 0): Promise<LineHeatParams> {
    return this.waitForNotification<LineHeatParams>('flamelens/lineHeat', (p) => p.uri === uri && pred(p), from);
  }

  notifications(method: string): unknown[] {
    return this.events.filter((e) => e.kind === 'notification' && e.method === method).map((e) => e.params);
  }

  async open(rel: string, languageId = 'python'): Promise<string> {
    const uri = this.ws.uri(rel);
    await this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId, version: 1, text: readFileSync(this.ws.path(rel), 'utf8') },
    });
    return uri;
  }

  private version = 1;

  async change(uri: string, range: Range, text: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: ++this.version },
      contentChanges: [{ range, text }],
    });
  }

  inlayHints(uri: string, range: Range = { start: { line: 0, character: 0 }, end: { line: 100000, character: 0 } }): Promise<InlayHint[]> {
    return this.connection.sendRequest('textDocument/inlayHint', { textDocument: { uri }, range });
  }

  codeLenses(uri: string): Promise<CodeLens[]> {
    return this.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
  }

  hover(uri: string, line: number, character = 4): Promise<Hover | null> {
    return this.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } });
  }

  command<T = unknown>(command: string, ...args: unknown[]): Promise<T> {
    return this.connection.sendRequest('workspace/executeCommand', { command, arguments: args });
  }

  async dispose(): Promise<void> {
    try {
      await this.connection.sendRequest('shutdown');
    } catch {
      // already gone
    }
    await this.server.dispose();
    this.connection.dispose();
    (this as unknown as { serverConn: { dispose(): void } }).serverConn.dispose();
    this.ws.dispose();
  }
}

/** The hint on a 0-based line, if any. */
export function hintAt(hints: InlayHint[], line: number): InlayHint | undefined {
  return hints.find((h) => h.position.line === line);
}

export function labelOf(h: InlayHint | undefined): string {
  if (!h) return '';
  return typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
}

/**
 * A hint's numbers in one shape, whatever the label says about them: `20.8% · in inspect.stack`
 * (a line with no own time names what it calls) reads as `20.8% · own 0.0%`, `14.1% · all own`
 * (a leaf line) as `14.1% · own 14.1%`.
 */
export function hintFigures(label: string): string {
  const m = /^(\S+) · in .+$/.exec(label);
  if (m) return `${m[1]} · own 0.0%`;
  const all = /^(\S+) · all own$/.exec(label);
  return all ? `${all[1]} · own ${all[1]}` : label;
}

export function hoverText(h: Hover | null): string {
  if (!h) return '';
  const c = h.contents as { value?: string } | string;
  return typeof c === 'string' ? c : (c.value ?? '');
}
