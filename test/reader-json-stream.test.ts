import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonTokenizer, type JsonSink } from '../server/src/core/readers/json-stream';

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Rebuilds a JS value from tokenizer events, for comparison with JSON.parse. */
class Builder implements JsonSink {
  protected stack: { c: unknown[] | Record<string, unknown>; key?: string }[] = [];
  value: unknown;
  private put(v: unknown): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) this.value = v;
    else if (Array.isArray(top.c)) top.c.push(v);
    // an own property even for a key like `__proto__`, as JSON.parse makes it
    else Object.defineProperty(top.c, top.key!, { value: v, enumerable: true, writable: true, configurable: true });
  }
  startObject(): void {
    const o = {};
    this.put(o);
    this.stack.push({ c: o });
  }
  endObject(): void {
    this.stack.pop();
  }
  startArray(): void {
    const a: unknown[] = [];
    this.put(a);
    this.stack.push({ c: a });
  }
  endArray(): void {
    this.stack.pop();
  }
  key(k: string): void {
    this.stack[this.stack.length - 1].key = k;
  }
  string(v: string): void {
    this.put(v);
  }
  number(v: number): void {
    this.put(v);
  }
  literal(v: boolean | null): void {
    this.put(v);
  }
}

describe('json-stream tokenizer', () => {
  function tokenize(bytes: Uint8Array, cuts: readonly number[]): { value: unknown; error: unknown } {
    const b = new Builder();
    const t = new JsonTokenizer(b);
    let p = 0;
    for (const c of cuts) {
      t.push(bytes.subarray(p, c));
      p = c;
    }
    t.push(bytes.subarray(p));
    const error = t.end();
    return { value: b.value, error };
  }

  /**
   * JSON.parse's value with every string (and key) as the readers show text (docs/reliability.md,
   * "Text that is not UTF-8"): a literal backslash run right before `x[89a-f][0-9a-f]` doubled, so
   * that it never reads like an escaped invalid byte. fast-check found `"\\xa0"` as a key.
   */
  function shownAsDecoded(v: unknown): unknown {
    const text = (x: string) => x.replace(/\\+(?=x[89a-f][0-9a-f])/g, '$&$&');
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(shownAsDecoded);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, text(k), { value: shownAsDecoded(x), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  }

  it('agrees with JSON.parse on any JSON value, however it is chunked', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        (value, pretty, rawCuts) => {
          const text = JSON.stringify(value, null, pretty ? 2 : undefined) ?? 'null';
          const bytes = enc(text);
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const out = tokenize(bytes, cuts);
          expect(out.error).toBeUndefined();
          expect(out.value).toEqual(shownAsDecoded(JSON.parse(text)));
        },
      ),
      { numRuns: 400, ...(process.env.FLAMELENS_JSON_SEED ? { seed: Number(process.env.FLAMELENS_JSON_SEED) } : {}) },
    );
  });

  it('decodes escapes, surrogate pairs and multi-byte UTF-8 split anywhere', () => {
    const text = '["a\\"b\\\\c\\/d\\b\\f\\n\\r\\t", "\\u00e9\\u2603\\ud83d\\ude80", "é☃🚀", "\\ud83d", -0.5e-3, 12345678901234567890, true, false, null]';
    const bytes = enc(text);
    const want = JSON.parse(text);
    for (let c = 0; c <= bytes.length; c++) {
      for (const d of [c + 1, c + 2, c + 5]) {
        const cuts = d < bytes.length ? [c, d] : [c];
        const out = tokenize(bytes, cuts);
        expect(out.error).toBeUndefined();
        expect(out.value).toEqual(want.map((v: unknown) => (v === '\ud83d' ? '\ufffd' : v)));
      }
    }
  });

  it('collects the numbers of requested arrays as int32, -1 for anything else, in order', () => {
    class Collector extends Builder {
      constructor(private readonly tok: () => JsonTokenizer) {
        super();
      }
      lists: number[][] = [];
      private d = 0;
      override startArray(): boolean {
        super.startArray();
        return ++this.d === 2;
      }
      override endArray(): void {
        const t = this.tok();
        if (this.d-- === 2) this.lists.push(Array.from(t.ints.subarray(0, t.intCount)));
        super.endArray();
      }
    }
    const num = fc.oneof(fc.nat(), fc.integer({ min: -5, max: 2 ** 34 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(fc.array(fc.array(num, { maxLength: 8 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (lists, rawCuts) => {
        const bytes = enc(JSON.stringify(lists));
        let t!: JsonTokenizer;
        const c = new Collector(() => t);
        t = new JsonTokenizer(c);
        let p = 0;
        for (const cut of [...new Set(rawCuts.map((x) => x % (bytes.length + 1)))].sort((x, y) => x - y)) {
          t.push(bytes.subarray(p, cut));
          p = cut;
        }
        t.push(bytes.subarray(p));
        expect(t.end()).toBeUndefined();
        const want = lists.map((l) => JSON.parse(JSON.stringify(l)).map((v: number) => (Number.isInteger(v) && v >= 0 && v < 2 ** 31 ? v : -1)));
        expect(c.lists).toEqual(want);
        // collected numbers do not reach number(): the rebuilt inner arrays are empty
        expect(c.value).toEqual(lists.map(() => []));
      }),
      { numRuns: 300 },
    );
  });

  it('reports the offset of a syntax error and of a cut-short document', () => {
    const bad = tokenize(enc('{"a": [1, 2,, 3]}'), []);
    expect(bad.error).toEqual({ message: "unexpected ',' where a JSON value should start", offset: 12 });
    const cut = tokenize(enc('{"a": [1, 2'), []);
    expect(cut.error).toMatchObject({ offset: 11 });
    expect((cut.error as { message: string }).message).toMatch(/ends inside a value/);
    expect(tokenize(enc('{"a": tru}'), []).error).toMatchObject({ offset: 9 });
    expect(tokenize(enc('[1] x'), []).error).toMatchObject({ offset: 4 });
  });
});
