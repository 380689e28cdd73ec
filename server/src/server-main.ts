// The language server over stdio or node IPC. stdout is the protocol stream, so console.* goes to
// the client's log instead: one stray console.log would corrupt it.
import { createConnection } from 'vscode-languageserver/node';
import { serve } from './connection';
import { serverTransport } from './transport';

export function start(): void {
  const t = serverTransport(process.argv.slice(2));
  const connection = t ? createConnection(t.reader, t.writer) : createConnection();
  const log = (...a: unknown[]) => connection.console.log(a.map(String).join(' '));
  console.log = log;
  console.info = (...a: unknown[]) => connection.console.info(a.map(String).join(' '));
  console.warn = (...a: unknown[]) => connection.console.warn(a.map(String).join(' '));
  console.error = (...a: unknown[]) => connection.console.error(a.map(String).join(' '));
  console.debug = log;
  process.on('unhandledRejection', (e) => connection.console.error(`unhandled rejection: ${(e as Error)?.stack ?? e}`));
  process.on('uncaughtException', (e) => connection.console.error(`uncaught exception: ${e.stack ?? e}`));
  serve(connection);
}
