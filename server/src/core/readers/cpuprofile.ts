import { isUtf8 } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { metric, type MetricDef, type Profile } from '../model';
import { BufferedReader } from './buffered';
import { META } from './meta-keys';
import { decodeUtf8 } from './utf8-decode';
import { MAX_STACK_DEPTH, MAX_VALUE, ReadChecks } from './values';

/**
 * V8 `.cpuprofile` JSON (`node --cpu-prof`, Chrome DevTools; formats.md §6).
 *
 * The file is one JSON value, so it is parsed whole: a file past V8's string limit (~512 MB)
 * cannot be read and says so. Node's profiles are far smaller (33 KB for 3 s).
 *
 * What the format has, and how it maps (nothing is invented):
 * - a tree of nodes, one per (function, caller node). Frames sit at the function's definition
 *   line (`callFrame.lineNumber` is 0-based, so +1; also the function's `defLine`). The tree's
 *   `(root)` is not a frame; `(program)`, `(idle)`, `(garbage collector)` and `node:` scripts
 *   are synthetic frames, kept where V8 put them.
 * - `samples` (leaf node per sample) and `timeDeltas` (µs): metric `samples` counts samples and
 *   metric `wall` weighs each by the time until the next sample (Chrome DevTools' convention:
 *   a stack holds from its sample to the next; the last one holds until `endTime`). Negative
 *   deltas are clamped to 0, as speedscope does.
 * - `positionTicks` (1-based lines): self ticks of a node per line. The leaf frame of a node's
 *   samples is split over those lines: each line gets its ticks as samples (and the same share
 *   of the node's wall time). Samples beyond the ticks stay at the definition line; when ticks
 *   exceed the samples, lines get proportional shares. A node without ticks stays at its
 *   definition line.
 * - there are no call-site lines, so per-line totals do not exist: meta `flamelens.lineTotals`
 *   is 'none' (see meta-keys.ts). Function totals from the tree are exact.
 * - values that cannot be true (a delta or hit count past 2^53, sums past it) are refused, stacks
 *   deeper than 10,000 frames cut, names longer than 4,096 characters cut (values.ts); strings
 *   that are not UTF-8 keep their bytes distinct (utf8-decode.ts).
 */

interface CallFrame {
  functionName?: unknown;
  url?: unknown;
  lineNumber?: unknown;
  columnNumber?: unknown;
}

interface CpuNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: unknown;
  children?: unknown;
  parent?: unknown;
  positionTicks?: unknown;
}

/** A script URL as a path: `file://` URLs decoded; anything else unchanged. */
export function scriptPath(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return fileURLToPath(url);
  } catch {
    try {
      return decodeURIComponent(url.slice(7));
    } catch {
      return url.slice(7);
    }
  }
}

