// The built `flamelens` CLI, spawned the way a user runs it, on the real recordings (answer keys
// in test/fixtures/answer-keys.md) and on small literal profiles whose numbers are worked by hand.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, ROOT, type Run } from './helpers/cli';
import { recorded } from './helpers/paths';

const EXAMPLE = join(ROOT, 'examples', 'shop');
let tmp = '';


function json(...args: string[]): { run: Run; doc: any } {
  const run = cli(...args, '--json');
  return { run, doc: JSON.parse(run.stdout) };
}

interface Entry {
  file: string;
  line: number;
  function: string;
  own: number;
  ownPercent: number;
  total: number;
  totalPercent: number;
}

const find = (entries: Entry[], file: string, line: number): Entry | undefined =>
  entries.find((e) => e.file.endsWith(file) && e.line === line);

// A hand-checked profile: 5 samples, total 1000. Sample 4 repeats app.py:20 (recursion), which
// must count once in that line's total; sample 5 has no frames (counted in the total only).
const LITERAL = [
  '# austin: 3.7.0',
  '# interval: 1000',
  '# mode: cpu',
  '',
  'P1;T0:1;/src/app.py:main:10;/src/app.py:work:20 300',
  'P1;T0:1;/src/app.py:main:10;/src/app.py:work:21 100',
  'P1;T0:1;/src/app.py:main:11 100',
  'P1;T0:2;/src/app.py:main:10;/src/app.py:work:20;/src/app.py:work:20;/src/app.py:work:22 400',
  'P1;T0:2 100',
  '',
].join('\n');

