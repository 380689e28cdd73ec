/**
 * An open document seen through the active profile view: what every feature works from. Also
 * where each function's lens goes (`anchors`), shared by code lenses and hovers.
 */
import { findDefinition } from '../core/definitions';
import type { Settings } from '../settings';
import type { Documents, OpenDocument } from '../workspace/documents';
import type { DocumentCosts, FunctionCost, ProfileView } from '../workspace/profile-view';

export interface AnnotatedDocument {
  readonly doc: OpenDocument;
  readonly view: ProfileView;
  readonly costs: DocumentCosts;
  readonly settings: Settings;
  readonly documents: Documents;
  /** Local file uri of a recorded path, when it maps to one. */
  uriOf(recorded: string): string | undefined;
  /** A 0-based line of the text the profile saw, in that file's current text when it is open and edited. */
  currentLine(uri: string, baseLine: number): number;
}

export interface Anchor {
  readonly fn: FunctionCost;
  /** 0-based line of the current text. */
  readonly line: number;
  /** format: definition line recorded in the profile; source: found in the text; hottest: neither could place it. */
  readonly how: 'format' | 'source' | 'hottest';
}

const cache = new WeakMap<ProfileView, Map<string, { revision: number; anchors: Anchor[] }>>();

const isPython = (doc: OpenDocument) => doc.languageId === 'python' || /\.pyw?$|\.pyi$/i.test(doc.path ?? doc.uri);

/** Where each function with data begins in the current text, hottest function first. */
export function anchors(a: AnnotatedDocument): Anchor[] {
  let byUri = cache.get(a.view);
  if (!byUri) cache.set(a.view, (byUri = new Map()));
  const hit = byUri.get(a.doc.uri);
  if (hit && hit.revision === a.doc.revision) return hit.anchors;
  const { tracker } = a.doc;
  const out: Anchor[] = [];
  const python = isPython(a.doc);
  for (const fn of a.costs.functions) {
    const hot = fn.hotLine > 0 ? tracker.toCurrent(fn.hotLine - 1) : undefined;
    if (fn.defLine > 0) {
      const line = tracker.toCurrent(fn.defLine - 1);
      if (line !== undefined) {
        out.push({ fn, line, how: 'format' });
        continue;
      }
    }
    if (python) {
      const def = findDefinition(a.documents.definitions(a.doc), fn.name, hot !== undefined ? hot + 1 : undefined);
      if (def) {
        out.push({ fn, line: def.line - 1, how: 'source' });
        continue;
      }
    }
    if (hot !== undefined) out.push({ fn, line: hot, how: 'hottest' });
  }
  byUri.set(a.doc.uri, { revision: a.doc.revision, anchors: out });
  return out;
}

/** Length of a line of the current text, in UTF-16 code units (the end-of-line position). */
export function lineLength(doc: OpenDocument, line: number): number {
  const t = doc.text.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
  return t.replace(/\r?\n$|\r$/, '').length;
}

export function percentOf(a: AnnotatedDocument, v: number): number {
  const t = a.view.ctx.scopeTotal;
  return t === 0 ? 0 : (v / t) * 100;
}
