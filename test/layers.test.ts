// The engine's layers (docs/engine.md): imports only point down. core knows no LSP transport, no
// workspace, no session; the workspace knows no session, features or transport; the session knows
// no features or transport. A test, so that the rule survives the next refactor.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '..', 'server', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every import of a file: relative ones as paths under server/src, packages as their names. */
function imports(file: string): { local: boolean; path: string }[] {
  const out: { local: boolean; path: string }[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
    const spec = m[1];
    out.push(spec.startsWith('.') ? { local: true, path: relative(SRC, resolve(dirname(file), spec)) } : { local: false, path: spec });
  }
  return out;
}

/** The layer of a path under server/src: its first folder, or the file's name at the top. */
const layer = (p: string) => (p.includes('/') ? p.split('/')[0] : p.replace(/\.ts$/, ''));

const ALLOWED: Record<string, { layers: string[]; packages?: RegExp }> = {
  core: { layers: ['core'], packages: /^(node:|vscode-languageserver-types$|vscode-languageserver-textdocument$|pprof-format$)/ },
  workspace: { layers: ['core', 'workspace', 'settings'] },
  session: { layers: ['core', 'workspace', 'session', 'settings', 'protocol'] },
  flamegraph: { layers: ['core', 'flamegraph'] },
  features: { layers: ['core', 'workspace', 'session', 'features', 'settings', 'protocol', 'flamegraph'] },
  settings: { layers: ['core'] },
  protocol: { layers: [] },
};

describe('layers', () => {
  for (const [name, rule] of Object.entries(ALLOWED)) {
    it(`${name} imports only ${rule.layers.join(', ') || 'nothing of the server'}${rule.packages ? ' and plain packages (no LSP transport)' : ''}`, () => {
      const mine = files(SRC).filter((f) => layer(relative(SRC, f)) === name);
      expect(mine.length).toBeGreaterThan(0);
      const bad: string[] = [];
      for (const f of mine) {
        for (const i of imports(f)) {
          if (!i.local) {
            // a package: core may use only its list
            if (rule.packages && !rule.packages.test(i.path)) bad.push(`${relative(SRC, f)} imports package ${i.path}`);
            continue;
          }
          if (i.path.startsWith('..')) bad.push(`${relative(SRC, f)} imports ${i.path}, outside server/src`);
          else if (!rule.layers.includes(layer(i.path))) bad.push(`${relative(SRC, f)} imports ${i.path}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }
});
