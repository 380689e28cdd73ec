import { Profile } from '../model';
import { IssueLog, type ProfileReader, type ReadIssue } from './types';

/**
 * Base of the readers whose format is one message that must be whole before it can be decoded
 * (pprof protobuf, pstats marshal, .cpuprofile JSON): `push` only keeps the bytes, `end` decodes.
 *
 * A file that grew after `end` (bytes pushed later) is decoded again from the start into a fresh
 * Profile, replacing `profile` and `issues`: these formats cannot be continued, and decoding into
 * the old model would count every sample twice. Consumers read `reader.profile` after `end()`.
 */
export abstract class BufferedReader implements ProfileReader {
  abstract readonly format: string;
  protected log = new IssueLog();
  private chunks: Buffer[] = [];
  private size = 0;
  private decodedSize = -1;
  consumed = 0;
  failed = false;

  constructor(public profile: Profile) {}

  get issues(): readonly ReadIssue[] {
    return this.log.issues;
  }

  push(chunk: Uint8Array): void {
    // copy: the caller may reuse its chunk buffer
    this.chunks.push(Buffer.from(chunk));
    this.size += chunk.byteLength;
  }

  end(): void {
    if (this.decodedSize === this.size) return;
    if (this.decodedSize >= 0) {
      this.profile = new Profile();
      this.log = new IssueLog();
      this.consumed = 0;
      this.failed = false;
    }
    this.profile.format = this.format;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.chunks = [all];
    this.decodedSize = this.size;
    this.decode(all);
  }

  /** Decodes the whole file into `profile`; records issues instead of throwing. */
  protected abstract decode(bytes: Buffer): void;

  protected issue(message: string, offset: number, fatal: boolean): void {
    this.log.add({ message, offset, fatal });
    if (fatal) this.failed = true;
  }
}
