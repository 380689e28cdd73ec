/**
 * Source roots of a language outside the workspace that a profile may make the server read:
 * Python's standard library and installed packages (the files users open to see where time goes in
 * `json` or `inspect`). Nothing else outside the workspace is ever read for a profile: a profile
 * that names `/etc/shadow` or `../../secret.py` gets no lens, no hover and no link to it.
 */
import { existsSync } from 'node:fs';
import * as nodePath from 'node:path';

const PY_LIB = /^(.*[\\/]lib[\\/]python\d+(?:\.\d+)?)[\\/]/;
const PY_PACKAGES = /^(.*[\\/](?:site|dist)-packages)[\\/]/;

const memo = new Map<string, boolean>();

/**
 * True for a Python source file (`.py`, `.pyw`, `.pyi`) under a Python standard library folder
 * (`.../lib/python3.11/`, recognised by its `os.py`) or a package folder (`site-packages`,
 * `dist-packages`) that exists on this machine.
 */
export function isPythonSourceRoot(path: string, exists: (p: string) => boolean = existsSync): boolean {
  const p = nodePath.resolve(path);
  if (!/\.(pyw?|pyi)$/i.test(p) || p.split(/[\\/]/).includes('..')) return false;
  const pkg = PY_PACKAGES.exec(p);
  const root = pkg ? pkg[1] : PY_LIB.exec(p)?.[1];
  if (!root) return false;
  const key = `${pkg ? 'pkg' : 'lib'}\u0000${root}`;
  let ok = memo.get(key);
  if (ok === undefined) {
    ok = pkg ? exists(root) : exists(nodePath.join(root, 'os.py'));
    memo.set(key, ok);
  }
  return ok;
}
