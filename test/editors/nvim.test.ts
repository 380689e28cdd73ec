// The Neovim plugin (clients/nvim) in real headless Neovim: 0.7.2 (Debian's package, /usr/bin/nvim)
// and 0.10.x (Debian 13's, unpacked into .cache/nvim010 by scripts/setup-nvim.sh). Each run opens
// shop/pricing.py in a temporary workspace holding a real Austin recording; test/editors/nvim/probe.lua
// reads back what Neovim displays (extmarks, vim.lsp.inlay_hint.get(), code lenses, the hover float,
// the quickfix list), drives :Flamelens, and writes a JSON report that this file checks against
// numbers worked out here from the raw recording.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { recorded, WORKLOADS } from '../helpers/paths';
import { parseScreen, type Row, rowText, screenHtml } from './nvim/terminal';

const REPO = resolve(__dirname, '..', '..');
const PLUGIN = join(REPO, 'clients', 'nvim');
const SERVER = join(REPO, 'dist', 'flamelens.js');
const PROBE_DIR = join(__dirname, 'nvim');
const PROFILE = 'austin3-cpu.austin';
const RECORDED_UNDER = '/home/dev/shop/';

// each installs the plugin a different way: a start package that is a symlink to clients/nvim, or
// clients/nvim on the runtimepath
const NEOVIMS = [
  { name: 'Neovim 0.7 (Debian package), plugin as a start package', bin: '/usr/bin/nvim', version: /^0\.7\./, install: 'pack' },
  { name: 'Neovim 0.10 (.cache/nvim010), plugin on the runtimepath', bin: join(REPO, '.cache', 'nvim010', 'nvim'), version: /^0\.10\./, install: 'rtp' },
].map((n) => ({ ...n, installed: existsSync(n.bin) }));

// ---- the answer, from the raw file -------------------------------------------------------------

interface Sample {
  /** `T<iid>:<tid>` as recorded. */
  thread: string;
  value: number;
  frames: { file: string; name: string; line: number }[];
}

