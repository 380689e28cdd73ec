/**
 * Where a source path recorded in a profile lives on this machine (design.md, "Mapping profile
 * paths to the user's files"). Pure apart from the `exists` probe, which tests inject.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import * as nodePath from 'node:path';
import { FileIndex } from './file-index';
import { bestSuffixMatches, segments } from './paths';

/** One rewrite rule, in the shape of the VS Code debugger's `launch.json` `pathMappings`. */
export interface PathMapping {
  /**
   * May contain `${workspaceFolder}` (the first folder), `${workspaceFolder:<name>}`,
   * `${workspaceRoot}`, `${userHome}` or a leading `~`; a relative root is under the first folder.
   */
  localRoot: string;
  remoteRoot: string;
}

export interface Resolution {
  /** Absolute local path. */
  local: string;
  /**
   * exact: the recorded absolute path, inside a workspace folder; relative: a relative recorded
   * path found under the profile's folder or a workspace folder; mapping: rewritten by a user
   * mapping; suffix: the workspace file sharing the longest path suffix; outside: the recorded
   * absolute path exists on disk outside every workspace folder (the standard library, say).
   */
  how: 'exact' | 'relative' | 'mapping' | 'suffix' | 'outside';
  /** On a suffix tie: every tied candidate, the chosen one first. */
  ambiguous?: string[];
}

/**
 * Whether a local file is the file a profile recorded under another path: the caller's evidence
 * (design.md: "the functions the profile names are defined around the lines it records").
 */
export type Confirm = (recorded: string, local: string) => boolean;

export interface PathResolverOptions {
  workspaceFolders: string[];
  mappings?: PathMapping[];
  /** File probe; defaults to fs.existsSync. */
  exists?: (absPath: string) => boolean;
  /**
   * The workspace's files for suffix matching, when the caller keeps them itself (the server's
   * watcher fills one); after changing it, call `clearCache`. Default: a private index filled by
   * `setWorkspaceFiles`, `addFile` and `removeFile`.
   */
  files?: FileIndex;
}

/** A resolution, and where the recorded file itself is when it exists outside the workspace (evidence decides). */
interface Candidate extends Resolution {
  onDisk?: Resolution;
}

const WIN_ABS = /^[A-Za-z]:[\\/]|^\\\\/;
/** File names the readers give to frames with no source (see readers/austin-text.ts). */
const SYNTHETIC = new Set(['', 'native', 'kernel', '(program)', '(garbage collector)', '(idle)', '(root)']);

/** True for names that never denote a file: `<frozen runpy>`, `<string>`, `native`, ''. */
export function isSyntheticPath(p: string): boolean {
  const t = p.trim();
  return SYNTHETIC.has(t) || t.startsWith('<') || t.endsWith('>') || t.includes('\n');
}

function isWindowsPath(p: string): boolean {
  return WIN_ABS.test(p) || (p.includes('\\') && !p.includes('/'));
}

/** Forward slashes, no trailing slash (except a bare root), lower case for Windows-style paths. */
function comparable(p: string): string {
  let s = p.replace(/\\/g, '/');
  if (s.length > 1) s = s.replace(/\/+$/, '');
  return isWindowsPath(p) ? s.toLowerCase() : s;
}

function stripTrailing(p: string): string {
  const r = nodePath.resolve(p);
  return r.length > 1 && r.endsWith(nodePath.sep) ? r.slice(0, -1) : r;
}

function isInside(file: string, folder: string): boolean {
  return file === folder || file.startsWith(folder.endsWith(nodePath.sep) ? folder : folder + nodePath.sep);
}

