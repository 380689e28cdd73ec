// Both clients tint lines in the same four steps: the server's `level` when it sends one, else the
// line's `heat` in quarters (protocol.ts LineHeat). The VS Code client's rule (heat-level.ts) and the
// Neovim plugin's (heat.lua, run in a real Neovim) are checked on the same cases.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEAT_LEVELS, heatLevel } from '../../clients/vscode/src/heat-level';

const REPO = resolve(__dirname, '..', '..');
const NVIM = ['/usr/bin/nvim', join(REPO, '.cache', 'nvim010', 'nvim')].find((p) => existsSync(p));
if (!NVIM) console.warn('[flamelens] heat steps: the Neovim half skipped: no Neovim installed (scripts/setup-nvim.sh)');

// [heat, level?, expected step]
const CASES: [number, number | undefined, number][] = [
  [0, undefined, 0],
  [0.01, undefined, 1],
  [0.25, undefined, 1],
  [0.2501, undefined, 2],
  [0.5, undefined, 2],
  [0.51, undefined, 3],
  [0.75, undefined, 3],
  [0.76, undefined, 4],
  [1, undefined, 4],
  [0.1, 4, 4],
  [0.9, 1, 1],
  [0.5, 3, 3],
  [0.5, 7, 4],
  [0.5, 0, 0],
];

describe('heat steps', () => {
  it('VS Code: four steps, level first, else heat in quarters', () => {
    expect(HEAT_LEVELS).toBe(4);
    for (const [heat, level, expected] of CASES) expect(heatLevel({ heat, level }), `${heat} ${level}`).toBe(expected);
  });

  it.skipIf(!NVIM)(`Neovim: the same steps from heat.lua${NVIM ? '' : ' [no Neovim installed: run scripts/setup-nvim.sh]'}`, () => {
    const cases = JSON.stringify(CASES.map(([heat, level]) => ({ heat, level })));
    const lua = `local heat = require('flamelens.heat')
      local out = {}
      for i, c in ipairs(vim.fn.json_decode([==[${cases}]==])) do out[i] = heat.level(c) end
      io.stdout:write(vim.fn.json_encode({ levels = heat.levels, steps = out }))`;
    const r = spawnSync(NVIM!, ['--headless', '--clean', '--cmd', `set rtp^=${join(REPO, 'clients', 'nvim')}`, '-c', `lua ${lua.replace(/\n\s*/g, ' ')}`, '-c', 'qa!'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const { levels, steps } = JSON.parse(r.stdout) as { levels: number; steps: number[] };
    expect(levels).toBe(4);
    expect(steps).toEqual(CASES.map((c) => c[2]));
  });
});
