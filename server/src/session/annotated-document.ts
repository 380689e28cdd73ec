/**
 * An open document seen through a profile view: what every LSP feature works from. This is the
 * one place where the profile's lines (1-based, as recorded) meet the editor's (0-based, in the
 * text being edited, moved by LineTracker): features speak editor lines only.
 */
import { type Anchor, placeFunctions } from '../core/anchors';
import type { Definition } from '../core/definitions';
import type { FileCosts, FunctionCost, LineCost, ProfileView } from '../core/view';
import type { Settings } from '../settings';
import { baseName, type CostContext, nameFrom } from '../core/present';
import { type OpenDocument, uriToPath } from '../workspace/documents';
import type { ProfileEntry } from '../workspace/profile-store';
import type { DocumentDiff } from './document-diff';

/** A place in a file the editor can open: a file uri and a 0-based line of its current text. */
export interface Location {
  readonly uri: string;
  readonly line: number;
}

/** Where a function's lens and hover go: a 0-based line of the current text. */
export interface DocumentAnchor {
  readonly fn: FunctionCost;
  readonly line: number;
  readonly how: Anchor['how'];
}

export interface DocumentEnv {
  /** Where a recorded path and 1-based line are now, when the file is one the editor may open. */
  locate(file: string, line: number): Location | undefined;
  /** Definitions of the document's current text, when its language has a definition finder. */
  definitions(doc: OpenDocument): readonly Definition[] | undefined;
  /** A path as the user knows it (relative to its workspace folder). */
  displayPath(path: string): string;
}

export class AnnotatedDocument {
  private anchorCache: { revision: number; anchors: DocumentAnchor[] } | undefined;
  /** The comparison with the baseline, when one is set and comparable; undefined otherwise (features show no change). */
  diff: DocumentDiff | undefined;

  constructor(
    readonly doc: OpenDocument,
    /** The profile file the numbers come from. */
    readonly entry: ProfileEntry,
    readonly view: ProfileView,
    readonly costs: FileCosts,
    readonly settings: Settings,
    private readonly env: DocumentEnv,
  ) {}

  /** The 0-based line of the current text where a recorded line now is; undefined when edited away. */
  lineOf(recorded: number): number | undefined {
    return recorded > 0 ? this.doc.tracker.toCurrent(recorded - 1) : undefined;
  }

  /** The recorded line a 0-based line of the current text stands for; undefined for inserted lines. */
  recordedLine(line: number): number | undefined {
    const b = this.doc.tracker.toBase(line);
    return b === undefined ? undefined : b + 1;
  }

  /** Costs of a 0-based line of the current text. */
  costAt(line: number): LineCost | undefined {
    const r = this.recordedLine(line);
    return r === undefined ? undefined : this.costs.lines.get(r);
  }

  /** Lines with data, in current coordinates (lines edited away left out). */
  *lines(): Generator<{ line: number; cost: LineCost }> {
    for (const [recorded, cost] of this.costs.lines) {
      const line = this.lineOf(recorded);
      if (line !== undefined) yield { line, cost };
    }
  }

  /** Length of a line of the current text, in UTF-16 code units (the end-of-line position). */
  lineLength(line: number): number {
    const t = this.doc.text.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
    return t.replace(/\r?\n$|\r$/, '').length;
  }

  percent(value: number): number {
    return this.view.percent(value);
  }

  /**
   * The context a line's numbers are shown in: the view's (shares of the scope or the whole
   * profile), or, with `percentOf: "function"`, shares of the function executing the line.
   */
  lineContext(cost: LineCost): CostContext {
    if (this.settings.percentOf !== 'function' || cost.funcId < 0) return this.view.ctx;
    return this.view.functionContext(cost.funcId) ?? this.view.ctx;
  }

  /** A function's name as this file's reader says it: bare when it is defined here, `inspect.stack` otherwise. */
  nameOf(funcId: number): string {
    const fn = this.view.fn(funcId);
    return nameFrom(fn.name, fn.file, this.costs.recorded.includes(fn.file) ? fn.file : undefined);
  }

  /**
   * The code function that most of `whole` goes to among `callees`, with its share of `whole`
   * (percent), when it takes at least `atLeast` percent of it.
   */
  mainCallee(callees: readonly { funcId: number; value: number }[], whole: number, atLeast: number): { name: string; share: number } | undefined {
    const top = callees.find((c) => this.view.isCode(c.funcId));
    if (!top || whole <= 0) return undefined;
    const share = (top.value / whole) * 100;
    return share >= atLeast ? { name: this.nameOf(top.funcId), share } : undefined;
  }

  /** Where each function with data begins in the current text, hottest function first. */
  anchors(): DocumentAnchor[] {
    if (this.anchorCache?.revision === this.doc.revision) return this.anchorCache.anchors;
    const placed = placeFunctions(this.costs.functions, this.env.definitions(this.doc), (l) => {
      const cur = this.lineOf(l);
      return cur === undefined ? undefined : cur + 1;
    });
    // definitions found in the text are lines of the current text already; the rest were mapped above
    const anchors = placed.map((a) => ({ fn: a.fn, line: a.line - 1, how: a.how }));
    this.anchorCache = { revision: this.doc.revision, anchors };
    return anchors;
  }

  /** Where a recorded place is now (this or another file), when the editor may open it. */
  locate(file: string, line: number): Location | undefined {
    return this.env.locate(file, line);
  }

  displayPath(path: string): string {
    return this.env.displayPath(path);
  }

  /** A recorded file as the user knows it: its workspace-relative path where it maps to one, else its file name. */
  fileLabel(recorded: string): string {
    const to = recorded ? this.env.locate(recorded, 0) : undefined;
    const local = to ? uriToPath(to.uri) : undefined;
    return local ? this.env.displayPath(local) : baseName(recorded);
  }
}
