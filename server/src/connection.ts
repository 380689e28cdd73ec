/**
 * The server's table of contents: every LSP message flamelens handles, bound to one method of
 * FlamelensServer. Nothing else belongs here.
 */
import type { Connection } from 'vscode-languageserver/node';
import { ConnectionLspClient } from './lsp-client';
import { FlamelensServer } from './server';

export function serve(connection: Connection): FlamelensServer {
  const server = new FlamelensServer(new ConnectionLspClient(connection));
  connection.onInitialize(server.initialize.bind(server));
  connection.onInitialized(() => {
    // only after initialize: the library wires folder notifications to clients that declared them
    if (server.clientSendsFolderChanges) connection.workspace.onDidChangeWorkspaceFolders(server.didChangeWorkspaceFolders.bind(server));
    return server.initialized();
  });
  connection.onShutdown(server.shutdown.bind(server));
  connection.onDidChangeConfiguration(server.didChangeConfiguration.bind(server));
  connection.onDidOpenTextDocument(server.didOpenTextDocument.bind(server));
  connection.onDidChangeTextDocument(server.didChangeTextDocument.bind(server));
  connection.onDidSaveTextDocument(server.didSaveTextDocument.bind(server));
  connection.onDidCloseTextDocument(server.didCloseTextDocument.bind(server));
  connection.languages.inlayHint.on(server.inlayHint.bind(server));
  connection.onCodeLens(server.codeLens.bind(server));
  connection.onHover(server.hover.bind(server));
  connection.onWorkspaceSymbol(server.workspaceSymbol.bind(server));
  connection.languages.callHierarchy.onPrepare(server.prepareCallHierarchy.bind(server));
  connection.languages.callHierarchy.onIncomingCalls(server.incomingCalls.bind(server));
  connection.languages.callHierarchy.onOutgoingCalls(server.outgoingCalls.bind(server));
  connection.languages.diagnostics.on(server.documentDiagnostic.bind(server));
  connection.languages.diagnostics.onWorkspace(server.workspaceDiagnostic.bind(server));
  connection.onExecuteCommand(server.executeCommand.bind(server));
  connection.listen();
  return server;
}