const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** Format detection: a JSON object whose first key is `nodes` (node and DevTools write it first), with call frames. */
export function detectCpuprofile(text: string): boolean {
  return /^\uFEFF?\s*\{\s*"nodes"\s*:\s*\[/.test(text) && /"callFrame"\s*:\s*\{/.test(text);
}

/** Byte offset of a JSON.parse error, from its message (character position → UTF-8 bytes). */
function jsonErrorOffset(text: string, bytes: number, e: Error, latin1: boolean): number {
  const m = /position (\d+)/.exec(e.message);
  if (!m) return bytes;
  return latin1 ? Number(m[1]) : Buffer.byteLength(text.slice(0, Number(m[1])), 'utf8');
}

/**
 * A string JSON.parse read from latin1 text (one character per byte) back to its bytes, decoded
 * as UTF-8 with bad bytes kept distinct. Characters past U+00FF can only come from `\u` escapes:
 * they are encoded as UTF-8 (a `\u00e9` escape then reads like a raw 0xe9 byte: the one case
 * this cannot tell apart, in a file that is not UTF-8 to begin with).
 */
function fromLatin1(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  const bytes: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x100) bytes.push(c);
    else bytes.push(...Buffer.from(ch, 'utf8'));
  }
  return decodeUtf8(Uint8Array.from(bytes));
}

export class CpuprofileReader extends BufferedReader {
  readonly format = 'cpuprofile';

  constructor(profile: Profile) {
    super(profile);
    profile.format = this.format;
  }

  protected decode(bytes: Buffer): void {
    let text: string;
    let json: unknown;
    // Valid UTF-8 (the norm) parses as is; otherwise bytes are read one character each and every
    // string is decoded from them, so that bad bytes stay distinct instead of all becoming U+FFFD.
    const latin1 = !isUtf8(bytes);
    try {
      text = bytes.toString(latin1 ? 'latin1' : 'utf8');
    } catch {
      this.issue(`the file (${bytes.length} bytes) is too large to parse as one JSON value`, 0, true);
      return;
    }
    try {
      if (latin1 && text.startsWith('\u00ef\u00bb\u00bf')) text = text.slice(3);
      const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      json = latin1 ? JSON.parse(body, (_k, v: unknown) => (typeof v === 'string' ? fromLatin1(v) : v)) : JSON.parse(body);
    } catch (e) {
      this.issue(`not valid JSON: ${(e as Error).message}`, jsonErrorOffset(text, bytes.length, e as Error, latin1), true);
      return;
    }
    const doc = json as { nodes?: unknown; samples?: unknown; timeDeltas?: unknown; startTime?: unknown; endTime?: unknown };
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.nodes)) {
      this.issue('not a V8 CPU profile: there is no "nodes" array', 0, true);
      return;
    }
    this.consumed = bytes.length;
    this.build(doc.nodes, doc.samples, doc.timeDeltas, doc.startTime, doc.endTime);
  }

  private build(rawNodes: unknown[], rawSamples: unknown, rawDeltas: unknown, startTime: unknown, endTime: unknown): void {
    const p = this.profile;
    const checks = new ReadChecks(p, this.log);
    const nodes = new Map<number, CpuNode>();
    let badNodes = 0;
    for (const n of rawNodes) {
      const node = n as CpuNode;
      if (!node || typeof node !== 'object' || typeof node.id !== 'number' || !node.callFrame || typeof node.callFrame !== 'object') {
        badNodes++;
        continue;
      }
      nodes.set(node.id, node);
    }
    if (badNodes) this.issue(`${badNodes} nodes lack an id or a callFrame; they were skipped`, 0, false);

    // Tree shape: `children` lists (node, DevTools) or `parent` ids (some other producers).
    const parent = new Map<number, number>();
    for (const node of nodes.values()) {
      if (Array.isArray(node.children)) {
        for (const c of node.children) if (typeof c === 'number' && nodes.has(c)) parent.set(c, node.id);
      }
      if (typeof node.parent === 'number' && nodes.has(node.parent)) parent.set(node.id, node.parent);
    }

    // Names: anonymous functions get pprof-nodejs' `(anonymous:L#line:C#col)`, and same-named
    // functions defined on different lines of one script get the line, so they stay apart.
    const baseName = (cf: CallFrame): string => {
      const fn = typeof cf.functionName === 'string' ? cf.functionName : '';
      if (fn) return fn;
      const line = num(cf.lineNumber, -1);
      return line >= 0 ? `(anonymous:L#${line + 1}:C#${num(cf.columnNumber, -1) + 1})` : '(anonymous)';
    };
    const defLines = new Map<string, Set<number>>();
    for (const node of nodes.values()) {
      const cf = node.callFrame;
      const k = `${typeof cf.url === 'string' ? cf.url : ''}\u0000${baseName(cf)}`;
      let s = defLines.get(k);
      if (!s) defLines.set(k, (s = new Set()));
      s.add(num(cf.lineNumber, -1));
    }

    interface NodeFrames {
      file: string;
      name: string;
      defLine: number;
      synthetic: boolean;
      def: number;
    }
    const info = new Map<number, NodeFrames>();
    const frameInfo = (node: CpuNode): NodeFrames => {
      let f = info.get(node.id);
      if (f) return f;
      const cf = node.callFrame;
      const url = typeof cf.url === 'string' ? cf.url : '';
      const base = baseName(cf);
      const line0 = num(cf.lineNumber, -1);
      const defLine = line0 >= 0 && line0 < 4294967295 ? Math.floor(line0) + 1 : 0;
      // the name is cut before the line is added: cut names must stay apart too
      let name = checks.name(base, 0, 0);
      if ((defLines.get(`${url}\u0000${base}`)?.size ?? 0) > 1 && defLine > 0) name = `${name} (line ${defLine})`;
      const synthetic = url === '' || url.startsWith('node:') || url.startsWith('<');
      const file = checks.name(scriptPath(url), 0, 0);
      const def = p.frame(file, name, defLine, { defLine: defLine || undefined, kind: synthetic ? 'synthetic' : 'source' });
      f = { file, name, defLine, synthetic, def };
      info.set(node.id, f);
      return f;
    };

    // Per-node sample counts and time.
    const count = new Map<number, number>();
    const wall = new Map<number, number>();
    let hasTime = false;
    if (Array.isArray(rawSamples)) {
      let n = rawSamples.length;
      const deltas = Array.isArray(rawDeltas) ? rawDeltas : undefined;
      if (deltas && deltas.length !== n) {
        this.issue(
          `"samples" has ${n} entries but "timeDeltas" ${deltas.length}; only the first ${Math.min(n, deltas.length)} samples were read`,
          0,
          false,
        );
        n = Math.min(n, deltas.length);
      }
      hasTime = deltas !== undefined;
      let unknown = 0;
      let negative = 0;
      let t = num(startTime);
      const stamps = hasTime ? new Float64Array(n) : undefined;
      if (deltas && stamps) {
        for (let i = 0; i < n; i++) {
          t += num(deltas[i]);
          stamps[i] = t;
        }
      }
      const end = num(endTime, NaN);
      for (let i = 0; i < n; i++) {
        const id = rawSamples[i];
        if (typeof id !== 'number' || !nodes.has(id)) {
          unknown++;
          continue;
        }
        count.set(id, (count.get(id) ?? 0) + 1);
        if (deltas && stamps) {
          let d: number;
          if (i + 1 < n) d = num(deltas[i + 1]);
          else d = Number.isFinite(end) ? end - stamps[i] : 0;
          if (d < 0) {
            negative++;
            d = 0;
          }
          if (d > MAX_VALUE) {
            checks.refuseRecord('delta', 0, 0, `sample ${i}'s time delta is ${d} µs, beyond 2^53 - 1, which cannot be`, 'the sample was skipped', 'such samples were skipped');
            count.set(id, count.get(id)! - 1);
            continue;
          }
          wall.set(id, (wall.get(id) ?? 0) + d);
        }
      }
      if (unknown) this.issue(`${unknown} samples name a node that does not exist; they were skipped`, 0, false);
      if (negative) p.setMeta('cpuprofile.negativeDeltas', String(negative));
    } else {
      for (const node of nodes.values()) {
        const h = num(node.hitCount);
        if (h > 0) count.set(node.id, h);
      }
      this.issue('the profile has no "samples" array: counts come from hitCount, and there is no time', 0, false);
    }

    const defs: MetricDef[] = hasTime ? [metric('wall'), metric('samples')] : [metric('samples')];
    p.setMetrics(defs);
    p.setMeta(META.lineTotals, 'none');
    const st = num(startTime, NaN);
    const et = num(endTime, NaN);
    if (Number.isFinite(st)) p.setMeta('startTime', String(st));
    if (Number.isFinite(et)) p.setMeta('endTime', String(et));
    if (Number.isFinite(st) && Number.isFinite(et)) p.setMeta('duration', String(et - st));

    const thread = p.thread('', '', '', 'main');
    const values = new Float64Array(defs.length);
    const put = (samples: number, time: number): void => {
      if (hasTime) {
        values[0] = time;
        values[1] = samples;
      } else {
        values[0] = samples;
      }
    };
    let frames = new Int32Array(64);
    let cyclic = 0;
    for (const [id, s] of count) {
      const node = nodes.get(id)!;
      const w = wall.get(id) ?? 0;
      // Ancestors, leaf last; the tree's top `(root)` is not a frame.
      const chain: CpuNode[] = [];
      let cur: CpuNode | undefined = node;
      while (cur && chain.length <= nodes.size) {
        chain.push(cur);
        const up = parent.get(cur.id);
        cur = up === undefined ? undefined : nodes.get(up);
      }
      if (cur) {
        cyclic++;
        continue;
      }
      const top = chain[chain.length - 1];
      if (top.callFrame.functionName === '(root)') chain.pop();
      if (chain.length === 0) {
        put(s, w);
        checks.add(p.root(thread), values, 0, 0);
        continue;
      }
      let depth = chain.length;
      if (depth + 1 > frames.length) frames = new Int32Array(depth * 2 + 1);
      for (let i = 0; i < depth; i++) frames[i] = frameInfo(chain[depth - 1 - i]).def;
      if (depth > MAX_STACK_DEPTH) depth = checks.cutStack(frames, depth, 0, 0);
      const leaf = frameInfo(node);

      const ticks: [number, number][] = [];
      let total = 0;
      if (Array.isArray(node.positionTicks)) {
        for (const pt of node.positionTicks as { line?: unknown; ticks?: unknown }[]) {
          const line = num(pt?.line);
          const k = num(pt?.ticks);
          if (line >= 1 && k > 0) {
            ticks.push([line, k]);
            total += k;
          }
        }
      }
      if (total === 0) {
        put(s, w);
        checks.add(p.path(thread, frames, depth), values, 0, 0);
        continue;
      }
      const scale = total <= s ? 1 : s / total;
      const kind = leaf.synthetic ? 'synthetic' : 'source';
      for (const [line, k] of ticks) {
        frames[depth - 1] = p.frame(leaf.file, leaf.name, line, { defLine: leaf.defLine || undefined, kind });
        const share = k * scale;
        put(share, s > 0 ? (w * share) / s : 0);
        checks.add(p.path(thread, frames, depth), values, 0, 0);
      }
      if (total < s) {
        frames[depth - 1] = leaf.def;
        put(s - total, (w * (s - total)) / s);
        checks.add(p.path(thread, frames, depth), values, 0, 0);
      }
    }
    if (cyclic) this.issue(`the node tree has a cycle; ${cyclic} nodes' samples were skipped`, 0, false);
  }
}
