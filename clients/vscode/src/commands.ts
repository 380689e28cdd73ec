// Palette commands. Each asks the server for the choices (a list* command), lets the user pick in a
// QuickPick, and hands the choice back to the server: the client never computes anything itself.
// The lenses' commands (callers of a function, open a call site) end up here too, through the
// client's middleware (extension.ts).
// The ids differ from the server's command ids on purpose: vscode-languageclient registers every
// command the server announces under its own id, and a second registration would throw.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';
import {
  Commands,
  type BaselineSummary,
  type CallersResult,
  type HotspotsResult,
  type MetricSummary,
  type ProfileSummary,
  type ScopeArg,
  type ScopeSummary,
  type StatusParams,
} from '../../../server/src/protocol';
import type { FlameGraphPanel } from './flame-graph';

/** Palette command ids, as contributed in package.json. */
export const PaletteCommands = {
  pickProfile: 'flamelens.pickProfile',
  pickMetric: 'flamelens.pickMetric',
  pickScope: 'flamelens.pickScope',
  toggle: 'flamelens.toggleAnnotations',
  pickCaller: 'flamelens.pickCaller',
  hotspots: 'flamelens.pickHotspot',
  pickBaseline: 'flamelens.pickBaseline',
  flameGraph: 'flamelens.showFlameGraph',
  functionFlameGraph: 'flamelens.showFunctionFlameGraph',
} as const;

type Choice<T> = vscode.QuickPickItem & { value: T };
type GetClient = () => LanguageClient | undefined;

/**
 * A profile's string as QuickPick text: labels and descriptions render `$(name)` as an icon, so a
 * function called `$(zap)` would be drawn as one; the escaped form is shown as typed.
 */
export function plain(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

/** Runs a server command through workspace/executeCommand (bypassing the client's middleware). */
async function execute<T>(getClient: GetClient, command: string, ...args: unknown[]): Promise<T | undefined> {
  const client = getClient();
  if (!client || !client.isRunning()) {
    void vscode.window.showWarningMessage('flamelens: the language server is not running.');
    return undefined;
  }
  return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args })) as T;
}

/**
 * Callers of the function at a position in a QuickPick (caller, share, value, where), then the
 * chosen call site. The palette's Show Callers and a click on a function's lens both land here:
 * the server's own fallback for lenses (window/showMessageRequest) can only show truncated buttons.
 */
