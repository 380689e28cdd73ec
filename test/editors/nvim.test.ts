// The Neovim plugin (clients/nvim) in real headless Neovim: 0.7.2 (Debian's package, /usr/bin/nvim)
// and 0.10.x (Debian 13's, unpacked into .cache/nvim010 by scripts/setup-nvim.sh). Each run opens
// shop/pricing.py in a temporary workspace holding a real Austin recording; test/editors/nvim/probe.lua
// reads back what Neovim displays (extmarks, vim.lsp.inlay_hint.get(), code lenses, the hover float,
// the quickfix list), drives :Flamelens, and writes a JSON report that this file checks against
// numbers worked out here from the raw recording.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../server/src/protocol';
import { austinSamples as readSamples } from '../helpers/austin-samples';
import { recorded, WORKLOADS } from '../helpers/paths';
import { parseScreen, type Row, rowText, screenHtml } from './nvim/terminal';
import { austinCallers, austinFunctionTotal, austinOwnLines } from './vscode/austin-line-share';

const REPO = resolve(__dirname, '..', '..');
const PLUGIN = join(REPO, 'clients', 'nvim');
const SERVER = join(REPO, 'dist', 'flamelens.js');
const PROBE_DIR = join(__dirname, 'nvim');
const PROFILE = 'austin3-cpu.austin';
const RECORDED_UNDER = '/home/dev/shop/';

/**
 * FLAMELENS_NVIM_EXTRA=/path/to/nvim runs the suite on one more Neovim too (plugin on the
 * runtimepath), e.g. a newer one unpacked by hand; the set-up installs only 0.7 and 0.10.
 */
function extraNeovim(): { name: string; bin: string; version: RegExp; install: string }[] {
  const bin = process.env.FLAMELENS_NVIM_EXTRA;
  if (!bin) return [];
  const v = /NVIM v(\d+)\.(\d+)\./.exec(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout ?? '');
  if (!v) throw new Error(`FLAMELENS_NVIM_EXTRA=${bin}: not a Neovim binary (no 'NVIM v' in its --version)`);
  return [{ name: `Neovim ${v[1]}.${v[2]} (FLAMELENS_NVIM_EXTRA), plugin on the runtimepath`, bin, version: new RegExp(`^${v[1]}\\.${v[2]}\\.`), install: 'rtp' }];
}

// each installs the plugin a different way: a start package that is a symlink to clients/nvim, or
// clients/nvim on the runtimepath
const NEOVIMS = [
  { name: 'Neovim 0.7 (Debian package), plugin as a start package', bin: '/usr/bin/nvim', version: /^0\.7\./, install: 'pack' },
  { name: 'Neovim 0.10 (.cache/nvim010), plugin on the runtimepath', bin: join(REPO, '.cache', 'nvim010', 'nvim'), version: /^0\.10\./, install: 'rtp' },
  ...extraNeovim(),
].map((n) => ({ ...n, installed: existsSync(n.bin) }));
if (NEOVIMS.some((n) => !n.installed)) {
  const missing = NEOVIMS.filter((n) => !n.installed).map((n) => `${n.name.split(' (')[0]} (${n.bin})`);
  if (process.env.FLAMELENS_REQUIRE_EDITORS === '1') throw new Error(`Neovim suite: missing ${missing.join(', ')}`);
  // vitest's summary only counts skipped tests: say which and why where the run's output shows it
  console.warn(`[flamelens] Neovim suite (test/editors/nvim.test.ts): tests of ${missing.join(' and ')} skipped: not installed (scripts/setup-nvim.sh installs them; needs root)`);
}

// ---- the answer, from the raw file -------------------------------------------------------------

interface Sample {
  /** `T<iid>:<tid>` as recorded. */
  thread: string;
  value: number;
  frames: { file: string; name: string; line: number }[];
}

/** Austin text samples from the independent reading in test/helpers/austin-samples.ts. */
function austinSamples(file: string): Sample[] {
  return readSamples(file).map((x) => ({ thread: x.thread, value: x.values[0], frames: x.frames }));
}

const PRICING = `${RECORDED_UNDER}shop/pricing.py`;
const OTHER_PROFILE = 'austin3-wall.austin';
const MAIN_THREAD = '12701';
const samples = austinSamples(recorded(PROFILE));

/** Percentages of pricing.py:28 and of line_total, once per sample, under a metric (value or count). */
function facts(weight: (s: Sample) => number, from: Sample[] = samples) {
  let total = 0;
  let line28 = 0;
  let own28 = 0;
  let func = 0;
  const callSites = new Map<string, number>();
  for (const s of from) {
    const w = weight(s);
    total += w;
    if (s.frames.some((f) => f.file === PRICING && f.line === 28)) line28 += w;
    const leaf = s.frames[s.frames.length - 1];
    if (leaf && leaf.file === PRICING && leaf.line === 28) own28 += w;
    const sites = new Set<string>();
    s.frames.forEach((f, i) => {
      if (f.file === PRICING && f.name === 'line_total' && i > 0) sites.add(`${s.frames[i - 1].name}:${s.frames[i - 1].line}`);
    });
    if (s.frames.some((f) => f.file === PRICING && f.name === 'line_total')) func += w;
    for (const site of sites) callSites.set(site, (callSites.get(site) ?? 0) + w);
  }
  const [hottestSite, hottestValue] = [...callSites].sort((a, b) => b[1] - a[1])[0];
  return {
    line28: (line28 / total) * 100,
    own28: (own28 / total) * 100,
    lineTotal: (func / total) * 100,
    hottestCaller: { site: hottestSite, share: (hottestValue / func) * 100 },
  };
}

const cpu = facts((s) => s.value);
// navigation (issue 12), from the raw file: audit's total, its call sites, line_total's own share,
// the hottest lines of the user's files by own share
const audit = austinFunctionTotal(recorded(PROFILE), '/shop/inventory.py', 'audit');
const auditSites = austinCallers(recorded(PROFILE), '/shop/inventory.py', 'audit');
const lineTotalFn = austinFunctionTotal(recorded(PROFILE), '/shop/pricing.py', 'line_total');
const hotLines = austinOwnLines(recorded(PROFILE), (f) => f.startsWith(`${RECORDED_UNDER}shop/`));
const count = facts(() => 1);
const mainThread = facts((s) => s.value, samples.filter((s) => s.thread.endsWith(`:${MAIN_THREAD}`)));
const wall = facts((s) => s.value, austinSamples(recorded(OTHER_PROFILE)));
const shown = (p: number) => `${p.toFixed(1)}%`;

/** Every `12.3%` in a text, as numbers. */
const percents = (text: string) => [...text.matchAll(/(\d+(?:\.\d+)?)\s?%/g)].map((m) => Number(m[1]));
const near = (text: string, expected: number) => percents(text).some((p) => Math.abs(p - expected) <= 0.1);

