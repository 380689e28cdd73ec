/**
 * The protocol's lifecycle, enforced before any handler runs: requests before `initialize` get
 * ServerNotInitialized (-32002), a second `initialize` and any request after `shutdown` get
 * InvalidRequest, and notifications outside the running state are dropped (except `exit`). The
 * gate wraps the transport's MessageReader and answers refused requests itself, so neither
 * vscode-languageserver nor the server sees them (the library would otherwise re-read the client's
 * capabilities from a second initialize before any handler could refuse it).
 */
import {
  type DataCallback,
  type Disposable,
  ErrorCodes,
  Message,
  type MessageReader,
  type MessageWriter,
  type RequestMessage,
} from 'vscode-languageserver/node';

export type LifecycleState = 'new' | 'running' | 'shutdown';

export class LifecycleGate implements MessageReader {
  private stateNow: LifecycleState = 'new';

  constructor(
    private readonly inner: MessageReader,
    private readonly writer: MessageWriter,
  ) {}

  get state(): LifecycleState {
    return this.stateNow;
  }

  get onError() {
    return this.inner.onError;
  }

  get onClose() {
    return this.inner.onClose;
  }

  get onPartialMessage() {
    return this.inner.onPartialMessage;
  }

  listen(callback: DataCallback): Disposable {
    return this.inner.listen((message) => {
      if (this.admit(message)) callback(message);
    });
  }

  dispose(): void {
    this.inner.dispose();
  }

  /** Whether a message reaches the server; refused requests are answered here. */
  private admit(m: Message): boolean {
    if (Message.isRequest(m)) {
      if (m.method === 'initialize') {
        if (this.stateNow !== 'new') return this.refuse(m, ErrorCodes.InvalidRequest, 'initialize was already received: it may be sent only once');
        this.stateNow = 'running';
        return true;
      }
      if (this.stateNow === 'new') return this.refuse(m, ErrorCodes.ServerNotInitialized, `${m.method} before initialize: the server is not initialized`);
      if (this.stateNow === 'shutdown') return this.refuse(m, ErrorCodes.InvalidRequest, `${m.method} after shutdown: only the exit notification is accepted`);
      if (m.method === 'shutdown') this.stateNow = 'shutdown';
      return true;
    }
    if (Message.isNotification(m)) return m.method === 'exit' || this.stateNow === 'running';
    return true; // responses to the server's own requests
  }

  private refuse(m: RequestMessage, code: number, message: string): false {
    void this.writer.write({ jsonrpc: '2.0', id: m.id, error: { code, message } } as Message).catch(() => undefined);
    return false;
  }
}
