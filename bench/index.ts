/**
 * `npm run bench`: reader throughput against a plain newline count of the same bytes, peak RSS,
 * and (when present) the language server's request latency. Inputs are built from the real
 * recordings in test/fixtures. Sizes: FLAMELENS_BENCH_MB (default "200,1000").
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measure, type ChildResult } from './child';
import { austinText, mojo, type Input } from './inputs';

const ROOT = resolve(__dirname, '..');
const rec = (name: string) => join(ROOT, 'test', 'fixtures', 'recorded', name);

function runChild(path: string): ChildResult {
  const out = execFileSync(process.execPath, [__filename, '--child', path], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

function row(label: string, r: ChildResult): string {
  const mb = r.bytes / 1e6;
  const mbs = mb / (r.readMs / 1000);
  const sps = r.samples / (r.readMs / 1000);
  const ratio = r.readMs / r.baselineMs;
  return [
    label.padEnd(34),
    `${mb.toFixed(0).padStart(5)} MB`,
    `${mbs.toFixed(0).padStart(5)} MB/s`,
    `${(sps / 1e6).toFixed(2).padStart(6)} M samples/s`,
    `x${ratio.toFixed(1).padStart(5)} newline count`,
    `peak RSS ${r.maxRssMiB.toFixed(0).padStart(5)} MiB`,
    `${r.stacks.toLocaleString('en-US').padStart(10)} tree nodes`,
  ].join('  ');
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    process.stdout.write(JSON.stringify(await measure(process.argv[3])) + '\n');
    return;
  }
  const sizes = (process.env.FLAMELENS_BENCH_MB ?? '200,1000').split(',').map(Number);
  const dir = join(tmpdir(), 'flamelens-bench');
  mkdirSync(dir, { recursive: true });
  console.log(`flamelens bench (node ${process.version}); inputs in ${dir}\n`);
  const inputs: { label: string; input: Input }[] = [];
  for (const mb of sizes) {
    inputs.push({ label: `austin text ${mb} MB, repeated stacks`, input: await austinText(dir, `wall-${mb}.austin`, rec('austin3-wall.austin'), mb * 1e6) });
  }
  inputs.push({ label: `austin text ${sizes[0]} MB, distinct threads`, input: await austinText(dir, `wall-${sizes[0]}-distinct.austin`, rec('austin3-wall.austin'), sizes[0] * 1e6, true) });
  // MOJO with about as many samples as the text inputs, for a samples/s comparison
  for (const { input } of inputs.slice(0, sizes.length)) {
    const mb = Math.round(input.bytes / 1e6);
    inputs.push({ label: `mojo v3, samples of ${mb} MB text`, input: await mojo(dir, `wall-${mb}.mojo`, rec('austin3-wall.mojo'), input.samples) });
  }
  const first = inputs[0].input;
  inputs.push({ label: `mojo v4 (STACK_REPEAT), ${Math.round(first.bytes / 1e6)} MB text`, input: await mojo(dir, `wall-${Math.round(first.bytes / 1e6)}-v4.mojo`, rec('austin3-wall.mojo'), first.samples, { v4: true }) });
  inputs.push({ label: `mojo v3, distinct threads`, input: await mojo(dir, `wall-${Math.round(first.bytes / 1e6)}-distinct.mojo`, rec('austin3-wall.mojo'), first.samples, { distinct: true }) });
  const results: { label: string; r: ChildResult }[] = [];
  for (const { label, input } of inputs) {
    const r = runChild(input.path);
    results.push({ label, r });
    console.log(row(label, r));
  }
  const sps = (label: string) => {
    const hit = results.find((x) => x.label.startsWith(label));
    return hit ? hit.r.samples / hit.r.readMs : NaN;
  };
  console.log(`\nMOJO v3 / text, samples per second: x${(sps('mojo v3, samples of') / sps('austin text')).toFixed(2)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