beforeAll(() => {
  // npm test has just built dist/; build only when a test file is run on its own without it
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  tmp = mkdtempSync(join(tmpdir(), 'flamelens-cli-'));
  writeFileSync(join(tmp, 'literal.austin'), LITERAL);
  mkdirSync(join(tmp, 'proj', 'src'), { recursive: true });
  writeFileSync(join(tmp, 'proj', 'src', 'app.py'), Array.from({ length: 25 }, (_, i) => `# source line ${i + 1}`).join('\n') + '\n');
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('top on a literal profile (numbers worked by hand)', () => {
  it('gives own and total per line as a share of all samples, recursion counted once', () => {
    const { run, doc } = json('top', join(tmp, 'literal.austin'), '--limit', '0');
    expect(run.status).toBe(0);
    expect(doc.schema).toBe(1);
    expect(doc.total).toBe(1000);
    const e = doc.entries as Entry[];
    expect(e.map((x) => [x.line, x.ownPercent, x.totalPercent])).toEqual([
      [22, 40, 40],
      [20, 30, 70], // 300 + 400, not 300 + 2 x 400
      [21, 10, 10], // ties keep the order of first appearance in the profile
      [11, 10, 10],
      [10, 0, 80],
    ]);
    expect(e[0].function).toBe('work');
  });

  it('ranks functions and narrows to a thread', () => {
    const byFn = json('top', join(tmp, 'literal.austin'), '--by', 'function').doc.entries as Entry[];
    expect(byFn.map((x) => [x.function, x.own, x.total])).toEqual([
      ['work', 800, 800],
      ['main', 100, 900],
    ]);
    const t2 = json('top', join(tmp, 'literal.austin'), '--tid', '2').doc;
    expect(t2.total).toBe(500); // 400 with frames + 100 frameless
    expect(t2.scope.thread.tid).toBe('2');
    expect(find(t2.entries, 'app.py', 22)?.ownPercent).toBe(80);
    expect(find(t2.entries, 'app.py', 20)?.totalPercent).toBe(80);
  });

  it('prints a readable table with absolute values in the metric unit', () => {
    const r = cli('top', join(tmp, 'literal.austin'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('total 1.00 ms');
    expect(r.stdout).toMatch(/^\s+30\.0%\s+300 µs\s+70\.0%\s+700 µs\s+\/src\/app\.py:20\s+work$/m);
  });
});

describe('top on real recordings (answer keys)', () => {
  it('austin3-cpu: workers.py:12 15.50 %, pricing.py:28 14.13 % own', () => {
    const { run, doc } = json('top', recorded('austin3-cpu.austin'));
    expect(run.status).toBe(0);
    expect(doc.metric.key).toBe('cpu');
    expect(doc.total).toBe(7876931);
    const [first, second] = doc.entries as Entry[];
    expect(first.file).toBe('/home/dev/shop/shop/workers.py');
    expect(first.line).toBe(12);
    expect(first.ownPercent).toBeCloseTo(15.5, 1);
    expect(second.file).toBe('/home/dev/shop/shop/pricing.py');
    expect(second.line).toBe(28);
    expect(second.ownPercent).toBeCloseTo(14.13, 1);
    // The percent is the absolute value over the scope total
    expect(second.ownPercent).toBeCloseTo((second.own / doc.total) * 100, 3);
  });

  it('reads MOJO the same way: austin3-cpu.mojo pricing.py:28 8.85 % own', () => {
    const { run, doc } = json('top', recorded('austin3-cpu.mojo'), '--limit', '0');
    expect(run.status).toBe(0);
    expect(doc.format).toBe('mojo');
    expect(doc.total).toBe(6615380);
    expect(find(doc.entries, 'shop/pricing.py', 28)?.ownPercent).toBeCloseTo(8.85, 1);
  });

  it('austin3-cpu by function: audit incl 20.77 %, line_total 19.49 %', () => {
    const { doc } = json('top', recorded('austin3-cpu.austin'), '--by', 'function', '--limit', '0');
    const fns = doc.entries as Entry[];
    const audit = fns.find((f) => f.function === 'audit' && f.file.endsWith('shop/inventory.py'));
    expect(audit?.totalPercent).toBeCloseTo(20.77, 1);
    const lt = fns.find((f) => f.function === 'line_total');
    expect(lt?.totalPercent).toBeCloseTo(19.49, 1);
    const sorted = json('top', recorded('austin3-cpu.austin'), '--by', 'function', '--sort', 'total', '--limit', '3').doc.entries as Entry[];
    expect(sorted).toHaveLength(3);
    expect(sorted[0].totalPercent).toBeGreaterThanOrEqual(sorted[1].totalPercent);
  });

  it('austin3-mem --metric alloc: memory.py:7 42.99 %; dealloc: memory.py:25 97.45 %', () => {
    const alloc = json('top', recorded('austin3-mem.austin'), '--metric', 'alloc').doc;
    expect(alloc.metric.unit).toBe('bytes');
    expect(alloc.total).toBe(354357248);
    expect(find(alloc.entries, 'shop/memory.py', 7)?.ownPercent).toBeCloseTo(42.99, 1);
    const dealloc = json('top', recorded('austin3-mem.austin'), '--metric', 'dealloc').doc;
    expect(find(dealloc.entries, 'shop/memory.py', 25)?.ownPercent).toBeCloseTo(97.45, 1);
    expect(cli('top', recorded('austin3-mem.austin'), '--metric', 'alloc').stdout).toContain('total 338 MiB');
  });

  it('austin3-children --pid narrows to one process', () => {
    const all = json('top', recorded('austin3-children.austin')).doc;
    expect(all.total).toBe(1098803);
    expect(find(all.entries, 'shop/pricing.py', 28)?.ownPercent).toBeCloseTo(30.88, 1);
    const info = json('info', recorded('austin3-children.austin')).doc;
    expect(info.processes).toHaveLength(3);
    const parent = info.processes.find((p: { samples: number }) => p.samples === 429);
    expect(parent).toBeDefined();
    const scoped = json('top', recorded('austin3-children.austin'), '--pid', parent.pid).doc;
    expect(scoped.scope.pid).toBe(parent.pid);
    expect(scoped.total).toBe(parent.total);
    expect(scoped.total).toBeLessThan(all.total);
    // The parent only waits for its children: the pricing loop runs in the children alone
    expect(scoped.entries[0].file).toMatch(/multiprocessing\/connection\.py$/);
    expect(scoped.entries[0].line).toBe(378);
    expect(find(scoped.entries, 'shop/pricing.py', 28)).toBeUndefined();
  });

  it('unknown metric, pid or thread: exit 2 with what exists', () => {
    const m = cli('top', recorded('austin3-cpu.austin'), '--metric', 'wall');
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/^flamelens: .*austin3-cpu\.austin: no metric 'wall'; this profile has: cpu \(CPU time\)/);
    const p = cli('top', recorded('austin3-cpu.austin'), '--pid', '1');
    expect(p.status).toBe(2);
    expect(p.stderr).toContain('processes: 12701');
    const t = cli('top', recorded('austin3-cpu.austin'), '--tid', '1');
    expect(t.status).toBe(2);
    expect(t.stderr).toContain('12901');
    expect(m.stdout + p.stdout + t.stdout).toBe('');
  });
});

describe('annotate', () => {
  it('annotates the example source recorded under /home/dev/shop, line 28 at 14.1 % own', () => {
    const r = cli('annotate', join(EXAMPLE, 'profile.austin'), join(EXAMPLE, 'shop', 'pricing.py'), '--color', 'never');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('recorded  /home/dev/shop/shop/pricing.py (matched on the last 3 path segments)');
    expect(r.stdout).toContain('hottest   own line 28 14.1%, line 27 4.9%, line 37 0.7%');
    expect(r.stdout).toMatch(/^ 14\.1%  14\.1%   28          total \+= item\.unit_price \* factor$/m);
    // A line without samples has a blank gutter; a calling line has total but no own
    expect(r.stdout).toMatch(/^ {16}25  def line_total\(item, factor\):$/m);
    expect(r.stdout).toMatch(/^ {6}  20\.5%   46          total \+= best_discount\(item\)$/m);
    expect(r.stdout).toMatch(/^\s+19\.5%\s+1\.54 s\s+19\.5%\s+1\.54 s\s+line_total\s+25\s+26-29$/m);
    expect(r.stdout).not.toContain('\x1b');
  });

  it('colours hot lines with --color always', () => {
    const r = cli('annotate', join(EXAMPLE, 'profile.austin'), join(EXAMPLE, 'shop', 'pricing.py'), '--color', 'always');
    expect(r.status).toBe(0);
    const line28 = r.stdout.split('\n').find((l) => l.includes('total += item.unit_price'));
    expect(line28).toMatch(/^\x1b\[48;5;\d+m.*\x1b\[0m$/);
    const line25 = r.stdout.split('\n').find((l) => l.includes('def line_total'));
    expect(line25).not.toContain('\x1b[48');
  });

  it('gives the same numbers as JSON, and matches a literal profile by path suffix', () => {
    const { doc } = json('annotate', join(EXAMPLE, 'profile.austin'), join(EXAMPLE, 'shop', 'pricing.py'));
    expect(doc.recorded).toBe('/home/dev/shop/shop/pricing.py');
    expect(doc.matchedSegments).toBe(3);
    expect(doc.sourceLines).toBe(58);
    expect(doc.lines.find((l: { line: number }) => l.line === 28).ownPercent).toBeCloseTo(14.13, 1);
    // Austin records no definition lines: they come from the Python source (`def line_total` is line 25)
    expect(doc.functions.find((f: { name: string }) => f.name === 'line_total')).toMatchObject({ defLine: 25, firstLine: 26, lastLine: 29 });

    const lit = cli('annotate', join(tmp, 'literal.austin'), join(tmp, 'proj', 'src', 'app.py'), '--color', 'never');
    expect(lit.status).toBe(0);
    expect(lit.stdout).toContain('recorded  /src/app.py (matched on the last 2 path segments)');
    expect(lit.stdout).toMatch(/^ 30\.0%  70\.0%   20  # source line 20$/m);
    expect(lit.stdout).toMatch(/^ {6}  80\.0%   10  # source line 10$/m);
    expect(lit.stdout).toMatch(/^\s+80\.0%\s+800 µs\s+80\.0%\s+800 µs\s+work\s+20-22$/m);
  });

  it('says where past-the-end lines went, and lists recorded files when nothing matches', () => {
    // app.py cut to 15 lines: the profile's lines 20-22 lie beyond its end
    const short = join(tmp, 'short', 'src', 'app.py');
    mkdirSync(join(tmp, 'short', 'src'), { recursive: true });
    writeFileSync(short, Array.from({ length: 15 }, (_, i) => `# ${i + 1}`).join('\n') + '\n');
    const r = cli('annotate', join(tmp, 'literal.austin'), short, '--color', 'never');
    expect(r.stdout).toMatch(/lines past the end of .*app\.py \(15 lines\)/);
    expect(r.stdout).toMatch(/^ 40\.0%  40\.0%   22$/m);

    const none = cli('annotate', join(EXAMPLE, 'profile.austin'), join(tmp, 'literal.austin'));
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^flamelens: .*profile\.austin: no frames for .*literal\.austin; recorded source files include: /);
    expect(none.stderr).toContain('/home/dev/shop/shop/');
  });
});

describe('info', () => {
  it('lists format, metrics, processes and threads with sample counts', () => {
    const { run, doc } = json('info', recorded('austin3-cpu.austin'));
    expect(run.status).toBe(0);
    expect(doc.format).toBe('austin-text');
    expect(doc.meta.mode).toBe('cpu');
    expect(doc.defaultMetric).toBe('cpu');
    expect(doc.metrics.map((m: { key: string }) => m.key)).toEqual(['cpu', 'samples']);
    expect(doc.processes).toHaveLength(1);
    expect(doc.processes[0].threads).toHaveLength(5);
    expect(doc.processes[0].samples).toBe(5600);
    const text = cli('info', recorded('austin3-cpu.austin')).stdout;
    expect(text).toContain('read problems  none');
    expect(text).toMatch(/cpu\s+CPU time\s+total 7\.88 s\s+\(default\)/);
  });
});

describe('errors and exit codes', () => {
  it('unknown format: exit 2, one message naming the file', () => {
    const f = join(tmp, 'notes.austin');
    writeFileSync(f, 'hello, this is not a profile\n');
    const r = cli('top', f);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^flamelens: .*notes\.austin: unknown profile format.*\n$/);
    expect(r.stderr.startsWith(`flamelens: ${f}: `)).toBe(true);
    expect(r.stderr.split('\n')).toHaveLength(2); // one line
    expect(r.stdout).toBe('');
  });

  it('missing file: exit 2', () => {
    const f = join(tmp, 'missing.austin');
    const r = cli('top', f);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`flamelens: ${f}: cannot open: ENOENT\n`);
    expect(cli('annotate', recorded('austin3-cpu.austin'), join(tmp, 'missing.py')).status).toBe(2);
  });

  it('truncated mid-line: results from what was read, the line and byte on stderr, exit 1', () => {
    const whole = readFileSync(recorded('austin3-cpu.austin'));
    // Cut in the middle of a sample line about halfway through
    const nl = whole.indexOf(10, whole.length >> 1);
    const cut = nl - 7;
    const lineStart = whole.lastIndexOf(10, cut - 1) + 1;
    let lineNo = 1;
    for (let i = 0; i < lineStart; i++) if (whole[i] === 10) lineNo++;
    const f = join(tmp, 'cut.austin');
    writeFileSync(f, whole.subarray(0, cut));
    const r = cli('top', f, '--json');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`flamelens: ${f}: `);
    expect(r.stderr).toContain(`line ${lineNo} (byte ${lineStart})`);
    const doc = JSON.parse(r.stdout);
    expect(doc.entries.length).toBeGreaterThan(0);
    expect(doc.total).toBeGreaterThan(0);
    expect(doc.total).toBeLessThan(7876931);
    expect(doc.issues[0]).toMatchObject({ line: lineNo, offset: lineStart });
  });

  it('a corrupt record in the middle: the rest still counts, exit 1 naming the line', () => {
    const lines = readFileSync(recorded('austin3-cpu.austin'), 'latin1').split('\n');
    const at = 2000; // 1-based line 2001 becomes garbage
    lines.splice(at, 0, 'this line is not a sample');
    const f = join(tmp, 'corrupt.austin');
    writeFileSync(f, Buffer.from(lines.join('\n'), 'latin1'));
    const r = cli('top', f, '--json');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^flamelens: .*corrupt\\.austin: .*line ${at + 1}\\b`));
    const doc = JSON.parse(r.stdout);
    expect(doc.total).toBe(7876931); // the garbage line carried no sample; nothing else was lost
  });

  it('usage errors: exit 2; --help and --version: exit 0', () => {
    expect(cli('frobnicate').status).toBe(2);
    expect(cli('top').status).toBe(2);
    expect(cli('top', recorded('austin3-cpu.austin'), '--by', 'file').status).toBe(2);
    expect(cli('top', recorded('austin3-cpu.austin'), '--limit', 'x').status).toBe(2);
    expect(cli('top', recorded('austin3-cpu.austin'), '--nope').status).toBe(2);
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('flamelens annotate PROFILE SOURCE');
    expect(help.stdout).toMatch(/Formats: .*austin-text/);
    expect(cli('top', '--help').stdout).toContain('--by line|function');
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(cli('--version').stdout).toBe(`${version}\n`);
  });
});

describe('flamegraph (the built binary)', () => {
  it('writes one self-contained HTML file: the page script inline, the data inline, a CSP with no network', () => {
    const out = join(tmp, 'cpu.html');
    const r = cli('flamegraph', recorded('austin3-cpu.austin'), '-o', out);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^wrote .*cpu\.html \(817 frames, \d+ KiB\)\n$/);
    const html = readFileSync(out, 'utf8');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)![1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).not.toMatch(/unsafe|https?:/);
    // no src= or href= anywhere: nothing to load
    expect(html).not.toMatch(/\s(src|href)=/);
    const data = JSON.parse(/<script type="application\/json" id="flame-data">(.*?)<\/script>/s.exec(html)![1]);
    expect(data.profile).toBe('austin3-cpu.austin');
    expect(data.graph.total).toBe(7876931); // answer key: Σ 7,876,931 µs
    expect(data.graph.metric.key).toBe('cpu');
    expect(data.graph.n.depth).toHaveLength(817);
  });

  it('takes --metric and refuses unknown ones like the other commands', () => {
    const r = cli('flamegraph', recorded('austin3-mem.austin'), '--metric', 'dealloc');
    expect(r.status).toBe(0);
    const data = JSON.parse(/<script type="application\/json" id="flame-data">(.*?)<\/script>/s.exec(r.stdout)![1]);
    expect(data.graph.total).toBe(335908864); // answer key: Σ negative deltas 335,908,864 B
    const bad = cli('flamegraph', recorded('austin3-mem.austin'), '--metric', 'cpu');
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/no metric 'cpu'/);
    expect(cli('flamegraph', '--help').stdout).toContain('-o, --output FILE');
  });
});
