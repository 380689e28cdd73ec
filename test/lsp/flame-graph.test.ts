// The flame graph page served by the language server, over real JSON-RPC: the command starts it and
// asks the client to open it; its data follow the session's metric; a click opens the frame's
// source through the same path mapping as the hints, never a path outside the workspace.
import { readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorded } from '../helpers/paths';
import { makeWorkspace, TestClient } from './harness';
import { naiveAustin } from './naive-austin';

function http(url: string, method = 'GET', body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('flamelens.openFlameGraph', () => {
  let c: TestClient;
  let url = '';
  beforeAll(async () => {
    const ws = makeWorkspace({ 'profiles/cpu.austin': readFileSync(recorded('austin3-cpu.austin')) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
  });
  afterAll(() => c.dispose());

  it('starts the page, returns its URL and asks the client to open it in a browser', async () => {
    const from = c.mark();
    const r = await c.command<{ url: string; opened: boolean }>('flamelens.openFlameGraph');
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{20,}\/$/);
    expect(r.opened).toBe(true);
    const show = await c.waitForRequest('window/showDocument', from);
    expect(show.params).toEqual({ uri: r.url, external: true });
    url = r.url;
    const page = await http(url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<html');
    // the token is required
    expect((await http(url.replace(/\/[\w-]+\/$/, '/wrong-token/'))).status).toBe(403);
  });

  it('serves the profile in the session metric, with the answer-key total', async () => {
    const d = JSON.parse((await http(`${url}data.json`)).body);
    expect(d.profile).toBe('cpu.austin');
    expect(JSON.stringify(d.graph)).toContain('audit');
    // the root's total is the profile's CPU time (7,876,931 µs)
    expect(JSON.stringify(d.graph)).toContain(String(naiveAustin(recorded('austin3-cpu.austin')).total));
  });

  it('a click opens the frame in the editor through the path mapping', async () => {
    const from = c.mark();
    const res = await http(`${url}open`, 'POST', JSON.stringify({ file: '/home/dev/shop/shop/pricing.py', line: 28, name: 'line_total' }));
    expect(JSON.parse(res.body)).toEqual({ result: 'opened' });
    const show = await c.waitForRequest('window/showDocument', from);
    const p = show.params as { uri: string; selection: { start: { line: number } } };
    expect(p.uri).toBe(c.ws.uri('shop/pricing.py'));
    expect(p.selection.start.line).toBe(27);
    // a frame that is not in the profile, or names a file outside the workspace, opens nothing
    const evil = await http(`${url}open`, 'POST', JSON.stringify({ file: '/etc/passwd', line: 1, name: 'x' }));
    expect(JSON.parse(evil.body)).toEqual({ result: 'no-file' });
  });

  it('opens on a function sandwich from a position, and without asking the client when open is false', async () => {
    const pricing = await c.open('shop/pricing.py');
    const from = c.mark();
    const r = await c.command<{ url: string; opened: boolean }>('flamelens.openFlameGraph', { open: false, uri: pricing, line: 24 });
    expect(r.opened).toBe(false);
    expect(decodeURIComponent(r.url)).toMatch(/#fn=line_total&file=\/home\/dev\/shop\/shop\/pricing\.py$/);
    expect(c.events.slice(from).some((e) => e.method === 'window/showDocument')).toBe(false);
  });
});

describe('the flame graph with a baseline selected in the editor', () => {
  it('colours by the change against it (the real pair: after.austin vs before.austin)', async () => {
    const pair = join(__dirname, '..', 'fixtures', 'pairs', 'audit-fix');
    const ws = makeWorkspace({ 'profiles/before.austin': readFileSync(join(pair, 'before.austin')) });
    utimesSync(ws.path('profiles/before.austin'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    ws.write('profiles/after.austin', readFileSync(join(pair, 'after.austin')));
    ws.write('shop/inventory.py', readFileSync(join(pair, 'inventory-after.py')));
    const c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    try {
      await c.ready('after.austin');
      await c.command('flamelens.selectBaseline', ws.path('profiles/before.austin'));
      const { url } = await c.command<{ url: string }>('flamelens.openFlameGraph', { open: false });
      const d = await within(() => http(`${url}data.json`).then((r) => JSON.parse(r.body)), (x) => x.baseline === 'before.austin');
      expect(d.profile).toBe('after.austin');
      const g = d.graph as { strings: string[]; f: { name: number[] }; n: { func: number[] }; change: (number | null)[] };
      const changeOf = (name: string) => g.n.func.map((f, i) => (g.strings[g.f.name[f]] === name ? g.change[i] : undefined)).filter((x) => x !== undefined) as (number | null)[];
      // audit lost 2.75 s (answer key): its paths are faster, in microseconds of CPU time
      const audit = changeOf('audit').reduce<number>((s, x) => s + (x ?? 0), 0);
      expect(audit / 1e6).toBeCloseTo(-2.75, 1);
      // workers.worker, unchanged code: within noise on every path
      expect(changeOf('worker').every((x) => x === 0)).toBe(true);
    } finally {
      await c.dispose();
    }
  });
});

async function within<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
