// The built server spawned the way Neovim runs it: `node dist/flamelens.js --stdio`, JSON-RPC on its
// stdin/stdout. Every byte it writes to stdout must be protocol.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createProtocolConnection,
  type MessageConnection,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import type { InlayHint } from 'vscode-languageserver-protocol';
import { useBuiltServer } from '../helpers/built-server';
import { recorded } from '../helpers/paths';
import { makeWorkspace, NOTIFICATIONS_ONLY, type Workspace } from './harness';

const builtServer = useBuiltServer();

interface Spawned {
  proc: ChildProcess;
  conn: ProtocolConnection;
  stdout: Buffer[];
  notifications: { method: string; params: unknown }[];
  /** Called after each notification (specific handlers would hide messages from the catch-all one). */
  listeners: (() => void)[];
  exited: Promise<number | null>;
}

function start(ws: Workspace): Spawned {
  const proc = spawn(process.execPath, [builtServer(), '--stdio'], { cwd: ws.dir, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  proc.stdout!.on('data', (d: Buffer) => stdout.push(d));
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  const notifications: { method: string; params: unknown }[] = [];
  const listeners: (() => void)[] = [];
  const raw = conn as unknown as MessageConnection;
  raw.onNotification((method: string, params: unknown) => {
    notifications.push({ method, params });
    for (const l of listeners) l();
  });
  raw.onRequest(() => null);
  conn.listen();
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, conn, stdout, notifications, listeners, exited };
}

/** Splits the raw stdout into LSP messages; throws on any byte that is not part of one. */
function parseFrames(data: Buffer): unknown[] {
  const out: unknown[] = [];
  let pos = 0;
  while (pos < data.length) {
    const headerEnd = data.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw new Error(`non-protocol bytes on stdout: ${JSON.stringify(data.subarray(pos, pos + 80).toString())}`);
    const header = data.subarray(pos, headerEnd).toString('ascii');
    const m = /^Content-Length: (\d+)$/im.exec(header);
    if (!m || !/^(Content-(Length|Type): [^\r\n]+(\r\n)?)+$/.test(header)) throw new Error(`bad header on stdout: ${JSON.stringify(header)}`);
    const body = data.subarray(headerEnd + 4, headerEnd + 4 + Number(m[1]));
    out.push(JSON.parse(body.toString('utf8')));
    pos = headerEnd + 4 + Number(m[1]);
  }
  return out;
}

let s: Spawned | undefined;
let ws: Workspace | undefined;
afterEach(() => {
  s?.proc.kill();
  ws?.dispose();
  s = undefined;
  ws = undefined;
});

// flamelens/status (what `loaded` waits on) comes only to clients that declare it
async function initialize(sp: Spawned, w: Workspace, capabilities: object = NOTIFICATIONS_ONLY): Promise<void> {
  const r = await sp.conn.sendRequest<{ capabilities: { inlayHintProvider?: unknown } }>('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(w.dir).href,
    workspaceFolders: [{ uri: pathToFileURL(w.dir).href, name: 'ws' }],
    capabilities,
  });
  expect(r.capabilities.inlayHintProvider).toBeDefined();
  await sp.conn.sendNotification('initialized', {});
}

/** The params of the first notification `method` satisfying `pred`, now or when it arrives. */
function notification<T>(sp: Spawned, method: string, pred: (p: T) => boolean = () => true): Promise<T> {
  return new Promise((done) => {
    const check = () => {
      const n = sp.notifications.find((x) => x.method === method && pred(x.params as T));
      if (n) done(n.params as T);
    };
    sp.listeners.push(check);
    check();
  });
}

/** Resolves once the server reports a loaded profile. */
const loaded = (sp: Spawned) => notification<{ metric?: string; loading: boolean }>(sp, 'flamelens/status', (p) => !!p.metric && !p.loading);

