// What the server sends for fuzzed profiles: a seeded sample of cut, flipped and generated files of
// every format, each the only profile of a workspace holding the shop sources, read by the real
// server over JSON-RPC. Every percent in its hints, lenses, hovers, line heat and status must be a
// number that can be true (finite, 0-100, no NaN), and the server answers every request. Cases:
// each recording cut in its body and damaged past its head, and generated files (seeded).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LineHeatParams, ProfileSummary, StatusParams } from '../../server/src/protocol';
import { hoverText, labelOf, makeWorkspace, TestClient, type Workspace } from '../lsp/harness';
import { describeInput, FORMAT_NAMES, inputBytes, inputs, recordingsOf, type FuzzInput } from './fuzz-lib';
import { prng } from '../helpers/prng';

const SEED = Number(process.env.FLAMELENS_FUZZ_SEED ?? 20261203);
const PER_FORMAT = Number(process.env.FLAMELENS_FUZZ_SERVER_RUNS ?? 3);
const EXT: Record<string, string> = {
  'austin-text': 'austin', mojo: 'mojo', collapsed: 'folded', 'perf-script': 'perf.txt',
  pprof: 'pprof', pstats: 'pstats', speedscope: 'speedscope.json', cpuprofile: 'cpuprofile',
};


/**
 * The cases of one format: each recording cut in its body (30-95 % of it, where most of its
 * numbers are already read) and with bytes changed past its first tenth (the header stays, so the
 * reader goes on into the damage), then generated files from the fuzz suite's generators. fast-check's
 * own sampling favours tiny values on few runs (cuts at byte 0), which the reader suites cover.
 */
function casesOf(format: (typeof FORMAT_NAMES)[number]): FuzzInput[] {
  const rnd = prng(SEED ^ (FORMAT_NAMES.indexOf(format) + 1) * 0x9e3779b1);
  const out: FuzzInput[] = [];
  for (const rec of recordingsOf(format).slice(0, PER_FORMAT)) {
    const len = Math.min(rec.bytes.length, 256 * 1024);
    out.push({ kind: 'cut', format, file: rec.name, at: Math.floor(rec.bytes.length * (0.3 + 0.65 * rnd())), chunks: [1 << 16] });
    const flips: [number, number][] = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => [Math.floor(len * (0.1 + 0.9 * rnd())), Math.floor(rnd() * 256)]);
    out.push({ kind: 'flip', format, file: rec.name, flips, chunks: [1 << 16] });
  }
  const generated = fc.sample(inputs(format).filter((i) => i.kind === 'garbage'), { seed: SEED, numRuns: 40 }).slice(-3);
  return [...out, ...generated];
}

/** Every percent in a text that cannot be true. */
function impossible(text: string): string[] {
  const out: string[] = [];
  if (/NaN|Infinity/.test(text)) out.push(`NaN or Infinity in ${JSON.stringify(text.slice(0, 200))}`);
  for (const m of text.matchAll(/(-?\d+(?:\.\d+)?)\s?%/g)) {
    const v = Number(m[1]);
    // memory released is shown as a negative share only for Austin's memory deltas, never past 100
    if (!(Math.abs(v) <= 100.05)) out.push(`${m[0]} in ${JSON.stringify(text.slice(0, 200))}`);
  }
  return out;
}

describe(`the server on fuzzed profiles (seed ${SEED}, ${PER_FORMAT} per format)`, () => {
  let ws: Workspace;
  let c: TestClient;
  beforeAll(async () => {
    ws = makeWorkspace({});
    c = await TestClient.start(ws, { settings: { refreshInterval: 50, threshold: 0 } });
  });
  afterAll(() => c.dispose());

  let withSamples = 0;
  let hintsSeen = 0;
  const cases: FuzzInput[] = FORMAT_NAMES.flatMap((f) => casesOf(f));
  cases.forEach((input, i) => {
    it(`${input.format}: ${describeInput(input)}`, async () => {
      const name = `profiles/p${i}.${EXT[input.format]}`;
      const from = c.mark();
      ws.write(name, Buffer.from(inputBytes(input)));
      // the watcher lists it, then it is chosen and read to the end (selectProfile waits for the read)
      const path = ws.path(name);
      const deadline = Date.now() + 15_000;
      while (!(await c.command<ProfileSummary[]>('flamelens.listProfiles')).some((p) => p.path === path)) {
        if (Date.now() > deadline) throw new Error(`the server never listed ${name}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const summary = await c.command<ProfileSummary | null>('flamelens.selectProfile', path);
      expect(summary?.path).toBe(path);
      expect(summary?.loading).toBe(false);
      // with samples it becomes the active profile, and the status says so
      const status = summary && summary.samples > 0
        ? await c.waitForNotification<StatusParams>('flamelens/status', (s) => s.profile === path && !s.loading, from)
        : undefined;
      if (status) withSamples++;
      const bad: string[] = [...impossible(JSON.stringify(summary))];
      if (status) bad.push(...impossible(JSON.stringify(status)));
      for (const rel of ['shop/pricing.py', 'shop/inventory.py', 'shop/workers.py']) {
        const uri = await c.open(rel);
        const hints = await c.inlayHints(uri);
        hintsSeen += hints.length;
        for (const h of hints) bad.push(...impossible(labelOf(h)), ...impossible(String(h.tooltip ?? '')));
        for (const l of await c.codeLenses(uri)) bad.push(...impossible(l.command?.title ?? ''));
        for (const line of [14, 15, 24, 27, 36]) bad.push(...impossible(hoverText(await c.hover(uri, line))));
        const heat = c.notifications('flamelens/lineHeat').filter((p) => (p as LineHeatParams).uri === uri).pop() as LineHeatParams | undefined;
        for (const l of heat?.lines ?? []) if (!(l.percent >= -100.05 && l.percent <= 100.05) || !Number.isInteger(l.level)) bad.push(`heat ${JSON.stringify(l)}`);
        await c.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
      }
      expect(bad, `reproduce with FLAMELENS_FUZZ_SEED=${SEED}`).toEqual([]);
      ws.write(name, '');
    });
  });

  it('checked real numbers: some of the fuzzed profiles still had samples, and hints were shown', () => {
    expect(withSamples).toBeGreaterThan(cases.length / 3);
    expect(hintsSeen).toBeGreaterThan(0);
  });
});