function sharedLeading(a: string[], b: string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * Resolves recorded profile paths to local files, in the order of design.md: the path as given
 * (inside a workspace folder), user mappings, the longest path suffix among the workspace's files,
 * then the recorded absolute path outside the workspace if it exists.
 *
 * Guarantees: synthetic names never resolve; a result is a file that exists (per `exists`) or is
 * one of the workspace files given; answers are memoised per (recorded, profileDir) until any
 * setter or `clearCache` runs.
 */
export class PathResolver {
  private folders: string[];
  private mappings: PathMapping[] = [];
  private readonly exists: (absPath: string) => boolean;
  private readonly files: FileIndex;
  private readonly memo = new Map<string, Candidate | undefined>();
  private pendingNotes: string[] = [];

  constructor(opts: PathResolverOptions) {
    this.folders = opts.workspaceFolders.map(stripTrailing);
    this.exists = opts.exists ?? existsSync;
    this.files = opts.files ?? new FileIndex();
    this.setMappings(opts.mappings ?? []);
  }

  setWorkspaceFolders(folders: string[]): void {
    this.folders = folders.map(stripTrailing);
    this.clearCache();
  }

  setMappings(m: PathMapping[]): void {
    // Longest remote root first, so /app/lib wins over /app whatever the order the user wrote.
    this.mappings = [...m].sort((a, b) => comparable(b.remoteRoot).length - comparable(a.remoteRoot).length);
    this.clearCache();
  }

  /** Absolute paths of the workspace's (source) files, for suffix matching. Replaces the previous set. */
  setWorkspaceFiles(files: Iterable<string>): void {
    this.files.clear();
    for (const f of files) this.files.add(f);
    this.clearCache();
  }

  addFile(p: string): void {
    if (this.files.add(p) === 'added') this.clearCache();
  }

  removeFile(p: string): void {
    if (this.files.remove(p)) this.clearCache();
  }

  /** Forgets memoised answers (e.g. after files appeared outside the workspace). */
  clearCache(): void {
    this.memo.clear();
  }

  /** Notes about ambiguous suffix ties found since the last call, for the server to log. */
  takeNotes(): string[] {
    const n = this.pendingNotes;
    this.pendingNotes = [];
    return n;
  }

  /**
   * Where a path recorded in a profile lives locally, or undefined.
   * `profileDir` is the folder of the profile file: relative paths are tried there first (the
   * profiler usually writes its output in the directory it ran in), and it breaks suffix ties.
   */
  resolve(recorded: string, profileDir?: string, confirm?: Confirm): Resolution | undefined {
    const key = `${profileDir ?? ''}\u0000${recorded}`;
    let r: Candidate | undefined;
    if (this.memo.has(key)) r = this.memo.get(key);
    else {
      r = isSyntheticPath(recorded) ? undefined : this.compute(recorded, profileDir);
      this.memo.set(key, r);
      if (r?.ambiguous) {
        this.pendingNotes.push(
          `${recorded}: ${r.ambiguous.length} workspace files match equally well; using ${r.local} (closest to the profile)`,
        );
      }
    }
    // A file that exists where it was recorded keeps its samples unless the local file's content
    // says it is the same file: the standard library never lends its numbers to a look-alike.
    if (r?.onDisk) return confirm?.(recorded, r.local) ? { local: r.local, how: r.how, ambiguous: r.ambiguous } : r.onDisk;
    return r;
  }

  /** Resolves many recorded paths at once: local path -> the recorded paths that map to it. */
  mapFiles(recorded: Iterable<string>, profileDir?: string, confirm?: Confirm): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const p of recorded) {
      const r = this.resolve(p, profileDir, confirm);
      if (!r) continue;
      const list = out.get(r.local);
      if (list) list.push(p);
      else out.set(r.local, [p]);
    }
    return out;
  }

  private has(p: string): boolean {
    return this.files.has(p) || this.exists(p);
  }

  private inWorkspace(p: string): boolean {
    return this.folders.some((f) => isInside(p, f));
  }

  private compute(recorded: string, profileDir?: string): Candidate | undefined {
    const winStyle = isWindowsPath(recorded);
    const absolute = !winStyle && nodePath.isAbsolute(recorded);

    // 1. The path as given, inside a workspace folder.
    if (absolute) {
      const p = nodePath.resolve(recorded);
      if (this.inWorkspace(p) && this.has(p)) return { local: p, how: 'exact' };
    } else if (!WIN_ABS.test(recorded)) {
      const rel = recorded.replace(/\\/g, '/');
      const bases = profileDir ? [profileDir, ...this.folders] : this.folders;
      for (const base of bases) {
        const p = nodePath.resolve(base, rel);
        if (this.inWorkspace(p) && this.has(p)) return { local: p, how: 'relative' };
      }
    }

    // 2. User mappings.
    const mapped = this.viaMappings(recorded);
    if (mapped) return mapped;

    // 3. The longest path suffix among the workspace's files, with evidence when the recorded file exists here.
    const outside = absolute && this.exists(nodePath.resolve(recorded)) ? { local: nodePath.resolve(recorded), how: 'outside' as const } : undefined;
    const suffix = this.viaSuffix(recorded, profileDir);
    if (suffix) return outside ? { ...suffix, onDisk: outside } : suffix;

    // 4. The recorded file itself, outside the workspace.
    return outside;
  }

  private expandLocalRoot(root: string): string | undefined {
    let missing = false;
    const expanded = root
      .replace(/^~(?=$|[\\/])/, '${userHome}')
      .replace(/\$\{userHome\}/g, () => homedir())
      // ${workspaceRoot} is the older spelling launch.json files still carry.
      .replace(/\$\{workspace(?:Folder|Root)(?::([^}]*))?\}/g, (_m, name: string | undefined) => {
        const folder = name === undefined ? this.folders[0] : this.folders.find((f) => nodePath.basename(f) === name);
        if (folder === undefined) missing = true;
        return folder ?? '';
      });
    if (missing) return undefined;
    // A relative localRoot ("src") is taken relative to the first workspace folder, as VS Code does.
    if (!nodePath.isAbsolute(expanded)) return this.folders[0] ? nodePath.resolve(this.folders[0], expanded) : undefined;
    return nodePath.resolve(expanded);
  }

  private viaMappings(recorded: string): Resolution | undefined {
    const rec = comparable(recorded);
    for (const m of this.mappings) {
      const remote = comparable(m.remoteRoot);
      if (remote === '') continue;
      let rest: string;
      if (rec === remote) rest = '';
      else if (rec.startsWith(remote.endsWith('/') ? remote : remote + '/')) rest = recorded.replace(/\\/g, '/').slice(remote.length);
      else continue;
      const local = this.expandLocalRoot(m.localRoot);
      if (local === undefined) continue;
      const p = nodePath.join(local, ...segments(rest));
      if (this.has(p)) return { local: p, how: 'mapping' };
    }
    return undefined;
  }

  private viaSuffix(recorded: string, profileDir?: string): Resolution | undefined {
    const recSegs = segments(recorded);
    if (recSegs.length === 0) return undefined;
    const candidates = this.files.named(recSegs[recSegs.length - 1].toLowerCase());
    if (!candidates) return undefined;
    // Windows file systems ignore case, so a Windows recording may spell names differently.
    const fold = isWindowsPath(recorded);
    const probe = fold ? recorded.toLowerCase() : recorded;
    const cands = fold ? candidates.map((c) => c.toLowerCase()) : candidates;
    const { matches, segments: n } = bestSuffixMatches(probe, cands);
    if (n === 0) return undefined;
    const chosen = fold ? matches.map((m) => candidates[cands.indexOf(m)]) : matches;
    // A file name alone is weak evidence: /usr/lib/python3.11/json/__init__.py must not land on
    // <workspace>/shop/__init__.py. Accept one shared segment only when it is the candidate's
    // whole path below its workspace folder (/app/main.py -> <workspace>/main.py).
    const strong = n >= 2 || recSegs.length === 1 ? chosen : chosen.filter((c) => this.relativeDepth(c) === 1);
    if (strong.length === 0) return undefined;
    if (strong.length === 1) return { local: strong[0], how: 'suffix' };
    const near = profileDir ? segments(nodePath.resolve(profileDir)) : [];
    const ranked = strong
      .map((c) => ({ c, segs: segments(c) }))
      .map((x) => ({ c: x.c, shared: sharedLeading(near, x.segs), len: x.segs.length }))
      .sort((a, b) => b.shared - a.shared || a.len - b.len || (a.c < b.c ? -1 : a.c > b.c ? 1 : 0))
      .map((x) => x.c);
    return { local: ranked[0], how: 'suffix', ambiguous: ranked };
  }

  /** Segments of a file below the innermost workspace folder that holds it (Infinity if none). */
  private relativeDepth(file: string): number {
    let best = Infinity;
    for (const f of this.folders) {
      if (isInside(file, f)) best = Math.min(best, segments(nodePath.relative(f, file)).length);
    }
    return best;
  }
}
