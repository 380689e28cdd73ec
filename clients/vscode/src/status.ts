// The status-bar item: what `flamelens/status` says, and a click to pick another profile.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StatusParams } from '../../../server/src/protocol';
import { PaletteCommands, plain } from './commands';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('flamelens.status', vscode.StatusBarAlignment.Left, 10);
  /** The last status the server sent (the baseline picker marks the current baseline). */
  last: StatusParams | undefined;

  constructor() {
    this.item.name = 'flamelens';
    this.item.command = PaletteCommands.pickProfile;
    this.update({ profile: null, loading: false, enabled: true });
    this.item.show();
  }

  update(s: StatusParams): void {
    this.last = s;
    const icon = s.loading ? '$(sync~spin)' : s.problem ? '$(warning)' : s.enabled ? '$(flame)' : '$(eye-closed)';
    if (!s.profile) {
      this.item.text = `${icon} flamelens: no profile`;
      this.item.tooltip = 'flamelens: no profile in the workspace yet. Click to choose one.';
      return;
    }
    // with a baseline: what is compared with what, or that nothing is (the tooltip says why)
    let name = plain(path.basename(s.profile));
    if (s.baseline && s.comparison) name += ` vs ${plain(path.basename(s.baseline))}`;
    if (s.baseline && s.baselineLoading) name += ` vs ${plain(path.basename(s.baseline))} (loading…)`;
    const parts = [name];
    if (s.metricLabel ?? s.metric) parts.push((s.metricLabel ?? s.metric) as string);
    if (s.loading && !s.samples) parts.push('loading…');
    else if (s.samples !== undefined) parts.push(`${s.samples.toLocaleString('en-US')} samples`);
    if (s.baselineProblem) parts.push('$(warning) no comparison');
    this.item.text = `${icon} ${parts.join(' · ')}`;
    const tip = new vscode.MarkdownString();
    tip.appendText(`flamelens: ${s.profile}\n\n`);
    if (s.format) tip.appendText(`format: ${s.format}\n\n`);
    if (s.scope) tip.appendText(`scope: ${s.scope}\n\n`);
    if (!s.enabled) tip.appendText('annotations are off\n\n');
    if (s.problem) tip.appendText(`problem: ${s.problem}\n\n`);
    if (s.comparison) tip.appendText(`compared: ${s.comparison}\n\n`);
    if (s.baselineProblem) tip.appendText(`baseline: ${s.baselineProblem}\n\n`);
    tip.appendText('Click to choose another profile.');
    this.item.tooltip = tip;
  }

  dispose(): void {
    this.item.dispose();
  }
}
