/**
 * Minimal globs for the `flamelens.profiles` and `flamelens.exclude` settings.
 * Supported: `*`, `?`, `**`, `{a,b}`, `[abc]`. Patterns are matched against paths relative to a
 * workspace folder with `/` separators; a pattern without `/` matches the file name anywhere.
 */

/** The pattern as an anchored RegExp, or undefined when it is malformed (unbalanced braces or brackets). */
export function globToRegExp(glob: string): RegExp | undefined {
  let g = glob.trim().replace(/\\/g, '/');
  if (g === '') return undefined;
  if (g.startsWith('./')) g = g.slice(2);
  if (!g.includes('/')) g = `**/${g}`;
  let re = '';
  let depth = 0;
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*') {
      if (g[i + 1] === '*') {
        const atStart = i === 0 || g[i - 1] === '/';
        i++;
        if (atStart && g[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}') {
      if (depth === 0) return undefined;
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) {
      re += '|';
    } else if (c === '[') {
      const end = g.indexOf(']', i + 1);
      if (end < 0) return undefined;
      let body = g.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += `[${body}]`;
      i = end;
    } else {
      re += c.replace(/[.+^$()|\\\]]/g, '\\$&');
    }
  }
  if (depth !== 0) return undefined;
  try {
    return new RegExp(`^${re}$`);
  } catch {
    return undefined;
  }
}

/** For a file-name suffix pattern (`*.ext`, alone or after a leading globstar, as every default is): the literal a match ends with. */
function suffixOf(glob: string): string | undefined {
  const m = /^(?:\*\*\/)?\*([^*?{}[\]/\\]+)$/.exec(glob.trim());
  return m?.[1];
}

/**
 * A matcher for a list of globs; a path matches when any pattern does. File-name suffix patterns
 * are tested with `endsWith` (a walk of a big workspace tests every file name).
 */
export function globMatcher(globs: readonly string[]): (relativePath: string) => boolean {
  const suffixes = globs.map(suffixOf).filter((x): x is string => x !== undefined);
  const res = globs.filter((g) => suffixOf(g) === undefined).map(globToRegExp).filter((r): r is RegExp => r !== undefined);
  return (p) => {
    const rel = p.includes('\\') ? p.replace(/\\/g, '/') : p;
    for (const s of suffixes) if (rel.endsWith(s)) return true;
    return res.some((r) => r.test(rel));
  };
}
