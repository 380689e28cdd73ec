/** Path helpers shared by the CLI and the language server. Pure: no file system access. */

/** Splits a path on / and \ (profiles recorded on Windows), dropping empty and `.` segments. */
export function segments(path: string): string[] {
  return path.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

/** How many trailing path segments two paths share: /home/ci/shop/pricing.py vs /w/shop/pricing.py -> 2. */
export function commonSuffixSegments(a: string, b: string): number {
  const x = segments(a);
  const y = segments(b);
  let n = 0;
  while (n < x.length && n < y.length && x[x.length - 1 - n] === y[y.length - 1 - n]) n++;
  return n;
}

/**
 * The candidates sharing the longest path suffix (at least the file name) with `path`, best first.
 * Several are returned on a tie so that callers can break it (e.g. by closeness to the profile).
 */
export function bestSuffixMatches(path: string, candidates: Iterable<string>): { matches: string[]; segments: number } {
  let best = 0;
  let matches: string[] = [];
  for (const c of candidates) {
    const n = commonSuffixSegments(path, c);
    if (n === 0 || n < best) continue;
    if (n > best) {
      best = n;
      matches = [];
    }
    matches.push(c);
  }
  return { matches, segments: best };
}