/** Austin text samples; a record split over several physical lines (a real quirk) is joined again. */
function austinSamples(file: string): Sample[] {
  const records: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('P')) records.push(line);
    else if (line !== '' && !line.startsWith('#') && records.length > 0) records[records.length - 1] += `\n${line}`;
  }
  return records.map((record) => {
    const m = / (-?\d+)$/.exec(record)!;
    const frames = record
      .slice(0, m.index)
      .split(';')
      .slice(2)
      .map((f) => {
        const parts = /^(.*):([^:]*):(\d*)$/s.exec(f);
        return parts ? { file: parts[1], name: parts[2], line: Number(parts[3]) } : { file: '', name: f, line: 0 };
      });
    return { thread: record.slice(0, m.index).split(';')[1], value: Number(m[1]), frames };
  });
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
  initial: Display & { hint_lines: number[]; heat_line1: string[]; hover: string[]; statusline: string; profile: string };
  scope_menu: Menu | null;
  thread: Display & { statusline: string };
  profile_menu: Menu | null;
  other: Display & { hover: string[] };
  metric_menu: (Menu & { items: { key: string; active: boolean }[] }) | null;
  samples: Display & { hover: string[] };
  previous_metric: string | null;
  toggled_off: Display;
  callers: { title: string; items: { text: string; lnum: number; file: string }[] };
  edited: { hint: string; heat: string[]; hint_lines: number[] };
  health: string[];
  completion: { subcommands: string[]; metrics: string[] };
  messages: string[];
  lens_jump: { line: number; file: string };
  notifications: { msg: string; level: number }[];
  total_ms: number;
  lsp_log_tail?: string[];
  at_failure?: Display | string;
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
  const env: NodeJS.ProcessEnv = {
    ...process.env,
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
  it('has at least one Neovim to test (scripts/setup-nvim.sh installs both)', () => {
    const missing = NEOVIMS.filter((n) => !n.installed).map((n) => `${n.name} at ${n.bin}`);
    expect(NEOVIMS.some((n) => n.installed), `no Neovim installed (missing: ${missing.join(', ')}); run scripts/setup-nvim.sh`).toBe(true);
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
      const [total, own] = percents(r.initial.hint);
      expect(total, r.initial.hint).toBeCloseTo(cpu.line28, 1);
      expect(own, r.initial.hint).toBeCloseTo(cpu.own28, 1);
      expect(r.initial.hint_lines).toContain(27);

      // the lens above `def line_total` gives its total and names the caller
      const lens = r.initial.lenses.join('\n');
      expect(near(lens, cpu.lineTotal), lens).toBe(true);
      expect(lens).toContain('best_discount');

      // line heat: an extmark highlight on line 28 only where the server sent heat
      expect(r.initial.heat).toHaveLength(1);
      expect(r.initial.heat[0]).toMatch(/^FlamelensHeat[1-5]$/);
      expect(r.initial.heat_percent).toBeCloseTo(cpu.line28, 1);
      expect(r.initial.heat_line1).toEqual([]);

      // the hover float on line 28: the breakdown with own and total under the metric
      const hover = r.initial.hover.join('\n');
      expect(hover).toMatch(/line 28/);
      expect(hover).toMatch(/total/i);
      expect(hover).toMatch(/own/i);
      expect(hover).toMatch(/CPU time/);
      expect(near(hover, cpu.line28), hover).toBe(true);
      expect(r.initial.statusline).toContain(PROFILE);

      // <Tab> completes subcommands, and metric keys as the server lists them
      expect(r.completion.subcommands).toEqual(['profile', 'metric', 'scope', 'toggle', 'callers']);
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

      // running the caller lens `→ best_discount` opens the hottest call site
      expect(r.lens_jump).toEqual({ line: first.lnum, file: first.file });

      // three lines inserted above line 28 move every hint below them down by three
      expect(r.edited.hint).toBe(r.initial.hint);
      expect(r.edited.heat).toEqual(r.initial.heat);
      expect(r.edited.hint_lines).toEqual(r.initial.hint_lines.map((l) => (l >= 25 ? l + 3 : l)));

      // :checkhealth flamelens
      const health = r.health.join('\n');
      expect(health).toMatch(/OK:? node v\d+/);
      expect(health).toContain(`server file: ${SERVER}`);
      expect(health).toMatch(/OK:? client \d+, root /);
      expect(health).toContain(`active: ${join(workspace, PROFILE)}`);
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
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const OUTPUT = join(REPO, 'test', 'output', 'nvim');
// heat.lua's tints for a dark 'background' (the default), FlamelensHeat1..5
const DARK_HEAT = ['#2a2220', '#372521', '#462821', '#572b20', '#6a2e1d'];

/** The first background colour on a row (where the line's text starts). */
const rowBackground = (row: Row) => row.find((s) => s.text.trim() !== '')?.bg;

describe('Neovim plugin in a real terminal (tmux)', () => {
  NEOVIMS.forEach((nvim, index) => {
    const ready = nvim.installed && HAS_TMUX;
    it.skipIf(!ready)(`${nvim.name}: the screen${ready ? '' : ' [needs tmux and this Neovim: run scripts/setup-nvim.sh]'}`, async () => {
      const { workspace, env } = makeWorkspace(nvim.install);
      const tmux = (...args: string[]) => run('tmux', ['-L', `flamelens-nvim-${process.pid}-${index}`, '-f', '/dev/null', ...args], { env });
      const screen = async () => parseScreen((await tmux('capture-pane', '-e', '-p', '-N', '-t', 'nvim')).stdout);
      // A terminal tells nobody when text was drawn: poll the screen until it shows what is expected.
      const until = async (what: string, ok: (rows: Row[]) => boolean): Promise<Row[]> => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const rows = await screen();
          if (ok(rows)) return rows;
          if (Date.now() > deadline) throw new Error(`the screen never showed ${what}:\n${rows.map(rowText).join('\n')}`);
          await new Promise((done) => setTimeout(done, 100));
        }
      };
      const nvimCmd = `${nvim.bin} --clean -u ${join(PROBE_DIR, 'init.lua')} --cmd 'set termguicolors' shop/pricing.py`;
      await tmux('new-session', '-d', '-s', 'nvim', '-x', '120', '-y', '45', '-c', workspace, nvimCmd);
      try {
        const first = await until(`the ${shown(cpu.line28)} hint on line 28 and the lens on line 25`, (rows) =>
          rowText(rows[27]).includes(`factor ${shown(cpu.line28)}`) && rowText(rows[24]).includes(shown(cpu.lineTotal)));
        expect(rowText(first[27])).toMatch(/^ {8}total \+= item\.unit_price \* factor +\d+\.\d% · own \d+\.\d%/);
        expect(rowText(first[24])).toMatch(/^def line_total\(item, factor\):.*callers: best_discount/);
        // line heat: line 28 carries one of the tints, the module docstring none
        expect(DARK_HEAT).toContain(rowBackground(first[27]));
        expect(DARK_HEAT).not.toContain(rowBackground(first[0]));
        save(`screen-${nvim.version.source.replace(/\W/g, '')}-cpu`, first);

        // a refresh-driven change must reach the screen too (0.10 alone would keep the old hint)
        await tmux('send-keys', '-t', 'nvim', ':Flamelens metric samples', 'Enter');
        const samples = await until(`the ${shown(count.line28)} hint after :Flamelens metric samples`, (rows) =>
          rowText(rows[27]).includes(`factor ${shown(count.line28)}`) && rowText(rows[24]).includes(shown(count.lineTotal)));
        save(`screen-${nvim.version.source.replace(/\W/g, '')}-samples`, samples);

        // typing a line above `def line_total` (InsertLeave, TextChanged as a user fires them)
        await tmux('send-keys', '-t', 'nvim', ':24', 'Enter', 'o# typed here', 'Escape');
        const edited = await until('the hint and lens one line lower after typing a line above them', (rows) =>
          rowText(rows[28]).includes(`factor ${shown(count.line28)}`) && rowText(rows[25]).includes(shown(count.lineTotal)));
        expect(rowText(edited[24]).trimEnd()).toBe('# typed here');
        expect(DARK_HEAT).toContain(rowBackground(edited[28]));

        await tmux('send-keys', '-t', 'nvim', ':qa!', 'Enter');
      } finally {
        await tmux('kill-server').catch(() => undefined);
      }
    });
  });
});

/** Keeps a screen as text; the PNG of all of them is made once, after the tests (test output only). */
const screens: { name: string; rows: Row[] }[] = [];
function save(name: string, rows: Row[]): void {
  mkdirSync(OUTPUT, { recursive: true });
  writeFileSync(join(OUTPUT, `${name}.txt`), rows.map(rowText).join('\n'));
  screens.push({ name, rows });
}

afterAll(() => {
  if (!CHROMIUM || screens.length === 0) return;
  const html = join(OUTPUT, 'screens.html');
  writeFileSync(html, screens.map((s) => `<h3 style="font-family:sans-serif;color:#ccc;background:#000;margin:0;padding:4px">${s.name}</h3>${screenHtml(s.rows)}`).join(''));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars'];
  const size = `--window-size=1150,${screens.length * 900}`;
  spawnSync(CHROMIUM, [...flags, size, `--screenshot=${join(OUTPUT, 'screens.png')}`, `file://${html}`], { stdio: 'ignore', timeout: 60_000 });
});
