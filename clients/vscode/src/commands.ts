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
  type CallersResult,
  type MetricSummary,
  type ProfileSummary,
  type ScopeArg,
  type ScopeSummary,
} from '../../../server/src/protocol';

/** Palette command ids, as contributed in package.json. */
export const PaletteCommands = {
  pickProfile: 'flamelens.pickProfile',
  pickMetric: 'flamelens.pickMetric',
  pickScope: 'flamelens.pickScope',
  toggle: 'flamelens.toggleAnnotations',
  pickCaller: 'flamelens.pickCaller',
} as const;

type Choice<T> = vscode.QuickPickItem & { value: T };
type GetClient = () => LanguageClient | undefined;

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
    label: c.name,
    description: `${c.percent.toFixed(1)}% · ${c.value}`,
    detail: c.uri ? `${vscode.workspace.asRelativePath(vscode.Uri.parse(c.uri))}:${c.line + 1}` : 'not in the workspace',
    value: { uri: c.uri, line: c.line },
  }));
  const choice = await vscode.window.showQuickPick(items, {
    title: `flamelens: callers of ${result.function}`,
    placeHolder: 'Share of the function\'s total that passes through each call site',
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

export function registerCommands(getClient: GetClient): vscode.Disposable {
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

  return vscode.Disposable.from(
    vscode.commands.registerCommand(PaletteCommands.pickProfile, pickProfile),
    vscode.commands.registerCommand(PaletteCommands.pickMetric, pickMetric),
    vscode.commands.registerCommand(PaletteCommands.pickScope, pickScope),
    vscode.commands.registerCommand(PaletteCommands.toggle, () => run<boolean>(Commands.toggle)),
    vscode.commands.registerCommand(PaletteCommands.pickCaller, pickCaller),
  );
}
