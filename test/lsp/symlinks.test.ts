// Symlinks named like profiles (issue 17 item 1): one that leads out of the workspace is never
// followed (never opened, one clear message each), one that stays inside it works. Real JSON-RPC.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProfileSummary } from '../../server/src/protocol';
import { recorded } from '../helpers/paths';
import { expectedHints } from './expected-hints';
import { hintFigures, labelOf, makeWorkspace, TestClient } from './harness';

const CPU = recorded('austin3-cpu.austin');
const WALL = recorded('austin3-wall.austin');

let c: TestClient | undefined;
let outside = '';
afterEach(async () => {
  await c?.dispose();
  c = undefined;
  if (outside) rmSync(outside, { recursive: true, force: true });
});

describe('a symlink named like a profile', () => {
  it('pointing outside the workspace is never read, with one message each; one pointing inside is read', async () => {
    const ws = makeWorkspace({ 'profiles/run.austin': readFileSync(WALL) });
    const past = new Date(Date.now() - 600_000);
    utimesSync(ws.path('profiles/run.austin'), past, past);
    // a valid recording outside the workspace, newer than everything inside: before the fix it was read and shown
    outside = mkdtempSync(join(tmpdir(), 'flamelens-outside-'));
    writeFileSync(join(outside, 'real.austin'), readFileSync(CPU));
    symlinkSync(join(outside, 'real.austin'), ws.path('outside.austin'));
    symlinkSync('/etc/shadow', ws.path('evil.austin'));
    // a relative link that leaves through ..
    symlinkSync(join('..', '..', ...outside.split('/').filter(Boolean).slice(-1), 'real.austin'), ws.path('profiles/up.austin'));
    symlinkSync(join('profiles', 'run.austin'), ws.path('inside.austin'));
    c = await TestClient.start(ws);
    for (const name of ['outside.austin', 'evil.austin', 'profiles/up.austin']) {
      const m = await c.waitForNotification<{ message: string }>('window/showMessage', (x) => x.message.includes(ws.path(name)));
      expect(m.message).toMatch(/is a symlink to .*, outside the workspace folders: not followed, not read$/);
    }
    await c.ready();
    const list = await c.command<ProfileSummary[]>('flamelens.listProfiles');
    const byName = (n: string) => list.find((p) => p.path === ws.path(n))!;
    expect(byName('outside.austin').samples).toBe(0);
    expect(byName('outside.austin').problem).toContain(join(outside, 'real.austin'));
    expect(byName('evil.austin').problem).toContain('/etc/shadow');
    expect(byName('evil.austin').samples).toBe(0);
    // inside: read like the file it names
    expect(byName('inside.austin').samples).toBe(byName('profiles/run.austin').samples);
    expect(byName('inside.austin').samples).toBeGreaterThan(0);
    // what the editor shows is the workspace's own recording, never the one outside
    const pricing = await c.open('shop/pricing.py');
    const hints = new Map((await c.inlayHints(pricing)).map((h) => [h.position.line, hintFigures(labelOf(h))]));
    expect(hints).toEqual(await expectedHints(WALL));
    expect(c.notifications('window/showMessage')).toHaveLength(3);
  });
});
