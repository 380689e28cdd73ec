import { isUtf8 } from 'node:buffer';

/**
 * Text from a profile's bytes, decoded so that distinct bytes stay distinct strings.
 *
 * Valid UTF-8 decodes as usual. Each byte that is not part of a well-formed UTF-8 sequence (Unicode
 * table 3-7) becomes the four characters `\xNN` (lowercase hex, the byte is always 0x80-0xff), as
 * Python's `backslashreplace` shows it: visible, and no longer the same U+FFFD for every bad byte
 * (which merged 60 distinct directories into one file entry).
 *
 * The scheme is injective: a literal backslash run that stands right before `x[89a-f][0-9a-f]` (or
 * before an escaped byte) is doubled. Read back, a run of m backslashes before `x[89a-f][0-9a-f]`
 * is floor(m/2) literal backslashes, plus an escaped byte when m is odd. Only text that holds such
 * a sequence changes (a Windows path `C:\x86\a.py` reads `C:\\x86\a.py`, which splits into the same
 * path segments); everything else decodes exactly as `buf.toString('utf8')`.
 */
export function decodeUtf8(buf: Uint8Array, s = 0, e = buf.length): string {
  // The native decoder first (fast): bad bytes come out as U+FFFD, and only then are the bytes
  // looked at again (a U+FFFD may also be real, well-formed text).
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const text = b.toString('utf8', s, e);
  if (text.includes('\ufffd') && !isUtf8(b.subarray(s, e))) return decodeInvalid(b.subarray(s, e));
  return text.includes('\\x') ? doubleBeforeHex(text, false) : text;
}

const LITERAL_ESCAPE = /\\+(?=x[89a-f][0-9a-f])/g;

/** Doubles backslash runs before `x[89a-f][0-9a-f]` and, when an escape follows, the trailing run. */
function doubleBeforeHex(part: string, escapeFollows: boolean): string {
  let out = part.includes('\\x') ? part.replace(LITERAL_ESCAPE, '$&$&') : part;
  if (escapeFollows && out.endsWith('\\')) {
    let k = out.length;
    while (k > 0 && out.charCodeAt(k - 1) === 92) k--;
    out += out.slice(k);
  }
  return out;
}

/** Length of the well-formed UTF-8 sequence starting at b[i] (a byte >= 0x80), or 0. */
function sequenceLength(b: Uint8Array, i: number, e: number): number {
  const c = b[i];
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < e && b[j] >= lo && b[j] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

function decodeInvalid(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const e = buf.length;
  let out = '';
  let run = 0;
  let i = 0;
  while (i < e) {
    if (buf[i] < 0x80) {
      i++;
      continue;
    }
    const n = sequenceLength(buf, i, e);
    if (n > 0) {
      i += n;
      continue;
    }
    out += doubleBeforeHex(buf.toString('utf8', run, i), true) + '\\x' + buf[i].toString(16).padStart(2, '0');
    i++;
    run = i;
  }
  return out + doubleBeforeHex(buf.toString('utf8', run, e), false);
}
