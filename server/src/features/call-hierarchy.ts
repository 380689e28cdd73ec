/**
 * Call hierarchy weighted by samples: prepareCallHierarchy on any function with data, its callers
 * (incomingCalls) and callees (outgoingCalls) ordered by the share of its time they account for,
 * with the call sites the profile records as `fromRanges` (moved with the edits of open documents).
 * Recursion counts once: callers are taken at each function's outermost occurrence in a sample.
 *
 * Every item needs a uri and a range (LSP has no optional location), so functions in files that
 * cannot be found or may not be read (`<frozen runpy>`, a path outside the read policy) are left
 * out rather than pointed at a guessed place.
 */
import type {
  CallHierarchyIncomingCall,
  CallHierarchyItem,
  CallHierarchyOutgoingCall,
  Position,
  Range,
} from 'vscode-languageserver-types';
import { enclosingDefinition } from '../core/definitions';
import { formatPercent, percentOf } from '../core/format';
import { costSummary, displayName, qualifiedName } from '../core/present';
import type { CallSite } from '../core/view';
import type { AnnotatedDocument } from '../session/annotated-document';
import { FunctionPlaces } from '../session/function-places';
import type { ProfileSession } from '../session/profile-session';
import { symbolKind } from './workspace-symbols';

/** What an item carries so that later requests find the function again (ids change when a profile is re-read). */
interface ItemData {
  profile: string;
  generation: number;
  funcId: number;
  file: string;
  name: string;
}

const lineRange = (line: number): Range => ({ start: { line, character: 0 }, end: { line, character: 0 } });

/** The identifier around a character of a line, or ''. */
function wordAt(text: string, character: number): string {
  const isId = (c: string | undefined) => c !== undefined && /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/u.test(c);
  let a = character;
  let b = character;
  while (a > 0 && isId(text[a - 1])) a--;
  while (isId(text[b])) b++;
  return text.slice(a, b);
}

/**
 * The function a position stands for: the one whose definition (lens) is on that line; else a
 * function called from that line whose name is the word under the cursor; else the function
 * executing the line; else the function whose definition encloses it. -1 when none has data.
 */
function functionAt(session: ProfileSession, a: AnnotatedDocument, pos: Position): number {
  const onLine = a.anchors().find((x) => x.line === pos.line);
  if (onLine) return onLine.fn.funcId;
  const cost = a.costAt(pos.line);
  if (cost) {
    const text = a.doc.text.getText({ start: { line: pos.line, character: 0 }, end: { line: pos.line + 1, character: 0 } });
    const word = wordAt(text, pos.character);
    if (word) {
      const called = a.view.lineCallees(cost.lineIds).find((c) => a.view.fn(c.funcId).name.split('.').pop() === word);
      if (called) return called.funcId;
    }
    if (cost.funcId >= 0) return cost.funcId;
  }
  const defs = session.definitions.definitions(a.doc.path ?? a.doc.uri, a.doc.languageId);
  const def = defs ? enclosingDefinition(defs, pos.line + 1) : undefined;
  if (def) {
    const anchor = a.anchors().find((x) => x.line === def.line - 1);
    if (anchor) return anchor.fn.funcId;
  }
  return -1;
}

/** A call seen from one function: its share of that function's time, and the line it is made from. */
interface CallShare {
  percent: number;
  /** The function the share is of. */
  of: string;
  /** 0-based line of the call in the current text, when it can be placed. */
  line?: number;
}

/**
 * An item for a function, or undefined when it cannot be placed. With a call share, the share
 * leads: in the name, since Neovim's quickfix list shows nothing else, and in the detail.
 */
function item(places: FunctionPlaces, funcId: number, call?: CallShare): CallHierarchyItem | undefined {
  const { view, entry } = places;
  const at = places.place(funcId);
  if (!at) return undefined;
  const fn = view.fn(funcId);
  const name = qualifiedName(fn.name, fn.file);
  const figures = costSummary(view.ctx, view.functionCost(funcId));
  const data: ItemData = { profile: entry.path, generation: entry.generation, funcId, file: fn.file, name: fn.name };
  const where = call?.line !== undefined ? ` · line ${call.line + 1}` : '';
  return {
    name: call ? `${name} · ${formatPercent(call.percent)}` : name,
    kind: symbolKind(fn.name),
    uri: at.uri,
    range: lineRange(at.line),
    selectionRange: lineRange(at.line),
    detail: call ? `${formatPercent(call.percent)} of ${call.of}${where} · ${figures}` : figures,
    data,
  };
}

