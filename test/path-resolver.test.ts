import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../server/src/core/load';
import { PathResolver, isSyntheticPath, type PathMapping } from '../server/src/core/path-resolver';
import { WORKLOADS, recorded } from './helpers/paths';

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function touch(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '');
}

let root: string; // holds ws/ and outside/
let ws: string; // the workspace: a copy of test/fixtures/workloads
let outside: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'flamelens-paths-'));
  ws = join(root, 'ws');
  outside = join(root, 'outside');
  cpSync(WORKLOADS, ws, { recursive: true });
  touch(join(outside, 'lib', 'helper.py'));
  touch(join(outside, 'shop', 'pricing.py'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A resolver over the temporary workspace whose file probe sees only `root` (never /usr/lib). */
function resolver(mappings: PathMapping[] = [], folders = [ws]): PathResolver {
  const r = new PathResolver({
    workspaceFolders: folders,
    mappings,
    exists: (p) => p.startsWith(root) && existsSync(p),
  });
  r.setWorkspaceFiles(walk(ws));
  return r;
}

describe('PathResolver: the order of design.md', () => {
  it('takes an absolute path inside the workspace as it is', () => {
    expect(resolver().resolve(join(ws, 'shop', 'pricing.py'))).toEqual({ local: join(ws, 'shop', 'pricing.py'), how: 'exact' });
  });

  it('resolves relative paths against the profile folder first, then the workspace folders', () => {
    const r = resolver();
    expect(r.resolve('shop/pricing.py', ws)).toEqual({ local: join(ws, 'shop', 'pricing.py'), how: 'relative' });
    expect(r.resolve('pricing.py', join(ws, 'shop'))).toEqual({ local: join(ws, 'shop', 'pricing.py'), how: 'relative' });
    expect(r.resolve('tests/test_pricing.py')).toEqual({ local: join(ws, 'tests', 'test_pricing.py'), how: 'relative' });
    expect(r.resolve('shop\\inventory.py')).toEqual({ local: join(ws, 'shop', 'inventory.py'), how: 'relative' });
    // Outside the workspace a relative path is not taken as given (it may still match by suffix).
    expect(r.resolve('../outside/lib/helper.py', ws)).toBeUndefined();
  });

  it('maps a recording made under /home/dev/shop into the workspace by path suffix', () => {
    const r = resolver();
    expect(r.resolve('/home/dev/shop/shop/pricing.py')).toEqual({ local: join(ws, 'shop', 'pricing.py'), how: 'suffix' });
    expect(r.resolve('/home/dev/shop/tests/test_inventory.py')?.local).toBe(join(ws, 'tests', 'test_inventory.py'));
    expect(r.resolve('/home/ci/build/shop/workers.py')?.local).toBe(join(ws, 'shop', 'workers.py'));
  });

  it('maps Windows recordings, with backslashes and any letter case', () => {
    const r = resolver();
    expect(r.resolve('C:\\Users\\dev\\shop\\shop\\pricing.py')).toEqual({ local: join(ws, 'shop', 'pricing.py'), how: 'suffix' });
    expect(r.resolve('c:\\Users\\Dev\\Shop\\SHOP\\Pricing.py')?.local).toBe(join(ws, 'shop', 'pricing.py'));
    expect(r.resolve('C:/Users/dev/shop/shop/memory.py')?.local).toBe(join(ws, 'shop', 'memory.py'));
  });

  it('applies user mappings before suffix matching, ${workspaceFolder} expanded, slashes normalised', () => {
    touch(join(ws, 'vendored', 'shop', 'pricing.py'));
    try {
      const plain = resolver();
      // By suffix the two copies tie and the shorter path wins...
      expect(plain.resolve('/app/shop/pricing.py')?.local).toBe(join(ws, 'shop', 'pricing.py'));
      // ...but the user's mapping says where /app lives.
      const mapped = resolver([{ localRoot: '${workspaceFolder}/vendored/', remoteRoot: '/app/' }]);
      expect(mapped.resolve('/app/shop/pricing.py')).toEqual({ local: join(ws, 'vendored', 'shop', 'pricing.py'), how: 'mapping' });
      // The longest remote root wins, whatever the order of the list.
      const nested = resolver([
        { localRoot: '${workspaceFolder}/vendored', remoteRoot: '/app' },
        { localRoot: '${workspaceFolder}', remoteRoot: '/app/src' },
      ]);
      expect(nested.resolve('/app/src/shop/pricing.py')).toEqual({ local: join(ws, 'shop', 'pricing.py'), how: 'mapping' });
      expect(nested.resolve('/app/shop/pricing.py')?.local).toBe(join(ws, 'vendored', 'shop', 'pricing.py'));
    } finally {
      rmSync(join(ws, 'vendored'), { recursive: true });
    }
  });

  it('maps Windows remote roots, named workspace folders and relative local roots', () => {
    const win = resolver([{ localRoot: '${workspaceFolder}', remoteRoot: 'C:\\Users\\dev\\shop\\' }]);
    expect(win.resolve('C:\\Users\\dev\\shop\\shop\\pricing.py')).toEqual({ local: join(ws, 'shop', 'pricing.py'), how: 'mapping' });
    expect(win.resolve('c:\\users\\DEV\\shop\\tests\\test_pricing.py')?.how).toBe('mapping');
    const named = resolver([{ localRoot: '${workspaceFolder:ws}/shop', remoteRoot: '/srv' }], [outside, ws]);
    expect(named.resolve('/srv/report.py')).toEqual({ local: join(ws, 'shop', 'report.py'), how: 'mapping' });
    const legacy = resolver([{ localRoot: '${workspaceRoot}/shop', remoteRoot: '/srv' }]);
    expect(legacy.resolve('/srv/report.py')?.how).toBe('mapping');
    const unknown = resolver([{ localRoot: '${workspaceFolder:nope}/shop', remoteRoot: '/srv' }]);
    expect(unknown.resolve('/srv/report.py')).toBeUndefined();
    const relative = resolver([{ localRoot: 'shop', remoteRoot: '/srv' }]);
    expect(relative.resolve('/srv/report.py')).toEqual({ local: join(ws, 'shop', 'report.py'), how: 'mapping' });
    // A mapping to a file that does not exist falls through to the suffix step.
    const wrong = resolver([{ localRoot: '${workspaceFolder}/nowhere', remoteRoot: '/home/dev/shop' }]);
    expect(wrong.resolve('/home/dev/shop/shop/pricing.py')).toEqual({ local: join(ws, 'shop', 'pricing.py'), how: 'suffix' });
  });

  it('keeps a recorded file that exists elsewhere on disk, unless the evidence says the workspace copy is it', () => {
    const recordedPath = join(outside, 'shop', 'pricing.py');
    expect(existsSync(recordedPath)).toBe(true);
    // the file that ran is where the profile says: a look-alike in the workspace gets nothing
    expect(resolver().resolve(recordedPath)).toEqual({ local: recordedPath, how: 'outside' });
    const asked: [string, string][] = [];
    const yes = (rec: string, local: string) => (asked.push([rec, local]), true);
    expect(resolver().resolve(recordedPath, undefined, yes)).toEqual({ local: join(ws, 'shop', 'pricing.py'), how: 'suffix' });
    expect(asked).toEqual([[recordedPath, join(ws, 'shop', 'pricing.py')]]);
    expect(resolver().resolve(recordedPath, undefined, () => false)).toEqual({ local: recordedPath, how: 'outside' });
    // a recorded path that does not exist here needs no evidence
    const r = resolver();
    expect(r.resolve('/home/ci/build/shop/pricing.py', undefined, () => false)).toEqual({ local: join(ws, 'shop', 'pricing.py'), how: 'suffix' });
  });

  it('serves files outside the workspace by their absolute path', () => {
    const helper = join(outside, 'lib', 'helper.py');
    expect(resolver().resolve(helper)).toEqual({ local: helper, how: 'outside' });
    expect(resolver().resolve('/usr/lib/python3.11/json/encoder.py')).toBeUndefined();
    // With the real file system, a standard library file that exists is served as it is.
    const real = new PathResolver({ workspaceFolders: [ws] });
    real.setWorkspaceFiles(walk(ws));
    const encoder = '/usr/lib/python3.11/json/encoder.py';
    expect(real.resolve(encoder)).toEqual(existsSync(encoder) ? { local: encoder, how: 'outside' } : undefined);
  });

  it('never resolves synthetic names', () => {
    const r = resolver();
    for (const name of ['', 'native', 'kernel', '<frozen runpy>', '<frozen importlib._bootstrap>', '<string>', '<stdin>']) {
      expect(isSyntheticPath(name), name).toBe(true);
      expect(r.resolve(name, ws), name).toBeUndefined();
    }
    expect(isSyntheticPath('/home/dev/shop/shop/pricing.py')).toBe(false);
  });
});

describe('PathResolver: mappings to the home folder', () => {
  it('expands ${userHome} and a leading ~', () => {
    const target = join(homedir(), 'proj', 'app.py');
    for (const localRoot of ['~/proj', '${userHome}/proj']) {
      const r = new PathResolver({ workspaceFolders: ['/w'], mappings: [{ localRoot, remoteRoot: '/app' }], exists: (p) => p === target });
      expect(r.resolve('/app/app.py'), localRoot).toEqual({ local: target, how: 'mapping' });
    }
  });
});

describe('PathResolver: weak and ambiguous suffix matches', () => {
  it('does not take a shared file name alone for a match, unless the file sits at the workspace root', () => {
    const r = resolver();
    // json/__init__.py is not shop/__init__.py, nor is the stdlib's __main__.py the shop's.
    expect(r.resolve('/usr/lib/python3.11/json/__init__.py')).toBeUndefined();
    expect(r.resolve('/usr/lib/python3.11/unittest/__main__.py')).toBeUndefined();
    expect(r.resolve('/home/ci/build/pricing.py')).toBeUndefined();
    // A container's /app/pytest.ini is the workspace's pytest.ini: both sit at their project's root.
    expect(r.resolve('/app/pytest.ini')).toEqual({ local: join(ws, 'pytest.ini'), how: 'suffix' });
  });

  it('breaks ties by closeness to the profile, then by the shortest path, and reports them once', () => {
    const r = new PathResolver({ workspaceFolders: ['/w'], exists: () => false });
    r.setWorkspaceFiles(['/w/a/shop/pricing.py', '/w/b/shop/pricing.py', '/w/deep/er/c/shop/pricing.py', '/w/x/pricing.py']);
    const near = r.resolve('/home/ci/shop/pricing.py', '/w/b/profiles');
    expect(near).toEqual({
      local: '/w/b/shop/pricing.py',
      how: 'suffix',
      ambiguous: ['/w/b/shop/pricing.py', '/w/a/shop/pricing.py', '/w/deep/er/c/shop/pricing.py'],
    });
    expect(r.resolve('/home/ci/shop/pricing.py', '/w')?.local).toBe('/w/a/shop/pricing.py');
    expect(r.resolve('/home/ci/shop/pricing.py', '/w/deep/er')?.local).toBe('/w/deep/er/c/shop/pricing.py');
    const notes = r.takeNotes();
    expect(notes).toHaveLength(3);
    expect(notes[0]).toContain('/home/ci/shop/pricing.py');
    expect(notes[0]).toContain('/w/b/shop/pricing.py');
    // Memoised: asking again neither recomputes nor logs again.
    r.resolve('/home/ci/shop/pricing.py', '/w/b/profiles');
    expect(r.takeNotes()).toEqual([]);
    // A longer suffix is no tie.
    expect(r.resolve('/home/ci/b/shop/pricing.py')).toEqual({ local: '/w/b/shop/pricing.py', how: 'suffix' });
  });

  it('finds the right file among thousands with the same name', () => {
    const files: string[] = [];
    for (let i = 0; i < 2000; i++) files.push(`/w/pkg${i}/sub/__init__.py`, `/w/pkg${i}/mod.py`);
    let probes = 0;
    const r = new PathResolver({ workspaceFolders: ['/w'], exists: () => (probes++, false) });
    r.setWorkspaceFiles(files);
    expect(r.resolve('/site-packages/pkg1234/sub/__init__.py')?.local).toBe('/w/pkg1234/sub/__init__.py');
    expect(r.resolve('/site-packages/pkg7/mod.py')?.local).toBe('/w/pkg7/mod.py');
    expect(r.resolve('/site-packages/pkg99999/mod.py')).toBeUndefined();
    // The file system is probed a few times per path, never once per workspace file.
    expect(probes).toBeLessThan(20);
  });
});

describe('PathResolver: memo and updates', () => {
  it('memoises per (recorded, profileDir) and forgets on every update', () => {
    let probes = 0;
    const present = new Set(['/w/shop/pricing.py']);
    const r = new PathResolver({ workspaceFolders: ['/w'], exists: (p) => (probes++, present.has(p)) });
    r.setWorkspaceFiles(['/w/shop/pricing.py']);
    expect(r.resolve('/home/dev/shop/shop/pricing.py')?.local).toBe('/w/shop/pricing.py');
    const after = probes;
    expect(r.resolve('/home/dev/shop/shop/pricing.py')?.local).toBe('/w/shop/pricing.py');
    expect(probes).toBe(after);
    expect(r.resolve('/home/dev/shop/shop/inventory.py')).toBeUndefined();
    r.addFile('/w/shop/inventory.py');
    expect(r.resolve('/home/dev/shop/shop/inventory.py')?.local).toBe('/w/shop/inventory.py');
    r.removeFile('/w/shop/pricing.py');
    present.clear();
    expect(r.resolve('/home/dev/shop/shop/pricing.py')).toBeUndefined();
    r.setMappings([{ localRoot: '${workspaceFolder}/shop', remoteRoot: '/x' }]);
    expect(r.resolve('/x/inventory.py')).toEqual({ local: '/w/shop/inventory.py', how: 'mapping' });
    r.setWorkspaceFiles([]);
    expect(r.resolve('/x/inventory.py')).toBeUndefined();
  });
});

describe('PathResolver on a real recording', () => {
  it('lights up every shop source of austin3-cpu in the workspace and no standard library file', async () => {
    const { profile } = await loadProfile(recorded('austin3-cpu.austin'));
    const sources = profile.sourceFiles();
    const shop = sources.filter((f) => f.startsWith('/home/dev/shop/shop/'));
    const stdlib = sources.filter((f) => f.startsWith('/usr/'));
    expect(shop.length).toBeGreaterThanOrEqual(7);
    expect(stdlib.length).toBeGreaterThan(10);
    const r = resolver();
    for (const f of shop) {
      expect(r.resolve(f, ws), f).toEqual({ local: join(ws, 'shop', f.slice('/home/dev/shop/shop/'.length)), how: 'suffix' });
    }
    for (const f of stdlib) expect(r.resolve(f, ws), f).toBeUndefined();
    for (const f of sources.filter((s) => !s.startsWith('/'))) expect(r.resolve(f, ws), f).toBeUndefined();
    // mapFiles gives the server its index: local file -> recorded paths.
    const index = r.mapFiles(sources, ws);
    expect([...index.keys()].sort()).toEqual(shop.map((f) => join(ws, 'shop', f.slice('/home/dev/shop/shop/'.length))).sort());
    expect(index.get(join(ws, 'shop', 'pricing.py'))).toEqual(['/home/dev/shop/shop/pricing.py']);
  });
});
