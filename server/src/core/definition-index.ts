/**
 * Where functions are defined in source files, for open documents and for files that are not open
 * (call hierarchy, workspace symbols and the flame graph need definitions of closed files). The
 * index never decides which files may be read: its `source` callback does (the server allows only
 * workspace folders, open documents and the language's source roots, never any path a profile names).
 */
import { pythonDefinitions, type Definition } from './definitions';

/** A version key and the text of a file, or undefined when it may not or cannot be read. */
export interface SourceText {
  /** Changes whenever the text may have changed (a document revision, a file's mtime and size). */
  readonly version: string;
  text(): string;
}

export type Language = 'python';

/** The language whose definitions we can find, from a VS Code language id or the file name. */
export function definitionLanguage(path: string, languageId?: string): Language | undefined {
  if (languageId === 'python' || /\.(pyw?|pyi)$/i.test(path)) return 'python';
  return undefined;
}

export class DefinitionIndex {
  private readonly cache = new Map<string, { version: string; defs: Definition[] }>();

  constructor(private readonly source: (path: string) => SourceText | undefined) {}

  /**
   * Definitions of a file, parsed once per version; undefined for a language without a
   * definition finder or a file that may not be read.
   */
  definitions(path: string, languageId?: string): Definition[] | undefined {
    const lang = definitionLanguage(path, languageId);
    if (!lang) return undefined;
    const src = this.source(path);
    if (!src) return undefined;
    const hit = this.cache.get(path);
    if (hit && hit.version === src.version) return hit.defs;
    let defs: Definition[];
    try {
      defs = pythonDefinitions(src.text());
    } catch {
      return undefined;
    }
    this.cache.set(path, { version: src.version, defs });
    return defs;
  }

  forget(path: string): void {
    this.cache.delete(path);
  }
}
