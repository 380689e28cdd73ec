/**
 * The workspace's files by name, for suffix matching (path-resolver.ts): bounded, and each path
 * string held once (the set and the lists share it).
 */
import * as nodePath from 'node:path';

/** True for a POSIX absolute path with no `.`/`..` segment, no doubled or trailing slash. */
function isNormalAbsolute(p: string): boolean {
  return nodePath.sep === '/' && p.startsWith('/') && !p.endsWith('/') && !p.includes('//') && !p.includes('/./') && !p.includes('/../') && !p.endsWith('/.') && !p.endsWith('/..');
}

export type AddResult = 'added' | 'known' | 'full';

/**
 * Absolute paths grouped by lower-case file name. Holds at most `limit` files: past it `add`
 * answers 'full' and keeps nothing, so memory is bounded whatever the workspace holds.
 */
export class FileIndex {
  private readonly byName = new Map<string, string[]>();
  private readonly all = new Set<string>();

  constructor(public limit = Infinity) {}

  get size(): number {
    return this.all.size;
  }

  add(path: string): AddResult {
    // the watcher's paths are absolute and normal already: resolve() is most of the cost of a walk
    const f = isNormalAbsolute(path) ? path : nodePath.resolve(path);
    if (this.all.has(f)) return 'known';
    if (this.all.size >= this.limit) return 'full';
    this.all.add(f);
    const key = nodePath.basename(f).toLowerCase();
    const list = this.byName.get(key);
    if (list) list.push(f);
    else this.byName.set(key, [f]);
    return 'added';
  }

  remove(path: string): boolean {
    const f = nodePath.resolve(path);
    if (!this.all.delete(f)) return false;
    const key = nodePath.basename(f).toLowerCase();
    const list = this.byName.get(key)!;
    list.splice(list.indexOf(f), 1);
    if (list.length === 0) this.byName.delete(key);
    return true;
  }

  /** Forgets every file under a folder; returns how many. */
  removeUnder(folder: string): number {
    const d = nodePath.resolve(folder);
    const prefix = d.endsWith(nodePath.sep) ? d : d + nodePath.sep;
    let n = 0;
    for (const f of this.all) {
      if (!f.startsWith(prefix)) continue;
      this.remove(f);
      n++;
    }
    return n;
  }

  has(path: string): boolean {
    return this.all.has(nodePath.resolve(path));
  }

  /** Files with this name, in any case (`name` lower-case). */
  named(lowerName: string): readonly string[] | undefined {
    return this.byName.get(lowerName);
  }

  clear(): void {
    this.byName.clear();
    this.all.clear();
  }
}