// ---- running Neovim ------------------------------------------------------------------------------

interface Report {
  nvim: string;
  errors: string[];
  steps: { name: string; ok: boolean; at_ms: number }[];
  client: { name: string; cmd: string[]; root_dir: string } | null;
  initial: Display & {
    hint_lines: number[];
    heat_line1: string[];
    hover: string[];
    statusline: string;
    profile: string;
    lens_display: { above: boolean; chunks: string[]; groups: string[]; eol: string }[];
    lens_titles: string[];
  };
  filetypes: string[];
  enable_root: string;
  heat_steps: { sent: { line: number; heat: number; level?: number }; drawn: string[] }[];
  heat_groups: boolean[];
  synthetic_heat: string[];
  hover_float: { border: boolean; winhighlight: string };
  lens_pick: { menus: { prompt: string; labels: string[] }[]; line: number; file: string };
  scope_menu: Menu | null;
  thread: Display & { statusline: string };
  profile_menu: Menu | null;
  other: Display & { hover: string[] };
  metric_menu: (Menu & { items: { key: string; active: boolean }[] }) | null;
  samples: Display & { hover: string[] };
  previous_metric: string | null;
  toggled_off: Display & { lens_marks: number; lens_marks_after_edit: number };
  callers: { title: string; items: { text: string; lnum: number; file: string }[] };
  edited: { hint: string; heat: string[]; hint_lines: number[] };
  health: string[];
  completion: { subcommands: string[]; metrics: string[] };
  messages: string[];
  lens_jump: { line: number; file: string };
  synthetic_change: { tint: string; sign: string }[];
  change_colours: { regression: string; improvement: string; error: string; ok: string | null };
  inventory_open_before: boolean;
  hotspots: Quickfix;
  hotspot_jump: { file: string; line: number };
  incoming_native: Quickfix;
  incoming_jump: { file: string; line: number };
  incoming: Quickfix;
  outgoing: Quickfix;
  hotspot_menu: { prompt: string; labels: string[] } | null;
  diagnostics_before: number;
  diagnostics_on: Quickfix;
  diagnostics_off: Quickfix;
  flamegraph: { opened: string[]; said: string[] };
  baseline_refused: { statusline: string; problem: string; said: string[] };
  baseline_none: string;
  notifications: { msg: string; level: number }[];
  total_ms: number;
  lsp_log_tail?: string[];
  at_failure?: Display | string;
}

interface Quickfix {
  title: string;
  open: boolean;
  items: { text: string; lnum: number; file: string }[];
}

interface Menu {
  prompt: string;
  items: Record<string, unknown>[];
  labels: string[];
}

interface Display {
  hint: string;
  heat: string[];
  heat_percent: number | null;
  lenses: string[];
}

