// The README's example output is what `npm start` prints today: every line it quotes (the cut
// markers aside) appears, in order, in the output of the command it names.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');

describe('README', () => {
  it("quotes npm start's output as it is", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /```\n\$ npm start\n([\s\S]*?)```/.exec(readme)![1].split('\n');
    const command = block.find((l) => l.startsWith('> npm run build'))!.replace(/^> npm run build --silent && /, '');
    expect(command).toMatch(/^node dist\/flamelens\.js annotate /);
    if (!existsSync(join(ROOT, 'dist', 'flamelens.js'))) spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
    const [, ...args] = command.split(' ');
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(0);
    const out = r.stdout.split('\n');
    const quoted = block.filter((l) => l !== '' && !l.startsWith('> ') && !/^\s*\.\.\./.test(l));
    expect(quoted.length).toBeGreaterThan(20);
    let at = 0;
    for (const line of quoted) {
      const i = out.indexOf(line, at);
      expect(i, `README line not in the output (in order): ${JSON.stringify(line)}`).toBeGreaterThanOrEqual(0);
      at = i + 1;
    }
  });
});
