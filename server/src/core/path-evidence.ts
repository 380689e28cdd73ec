/**
 * Content evidence that a local file is the file a profile recorded under another path (design.md,
 * "Mapping profile paths"): the functions the profile names in that file are defined, in the local
 * text, around the lines the profile records for them.
 */
import { findDefinition, type Definition } from './definitions';
import type { Profile } from './model';
import { isPythonSourceRoot } from './source-roots';

/** Share of a file's named functions whose recorded lines must fall inside their local definition. */
const AGREEMENT = 0.8;

const byFile = new WeakMap<Profile, { functions: number; map: Map<string, Map<string, Set<number>>> }>();

/** Recorded file -> function name -> its recorded lines. */
function linesByFunction(p: Profile): Map<string, Map<string, Set<number>>> {
  const hit = byFile.get(p);
  if (hit && hit.functions === p.functionCount && hit.map.size > 0) return hit.map;
  const map = new Map<string, Map<string, Set<number>>>();
  for (let site = 0; site < p.siteFunc.length; site++) {
    const f = p.siteFunc[site];
    const line = p.lineNo[p.siteLine[site]];
    if (line <= 0 || p.funcKind[f] !== 'source') continue;
    const file = p.str(p.funcFile[f]);
    const name = p.str(p.funcName[f]);
    let fns = map.get(file);
    if (!fns) map.set(file, (fns = new Map()));
    let lines = fns.get(name);
    if (!lines) fns.set(name, (lines = new Set()));
    lines.add(line);
  }
  byFile.set(p, { functions: p.functionCount, map });
  return map;
}

/**
 * True when the local file's definitions agree with what the profile recorded for `recorded` (a
 * file that exists here, outside the workspace: another checkout of the same project, say):
 * at least one named function (not `<module>`, not a comprehension), and most of them defined
 * around all of their recorded lines. No definitions (an unsupported language): no evidence.
 */
export function confirmedByDefinitions(
  profile: Profile,
  recorded: string,
  defs: readonly Definition[] | undefined,
  opts: { anyRoot?: boolean } = {},
): boolean {
  // the standard library or an installed package that exists here is the code that ran: a
  // look-alike (a vendored copy, a package of the same name) never takes its numbers
  if (!defs || (!opts.anyRoot && isPythonSourceRoot(recorded))) return false;
  const fns = linesByFunction(profile).get(recorded);
  if (!fns) return false;
  let named = 0;
  let agree = 0;
  for (const [name, lines] of fns) {
    const last = name.split('.').pop() ?? '';
    if (last === '' || (last.startsWith('<') && last.endsWith('>'))) continue;
    named++;
    const sorted = [...lines].sort((a, b) => a - b);
    const def = findDefinition(defs, name, sorted[0]);
    if (def && sorted.every((l) => l >= def.line && l <= def.endLine)) agree++;
  }
  return named > 0 && agree / named >= AGREEMENT;
}
