import { constants as zlibConstants, gunzipSync } from 'node:zlib';

/**
 * Structural checks of pprof's protobuf framing, without decoding values: where a cut or
 * corrupt message stops being whole (pprof-format's decoder silently shortens such messages),
 * and whether a file's first bytes look like a pprof Profile at all (format detection).
 */

/** Message fields of each message type (the rest are scalars, strings or packed arrays). */
const SUBMESSAGES: Record<string, Record<number, string>> = {
  Profile: { 1: 'ValueType', 2: 'Sample', 3: 'Mapping', 4: 'Location', 5: 'Function', 11: 'ValueType' },
  Sample: { 3: 'Label' },
  Location: { 4: 'Line' },
};
const PROFILE_FIELDS: Record<number, string> = {
  1: 'sample_type', 2: 'sample', 3: 'mapping', 4: 'location', 5: 'function', 6: 'string_table',
  7: 'drop_frames', 8: 'keep_frames', 9: 'time_nanos', 10: 'duration_nanos', 11: 'period_type',
  12: 'period', 13: 'comment', 14: 'default_sample_type', 15: 'doc_url',
};

export interface StructureProblem {
  message: string;
  offset: number;
}

/** Reads a varint at `pos`; returns [value, next] or undefined when it runs off the end or past 10 bytes. */
function varint(b: Uint8Array, pos: number, end: number): [number, number] | undefined {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return undefined;
    const c = b[pos++];
    v += (c & 0x7f) * scale;
    scale *= 128;
    if (c < 0x80) return [v, pos];
  }
  return undefined;
}

/** Checks a message's field framing in b[start, end); returns the first problem, if any. */
function checkMessage(b: Uint8Array, start: number, end: number, type: string): StructureProblem | undefined {
  let pos = start;
  const subs = SUBMESSAGES[type] ?? {};
  while (pos < end) {
    const at = pos;
    const tag = varint(b, pos, end);
    if (!tag) return { message: `a field tag of a ${type} runs past its end`, offset: at };
    const field = Math.floor(tag[0] / 8);
    const wire = tag[0] % 8;
    pos = tag[1];
    if (field === 0) return { message: `field number 0 in a ${type}`, offset: at };
    if (wire === 0) {
      const v = varint(b, pos, end);
      if (!v) return { message: `a number in a ${type} runs past its end`, offset: at };
      pos = v[1];
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > end) return { message: `a fixed-size value in a ${type} runs past its end`, offset: at };
    } else if (wire === 2) {
      const len = varint(b, pos, end);
      if (!len) return { message: `a length in a ${type} runs past its end`, offset: at };
      pos = len[1];
      if (pos + len[0] > end) {
        return {
          message: `field ${field} of a ${type} declares ${len[0]} bytes but only ${end - pos} remain`,
          offset: at,
        };
      }
      const sub = subs[field];
      if (sub) {
        const p = checkMessage(b, pos, pos + len[0], sub);
        if (p) return p;
      }
      pos += len[0];
    } else {
      return { message: `invalid protobuf wire type ${wire} in a ${type}`, offset: at };
    }
  }
  return undefined;
}

/**
 * Walks the top-level fields; returns the end of the last whole, well-formed field and the first
 * problem. Everything before that end can be decoded.
 */
