/**
 * Where Python functions begin, for formats that record only executing lines (Austin text and
 * MOJO; design.md, "Where a function begins"). A small tokenizer, not a parser: it knows strings,
 * comments, brackets and line continuations well enough to find every `def`, `async def` and
 * `class` statement and the extent of its indented body.
 */

export interface Definition {
  /** The bare name: `ship`. */
  name: string;
  /** Dotted like CPython's `co_qualname`: `Inventory.ship`, `f.<locals>.g`. */
  qualname: string;
  /** 1-based line of the `def` / `class` keyword (decorators excluded). */
  line: number;
  /** 1-based last line of its body (the last line holding code, comments after it excluded). */
  endLine: number;
  kind: 'def' | 'class';
}

interface LogicalLine {
  /** 0-based first and last physical lines. */
  first: number;
  last: number;
  indent: number;
  /** Code of the first physical line, strings blanked, comment removed. */
  head: string;
}

const TAB = 8;
const ID = String.raw`[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*`;
const DEF_RE = new RegExp(String.raw`^(?:async[ \t\f]+)?def[ \t\f]+(${ID})`, 'u');
const CLASS_RE = new RegExp(String.raw`^class[ \t\f]+(${ID})`, 'u');

function indentOf(line: string): number {
  let col = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === ' ') col++;
    else if (c === '\t') col = (Math.floor(col / TAB) + 1) * TAB;
    else if (c === '\f') col = 0;
    else break;
  }
  return col;
}

/**
 * Splits source into logical lines (a statement continued over brackets, backslashes or
 * triple-quoted strings counts once), skipping blank and comment-only lines.
 */
function logicalLines(text: string): LogicalLine[] {
  const lines = text.split(/\r\n|\r|\n/);
  const out: LogicalLine[] = [];
  let quote = ''; // the open string's delimiter: ', ", ''' or """
  let depth = 0;
  let current: LogicalLine | undefined;
  let continued = false; // backslash at the end of the previous physical line
  for (let ln = 0; ln < lines.length; ln++) {
    const s = lines[ln];
    const starting = current === undefined;
    let code = '';
    let i = 0;
    if (starting) {
      while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\f')) i++;
    }
    continued = false;
    while (i < s.length) {
      const c = s[i];
      if (quote) {
        if (c === '\\') {
          if (i === s.length - 1) continued = true;
          i += 2;
          continue;
        }
        if (s.startsWith(quote, i)) {
          i += quote.length;
          quote = '';
          code += '""';
          continue;
        }
        i++;
        continue;
      }
      if (c === '#') break;
      if (c === '\\' && i === s.length - 1) {
        continued = true;
        break;
      }
      if (c === '"' || c === "'") {
        quote = s.startsWith(c + c + c, i) ? c + c + c : c;
        i += quote.length;
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
      code += c;
      i++;
    }
    // A one-quote string cannot span lines without a backslash: treat it as closed (bad code).
    if (quote.length === 1 && !continued) quote = '';
    if (starting) {
      if (code.trim() === '' && !quote && !continued && depth === 0) continue; // blank or comment
      current = { first: ln, last: ln, indent: indentOf(s), head: code };
    } else if (s.trim() !== '') {
      // Blank lines only count once the statement ends on a later line (they matter at EOF).
      current!.last = ln;
    }
    if (!quote && !continued && depth === 0) {
      out.push(current!);
      current = undefined;
    }
  }
  if (current) out.push(current);
  return out;
}

/**
 * Every `def`, `async def` and `class` in a Python source, in source order, with dotted qualnames
 * like CPython's `co_qualname` (`Outer.method`, `f.<locals>.g`). Definitions inside strings and
 * comments are ignored; `line` is the keyword's line even under decorators or with a signature
 * spread over several lines. Never throws: unbalanced code yields what could be recognised.
 */
export function pythonDefinitions(text: string): Definition[] {
  const out: Definition[] = [];
  const open: { indent: number; def: Definition }[] = [];
  let prevLast = 0;
  for (const ll of logicalLines(text)) {
    while (open.length > 0 && open[open.length - 1].indent >= ll.indent) open.pop()!.def.endLine = prevLast + 1;
    prevLast = ll.last;
    const head = ll.head.trimStart();
    let m = DEF_RE.exec(head);
    let kind: Definition['kind'] = 'def';
    if (!m) {
      m = CLASS_RE.exec(head);
      kind = 'class';
    }
    if (!m) continue;
    const parent = open.length > 0 ? open[open.length - 1].def : undefined;
    const name = m[1];
    const qualname = !parent ? name : parent.kind === 'def' ? `${parent.qualname}.<locals>.${name}` : `${parent.qualname}.${name}`;
    const def: Definition = { name, qualname, line: ll.first + 1, endLine: ll.last + 1, kind };
    out.push(def);
    open.push({ indent: ll.indent, def });
  }
  while (open.length > 0) open.pop()!.def.endLine = prevLast + 1;
  return out;
}

/** True for CPython's names of code without a definition statement: `<module>`, `<lambda>`, `<listcomp>`, ... */
function isAnonymous(part: string): boolean {
  return part.startsWith('<') && part.endsWith('>');
}

function trailingCommon(a: string[], b: string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

/**
 * The definition a profiled function name refers to, or undefined.
 *
 * A definition whose qualname equals `name` wins; otherwise those whose name equals the last
 * part of `name` (Python < 3.11 records bare names), the more trailing qualname parts shared the
 * better. Among equally good candidates, the innermost whose span contains `hotLine` wins; a
 * single candidate is returned even when the hot line lies outside it (the file was edited).
 * Several candidates and none containing `hotLine`: undefined, never a guess.
 *
 * Names ending in `<...>` (`<module>`, `<lambda>`, `blobs.<locals>.<listcomp>`) give undefined:
 * such code has no definition line of its own, and anchoring a comprehension's lens on its
 * enclosing `def` would stack two lenses claiming one line; the caller's fallback (the
 * function's hottest line, saying so) points at the comprehension itself.
 */
export function findDefinition(defs: readonly Definition[], name: string, hotLine?: number): Definition | undefined {
  const parts = name.split('.');
  const last = parts[parts.length - 1];
  if (last === '' || isAnonymous(last)) return undefined;
  let best: Definition[] = [];
  let bestScore = 0;
  for (const d of defs) {
    if (d.name !== last) continue;
    const score = d.qualname === name ? Infinity : trailingCommon(parts, d.qualname.split('.'));
    if (score > bestScore) {
      bestScore = score;
      best = [d];
    } else if (score === bestScore) {
      best.push(d);
    }
  }
  if (best.length <= 1) return best[0];
  if (hotLine === undefined) return undefined;
  let pick: Definition | undefined;
  for (const d of best) {
    if (d.line <= hotLine && hotLine <= d.endLine && (!pick || d.line > pick.line)) pick = d;
  }
  return pick;
}

/** The innermost definition whose span contains a 1-based line, or undefined at module level. */
export function enclosingDefinition(defs: readonly Definition[], line: number): Definition | undefined {
  let pick: Definition | undefined;
  for (const d of defs) {
    if (d.line <= line && line <= d.endLine && (!pick || d.line > pick.line)) pick = d;
  }
  return pick;
}
