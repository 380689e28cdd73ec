// The command line where scripts and CI use it: every byte through a slow pipe, profile text made
// inert on a terminal, profiles from standard input and gzip, and errors that name the real
// problem in one line with the documented exit code. The built bin is spawned as a user runs it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorded } from './helpers/paths';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'dist', 'flamelens.js');
let tmp = '';

beforeAll(() => {
  if (!existsSync(BIN)) spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  tmp = mkdtempSync(join(tmpdir(), 'flamelens-cli-pipes-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI with stdout into a pipe read slowly (a reader that pauses between chunks), feeding `input` to stdin. */
function slowPipe(args: string[], input?: Buffer): Promise<{ code: number | null; out: Buffer; err: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      chunks.push(d);
      p.stdout.pause();
      setTimeout(() => p.stdout.resume(), 2);
    });
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => done({ code, out: Buffer.concat(chunks), err }));
    if (input) p.stdin.end(input);
    else p.stdin.end();
  });
}

const run = (args: string[], input?: Buffer) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 1 << 28 });

describe('output through a slow pipe arrives whole', () => {
  const pytest = recorded('austin3-pytest.austin');
  // 30,000 distinct lines: several MB of output (the real recordings give at most a few hundred KB)
  let wide = '';
  beforeAll(() => {
    wide = join(tmp, 'wide.austin');
    const lines = ['# austin: 3.7.0', '# mode: wall', ''];
    for (let i = 0; i < 30_000; i++) lines.push(`P1;T0:1;/app/main.py:main:1;/app/mod${i % 7}.py:function_${i}:${i + 1} ${100 + (i % 97)}`);
    writeFileSync(wide, lines.join('\n') + '\n');
  });

  it('top --limit 0 --json (over 1 MB), parsed', async () => {
    const r = await slowPipe(['top', wide, '--limit', '0', '--json']);
    expect(r.code).toBe(0);
    expect(r.out.length).toBeGreaterThan(1 << 20);
    const doc = JSON.parse(r.out.toString('utf8'));
    expect(doc.entries.length).toBe(doc.count);
  });

  it('top text, annotate text and info JSON: the same bytes as written to a file', async () => {
    const inspect = '/usr/lib/python3.11/inspect.py';
    const cases: string[][] = [['top', wide, '--limit', '0', '--by', 'function'], ['info', pytest, '--json']];
    if (existsSync(inspect)) cases.push(['annotate', pytest, inspect, '--color', 'never']);
    for (const args of cases) {
      const piped = await slowPipe(args);
      const file = join(tmp, 'out.txt');
      const direct = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" "$@" > "${file}"`, 'sh', ...args], { cwd: ROOT });
      expect(direct.status, args.join(' ')).toBe(piped.code);
      expect(piped.out.equals(readFileSync(file)), args.join(' ')).toBe(true);
    }
    const big = await slowPipe(['top', wide, '--limit', '0', '--by', 'function']);
    expect(big.out.length).toBeGreaterThan(1 << 20);
  });
});

