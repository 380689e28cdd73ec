/**
 * The built server as an editor runs it (`node dist/flamelens.js --stdio`), with a
 * vscode-languageserver-protocol client connection on its stdio, and what /proc says about the
 * process: resident memory, CPU time, inotify watches. Shared by the soak, the big-workspace
 * measurements and their tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  type MessageConnection,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { FULL_CAPABILITIES } from '../test/helpers/capabilities';

export interface Received {
  kind: 'request' | 'notification';
  method: string;
  params: unknown;
  at: number;
}

export interface SpawnOptions {
  /** The bundle to run (a private copy, so that a concurrent build cannot rewrite it). */
  bin: string;
  folders: string[];
  /** The flamelens section answered to workspace/configuration (mutable: `settings`). */
  settings?: Record<string, unknown>;
  /** Extra node flags (e.g. --max-old-space-size). */
  nodeArgs?: string[];
  /** Keep every message received (the soak keeps counts only). */
  keep?: boolean;
  /** Run as another user (`setpriv` arguments), e.g. to test permissions as root. */
  runAs?: string[];
}

export class SpawnedServer {
  readonly proc: ChildProcess;
  readonly conn: ProtocolConnection;
  readonly received: Received[] = [];
  readonly counts = new Map<string, number>();
  readonly exited: Promise<number | null>;
  settings: Record<string, unknown>;
  stderr = '';
  exitCode: number | null | undefined;
  private listeners: ((r: Received) => void)[] = [];

  constructor(private readonly opts: SpawnOptions) {
    this.settings = opts.settings ?? {};
    const argv = [...(opts.nodeArgs ?? (process.env.FLAMELENS_SERVER_NODE_ARGS ? process.env.FLAMELENS_SERVER_NODE_ARGS.split(' ') : [])), opts.bin, '--stdio'];
    this.proc = opts.runAs
      ? spawn('setpriv', [...opts.runAs, process.execPath, ...argv], { cwd: opts.folders[0], stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, argv, { cwd: opts.folders[0], stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((r) =>
      this.proc.on('exit', (code) => {
        this.exitCode = code;
        r(code);
      }),
    );
    this.proc.stderr!.on('data', (d: Buffer) => {
      if (this.stderr.length < 1 << 20) this.stderr += d.toString();
    });
    this.proc.stdin!.on('error', () => undefined);
    this.conn = createProtocolConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    const raw = this.conn as unknown as MessageConnection;
    raw.onRequest((method: string, params: unknown) => {
      this.record('request', method, params);
      if (method === 'workspace/configuration') return [this.settings];
      if (method === 'window/showDocument') return { success: true };
      return null;
    });
    raw.onNotification((method: string, params: unknown) => this.record('notification', method, params));
    raw.onUnhandledProgress((params) => this.record('notification', '$/progress', params));
    this.conn.listen();
  }

  get pid(): number {
    return this.proc.pid!;
  }

  private record(kind: Received['kind'], method: string, params: unknown): void {
    const r = { kind, method, params, at: Date.now() };
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
    if (this.opts.keep !== false || method === 'window/logMessage' || method === 'window/showMessage') this.received.push(r);
    for (const l of [...this.listeners]) l(r);
  }

  async initialize(initializationOptions?: unknown): Promise<void> {
    await this.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(this.opts.folders[0]).href,
      workspaceFolders: this.opts.folders.map((f, i) => ({ uri: pathToFileURL(f).href, name: `folder${i}` })),
      capabilities: FULL_CAPABILITIES,
      initializationOptions,
    });
    await this.conn.sendNotification('initialized', {});
  }

  /** The first message received (from now on, or already when `past`) that satisfies `pred`. */
  waitFor(pred: (r: Received) => boolean, timeoutMs: number, what: string, past = true): Promise<Received> {
    if (past) {
      const hit = this.received.find(pred);
      if (hit) return Promise.resolve(hit);
    }
    return new Promise((resolve, reject) => {
      const l = (r: Received) => {
        if (!pred(r)) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(l), 1);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.listeners.splice(this.listeners.indexOf(l), 1);
        reject(new Error(`waited ${timeoutMs} ms for ${what}; stderr: ${this.stderr.slice(-500)}`));
      }, timeoutMs);
      this.listeners.push(l);
      // a server that dies never sends it: say so at once
      void this.exited.then((code) => {
        if (!this.listeners.includes(l)) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(l), 1);
        reject(new Error(`the server exited with code ${code} while waiting for ${what}; stderr: ${this.stderr.slice(-500)}`));
      });
    });
  }

  logs(): { type: number; message: string }[] {
    return this.received.filter((r) => r.method === 'window/logMessage').map((r) => r.params as { type: number; message: string });
  }

  async stop(): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((_, rej) => setTimeout(() => rej(new Error('no answer to shutdown')), 10_000))]);
      await this.conn.sendNotification('exit');
    } catch {
      this.proc.kill('SIGKILL');
    }
    const code = await Promise.race([this.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
    if (code === 'timeout') this.proc.kill('SIGKILL');
    this.conn.dispose();
    return code === 'timeout' ? null : code;
  }

  /** Resident memory in MiB (VmRSS). */
  rssMiB(): number {
    return procRssMiB(this.pid);
  }

  /** CPU time used so far (user + system), in ms. */
  cpuMs(): number {
    return procCpuMs(this.pid);
  }

  /** inotify watches the process holds (one `inotify wd:` line per watch in /proc/<pid>/fdinfo). */
  inotifyWatches(): number {
    return procInotifyWatches(this.pid);
  }
}

/** For a process run through setpriv: the node process is the same pid (setpriv execs). */
export function procRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] and [12] are utime and stime (fields 14 and 15 of proc(5), counted from the state)
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

export function procInotifyWatches(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      if (!info.includes('inotify wd:')) continue;
      n += info.split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}
