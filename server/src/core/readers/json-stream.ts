import { decodeUtf8 } from './utf8-decode';
import { Utf8Builder } from './utf8-builder';

/**
 * An incremental JSON tokenizer over bytes: chunks of any size go in, SAX-like events come out.
 * It never builds a string of the whole document (V8 caps strings at ~512 MB), keeps state across
 * chunk boundaries (inside strings, escapes, UTF-8 sequences, numbers and literals), and uses no
 * recursion, so nesting depth is bounded by memory only.
 *
 * Strings are decoded as UTF-8 once complete (see Utf8Builder for escapes; bytes that are not
 * UTF-8 become `\xNN`, see utf8-decode.ts).
 */

export interface JsonSink {
  startObject(): void;
  endObject(): void;
  /**
   * Return true to have the array's numbers collected into `JsonTokenizer.ints` instead of
   * `number()` calls (read them in `endArray`): the fast lane for frame-index arrays. Ignored
   * for an array nested in a collected one.
   */
  startArray(): boolean | void;
  endArray(): void;
  key(name: string): void;
  string(value: string): void;
  number(value: number): void;
  literal(value: boolean | null): void;
}

export interface JsonError {
  readonly message: string;
  /** Absolute byte offset of the offending byte (or of the end, for a truncated document). */
  readonly offset: number;
}

const enum S {
  Value,
  ValueOrEnd, // just after '['
  KeyOrEnd, // just after '{'
  Key, // after ',' in an object
  Colon,
  After, // after a value inside a container
  Done,
  String,
  Number,
  Literal,
  Failed,
}

const OBJ = 1;
const ARR = 2;
const QUOTE = 34;
const BACKSLASH = 92;

function isNumberByte(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;
}

export class JsonTokenizer {
  /** Absolute offset of the first byte of the chunk being read. */
  private base = 0;
  private state = S.Value;
  private stack = new Uint8Array(64);
  private depth = 0;
  private started = false;
  // strings
  private strIsKey = false;
  private readonly text = new Utf8Builder();
  private esc = 0; // 0 none, 1 after '\', 2..5 reading \u hex digits
  private uHex = 0;
  // numbers and literals
  private numText = '';
  private numStart = 0;
  private litWord = '';
  private litPos = 0;
  error: JsonError | undefined;
  /** Depth of the array whose numbers are being collected (-1: none). */
  private collectDepth = -1;
  /**
   * Numbers of the collected array, valid during its `endArray`: non-negative int32 as read,
   * any other number (negative, fractional, huge) as -1.
   */
  ints = new Int32Array(256);
  intCount = 0;
  /** Numbers of the collected array left out of `ints` (see `intLimit`). */
  intsDropped = 0;

  /**
   * With `intLimit`, a collected array holds at most that many numbers: past it, the middle is
   * left out (counted in `intsDropped`), keeping the first `keepFirst` and the newest `keepLast`.
   * A stack of millions of frames then costs what a stack at the limit costs.
   */
  constructor(
    private readonly sink: JsonSink,
    private readonly intLimit = 0,
    private readonly keepFirst = 0,
    private readonly keepLast = 0,
  ) {}

  /** Bytes read so far. */
  get offset(): number {
    return this.base;
  }

  /** True once a whole top-level value has been read. */
  get complete(): boolean {
    return this.state === S.Done;
  }

  get failed(): boolean {
    return this.state === S.Failed;
  }

