/**
 * Where each function's lens and hover go in a source text (design.md, "Where a function begins"):
 * the definition line the format records, else the definition found in the source, else the
 * function's hottest line, said so. Shared by the language server and the CLI.
 */
import { findDefinition, type Definition } from './definitions';
import type { FunctionCost } from './view';

export interface Anchor {
  readonly fn: FunctionCost;
  /** 1-based line of the text. */
  readonly line: number;
  /** format: recorded by the profile; source: found in the text; hottest: neither could place it. */
  readonly how: 'format' | 'source' | 'hottest';
}

/**
 * Places each function (in the order given). `toText` maps a recorded 1-based line to the text's
 * 1-based line, or undefined where that line is gone (edited away); `defs` are the text's
 * definitions, or undefined for a language without a definition finder. Functions that can be
 * placed nowhere are left out.
 */
export function placeFunctions(
  functions: readonly FunctionCost[],
  defs: readonly Definition[] | undefined,
  toText: (recordedLine: number) => number | undefined = (l) => l,
): Anchor[] {
  const out: Anchor[] = [];
  for (const fn of functions) {
    const hot = fn.hotLine > 0 ? toText(fn.hotLine) : undefined;
    if (fn.defLine > 0) {
      const line = toText(fn.defLine);
      if (line !== undefined) {
        out.push({ fn, line, how: 'format' });
        continue;
      }
    }
    if (defs) {
      const def = findDefinition(defs, fn.name, hot);
      if (def) {
        out.push({ fn, line: def.line, how: 'source' });
        continue;
      }
    }
    if (hot !== undefined) out.push({ fn, line: hot, how: 'hottest' });
  }
  return out;
}