export async function pickCallerAt(getClient: GetClient, uri: string, position: { line: number; character: number }): Promise<void> {
  // Without `{ pick: true }` the server only answers; it asks the user itself only with it.
  const result = await execute<CallersResult | null>(getClient, Commands.showCallers, uri, position);
  if (!result || result.callers.length === 0) {
    void vscode.window.showInformationMessage(`flamelens: no callers${result ? ` of ${result.function}` : ' here'}.`);
    return;
  }
  const items: Choice<{ uri?: string; line: number }>[] = result.callers.map((c) => ({
    label: plain(c.name),
    description: `${c.percent.toFixed(1)}% · ${c.value}`,
    detail: c.uri ? `${vscode.workspace.asRelativePath(vscode.Uri.parse(c.uri))}:${c.line + 1}` : 'not in the workspace',
    value: { uri: c.uri, line: c.line },
  }));
  const choice = await vscode.window.showQuickPick(items, {
    title: `flamelens: callers of ${plain(result.function)}`,
    placeHolder: `Share of the function's total that passes through each call site${result.more ? ` (the hottest ${result.callers.length}; ${result.more} more not listed)` : ''}`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (choice?.value.uri) await openCallSite(choice.value.uri, choice.value.line);
}

/**
 * Opens a call site in a tab of its own: following callers is navigation, so it must not replace
 * the preview tab the user came from (what window/showDocument does in VS Code).
 */
export async function openCallSite(uri: string, line: number): Promise<boolean> {
  const at = new vscode.Position(line, 0);
  await vscode.window.showTextDocument(vscode.Uri.parse(uri), { selection: new vscode.Range(at, at), preview: false });
  return true;
}

/** What the palette commands need besides the client: the last status, the flame graph panel. */
export interface CommandContext {
  status(): StatusParams | undefined;
  flameGraph: FlameGraphPanel;
}

export function registerCommands(getClient: GetClient, ctx: CommandContext): vscode.Disposable {
  const run = <T>(command: string, ...args: unknown[]): Promise<T | undefined> => execute<T>(getClient, command, ...args);

  const pickProfile = async () => {
    const profiles = (await run<ProfileSummary[]>(Commands.listProfiles)) ?? [];
    if (profiles.length === 0) {
      void vscode.window.showInformationMessage('flamelens: no profile files found in the workspace.');
      return;
    }
    const items: Choice<string>[] = profiles.map((p) => ({
      label: `${p.active ? '$(check) ' : ''}${path.basename(p.path)}`,
      description: `${p.format} · ${p.samples.toLocaleString('en-US')} samples${p.loading ? ' · loading' : ''}`,
      detail: p.problem ? `${vscode.workspace.asRelativePath(p.path)} · ${p.problem}` : vscode.workspace.asRelativePath(p.path),
      value: p.uri,
    }));
    const choice = await vscode.window.showQuickPick(items, { title: 'flamelens: profile', placeHolder: 'Profile to show' });
    if (choice) await run(Commands.selectProfile, choice.value);
  };

  const pickMetric = async () => {
    const metrics = (await run<MetricSummary[]>(Commands.listMetrics)) ?? [];
    if (metrics.length === 0) {
      void vscode.window.showInformationMessage('flamelens: no active profile.');
      return;
    }
    const items: Choice<string>[] = metrics.map((m) => ({
      label: `${m.active ? '$(check) ' : ''}${m.label}`,
      description: `${m.key} · ${m.unit}`,
      value: m.key,
    }));
    const choice = await vscode.window.showQuickPick(items, { title: 'flamelens: metric', placeHolder: 'Metric to show' });
    if (choice) await run(Commands.selectMetric, choice.value);
  };

  const pickScope = async () => {
    const scopes = (await run<ScopeSummary[]>(Commands.listScopes)) ?? [];
    if (scopes.length === 0) {
      void vscode.window.showInformationMessage('flamelens: no active profile.');
      return;
    }
    const items: Choice<ScopeArg>[] = scopes.map((s) => ({
      label: `${s.active ? '$(check) ' : ''}${s.label}`,
      value: { ...(s.pid !== undefined ? { pid: s.pid } : {}), ...(s.thread !== undefined ? { thread: s.thread } : {}) },
    }));
    const choice = await vscode.window.showQuickPick(items, { title: 'flamelens: scope', placeHolder: 'Samples to count' });
    if (choice) await run(Commands.setScope, choice.value);
  };

  const pickCaller = async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    const { line, character } = editor.selection.active;
    await pickCallerAt(getClient, editor.document.uri.toString(), { line, character });
  };

  // The active profile's functions, ranked by the server as its workspace symbols are (the user's
  // own work first): Go to Symbol in Workspace re-sorts them by match score, this keeps the order.
  const hotspots = async () => {
    const result = await run<HotspotsResult | null>(Commands.hotspots, {});
    if (!result || result.items.length === 0) {
      void vscode.window.showInformationMessage('flamelens: no hotspots (no profile with samples yet, or annotations are off).');
      return;
    }
    const items: Choice<{ uri: string; line: number }>[] = result.items.map((h) => ({
      label: plain(h.label),
      description: `${plain(h.file)}:${h.line + 1}`,
      value: { uri: h.uri, line: h.line },
    }));
    const choice = await vscode.window.showQuickPick(items, {
      title: `flamelens: hotspots of ${plain(path.basename(result.profile))} (${result.metricLabel}, ${plain(result.scope)})`,
      placeHolder: 'Functions by cost, your own code first: pick one to open it',
      matchOnDescription: true,
    });
    if (choice) await openCallSite(choice.value.uri, choice.value.line);
  };

  // The profile to compare with: none, the previous one of the same kind, another profile of the
  // workspace, or any file (it may lie outside the workspace).
  const pickBaseline = async () => {
    const profiles = (await run<ProfileSummary[]>(Commands.listProfiles)) ?? [];
    const current = ctx.status()?.baseline;
    const mark = (on: boolean) => (on ? '$(check) ' : '');
    const BROWSE = '\u0000browse';
    const items: Choice<string>[] = [
      { label: `${mark(!current)}None`, description: 'no comparison', value: 'none' },
      { label: 'Previous profile', description: 'the newest profile of the same kind older than the one shown', value: 'previous' },
      ...profiles
        .filter((p) => !p.active)
        .map((p) => ({
          label: `${mark(p.path === current)}${plain(path.basename(p.path))}`,
          description: `${p.format} · ${p.samples.toLocaleString('en-US')} samples`,
          detail: plain(vscode.workspace.asRelativePath(p.path)),
          value: p.path,
        })),
      { label: 'Browse…', description: 'a profile file anywhere', value: BROWSE },
    ];
    const choice = await vscode.window.showQuickPick(items, { title: 'flamelens: baseline', placeHolder: 'Compare the profile shown with' });
    if (!choice) return;
    let value = choice.value;
    if (value === BROWSE) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Compare with', title: 'flamelens: baseline profile' });
      if (!picked?.[0]) return;
      value = picked[0].scheme === 'file' ? picked[0].fsPath : picked[0].toString();
    }
    const summary = await run<BaselineSummary | null>(Commands.selectBaseline, value);
    if (summary?.problem) void vscode.window.showWarningMessage(`flamelens: no comparison: ${summary.problem}`);
    else if (summary === null) void vscode.window.showWarningMessage(`flamelens: cannot compare with ${choice.label}.`);
  };

  // The flame graph page, in a webview beside the editor: the server serves it (open: false, so
  // that it asks no browser to open), and is told the forwarded address when the editor reaches
  // local ports through a proxy (code-server, remote windows), so that it accepts that Host.
  const flameGraph = async (at?: { uri: string; line: number }) => {
    const first = await run<{ url: string } | null>(Commands.openFlameGraph, { open: false, ...at });
    if (!first) {
      void vscode.window.showWarningMessage('flamelens: the flame graph could not be started (see the flamelens output).');
      return;
    }
    const external = await externalAddress(first.url);
    if (external !== first.url) await run(Commands.openFlameGraph, { open: false, externalUrl: external });
    ctx.flameGraph.show(external);
  };

  return vscode.Disposable.from(
    vscode.commands.registerCommand(PaletteCommands.pickProfile, pickProfile),
    vscode.commands.registerCommand(PaletteCommands.pickMetric, pickMetric),
    vscode.commands.registerCommand(PaletteCommands.pickScope, pickScope),
    vscode.commands.registerCommand(PaletteCommands.toggle, () => run<boolean>(Commands.toggle)),
    vscode.commands.registerCommand(PaletteCommands.pickCaller, pickCaller),
    vscode.commands.registerCommand(PaletteCommands.hotspots, hotspots),
    vscode.commands.registerCommand(PaletteCommands.pickBaseline, pickBaseline),
    vscode.commands.registerCommand(PaletteCommands.flameGraph, () => flameGraph()),
    // the sandwich of the function under the cursor: its callers above it, its callees below
    vscode.commands.registerCommand(PaletteCommands.functionFlameGraph, () => {
      const editor = vscode.window.activeTextEditor;
      if (editor) return flameGraph({ uri: editor.document.uri.toString(), line: editor.selection.active.line });
      return flameGraph();
    }),
  );
}

/**
 * The address this window reaches a local URL through. Only the origin is resolved and the path
 * and fragment appended: code-server's resolver returns its proxy's base for a port
 * (`https://host/proxy/PORT/`), dropping the path that carries the page's token.
 */
export async function externalAddress(url: string): Promise<string> {
  const u = new URL(url);
  const base = (await vscode.env.asExternalUri(vscode.Uri.parse(`${u.protocol}//${u.host}/`))).toString(true);
  return `${base.endsWith('/') ? base : `${base}/`}${u.pathname.slice(1)}${u.search}${u.hash}`;
}
