// The VS Code manifest is the settings schema (conventions §7): it must say exactly what the
// server parses and what docs/configuration.md documents, activate on every format the readers
// know, and contribute no command id that the server also announces (vscode-languageclient
// registers the server's ids itself, and a second registration throws at start).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownExtensions } from '../../server/src/core/readers/index';
import { Commands, LANGUAGES } from '../../server/src/protocol';
import { defaultSettings, parseSettings } from '../../server/src/settings';

const REPO = resolve(__dirname, '..', '..');
const VSCODE = join(REPO, 'clients', 'vscode');

interface Property {
  default: unknown;
  enum?: unknown[];
}
interface Manifest {
  main: string;
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, Property> };
    colors: { id: string; defaults: Record<string, string> }[];
  };
}
const manifest = JSON.parse(readFileSync(join(VSCODE, 'package.json'), 'utf8')) as Manifest;
const properties = manifest.contributes.configuration.properties;
const names = Object.keys(properties).map((k) => k.replace(/^flamelens\./, ''));

describe('clients/vscode/package.json', () => {
  it('declares every setting the server parses, with the same defaults, and nothing else', () => {
    const defaults = defaultSettings() as unknown as Record<string, unknown>;
    expect(names.sort()).toEqual(Object.keys(defaults).sort());
    for (const name of names) {
      const mine = properties[`flamelens.${name}`].default;
      if (name === 'profiles') expect([...(mine as string[])].sort(), name).toEqual([...(defaults.profiles as string[])].sort());
      else expect(mine, name).toEqual(defaults[name]);
    }
  });

  it('only offers defaults and enum values that the server accepts without a warning', () => {
    for (const name of names) {
      const p = properties[`flamelens.${name}`];
      for (const value of [p.default, ...(p.enum ?? [])]) {
        const warnings: string[] = [];
        const parsed = parseSettings({ [name]: value }, (m) => warnings.push(m)) as unknown as Record<string, unknown>;
        expect(warnings, `${name} = ${JSON.stringify(value)}`).toEqual([]);
        expect(parsed[name], name).toEqual(value);
      }
    }
  });

  it('names the same settings as docs/configuration.md', () => {
    const doc = readFileSync(join(REPO, 'docs', 'configuration.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `flamelens\.(\w+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...names].sort());
  });

  it('activates on every profile extension the readers know', () => {
    for (const ext of knownExtensions()) expect(manifest.activationEvents).toContain(`workspaceContains:**/*${ext}`);
  });

  it('contributes exactly the palette commands the extension registers, none of them a server command id', () => {
    const source = readFileSync(join(VSCODE, 'src', 'commands.ts'), 'utf8');
    const block = /PaletteCommands = \{([^}]*)\}/.exec(source)?.[1] ?? '';
    const registered = [...block.matchAll(/'(flamelens\.\w+)'/g)].map((m) => m[1]);
    const contributed = manifest.contributes.commands.map((c) => c.command);
    expect(registered.length).toBeGreaterThan(0);
    expect(contributed.sort()).toEqual(registered.sort());
    for (const id of contributed) expect(Object.values(Commands)).not.toContain(id);
  });

  it('defines the four heat colours for every theme kind, opacity capped at 0.35', () => {
    const heat = manifest.contributes.colors.filter((c) => c.id.startsWith('flamelens.lineHeat'));
    expect(heat.map((c) => c.id)).toEqual([1, 2, 3, 4].map((i) => `flamelens.lineHeat${i}`));
    for (const c of heat) {
      expect(Object.keys(c.defaults).sort()).toEqual(['dark', 'highContrast', 'highContrastLight', 'light']);
      for (const colour of Object.values(c.defaults)) {
        expect(colour).toMatch(/^#[0-9a-f]{8}$/i);
        expect(parseInt(colour.slice(7), 16) / 255).toBeLessThanOrEqual(0.35);
      }
    }
  });

  it('defines the two baseline change colours (regression, improvement) for every theme kind, and the heat painter uses them', () => {
    const change = manifest.contributes.colors.filter((c) => !c.id.startsWith('flamelens.lineHeat'));
    expect(change.map((c) => c.id)).toEqual(['flamelens.lineRegression', 'flamelens.lineImprovement']);
    for (const c of change) {
      expect(Object.keys(c.defaults).sort()).toEqual(['dark', 'highContrast', 'highContrastLight', 'light']);
      for (const colour of Object.values(c.defaults)) expect(colour).toMatch(/^#[0-9a-f]{6}$/i);
    }
    const heat = readFileSync(join(VSCODE, 'src', 'heat.ts'), 'utf8');
    for (const c of change) expect(heat).toContain(`'${c.id}'`);
  });

  it('starts the bundled server from the same directory as the extension', () => {
    expect(manifest.main).toBe('./dist/extension.js');
    expect(readFileSync(join(VSCODE, 'src', 'extension.ts'), 'utf8')).toContain("asAbsolutePath('dist/server.js')");
  });

  it('attaches to the one language list in protocol.ts, like the Neovim plugin (lsp/flamelens.lua filetypes)', () => {
    const onLanguage = manifest.activationEvents.filter((e) => e.startsWith('onLanguage:')).map((e) => e.slice('onLanguage:'.length));
    expect(onLanguage.sort()).toEqual([...LANGUAGES].sort());
    // the context menu's Show Callers is offered in exactly those languages
    const when = manifest.contributes.menus['editor/context'].find((m) => m.command === 'flamelens.pickCaller')?.when ?? '';
    const inWhen = /editorLangId =~ \/\^\(([^)]*)\)\$\//.exec(when)?.[1].split('|') ?? [];
    expect(inWhen.sort()).toEqual([...LANGUAGES].sort());
    // the client's documentSelector is built from that list, not a copy of it
    const extension = readFileSync(join(VSCODE, 'src', 'extension.ts'), 'utf8');
    expect(extension).toMatch(/documentSelector: LANGUAGES\.map\(/);
    expect(extension).toMatch(/import \{[^}]*\bLANGUAGES\b[^}]*\} from '\.\.\/\.\.\/\.\.\/server\/src\/protocol'/);
    // the Neovim plugin's filetypes, read from its Lua data file
    const lua = readFileSync(join(REPO, 'clients', 'nvim', 'lsp', 'flamelens.lua'), 'utf8');
    const block = /\bfiletypes = \{([^}]*)\}/.exec(lua)?.[1] ?? '';
    const filetypes = [...block.replace(/--[^\n]*/g, '').matchAll(/'([\w]+)'/g)].map((m) => m[1]);
    expect(filetypes.sort()).toEqual([...LANGUAGES].sort());
  });
});
