/// <reference lib="dom" />
// The flame graph page: flame graph and icicle of the whole profile, search, zoom, and the
// sandwich of one function. Two ways to get data: inline (the CLI's self-contained file) or from
// the language server that served the page (./data.json, with ./events announcing changes and
// ./open asked to show a frame's source in the editor). Every string from the profile reaches
// the DOM as textContent or canvas text, never as markup.
import { decodeFlameGraph, NodeKind, sandwich, type FlameGraph, type FlameJson, type SandwichTree } from '../../core/flame';
import { formatValue } from '../../core/format';
import { FlameCanvas, type ViewTree } from './canvas';

interface PageData {
  profile: string;
  scope: string;
  baseline?: string;
  graph: FlameJson;
}

type View = 'flame' | 'icicle' | 'sandwich';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const inline = document.getElementById('flame-data');
const served = inline === null;

let graph: FlameGraph | undefined;
let change: Float64Array | undefined;
let graphTree: ViewTree | undefined;
let view: View = 'flame';
/** Function ids from the root to the zoomed node, so a zoom survives a data update. */
let zoomPath: number[] = [];
const zoomHistory: number[][] = [];
let focusFunc = -1;
let sandwichTrees: { callers: ViewTree; callees: ViewTree } | undefined;
let query = '';
let matches: Uint8Array | undefined;

const tooltip = $<HTMLDivElement>('tooltip');
const status = $<HTMLDivElement>('status');
const message = $<HTMLDivElement>('message');

/** Control characters (Austin can record a newline inside a name) shown as spaces. */
const flat = (s: string) => s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
const fname = (f: number) => flat(graph!.strings[graph!.funcName[f]]);
const ffile = (f: number) => graph!.strings[graph!.funcFile[f]];
const isFrame = (f: number) => graph!.funcKind[f] === NodeKind.Source || graph!.funcKind[f] === NodeKind.Synthetic;
const pct = (v: number) => {
  const t = graph!.total;
  const p = t === 0 ? 0 : (v / t) * 100;
  return p > 0 && p < 0.005 ? '<0.01%' : `${p.toFixed(2)}%`;
};
const value = (v: number) => formatValue(v, graph!.metric.unit);

function hue(name: string): string {
  // the classic warm palette, stable per name so a function has one colour everywhere
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  const v = ((h >>> 0) % 1000) / 1000;
  const w = ((h >>> 10) % 1000) / 1000;
  return `rgb(${205 + Math.round(50 * v)},${Math.round(80 + 150 * w)},${Math.round(55 * v)})`;
}

function colorOf(tree: () => ViewTree | undefined): (node: number) => string {
  return (node) => {
    const t = tree()!;
    const f = t.func[node];
    const kind = graph!.funcKind[f];
    if (t.change) {
      const c = t.change[node];
      if (!Number.isFinite(c) || c === 0) return '#c8c8c8';
      const a = Math.min(1, Math.abs(c) / changeScale);
      const mix = (x: number, y: number) => Math.round(x + (y - x) * (0.25 + 0.75 * a));
      return c > 0 ? `rgb(${mix(230, 215)},${mix(230, 48)},${mix(230, 31)})` : `rgb(${mix(230, 43)},${mix(230, 108)},${mix(230, 212)})`;
    }
    if (kind === NodeKind.Synthetic) return '#b9b9b9';
    if (kind !== NodeKind.Source) return '#d9d2c4';
    return hue(fname(f));
  };
}
let changeScale = 1;

const label = (tree: () => ViewTree | undefined) => (node: number) => fname(tree()!.func[node]);

const graphCanvas = new FlameCanvas($('graph'), false, { color: colorOf(() => graphTree), label: label(() => graphTree), matches: undefined });
const callersCanvas = new FlameCanvas($('callers'), false, { color: colorOf(() => sandwichTrees?.callers), label: label(() => sandwichTrees?.callers), matches: undefined });
const calleesCanvas = new FlameCanvas($('callees'), true, { color: colorOf(() => sandwichTrees?.callees), label: label(() => sandwichTrees?.callees), matches: undefined });

function toView(g: FlameGraph, ch: Float64Array | undefined): ViewTree {
  return { nodeCount: g.nodeCount, parent: g.parent, func: g.func, line: g.line, own: g.own, total: g.nodeTotal, samples: g.samples, change: ch };
}

function sandwichView(t: SandwichTree): ViewTree {
  return { ...t, change: undefined };
}

