// The flame graph page served to a browser or an editor's webview, on demand, by the language
// server. Reachable only from this machine and only by whoever was given the URL:
// - bound to 127.0.0.1 on a free port;
// - a random per-session token is the first path segment of every URL (compared in constant time);
// - the Host header must name 127.0.0.1 or localhost with our port: a DNS-rebinding page whose
//   name resolves to 127.0.0.1 sends its own name, and is refused (the gopls debug-page lesson);
// - a strict Content-Security-Policy: only our inline script and style (by hash), connections
//   only to ourselves, no external source of any kind;
// - 403 for everything else (other paths, methods, hosts; a POST from another origin).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildFlameGraph, encodeFlameGraph, flameChange, NodeKind, type FlameGraph } from '../core/flame';
import type { Profile, Scope } from '../core/model';
import { servedPage, type PageData } from './html';

/** What the page shows: the editor's active profile with its metric and scope, and optionally a baseline. */
export interface FlameData {
  readonly profile: Profile;
  readonly metric: string;
  readonly scope: Scope;
  /** The profile's name as shown in the page title (its file name). */
  readonly label: string;
  /** "all samples (5 threads)", "thread 12901 of process 12701": the scope in words. */
  readonly scopeLabel: string;
  /** A baseline run of the same metric: frames are coloured by their change against it. */
  readonly baseline?: { readonly profile: Profile; readonly scope?: Scope; readonly label: string };
}

/** A frame the user clicked: the recorded path, the line shown (the frame's hottest line) and the function name. */
export interface FrameLocation {
  readonly file: string;
  readonly line: number;
  readonly name: string;
}

export type OpenResult = 'opened' | 'no-file' | 'failed';

export interface FlameGraphServerOptions {
  /** The current data, or undefined when no profile is active (the page says so). */
  data(): FlameData | undefined;
  /** Shows a frame's source in the editor; 'no-file' when the path maps to no local file. */
  open(frame: FrameLocation): Promise<OpenResult>;
  log(message: string): void;
  /** Least time between two update announcements to open pages (default 500 ms). */
  refreshMs?: number;
}

const MAX_BODY = 64 * 1024;

interface Cached {
  key: string;
  version: number;
  baselineVersion: number;
  graph: FlameGraph;
  body: string;
}

export class FlameGraphServer {
  private server: Server | undefined;
  private port = 0;
  private readonly token = randomBytes(24).toString('base64url');
  private readonly clients = new Set<ServerResponse>();
  private cache: Cached | undefined;
  private lastPush = 0;
  private pending: NodeJS.Timeout | undefined;
  private started: Promise<string> | undefined;
  private readonly page = servedPage();
  private readonly extraHosts = new Set<string>();
  private readonly extraOrigins = new Set<string>();

  constructor(private readonly opts: FlameGraphServerOptions) {}

