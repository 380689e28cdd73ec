// The workspace watcher on real folders (issue 15 item 3, issue 17 item 5): one watch per folder it
// may find profiles in, never one per file; heavy folders, virtualenvs and symlink loops never
// entered; what happens on disk reported as profile and source events.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { globMatcher } from '../server/src/core/glob';
import { defaultSettings } from '../server/src/settings';
import { WorkspaceWatcher } from '../server/src/workspace/watcher';
import { procInotifyWatches } from '../bench/spawned-server';

interface Recorder {
  events: string[];
  errors: string[];
  sources: Set<string>;
  ready: Promise<void>;
  /** Resolves once an event matching `re` has been seen (from index `from`). */
  seen(re: RegExp, from?: number): Promise<void>;
}

function recorder(): { r: Recorder; handlers: ConstructorParameters<typeof WorkspaceWatcher>[2] } {
  let ready: () => void = () => undefined;
  const waiters: { re: RegExp; from: number; done: () => void }[] = [];
  const r: Recorder = {
    events: [],
    errors: [],
    sources: new Set(),
    ready: new Promise((res) => (ready = res)),
    seen(re, from = 0) {
      if (r.events.slice(from).some((e) => re.test(e))) return Promise.resolve();
      return new Promise((done) => waiters.push({ re, from, done }));
    },
  };
  const push = (e: string) => {
    r.events.push(e);
    for (const w of [...waiters]) {
      if (r.events.slice(w.from).some((x) => w.re.test(x))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    }
  };
  return {
    r,
    handlers: {
      profile: (kind, path) => push(`profile ${kind} ${path}`),
      source: (kind, path) => {
        if (kind === 'add') r.sources.add(path);
        else if (kind === 'unlink') r.sources.delete(path);
        else for (const s of [...r.sources]) if (s.startsWith(path + '/')) r.sources.delete(s);
        push(`source ${kind} ${path}`);
      },
      ready: () => ready(),
      error: (m) => r.errors.push(m),
    },
  };
}

let dir = '';
let watcher: WorkspaceWatcher | undefined;
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const options = (extra: { exclude?: string[]; maxWatchedFolders?: number } = {}) => ({
  isProfile: globMatcher(defaultSettings().profiles),
  isExcluded: globMatcher(extra.exclude ?? defaultSettings().exclude),
  maxWatchedFolders: extra.maxWatchedFolders,
});

function tree(files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
}

describe('the initial search', () => {
  it('finds profiles and indexes sources outside heavy folders, virtualenvs and build output; never follows a symlink loop', async () => {
    dir = mkdtempSync(join(tmpdir(), 'flamelens-watch-'));
    tree({
      'app/main.py': 'x',
      'app/run.austin': 'x',
      'node_modules/pkg/index.js': 'x',
      'node_modules/pkg/hidden.austin': 'x',
      '.git/objects/ab/cdef': 'x',
      'app/__pycache__/main.cpython-311.pyc': 'x',
      'env311/pyvenv.cfg': 'home = /usr',
      'env311/lib/python3.11/site-packages/m.py': 'x',
      'env311/prof.austin': 'x',
      'build/lib/app/main.py': 'x',
      'build/out.austin': 'x',
      'vendor/lib/v.c': 'x',
    });
    symlinkSync('.', join(dir, 'loop'));
    symlinkSync('..', join(dir, 'app', 'up'));
    const { r, handlers } = recorder();
    watcher = new WorkspaceWatcher([dir], options(), handlers);
    await watcher.start();
    await r.ready;
    expect(r.events.filter((e) => e.startsWith('profile')).sort()).toEqual([`profile add ${join(dir, 'app/run.austin')}`, `profile add ${join(dir, 'build/out.austin')}`]);
    // build output is searched for profiles but its copies of sources are never candidates
    expect([...r.sources].sort()).toEqual([join(dir, 'app/main.py'), join(dir, 'vendor/lib/v.c')]);
    // watched: the root, app, build, build/lib, build/lib/app, vendor, vendor/lib; nothing else
    expect(watcher.watchedFolders).toBe(7);
  });

  it('takes flamelens.exclude globs instead of the default names', async () => {
    dir = mkdtempSync(join(tmpdir(), 'flamelens-watch-'));
    tree({ 'vendor/a/x.austin': 'x', 'src/generated/y.austin': 'x', 'node_modules/z.austin': 'x' });
    const { r, handlers } = recorder();
    watcher = new WorkspaceWatcher([dir], options({ exclude: ['vendor', '**/generated'] }), handlers);
    await watcher.start();
    await r.ready;
    // node_modules is searched now: the setting replaces the default list
    expect(r.events.filter((e) => e.startsWith('profile')).sort()).toEqual([`profile add ${join(dir, 'node_modules/z.austin')}`]);
  });

  it('watches at most maxWatchedFolders folders, says so once, and still finds the profiles of the others', async () => {
    dir = mkdtempSync(join(tmpdir(), 'flamelens-watch-'));
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`d${i}/p${i}.austin`] = 'x';
    tree(files);
    const before = procInotifyWatches(process.pid);
    const { r, handlers } = recorder();
    watcher = new WorkspaceWatcher([dir], options({ maxWatchedFolders: 10 }), handlers);
    await watcher.start();
    await r.ready;
    expect(watcher.watchedFolders).toBe(10);
    expect(procInotifyWatches(process.pid) - before).toBe(10);
    expect(r.events.filter((e) => e.startsWith('profile add'))).toHaveLength(30);
    expect(r.errors.filter((e) => /watching 10 folders and no more/.test(e))).toHaveLength(1);
  });
});