  push(chunk: Uint8Array): void {
    if (this.state === S.Failed) return;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = buf.length;
    let i = 0;
    if (!this.started && n > 0) {
      this.started = true;
      if (n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3; // BOM
    }
    while (i < n) {
      switch (this.state) {
        case S.String:
          i = this.stringBytes(buf, i);
          break;
        case S.Number:
          i = this.numberBytes(buf, i);
          break;
        case S.Literal:
          i = this.literalBytes(buf, i);
          break;
        default: {
          const c = buf[i];
          if (c === 32 || c === 10 || c === 13 || c === 9) {
            i++;
            continue;
          }
          // Arrays of small integers are the bulk of profile files: a tight loop of their own
          if ((c === 44 || (c >= 48 && c <= 57)) && this.depth > 0 && this.stack[this.depth - 1] === ARR) {
            const j = this.intArray(buf, i, n);
            if (j > i) {
              i = j;
              continue;
            }
          }
          i = this.structural(buf, i, c);
        }
      }
      if (this.failed) return;
    }
    this.base += n;
  }

  /**
   * No more bytes. Returns undefined when the document was whole, else why it is not (and sets
   * `error`). A number at the very end of a top-level document is completed here.
   */
  end(): JsonError | undefined {
    if (this.state === S.Failed) return this.error;
    if (this.state === S.Number && this.depth === 0) {
      this.finishNumber(this.numText, this.numStart);
      return this.error;
    }
    if (this.state === S.Done) return undefined;
    let what: string;
    if (this.state === S.String) what = this.strIsKey ? 'a key' : 'a string';
    else if (this.state === S.Number || this.state === S.Literal) what = 'a value';
    else if (this.depth > 0) what = this.stack[this.depth - 1] === OBJ ? 'an object' : 'an array';
    else return (this.error = { message: 'the file holds no JSON value', offset: this.base });
    // not stored as `error`: pushing more bytes may still complete the document
    return { message: `the file ends inside ${what} (the JSON is cut short)`, offset: this.base };
  }

  private fail(message: string, offset: number): number {
    this.state = S.Failed;
    this.error = { message, offset };
    return Number.MAX_SAFE_INTEGER;
  }

  private afterValue(): void {
    this.state = this.depth === 0 ? S.Done : S.After;
  }

  private open(kind: number): void {
    if (this.depth === this.stack.length) {
      const s = new Uint8Array(this.depth * 2);
      s.set(this.stack);
      this.stack = s;
    }
    this.stack[this.depth++] = kind;
  }

  private structural(buf: Buffer, i: number, c: number): number {
    const at = this.base + i;
    if (this.state === S.ValueOrEnd && c === 93 /* ] */) return this.close(ARR, i);
    if (this.state === S.KeyOrEnd && c === 125 /* } */) return this.close(OBJ, i);
    switch (this.state) {
      case S.ValueOrEnd:
      case S.Value:
        if (c === 123 /* { */) {
          this.open(OBJ);
          this.state = S.KeyOrEnd;
          this.sink.startObject();
          return i + 1;
        }
        if (c === 91 /* [ */) {
          this.open(ARR);
          this.state = S.ValueOrEnd;
          // the lane does not nest: arrays inside a collected one reach the sink as usual
          if (this.sink.startArray() === true && this.collectDepth < 0) {
            this.collectDepth = this.depth;
            this.intCount = 0;
            this.intsDropped = 0;
          }
          return i + 1;
        }
        if (c === QUOTE) return this.startString(buf, i, false);
        if ((c >= 48 && c <= 57) || c === 45) return this.startNumber(buf, i);
        if (c === 116 /* t */ || c === 102 /* f */ || c === 110 /* n */) {
          this.litWord = c === 116 ? 'true' : c === 102 ? 'false' : 'null';
          this.litPos = 1;
          this.state = S.Literal;
          return i + 1;
        }
        return this.fail(`unexpected ${describe(c)} where a JSON value should start`, at);
      case S.KeyOrEnd:
      case S.Key:
        if (c === QUOTE) return this.startString(buf, i, true);
        return this.fail(`unexpected ${describe(c)} where an object key should start`, at);
      case S.Colon:
        if (c === 58 /* : */) {
          this.state = S.Value;
          return i + 1;
        }
        return this.fail(`expected ':' after an object key, found ${describe(c)}`, at);
      case S.After: {
        const top = this.stack[this.depth - 1];
        if (c === 44 /* , */) {
          this.state = top === OBJ ? S.Key : S.Value;
          return i + 1;
        }
        if (c === 93 && top === ARR) return this.close(ARR, i);
        if (c === 125 && top === OBJ) return this.close(OBJ, i);
        return this.fail(`expected ',' or '${top === OBJ ? '}' : ']'}', found ${describe(c)}`, at);
      }
      case S.Done:
        return this.fail(`unexpected ${describe(c)} after the end of the JSON document`, at);
      default:
        return this.fail('internal tokenizer state error', at);
    }
  }

  /**
   * Reads commas, blanks and plain integers inside an array until anything else (a bracket, a
   * fraction, a number cut by the chunk end), which the general path then takes.
   */
  private intArray(buf: Buffer, i: number, n: number): number {
    const sink = this.sink;
    const collect = this.depth === this.collectDepth;
    let st = this.state;
    while (i < n) {
      const c = buf[i];
      if (c === 44) {
        if (st !== S.After) break;
        st = S.Value;
        i++;
      } else if (c >= 48 && c <= 57) {
        if (st === S.After) break;
        let v = c - 48;
        let j = i + 1;
        while (j < n) {
          const d = buf[j] - 48;
          if (d < 0 || d > 9) break;
          v = v * 10 + d;
          j++;
        }
        const b = buf[j];
        // a '.', 'e' or sign after the digits: not a plain integer, the general path decides
        if (j >= n || j - i > 15 || b === 46 || b === 101 || b === 69 || b === 45 || b === 43) break;
        if (collect) {
          if (this.intCount === this.ints.length) this.growInts();
          this.ints[this.intCount++] = v < 2147483648 ? v : -1;
        } else sink.number(v);
        st = S.After;
        i = j;
      } else if (c === 32 || c === 10 || c === 13 || c === 9) {
        i++;
      } else break;
    }
    this.state = st;
    return i;
  }

  private close(kind: number, i: number): number {
    this.depth--;
    if (kind === OBJ) this.sink.endObject();
    else {
      this.sink.endArray();
      if (this.depth + 1 === this.collectDepth) this.collectDepth = -1;
    }
    this.afterValue();
    return i + 1;
  }

  private startString(buf: Buffer, i: number, isKey: boolean): number {
    // fast path: the whole string is in this chunk and has no escapes
    const n = buf.length;
    let j = i + 1;
    while (j < n) {
      const b = buf[j];
      if (b === QUOTE) {
        this.emitString(decodeUtf8(buf, i + 1, j), isKey);
        return j + 1;
      }
      if (b === BACKSLASH) break;
      j++;
    }
    this.strIsKey = isKey;
    this.text.reset();
    this.esc = 0;
    this.text.append(buf, i + 1, j);
    this.state = S.String;
    return j;
  }

  private emitString(s: string, isKey: boolean): void {
    if (isKey) {
      this.sink.key(s);
      this.state = S.Colon;
    } else {
      this.sink.string(s);
      this.afterValue();
    }
  }

  /** Continues a string that did not fit the fast path (escapes, or a chunk boundary). */
  private stringBytes(buf: Buffer, i: number): number {
    const n = buf.length;
    while (i < n) {
      if (this.esc === 1) {
        const c = buf[i++];
        this.esc = 0;
        switch (c) {
          case QUOTE:
          case BACKSLASH:
          case 47:
            this.text.codeUnit(c);
            break;
          case 98:
            this.text.codeUnit(8);
            break;
          case 102:
            this.text.codeUnit(12);
            break;
          case 110:
            this.text.codeUnit(10);
            break;
          case 114:
            this.text.codeUnit(13);
            break;
          case 116:
            this.text.codeUnit(9);
            break;
          case 117:
            this.esc = 2;
            this.uHex = 0;
            break;
          default:
            return this.fail(`invalid escape '\\${String.fromCharCode(c)}' in a string`, this.base + i - 1);
        }
        continue;
      }
      if (this.esc >= 2) {
        const c = buf[i++];
        const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
        if (d < 0) return this.fail('invalid \\u escape in a string', this.base + i - 1);
        this.uHex = this.uHex * 16 + d;
        if (++this.esc === 6) {
          this.esc = 0;
          this.text.codeUnit(this.uHex);
        }
        continue;
      }
      let j = i;
      while (j < n && buf[j] !== QUOTE && buf[j] !== BACKSLASH) j++;
      this.text.append(buf, i, j);
      if (j === n) return n;
      if (buf[j] === BACKSLASH) {
        this.esc = 1;
        i = j + 1;
        continue;
      }
      this.emitString(this.text.take(), this.strIsKey);
      return j + 1;
    }
    return n;
  }

  private startNumber(buf: Buffer, i: number): number {
    const n = buf.length;
    let j = i + 1;
    while (j < n && isNumberByte(buf[j])) j++;
    this.numStart = this.base + i;
    if (j < n) {
      this.finishRange(buf, i, j);
      return j;
    }
    this.numText = buf.toString('latin1', i, j);
    this.state = S.Number;
    return n;
  }

  private numberBytes(buf: Buffer, i: number): number {
    const n = buf.length;
    let j = i;
    while (j < n && isNumberByte(buf[j])) j++;
    this.numText += buf.toString('latin1', i, j);
    if (j < n) this.finishNumber(this.numText, this.numStart);
    return j;
  }

  /** A number wholly inside buf[a, b): plain integers are read without making a string. */
  private finishRange(buf: Buffer, a: number, b: number): void {
    let k = a;
    const neg = buf[k] === 45;
    if (neg) k++;
    if (b - k > 0 && b - k <= 15) {
      let v = 0;
      for (; k < b; k++) {
        const d = buf[k] - 48;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
      }
      if (k === b) {
        this.emitNumber(neg ? -v : v);
        this.afterValue();
        return;
      }
    }
    this.finishNumber(buf.toString('latin1', a, b), this.base + a);
  }

  private finishNumber(text: string, at: number): void {
    const v = text === '' || text === '-' ? NaN : Number(text);
    if (Number.isNaN(v)) {
      this.fail(`invalid number '${text.slice(0, 40)}'`, at);
      return;
    }
    this.emitNumber(v);
    this.afterValue();
  }

  private emitNumber(v: number): void {
    if (this.depth !== this.collectDepth) return this.sink.number(v);
    if (this.intCount === this.ints.length) this.growInts();
    this.ints[this.intCount++] = Number.isInteger(v) && v >= 0 && v < 2147483648 ? v : -1;
  }

  private growInts(): void {
    if (this.intLimit > 0 && this.intCount >= this.intLimit) {
      const n = this.keepFirst + this.keepLast;
      this.ints.copyWithin(this.keepFirst, this.intCount - this.keepLast, this.intCount);
      this.intsDropped += this.intCount - n;
      this.intCount = n;
      return;
    }
    const next = new Int32Array(this.ints.length * 2);
    next.set(this.ints);
    this.ints = next;
  }

  private literalBytes(buf: Buffer, i: number): number {
    const n = buf.length;
    const w = this.litWord;
    while (i < n && this.litPos < w.length) {
      if (buf[i] !== w.charCodeAt(this.litPos)) return this.fail(`invalid literal (expected '${w}')`, this.base + i);
      i++;
      this.litPos++;
    }
    if (this.litPos === w.length) {
      this.sink.literal(w === 'true' ? true : w === 'false' ? false : null);
      this.afterValue();
    }
    return i;
  }
}

function describe(c: number): string {
  return c >= 33 && c < 127 ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
