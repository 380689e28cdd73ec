// The VS Code client is declarations: how to start the bundled server, which documents it sees,
// which settings it reads, and the few things LSP cannot express (palette commands with pickers,
// a status item, line heat). Everything a Neovim user would also need lives in the server.
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type ClientCapabilities,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
} from 'vscode-languageclient/node';
import {
  Commands,
  LANGUAGES,
  LineHeatNotification,
  StatusNotification,
  type LineHeatParams,
  type StatusParams,
} from '../../../server/src/protocol';
import { openCallSite, pickCallerAt, registerCommands } from './commands';
import { FlameGraphPanel } from './flame-graph';
import { LineHeatPainter } from './heat';
import { StatusItem } from './status';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  // The same bundle as the `flamelens` bin: main.ts starts the server when it sees --node-ipc.
  const module = context.asAbsolutePath('dist/server.js');
  const flameGraph = new FlameGraphPanel();
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.map((language) => ({ scheme: 'file', language })),
    // The server pulls `flamelens` with workspace/configuration and takes the same object at start.
    synchronize: { configurationSection: 'flamelens' },
    initializationOptions: () => settingsObject(),
    middleware: {
      // The lenses run server commands. Two of them are better done here, with VS Code's own UI:
      // a function's lens (showCallers with { pick: true }) gets the palette's caller QuickPick,
      // and a caller link (openCallSite) opens its call site in a tab that is not a preview.
      executeCommand: async (command, args, next) => {
        const [uri, where, options] = args as [unknown, unknown, { pick?: unknown } | undefined];
        if (command === Commands.showCallers && options?.pick === true && typeof uri === 'string' && isPosition(where)) {
          return pickCallerAt(() => client, uri, where);
        }
        if (command === Commands.openCallSite && typeof uri === 'string' && typeof where === 'number' && where >= 0) {
          return openCallSite(uri, where);
        }
        return next(command, args);
      },
      window: {
        // A frame clicked in the flame graph panel opens its source in the editor next to the
        // panel, not in the panel's own column (where it would hide the graph).
        showDocument: async (params, token, next) => {
          if (params.external === true || !flameGraph.visible) return next(params, token);
          const selection = params.selection && new vscode.Range(
            params.selection.start.line, params.selection.start.character, params.selection.end.line, params.selection.end.character,
          );
          try {
            await vscode.window.showTextDocument(vscode.Uri.parse(params.uri), {
              viewColumn: flameGraph.sourceColumn(),
              selection,
              preserveFocus: params.takeFocus !== true,
              preview: false,
            });
            return { success: true };
          } catch {
            return { success: false };
          }
        },
      },
    },
  };
  client = new LanguageClient('flamelens', 'flamelens', serverOptions, clientOptions);
  client.registerFeature(notificationsFeature);

  const status = new StatusItem();
  const heat = new LineHeatPainter();
  context.subscriptions.push(status, heat, flameGraph, registerCommands(() => client, { status: () => status.last, flameGraph }));
  context.subscriptions.push(
    client.onNotification(StatusNotification, (params: StatusParams) => status.update(params)),
    client.onNotification(LineHeatNotification, (params: LineHeatParams) => heat.update(params)),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

/** Asks for flamelens/lineHeat and flamelens/status: the server sends them only to clients that declare them. */
const notificationsFeature: StaticFeature = {
  fillClientCapabilities(caps: ClientCapabilities) {
    caps.experimental = { ...(caps.experimental as object | undefined), flamelens: { lineHeat: true, status: true } };
  },
  initialize() {},
  getState: () => ({ kind: 'static' }),
  clear() {},
};

function isPosition(v: unknown): v is { line: number; character: number } {
  const p = v as { line?: unknown; character?: unknown } | null;
  return typeof p === 'object' && p !== null && typeof p.line === 'number' && typeof p.character === 'number';
}

/** The `flamelens` section as a plain object (the configuration object also carries methods). */
function settingsObject(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(vscode.workspace.getConfiguration('flamelens'))) as Record<string, unknown>;
}
