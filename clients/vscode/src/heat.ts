// Line heat: a background tint per line from `flamelens/lineHeat`. Four fixed steps (the server's
// `level`, see heat-level.ts) rather than one decoration type per line: decoration types are
// costly, four steps read well, and Neovim draws the same four. The colours
// are contributed theme colours (package.json) whose alpha is capped at 0.35, so text stays legible
// in light, dark and high-contrast themes and users can override them.
// With a baseline, a line whose change is flagged also gets a bar at its left edge and a mark in
// the scrollbar's left lane, in one of two more theme colours (regression, improvement): a bar
// rather than a second tint, so that the heat of the line stays readable under it, as in the
// source control gutter. A line whose cost is gone (level 0) gets the bar alone.
import * as vscode from 'vscode';
import type { LineHeat, LineHeatParams } from '../../../server/src/protocol';
import { HEAT_LEVELS as BUCKETS, heatLevel } from './heat-level';

export class LineHeatPainter implements vscode.Disposable {
  private readonly types = Array.from({ length: BUCKETS }, (_, i) =>
    vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor(`flamelens.lineHeat${i + 1}`),
      // Only the hotter half marks the scrollbar, so a long file shows where its hot spots are.
      ...(i >= BUCKETS / 2
        ? { overviewRulerColor: new vscode.ThemeColor(`flamelens.lineHeat${i + 1}`), overviewRulerLane: vscode.OverviewRulerLane.Right }
        : {}),
    }),
  );
  private readonly changeTypes = {
    regression: changeType('flamelens.lineRegression'),
    improvement: changeType('flamelens.lineImprovement'),
  };
  /** Latest heat per document URI (string form, as the server sends it). */
  private readonly byUri = new Map<string, LineHeat[]>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.subscriptions = [
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.paint(e))),
      vscode.workspace.onDidCloseTextDocument((d) => this.byUri.delete(d.uri.toString())),
    ];
  }

  update(params: LineHeatParams): void {
    // Normalise through Uri so that the server's spelling (e.g. escaped characters) matches VS Code's.
    const key = vscode.Uri.parse(params.uri).toString();
    // Heat computed for an older version arrives after an edit: VS Code has already moved the
    // current tint with the text, and the server sends fresh heat for the new version.
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (doc && params.version !== undefined && params.version < doc.version) return;
    if (params.lines.length === 0) this.byUri.delete(key);
    else this.byUri.set(key, params.lines);
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === key) this.paint(editor);
    }
  }

  private paint(editor: vscode.TextEditor): void {
    const lines = this.byUri.get(editor.document.uri.toString()) ?? [];
    const ranges: vscode.Range[][] = Array.from({ length: BUCKETS }, () => []);
    const changes = { regression: [] as vscode.Range[], improvement: [] as vscode.Range[] };
    const last = editor.document.lineCount - 1;
    for (const l of lines) {
      if (l.line < 0 || l.line > last) continue;
      const at = new vscode.Range(l.line, 0, l.line, 0);
      if (l.change === 'regression' || l.change === 'improvement') changes[l.change].push(at);
      const level = heatLevel(l);
      if (level > 0) ranges[level - 1].push(at);
    }
    this.types.forEach((t, i) => editor.setDecorations(t, ranges[i]));
    editor.setDecorations(this.changeTypes.regression, changes.regression);
    editor.setDecorations(this.changeTypes.improvement, changes.improvement);
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.types.forEach((t) => t.dispose());
    this.changeTypes.regression.dispose();
    this.changeTypes.improvement.dispose();
    this.byUri.clear();
  }
}

/** A bar at the left edge of the line and a scrollbar mark, in the theme colour `id`. */
function changeType(id: string): vscode.TextEditorDecorationType {
  const colour = new vscode.ThemeColor(id);
  return vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    borderColor: colour,
    borderStyle: 'solid',
    borderWidth: '0 0 0 4px',
    overviewRulerColor: colour,
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
}
