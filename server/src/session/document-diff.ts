/**
 * A document's comparison with the baseline, in editor lines: what the features ask when a
 * baseline is set (`AnnotatedDocument.diff`). Line changes come from core/diff in the current
 * run's recorded lines; this is where they meet the edited text, like the costs do.
 */
import type { Definition } from '../core/definitions';
import type { Change, FileLineDiff, FunctionChange, LineChange, ProfileDiff } from '../core/diff';
import type { AnnotatedDocument } from './annotated-document';

export class DocumentDiff {
  private fileDiff: FileLineDiff | undefined;

  constructor(
    readonly diff: ProfileDiff,
    private readonly a: AnnotatedDocument,
    private readonly compute: (defs: () => Definition[] | undefined) => FileLineDiff,
    private readonly definitions: () => readonly Definition[] | undefined,
  ) {}

  get baseName(): string {
    return this.diff.baseName;
  }

  /** Definitions of the text, in the current run's recorded lines (those on inserted lines left out). */
  private recordedDefinitions(): Definition[] | undefined {
    const defs = this.definitions();
    if (!defs) return undefined;
    const out: Definition[] = [];
    for (const d of defs) {
      const line = this.a.recordedLine(d.line - 1);
      const endLine = this.a.recordedLine(d.endLine - 1);
      if (line !== undefined && endLine !== undefined) out.push({ ...d, line, endLine });
    }
    return out;
  }

  private lines(): FileLineDiff {
    this.fileDiff ??= this.compute(() => this.recordedDefinitions());
    return this.fileDiff;
  }

  /** The change at a 0-based line of the current text, if its place in the baseline is known. */
  lineChange(line: number): LineChange | undefined {
    const r = this.a.recordedLine(line);
    return r === undefined ? undefined : this.lines().lines.get(r);
  }

  /** Flagged line changes, in current editor lines (lines edited away left out). */
  flagged(): { line: number; change: LineChange }[] {
    const out: { line: number; change: LineChange }[] = [];
    for (const [recorded, change] of this.lines().lines) {
      if (!change.significant) continue;
      const line = this.a.lineOf(recorded);
      if (line !== undefined) out.push({ line, change });
    }
    return out.sort((x, y) => x.line - y.line);
  }

  functionChange(funcId: number): FunctionChange | undefined {
    return this.diff.functionChange(funcId);
  }

  goneCallees(funcId: number): { name: string; file: string; change: Change }[] {
    return this.diff.goneCallees(funcId);
  }
}
