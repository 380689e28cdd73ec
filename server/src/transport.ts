/**
 * The server's end of the connection for `--stdio` and `--node-ipc`: the transport's reader behind
 * the lifecycle gate, and on stdio a framing check that ends the process on the first broken frame
 * (vscode-jsonrpc cannot resynchronise; a silent server is worse than one the editor restarts).
 * Other transports (--socket, --pipe) are left to vscode-languageserver's own argument handling.
 */
import {
  IPCMessageReader,
  IPCMessageWriter,
  type MessageReader,
  type MessageWriter,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver/node';
import { FramingGuard, STALL_MS } from './framing';
import { LifecycleGate } from './lifecycle';

export interface Transport {
  reader: LifecycleGate;
  writer: MessageWriter;
}

/** Exits with 1 after one line on stderr, the only channel left when the protocol stream is broken. */
function fatal(why: string): never {
  process.stderr.write(`flamelens: protocol error on stdin: ${why}; exiting so that the editor can restart the server\n`);
  process.exit(1);
}

export function serverTransport(argv: readonly string[]): Transport | undefined {
  let reader: MessageReader;
  let writer: MessageWriter;
  if (argv.includes('--stdio')) {
    const guard = new FramingGuard(fatal);
    // registered before the reader's own listener: a broken frame ends the process before it is parsed
    process.stdin.on('data', (d: Buffer) => guard.push(d));
    const stream = new StreamMessageReader(process.stdin);
    stream.partialMessageTimeout = STALL_MS;
    reader = stream;
    writer = new StreamMessageWriter(process.stdout);
    reader.onError((e) => fatal(e.message.split('\n')[0]));
    reader.onPartialMessage((info) => fatal(`a message left incomplete for ${Math.round(info.waitingTime / 1000)} s`));
  } else if (argv.includes('--node-ipc')) {
    reader = new IPCMessageReader(process);
    writer = new IPCMessageWriter(process);
  } else {
    return undefined;
  }
  const gate = new LifecycleGate(reader, writer);
  if (argv.includes('--stdio')) {
    // what vscode-languageserver does for a stdin it owns: the editor went away, so do we
    const gone = () => process.exit(gate.state === 'shutdown' ? 0 : 1);
    process.stdin.on('end', gone);
    process.stdin.on('close', gone);
  }
  return { reader: gate, writer };
}