export function checkStructure(b: Uint8Array): { end: number; problem?: StructureProblem } {
  let pos = 0;
  while (pos < b.length) {
    const at = pos;
    const tag = varint(b, pos, b.length);
    if (!tag) return { end: at, problem: { message: 'the data ends inside a field tag', offset: at } };
    const field = Math.floor(tag[0] / 8);
    const name = PROFILE_FIELDS[field] ?? `field ${field}`;
    // One field's framing, checked as a one-field Profile message so submessages are checked too.
    let fieldEnd: number;
    const wire = tag[0] % 8;
    if (wire === 2) {
      const len = varint(b, tag[1], b.length);
      if (!len) return { end: at, problem: { message: `the data ends inside the length of ${name}`, offset: at } };
      fieldEnd = len[1] + len[0];
      if (fieldEnd > b.length) {
        return {
          end: at,
          problem: { message: `${name} declares ${len[0]} bytes but only ${b.length - len[1]} remain (truncated)`, offset: at },
        };
      }
    } else if (wire === 0) {
      const v = varint(b, tag[1], b.length);
      if (!v) return { end: at, problem: { message: `the data ends inside ${name}`, offset: at } };
      fieldEnd = v[1];
    } else {
      return { end: at, problem: { message: `invalid protobuf wire type ${wire} for ${name}`, offset: at } };
    }
    const p = checkMessage(b, at, fieldEnd, 'Profile');
    if (p) return { end: at, problem: { message: `${name} is malformed: ${p.message}`, offset: p.offset } };
    pos = fieldEnd;
  }
  return { end: pos };
}

/**
 * The top-level fields numbered `field` of b[0, end) (a range checkStructure found whole), in
 * order: where each starts (its tag) and where its payload lies (length-delimited fields).
 */
export function topLevelFields(b: Uint8Array, end: number, field: number): { at: number; start: number; end: number }[] {
  const out: { at: number; start: number; end: number }[] = [];
  let pos = 0;
  while (pos < end) {
    const at = pos;
    const tag = varint(b, pos, end);
    if (!tag) break;
    const wire = tag[0] % 8;
    let start = tag[1];
    let fieldEnd: number;
    if (wire === 2) {
      const len = varint(b, tag[1], end);
      if (!len) break;
      start = len[1];
      fieldEnd = len[1] + len[0];
    } else if (wire === 0) {
      const v = varint(b, tag[1], end);
      if (!v) break;
      fieldEnd = v[1];
    } else break;
    if (fieldEnd > end) break;
    if (Math.floor(tag[0] / 8) === field) out.push({ at, start, end: fieldEnd });
    pos = fieldEnd;
  }
  return out;
}

/**
 * True when the bytes start like a serialized Profile: field 1 (sample_type, length-delimited)
 * holding a small ValueType, then only known Profile fields with the right wire types up to the
 * end of the head (the last one may be cut off by the head's end).
 */
export function looksLikePprofMessage(b: Uint8Array): boolean {
  if (b.length < 4 || b[0] !== 0x0a) return false;
  const len = b[1];
  if (len < 2 || len > 22 || 2 + len > b.length) return false;
  if (checkMessage(b, 2, 2 + len, 'ValueType')) return false;
  for (let p = 2; p < 2 + len; ) {
    // only type (1) and unit (2), both varints
    if (b[p] !== 0x08 && b[p] !== 0x10) return false;
    const v = varint(b, p + 1, 2 + len);
    if (!v) return false;
    p = v[1];
  }
  let pos = 2 + len;
  while (pos < b.length) {
    const tag = varint(b, pos, b.length);
    if (!tag) return true;
    const field = Math.floor(tag[0] / 8);
    const wire = tag[0] % 8;
    if (!PROFILE_FIELDS[field]) return false;
    const messageLike = field <= 6 || field === 11 || field === 13;
    if (wire === 2 && messageLike) {
      const l = varint(b, tag[1], b.length);
      if (!l) return true;
      pos = l[1] + l[0];
    } else if (wire === 0 && (!messageLike || field === 13)) {
      const v = varint(b, tag[1], b.length);
      if (!v) return true;
      pos = v[1];
    } else {
      return false;
    }
  }
  return true;
}

/** Format detection: gzip magic with a Profile inside, or a raw Profile. */
export function detectPprof(head: Uint8Array): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    let inner: Buffer;
    try {
      inner = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      return false;
    }
    return looksLikePprofMessage(inner.subarray(0, 4096));
  }
  return looksLikePprofMessage(head);
}
