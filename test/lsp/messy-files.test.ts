// Files that move under the server (issue 15 item 3): a profile that vanishes, is renamed or is
// replaced while it is read, one the server may not read, and paths with spaces and non-ASCII
// characters. Each gives one clear message or just works. Real JSON-RPC (in process), and the
// built server run as an unprivileged user for permissions (root reads everything).
import { execSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync, writeSync, closeSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatPercent } from '../../server/src/core/format';
import { loadProfile } from '../../server/src/core/load';
import { ProfileView } from '../../server/src/core/view';
import type { ProfileSummary, StatusParams } from '../../server/src/protocol';
import { SpawnedServer } from '../../bench/spawned-server';
import { recorded, WORKLOADS } from '../helpers/paths';
import { hintFigures, labelOf, makeWorkspace, TestClient, type Workspace } from './harness';

const CPU = recorded('austin3-cpu.austin');
const WALL = recorded('austin3-wall.austin');
const ROOT = resolve(__dirname, '..', '..');

/** The samples of a real recording repeated `times` (header once): big enough to be caught mid-read. */
function repeated(path: string, times: number, src: string): void {
  const bytes = readFileSync(src);
  const body = bytes.subarray(bytes.indexOf('\n\n') + 2);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, bytes.subarray(0, bytes.indexOf('\n\n') + 2));
    for (let i = 0; i < times; i++) writeSync(fd, body);
  } finally {
    closeSync(fd);
  }
}

async function samplesOf(path: string): Promise<number> {
  const { profile } = await loadProfile(path);
  return profile.metricSum('samples');
}

const list = (cl: TestClient) => cl.command<ProfileSummary[]>('flamelens.listProfiles');
const logs = (cl: TestClient) => (cl.notifications('window/logMessage') as { message: string }[]).map((m) => m.message);

let c: TestClient | undefined;
afterEach(async () => {
  await c?.dispose();
  c = undefined;
});

describe('a profile that moves while it is read', () => {
  const REPS = 60; // ~200 MB: a few seconds of reading on a busy machine
  let master = '';
  let masterDir = '';
  let single = 0;
  beforeAll(async () => {
    masterDir = mkdtempSync(join(tmpdir(), 'flamelens-master-'));
    master = join(masterDir, 'big.austin');
    repeated(master, REPS, CPU);
    single = await samplesOf(CPU);
  }, 120_000);
  afterAll(() => rmSync(masterDir, { recursive: true, force: true }));

  /** A workspace with an older small profile and the big one (a hard link to the master copy), being read. */
  async function reading(): Promise<Workspace> {
    const ws = makeWorkspace({ 'profiles/small.austin': readFileSync(WALL) });
    const past = new Date(Date.now() - 600_000);
    utimesSync(ws.path('profiles/small.austin'), past, past);
    linkSync(master, ws.path('profiles/big.austin'));
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.waitForNotification<StatusParams>('flamelens/status', (s) => s.loading && !!s.profile?.endsWith('big.austin'));
    return ws;
  }

  it('deleted: reading stops at once, one log line, no popup; the older profile is shown again', async () => {
    const ws = await reading();
    const from = c!.mark();
    rmSync(ws.path('profiles/big.austin'));
    await c!.waitForNotification<{ message: string }>('window/logMessage', (m) => m.message.includes('deleted or replaced while it was read: stopped reading it'), from);
    await c!.ready('small.austin', from);
    expect((await list(c!)).map((p) => p.path)).toEqual([ws.path('profiles/small.austin')]);
    expect(logs(c!).filter((m) => m.includes('stopped reading it'))).toHaveLength(1);
    expect(c!.notifications('window/showMessage')).toEqual([]);
  });

  it('renamed: the old name is forgotten and the new one is read whole', async () => {
    const ws = await reading();
    const from = c!.mark();
    renameSync(ws.path('profiles/big.austin'), ws.path('profiles/big-renamed.austin'));
    const done = await c!.waitForNotification<StatusParams>('flamelens/status', (s) => !s.loading && !!s.profile?.endsWith('big-renamed.austin'), from);
    expect(done.samples).toBe(REPS * single);
    expect((await list(c!)).map((p) => p.path).sort()).toEqual([ws.path('profiles/big-renamed.austin'), ws.path('profiles/small.austin')]);
    expect(c!.notifications('window/showMessage')).toEqual([]);
  });

  it('replaced (written aside and renamed over it): the new file is read from its start, nothing of the old one kept', async () => {
    const ws = await reading();
    const from = c!.mark();
    writeFileSync(ws.path('profiles/.next'), readFileSync(CPU));
    renameSync(ws.path('profiles/.next'), ws.path('profiles/big.austin'));
    await c!.waitFor(
      (e) => e.method === 'flamelens/status' && !(e.params as StatusParams).loading && (e.params as StatusParams).samples === single,
      from,
      'the replacement read whole',
    );
    const big = (await list(c!)).find((p) => p.path === ws.path('profiles/big.austin'))!;
    expect(big.samples).toBe(single);
    expect(big.problem).toBeUndefined();
    expect(c!.notifications('window/showMessage')).toEqual([]);
  });
});