const temps: string[] = [];
afterAll(() => {
  if (!process.env.FLAMELENS_KEEP) for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary tree: the workspace (sources, the recording, an older second one), XDG dirs,
 * and for `pack` a start package that is a symlink to clients/nvim. */
function makeWorkspace(install: string) {
  const dir = mkdtempSync(join(tmpdir(), 'flamelens-nvim-'));
  temps.push(dir);
  const workspace = join(dir, 'workspace');
  mkdirSync(workspace);
  for (const entry of ['shop', 'tests', 'pytest.ini']) cpSync(join(WORKLOADS, entry), join(workspace, entry), { recursive: true });
  cpSync(recorded(PROFILE), join(workspace, PROFILE));
  // a second, older recording: the newest one is active at start, the other one is picked by command
  cpSync(recorded(OTHER_PROFILE), join(workspace, OTHER_PROFILE));
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(join(workspace, OTHER_PROFILE), hourAgo, hourAgo);
  const xdg = join(dir, 'xdg');
  const pack = join(dir, 'site');
  if (install === 'pack') {
    mkdirSync(join(pack, 'pack', 'flamelens', 'start'), { recursive: true });
    symlinkSync(PLUGIN, join(pack, 'pack', 'flamelens', 'start', 'flamelens'));
  }
  // a stand-in for the system's browser opener: the test never starts a browser, it records the URL
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'xdg-open'), '#!/bin/sh\nprintf \'%s\\n\' "$1" >> "$FLAMELENS_OPENED"\n', { mode: 0o755 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    FLAMELENS_OPENED: join(dir, 'opened.txt'),
    XDG_CONFIG_HOME: join(xdg, 'config'),
    XDG_DATA_HOME: join(xdg, 'data'),
    XDG_STATE_HOME: join(xdg, 'state'),
    XDG_CACHE_HOME: join(xdg, 'cache'),
    ...(install === 'pack' ? { FLAMELENS_PACKPATH: pack } : { FLAMELENS_PLUGIN: PLUGIN }),
  };
  return { dir, workspace, env };
}

/** Runs the probe in a fresh workspace; resolves when Neovim has exited and written its report. */
async function runProbe(bin: string, install: string): Promise<{ report: Report; output: string; workspace: string }> {
  const { dir, workspace, env } = makeWorkspace(install);
  const reportFile = join(dir, 'report.json');
  const expect = {
    hint_cpu: shown(cpu.line28),
    hint_samples: shown(count.line28),
    lens_cpu: shown(cpu.lineTotal),
    lens_samples: shown(count.lineTotal),
    percent_cpu: cpu.line28,
    percent_samples: count.line28,
    thread_label: `thread ${MAIN_THREAD} `,
    hint_thread: shown(mainThread.line28),
    other_profile: OTHER_PROFILE,
    // the server's default: the 10 hottest lines whose own share is at least 1 %
    hot_lines: Math.min(10, hotLines.filter((h) => h.percent >= 1).length),
    hint_other: shown(wall.line28),
    lens_other: shown(wall.lineTotal),
  };
  const child = spawn(bin, ['--headless', '--clean', '-u', join(PROBE_DIR, 'init.lua'), '-c', `luafile ${join(PROBE_DIR, 'probe.lua')}`, 'shop/pricing.py'], {
    cwd: workspace,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      FLAMELENS_REPORT: reportFile,
      FLAMELENS_EXPECT: JSON.stringify(expect),
      FLAMELENS_WAIT_MS: process.env.FLAMELENS_WAIT_MS ?? '15000',
    },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // a hung editor must not hang the suite: the probe's own waits end well before this
  const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  clearTimeout(guard);
  if (!existsSync(reportFile)) throw new Error(`${bin} exited (${code}) without a report:\n${output}`);
  return { report: JSON.parse(readFileSync(reportFile, 'utf8')) as Report, output, workspace };
}

function explain(r: Report, output: string): string {
  const steps = r.steps.map((s) => `  ${s.ok ? 'ok  ' : 'FAIL'} ${s.at_ms} ms  ${s.name}`).join('\n');
  const screen = r.at_failure ? `displayed at the timeout: ${JSON.stringify(r.at_failure)}` : '';
  return [`Neovim ${r.nvim}`, ...r.errors, steps, screen, output.trim(), ...(r.lsp_log_tail ?? [])].filter(Boolean).join('\n');
}

// ---- the tests ---------------------------------------------------------------------------------

describe('Neovim plugin in real headless Neovim', () => {
  it.skipIf(!NEOVIMS.some((n) => n.installed))('has the built server the plugin starts (npm run build)', () => {
    expect(existsSync(SERVER), `${SERVER} is missing: run npm run build`).toBe(true);
  });

  for (const nvim of NEOVIMS) {
    it.skipIf(!nvim.installed)(`${nvim.name}${nvim.installed ? '' : ' [not installed: run scripts/setup-nvim.sh]'}`, async () => {
      const { report: r, output, workspace } = await runProbe(nvim.bin, nvim.install);
      const why = explain(r, output);
      expect(r.errors, why).toEqual([]);
      expect(r.nvim).toMatch(nvim.version);
      // nothing went wrong in a handler or autocmd on the way
      expect(r.messages.filter((m) => /error|E\d+:|stack traceback/i.test(m))).toEqual([]);

      // the plugin started the server it found next to itself: clients/nvim/../../dist/flamelens.js
      expect(r.client).toEqual({ name: 'flamelens', cmd: ['node', SERVER, '--stdio'], root_dir: workspace });

      // inlay hint at the end of line 28: the line total and own share (answer key: 14.13 % own)
      expect(Math.abs(cpu.own28 - 14.13)).toBeLessThanOrEqual(0.01);
      // (`14.1% · all own`: a leaf line's total is all its own, said once)
      const [total, own = /· all own$/.test(r.initial.hint) ? total : undefined] = percents(r.initial.hint);
      expect(total, r.initial.hint).toBeCloseTo(cpu.line28, 1);
      expect(own, r.initial.hint).toBeCloseTo(cpu.own28, 1);
      expect(r.initial.hint_lines).toContain(27);

      // the lens above `def line_total` gives its total and names the caller
      const lens = r.initial.lenses.join('\n');
      expect(near(lens, cpu.lineTotal), lens).toBe(true);
      expect(lens).toContain('best_discount');

      // the lens is drawn on a virtual line of its own above the def (nothing at the end of the def
      // line), with every lens in the server's order, in lens highlight groups
      expect(r.initial.lens_display).toHaveLength(1);
      const [drawn] = r.initial.lens_display;
      expect(drawn.above).toBe(true);
      expect(drawn.eol).toBe('');
      expect(drawn.chunks.filter((c) => c !== ' | ')).toEqual(r.initial.lens_titles);
      expect(drawn.groups.filter((g, i) => drawn.chunks[i] !== ' | ')).toEqual(
        r.initial.lens_titles.map((t) => (t.startsWith('→') ? 'FlamelensLensCaller' : 'FlamelensLens')),
      );

      // the filetypes are protocol.ts' LANGUAGES, and vim.lsp.enable's root_dir gives this client's root
      expect([...r.filetypes].sort()).toEqual([...LANGUAGES].sort());
      expect(r.enable_root).toBe(workspace);

      // line heat: an extmark highlight on line 28 only where the server sent heat
      expect(r.initial.heat).toHaveLength(1);
      expect(r.initial.heat[0]).toMatch(/^FlamelensHeat[1-4]$/);
      // four steps, as in VS Code: each line at the server's level, else its heat in quarters
      expect(r.heat_groups).toEqual([true, true, true, true, false]);
      const tint = (l: { heat: number; level?: number }) => l.level ?? (l.heat <= 0.25 ? 1 : l.heat <= 0.5 ? 2 : l.heat <= 0.75 ? 3 : 4);
      expect(r.heat_steps.length).toBeGreaterThan(0);
      for (const { sent, drawn: groups } of r.heat_steps) expect(groups, JSON.stringify(sent)).toEqual([`FlamelensHeat${tint(sent)}`]);
      // a level sent by the server wins over heat; without one, heat 0.25 / 0.26 / 0.75 / 0.76
      expect(r.synthetic_heat).toEqual(['FlamelensHeat4', 'FlamelensHeat1', 'FlamelensHeat1', 'FlamelensHeat2', 'FlamelensHeat3', 'FlamelensHeat4']);
      expect(r.initial.heat_percent).toBeCloseTo(cpu.line28, 1);
      expect(r.initial.heat_line1).toEqual([]);

      // the hover float on line 28: the breakdown with own and total under the metric
      const hover = r.initial.hover.join('\n');
      expect(hover).toMatch(/line 28/);
      expect(hover).toMatch(/total/i);
      expect(hover).toMatch(/own/i);
      expect(hover).toMatch(/CPU time/);
      expect(near(hover, cpu.line28), hover).toBe(true);
      // rendered as this version can: a border, and before 0.10 (regex markdown syntax) no
      // backticks or emphasis marks left in the text, in Normal rather than 0.7's magenta Pmenu
      expect(r.hover_float.border).toBe(true);
      if (nvim.version.source.includes('0\\.7')) {
        expect(hover).not.toMatch(/`|\*\*/);
        expect(r.hover_float.winhighlight).toContain('NormalFloat:Normal');
      }
      expect(r.initial.statusline).toContain(PROFILE);

      // <Tab> completes subcommands, and metric keys as the server lists them
      expect(r.completion.subcommands).toEqual(['profile', 'metric', 'scope', 'toggle', 'callers', 'hotspots', 'incoming', 'outgoing', 'baseline', 'diagnostics', 'flamegraph']);
      expect(r.completion.metrics).toEqual(r.metric_menu?.items.map((m) => m.key));

      // `:Flamelens metric` with no argument offers the profile's metrics; picking samples re-renders
      expect(r.metric_menu?.items.map((m) => m.key)).toEqual(expect.arrayContaining(['samples']));
      expect(r.metric_menu?.items.find((m) => m.active)?.key).toBe(r.previous_metric);
      expect(count.line28).not.toBeCloseTo(cpu.line28, 1);
      expect(percents(r.samples.hint)[0], r.samples.hint).toBeCloseTo(count.line28, 1);
      expect(r.samples.heat_percent).toBeCloseTo(count.line28, 1);
      expect(near(r.samples.lenses.join('\n'), count.lineTotal), r.samples.lenses.join('\n')).toBe(true);
      expect(near(r.samples.hover.join('\n'), count.line28)).toBe(true);
      expect(r.samples.hover.join('\n')).toMatch(/samples/);

      // `:Flamelens toggle` hides hints and heat
      expect(r.toggled_off.hint).toBe('');
      expect(r.toggled_off.heat).toEqual([]);
      // and the lenses, also after :e (0.7 kept them on screen)
      expect(r.toggled_off.lens_marks).toBe(0);
      expect(r.toggled_off.lens_marks_after_edit).toBe(0);

      // `:Flamelens scope` offers all threads and each thread; one thread narrows the denominator
      expect(r.scope_menu?.labels.length).toBe(6);
      expect(mainThread.line28).not.toBeCloseTo(cpu.line28, 1);
      expect(percents(r.thread.hint)[0], r.thread.hint).toBeCloseTo(mainThread.line28, 1);
      expect(r.thread.heat_percent).toBeCloseTo(mainThread.line28, 1);

      // `:Flamelens profile` offers both recordings; the wall-clock one shows its own numbers
      expect(r.initial.profile).toBe(join(workspace, PROFILE));
      expect(r.profile_menu?.items.map((p) => p.path)).toEqual(
        expect.arrayContaining([join(workspace, PROFILE), join(workspace, OTHER_PROFILE)]),
      );
      expect(percents(r.other.hint)[0], r.other.hint).toBeCloseTo(wall.line28, 1);
      expect(r.other.hover.join('\n')).toContain(OTHER_PROFILE);
      expect(near(r.other.lenses.join('\n'), wall.lineTotal), r.other.lenses.join('\n')).toBe(true);

      // `:Flamelens callers` on `def line_total`: the call sites, hottest first, in the quickfix list
      expect(r.callers.title).toContain('line_total');
      const [site, share] = [cpu.hottestCaller.site, cpu.hottestCaller.share];
      const first = r.callers.items[0];
      expect(`${first.text.split(/\s+/)[0]}:${first.lnum}`).toBe(site);
      expect(first.file).toBe(join(workspace, 'shop', 'pricing.py'));
      expect(near(first.text, share), first.text).toBe(true);

      // the function's lens opens a menu of call sites (caller, share, place), not the server's
      // numbered prompt; the first entry is the hottest call site, and choosing it jumps there
      const menu = r.lens_pick.menus[r.lens_pick.menus.length - 1];
      expect(menu.prompt).toContain('line_total');
      expect(menu.labels[0]).toMatch(new RegExp(`^best_discount +${share.toFixed(1)}% .*shop/pricing\\.py:${first.lnum}$`));
      expect({ line: r.lens_pick.line, file: r.lens_pick.file }).toEqual({ line: first.lnum, file: first.file });

      // running the caller lens `→ best_discount` opens the hottest call site
      expect(r.lens_jump).toEqual({ line: first.lnum, file: first.file });

      // three lines inserted above line 28 move every hint below them down by three
      expect(r.edited.hint).toBe(r.initial.hint);
      expect(r.edited.heat).toEqual(r.initial.heat);
      expect(r.edited.hint_lines).toEqual(r.initial.hint_lines.map((l) => (l >= 25 ? l + 3 : l)));

      // with a baseline, a line whose change is flagged gets a sign in one of two groups, linked to
      // the diagnostic colours; a line whose cost is gone (level 0) the sign alone, no tint
      // (0.7 does not say which group a sign has: its colour is read from the screen in tmux below)
      const group = (g: string) => (nvim.version.source.includes('0\\.7') ? '?' : g);
      expect(r.synthetic_change).toEqual([
        { tint: 'FlamelensHeat4', sign: '' },
        { tint: '', sign: `▎ ${group('FlamelensImprovement')}` },
        { tint: 'FlamelensHeat2', sign: `▎ ${group('FlamelensRegression')}` },
      ]);
      expect(r.change_colours.regression).toBe(r.change_colours.error);
      expect(r.change_colours.improvement).toBe(r.change_colours.ok ?? '#3fb950');
      expect(r.change_colours.regression).not.toBe(r.change_colours.improvement);

      // :Flamelens hotspots: the ranking in the quickfix list, audit by its total (from the raw file)
      expect(r.hotspots.title).toBe('flamelens hotspots');
      expect(r.hotspots.open).toBe(true);
      const auditLabel = `inventory.audit · ${audit.percent.toFixed(1)}% total`;
      expect(r.hotspots.items.find((i) => i.text === auditLabel)).toEqual({ text: auditLabel, lnum: 15, file: join(workspace, 'shop', 'inventory.py') });
      expect(r.hotspots.items.find((i) => i.text.startsWith('pricing.line_total'))?.text).toBe(`pricing.line_total · ${lineTotalFn.ownPercent.toFixed(1)}% own`);
      // followed into a file that was not open
      expect(r.inventory_open_before).toBe(false);
      expect(r.hotspot_jump).toEqual({ file: join(workspace, 'shop', 'inventory.py'), line: 15 });
      // vim.lsp.buf.incoming_calls(): one line per call site, hottest first, with its share
      const callerText = (c: (typeof auditSites)[number]) => `inventory.${c.name} · ${c.share.toFixed(1)}%`;
      expect(r.incoming_native.title).toBe('LSP call hierarchy');
      expect(r.incoming_native.items.slice(0, 2)).toEqual(
        auditSites.slice(0, 2).map((c) => ({ text: callerText(c), lnum: c.line, file: join(workspace, 'shop', 'inventory.py') })),
      );
      expect(r.incoming_jump).toEqual({ file: join(workspace, 'shop', 'inventory.py'), line: auditSites[1].line });
      // :Flamelens incoming asks flamelens alone, with each caller's detail; outgoing: inspect.stack
      expect(r.incoming.items.map((i) => [i.text.split('  ')[0], i.lnum])).toEqual(auditSites.map((c) => [callerText(c), c.line]));
      expect(r.incoming.items[0].text).toMatch(/% of audit · line 34/);
      expect(r.outgoing.items[0]).toMatchObject({ lnum: 16, file: join(workspace, 'shop', 'inventory.py') });
      expect(r.outgoing.items[0].text).toMatch(/^inspect\.stack · 99\.\d%/);
      // :Flamelens hotspots! offers the same list in a menu
      expect(r.hotspot_menu?.labels).toContain(`${auditLabel}  shop/inventory.py:15`);

      // hot lines as diagnostics: none by default, listed by vim.diagnostic.setqflist() once on,
      // hottest by own share first (from the raw file), gone once off
      expect(r.diagnostics_before).toBe(0);
      const texts = r.diagnostics_on.items.map((i) => i.text);
      hotLines.slice(0, 3).forEach((h, k) => {
        const at = r.diagnostics_on.items.find((i) => i.text.includes(`hot line #${k + 1}: `));
        expect(at?.text, texts.join('\n')).toContain(`hot line #${k + 1}: ${h.percent.toFixed(1)}% own`);
        expect(at?.lnum).toBe(h.line);
        expect(at?.file.endsWith(h.file.replace('/home/dev/shop/', '/'))).toBe(true);
      });
      expect(r.diagnostics_off.items.filter((i) => /hot line #/.test(i.text))).toEqual([]);

      // a wall-clock baseline for a CPU-time profile: nothing compared, the statusline and a message say so
      expect(r.baseline_refused.problem).toMatch(/CPU time/);
      expect(r.baseline_refused.statusline).toBe(`flamelens: ${PROFILE} (no comparison) · CPU time · ${samples.length} samples`);
      expect(r.baseline_refused.said).toEqual([`flamelens: no comparison: ${r.baseline_refused.problem}`, 'flamelens: baseline: none']);
      expect(r.baseline_none).toBe(`flamelens: ${PROFILE} · CPU time · ${samples.length} samples`);

      // :Flamelens flamegraph says the page's URL and hands it to the browser opener
      const [url, here] = r.flamegraph.opened;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{20,}\/$/);
      expect(r.flamegraph.said).toContain(`flamelens: flame graph: ${url}`);
      // `here`: the same page, on the sandwich of line_total (the function under the cursor)
      expect(decodeURIComponent(here)).toBe(`${url}#fn=line_total&file=${PRICING}`);

      // :checkhealth flamelens
      const health = r.health.join('\n');
      expect(health).toMatch(/OK:? node v\d+/);
      expect(health).toContain(`server file: ${SERVER}`);
      expect(health).toMatch(/OK:? client \d+, root /);
      expect(health).toContain(`active: ${join(workspace, PROFILE)}`);
    });
  }
});

// A repository whose tests/ folder holds its own pytest.ini (Rich's layout), with the pytest
// recording: one project must mean one server, whatever file of it is opened.
const PYTEST = 'austin3-pytest.austin';
const pytestSamples = austinSamples(recorded(PYTEST));

/** Function-level callers of inventory.audit in the pytest recording, hottest first (once per sample). */
function auditCallers(): { name: string; share: number }[] {
  let func = 0;
  const callers = new Map<string, number>();
  for (const s of pytestSamples) {
    const isAudit = (f: { file: string; name: string }) => f.file.endsWith('/shop/inventory.py') && f.name === 'audit';
    if (!s.frames.some(isAudit)) continue;
    func += s.value;
    const seen = new Set<string>();
    s.frames.forEach((f, i) => i > 0 && isAudit(f) && seen.add(s.frames[i - 1].name));
    for (const name of seen) callers.set(name, (callers.get(name) ?? 0) + s.value);
  }
  return [...callers].map(([name, v]) => ({ name, share: (v / func) * 100 })).sort((a, b) => b.share - a.share);
}

describe('Neovim plugin in one project with a nested root marker', () => {
  for (const nvim of NEOVIMS) {
    it.skipIf(!nvim.installed)(`${nvim.name}: one server, also for files under tests/pytest.ini`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flamelens-nvim-project-'));
      temps.push(dir);
      const repo = join(dir, 'repo');
      for (const entry of ['shop', 'tests']) cpSync(join(WORKLOADS, entry), join(repo, entry), { recursive: true });
      cpSync(join(WORKLOADS, 'pytest.ini'), join(repo, 'tests', 'pytest.ini'));
      mkdirSync(join(repo, '.git'));
      writeFileSync(join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
      mkdirSync(join(repo, 'profiles'));
      cpSync(recorded(PYTEST), join(repo, 'profiles', PYTEST));
      const { env } = makeWorkspace(nvim.install);
      const reportFile = join(dir, 'report.json');
      const args = ['--headless', '--clean', '-u', join(PROBE_DIR, 'init.lua'), '-c', `luafile ${join(PROBE_DIR, 'project.lua')}`, 'shop/inventory.py'];
      const result = spawnSync(nvim.bin, args, {
        cwd: repo,
        env: { ...env, FLAMELENS_REPORT: reportFile, FLAMELENS_WAIT_MS: process.env.FLAMELENS_WAIT_MS ?? '15000' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      expect(existsSync(reportFile), `${result.stdout}${result.stderr}`).toBe(true);
      const r = JSON.parse(readFileSync(reportFile, 'utf8')) as {
        errors: string[];
        steps: { name: string; ok: boolean }[];
        first: { id: number; root: string };
        clients: { id: number; root: string }[];
        jump: { file: string; line: number };
        test_client: number;
        test_hint: string;
        statusline: string;
        audit: { titles: string[]; drawn: string[] };
        health: string[];
        messages: string[];
        notifications: { msg: string; level: number }[];
      };
      expect(r.errors, JSON.stringify(r.steps)).toEqual([]);
      // rooted at the repository (the outermost .git), not at tests/ (the nearest marker)
      expect(r.first.root).toBe(repo);
      expect(r.jump).toEqual({ file: join(repo, 'tests', 'test_inventory.py'), line: 15 });
      // the test file joined the same server, which has the profile: it shows its numbers
      expect(r.clients).toEqual([r.first]);
      expect(r.test_client).toBe(r.first.id);
      expect(r.test_hint).toMatch(/\d+\.\d%/);
      expect(r.statusline).toContain(PYTEST);
      expect(r.notifications.map((n) => n.msg)).not.toContain('flamelens: no active profile');
      const health = r.health.join('\n');
      expect(health.match(/client \d+, root /g)).toHaveLength(1);
      // no error on the way (0.7 reported "method textDocument/codeLens is not supported")
      expect([...r.messages, ...r.notifications.map((n) => n.msg)].filter((m) => /error|not supported|E\d+:/i.test(m))).toEqual([]);
      // audit's caller links, drawn in the server's order, which ranks them as the recording does
      const links = r.audit.titles.filter((t) => t.startsWith('→'));
      expect(r.audit.drawn.filter((t) => t.startsWith('→'))).toEqual(links);
      const ranked = auditCallers().slice(0, links.length);
      expect(links.length).toBeGreaterThan(1);
      ranked.forEach((c, i) => expect(c.name.endsWith(links[i].replace(/^→\s*/, '').split('.').pop()!), `${links[i]} vs ${c.name}`).toBe(true));
    });
  }
});

describe('Neovim plugin without a server', () => {
  for (const nvim of NEOVIMS) {
    it.skipIf(!nvim.installed)(`${nvim.name}: one warning, and :checkhealth says why`, async () => {
      const { dir, workspace, env } = makeWorkspace(nvim.install);
      const reportFile = join(dir, 'missing.json');
      const missing = join(dir, 'no-such-flamelens');
      const args = ['--headless', '--clean', '-u', join(PROBE_DIR, 'init.lua'), '-c', `luafile ${join(PROBE_DIR, 'missing-server.lua')}`, 'shop/pricing.py'];
      const result = spawnSync(nvim.bin, args, {
        cwd: workspace,
        env: { ...env, FLAMELENS_REPORT: reportFile, FLAMELENS_CMD: JSON.stringify([missing, '--stdio']) },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
      expect(existsSync(reportFile), `${result.stdout}${result.stderr}`).toBe(true);
      const r = JSON.parse(readFileSync(reportFile, 'utf8')) as { notifications: { msg: string }[]; errors: string[]; messages: string[]; clients: number; health: string[] };
      expect(r.errors).toEqual([]);
      // three Python buffers opened (the first one at startup, before the probe ran), one warning
      const said = [...r.messages, ...r.notifications.map((n) => n.msg)].filter((m) => m.includes('flamelens'));
      expect(said).toEqual([`flamelens: server command not found: ${missing} (see :checkhealth flamelens)`]);
      expect(r.clients).toBe(0);
      expect(r.messages.filter((m) => /error|E\d+:/i.test(m))).toEqual([]);
      const health = r.health.join('\n');
      expect(health).toMatch(new RegExp(`ERROR:? ${missing} is not executable`));
      expect(health).toMatch(/no flamelens client is running/);
    });
  }
});

// ---- the real terminal -------------------------------------------------------------------------
// Neovim with its TUI in a tmux pane: what the user sees, read back with `capture-pane`. Headless
// runs cannot show everything (Neovim 0.10 held fresh inlay hints it never drew, which only a real
// screen made visible). tmux comes with scripts/setup-nvim.sh; a PNG of each screen is written to
// test/output/nvim/ when Chromium is installed.

const run = promisify(execFile);
const onPath = (cmd: string) => (process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, cmd)));
const HAS_TMUX = onPath('tmux');
if (!HAS_TMUX && NEOVIMS.some((n) => n.installed)) {
  console.warn('[flamelens] Neovim suite: the real-terminal tests skipped: tmux is not installed (scripts/setup-nvim.sh installs it)');
}
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const OUTPUT = join(REPO, 'test', 'output', 'nvim');
// heat.lua's tints for a dark 'background' (the default), FlamelensHeat1..4
const DARK_HEAT = ['#2c2320', '#41271f', '#57291c', '#6e2c18'];
const HOT_TEXT = 'total += item.unit_price * factor';
const SEED_TEXT = 'caller = inspect.stack()[1]';
const DEF_TEXT = 'def line_total(item, factor):';

/** The first background colour on a row (where the line's text starts). */
const rowBackground = (row: Row) => row.find((s) => s.text.trim() !== '')?.bg;
/** Index of the first row showing `text`, or -1. */
const rowOf = (rows: Row[], text: string) => rows.findIndex((r) => rowText(r).includes(text));

describe('Neovim plugin in a real terminal (tmux)', () => {
  NEOVIMS.forEach((nvim, index) => {
    const ready = nvim.installed && HAS_TMUX;
    it.skipIf(!ready)(`${nvim.name}: the screen${ready ? '' : ' [needs tmux and this Neovim: run scripts/setup-nvim.sh]'}`, async () => {
      const { workspace, env } = makeWorkspace(nvim.install);
      const tag = nvim.version.source.replace(/\W/g, '');
      const tmux = (...args: string[]) => run('tmux', ['-L', `flamelens-nvim-${process.pid}-${index}`, '-f', '/dev/null', ...args], { env });
      const screen = async () => parseScreen((await tmux('capture-pane', '-e', '-p', '-N', '-t', 'nvim')).stdout);
      // A terminal tells nobody when text was drawn: poll the screen until it shows what is expected.
      const until = async (what: string, ok: (rows: Row[]) => boolean): Promise<Row[]> => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const rows = await screen();
          if (ok(rows)) return rows;
          if (Date.now() > deadline) {
            save(`failed-${tag}`, rows);
            throw new Error(`the screen never showed ${what} (test/output/nvim/failed-${tag}.txt):\n${rows.map(rowText).join('\n')}`);
          }
          await new Promise((done) => setTimeout(done, 100));
        }
      };
      // the lens on the row above the def, the hint on the hot line's row
      const shows = (hint: string, lens: string) => (rows: Row[]) => {
        const hot = rowOf(rows, HOT_TEXT);
        const def = rowOf(rows, DEF_TEXT);
        return hot > 0 && def > 0 && rowText(rows[hot]).includes(`factor ${hint}`) && rowText(rows[def - 1]).includes(lens);
      };
      const nvimCmd = `${nvim.bin} --clean -u ${join(PROBE_DIR, 'init.lua')} --cmd 'set termguicolors' shop/pricing.py`;
      await tmux('new-session', '-d', '-s', 'nvim', '-x', '120', '-y', '45', '-c', workspace, nvimCmd);
      try {
        // the heat comes in its own notification, after the hints: wait for both
        const first = await until(
          `the ${shown(cpu.line28)} hint on line 28, the lens above line 25 and the heat of line 28`,
          (rows) => shows(shown(cpu.line28), shown(cpu.lineTotal))(rows) && DARK_HEAT.includes(rowBackground(rows[rowOf(rows, HOT_TEXT)])!),
        );
        const hot = rowOf(first, HOT_TEXT);
        const def = rowOf(first, DEF_TEXT);
        expect(rowText(first[hot])).toMatch(/^ {8}total \+= item\.unit_price \* factor +\d+\.\d%/);
        // the lens has a line of its own above the def: nothing runs into the def line or its hint
        expect(rowText(first[def]).trimEnd()).toBe(DEF_TEXT);
        expect(rowText(first[def - 1])).toMatch(/^\S.*best_discount/);
        expect(rowText(first[def - 2]).trim()).toBe('');
        // in the colours of a lens (LspCodeLens, else Comment), not in the default text colour
        const lensSpan = first[def - 1].find((s) => s.text.trim() !== '');
        expect(lensSpan?.fg, JSON.stringify(first[def - 1])).toBeDefined();
        expect(lensSpan?.bg).toBe(rowBackground(first[def]));
        // line heat: line 28 carries one of the four tints, the module docstring none
        expect(DARK_HEAT).toContain(rowBackground(first[hot]));
        expect(DARK_HEAT).not.toContain(rowBackground(first[0]));
        save(`screen-${tag}-cpu`, first, true);

        // the hover float: a border, the numbers, no markdown punctuation left on screen
        // 0.11+ renders hovers itself with the user's 'winborder' (none by default): ask for one as
        // a user who wants it does
        const modern = !/0\\\.(7|10)\\\./.test(nvim.version.source);
        await tmux('send-keys', '-t', 'nvim', ':28', 'Enter', `:lua vim.lsp.buf.hover(${modern ? "{ border = 'rounded' }" : ''})`, 'Enter');
        const hover = await until('the hover float of line 28', (rows) => rows.some((r) => /╭/.test(rowText(r))) && rows.some((r) => /│.*own/.test(rowText(r))));
        const top = hover.findIndex((r) => /╭/.test(rowText(r)));
        const bottom = hover.findIndex((r, i) => i > top && /╰/.test(rowText(r)));
        const float = hover.slice(top, bottom + 1).map((r) => {
          const t = rowText(r);
          return t.slice(t.search(/[╭│╰]/));
        });
        expect(float.join('\n')).toContain(shown(cpu.line28));
        expect(float.join('\n')).not.toMatch(/`|\*\*/);
        save(`screen-${tag}-hover`, hover, true);
        await tmux('send-keys', '-t', 'nvim', 'Escape', ':lua for _, w in ipairs(vim.api.nvim_list_wins()) do if vim.api.nvim_win_get_config(w).relative ~= "" then vim.api.nvim_win_close(w, true) end end', 'Enter');
        await until('the hover closed', (rows) => !rows.some((r) => /╭/.test(rowText(r))));

        // a refresh-driven change must reach the screen too (0.10 alone would keep the old hint)
        await tmux('send-keys', '-t', 'nvim', ':Flamelens metric samples', 'Enter');
        const samples = await until(`the ${shown(count.line28)} hint after :Flamelens metric samples`, shows(shown(count.line28), shown(count.lineTotal)));
        save(`screen-${tag}-samples`, samples);

        // typing a line above `def line_total` (InsertLeave, TextChanged as a user fires them)
        await tmux('send-keys', '-t', 'nvim', ':24', 'Enter', 'o# typed here', 'Escape');
        const edited = await until('the hint, lens and heat below the typed line', (rows) => {
          const typed = rowOf(rows, '# typed here');
          return typed > 0 && shows(shown(count.line28), shown(count.lineTotal))(rows) && rowOf(rows, DEF_TEXT) === typed + 2 && DARK_HEAT.includes(rowBackground(rows[rowOf(rows, HOT_TEXT)])!);
        });
        expect(DARK_HEAT).toContain(rowBackground(edited[rowOf(edited, HOT_TEXT)]));

        // :Flamelens flamegraph prints the page's URL (the stand-in xdg-open gets it too); while this
        // Neovim runs, that URL serves the page
        await tmux('send-keys', '-t', 'nvim', ':set hidden', 'Enter', ':Flamelens flamegraph', 'Enter');
        const said = await until('the flame graph URL', (rows) => rows.some((r) => /flamelens: flame graph: http:\/\/127\.0\.0\.1:\d+\//.test(rowText(r))));
        const url = /http:\/\/127\.0\.0\.1:\d+\/[\w-]+\//.exec(said.map(rowText).join('\n'))![0];
        const got = await httpGet(url);
        expect(got.status).toBe(200);
        expect(got.body).toContain('<title>flamelens flame graph</title>');
        const data = await httpGet(`${url}data.json`);
        expect(JSON.parse(data.body).profile).toBe(PROFILE);
        expect(readFileSync(env.FLAMELENS_OPENED!, 'utf8').trim().split('\n')).toEqual([url]);
        // what the page sends when checksum's frame is clicked: Neovim opens workers.py at its hottest line
        const click = await httpPost(`${url}open`, JSON.stringify({ file: `${RECORDED_UNDER}shop/workers.py`, line: 12, name: 'checksum' }), new URL(url).origin);
        expect(JSON.parse(click.body)).toEqual({ result: 'opened' });
        await until('workers.py opened at line 12', (rows) => rows.some((r) => /shop\/workers\.py .*\b12,\d/.test(rowText(r))));

        // the seed's hot line: inventory.py:16 `caller = inspect.stack()[1]` at the hottest tint, and
        // audit's lens on a line of its own above its def
        await tmux('send-keys', '-t', 'nvim', ':Flamelens metric cpu', 'Enter', ':e shop/inventory.py', 'Enter');
        const seed = await until('audit\'s lens and the tint of inventory.py:16', (rows) => {
          const def = rowOf(rows, 'def audit(message):');
          const hot = rowOf(rows, SEED_TEXT);
          return def > 0 && hot === def + 1 && rowText(rows[def - 1]).includes(`${audit.percent.toFixed(1)}% total`) && rowBackground(rows[hot]) === DARK_HEAT[3];
        });
        expect(rowText(seed[rowOf(seed, SEED_TEXT)])).toContain(`${audit.percent.toFixed(1)}%`);
        save(`screen-${tag}-seed`, seed, true);

        await tmux('send-keys', '-t', 'nvim', ':qa!', 'Enter');
      } finally {
        await tmux('kill-server').catch(() => undefined);
      }
    });
  });
});

// The baseline (issue 13) on the real pair: the fixed shop sources, after.austin shown,
// before.austin picked from `:Flamelens baseline`'s menu; the change is read off the screen.
const PAIR = join(REPO, 'test', 'fixtures', 'pairs', 'audit-fix');
const pairAudit = {
  before: austinFunctionTotal(join(PAIR, 'before.austin'), '/shop/inventory.py', 'audit'),
  after: austinFunctionTotal(join(PAIR, 'after.austin'), '/shop/inventory.py', 'audit'),
};
// seconds of CPU time (the recording's µs): audit's change, and its old hot line's (16 then, 18 now)
const auditDelta = (pairAudit.after.value - pairAudit.before.value) / 1e6;
const lineDelta = (() => {
  const before = austinSamples(join(PAIR, 'before.austin')).filter((s) => s.frames.some((f) => f.file.endsWith('/shop/inventory.py') && f.line === 16));
  const after = austinSamples(join(PAIR, 'after.austin')).filter((s) => s.frames.some((f) => f.file.endsWith('/shop/inventory.py') && f.line === 18));
  const sum = (xs: Sample[]) => xs.reduce((t, s) => t + s.value, 0);
  return (sum(after) - sum(before)) / 1e6;
})();
/** Every signed `−2.76 s` in a text, as numbers of seconds. */
const seconds = (text: string) => [...text.matchAll(/([−+])(\d+(?:\.\d+)?) s\b/g)].map((m) => (m[1] === '+' ? 1 : -1) * Number(m[2]));
const rgb = (hex: string | undefined) => (hex ? [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) : [0, 0, 0]);

describe('Neovim plugin with a baseline, in a real terminal (tmux)', () => {
  NEOVIMS.forEach((nvim, index) => {
    const ready = nvim.installed && HAS_TMUX;
    it.skipIf(!ready)(`${nvim.name}: :Flamelens baseline shows audit's change (about −2.76 s)${ready ? '' : ' [needs tmux and this Neovim]'}`, async () => {
      expect(auditDelta).toBeCloseTo(-2.755, 2);
      const { workspace, env } = makeWorkspace(nvim.install);
      rmSync(join(workspace, PROFILE));
      rmSync(join(workspace, OTHER_PROFILE));
      cpSync(join(PAIR, 'inventory-after.py'), join(workspace, 'shop', 'inventory.py'));
      mkdirSync(join(workspace, 'profiles'));
      cpSync(join(PAIR, 'before.austin'), join(workspace, 'profiles', 'before.austin'));
      cpSync(join(PAIR, 'after.austin'), join(workspace, 'profiles', 'after.austin'));
      const hourAgo = new Date(Date.now() - 3600_000);
      utimesSync(join(workspace, 'profiles', 'before.austin'), hourAgo, hourAgo);
      const tag = nvim.version.source.replace(/\W/g, '');
      const tmux = (...args: string[]) => run('tmux', ['-L', `flamelens-nvim-base-${process.pid}-${index}`, '-f', '/dev/null', ...args], { env });
      const screen = async () => parseScreen((await tmux('capture-pane', '-e', '-p', '-N', '-t', 'nvim')).stdout);
      const until = async (what: string, ok: (rows: Row[]) => boolean): Promise<Row[]> => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const rows = await screen();
          if (ok(rows)) return rows;
          if (Date.now() > deadline) {
            save(`failed-baseline-${tag}`, rows);
            throw new Error(`the screen never showed ${what}:\n${rows.map(rowText).join('\n')}`);
          }
          await new Promise((done) => setTimeout(done, 100));
        }
      };
      const statusline = `set laststatus=2 statusline=%f\\ %{v:lua.require'flamelens'.statusline()}`;
      const nvimCmd = `${nvim.bin} --clean -u ${join(PROBE_DIR, 'init.lua')} --cmd 'set termguicolors' -c "${statusline}" shop/inventory.py`;
      await tmux('new-session', '-d', '-s', 'nvim', '-x', '130', '-y', '45', '-c', workspace, nvimCmd);
      try {
        // after the fix audit costs too little for a lens of its own (under the 0.5 % threshold)
        const before = await until('after.austin in the statusline', (rows) => rows.some((r) => rowText(r).includes('flamelens: after.austin')));
        expect(rowText(before[rowOf(before, 'def audit(message):') - 1]).trim()).toBe('');
        // the menu (vim.ui.select: a numbered list on the command line); before.austin is picked by its number
        await tmux('send-keys', '-t', 'nvim', ':Flamelens baseline', 'Enter');
        const menu = await until('the baseline menu', (rows) => rows.some((r) => /^\d+: .*before\.austin/.test(rowText(r).trim())));
        const entries = menu.map((r) => rowText(r).trim()).filter((t) => /^\d+: /.test(t));
        expect(entries[0]).toMatch(/^1: \* None \(no comparison\)/);
        expect(entries[1]).toMatch(/^2: +The previous profile of this kind/);
        const pick = entries.find((t) => t.includes('before.austin'))!.split(':')[0];
        await tmux('send-keys', '-t', 'nvim', pick, 'Enter');
        const shown = await until('the change on audit\'s lens and its old hot line, and the comparison in the statusline', (rows) => {
          const def = rowOf(rows, 'def audit(message):');
          return def > 0 && seconds(rowText(rows[def - 1])).length > 0 && seconds(rowText(rows[def + 1])).length > 0 && rows.some((r) => rowText(r).includes('after.austin vs before.austin'));
        });
        const def = rowOf(shown, 'def audit(message):');
        const lens = rowText(shown[def - 1]);
        const hint = rowText(shown[def + 1]);
        expect(seconds(lens).some((v) => Math.abs(v - auditDelta) <= 0.006), lens).toBe(true);
        expect(lens).toContain('vs before.austin');
        expect(hint).toContain('caller = sys._getframe(1)');
        expect(seconds(hint).some((v) => Math.abs(v - lineDelta) <= 0.006), hint).toBe(true);
        // the line whose cost went away carries the improvement sign, drawn in a green
        const sign = shown[def + 1].find((s) => s.text.includes('▎'));
        expect(sign, JSON.stringify(shown[def + 1])).toBeDefined();
        const [r, g, b] = rgb(sign!.fg);
        expect(g > r && g > b, sign!.fg).toBe(true);
        save(`screen-${tag}-baseline`, shown, true);
        await tmux('send-keys', '-t', 'nvim', ':qa!', 'Enter');
      } finally {
        await tmux('kill-server').catch(() => undefined);
      }
    });
  });
});

/** A POST as the flame graph page makes it (JSON, from its own origin). */
function httpPost(url: string, body: string, origin: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    request(url, { method: 'POST', headers: { 'content-type': 'application/json', origin } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
    })
      .on('error', fail)
      .end(body);
  });
}

/** A plain HTTP GET, as a browser (or curl) would make it. */
function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    })
      .on('error', fail)
      .end();
  });
}

