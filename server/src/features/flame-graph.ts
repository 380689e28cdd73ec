/**
 * `flamelens.openFlameGraph`: the flame graph page of the active profile, served on demand by the
 * language server (127.0.0.1, a per-session token), following the session's profile, metric, scope
 * and live growth; clicking a frame opens its source in the editor through the same path mapping as
 * the hints. The page's server starts with the first request for it.
 */
import * as nodePath from 'node:path';
import { FlameGraphServer, type FlameData, type OpenResult } from '../flamegraph/http';
import type { ProfileSession } from '../session/profile-session';

export interface FlameGraphHost {
  readonly session: ProfileSession;
  openLocation(uri: string, line: number): Promise<boolean>;
  log(message: string): void;
}

export class FlameGraphFeature {
  private server: FlameGraphServer | undefined;

  constructor(private readonly host: FlameGraphHost) {}

  /** The page's URL (of a function's sandwich when given its recorded file and name); starts the page's server. */
  async url(sandwich?: { file: string; name: string }): Promise<string> {
    if (!this.server) {
      this.server = new FlameGraphServer({
        data: () => this.data(),
        open: (frame) => this.open(frame.file, frame.line),
        log: (m) => this.host.log(m),
        refreshMs: this.host.session.settings.refreshInterval,
      });
    }
    await this.server.start();
    return this.server.url(sandwich);
  }

  /** Accepts the forwarded address an editor reaches the page through (VS Code's asExternalUri). */
  allowExternal(url: string): void {
    this.server?.allowExternal(url);
  }

  /** The session's data changed: open pages fetch it again (throttled). */
  changed(): void {
    this.server?.changed();
  }

  dispose(): void {
    this.server?.dispose();
    this.server = undefined;
  }

  private data(): FlameData | undefined {
    const s = this.host.session;
    const e = s.active();
    // a complete file being read is not shown half-read here either
    if (!e || (e.loading && !e.live)) return undefined;
    const view = s.viewOf(e);
    if (!view) return undefined;
    // with a baseline the session can compare (same kind of metric, read, all threads), frames are coloured by their change
    const cmp = s.baseline.compare(e, view);
    const base = cmp && cmp !== 'loading' && !('refused' in cmp) ? s.baseline.resolve(e).entry : undefined;
    return {
      profile: view.profile,
      metric: view.metric.key,
      scope: view.scope,
      label: view.name,
      scopeLabel: view.ctx.scopeLabel,
      ...(base?.profile ? { baseline: { profile: base.profile, label: nodePath.basename(base.path) } } : {}),
    };
  }

  private async open(file: string, line: number): Promise<OpenResult> {
    const e = this.host.session.active();
    if (!e) return 'no-file';
    const to = this.host.session.locate(file, line, nodePath.dirname(e.path));
    if (!to) return 'no-file';
    return (await this.host.openLocation(to.uri, to.line)) ? 'opened' : 'failed';
  }
}
