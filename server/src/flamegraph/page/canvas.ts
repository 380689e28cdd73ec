/// <reference lib="dom" />
// A flame graph drawn on a canvas from parallel arrays. Each draw walks the zoomed subtree in
// pre-order and skips, whole, every subtree whose frame would be narrower than a pixel: the
// work is proportional to what is visible, whatever the size of the tree. Names are painted with
// fillText, which renders text and never markup.

/** A tree in pre-order (a node's subtree is `i .. end[i]`), as the core's graph and sandwich trees are. */
export interface ViewTree {
  readonly nodeCount: number;
  readonly parent: Int32Array;
  readonly func: Int32Array;
  readonly line: Int32Array;
  readonly own: Float64Array;
  readonly total: Float64Array;
  readonly samples: Float64Array | undefined;
  /** Change against a baseline in percentage points (NaN for none). */
  readonly change: Float64Array | undefined;
}

export interface Frame {
  node: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

const ROW = 18;
/** Frames narrower than this (CSS pixels) are not drawn, nor is anything above them. */
export const MIN_FRAME_PX = 1;

export interface Style {
  /** Fill colour of a node. */
  color(node: number): string;
  label(node: number): string;
  /** Search matches, or undefined for no search. */
  matches: Uint8Array | undefined;
}

export class FlameCanvas {
  private tree: ViewTree | undefined;
  private end = new Int32Array(0);
  private depth = new Int32Array(0);
  private cursor = new Float64Array(0);
  /** The node shown full width. */
  zoom = 0;
  /** Visible frames by row, left to right, for hit testing. */
  private rows: Frame[][] = [];
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** true: the root at the top (icicle); false: at the bottom (flame). */
    public inverted: boolean,
    /** Colours, labels and search matches; `matches` may be swapped between draws. */
    readonly style: Style,
  ) {
    this.ctx = canvas.getContext('2d')!;
  }

  setTree(tree: ViewTree): void {
    const n = tree.nodeCount;
    this.tree = tree;
    this.end = new Int32Array(n);
    this.depth = new Int32Array(n);
    this.cursor = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.end[i] = i + 1;
      this.depth[i] = tree.parent[i] < 0 ? 0 : this.depth[tree.parent[i]] + 1;
    }
    for (let i = n - 1; i > 0; i--) {
      const p = tree.parent[i];
      if (this.end[i] > this.end[p]) this.end[p] = this.end[i];
    }
    if (this.zoom >= n) this.zoom = 0;
  }

  get nodeDepth(): Int32Array {
    return this.depth;
  }

  get subtreeEnd(): Int32Array {
    return this.end;
  }

  /** Lays out the visible frames and paints them. */
  draw(): void {
    const tree = this.tree;
    const canvas = this.canvas;
    const width = canvas.clientWidth || canvas.parentElement?.clientWidth || 800;
    this.rows = [];
    if (!tree || tree.nodeCount === 0) {
      canvas.height = 0;
      return;
    }
    const { parent, total } = tree;
    const z = this.zoom;
    const scale = total[z] > 0 ? width / total[z] : 0;
    const frames: Frame[] = [];
    let maxDepth = this.depth[z];
    // the zoomed node's ancestors, full width, so the way back is visible and clickable
    for (let a = parent[z]; a >= 0; a = parent[a]) frames.push({ node: a, x: 0, y: this.depth[a], w: width, h: ROW });
    frames.push({ node: z, x: 0, y: this.depth[z], w: width, h: ROW });
    const cursor = this.cursor;
    cursor[z] = 0;
    const end = this.end[z];
    for (let i = z + 1; i < end; ) {
      const p = parent[i];
      const w = total[i] > 0 ? total[i] * scale : 0;
      const x = cursor[p];
      cursor[p] = x + w;
      if (w < MIN_FRAME_PX) {
        i = this.end[i];
        continue;
      }
      cursor[i] = x;
      const d = this.depth[i];
      if (d > maxDepth) maxDepth = d;
      frames.push({ node: i, x, y: d, w, h: ROW });
      i++;
    }
    const rows = maxDepth + 1;
    const cssHeight = rows * ROW;
    const dpr = window.devicePixelRatio || 1;
    canvas.style.height = `${cssHeight}px`;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(cssHeight * dpr);
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, cssHeight);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    const matches = this.style.matches;
    this.rows = Array.from({ length: rows }, () => []);
    for (const f of frames) {
      const d = f.y;
      f.y = this.inverted ? d * ROW : (rows - 1 - d) * ROW;
      this.rows[d].push(f);
      const faded = f.node < z || (matches !== undefined && !matches[f.node]);
      ctx.globalAlpha = faded ? 0.35 : 1;
      ctx.fillStyle = matches?.[f.node] ? '#e600e6' : this.style.color(f.node);
      ctx.fillRect(f.x, f.y, Math.max(f.w - 0.5, 0.5), ROW - 1);
      if (f.w > 28) {
        ctx.fillStyle = '#000';
        ctx.fillText(fit(ctx, this.style.label(f.node), f.w - 8), f.x + 4, f.y + ROW / 2);
      }
    }
    ctx.globalAlpha = 1;
  }

  /** The frame under a point in CSS pixels relative to the canvas, if any. */
  hit(x: number, y: number): Frame | undefined {
    const rows = this.rows.length;
    const r = Math.floor(y / ROW);
    const d = this.inverted ? r : rows - 1 - r;
    const row = this.rows[d];
    if (!row) return undefined;
    let lo = 0;
    let hi = row.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = row[mid];
      if (x < f.x) hi = mid - 1;
      else if (x >= f.x + f.w) lo = mid + 1;
      else return f;
    }
    return undefined;
  }

  /** Every frame drawn, in CSS pixels relative to the canvas. */
  frames(): Frame[] {
    return this.rows.flat().map((f) => ({ ...f }));
  }
}

const fitCache = new Map<string, string>();

/** The label cut with an ellipsis to fit `max` pixels; '' when not even one character fits. */
function fit(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  const key = `${Math.floor(max)}\u0000${text}`;
  const hit = fitCache.get(key);
  if (hit !== undefined) return hit;
  let out = text;
  if (ctx.measureText(text).width > max) {
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(text.slice(0, mid) + '…').width <= max) lo = mid;
      else hi = mid - 1;
    }
    out = lo > 0 ? text.slice(0, lo) + '…' : '';
  }
  if (fitCache.size > 20000) fitCache.clear();
  fitCache.set(key, out);
  return out;
}
