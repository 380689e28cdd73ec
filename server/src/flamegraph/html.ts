// The flame graph page as one HTML document: our stylesheet and the bundled page script inline,
// allowed by a Content-Security-Policy that lists their hashes and nothing else, so the page can
// load no code, style, image, font or frame from anywhere (not even from our own server).
import { createHash } from 'node:crypto';
import type { FlameJson } from '../core/flame';
import { pageScript } from './page-script';

/** What the page shows above the graph, besides the numbers. */
export interface PageMeta {
  /** The profile's file name (never a path with the user's home in CI artifacts unless they chose it). */
  readonly profile: string;
  /** "all samples (5 threads)", "thread 12901 of process 12701", ... */
  readonly scope: string;
  readonly baseline?: string;
}

/** The data document the page reads: the graph's columns plus what to call things. */
export interface PageData extends PageMeta {
  readonly graph: FlameJson;
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fff; --muted: #666; --bar: #f3f3f3; --line: #ddd; --accent: #b3168a; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e6e6; --bg: #1e1e1e; --muted: #a0a0a0; --bar: #2a2a2a; --line: #444; --accent: #ff6bd6; } }
* { box-sizing: border-box; }
body { margin: 0; font: 13px system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { position: sticky; top: 0; z-index: 2; background: var(--bar); border-bottom: 1px solid var(--line); padding: 6px 10px; display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; }
header h1 { font-size: 13px; margin: 0; font-weight: 600; }
header .meta { color: var(--muted); }
header .spacer { flex: 1; }
button, input { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 3px; padding: 2px 8px; }
button[aria-pressed="true"] { border-color: var(--accent); box-shadow: inset 0 0 0 1px var(--accent); }
button:disabled { opacity: .5; }
input[type="search"] { width: 16em; }
#status { padding: 4px 10px; min-height: 1.6em; color: var(--muted); border-bottom: 1px solid var(--line); white-space: pre-wrap; }
#message { padding: 4px 10px; background: #fff4c2; color: #3a2e00; }
#message[hidden] { display: none; }
main { padding: 4px 10px 40px; }
canvas { display: block; width: 100%; }
.pane-title { margin: 8px 0 2px; font-weight: 600; }
.pane-title .meta { font-weight: 400; color: var(--muted); }
#tooltip { position: fixed; z-index: 3; pointer-events: none; max-width: 46em; background: #111; color: #f4f4f4; border-radius: 4px; padding: 6px 9px; line-height: 1.45; box-shadow: 0 2px 8px rgba(0,0,0,.35); overflow-wrap: anywhere; }
#tooltip[hidden] { display: none; }
#tooltip .name { font-weight: 600; }
#tooltip .loc, #tooltip .hint { color: #bbb; }
.legend { display: inline-flex; gap: 10px; align-items: center; color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 3px; vertical-align: -1px; }
.swatch.slower { background: #d7301f; }
.swatch.faster { background: #2b6cd4; }
[hidden] { display: none !important; }
`;

const BODY = `
<header>
  <h1 id="title">flame graph</h1>
  <span class="meta" id="meta"></span>
  <span class="spacer"></span>
  <span class="legend" id="legend" hidden><span><span class="swatch slower"></span>slower</span><span><span class="swatch faster"></span>faster</span><span id="baseline"></span></span>
  <span role="group" aria-label="view">
    <button type="button" id="view-flame" aria-pressed="true">Flame graph</button>
    <button type="button" id="view-icicle" aria-pressed="false">Icicle</button>
    <button type="button" id="view-sandwich" aria-pressed="false" disabled title="Click a frame first, then show the sandwich of its function">Sandwich</button>
  </span>
  <button type="button" id="zoom-out" disabled title="Back to the previous zoom (Escape)">Zoom out</button>
  <input type="search" id="search" placeholder="Search functions" aria-label="search function names" autocomplete="off" spellcheck="false">
</header>
<div id="status" role="status" aria-live="polite"></div>
<div id="message" role="alert" hidden></div>
<main id="main">
  <section id="graph-pane"><canvas id="graph" aria-label="flame graph"></canvas></section>
  <section id="sandwich-pane" hidden>
    <div class="pane-title">Callers of <span id="sandwich-name"></span> <span class="meta">(inverted: each row calls the one below)</span></div>
    <canvas id="callers" aria-label="callers"></canvas>
    <div class="pane-title">Callees <span class="meta">(what it called)</span></div>
    <canvas id="callees" aria-label="callees"></canvas>
  </section>
</main>
<div id="tooltip" hidden></div>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The Content-Security-Policy of a page with exactly this inline script and style. */
export function contentSecurityPolicy(script: string, style: string, opts: { connect: boolean }): string {
  return [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    // server mode fetches its data, posts clicks and listens for updates on its own origin only
    `connect-src ${opts.connect ? "'self'" : "'none'"}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** JSON that is safe inside a `<script type="application/json">` element: no `</script>`, no `<!--`. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function page(head: string, dataBlock: string): string {
  const script = pageScript();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${head}
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flamelens flame graph</title>
<style>${STYLE}</style>
</head>
<body>${BODY}${dataBlock}<script>${script}</script>
</body>
</html>
`;
}

/** The served page (data comes from `./data.json`, updates from `./events`) and the CSP header to send with it. */
export function servedPage(): { html: string; csp: string } {
  return { html: page('', ''), csp: contentSecurityPolicy(pageScript(), STYLE, { connect: true }) };
}

/**
 * A self-contained page: the data and code inline, the policy in a meta element (a file has no
 * headers), no network access at all. Opens by double-click, offline.
 */
export function standalonePage(data: PageData): string {
  const csp = contentSecurityPolicy(pageScript(), STYLE, { connect: false });
  const attr = csp.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return page(
    `<meta http-equiv="Content-Security-Policy" content="${attr}">`,
    `<script type="application/json" id="flame-data">${scriptSafeJson(data)}</script>`,
  );
}
