// Numbers land on the file that ran them (issue: "Numbers land on the file that ran them"):
// the standard library never lends its numbers to a look-alike in the workspace, another checkout
// of the project does get them when its content agrees, relative names resolve like the server
// resolves them (in the CLI too), callers add up under recursion, and hovers name files as the user
// knows them. Every expected number is worked out from the raw recording here.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfile } from '../../server/src/core/load';
import { ProfileView } from '../../server/src/core/view';
import { recorded, WORKLOADS } from '../helpers/paths';
import { hintAt, hoverText, labelOf, makeWorkspace, TestClient, hintFigures } from './harness';
import { lineShares, naiveAustin } from './naive-austin';

const CPU = recorded('austin3-cpu.austin');
const ENCODER = '/usr/lib/python3.11/json/encoder.py';
const BIN = resolve(__dirname, '..', '..', 'dist', 'flamelens.js');

let c: TestClient | undefined;
afterEach(async () => {
  await c?.dispose();
  c = undefined;
});

describe.skipIf(!existsSync(ENCODER))(`the standard library keeps its numbers (${ENCODER} exists on this machine)`, () => {
  it('a user file and a vendored copy named like a stdlib file get no hints and no lenses', async () => {
    // the recording does have numbers there: _iterencode_dict 1.86 % own (answer key)
    const naive = naiveAustin(CPU);
    const inStdlib = naive.samples.filter((s) => s.frames.at(-1)?.file === ENCODER).reduce((x, s) => x + s.value, 0);
    expect(inStdlib / naive.total).toBeGreaterThan(0.01);
    const ws = makeWorkspace({
      'profiles/cpu.austin': readFileSync(CPU),
      'myapp/json/__init__.py': Array.from({ length: 80 }, (_, i) => `def helper_${i}():\n    return ${i}\n`).join('\n'),
      'myapp/json/encoder.py': 'def encode(o):\n    return str(o)\n',
      'vendor/json/encoder.py': readFileSync(ENCODER),
    });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50, threshold: 0 } });
    await c.ready();
    for (const rel of ['myapp/json/__init__.py', 'myapp/json/encoder.py', 'vendor/json/encoder.py']) {
      const uri = await c.open(rel);
      expect(await c.inlayHints(uri), rel).toEqual([]);
      expect(await c.codeLenses(uri), rel).toEqual([]);
    }
    // while the file itself, opened where it is, shows them
    const stdlib = await c.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: `file://${ENCODER}`, languageId: 'python', version: 1, text: readFileSync(ENCODER, 'utf8') },
    });
    void stdlib;
    expect((await c.inlayHints(`file://${ENCODER}`)).length).toBeGreaterThan(0);
  });

  it('callers of a recursive function add up to at most its total, each listed once, none at 0 %', async () => {
    const ws = makeWorkspace({ 'profiles/cpu.austin': readFileSync(CPU) });
    c = await TestClient.start(ws, { settings: { refreshInterval: 50, threshold: 0 } });
    await c.ready();
    const uri = `file://${ENCODER}`;
    const text = readFileSync(ENCODER, 'utf8');
    await c.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
    const defLine = text.split('\n').findIndex((l) => l.includes('def _iterencode_dict('));
    const md = hoverText(await c.hover(uri, defLine));
    const shares = [...md.matchAll(/^- ([\d.]+)% from /gm)].map((m) => parseFloat(m[1]));
    expect(shares.length).toBeGreaterThan(0);
    expect(shares.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(100.2);
    expect(shares.every((x) => x > 0)).toBe(true);
    // independently: the call site (caller and line) below the outermost _iterencode_dict of each sample
    const naive = naiveAustin(CPU);
    let fnTotal = 0;
    const by = new Map<string, number>();
    for (const s of naive.samples) {
      const i = s.frames.findIndex((f) => f.file === ENCODER && f.name.endsWith('_iterencode_dict'));
      if (i < 0) continue;
      fnTotal += s.value;
      const site = i > 0 ? `${s.frames[i - 1].name}:${s.frames[i - 1].line}` : '';
      if (site) by.set(site, (by.get(site) ?? 0) + s.value);
    }
    // the recursion is real: some sample has it twice
    expect(naive.samples.some((s) => s.frames.filter((f) => f.name.endsWith('_iterencode_dict')).length > 1)).toBe(true);
    const top = [...by.values()].sort((a, b) => b - a)[0];
    expect(shares[0]).toBeCloseTo((top / fnTotal) * 100, 1);
  });
});

