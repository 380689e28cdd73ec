// What a full client (VS Code-like) declares: the capabilities the LSP tests and the bench's spawned
// server start with.
import type { ClientCapabilities } from 'vscode-languageserver-protocol';

export const FULL_CAPABILITIES: ClientCapabilities = {
  workspace: {
    configuration: true,
    inlayHint: { refreshSupport: true },
    codeLens: { refreshSupport: true },
    didChangeConfiguration: { dynamicRegistration: false },
  },
  window: { workDoneProgress: true, showDocument: { support: true }, showMessage: {} },
  textDocument: {
    synchronization: { didSave: true },
    inlayHint: {},
    codeLens: {},
    hover: { contentFormat: ['markdown', 'plaintext'] },
  },
  // the server sends its own notifications only to clients that ask (docs/lsp-extensions.md)
  experimental: { flamelens: { lineHeat: true, status: true } },
};
