// What the server sends as `flamelens/lineHeat` for one file of a workspace, read over stdio by a
// second, plain JSON-RPC client of the built server (the way any editor talks to it). The editor
// test compares what the editor draws with this, so that it checks the client's drawing and
// not the server's heat formula (which the server's own tests pin).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import type { LineHeat, LineHeatParams, StatusParams } from '../../../server/src/protocol';

/** The line heat of `file` once the server has read the workspace's profile. */
export async function serverLineHeat(server: string, workspace: string, file: string, timeout = 60_000): Promise<LineHeat[]> {
  const proc = spawn(process.execPath, [server, '--stdio'], { cwd: workspace, stdio: ['pipe', 'pipe', 'ignore'] });
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  const raw = conn as unknown as MessageConnection;
  const uri = pathToFileURL(file).href;
  try {
    const heat = new Promise<LineHeat[]>((resolve, reject) => {
      let latest: LineHeatParams | undefined;
      let loaded = false;
      const done = () => loaded && latest && latest.lines.length > 0 && resolve(latest.lines);
      raw.onNotification('flamelens/lineHeat', (p: LineHeatParams) => {
        if (p.uri === uri) latest = p;
        done();
      });
      raw.onNotification('flamelens/status', (s: StatusParams) => {
        loaded = !!s.profile && !s.loading && (s.samples ?? 0) > 0;
        done();
      });
      // workspace/configuration: the defaults, as VS Code sends for an untouched `flamelens` section
      raw.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
      raw.onRequest(() => null);
      setTimeout(() => reject(new Error(`no line heat for ${file} within ${timeout} ms`)), timeout).unref();
    });
    conn.listen();
    const root = pathToFileURL(workspace).href;
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: root,
      workspaceFolders: [{ uri: root, name: 'workspace' }],
      capabilities: { workspace: { configuration: true }, experimental: { flamelens: { lineHeat: true, status: true } } },
    });
    await conn.sendNotification('initialized', {});
    await conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text: readFileSync(file, 'utf8') },
    });
    return await heat;
  } finally {
    conn.dispose();
    proc.kill();
  }
}