describe('another checkout of the project, recorded where it still exists', () => {
  it('lends its numbers to the workspace copy when the definitions agree, never to a different file of that name', async () => {
    const other = mkdtempSync(join(tmpdir(), 'flamelens-other-checkout-'));
    try {
      cpSync(join(WORKLOADS, 'shop'), join(other, 'shop'), { recursive: true });
      const profile = readFileSync(CPU, 'utf8').replaceAll('/home/dev/shop/', `${other}/`);
      const ws = makeWorkspace({ 'profiles/cpu.austin': profile });
      // a different file under the name of one that ran
      ws.write('shop/report.py', 'def unrelated():\n    pass\n');
      c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
      await c.ready();
      const pricing = await c.open('shop/pricing.py');
      const key = lineShares(naiveAustin(CPU), '/shop/pricing.py', 28);
      expect(hintFigures(labelOf(hintAt(await c.inlayHints(pricing), 27)))).toBe(`${key.total.toFixed(1)}% · own ${key.own.toFixed(1)}%`);
      expect(await c.inlayHints(await c.open('shop/report.py'))).toEqual([]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

/** austin3-cpu.austin with relative file names: pricing.py recorded as `helpers.py`, inventory.py as `pkg/helpers.py`. */
function relativeProfile(): string {
  return readFileSync(CPU, 'utf8').replaceAll('/home/dev/shop/shop/pricing.py', 'helpers.py').replaceAll('/home/dev/shop/shop/inventory.py', 'pkg/helpers.py');
}

describe('relative names (a recording derived from austin3-cpu.austin: pricing.py -> helpers.py, inventory.py -> pkg/helpers.py)', () => {
  function workspace() {
    return makeWorkspace(
      {
        'run.austin': relativeProfile(),
        'helpers.py': readFileSync(join(WORKLOADS, 'shop', 'pricing.py')),
        'pkg/helpers.py': readFileSync(join(WORKLOADS, 'shop', 'inventory.py')),
      },
      { sources: false },
    );
  }

  it('the server puts each file its own numbers and names it by its workspace path in hovers', async () => {
    const ws = workspace();
    c = await TestClient.start(ws, { settings: { refreshInterval: 50 } });
    await c.ready();
    const key = lineShares(naiveAustin(CPU), '/shop/pricing.py', 28);
    const top = await c.open('helpers.py');
    expect(hintFigures(labelOf(hintAt(await c.inlayHints(top), 27)))).toBe(`${key.total.toFixed(1)}% · own ${key.own.toFixed(1)}%`);
    const pkg = await c.open('pkg/helpers.py');
    // inventory.py:16, `inspect.stack()` inside audit
    const audit = lineShares(naiveAustin(CPU), '/shop/inventory.py', 16);
    // no own time there: the hint says where the time goes (all of it in inspect.stack) instead of "own 0.0%"
    expect(audit.own).toBe(0);
    expect(labelOf(hintAt(await c.inlayHints(pkg), 15))).toBe(`${audit.total.toFixed(1)}% · in inspect.stack`);
    expect(hoverText(await c.hover(pkg, 15))).toContain('`pkg/helpers.py` line 16');
  });

  it('the CLI annotates the file that ran, and refuses a name that fits two files', () => {
    const ws = workspace();
    try {
      const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
      const r = run(ws.dir, 'annotate', 'run.austin', 'helpers.py', '--json');
      expect(r.status, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.recorded).toBe('helpers.py');
      const key = lineShares(naiveAustin(CPU), '/shop/pricing.py', 28);
      const l28 = doc.lines.find((l: { line: number }) => l.line === 28);
      expect(l28.ownPercent).toBeCloseTo(key.own, 1);
      // pricing.py has 53 lines of data at most; nothing of inventory.py's audit (line 16 `inspect.stack()`) is here
      const l16 = doc.lines.find((l: { line: number }) => l.line === 16);
      expect(l16?.totalPercent ?? 0).toBeLessThan(1);
      // pkg/helpers.py gets inventory.py's numbers
      const p = JSON.parse(run(ws.dir, 'annotate', 'run.austin', 'pkg/helpers.py', '--json').stdout);
      expect(p.recorded).toBe('pkg/helpers.py');
      // from a folder where neither name exists, `helpers.py` fits both recorded files: refused, both named
      const elsewhere = mkdtempSync(join(tmpdir(), 'flamelens-elsewhere-'));
      try {
        writeFileSync(join(elsewhere, 'helpers.py'), readFileSync(join(WORKLOADS, 'shop', 'pricing.py')));
        mkdirSync(join(elsewhere, 'sub'));
        const amb = run(elsewhere, 'annotate', join(ws.dir, 'run.austin'), 'helpers.py');
        expect(amb.status).toBe(2);
        expect(amb.stderr).toMatch(/helpers\.py fits 2 files/);
        expect(amb.stderr).toContain('pkg/helpers.py');
        expect(amb.stderr.trim().split('\n')).toHaveLength(1);
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    } finally {
      ws.dispose();
    }
  });
});

describe('callers under recursion, on every function of a deep real recording (austin3-pytest.austin)', () => {
  it('add up to at most the function total', async () => {
    const { profile } = await loadProfile(recorded('austin3-pytest.austin'));
    const view = ProfileView.create(profile, profile.defaultMetric(), {}, 'pytest');
    let checked = 0;
    for (const r of view.topFunctions('total').rows) {
      const sum = view.callers(r.fn.id).reduce((s, x) => s + x.value, 0);
      expect(sum).toBeLessThanOrEqual(r.total * (1 + 1e-9));
      const sites = view.callSites(r.fn.id).reduce((s, x) => s + x.value, 0);
      expect(sites).toBeCloseTo(sum, 3);
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
  });
});
