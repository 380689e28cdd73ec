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
  /** No more bytes: flush what can be completed and report a half-written tail. */
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

  private readonly counted = new Map<string, { issue: ReadIssue; count: number }>();

  /**
   * A problem that may repeat on many lines (`what` says what the line is not): one issue naming
   * the first line, rewritten in place with how many such lines were skipped.
   */
  addRepeated(what: string, line: number, offset: number): void {
    const seen = this.counted.get(what);
    if (!seen) {
      const issue: ReadIssue = { message: `line ${line} ${what}; it was skipped`, offset, line, fatal: false };
      this.counted.set(what, { issue, count: 1 });
      this.add(issue);
      return;
    }
    seen.count++;
    const i = this.issues.indexOf(seen.issue);
    if (i < 0) return;
    seen.issue = { ...seen.issue, message: `line ${seen.issue.line} ${what}; ${seen.count} such lines were skipped` };
    this.issues[i] = seen.issue;
  }
}
