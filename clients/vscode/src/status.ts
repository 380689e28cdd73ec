// The status-bar item: what `flamelens/status` says, and a click to pick another profile.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StatusParams } from '../../../server/src/protocol';
import { PaletteCommands } from './commands';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('flamelens.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'flamelens';
    this.item.command = PaletteCommands.pickProfile;
    this.update({ profile: null, loading: false, enabled: true });
    this.item.show();
  }

  update(s: StatusParams): void {
    const icon = s.loading ? '$(sync~spin)' : s.problem ? '$(warning)' : s.enabled ? '$(flame)' : '$(eye-closed)';
    if (!s.profile) {
      this.item.text = `${icon} flamelens: no profile`;
      this.item.tooltip = 'flamelens: no profile in the workspace yet. Click to choose one.';
      return;
    }
    const parts = [path.basename(s.profile)];
    if (s.metricLabel ?? s.metric) parts.push((s.metricLabel ?? s.metric) as string);
    if (s.loading && !s.samples) parts.push('loading…');
    else if (s.samples !== undefined) parts.push(`${s.samples.toLocaleString('en-US')} samples`);
    this.item.text = `${icon} ${parts.join(' · ')}`;
    const tip = new vscode.MarkdownString();
    tip.appendText(`flamelens: ${s.profile}\n\n`);
    if (s.format) tip.appendText(`format: ${s.format}\n\n`);
    if (s.scope) tip.appendText(`scope: ${s.scope}\n\n`);
    if (!s.enabled) tip.appendText('annotations are off\n\n');
    if (s.problem) tip.appendText(`problem: ${s.problem}\n\n`);
    tip.appendText('Click to choose another profile.');
    this.item.tooltip = tip;
  }

  dispose(): void {
    this.item.dispose();
  }
}