/** Keeps a screen as text; the PNG of all of them is made once, after the tests (test output only). */
const screens: { name: string; rows: Row[]; png: boolean }[] = [];
function save(name: string, rows: Row[], png = false): void {
  mkdirSync(OUTPUT, { recursive: true });
  writeFileSync(join(OUTPUT, `${name}.txt`), rows.map(rowText).join('\n'));
  screens.push({ name, rows, png });
}

afterAll(() => {
  if (!CHROMIUM || screens.length === 0) return;
  const html = join(OUTPUT, 'screens.html');
  writeFileSync(html, screens.map((s) => `<h3 style="font-family:sans-serif;color:#ccc;background:#000;margin:0;padding:4px">${s.name}</h3>${screenHtml(s.rows)}`).join(''));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars'];
  const size = `--window-size=1150,${screens.length * 900}`;
  spawnSync(CHROMIUM, [...flags, size, `--screenshot=${join(OUTPUT, 'screens.png')}`, `file://${html}`], { stdio: 'ignore', timeout: 60_000 });
  // one picture per screen worth showing (docs/img takes its pictures from these)
  for (const s of screens.filter((x) => x.png)) {
    const one = join(OUTPUT, `${s.name}.html`);
    writeFileSync(one, screenHtml(s.rows));
    // wide enough for the widest row (a 130-column terminal for the baseline)
    const width = Math.max(1100, Math.ceil(Math.max(...s.rows.map((r) => rowText(r).length)) * 9.1) + 24);
    spawnSync(CHROMIUM, [...flags, `--window-size=${width},860`, `--screenshot=${join(OUTPUT, `${s.name}.png`)}`, `file://${one}`], { stdio: 'ignore', timeout: 60_000 });
  }
});
