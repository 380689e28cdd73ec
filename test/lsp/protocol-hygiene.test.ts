// Protocol hygiene (issue 17 item 6): the lifecycle and the framing of the built server, spoken in
// raw bytes over its stdio (the way Neovim runs it), and didChange positions the text library
// cannot apply exactly, over real JSON-RPC.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { useBuiltServer } from '../helpers/built-server';
import { recorded } from '../helpers/paths';
import { labelOf, makeWorkspace, TestClient, type Workspace } from './harness';

const builtServer = useBuiltServer();


interface Frame {
  id?: number | string | null;
  method?: string;
  result?: unknown;
  error?: { code: number; message: string };
  params?: unknown;
}

/** The server over raw stdio: frames in as bytes, frames out parsed. */
class Raw {
  readonly proc: ChildProcess;
  readonly frames: Frame[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private out = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  constructor(cwd: string) {
    this.proc = spawn(process.execPath, [builtServer(), '--stdio'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
    this.proc.stdin!.on('error', () => undefined); // writes after the server left
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.out = Buffer.concat([this.out, d]);
      for (;;) {
        const end = this.out.indexOf('\r\n\r\n');
        if (end < 0) break;
        const n = Number(/Content-Length: (\d+)/i.exec(this.out.subarray(0, end).toString('ascii'))?.[1]);
        if (this.out.length < end + 4 + n) break;
        this.frames.push(JSON.parse(this.out.subarray(end + 4, end + 4 + n).toString('utf8')) as Frame);
        this.out = this.out.subarray(end + 4 + n);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  bytes(b: Buffer | string): void {
    this.proc.stdin!.write(b);
  }

  send(msg: object): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }));
    this.bytes(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
  }

  /** The response to request `id`. */
  async response(id: number): Promise<Frame> {
    for (;;) {
      const f = this.frames.find((x) => x.id === id && x.method === undefined);
      if (f) return f;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async request(id: number, method: string, params: unknown = {}): Promise<Frame> {
    this.send({ id, method, params });
    return this.response(id);
  }
}

const initParams = (dir: string) => ({ processId: null, rootUri: pathToFileURL(dir).href, workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'ws' }], capabilities: {} });

let raw: Raw | undefined;
let ws: Workspace | undefined;
afterEach(() => {
  raw?.proc.kill();
  ws?.dispose();
  raw = undefined;
  ws = undefined;
});

describe('the lifecycle (spawned server, raw stdio)', () => {
  it('answers requests before initialize with -32002 and drops notifications, then initializes', async () => {
    ws = makeWorkspace({}, { sources: false });
    raw = new Raw(ws.dir);
    const hover = await raw.request(1, 'textDocument/hover', { textDocument: { uri: ws.uri('a.py') }, position: { line: 0, character: 0 } });
    expect(hover.error?.code).toBe(-32002);
    expect(hover.error?.message).toMatch(/before initialize/);
    // an unknown method too: the lifecycle comes before method lookup
    expect((await raw.request(2, 'flamelens/nothing')).error?.code).toBe(-32002);
    raw.send({ method: 'textDocument/didOpen', params: { textDocument: { uri: ws.uri('a.py'), languageId: 'python', version: 1, text: 'x = 1\n' } } });
    const init = await raw.request(3, 'initialize', initParams(ws.dir));
    expect((init.result as { capabilities: object }).capabilities).toHaveProperty('hoverProvider');
    raw.send({ method: 'initialized', params: {} });
    expect((await raw.request(4, 'textDocument/hover', { textDocument: { uri: ws.uri('a.py') }, position: { line: 0, character: 0 } })).error).toBeUndefined();
  });

  it('refuses a second initialize, answers nothing after shutdown but InvalidRequest, and exits 0 on exit', async () => {
    ws = makeWorkspace({}, { sources: false });
    raw = new Raw(ws.dir);
    expect((await raw.request(1, 'initialize', initParams(ws.dir))).error).toBeUndefined();
    raw.send({ method: 'initialized', params: {} });
    const again = await raw.request(2, 'initialize', initParams(ws.dir));
    expect(again.error?.code).toBe(-32600);
    expect(again.error?.message).toMatch(/only once/);
    // still serving after the refusal
    expect((await raw.request(3, 'workspace/executeCommand', { command: 'flamelens.toggle', arguments: [true] })).error).toBeUndefined();
    expect((await raw.request(4, 'shutdown')).error).toBeUndefined();
    const after = await raw.request(5, 'textDocument/hover', { textDocument: { uri: ws.uri('a.py') }, position: { line: 0, character: 0 } });
    expect(after.error?.code).toBe(-32600);
    expect(after.error?.message).toMatch(/after shutdown/);
    expect((await raw.request(6, 'shutdown')).error?.code).toBe(-32600);
    raw.send({ method: 'exit' });
    expect(await raw.exited).toBe(0);
  });
});

// Each kind of broken frame, sent after a working initialize: vscode-jsonrpc's reader stays in a
// state it cannot leave for the first five (it waited silently until stdin closed); the server
// now says what broke on stderr and exits 1, so the editor restarts it.
const body = (s: string) => Buffer.from(s);
const framingErrors: [string, Buffer, RegExp][] = [
  ['no Content-Length', body('Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{"jsonrpc":"2.0","id":9,"method":"shutdown"}'), /without Content-Length/],
  ['a Content-Length that is not a number', body('Content-Length: abc\r\n\r\n{}'), /"abc" is not a byte count/],
  ['a negative Content-Length', body('Content-Length: -1\r\n\r\n{}'), /"-1" is not a byte count/],
  ['a header line without a colon', body('Garbage header\r\n\r\n'), /not a header/],
  ['a Content-Length shorter than the body', body('Content-Length: 10\r\n\r\n{"jsonrpc":"2.0","id":9,"method":"shutdown"}'), /JSON|not a header/],
  ['a body that is not JSON', body('Content-Length: 5\r\n\r\n{"a":'), /JSON/],
  ['bytes that never form a header', Buffer.alloc(20_000, 0x41), /header longer than 8192 bytes/],
  ['a header ended by bare LFs', body('Content-Length: 2\n\n{}'), /bare LF/],
  ['an empty message', body('Content-Length: 0\r\n\r\n'), /empty message/],
];

describe('framing errors on stdin (spawned server)', () => {
  for (const [name, bytes, why] of framingErrors) {
    it(`${name}: one line on stderr, exit code 1`, async () => {
      ws = makeWorkspace({}, { sources: false });
      raw = new Raw(ws.dir);
      expect((await raw.request(1, 'initialize', initParams(ws.dir))).error).toBeUndefined();
      raw.send({ method: 'initialized', params: {} });
      raw.bytes(bytes);
      // a valid request after the broken frame: before, the server swallowed it and answered nothing
      raw.send({ id: 2, method: 'workspace/executeCommand', params: { command: 'flamelens.toggle', arguments: [true] } });
      expect(await raw.exited).toBe(1);
      expect(raw.stderr).toMatch(/^flamelens: protocol error on stdin: .*exiting so that the editor can restart the server\n$/);
      expect(raw.stderr).toMatch(why);
    });
  }

  it('a Content-Length longer than what comes, then silence: exits 1 once the message stalls', async () => {
    ws = makeWorkspace({}, { sources: false });
    raw = new Raw(ws.dir);
    await raw.request(1, 'initialize', initParams(ws.dir));
    raw.bytes('Content-Length: 100\r\n\r\n{"jsonrpc":"2.0","id":2,"method":"shutdown"}');
    expect(await raw.exited).toBe(1);
    expect(raw.stderr).toMatch(/left incomplete for 10 s/);
  }, 30_000);

  it('valid JSON that is not a message keeps the stream in step: logged, and the next request is answered', async () => {
    ws = makeWorkspace({}, { sources: false });
    raw = new Raw(ws.dir);
    await raw.request(1, 'initialize', initParams(ws.dir));
    raw.send({ method: 'initialized', params: {} });
    const arr = Buffer.from('[1,2,3]');
    raw.bytes(Buffer.concat([Buffer.from(`Content-Length: ${arr.length}\r\n\r\n`), arr]));
    expect((await raw.request(2, 'workspace/executeCommand', { command: 'flamelens.toggle', arguments: [true] })).error).toBeUndefined();
    expect(raw.frames.some((f) => f.method === 'window/logMessage' && /neither a response nor a notification/.test((f.params as { message: string }).message))).toBe(true);
  });
});

describe('didChange with a position that is not an integer (in process, real JSON-RPC)', () => {
  let c: TestClient | undefined;
  afterEach(async () => {
    await c?.dispose();
    c = undefined;
  });

  it('is refused whole with one error log; the text and every annotation stay where they were', async () => {
    const w = makeWorkspace({ 'profile.austin': readFileSync(recorded('austin3-cpu.austin')) });
    c = await TestClient.start(w);
    await c.ready();
    const uri = await c.open('shop/pricing.py');
    const text = readFileSync(w.path('shop/pricing.py'), 'utf8');
    const before = (await c.inlayHints(uri)).map((h) => [h.position.line, labelOf(h)]);
    expect(before.length).toBeGreaterThan(3);
    const at = (line: number) => ({ line, character: 0 });
    // before the fix: the text library read line 3.7 as no line at all (the text doubled) and every hint moved down a line
    await c.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: at(1), end: at(1) }, text: '# ok\n' }, { range: { start: at(3.7), end: at(3.7) }, text: '\n' }],
    });
    const log = await c.waitForNotification<{ type: number; message: string }>('window/logMessage', (m) => m.message.includes('didChange refused'));
    expect(log.type).toBe(1);
    expect(log.message).toContain('{"line":3.7,"character":0}');
    expect(c.server.documents.get(uri)!.text.getText()).toBe(text);
    expect((await c.inlayHints(uri)).map((h) => [h.position.line, labelOf(h)])).toEqual(before);
    // a valid change afterwards moves text and hints together
    await c.change(uri, { start: at(0), end: at(0) }, '\n');
    // a request after the notification: it has been handled when the answer comes
    expect((await c.inlayHints(uri)).map((h) => [h.position.line, labelOf(h)])).toEqual(before.map(([l, s]) => [(l as number) + 1, s]));
    expect(c.server.documents.get(uri)!.text.getText()).toBe('\n' + text);
  });
});