describe('names, paths and thread ids from a profile reach the terminal inert', () => {
  const ESC = '\x1b';
  const hostile = [
    '# austin: 3.7.0',
    '# mode: cpu',
    '',
    `P1;T0:7${ESC}[32m;/app/a${ESC}]0;owned\x07.py:clear${ESC}[2J:10;/app/b\r.py:ret\x00urn:20 300`,
    `P1;T0:7${ESC}[32m;/app/a${ESC}]0;owned\x07.py:clear${ESC}[2J:11 100`,
    '',
  ].join('\n');
  it('top, info and annotate contain none of the raw bytes and still show each name', () => {
    const f = join(tmp, 'hostile.austin');
    writeFileSync(f, hostile);
    writeFileSync(join(tmp, 'a.py'), 'x = 1\n'.repeat(30));
    for (const args of [['top', f], ['top', f, '--by', 'function'], ['info', f]]) {
      const r = run(args);
      expect(r.status, r.stderr).toBe(0);
      // eslint-disable-next-line no-control-regex
      expect(r.stdout, args.join(' ')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
      expect(r.stdout).toMatch(/clear\\x1b\[2J|7\\x1b\[32m/);
    }
    const fn = run(['top', f, '--by', 'function']).stdout;
    expect(fn).toContain('clear\\x1b[2J');
    expect(fn).toContain('ret\\x00urn');
    expect(run(['info', f]).stdout).toContain('7\\x1b[32m');
    // the OSC title sequence (its `;` splits the frame) is shown escaped, not sent
    expect(run(['top', f, '--by', 'function']).stdout).toContain('\\x1b]0');
  });
});

describe('input it takes', () => {
  it('reads Austin text and MOJO from standard input (-), the same as from the file', () => {
    for (const name of ['austin3-cpu.austin', 'austin3-cpu.mojo']) {
      const fromFile = JSON.parse(run(['top', recorded(name), '--json']).stdout);
      const r = run(['top', '-', '--json'], readFileSync(recorded(name)));
      expect(r.status, r.stderr).toBe(0);
      const fromStdin = JSON.parse(r.stdout);
      expect(fromStdin.entries).toEqual(fromFile.entries);
      expect(fromStdin.total).toBe(fromFile.total);
      expect(fromStdin.profile).toBe('(standard input)');
    }
  });

  it('reads gzip-compressed profiles directly (.austin.gz, a gzipped MOJO)', () => {
    for (const name of ['austin3-cpu.austin', 'austin3-cpu.mojo']) {
      const gz = join(tmp, `${name}.gz`);
      writeFileSync(gz, gzipSync(readFileSync(recorded(name))));
      const a = JSON.parse(run(['top', gz, '--json']).stdout);
      const b = JSON.parse(run(['top', recorded(name), '--json']).stdout);
      expect(a.entries).toEqual(b.entries);
      // and through a pipe
      expect(JSON.parse(run(['top', '-', '--json'], readFileSync(gz)).stdout).entries).toEqual(b.entries);
    }
  });

  it('reads a 1 GB stream from standard input in bounded memory', async () => {
    // a generator process writes 1 GB of Austin text into the CLI's stdin; the CLI's peak RSS stays small
    const script = `
      const line = (n) => 'P1;T0:1;/app/a.py:main:1;/app/a.py:f' + (n % 2000) + ':' + (n % 300 + 2) + ' 100\\n';
      process.stdout.write('# austin: 3.7.0\\n# mode: wall\\n\\n');
      let n = 0, written = 0;
      const more = () => { let ok = true; while (ok && written < 1024 * 1048576) { let s = ''; for (let i = 0; i < 5000; i++) s += line(n++); written += s.length; ok = process.stdout.write(s); } if (written < 1024 * 1048576) process.stdout.once('drain', more); };
      more();`;
    const r = spawnSync('sh', ['-c', `"${process.execPath}" -e "$0" | /usr/bin/time -f %M "${process.execPath}" "${BIN}" top - --json --limit 3`, script], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.total).toBeGreaterThan(0);
    const maxRssKb = Number(r.stderr.trim().split('\n').pop());
    expect(maxRssKb).toBeLessThan(400 * 1024);
  }, 120_000);
});

describe('errors name the real problem, in one line, with the documented exit code', () => {
  const cases: { args: string[]; input?: Buffer; code: number; match: RegExp }[] = [
    { args: [], code: 2, match: /^flamelens: no command given; commands: top, annotate, diff, info, flamegraph/ },
    { args: ['top'], code: 2, match: /^flamelens: top: expected PROFILE, got nothing/ },
    { args: ['top', recorded('austin3-cpu.austin'), '--bogus'], code: 2, match: /^flamelens: top: unknown option --bogus; options: / },
    { args: ['top', recorded('austin3-cpu.austin'), '--limit', '-3'], code: 2, match: /^flamelens: top: --limit needs a value/ },
    { args: ['top', recorded('austin3-cpu.austin'), '--limit=-3'], code: 2, match: /^flamelens: --limit must be a whole number/ },
    { args: ['top', recorded('austin3-cpu.austin'), '--json=yes'], code: 2, match: /^flamelens: top: --json takes no value/ },
    { args: ['top', '/nonexistent.austin'], code: 2, match: /^flamelens: \/nonexistent\.austin: cannot open: ENOENT/ },
    { args: ['top', '-'], input: Buffer.alloc(0), code: 2, match: /^flamelens: \(standard input\): the file is empty/ },
    { args: ['top', '-'], input: Buffer.from('MOJ\x03\xff\xff\xff\xff\xff'), code: 2, match: /^flamelens: \(standard input\): .*byte/ },
    { args: ['top', '-'], input: Buffer.from('hello world\n'), code: 2, match: /unknown profile format/ },
  ];
  for (const c of cases) {
    it(`${c.args.join(' ') || '(no arguments)'}${c.input ? ` < ${JSON.stringify(c.input.toString('latin1').slice(0, 12))}` : ''}`, () => {
      const r = run(c.args, c.input);
      expect(r.status).toBe(c.code);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(c.match);
      // never a message about a metric the user did not ask for
      expect(r.stderr).not.toMatch(/no metric 'samples'/);
    });
  }

  it('a MOJO file with a header and no samples: an empty table that says so, exit 0', () => {
    const r = run(['top', '-'], Buffer.from('MOJ\x03'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/no samples with frames/);
    expect(r.stderr).not.toMatch(/no metric/);
  });

  it('info on a .cpuprofile says what its lines hold, in words, and no internal keys', () => {
    const r = run(['info', recorded('node-cpu.cpuprofile')]);
    expect(r.stdout).not.toContain('flamelens.');
    expect(r.stdout).toMatch(/own values only/);
  });

  it('folded stacks name their metric once', () => {
    expect(run(['top', recorded('perf-c.folded')]).stdout).not.toMatch(/samples \(weight\) \(samples\)/);
  });
});

describe('the CI recipe of docs/cli.md', () => {
  it('fails the step on a real test-suite profile (audit 76.59 %), through a pipe, with its message', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
    const recipe = /The same without jq:\n\n```sh\n([\s\S]*?)```/.exec(doc)![1];
    const script = recipe.replaceAll('npx flamelens', `"${process.execPath}" "${BIN}"`).replaceAll('profile.austin', recorded('austin3-pytest.austin'));
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${script}`], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^audit: 76\.\d+% of CPU time \(limit 5%\)/);
    // and passes on a profile where audit is cheap enough
    const ok = spawnSync('bash', ['-c', `set -o pipefail; ${script.replaceAll(recorded('austin3-pytest.austin'), recorded('austin3-children.austin'))}`], { cwd: ROOT, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
  });
});
