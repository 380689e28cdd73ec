import { open } from 'node:fs/promises';
import { Profile } from './model';
import { detectFormat } from './readers/index';
import type { ProfileReader, ReadIssue } from './readers/types';

export interface LoadResult {
  readonly profile: Profile;
  readonly reader: ProfileReader;
  /** Bytes read from the file. */
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

export const HEAD_BYTES = 4096;
export const CHUNK_BYTES = 1 << 20;

/**
 * Reads a profile file in chunks (never as one string), detecting the format from its content.
 * Throws ProfileError for a file that cannot be opened or whose format is unknown; problems inside
 * the file are reported in `reader.issues`, and whatever came before them is kept.
 */
export async function loadProfile(
  file: string,
  opts: { chunkSize?: number; onProgress?: (bytes: number) => void | Promise<void> } = {},
): Promise<LoadResult> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new ProfileError(file, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const chunkSize = opts.chunkSize ?? CHUNK_BYTES;
    let buf = Buffer.allocUnsafe(Math.max(chunkSize, HEAD_BYTES));
    let pos = 0;
    const first = await fh.read(buf, 0, buf.length, 0);
    if (first.bytesRead === 0) throw new ProfileError(file, 'the file is empty', 0);
    const spec = detectFormat(buf.subarray(0, Math.min(first.bytesRead, HEAD_BYTES)));
    if (!spec) throw new ProfileError(file, 'unknown profile format (not Austin text or MOJO, nor another known format)', 0);
    const profile = new Profile();
    const reader = spec.create(profile);
    let n = first.bytesRead;
    while (n > 0) {
      // The next read runs while this chunk is parsed, so disk and parser overlap. A fresh buffer
      // per chunk: readers may keep views of what they were given (see ProfileReader.push).
      const next = Buffer.allocUnsafe(chunkSize);
      const pending = fh.read(next, 0, chunkSize, pos + n);
      reader.push(buf.subarray(0, n));
      pos += n;
      if (reader.failed) {
        await pending;
        break;
      }
      await opts.onProgress?.(pos);
      n = (await pending).bytesRead;
      buf = next;
    }
    reader.end();
    return { profile, reader, size: pos };
  } finally {
    await fh.close();
  }
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