function setData(data: PageData): void {
  const d = decodeFlameGraph(data.graph);
  graph = d.graph;
  change = d.change;
  graphTree = toView(graph, change);
  changeScale = 1;
  if (change) for (const c of change) if (Number.isFinite(c) && Math.abs(c) > changeScale) changeScale = Math.abs(c);
  $('title').textContent = data.profile;
  $('meta').textContent = `${graph.metric.label}, ${data.scope}, total ${value(graph.total)}`;
  $('legend').hidden = !change;
  $('baseline').textContent = data.baseline ? `vs ${data.baseline}` : '';
  graphCanvas.setTree(graphTree);
  graphCanvas.zoom = nodeOfPath(zoomPath);
  if (focusFunc >= 0 && focusFunc < graph.funcName.length) buildSandwich(focusFunc);
  else if (view === 'sandwich') setView('flame');
  runSearch();
  render();
}

/** The node reached by following function ids from the root (as far as they still lead). */
function nodeOfPath(path: number[]): number {
  const t = graphTree!;
  let node = 0;
  for (const f of path) {
    let next = -1;
    for (let c = node + 1; c < graphCanvas.subtreeEnd[node]; c = graphCanvas.subtreeEnd[c]) {
      if (t.func[c] === f) {
        next = c;
        break;
      }
    }
    if (next < 0) break;
    node = next;
  }
  return node;
}

function pathOf(node: number): number[] {
  const out: number[] = [];
  for (let a = node; a > 0; a = graphTree!.parent[a]) out.push(graphTree!.func[a]);
  return out.reverse();
}

function buildSandwich(f: number): void {
  focusFunc = f;
  const s = sandwich(graph!, f);
  sandwichTrees = { callers: sandwichView(s.callers), callees: sandwichView(s.callees) };
  callersCanvas.setTree(sandwichTrees.callers);
  calleesCanvas.setTree(sandwichTrees.callees);
  callersCanvas.zoom = 0;
  calleesCanvas.zoom = 0;
  $('sandwich-name').textContent = fname(f);
  const b = $<HTMLButtonElement>('view-sandwich');
  b.disabled = false;
  b.title = `Callers and callees of ${fname(f)}`;
}

function setView(v: View): void {
  view = v;
  for (const k of ['flame', 'icicle', 'sandwich'] as const) $(`view-${k}`).setAttribute('aria-pressed', String(k === v));
  $('graph-pane').hidden = v === 'sandwich';
  $('sandwich-pane').hidden = v !== 'sandwich';
  graphCanvas.inverted = v === 'icicle';
  render();
}

function render(): void {
  if (!graph) return;
  const m = matches;
  if (view === 'sandwich') {
    setMatches(callersCanvas, sandwichTrees?.callers, m);
    setMatches(calleesCanvas, sandwichTrees?.callees, m);
    callersCanvas.draw();
    calleesCanvas.draw();
  } else {
    setMatches(graphCanvas, graphTree, m);
    graphCanvas.draw();
  }
  $<HTMLButtonElement>('zoom-out').disabled = zoomHistory.length === 0 && graphCanvas.zoom === 0;
  if (document.documentElement.dataset.ready !== 'true') {
    // the page's own clock from navigation start to the first drawing with every handler in place
    performance.mark('flamelens-ready');
    document.documentElement.dataset.ready = 'true';
  }
}

/** Search matches are per function; each canvas marks its nodes of matching functions. */
function setMatches(c: FlameCanvas, tree: ViewTree | undefined, funcMatch: Uint8Array | undefined): void {
  if (!tree || !funcMatch) {
    c.style.matches = undefined;
    return;
  }
  const out = new Uint8Array(tree.nodeCount);
  for (let i = 0; i < tree.nodeCount; i++) out[i] = funcMatch[tree.func[i]];
  c.style.matches = out;
}

/**
 * Marks the functions whose name contains the query (case-insensitive) and reports the share of
 * the samples that ran any of them: matches nested in matches count once, so recursion and
 * several matching functions on one stack never add up past the time actually spent.
 */
function runSearch(): void {
  if (!graph) return;
  const q = query.trim().toLowerCase();
  if (q === '') {
    matches = undefined;
    status.textContent = '';
    return;
  }
  const fm = new Uint8Array(graph.funcName.length);
  let names = 0;
  for (let f = 0; f < fm.length; f++) {
    if (isFrame(f) && fname(f).toLowerCase().includes(q)) {
      fm[f] = 1;
      names++;
    }
  }
  const t = graphTree!;
  const under = new Uint8Array(t.nodeCount);
  let sum = 0;
  let frames = 0;
  for (let i = 0; i < t.nodeCount; i++) {
    const p = t.parent[i];
    const inMatch = p >= 0 && under[p] === 1;
    const hit = fm[t.func[i]] === 1;
    if (hit) frames++;
    if (hit && !inMatch) sum += t.total[i];
    under[i] = inMatch || hit ? 1 : 0;
  }
  matches = fm;
  status.textContent = names === 0
    ? `no function matches "${query}"`
    : `"${query}": ${pct(sum)} of all (${value(sum)}) in ${frames} frame${frames === 1 ? '' : 's'} of ${names} function${names === 1 ? '' : 's'}`;
}

