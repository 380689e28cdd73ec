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
  /** The bytes so far: store[0, size), grown by doubling, so that tiny chunks cost no more than big ones. */
  private store: Buffer = Buffer.alloc(0);
  private size = 0;
  private decodedSize = -1;
  consumed = 0;
  failed = false;

  constructor(public profile: Profile) {}

  get issues(): readonly ReadIssue[] {
    return this.log.issues;
  }

  push(chunk: Uint8Array): void {
    const need = this.size + chunk.byteLength;
    if (need > this.store.length) {
      // bytes already decoded stay where they are (a decode may keep views of them)
      const next = Buffer.allocUnsafe(Math.max(need, this.store.length * 2, 4096));
      this.store.copy(next, 0, 0, this.size);
      this.store = next;
    }
    // copy: the caller may reuse its chunk buffer
    this.store.set(chunk, this.size);
    this.size = need;
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
    this.decodedSize = this.size;
    this.decode(this.store.subarray(0, this.size));
  }

  /** Decodes the whole file into `profile`; records issues instead of throwing. */
  protected abstract decode(bytes: Buffer): void;

  protected issue(message: string, offset: number, fatal: boolean): void {
    this.log.add({ message, offset, fatal });
    if (fatal) this.failed = true;
  }
}
