/**
 * Open documents with incremental sync, each with a LineTracker from the text the profile saw
 * (its base) to the text being edited, so annotations follow lines that move.
 */
import { fileURLToPath } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { LineTracker } from '../core/line-tracker';

export interface OpenDocument {
  readonly uri: string;
  /** File system path, when the uri is a file: uri. */
  readonly path: string | undefined;
  readonly languageId: string;
  text: TextDocument;
  readonly tracker: LineTracker;
  /** Edited since it was opened or last saved. */
  dirty: boolean;
  /** Bumped on every change: a cache key for what is derived from the text. */
  revision: number;
  /** The profile run (path and generation) whose recorded text is this document's base. */
  base?: string;
}

export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** A didChange the server refuses as a whole; the document is left as it was. */
export class InvalidChangeError extends Error {}

const isPositionNumber = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;

/** Why a content change cannot be applied exactly, or undefined. */
function invalidChange(c: unknown): string | undefined {
  if (typeof c !== 'object' || c === null || typeof (c as { text?: unknown }).text !== 'string') return 'has no text';
  const range = (c as { range?: unknown }).range;
  if (range === undefined) return undefined;
  const r = range as { start?: { line?: unknown; character?: unknown }; end?: { line?: unknown; character?: unknown } } | null;
  for (const p of [r?.start, r?.end]) {
    if (!p || !isPositionNumber(p.line) || !isPositionNumber(p.character)) {
      return `has a range position that is not a pair of non-negative integers (${JSON.stringify(p ?? null)})`;
    }
  }
  return undefined;
}

export class Documents {
  private readonly docs = new Map<string, OpenDocument>();

  get(uri: string): OpenDocument | undefined {
    return this.docs.get(uri);
  }

  all(): OpenDocument[] {
    return [...this.docs.values()];
  }

  open(uri: string, languageId: string, version: number, text: string): OpenDocument {
    const td = TextDocument.create(uri, languageId, version, text);
    const doc: OpenDocument = {
      uri,
      path: uriToPath(uri),
      languageId,
      text: td,
      tracker: new LineTracker(td.lineCount),
      dirty: false,
      revision: 0,
    };
    this.docs.set(uri, doc);
    return doc;
  }

  close(uri: string): void {
    this.docs.delete(uri);
  }

  /**
   * Applies LSP changes in order, moving tracked lines with each. A batch holding a change the
   * text library cannot apply exactly (a position that is not a non-negative integer: it reads
   * `line: 3.7` as no line at all and duplicates the text) is refused whole before anything is
   * applied, so the text and the tracker never disagree.
   */
  change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): OpenDocument | undefined {
    const doc = this.docs.get(uri);
    if (!doc) return undefined;
    changes.forEach((c, i) => {
      const why = invalidChange(c);
      if (why) throw new InvalidChangeError(`change ${i + 1} of ${changes.length} ${why}: not applied (the document keeps its text of version ${doc.text.version})`);
    });
    for (const c of changes) {
      if ('range' in c && c.range) {
        doc.tracker.applyChange(c.range, c.text);
        doc.text = TextDocument.update(doc.text, [c], version);
      } else {
        // A full replacement: lines are matched by content so that unchanged lines keep their data.
        doc.tracker.applyFullText(doc.text.getText(), c.text);
        doc.text = TextDocument.update(doc.text, [c], version);
      }
    }
    doc.dirty = true;
    doc.revision++;
    return doc;
  }

  saved(uri: string): void {
    const doc = this.docs.get(uri);
    if (doc) doc.dirty = false;
  }

  /** Makes the current text the base (a new profile recorded the text as it is now). */
  rebase(doc: OpenDocument): void {
    doc.tracker.reset(doc.text.lineCount);
    doc.revision++;
  }
}