function describe(tree: ViewTree, node: number, side: 'graph' | 'callers' | 'callees'): string[] {
  const f = tree.func[node];
  const kind = graph!.funcKind[f];
  const lines: string[] = [fname(f)];
  const file = ffile(f);
  const line = tree.line[node];
  if (kind === NodeKind.Source && file) lines.push(line > 0 ? `${file}:${line}` : file);
  else if (kind === NodeKind.Synthetic) lines.push(file ? `${file} (no source file)` : 'no source file');
  const total = tree.total[node];
  const own = tree.own[node];
  const ofFocus = side === 'callers' && node > 0 ? ` (${share(total, tree.total[0])} of its calls)` : '';
  lines.push(`total ${pct(total)} · ${value(total)}${ofFocus}`);
  // a caller's own time is not in its callers tree; what is, is the focus's own reached through it
  if (side === 'callers' && node > 0) lines.push(`${fname(tree.func[0])} own through here ${pct(own)} · ${value(own)}`);
  else lines.push(`own ${pct(own)} · ${value(own)}`);
  if (tree.samples) lines.push(`samples ${Math.round(tree.samples[node]).toLocaleString('en-US')}`);
  if (isFrame(f)) lines.push(`${fname(f)} in all call sites: total ${pct(graph!.funcTotal[f])}, own ${pct(graph!.funcOwn[f])}`);
  if (tree.change && Number.isFinite(tree.change[node])) {
    const c = tree.change[node];
    lines.push(c === 0 ? 'no change beyond sampling noise vs baseline' : `${c > 0 ? '+' : '−'}${value(Math.abs(c))} vs baseline (${c > 0 ? 'slower' : 'faster'})`);
  }
  return lines;
}

