/**
 * What the server offers and what it may send, each decided in one place. The server's
 * capabilities are pinned by an inline snapshot (test/lsp/robustness.test.ts).
 */
import { type ClientCapabilities, type ServerCapabilities, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { Commands } from './protocol';

/**
 * Hints are offered whatever the client declared: some clients ask without declaring. Pull
 * diagnostics are offered only to clients that pull them and can be told to pull again (see
 * `pullDiagnostics`); every other client gets them pushed.
 */
export function capabilities(client: Pick<ClientFeatures, 'pullDiagnostics'> = { pullDiagnostics: false }): ServerCapabilities {
  return {
    textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
    inlayHintProvider: { resolveProvider: false },
    codeLensProvider: { resolveProvider: false },
    hoverProvider: true,
    workspaceSymbolProvider: { resolveProvider: false },
    callHierarchyProvider: true,
    ...(client.pullDiagnostics ? { diagnosticProvider: { identifier: 'flamelens', interFileDependencies: false, workspaceDiagnostics: true } } : {}),
    executeCommandProvider: { commands: Object.values(Commands) },
    workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
  };
}

/** Server-to-client messages the client declared it supports. */
export interface ClientFeatures {
  inlayHintRefresh: boolean;
  codeLensRefresh: boolean;
  configuration: boolean;
  workDoneProgress: boolean;
  showDocument: boolean;
  workspaceFolders: boolean;
  /** `flamelens/lineHeat`: only to clients that asked, since generic clients warn about unknown notifications. */
  lineHeat: boolean;
  /** `flamelens/status`, likewise. */
  status: boolean;
  /**
   * Diagnostics by pull (textDocument/diagnostic, workspace/diagnostic): the client pulls them and
   * accepts workspace/diagnostic/refresh. Hot lines change without edits (a new profile, a setting
   * turned off), so a client that cannot be told to pull again (Neovim 0.10 pulls open buffers on
   * edits only) gets them pushed, for every file, as before.
   */
  pullDiagnostics: boolean;
}

/** `experimental.flamelens` as declared, or undefined when it is absent or not an object. */
function declaredExtensions(c: ClientCapabilities | undefined): { lineHeat?: unknown; status?: unknown } | undefined {
  const experimental: unknown = c?.experimental;
  const own = experimental !== null && typeof experimental === 'object' ? (experimental as { flamelens?: unknown }).flamelens : undefined;
  return own !== null && typeof own === 'object' ? own : undefined;
}

export function clientFeatures(c: ClientCapabilities | undefined): ClientFeatures {
  const own = declaredExtensions(c);
  return {
    inlayHintRefresh: c?.workspace?.inlayHint?.refreshSupport === true,
    codeLensRefresh: c?.workspace?.codeLens?.refreshSupport === true,
    configuration: c?.workspace?.configuration === true,
    workDoneProgress: c?.window?.workDoneProgress === true,
    showDocument: c?.window?.showDocument?.support === true,
    workspaceFolders: c?.workspace?.workspaceFolders === true,
    // rust-analyzer's convention: custom protocol only to clients that declare it in `experimental`
    lineHeat: own?.lineHeat === true,
    status: own?.status === true,
    pullDiagnostics: c?.textDocument?.diagnostic !== undefined && c?.workspace?.diagnostics?.refreshSupport === true,
  };
}
