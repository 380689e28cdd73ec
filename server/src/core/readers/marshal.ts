import { decodeUtf8 } from './utf8-decode';

/**
 * The subset of CPython's `marshal` format that pstats files use (formats.md §7.2): dicts, tuples,
 * lists, sets, strings, ints, longs, floats, None/True/False and back-references. Code objects and
 * other types a stats dump never holds are rejected with the offset of their type byte.
 *
 * Strings that are not UTF-8 keep their bytes distinct (utf8-decode.ts).
 *
 * Decoding is iterative over the top-level dict's entries (see `readDictEntries`) so that a
 * truncated or corrupt file keeps every entry before the damage.
 */

/** A decoded marshal value. Dicts keep their entries in file order: tuple keys compare by value, not by identity. */
export type MarshalValue = null | boolean | number | string | Uint8Array | MarshalValue[] | MarshalDict | MarshalSpecial;

export class MarshalDict {
  constructor(readonly entries: [MarshalValue, MarshalValue][] = []) {}
}

/** Singletons with no JS counterpart (Ellipsis, StopIteration). */
export class MarshalSpecial {
  constructor(readonly name: string) {}
}

/** Bad or truncated input; `offset` is the byte where decoding could not go on. */
export class MarshalError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const FLAG_REF = 0x80;
const MAX_DEPTH = 100;
const UNFILLED = Symbol('unfilled');

