/**
 * The full-size cases of issues 17.4 and 18.1: one Austin text profile of 1 M distinct stacks
 * (about 124 MB; functions g<i> in one source file). The built server loads it; measured: load
 * time, the first hover (it died of heap exhaustion on it before the caps), hover size, lenses and
 * hints (capped), resident memory now and at peak; then the CLI's `info` on the same file (94 s and
 * 4.6 GB before it summed per thread in one pass).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeLens, Hover, InlayHint } from 'vscode-languageserver-protocol';
import { SpawnedServer } from './spawned-server';

export const HUGE_STACKS = 1_000_000;
const LINES = 300;

/** The workspace: app/src/c.py (LINES + a few lines) and huge.austin, built once. */
export function buildHugeWorkspace(parent: string, stacks = HUGE_STACKS): { dir: string; profile: string; source: string; bytes: number } {
  const dir = join(parent, `huge-ws-${stacks}`);
  const profile = join(dir, 'huge.austin');
  const source = join(dir, 'app', 'src', 'c.py');
  const done = join(dir, '.done');
  if (!existsSync(done)) {
    mkdirSync(join(dir, 'app', 'src'), { recursive: true });
    const src = ['def main():', '    for i in range(10**6):', '        dispatch(i)', ''];
    for (let k = src.length; k < LINES + 10; k++) src.push(`    step_${k} = ${k}  # a line a function g<i> may be recorded on`);
    writeFileSync(source, src.join('\n') + '\n');
    const fd = openSync(profile, 'w');
    try {
      writeSync(fd, '# austin: 3.7.0\n# interval: 100\n# mode: wall\n\n');
      const f = '/app/src/c.py';
      for (let i = 0; i < stacks; i += 10_000) {
        const lines: string[] = [];
        for (let k = i; k < Math.min(stacks, i + 10_000); k++) {
          lines.push(`P4242;T0:4242;${f}:<module>:1;${f}:main:3;${f}:g${k}:${5 + (k % LINES)};${f}:leaf_of_every_call:2 ${100 + (k % 7)}`);
        }
        writeSync(fd, lines.join('\n') + '\n');
      }
    } finally {
      closeSync(fd);
    }
    writeFileSync(done, '');
  }
  return { dir, profile, source, bytes: statSync(profile).size };
}

export interface HugeProfileResult {
  bytes: number;
  stacks: number;
  loadMs: number;
  firstHoverMs: number;
  hoverBytes: number;
  /** Functions named in the hover, and the count of the rest it gives. */
  hoverFunctions: number;
  hints: number;
  lenses: number;
  lensMs: number;
  rssAfterLoadMiB: number;
  rssAfterRequestsMiB: number;
  peakRssMiB: number;
  survived: boolean;
  info: { ms: number; peakRssMiB: number; exitCode: number | null; firstLine: string };
}

/** Peak resident memory of a process so far (VmHWM). */
function peakMiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Runs a command to its end, sampling its peak RSS until it exits. */
function timed(cmd: string, args: string[]): Promise<{ ms: number; peakRssMiB: number; exitCode: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let peak = 0;
    let stdout = '';
    p.stdout!.on('data', (d: Buffer) => {
      if (stdout.length < 1 << 16) stdout += d.toString();
    });
    const timer = setInterval(() => (peak = Math.max(peak, peakMiB(p.pid!) || 0)), 100);
    p.on('exit', (code) => {
      clearInterval(timer);
      resolve({ ms: Date.now() - t0, peakRssMiB: peak, exitCode: code, stdout });
    });
  });
}

export async function runHugeProfile(bin: string, parent: string, stacks = HUGE_STACKS): Promise<HugeProfileResult> {
  const ws = buildHugeWorkspace(parent, stacks);
  const s = new SpawnedServer({ bin, folders: [ws.dir], keep: true });
  let survived = true;
  let peak = 0;
  const peakTimer = setInterval(() => (peak = Math.max(peak, peakMiB(s.pid) || 0)), 200);
  try {
    const t0 = Date.now();
    await s.initialize();
    await s.waitFor((r) => r.method === 'flamelens/status' && !(r.params as { loading: boolean }).loading && !!(r.params as { metric?: string }).metric, 600_000, 'the huge profile loaded');
    const loadMs = Date.now() - t0;
    const rssAfterLoadMiB = s.rssMiB();
    const uri = pathToFileURL(ws.source).href;
    await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: readFileSync(ws.source, 'utf8') } });
    // the line most functions are recorded on (g<i> at 5 + i mod 300: line 5 holds one in 300 of them)
    let t = Date.now();
    const hover = await s.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 4, character: 4 } });
    const firstHoverMs = Date.now() - t;
    const text = hover ? (typeof hover.contents === 'string' ? hover.contents : ((hover.contents as { value: string }).value ?? '')) : '';
    const hints = await s.conn.sendRequest<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: LINES + 20, character: 0 } } });
    t = Date.now();
    const lenses = await s.conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    const lensMs = Date.now() - t;
    for (let line = 0; line < 40; line++) await s.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character: 4 } });
    const rssAfterRequestsMiB = s.rssMiB();
    clearInterval(peakTimer);
    peak = Math.max(peak, peakMiB(s.pid) || 0);
    return {
      bytes: ws.bytes,
      stacks,
      loadMs,
      firstHoverMs,
      hoverBytes: Buffer.byteLength(text),
      hoverFunctions: (text.match(/`g\d+`|\bg\d+\b/g) ?? []).length,
      hints: hints.length,
      lenses: lenses.length,
      lensMs,
      rssAfterLoadMiB,
      rssAfterRequestsMiB,
      peakRssMiB: peak,
      survived: s.exitCode === undefined,
      info: await (async () => {
        const r = await timed(process.execPath, [bin, 'info', ws.profile]);
        return { ms: r.ms, peakRssMiB: r.peakRssMiB, exitCode: r.exitCode, firstLine: r.stdout.split('\n').find((l) => l.trim()) ?? '' };
      })(),
    };
  } catch (e) {
    survived = s.exitCode === undefined;
    throw new Error(`${(e as Error).message}; the server ${survived ? 'is alive' : `exited with ${s.exitCode}`}; stderr: ${s.stderr.slice(-400)}`);
  } finally {
    clearInterval(peakTimer);
    await s.stop();
  }
}

export function printHugeProfile(r: HugeProfileResult, log: (l: string) => void = console.log): void {
  log(`\none profile of ${r.stacks.toLocaleString('en-US')} distinct stacks (${(r.bytes / 1e6).toFixed(0)} MB of Austin text):`);
  log(`  server: loaded in ${(r.loadMs / 1000).toFixed(1)} s, RSS ${r.rssAfterLoadMiB.toFixed(0)} MiB; first hover ${r.firstHoverMs} ms (${r.hoverBytes} bytes, ${r.hoverFunctions} functions named); ${r.hints} hints; ${r.lenses} lenses in ${r.lensMs} ms`);
  log(`  after 40 more hovers: RSS ${r.rssAfterRequestsMiB.toFixed(0)} MiB; peak RSS ${r.peakRssMiB.toFixed(0)} MiB; ${r.survived ? 'the server is alive' : 'the server DIED'}`);
  log(`  CLI info: ${(r.info.ms / 1000).toFixed(1)} s, peak RSS ${r.info.peakRssMiB.toFixed(0)} MiB, exit ${r.info.exitCode}: ${r.info.firstLine.slice(0, 100)}`);
}
