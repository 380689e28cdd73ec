import { open } from 'node:fs/promises';
import { type ByteSource, CHUNK_BYTES, fileSource, HEAD_BYTES, peekHead, pump, streamSource } from './byte-source';
import { Profile } from './model';
import { detectFormat } from './readers/index';
import type { ProfileReader, ReadIssue } from './readers/types';

export { CHUNK_BYTES, HEAD_BYTES };

export interface LoadResult {
  readonly profile: Profile;
  readonly reader: ProfileReader;
  /** Bytes read (of the profile itself: after decompression). */
  readonly size: number;
}

export class ProfileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly offset?: number,
  ) {
    super(`${file}: ${message}`);
  }
}

export interface LoadOptions {
  chunkSize?: number;
  onProgress?: (bytes: number) => void | Promise<void>;
}

/**
 * Reads a profile file in chunks (never as one string), detecting the format from its content;
 * a gzip-compressed file is decompressed on the way. Throws ProfileError for a file that cannot be
 * opened, is not a regular file, is empty or has an unknown format; problems inside the file are
 * reported in `reader.issues`, and whatever came before them is kept.
 */
export async function loadProfile(file: string, opts: LoadOptions = {}): Promise<LoadResult> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new ProfileError(file, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new ProfileError(file, 'is a directory, not a profile');
    // a pipe or a device (`/dev/stdin`, a FIFO a profiler writes into) is read as a stream
    const source = st.isFile() ? fileSource(fh, 0, st.size, opts.chunkSize) : streamSource(fh.createReadStream({ autoClose: false, highWaterMark: opts.chunkSize ?? CHUNK_BYTES }));
    return await loadSource(file, source, opts);
  } finally {
    await fh.close();
  }
}

/**
 * Reads a profile from any byte source (standard input, a pipe), incrementally: memory grows with
 * the profile's distinct stacks, not with the bytes read. `name` is what messages call it.
 */
export async function loadSource(name: string, raw: ByteSource, opts: LoadOptions = {}): Promise<LoadResult> {
  let peeked;
  try {
    peeked = await peekHead(raw);
  } catch (e) {
    await raw.close();
    throw new ProfileError(name, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { head, source } = peeked;
  if (head.length === 0) {
    await source.close();
    throw new ProfileError(name, 'the file is empty', 0);
  }
  const spec = detectFormat(head);
  if (!spec) {
    await source.close();
    throw new ProfileError(name, 'unknown profile format: no reader recognises its first bytes (see `flamelens --help` for the formats)', 0);
  }
  const profile = new Profile();
  const reader = spec.create(profile);
  let size: number;
  try {
    size = await pump(reader, source, { onChunk: opts.onProgress });
  } catch (e) {
    throw new ProfileError(name, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  reader.end();
  return { profile, reader, size };
}

/** One line naming the file and where reading stopped, or undefined when nothing went wrong. */
export function describeIssues(file: string, issues: readonly ReadIssue[]): string | undefined {
  if (issues.length === 0) return undefined;
  const fatal = issues.find((i) => i.fatal);
  const first = fatal ?? issues[0];
  const where = first.line !== undefined ? `line ${first.line} (byte ${first.offset})` : `byte ${first.offset}`;
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return `${file}: ${fatal ? 'reading stopped at' : 'problem at'} ${where}: ${first.message}${more}`;
}