export function prepareCallHierarchy(session: ProfileSession, uri: string, pos: Position): CallHierarchyItem[] | null {
  const a = session.annotated(uri);
  if (!a) return null;
  const funcId = functionAt(session, a, pos);
  if (funcId < 0) return null;
  const it = item(new FunctionPlaces(session, a.entry, a.view), funcId);
  return it ? [it] : null;
}

/** The item's function in the current view of its profile (found again by file and name after a re-read). */
function resolve(session: ProfileSession, it: CallHierarchyItem): { places: FunctionPlaces; funcId: number } | undefined {
  const d = it.data as Partial<ItemData> | undefined;
  if (!d || typeof d.profile !== 'string' || typeof d.file !== 'string' || typeof d.name !== 'string') return undefined;
  const entry = session.entry(d.profile);
  const view = session.viewOf(entry);
  if (!entry || !view || !session.enabled()) return undefined;
  let funcId = -1;
  if (entry.generation === d.generation && typeof d.funcId === 'number' && d.funcId >= 0 && d.funcId < entry.profile!.functionCount) {
    const fn = view.fn(d.funcId);
    if (fn.file === d.file && fn.name === d.name) funcId = d.funcId;
  }
  if (funcId < 0) funcId = view.functionId(d.file, d.name);
  return funcId < 0 ? undefined : { places: new FunctionPlaces(session, entry, view), funcId };
}

/**
 * The calls between a caller and callees, one per call site (a caller calling from two lines is
 * listed twice, each with its own share, which is what a quickfix list can show), hottest first.
 * `sites` are the view's call sites, values at the callee's outermost occurrence (recursion counted
 * once); sites that cannot be placed (no line, an edited-away line) are summed into one call without
 * ranges. `make` builds the item a call shows (the caller for incoming calls, the callee for outgoing).
 */
function perSite(
  places: FunctionPlaces,
  sites: readonly CallSite[],
  whole: number,
  of: string,
  key: (s: CallSite) => number,
  uriOf: (s: CallSite) => string | undefined,
): { funcId: number; share: CallShare; ranges: Range[] }[] {
  const out = new Map<string, { funcId: number; value: number; line?: number }>();
  for (const s of sites) {
    const at = places.site(s.file, s.line);
    const uri = uriOf(s);
    const line = at && uri !== undefined && at.uri === uri ? at.line : undefined;
    const k = `${key(s)}\u0000${line ?? ''}`;
    const hit = out.get(k);
    if (hit) hit.value += s.value;
    else out.set(k, { funcId: key(s), value: s.value, line });
  }
  return [...out.values()]
    .sort((a, b) => b.value - a.value)
    .map((c) => ({
      funcId: c.funcId,
      share: { percent: percentOf(c.value, whole), of, line: c.line },
      ranges: c.line === undefined ? [] : [lineRange(c.line)],
    }));
}

export function incomingCalls(session: ProfileSession, it: CallHierarchyItem): CallHierarchyIncomingCall[] {
  const r = resolve(session, it);
  if (!r) return [];
  const { places, funcId } = r;
  const view = places.view;
  const total = view.functionCost(funcId).total;
  // the call is in the caller's file: its ranges must be in the caller item's document
  const callerUri = (s: CallSite) => places.place(s.funcId)?.uri;
  const out: CallHierarchyIncomingCall[] = [];
  for (const c of perSite(places, view.callSites(funcId), total, displayName(view.fn(funcId).name), (s) => s.funcId, callerUri)) {
    const from = item(places, c.funcId, c.share);
    if (from) out.push({ from, fromRanges: c.ranges });
  }
  return out;
}

export function outgoingCalls(session: ProfileSession, it: CallHierarchyItem): CallHierarchyOutgoingCall[] {
  const r = resolve(session, it);
  if (!r) return [];
  const { places, funcId } = r;
  const view = places.view;
  const self = places.place(funcId);
  if (!self) return [];
  const total = view.functionCost(funcId).total;
  const sites: (CallSite & { callee: number })[] = [];
  for (const c of view.callees(funcId)) {
    if (c.funcId === funcId) continue;
    for (const s of view.callSites(c.funcId)) if (s.funcId === funcId) sites.push({ ...s, callee: c.funcId });
  }
  const out: CallHierarchyOutgoingCall[] = [];
  const calls = perSite(places, sites, total, displayName(view.fn(funcId).name), (s) => (s as CallSite & { callee: number }).callee, () => self.uri);
  for (const c of calls) {
    const to = item(places, c.funcId, c.share);
    if (to) out.push({ to, fromRanges: c.ranges });
  }
  return out;
}
