/**
 * The flame graph page on a big call tree, in this machine's headless Chromium: how long from
 * navigation to the first drawing, and to the first tooltip answering the mouse, against the same
 * browser opening a trivial page (the ratio is what carries over between machines); then a
 * search and a zoom on the drawn graph. The page is the self-contained file `flamelens flamegraph`
 * writes, so the figures include parsing the inline data.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildFlameGraph, encodeFlameGraph } from '../server/src/core/flame';
import { loadProfile } from '../server/src/core/load';
import { standalonePage } from '../server/src/flamegraph/html';

export interface FlameBenchResult {
  treeNodes: number;
  flameNodes: number;
  buildMs: number;
  encodeMs: number;
  htmlBytes: number;
  /** Medians over the runs. Page clock from navigation start: a trivial page's load event; our first drawing. */
  trivialMs: number;
  readyMs: number;
  /** Wall clock in the driver: mouse move to tooltip shown, search typed to result, click to zoomed. */
  tooltipMs: number;
  searchMs: number;
  zoomMs: number;
  /** A no-op evaluate: what every interaction figure includes for the driver. */
  roundTripMs: number;
  runs: number;
}

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];

// Page functions run in the browser; the bench's tsconfig has no DOM library.
declare const document: { documentElement: { dataset: Record<string, string> } };
declare const window: { flamelens: { frames(): { name: string; x: number; y: number; w: number; h: number }[] } };

/** `root` is the repository (playwright-core is resolved from there: this script may run from a copy elsewhere). */
export async function runFlameGraphBench(profilePath: string, root: string, chromium = '/usr/bin/chromium', runs = 5): Promise<FlameBenchResult> {
  const { profile } = await loadProfile(profilePath);
  let t = performance.now();
  const graph = buildFlameGraph(profile, profile.defaultMetric());
  const buildMs = performance.now() - t;
  t = performance.now();
  const html = standalonePage({ profile: 'bench', scope: 'all samples', graph: encodeFlameGraph(graph) });
  const encodeMs = performance.now() - t;
  const dir = mkdtempSync(join(tmpdir(), 'flamelens-flame-bench-'));
  const big = join(dir, 'big.html');
  const trivial = join(dir, 'trivial.html');
  writeFileSync(big, html);
  writeFileSync(trivial, '<!doctype html><meta charset="utf-8"><title>t</title><p id="p">trivial</p>');
  const pw = createRequire(join(root, 'package.json'))('playwright-core') as typeof import('playwright-core');
  const browser: Browser = await pw.chromium.launch({ executablePath: chromium, headless: true, args: ARGS });
  const res = { trivial: [] as number[], ready: [] as number[], tooltip: [] as number[], search: [] as number[], zoom: [] as number[], roundTrip: [] as number[] };
  try {
    for (let i = 0; i < runs + 1; i++) {
      // a fresh page per run, so no run reuses the previous one's parsed script or data
      const page: Page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // both on the page's own clock (from navigation start), free of the driver's round trips
      await page.goto(`file://${trivial}`, { waitUntil: 'load' });
      const trivialMs = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as unknown as { loadEventEnd: number }).loadEventEnd);
      await page.goto(`file://${big}`);
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 60_000 });
      const readyMs = await page.evaluate(() => performance.getEntriesByName('flamelens-ready')[0].startTime);
      const frames = await page.evaluate(() => window.flamelens.frames());
      const wide = frames.filter((f) => f.w > 40).sort((a, b) => a.y - b.y)[0]; // the deepest wide frame
      // the driver's round trip, measured so that the interaction figures can be read against it
      let t1 = Date.now();
      await page.evaluate(() => 0);
      const roundTripMs = Date.now() - t1;
      t1 = Date.now();
      await page.mouse.move(wide.x + wide.w / 2, wide.y + wide.h / 2);
      await page.waitForSelector('#tooltip:not([hidden])');
      const tooltipMs = Date.now() - t1;
      t1 = Date.now();
      await page.fill('#search', 'stack');
      await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('status').textContent.includes('"stack"'));
      const searchMs = Date.now() - t1;
      t1 = Date.now();
      // zoom into the widest frame below the root (on this input, one of 1,430 threads)
      const target = frames.filter((f) => f.name !== 'all').sort((a, b) => b.w - a.w)[0];
      await page.mouse.click(target.x + target.w / 2, target.y + target.h / 2);
      await page.waitForFunction(() => !(globalThis as unknown as { document: { getElementById(id: string): { disabled: boolean } } }).document.getElementById('zoom-out').disabled);
      const zoomMs = Date.now() - t1;
      await page.close();
      if (i === 0) continue; // the first run warms the browser's caches; it is not counted
      res.trivial.push(trivialMs);
      res.ready.push(readyMs);
      res.tooltip.push(tooltipMs);
      res.roundTrip.push(roundTripMs);
      res.search.push(searchMs);
      res.zoom.push(zoomMs);
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    treeNodes: profile.nodeCount,
    flameNodes: graph.nodeCount,
    buildMs,
    encodeMs,
    htmlBytes: Buffer.byteLength(html),
    trivialMs: median(res.trivial),
    readyMs: median(res.ready),
    tooltipMs: median(res.tooltip),
    searchMs: median(res.search),
    zoomMs: median(res.zoom),
    roundTripMs: median(res.roundTrip),
    runs,
  };
}

export function printFlameBench(r: FlameBenchResult, inputBytes: number): void {
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(`\nFlame graph page (${Math.round(inputBytes / 1e6)} MB distinct-threads Austin text: ${r.treeNodes.toLocaleString('en-US')} tree nodes, ${r.flameNodes.toLocaleString('en-US')} flame graph nodes; median of ${r.runs} runs in headless Chromium)`);
  console.log(`  build + encode (server)   ${ms(r.buildMs)} + ${ms(r.encodeMs)}; page ${(r.htmlBytes / 1024 / 1024).toFixed(1)} MiB`);
  console.log(`  trivial page loaded       ${ms(r.trivialMs)} (page clock, from navigation start)`);
  console.log(`  first drawing, interactive ${ms(r.readyMs)}  x${(r.readyMs / r.trivialMs).toFixed(1)} trivial page`);
  console.log(`  hover to tooltip          ${ms(r.tooltipMs)}  (driver round trip alone ${ms(r.roundTripMs)})`);
  console.log(`  search "stack"            ${ms(r.searchMs)}`);
  console.log(`  zoom into a frame         ${ms(r.zoomMs)}`);
  console.log(`  target: interactive within 1 s ${r.readyMs < 1000 ? 'met' : 'NOT met'}`);
}
