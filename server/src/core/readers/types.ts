import type { Profile } from '../model';

/** A problem met while reading. `fatal` means reading stopped there. */
export interface ReadIssue {
  readonly message: string;
  /** Byte offset in the file where the problem starts. */
  readonly offset: number;
  /** 1-based line number, for text formats. */
  readonly line?: number;
  readonly fatal: boolean;
}

/**
 * A streaming reader: bytes go in as chunks of any size, the profile grows as records complete.
 * The same reader can later continue a file that grew (push the appended bytes, then `end()`
 * again only once the writer is done). Readers never throw on bad input: they record issues.
 */
export interface ProfileReader {
  readonly format: string;
  readonly profile: Profile;
  /** Feeds the next bytes. The reader may keep views of `chunk`: never modify or reuse it after pushing. */
  push(chunk: Uint8Array): void;
  /**
   * No more bytes for now: count what can be completed and report a half-written tail. For a
   * streaming format (`FormatSpec.streaming`) this is non-destructive: bytes pushed afterwards
   * continue as if `end()` had not been called (nothing counted twice, nothing lost), and an issue
   * about the tail goes once the tail is complete. Whole-file readers decode again from the start.
   */
  end(): void;
  readonly issues: readonly ReadIssue[];
  /** Bytes of complete records consumed so far. */
  readonly consumed: number;
  /** True once a fatal issue stopped reading. */
  readonly failed: boolean;
}

/** Keeps the first few issues of a kind and counts the rest, so a bad file yields one clear message. */
export class IssueLog {
  readonly issues: ReadIssue[] = [];
  private suppressed = 0;
  constructor(private readonly max = 20) {}
  add(issue: ReadIssue): void {
    if (this.issues.length < this.max || issue.fatal) this.issues.push(issue);
    else this.suppressed++;
  }
  get extra(): number {
    return this.suppressed;
  }

  private readonly counted = new Map<string, { issue: ReadIssue; count: number; message: (count: number) => string }>();

  /**
   * A problem of one `kind` that may repeat many times: the first occurrence is kept (with its
   * line and offset), later ones only bump its count, and the first occurrence's `message(count)`
   * rewrites its text in place. So a file full of the same defect gives one issue naming where
   * it first occurs.
   */
  addCounted(kind: string, first: Omit<ReadIssue, 'message'>, message: (count: number) => string): void {
    const seen = this.counted.get(kind);
    if (!seen) {
      const issue: ReadIssue = { ...first, message: message(1) };
      this.counted.set(kind, { issue, count: 1, message });
      this.add(issue);
      return;
    }
    seen.count++;
    const i = this.issues.indexOf(seen.issue);
    seen.issue = { ...seen.issue, message: seen.message(seen.count) };
    if (i >= 0) this.issues[i] = seen.issue;
  }

  /**
   * A problem that may repeat on many lines (`what` says what the line is not): one issue naming
   * the first line, rewritten in place with how many such lines were skipped.
   */
  addRepeated(what: string, line: number, offset: number): void {
    this.addCounted(`line:${what}`, { offset, line, fatal: false }, (n) =>
      n === 1 ? `line ${line} ${what}; it was skipped` : `line ${line} ${what}; ${n} such lines were skipped`,
    );
  }

  private provisionalIssues: ReadIssue[] = [];

  /**
   * An issue about the end of what was read so far (a half-written last record), true only while
   * no more bytes arrive: `clearProvisional()` (called by `push`) takes it back, because a file
   * that grows may complete the record.
   */
  addProvisional(issue: ReadIssue): void {
    this.provisionalIssues.push(issue);
    this.add(issue);
  }

  clearProvisional(): void {
    if (this.provisionalIssues.length === 0) return;
    for (const issue of this.provisionalIssues) {
      const i = this.issues.indexOf(issue);
      if (i >= 0) this.issues.splice(i, 1);
      else if (this.suppressed > 0) this.suppressed--;
    }
    this.provisionalIssues = [];
  }
}