export class MarshalReader {
  pos = 0;
  private readonly refs: (MarshalValue | typeof UNFILLED)[] = [];
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get length(): number {
    return this.buf.length;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new MarshalError(`the file ends inside ${what} (needs ${n} more bytes)`, this.buf.length);
    }
  }

  private u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  private i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A length that must be non-negative and fit in what is left (each item takes at least `min` bytes). */
  private count(v: number, min: number, what: string, at: number): number {
    if (v < 0 || v * min > this.buf.length - this.pos) {
      throw new MarshalError(`${what} claims ${v} items, more than the file holds`, at);
    }
    return v;
  }

  /** Reserves a reference slot before the object's children are read (CPython's pre-order). */
  private reserve(flag: boolean): number {
    if (!flag) return -1;
    this.refs.push(UNFILLED);
    return this.refs.length - 1;
  }

  private fill<T extends MarshalValue>(idx: number, v: T): T {
    if (idx >= 0) this.refs[idx] = v;
    return v;
  }

  /** Reads one object. Throws MarshalError on bad input. */
  readObject(depth = 0): MarshalValue {
    if (depth > MAX_DEPTH) throw new MarshalError('objects nested too deep', this.pos);
    const at = this.pos;
    const code = this.u8('an object');
    const flag = (code & FLAG_REF) !== 0;
    const type = String.fromCharCode(code & ~FLAG_REF);
    switch (type) {
      case 'N':
        return null;
      case 'T':
        return true;
      case 'F':
        return false;
      case '.':
        return new MarshalSpecial('Ellipsis');
      case 'S':
        return new MarshalSpecial('StopIteration');
      case 'i': {
        const idx = this.reserve(flag);
        return this.fill(idx, this.i32('an int'));
      }
      case 'I': {
        const idx = this.reserve(flag);
        this.need(8, 'an int64');
        const v = Number(this.view.getBigInt64(this.pos, true));
        this.pos += 8;
        return this.fill(idx, v);
      }
      case 'l': {
        const idx = this.reserve(flag);
        const n = this.i32('a long');
        const digits = this.count(Math.abs(n), 2, 'a long', at);
        this.need(digits * 2, 'a long');
        let v = 0;
        let scale = 1;
        for (let i = 0; i < digits; i++) {
          const d = this.view.getUint16(this.pos, true);
          if (d >= 32768) throw new MarshalError('a long digit out of range', this.pos);
          this.pos += 2;
          v += d * scale;
          scale *= 32768;
        }
        return this.fill(idx, n < 0 ? -v : v);
      }
      case 'g': {
        const idx = this.reserve(flag);
        this.need(8, 'a float');
        const v = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        return this.fill(idx, v);
      }
      case 'f': {
        // marshal version < 2: the float as text
        const idx = this.reserve(flag);
        const n = this.u8('a float');
        this.need(n, 'a float');
        const text = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, n).toString('latin1');
        this.pos += n;
        const v = Number(text);
        if (Number.isNaN(v) && text !== 'nan') throw new MarshalError(`not a float: ${JSON.stringify(text)}`, at);
        return this.fill(idx, v);
      }
      case 'z':
      case 'Z':
        return this.str(flag, this.u8('a string length'), 'latin1');
      case 'a':
      case 'A':
        return this.str(flag, this.i32('a string length'), 'latin1', at);
      case 'u':
      case 't':
        return this.str(flag, this.i32('a string length'), 'utf8', at);
      case 's': {
        const idx = this.reserve(flag);
        const n = this.count(this.i32('a bytes length'), 1, 'bytes', at);
        this.need(n, 'bytes');
        const v = this.buf.slice(this.pos, this.pos + n);
        this.pos += n;
        return this.fill(idx, v);
      }
      case ')':
        return this.seq(flag, this.u8('a tuple length'), depth, at);
      case '(':
      case '[':
      case '<':
      case '>':
        return this.seq(flag, this.i32('a sequence length'), depth, at);
      case '{': {
        const idx = this.reserve(flag);
        const d = this.fill(idx, new MarshalDict());
        for (;;) {
          this.need(1, 'a dict');
          if (this.buf[this.pos] === 0x30 /* '0' */) {
            this.pos++;
            return d;
          }
          const k = this.readObject(depth + 1);
          const v = this.readObject(depth + 1);
          d.entries.push([k, v]);
        }
      }
      case 'r': {
        const i = this.i32('a reference');
        const v = i >= 0 && i < this.refs.length ? this.refs[i] : UNFILLED;
        if (v === UNFILLED) throw new MarshalError(`reference ${i} to an object not read yet`, at);
        return v;
      }
      default:
        throw new MarshalError(`unsupported marshal type byte 0x${code.toString(16).padStart(2, '0')}`, at);
    }
  }

  private str(flag: boolean, n: number, enc: 'latin1' | 'utf8', at = this.pos): string {
    const idx = this.reserve(flag);
    this.count(n, 1, 'a string', at);
    this.need(n, 'a string');
    const v = enc === 'utf8' ? decodeUtf8(this.buf, this.pos, this.pos + n) : Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, n).toString(enc);
    this.pos += n;
    return this.fill(idx, v);
  }

  private seq(flag: boolean, n: number, depth: number, at: number): MarshalValue[] {
    const idx = this.reserve(flag);
    this.count(n, 1, 'a sequence', at);
    const out: MarshalValue[] = [];
    // A tuple's slot is only filled once complete, as in CPython; a list's could be earlier, but
    // stats dumps never hold self-referencing lists.
    for (let i = 0; i < n; i++) out.push(this.readObject(depth + 1));
    return this.fill(idx, out);
  }

  /**
   * Reads a top-level dict entry by entry. `onEntry` gets each key, value and the offset where the
   * entry began; a MarshalError thrown part-way leaves the entries already delivered intact.
   */
  readDictEntries(onEntry: (key: MarshalValue, value: MarshalValue, offset: number) => void): void {
    const at = this.pos;
    const code = this.u8('the top-level object');
    if ((code & ~FLAG_REF) !== 0x7b) {
      throw new MarshalError(`expected a dict (type byte 0x7b), found 0x${code.toString(16).padStart(2, '0')}`, at);
    }
    const idx = this.reserve((code & FLAG_REF) !== 0);
    const d = this.fill(idx, new MarshalDict());
    for (;;) {
      const start = this.pos;
      this.need(1, 'the dict');
      if (this.buf[this.pos] === 0x30) {
        this.pos++;
        return;
      }
      const k = this.readObject(1);
      const v = this.readObject(1);
      d.entries.push([k, v]);
      onEntry(k, v, start);
    }
  }
}
