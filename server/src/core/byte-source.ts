/**
 * Where a reader's bytes come from: a file (from an offset, the next read overlapping with the
 * parsing of the current chunk), or a stream (standard input, a gunzip). The one reading loop,
 * `pump`, feeds any source to any reader; the CLI and the language server both use it, so a file
 * is read the same way (and as fast) wherever it is read. A remote profile source plugs in here.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ProfileReader } from './readers/types';

export const CHUNK_BYTES = 1 << 20;
/** How much of a file format detection looks at. */
export const HEAD_BYTES = 4096;

export interface ByteSource {
  /** The next bytes, or null at the end. Never an empty chunk. Each chunk is a fresh buffer (readers may keep views of it). */
  next(): Promise<Uint8Array | null>;
  /** Stops reading and releases what the source holds (not the file handle given to `fileSource`). */
  close(): Promise<void>;
}

/**
 * Bytes `[from, to)` of an open file, in chunks, with one read ahead: while the consumer parses a
 * chunk the next one is already being read (a big file reads ~30 % faster than with sequential reads).
 */
export function fileSource(fh: FileHandle, from: number, to: number, chunkSize = CHUNK_BYTES): ByteSource {
  let pos = from;
  let pending: Promise<Uint8Array | null> | undefined;
  let closed = false;
  const read = async (): Promise<Uint8Array | null> => {
    if (closed || pos >= to) return null;
    const want = Math.min(chunkSize, to - pos);
    const buf = Buffer.allocUnsafe(want);
    const at = pos;
    pos += want;
    const { bytesRead } = await fh.read(buf, 0, want, at);
    if (bytesRead === 0) {
      pos = to; // the file shrank under us: the caller's checks notice
      return null;
    }
    if (bytesRead < want) pos = at + bytesRead;
    return buf.subarray(0, bytesRead);
  };
  return {
    async next() {
      const chunk = await (pending ?? read());
      pending = chunk ? read() : undefined;
      // an unhandled rejection of the read ahead is reported by the next call instead
      pending?.catch(() => undefined);
      return chunk;
    },
    async close() {
      closed = true;
      await pending?.catch(() => undefined);
      pending = undefined;
    },
  };
}

/** A readable stream's chunks as a source. */
export function streamSource(stream: Readable): ByteSource {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  return {
    async next() {
      for (;;) {
        const r = await it.next();
        if (r.done) return null;
        const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        if (chunk.length > 0) return chunk;
      }
    },
    async close() {
      await it.return?.();
      stream.destroy();
    },
  };
}

/** True for the gzip magic bytes. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The first `HEAD_BYTES` of a source (fewer at its end) and a source that yields everything again
 * from the start, so formats can be detected on a stream that cannot seek. A gzip-compressed
 * source is decompressed on the way (every reader then sees the profile's own bytes).
 */
export async function peekHead(source: ByteSource): Promise<{ head: Uint8Array; source: ByteSource }> {
  const { head, source: replay } = await bufferHead(source);
  if (!isGzip(head)) return { head, source: replay };
  const gunzip = createGunzip();
  void (async () => {
    try {
      for (let c = await replay.next(); c; c = await replay.next()) {
        if (!gunzip.write(c)) await new Promise((r) => gunzip.once('drain', r));
      }
      gunzip.end();
    } catch (e) {
      gunzip.destroy(e as Error);
    }
  })();
  return bufferHead(streamSource(gunzip));
}

async function bufferHead(source: ByteSource): Promise<{ head: Uint8Array; source: ByteSource }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < HEAD_BYTES) {
    const c = await source.next();
    if (!c) break;
    chunks.push(c);
    size += c.length;
  }
  const head = chunks.length === 1 ? chunks[0].subarray(0, HEAD_BYTES) : Buffer.concat(chunks).subarray(0, HEAD_BYTES);
  let i = 0;
  return {
    head,
    source: {
      next: async () => (i < chunks.length ? chunks[i++] : source.next()),
      close: () => source.close(),
    },
  };
}

export interface PumpOptions {
  /** After each chunk was pushed; awaited, so it may yield to other work. */
  onChunk?(bytes: number): void | Promise<void>;
  /** Checked before each chunk: true stops reading (the file was deleted or replaced, the server is closing). */
  stop?(): boolean;
}

/**
 * Pushes a source's bytes into a reader until the source ends, the reader fails or `stop` says
 * so. Resolves to the number of bytes pushed. Does not call `reader.end()`: only the caller knows
 * whether more bytes may come (a live file).
 */
export async function pump(reader: ProfileReader, source: ByteSource, opts: PumpOptions = {}): Promise<number> {
  let bytes = 0;
  try {
    while (!opts.stop?.()) {
      const chunk = await source.next();
      if (!chunk) break;
      reader.push(chunk);
      bytes += chunk.length;
      if (reader.failed) break;
      await opts.onChunk?.(bytes);
    }
  } finally {
    await source.close();
  }
  return bytes;
}
