/**
 * Every server-to-client call goes through `LspClient`, so feature code and tests never touch the
 * raw connection. `ConnectionLspClient` is the one implementation over a vscode-languageserver
 * connection; it sends what it is asked to and leaves capability checks to the server.
 */
import {
  CodeLensRefreshRequest,
  type Connection,
  type Diagnostic,
  DiagnosticRefreshRequest,
  PublishDiagnosticsNotification,
  LogMessageNotification,
  MessageType,
  type Range,
  ShowMessageNotification,
  ShowMessageRequest,
} from 'vscode-languageserver/node';
import type { LineHeatParams, StatusParams } from './protocol';
import { LineHeatNotification, StatusNotification } from './protocol';
import type { LogLevel } from './settings';
import type { ProgressReporter } from './workspace/progress';

export type { ProgressReporter } from './workspace/progress';

export interface LspClient {
  /** window/logMessage, dropped when below the configured level. */
  log(level: LogLevel, message: string): void;
  setLogLevel(level: LogLevel): void;
  /** window/showMessage: only for actionable problems, never per request. */
  showMessage(type: 'error' | 'warning' | 'info', message: string): void;
  /** window/showMessageRequest: the title of the chosen item, or undefined. */
  showMessageRequest(message: string, items: string[]): Promise<string | undefined>;
  inlayHintRefresh(): Promise<void>;
  codeLensRefresh(): Promise<void>;
  /** Work-done progress created by the server (a no-op reporter when the client has no support). */
  progress(title: string): Promise<ProgressReporter>;
  /** The `flamelens` section from workspace/configuration. */
  configuration(): Promise<unknown>;
  showDocument(uri: string, range: Range): Promise<boolean>;
  /** window/showDocument with `external: true`: a web page in the client's browser. */
  showExternal(url: string): Promise<boolean>;
  lineHeat(params: LineHeatParams): void;
  status(params: StatusParams): void;
  /** textDocument/publishDiagnostics (push diagnostics). */
  publishDiagnostics(uri: string, diagnostics: Diagnostic[]): void;
  /** workspace/diagnostic/refresh: pull clients pull again. */
  diagnosticRefresh(): Promise<void>;
}

const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export class ConnectionLspClient implements LspClient {
  private level: LogLevel = 'info';

  constructor(private readonly connection: Connection) {}

  setLogLevel(level: LogLevel): void {
    this.level = level;
  }

  /** Notifications never throw into feature code, even once the connection is gone (after exit). */
  private notify(method: string, params: unknown): void {
    try {
      void this.connection.sendNotification(method, params).catch(() => undefined);
    } catch {
      // disposed connection: nobody to tell
    }
  }

  log(level: LogLevel, message: string): void {
    if (LEVELS[level] > LEVELS[this.level]) return;
    const type = level === 'error' ? MessageType.Error : level === 'warn' ? MessageType.Warning : level === 'info' ? MessageType.Info : MessageType.Log;
    this.notify(LogMessageNotification.method, { type, message });
  }

  showMessage(type: 'error' | 'warning' | 'info', message: string): void {
    // A notification, not connection.window.show*Message: those send a request that waits for an answer.
    const t = type === 'error' ? MessageType.Error : type === 'warning' ? MessageType.Warning : MessageType.Info;
    this.notify(ShowMessageNotification.method, { type: t, message });
  }

  async showMessageRequest(message: string, items: string[]): Promise<string | undefined> {
    const r = await this.connection.sendRequest(ShowMessageRequest.type, {
      type: MessageType.Info,
      message,
      actions: items.map((title) => ({ title })),
    });
    return r?.title ?? undefined;
  }

  async inlayHintRefresh(): Promise<void> {
    await this.connection.languages.inlayHint.refresh();
  }

  async codeLensRefresh(): Promise<void> {
    await this.connection.sendRequest(CodeLensRefreshRequest.type);
  }

  async progress(title: string): Promise<ProgressReporter> {
    const r = await this.connection.window.createWorkDoneProgress();
    r.begin(title, 0, undefined, false);
    return {
      report: (percent, message) => {
        const p = Math.max(0, Math.min(100, Math.round(percent)));
        if (message === undefined) r.report(p);
        else r.report(p, message);
      },
      done: () => r.done(),
    };
  }

  configuration(): Promise<unknown> {
    return this.connection.workspace.getConfiguration('flamelens');
  }

  async showDocument(uri: string, range: Range): Promise<boolean> {
    const r = await this.connection.window.showDocument({ uri, selection: range, takeFocus: true });
    return r.success;
  }

  async showExternal(url: string): Promise<boolean> {
    const r = await this.connection.window.showDocument({ uri: url, external: true });
    return r.success;
  }

  lineHeat(params: LineHeatParams): void {
    this.notify(LineHeatNotification, params);
  }

  status(params: StatusParams): void {
    this.notify(StatusNotification, params);
  }

  publishDiagnostics(uri: string, diagnostics: Diagnostic[]): void {
    this.notify(PublishDiagnosticsNotification.method, { uri, diagnostics });
  }

  async diagnosticRefresh(): Promise<void> {
    await this.connection.sendRequest(DiagnosticRefreshRequest.type);
  }
}
