// `flamelens flamegraph`: one self-contained HTML file (data and code inline, no server, nothing
// fetched) with the flame graph, icicle, search and sandwich views of a profile: a CI artifact.
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { buildFlameGraph, encodeFlameGraph } from '../core/flame';
import { standalonePage } from '../flamegraph/html';
import { CliError, describeScope, finish, openProfile, pickMetric, pickScope, type Io } from './common';

export interface FlameGraphOptions {
  metric?: string;
  pid?: string;
  tid?: string;
  output?: string;
}

/**
 * Writes the page to `-o FILE`, or to stdout when stdout is not a terminal (`> out.html`, a pipe).
 * HTML on a terminal helps nobody, so that is refused with a hint instead.
 */
export async function runFlameGraph(io: Io, file: string, o: FlameGraphOptions): Promise<number> {
  if (o.output === undefined && io.isTty) {
    throw new CliError('flamegraph writes HTML: give -o FILE.html or redirect stdout (flamelens flamegraph PROFILE > out.html)');
  }
  const loaded = await openProfile(file);
  const p = loaded.profile;
  const metric = pickMetric(loaded, o.metric);
  const scope = pickScope(loaded, o.pid, o.tid);
  const graph = buildFlameGraph(p, metric.key, scope);
  const html = standalonePage({ profile: basename(file), scope: describeScope(p, scope), graph: encodeFlameGraph(graph) });
  if (o.output === undefined) {
    io.out(html);
  } else {
    try {
      await writeFile(o.output, html);
    } catch (e) {
      throw new CliError(`cannot write ${o.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    io.out(`wrote ${o.output} (${graph.nodeCount.toLocaleString('en-US')} frames, ${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB)\n`);
  }
  return finish(io, loaded);
}