describe('flamelens --stdio', () => {
  it('initializes, answers a hint on pricing.py:28, shuts down and exits 0 with nothing but protocol on stdout', async () => {
    ws = makeWorkspace({ 'profile.austin': readFileSync(recorded('austin3-cpu.austin')) });
    s = start(ws);
    const statusSeen = loaded(s);
    await initialize(s, ws);
    await statusSeen;
    const uri = ws.uri('shop/pricing.py');
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text: readFileSync(ws.path('shop/pricing.py'), 'utf8') },
    });
    const hints = await s.conn.sendRequest<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 60, character: 0 } },
    });
    expect(hints.find((h) => h.position.line === 27)?.label).toMatch(/^14\.1% · all own$/);
    await s.conn.sendRequest('shutdown');
    await s.conn.sendNotification('exit');
    expect(await s.exited).toBe(0);
    const frames = parseFrames(Buffer.concat(s.stdout));
    expect(frames.length).toBeGreaterThan(3);
  });

  it('exits with 1 on exit without shutdown, as the protocol says', async () => {
    ws = makeWorkspace({}, { sources: false });
    s = start(ws);
    await initialize(s, ws);
    await s.conn.sendNotification('exit');
    expect(await s.exited).toBe(1);
    parseFrames(Buffer.concat(s.stdout));
  });

  it('keeps stdout clean when a profile is corrupt and logs go to window/logMessage', async () => {
    ws = makeWorkspace({ 'bad.austin': Buffer.from('# austin: 3.7.0\n# mode: cpu\n\nP1;T1;a.py:f:1 12\nP1;T1;a.py:f:oops\nP1;T1;a.py:f:2 7\n') });
    s = start(ws);
    const message = notification<{ message: string }>(s, 'window/showMessage');
    await initialize(s, ws, { window: { showMessage: {} } });
    expect((await message).message).toContain(ws.path('bad.austin'));
    await s.conn.sendRequest('shutdown');
    await s.conn.sendNotification('exit');
    expect(await s.exited).toBe(0);
    parseFrames(Buffer.concat(s.stdout));
    expect(s.notifications.some((n) => n.method === 'window/logMessage')).toBe(true);
  });
});

/** Writes a valid Austin text profile of about `mb` MiB (distinct stacks, so reading it takes a while). */
function bigProfile(path: string, mb: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, '# austin: 3.7.0\n# interval: 100\n# mode: wall\n\n');
    let n = 0;
    for (let written = 0; written < mb * 1048576; ) {
      const lines: string[] = [];
      for (let i = 0; i < 8000; i++, n++) lines.push(`P1;T0:1;/app/big.py:main:1;/app/big.py:g${n % 50_000}:${(n % 300) + 2} 100`);
      const chunk = lines.join('\n') + '\n';
      writeSync(fd, chunk);
      written += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
}

/** How long the process takes to go after `act`, or Infinity past the limit. */
async function goneWithin(sp: Spawned, limitMs: number, act: () => Promise<void> | void): Promise<{ ms: number; code: number | null }> {
  const t0 = Date.now();
  await act();
  const code = await Promise.race([sp.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), limitMs))]);
  return code === 'timeout' ? { ms: Infinity, code: null } : { ms: Date.now() - t0, code };
}

describe('the server always exits (a FIFO in the workspace, a 1 GB profile being read)', () => {
  // one workspace for the three tests (each starts its own server): writing 1 GB takes a while
  let w: Workspace;
  beforeAll(() => {
    w = makeWorkspace({}, { sources: false });
    execFileSync('mkfifo', [w.path('old.austin')]);
    bigProfile(w.path('big.austin'), 1024);
  }, 120_000);
  afterAll(() => w.dispose());

  const reading = async (sp: Spawned, wk: Workspace) => {
    await initialize(sp, wk, { window: { workDoneProgress: true }, ...NOTIFICATIONS_ONLY });
    // the big file is being read: its status says loading
    await notification<{ loading: boolean; profile: string | null }>(sp, 'flamelens/status', (p) => p.loading && !!p.profile?.endsWith('big.austin'));
  };

  it('shutdown + exit: gone within 1 s with code 0', async () => {
    s = start(w);
    await reading(s, w);
    await s.conn.sendRequest('shutdown');
    const r = await goneWithin(s, 1000, () => s!.conn.sendNotification('exit'));
    expect(r.ms).toBeLessThan(1000);
    expect(r.code).toBe(0);
  });

  // SIGTERM and a closed pipe end the process from outside the protocol: promptly, though a read
  // of the profile in flight (libuv joins its threads at exit) may take a moment on a busy disk
  it('SIGTERM: gone promptly', async () => {
    s = start(w);
    await reading(s, w);
    const r = await goneWithin(s, 3000, () => void s!.proc.kill('SIGTERM'));
    expect(r.ms).toBeLessThan(3000);
  });

  it('the editor goes away (its end of the pipe closes): gone promptly', async () => {
    s = start(w);
    await reading(s, w);
    const r = await goneWithin(s, 3000, () => void s!.proc.stdin!.end());
    expect(r.ms).toBeLessThan(3000);
  });
});