describe('changes on disk', () => {
  it('reports profiles added, written, renamed and deleted, folders made and removed, and sources', async () => {
    dir = mkdtempSync(join(tmpdir(), 'flamelens-watch-'));
    tree({ 'app/main.py': 'x' });
    const { r, handlers } = recorder();
    watcher = new WorkspaceWatcher([dir], options(), handlers);
    await watcher.start();
    await r.ready;
    const p = join(dir, 'app', 'run.austin');
    let from = r.events.length;
    writeFileSync(p, 'a');
    await r.seen(new RegExp(`profile add ${p}$`), from);
    from = r.events.length;
    appendFileSync(p, 'b');
    await r.seen(new RegExp(`profile change ${p}$`), from);
    from = r.events.length;
    renameSync(p, join(dir, 'app', 'moved.austin'));
    await r.seen(new RegExp(`profile unlink ${p}$`), from);
    await r.seen(/profile add .*moved\.austin$/, from);
    // a new folder with a profile and a source in it
    from = r.events.length;
    tree({ 'new/deep/late.austin': 'x', 'new/deep/late.py': 'x' });
    await r.seen(/profile add .*new\/deep\/late\.austin$/, from);
    await r.seen(/source add .*new\/deep\/late\.py$/, from);
    expect(r.sources.has(join(dir, 'new/deep/late.py'))).toBe(true);
    // the folder goes: its profile goes, the index forgets its files, its watches close
    const watched = watcher.watchedFolders;
    from = r.events.length;
    rmSync(join(dir, 'new'), { recursive: true });
    await r.seen(/profile unlink .*late\.austin$/, from);
    await r.seen(/source unlinkDir .*\/new$/, from);
    expect(r.sources.has(join(dir, 'new/deep/late.py'))).toBe(false);
    expect(watcher.watchedFolders).toBe(watched - 2);
    // a node_modules made later is never entered
    from = r.events.length;
    tree({ 'node_modules/pkg/late.austin': 'x', 'app/after.austin': 'x' });
    await r.seen(/profile add .*after\.austin$/, from);
    expect(r.events.slice(from).some((e) => e.includes('node_modules'))).toBe(false);
  });
});
