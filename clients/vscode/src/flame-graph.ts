// The flame graph page in a webview panel beside the editor. The page is the language server's own
// (served on 127.0.0.1 with a per-session token, strict CSP); the webview only frames it, so the
// page keeps its origin: it fetches its data, follows the session over server-sent events and posts
// clicks back to the server, which opens the frame's source with window/showDocument.
import * as vscode from 'vscode';

export class FlameGraphPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private url: string | undefined;

  /** Shows the page at `url` (one panel, reused; brought forward when it exists). */
  show(url: string): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        'flamelens.flameGraph',
        'flamelens: flame graph',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
        // Scripts: a webview's sandbox passes on to the frames inside it, and the page needs its own.
        // Kept alive when hidden so that its zoom and search survive switching tabs.
        { enableScripts: true, retainContextWhenHidden: true },
      );
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.url = undefined;
      });
    } else {
      this.panel.reveal(undefined, false);
    }
    if (this.url !== url) {
      this.url = url;
      this.panel.webview.html = frameHtml(url);
    }
  }

  /** Whether the page is on screen: a frame clicked there should open its file next to it. */
  get visible(): boolean {
    return this.panel?.visible === true;
  }

  /** The editor column a file opened from the page goes to: not the page's own. */
  sourceColumn(): vscode.ViewColumn {
    const own = this.panel?.viewColumn;
    const editor = vscode.window.visibleTextEditors.find((e) => e.viewColumn !== undefined && e.viewColumn !== own);
    if (editor?.viewColumn) return editor.viewColumn;
    return own === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

/** The webview's document: one full-size frame of the page, and a policy that allows only that frame. */
export function frameHtml(url: string): string {
  const origin = new URL(url).origin;
  const csp = [`default-src 'none'`, `frame-src ${origin}`, `style-src 'unsafe-inline'`].join('; ');
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<style>html, body { margin: 0; padding: 0; height: 100%; overflow: hidden; } iframe { border: 0; width: 100%; height: 100%; display: block; }</style>
</head>
<body><iframe src="${attr(url)}" title="flamelens flame graph"></iframe></body>
</html>`;
}