  /** Starts listening (once; later calls give the same URL) and resolves to the page's URL. */
  start(): Promise<string> {
    this.started ??= new Promise<string>((resolve, reject) => {
      const server = createServer((req, res) => this.handle(req, res));
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        this.server = server;
        server.off('error', reject);
        server.on('error', (e) => this.opts.log(`flame graph server: ${e.message}`));
        resolve(this.url());
      });
    });
    return this.started;
  }

  /**
   * The page's URL; with `sandwich`, one that opens on the sandwich of that function (as the
   * recorded file path and function name). Only meaningful after `start()` resolved.
   */
  url(sandwich?: { file: string; name: string }): string {
    const base = `http://127.0.0.1:${this.port}/${this.token}/`;
    if (!sandwich) return base;
    return `${base}#${new URLSearchParams({ fn: sandwich.name, file: sandwich.file }).toString()}`;
  }

  /**
   * Also accepts requests addressed to this URL's host and POSTs from its origin: for an editor
   * that reaches the page through a forwarded address (VS Code's `env.asExternalUri` in
   * code-server or a remote window gives `https://host/proxy/PORT/`). The token is still required.
   */
  allowExternal(url: string): void {
    const u = new URL(url);
    this.extraHosts.add(u.host.toLowerCase());
    this.extraOrigins.add(u.origin);
  }

  /** Tells open pages that the data changed; announcements are throttled to one per `refreshMs`. */
  changed(): void {
    if (this.clients.size === 0 || this.pending) return;
    const wait = Math.max(0, this.lastPush + (this.opts.refreshMs ?? 500) - Date.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.lastPush = Date.now();
      for (const res of this.clients) res.write(`event: update\ndata: ${this.lastPush}\n\n`);
    }, wait);
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.server?.closeAllConnections();
    this.server?.close();
    this.server = undefined;
    this.cache = undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res);
    } catch (e) {
      this.opts.log(`flame graph server: ${req.method} failed: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error');
      else res.end();
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `127.0.0.1:${this.port}` && host !== `localhost:${this.port}` && !this.extraHosts.has(host)) return forbid(res);
    const url = req.url ?? '';
    const path = url.split('?')[0];
    const slash = path.indexOf('/', 1);
    if (!path.startsWith('/') || slash < 0 || !this.tokenMatches(path.slice(1, slash))) return forbid(res);
    const rest = path.slice(slash + 1);
    if (req.method === 'GET' && rest === '') return send(res, 200, 'text/html; charset=utf-8', this.page.html, { 'content-security-policy': this.page.csp });
    if (req.method === 'GET' && rest === 'data.json') return send(res, 200, 'application/json; charset=utf-8', this.body());
    if (req.method === 'GET' && rest === 'events') return this.subscribe(req, res);
    if (req.method === 'POST' && rest === 'open' && this.sameOrigin(req)) return void this.openFrame(req, res);
    forbid(res);
  }

  private tokenMatches(candidate: string): boolean {
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    // the token's length is no secret; comparing only equal lengths keeps timingSafeEqual usable
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** A POST must come from the page itself: browsers send Origin on every cross-site POST. */
  private sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://127.0.0.1:${this.port}` || origin === `http://localhost:${this.port}` || this.extraOrigins.has(origin);
  }

  private subscribe(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
    res.write(': flamelens\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  /** The data document, rebuilt only when the profile, metric, scope or baseline changed. */
  private body(): string {
    const d = this.opts.data();
    if (!d) return JSON.stringify({ empty: 'No profile is active: open a file that a profile covers, or select a profile.' });
    const key = `${d.metric}\u0000${d.scope.pid ?? ''}\u0000${d.scope.thread ?? ''}\u0000${d.label}\u0000${d.scopeLabel}\u0000${d.baseline?.label ?? ''}`;
    const c = this.cache;
    const baselineVersion = d.baseline?.profile.version ?? -1;
    if (c && c.key === key && c.version === d.profile.version && c.baselineVersion === baselineVersion) return c.body;
    const graph = c && c.key === key && c.version === d.profile.version ? c.graph : buildFlameGraph(d.profile, d.metric, d.scope);
    let change: Float64Array | undefined;
    if (d.baseline && d.baseline.profile.metricIndex(d.metric) >= 0) {
      change = flameChange(graph, buildFlameGraph(d.baseline.profile, d.metric, d.baseline.scope ?? {}));
    }
    const data: PageData = { profile: d.label, scope: d.scopeLabel, baseline: change ? d.baseline?.label : undefined, graph: encodeFlameGraph(graph, change) };
    const body = JSON.stringify(data);
    this.cache = { key, version: d.profile.version, baselineVersion, graph, body };
    return body;
  }

  private async openFrame(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return send(res, 413, 'text/plain; charset=utf-8', 'too large');
      raw += (chunk as Buffer).toString('utf8');
    }
    let frame: FrameLocation;
    try {
      const j = JSON.parse(raw) as Partial<FrameLocation>;
      if (typeof j.file !== 'string' || typeof j.name !== 'string' || typeof j.line !== 'number' || !Number.isInteger(j.line) || j.line < 0) throw new Error('bad frame');
      frame = { file: j.file, name: j.name, line: j.line };
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', 'expected {"file", "line", "name"}');
    }
    // Only frames of the current profile: the page cannot be made to open arbitrary paths.
    const result = this.isKnownSource(frame) ? await this.safeOpen(frame) : 'no-file';
    send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ result }));
  }

  private isKnownSource(frame: FrameLocation): boolean {
    const g = this.cache?.graph;
    if (!g || frame.file === '') return false;
    for (let f = 0; f < g.funcName.length; f++) {
      if (g.funcKind[f] === NodeKind.Source && g.strings[g.funcFile[f]] === frame.file && g.strings[g.funcName[f]] === frame.name) return true;
    }
    return false;
  }

  private async safeOpen(frame: FrameLocation): Promise<OpenResult> {
    try {
      return await this.opts.open(frame);
    } catch (e) {
      this.opts.log(`flame graph: opening ${frame.file}:${frame.line} failed: ${(e as Error).message}`);
      return 'failed';
    }
  }
}

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function forbid(res: ServerResponse): void {
  send(res, 403, 'text/plain; charset=utf-8', 'forbidden');
}