function share(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((part / whole) * 100).toFixed(1)}%`;
}

function showTooltip(lines: string[], e: MouseEvent, hint: string): void {
  tooltip.replaceChildren();
  lines.forEach((text, i) => {
    const div = document.createElement('div');
    div.className = i === 0 ? 'name' : i === 1 && !text.startsWith('total') ? 'loc' : '';
    div.textContent = text;
    tooltip.append(div);
  });
  const h = document.createElement('div');
  h.className = 'hint';
  h.textContent = hint;
  tooltip.append(h);
  tooltip.hidden = false;
  const pad = 14;
  const r = tooltip.getBoundingClientRect();
  const x = e.clientX + pad + r.width > window.innerWidth ? Math.max(0, e.clientX - pad - r.width) : e.clientX + pad;
  const y = e.clientY + pad + r.height > window.innerHeight ? Math.max(0, e.clientY - pad - r.height) : e.clientY + pad;
  tooltip.style.left = `${x}px`;
  tooltip.style.top = `${y}px`;
}

function wire(canvas: FlameCanvas, el: HTMLCanvasElement, tree: () => ViewTree | undefined, side: 'graph' | 'callers' | 'callees'): void {
  const at = (e: MouseEvent) => {
    const r = el.getBoundingClientRect();
    return canvas.hit(e.clientX - r.left, e.clientY - r.top);
  };
  el.addEventListener('mousemove', (e) => {
    const t = tree();
    const f = t && at(e);
    if (!t || !f) {
      tooltip.hidden = true;
      el.style.cursor = '';
      return;
    }
    el.style.cursor = 'pointer';
    const hint = side === 'graph' ? 'click: zoom in and show the source' : 'click: sandwich of this function and show the source';
    showTooltip(describe(t, f.node, side), e, served ? hint : hint.replace(' and show the source', ''));
  });
  el.addEventListener('mouseleave', () => (tooltip.hidden = true));
  el.addEventListener('click', (e) => {
    const t = tree();
    const f = t && at(e);
    if (!t || !f) return;
    const func = t.func[f.node];
    if (side === 'graph') {
      if (f.node !== graphCanvas.zoom) {
        zoomHistory.push(zoomPath);
        zoomPath = pathOf(f.node);
        graphCanvas.zoom = f.node;
      }
    }
    if (isFrame(func)) {
      buildSandwich(func);
      void openSource(func, t.line[f.node]);
    } else {
      showMessage('');
    }
    tooltip.hidden = true;
    render();
  });
}

wire(graphCanvas, $('graph'), () => graphTree, 'graph');
wire(callersCanvas, $('callers'), () => sandwichTrees?.callers, 'callers');
wire(calleesCanvas, $('callees'), () => sandwichTrees?.callees, 'callees');

function showMessage(text: string): void {
  message.textContent = text;
  message.hidden = text === '';
}

async function openSource(func: number, line: number): Promise<void> {
  const file = ffile(func);
  const name = graph!.strings[graph!.funcName[func]];
  if (graph!.funcKind[func] !== NodeKind.Source || file === '') {
    showMessage(`no source file for this frame (${fname(func)})`);
    return;
  }
  if (!served) {
    showMessage(`${file}:${line || ''} (this file was written offline: open it from the editor to jump to the source)`);
    return;
  }
  try {
    const res = await fetch('./open', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ file, line, name }),
    });
    const answer = res.ok ? ((await res.json()) as { result?: string }).result : undefined;
    if (answer === 'opened') showMessage('');
    else if (answer === 'no-file') showMessage(`no source file for this frame: ${file} is not in the workspace`);
    else showMessage(`could not open ${file}:${line}`);
  } catch {
    showMessage('the language server that served this page is gone');
  }
}

function zoomOut(): void {
  const prev = zoomHistory.pop();
  zoomPath = prev ?? [];
  graphCanvas.zoom = nodeOfPath(zoomPath);
  render();
}

$('view-flame').addEventListener('click', () => setView('flame'));
$('view-icicle').addEventListener('click', () => setView('icicle'));
$('view-sandwich').addEventListener('click', () => focusFunc >= 0 && setView('sandwich'));
$('zoom-out').addEventListener('click', zoomOut);
const search = $<HTMLInputElement>('search');
search.addEventListener('input', () => {
  query = search.value;
  runSearch();
  render();
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && document.activeElement !== search) {
    if (view === 'sandwich') setView('flame');
    else zoomOut();
  }
});
let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(render, 100);
});

/** `#fn=<name>&file=<path>` opens on the sandwich of that function (what a lens's callers link asks for). */
function applyHash(): void {
  if (!graph) return;
  const h = new URLSearchParams(location.hash.slice(1));
  const name = h.get('fn');
  if (name === null) return;
  const file = h.get('file') ?? '';
  for (let f = 0; f < graph.funcName.length; f++) {
    if (isFrame(f) && graph.strings[graph.funcName[f]] === name && (file === '' || ffile(f) === file)) {
      buildSandwich(f);
      setView('sandwich');
      return;
    }
  }
  showMessage(`no function ${name} in this profile`);
}
window.addEventListener('hashchange', applyHash);

async function load(): Promise<void> {
  if (!served) {
    setData(JSON.parse(inline!.textContent!) as PageData);
    applyHash();
    return;
  }
  await refresh();
  applyHash();
  // The server announces new data (profile grown, metric or scope switched) over server-sent events.
  const events = new EventSource('./events');
  events.addEventListener('update', () => void refresh());
}

async function refresh(): Promise<void> {
  try {
    const res = await fetch('./data.json', { cache: 'no-store' });
    const body = (await res.json()) as PageData | { empty: string };
    if ('empty' in body) {
      graph = undefined;
      graphTree = undefined;
      sandwichTrees = undefined;
      $('main').hidden = true;
      $('meta').textContent = '';
      status.textContent = body.empty;
      document.documentElement.dataset.ready = 'true';
      return;
    }
    $('main').hidden = false;
    setData(body);
  } catch (e) {
    showMessage(`could not load the profile from the language server: ${(e as Error).message}`);
  }
}

void load();

// For tests and automation: where the frames are drawn (what a user sees), nothing more.
(window as unknown as { flamelens: unknown }).flamelens = {
  frames: () => {
    const c = view === 'sandwich' ? [['callers', callersCanvas, sandwichTrees?.callers], ['callees', calleesCanvas, sandwichTrees?.callees]] as const : [['graph', graphCanvas, graphTree]] as const;
    return c.flatMap(([pane, canvas, tree]) => {
      const r = $(pane).getBoundingClientRect();
      return canvas.frames().map((f) => ({
        pane,
        name: fname(tree!.func[f.node]),
        parent: tree!.parent[f.node] >= 0 ? fname(tree!.func[tree!.parent[f.node]]) : null,
        x: r.left + f.x,
        y: r.top + f.y,
        w: f.w,
        h: f.h,
      }));
    });
  },
};
