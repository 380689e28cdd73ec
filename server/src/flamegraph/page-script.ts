// The browser code of the flame graph page as one string. scripts/build.mjs bundles
// server/src/flamegraph/page/main.ts with esbuild and defines FLAMELENS_PAGE_JS to the result, so
// the built server and CLI carry the page with them and nothing is fetched at run time. Code run
// from source (vitest) has no such definition and bundles the page once, on first use.
import { join } from 'node:path';

declare const FLAMELENS_PAGE_JS: string | undefined;

let cached: string | undefined;

/** The page script (minified IIFE). */
export function pageScript(): string {
  if (typeof FLAMELENS_PAGE_JS === 'string') return FLAMELENS_PAGE_JS;
  cached ??= bundleFromSource();
  return cached;
}

function bundleFromSource(): string {
  // Only reachable from source: a variable module name keeps bundlers from following it.
  const name = 'esbuild';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require(name) as typeof import('esbuild');
  const r = esbuild.buildSync({
    entryPoints: [join(__dirname, 'page', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'warning',
  });
  return r.outputFiles[0].text;
}
