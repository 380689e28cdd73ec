// The CLI and the editor are one engine: for every real recording, the CLI's per-line numbers for
// each source file the recording touches equal the inlay hints the language server shows for it
// (same lines, same rounded shares), and formats without line data give neither of them line rows.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../server/src/cli/cli';
import type { Io } from '../server/src/cli/common';
import { formatPercent } from '../server/src/core/format';
import { loadProfile } from '../server/src/core/load';
import { ProfileView } from '../server/src/core/view';
import { FIXTURES, RECORDED } from './helpers/paths';
import { hintFigures, labelOf, makeWorkspace, TestClient, type Workspace } from './lsp/harness';

const PROFILES = [
  ...readdirSync(RECORDED).map((f) => join(RECORDED, f)),
  join(FIXTURES, 'generated', 'shop-pricing.pstats'),
];
const WORKLOAD_DIRS = ['shop', 'tests', 'js', 'native'];

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), isTty: false, env: {} };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** Workspace files (relative paths) that a profile has frames in: its recorded paths whose last segments name a workload file. */
async function touchedFiles(ws: Workspace, profile: string): Promise<string[]> {
  const { profile: p } = await loadProfile(profile);
  const view = ProfileView.create(p, p.defaultMetric(), {}, 'p');
  const out = new Set<string>();
  for (const f of view.sourceFiles()) {
    const m = /(?:^|\/)((?:shop|tests|js|native)\/[^/]+)$/.exec(f);
    if (m && readdirSync(ws.path(m[1].split('/')[0])).includes(m[1].split('/')[1])) out.add(m[1]);
  }
  return [...out].sort();
}

describe('CLI annotate and the language server agree on every recording', () => {
  let ws: Workspace;
  let c: TestClient;
  beforeAll(async () => {
    const files: Record<string, Buffer> = {};
    for (const p of PROFILES) files[`profiles/${p.split('/').pop()}`] = readFileSync(p);
    ws = makeWorkspace(files, { dirs: WORKLOAD_DIRS });
    // every line with data, so that the comparison covers all of them
    c = await TestClient.start(ws, { settings: { refreshInterval: 50, threshold: 0 } });
    await c.ready();
  });
  afterAll(() => c.dispose());

  let compared = 0;
  for (const profile of PROFILES) {
    const name = profile.split('/').pop()!;
    it(name, async () => {
      const from = c.mark();
      await c.command('flamelens.selectProfile', ws.path(`profiles/${name}`));
      await c.ready(name, from);
      const touched = await touchedFiles(ws, profile);
      for (const rel of touched) {
        const uri = await c.open(rel, rel.endsWith('.py') ? 'python' : rel.endsWith('.js') ? 'javascript' : 'c');
        const hints = new Map((await c.inlayHints(uri)).map((h) => [h.position.line + 1, labelOf(h)]));
        const run = await cli('annotate', ws.path(`profiles/${name}`), ws.path(rel), '--json');
        expect(run.code, run.err).toBeLessThan(2);
        const doc = JSON.parse(run.out) as { lineData: string; lines: { line: number; own: number; ownPercent: number; total: number; totalPercent: number; inSource: boolean }[] };
        const expected = new Map(
          doc.lines
            .filter((l) => (doc.lineData === 'own' ? l.own : l.total) > 0 && l.inSource !== false)
            .map((l) => [l.line, doc.lineData === 'own' ? `own ${formatPercent(l.ownPercent)}` : `${formatPercent(l.totalPercent)} · own ${formatPercent(l.ownPercent)}`]),
        );
        // a line with no own time names its callee instead of "own 0.0%" (the CLI prints the number):
        // compare its total, and only on lines whose own the CLI says is zero
        const ownZero = new Set(doc.lines.filter((l) => l.own === 0).map((l) => l.line));
        const shown = [...hints].map(([l, label]): [number, string] => [l, ownZero.has(l) ? label.replace(/ · (?:\d+% )?in \S.*$/, ' · own 0.0%') : hintFigures(label)]);
        expect(shown.sort((a, b) => a[0] - b[0]), `${name} ${relative(ws.dir, ws.path(rel))}`).toEqual([...expected].sort((a, b) => a[0] - b[0]));
        if (doc.lineData === 'none') expect(hints.size).toBe(0);
        compared += expected.size;
        await c.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
      }
    });
  }

  it('compared real lines (the loop above is not vacuous)', () => {
    expect(compared).toBeGreaterThan(200);
  });
});

describe('formats without line data print function rows, never invented lines (answer keys)', () => {
  const top = async (file: string, ...args: string[]) => JSON.parse((await cli('top', join(RECORDED, file), '--json', ...args)).out);

  it('node-cpu.cpuprofile --by line --sort total: no definition line passed off as a hot line', async () => {
    const doc = await top('node-cpu.cpuprofile', '--by', 'line', '--sort', 'total', '--metric', 'samples');
    expect(doc.by).toBe('line');
    expect(doc.entries.some((e: { line: number }) => e.line === 1)).toBe(false);
    // answer key: checkout.js:17 1287 ticks = 50.16 % of the 2566 samples, line 16 17.93 %, line 42 12.86 %
    expect(doc.entries.slice(0, 3).map((e: { line: number; totalPercent: number }) => [e.line, Math.round(e.totalPercent * 100) / 100])).toEqual([
      [17, 50.16],
      [16, 17.93],
      [42, 12.86],
    ]);
  });

  it('perf-c.perf.txt: function rows, line_total 54.72 %', async () => {
    const doc = await top('perf-c.perf.txt');
    expect(doc.by).toBe('function');
    expect(doc.requestedBy).toBe('line');
    expect(doc.notes.join(' ')).toMatch(/no frame of this profile carries a line number/);
    expect(doc.entries[0].function).toBe('line_total');
    expect(doc.entries[0].ownPercent).toBeCloseTo(54.72, 1);
  });

  it('perf-c.folded: function rows, line_total 54.72 %, compare 19.26 %', async () => {
    const doc = await top('perf-c.folded');
    expect(doc.by).toBe('function');
    expect(doc.entries.length).toBeGreaterThan(3);
    expect(doc.entries[0].function).toBe('line_total');
    expect(doc.entries[0].ownPercent).toBeCloseTo(54.72, 1);
    expect(doc.entries[1].function).toBe('compare');
    expect(doc.entries[1].ownPercent).toBeCloseTo(19.26, 1);
  });
});