describe('paths with spaces and non-ASCII characters', () => {
  it('just work: a workspace folder, a profile and a recorded source path with both', async () => {
    const ws = makeWorkspace({}, { sources: false });
    const folder = ws.path('my wörk ✓ space');
    for (const d of ['shop', 'tests']) cpSync(join(WORKLOADS, d), join(folder, d), { recursive: true });
    const past = new Date(Date.now() - 600_000);
    for (const f of ['shop/pricing.py']) utimesSync(join(folder, f), past, past);
    writeFileSync(join(folder, 'prof île – ünïcode.austin'), readFileSync(CPU));
    // a source whose name has both, recorded on another machine under another folder
    mkdirSync(join(folder, 'lib dir'), { recursive: true });
    writeFileSync(join(folder, 'lib dir', 'naïve módule.py'), 'def f():\n    return sum(range(10))\n');
    writeFileSync(join(folder, 'second.austin'), '# austin: 3.7.0\n# interval: 1000\n# mode: cpu\n\nP1;T0:1;/remote/hôme/lib dir/naïve módule.py:f:2 750\nP1;T0:1;/remote/hôme/lib dir/naïve módule.py:f:1 250\n');
    utimesSync(join(folder, 'second.austin'), past, past);
    c = await TestClient.start(ws, { folders: [folder] });
    await c.ready('prof île – ünïcode.austin');
    const pricing = await c.open('my wörk ✓ space/shop/pricing.py');
    expect(pricing).toContain('my%20w%C3%B6rk%20%E2%9C%93%20space');
    const { profile } = await loadProfile(CPU);
    const view = ProfileView.create(profile, profile.defaultMetric(), {}, 'x');
    const costs = view.fileCosts(view.sourceFiles().filter((f) => f.endsWith('/shop/pricing.py')))!;
    const line28 = costs.lines.get(28)!;
    const hint = (await c.inlayHints(pricing)).find((h) => h.position.line === 27);
    expect(hintFigures(labelOf(hint))).toBe(`${formatPercent(view.percent(line28.total))} · own ${formatPercent(view.percent(line28.own))}`);
    // the other profile, selected: its recorded path with spaces and accents lands on the local file
    const from = c.mark();
    await c.command('flamelens.selectProfile', pathToFileURL(join(folder, 'second.austin')).href);
    await c.ready('second.austin', from);
    const mod = await c.open('my wörk ✓ space/lib dir/naïve módule.py');
    const hints = (await c.inlayHints(mod)).map((h) => [h.position.line, hintFigures(labelOf(h))]);
    expect(hints).toEqual([
      [0, '25.0% · own 25.0%'],
      [1, '75.0% · own 75.0%'],
    ]);
    expect(c.notifications('window/showMessage')).toEqual([]);
  });
});

describe('a profile the server may not read (the built server, as an unprivileged user)', () => {
  let parent = '';
  let bin = '';
  let s: SpawnedServer | undefined;
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'flamelens.js'))) execSync('npm run build --silent', { cwd: ROOT, stdio: 'inherit' });
    parent = mkdtempSync(join(tmpdir(), 'flamelens-perm-'));
    chmodSync(parent, 0o755);
    bin = join(parent, 'flamelens.js');
    copyFileSync(join(ROOT, 'dist', 'flamelens.js'), bin);
    chmodSync(bin, 0o644);
  });
  afterAll(async () => {
    await s?.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  const root = process.getuid?.() === 0;
  const canDrop = !root || existsSync('/usr/bin/setpriv');
  it.skipIf(!canDrop)('gives one message naming it and "permission denied", and serves the readable one', async () => {
    const dir = join(parent, 'ws');
    for (const d of ['shop', 'tests']) cpSync(join(WORKLOADS, d), join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'readable.austin'), readFileSync(WALL));
    const past = new Date(Date.now() - 600_000);
    utimesSync(join(dir, 'readable.austin'), past, past);
    writeFileSync(join(dir, 'secret.austin'), readFileSync(CPU));
    chmodSync(join(dir, 'secret.austin'), 0o000);
    execSync(`chmod -R a+rX ${JSON.stringify(join(dir, 'shop'))} ${JSON.stringify(join(dir, 'tests'))} && chmod 755 ${JSON.stringify(dir)} && chmod 644 ${JSON.stringify(join(dir, 'readable.austin'))}`);
    s = new SpawnedServer({ bin, folders: [dir], runAs: root ? ['--reuid=65534', '--regid=65534', '--clear-groups'] : undefined });
    await s.initialize();
    const msg = await s.waitFor((r) => r.method === 'window/showMessage', 30_000, 'a message about secret.austin');
    expect((msg.params as { message: string }).message).toBe(`flamelens: ${join(dir, 'secret.austin')}: cannot read: permission denied (EACCES)`);
    await s.waitFor((r) => r.method === 'flamelens/status' && !!(r.params as StatusParams).metric && !(r.params as StatusParams).loading, 30_000, 'the readable profile');
    const uri = pathToFileURL(join(dir, 'shop', 'pricing.py')).href;
    await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: readFileSync(join(dir, 'shop', 'pricing.py'), 'utf8') } });
    const hints = await s.conn.sendRequest<{ position: { line: number } }[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 500, character: 0 } } });
    expect(hints.length).toBeGreaterThan(3);
    expect(s.received.filter((r) => r.method === 'window/showMessage')).toHaveLength(1);
  });
});
