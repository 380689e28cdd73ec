/**
 * Where a profile's functions and call sites are in files the editor may open, whether or not
 * those files are open: what workspace symbols, call hierarchy and diagnostics point at. A
 * function is placed as its lens is (placeFunctions: the format's definition line, else the
 * source's, else its hottest line), from the current text of an open document (lines moved by
 * its edits) or the file on disk. Only files the session may read are ever placed.
 */
import { pathToFileURL } from 'node:url';
import { type Anchor, placeFunctions } from '../core/anchors';
import type { ProfileView } from '../core/view';
import type { OpenDocument } from '../workspace/documents';
import type { ProfileEntry } from '../workspace/profile-store';
import type { ProfileSession } from './profile-session';

export interface FunctionPlace {
  readonly uri: string;
  /** Local path. */
  readonly path: string;
  /** 0-based line of the current text. */
  readonly line: number;
  readonly how: Anchor['how'];
}

export interface SitePlace {
  readonly uri: string;
  readonly path: string;
  /** 0-based line of the current text. */
  readonly line: number;
}

/** Places for one view of one profile; answers are memoised per file for the life of the object (one request). */
export class FunctionPlaces {
  private readonly byFile = new Map<string, Map<number, FunctionPlace>>();

  constructor(
    private readonly session: ProfileSession,
    readonly entry: ProfileEntry,
    readonly view: ProfileView,
  ) {}

  /** The local file of a recorded path, when the session may read it. */
  local(recorded: string): string | undefined {
    return recorded ? this.session.localFor(this.entry, recorded) : undefined;
  }

  /** The function's file is in the workspace: the user's code. */
  isUser(recorded: string): boolean {
    const local = this.local(recorded);
    return local !== undefined && this.session.inWorkspace(local);
  }

  private doc(path: string): OpenDocument | undefined {
    return this.session.documents.all().find((d) => d.path === path);
  }

  /** Where a function begins, or undefined for synthetic frames and files that cannot or may not be read. */
  place(funcId: number): FunctionPlace | undefined {
    if (funcId < 0 || !this.view.isCode(funcId)) return undefined;
    const local = this.local(this.view.fn(funcId).file);
    if (!local) return undefined;
    let places = this.byFile.get(local);
    if (!places) {
      places = this.placeFile(local);
      this.byFile.set(local, places);
    }
    return places.get(funcId);
  }

  private placeFile(path: string): Map<number, FunctionPlace> {
    const out = new Map<number, FunctionPlace>();
    const costs = this.view.fileCosts(this.session.recordedFor(this.entry, path));
    if (!costs) return out;
    const doc = this.doc(path);
    const uri = doc?.uri ?? pathToFileURL(path).href;
    const defs = this.session.definitions.definitions(path, doc?.languageId);
    const toText = (l: number) => {
      if (!doc) return l;
      const cur = doc.tracker.toCurrent(l - 1);
      return cur === undefined ? undefined : cur + 1;
    };
    for (const a of placeFunctions(costs.functions, defs, toText)) out.set(a.fn.funcId, { uri, path, line: a.line - 1, how: a.how });
    return out;
  }

  /** Where a recorded line (a call site, a hot line) is now; undefined when unreadable or edited away. */
  site(recorded: string, line: number): SitePlace | undefined {
    if (line <= 0) return undefined;
    const path = this.local(recorded);
    if (!path) return undefined;
    const doc = this.doc(path);
    const cur = doc ? doc.tracker.toCurrent(line - 1) : line - 1;
    if (cur === undefined) return undefined;
    return { uri: doc?.uri ?? pathToFileURL(path).href, path, line: cur };
  }
}
