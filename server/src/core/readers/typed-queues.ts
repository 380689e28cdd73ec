/** Growable typed-array queues for readers that buffer numbers without boxing them. */

/** A growable int32 queue: push at the tail, shift at the head, reset when drained. */
export class IntQueue {
  a = new Int32Array(64);
  head = 0;
  n = 0;
  get size(): number {
    return this.n - this.head;
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      if (this.head > 0 && this.head * 2 >= this.n) {
        this.a.copyWithin(0, this.head, this.n);
        this.n -= this.head;
        this.head = 0;
      } else {
        const b = new Int32Array(this.a.length * 2);
        b.set(this.a);
        this.a = b;
      }
    }
    this.a[this.n++] = v;
  }
  shift(): number {
    const v = this.a[this.head++];
    if (this.head === this.n) this.head = this.n = 0;
    return v;
  }
  pop(): number {
    return this.a[--this.n];
  }
}

/** The same, for float64 values. */
export class FloatQueue {
  a = new Float64Array(64);
  head = 0;
  n = 0;
  get size(): number {
    return this.n - this.head;
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      if (this.head > 0 && this.head * 2 >= this.n) {
        this.a.copyWithin(0, this.head, this.n);
        this.n -= this.head;
        this.head = 0;
      } else {
        const b = new Float64Array(this.a.length * 2);
        b.set(this.a);
        this.a = b;
      }
    }
    this.a[this.n++] = v;
  }
  shift(): number {
    const v = this.a[this.head++];
    if (this.head === this.n) this.head = this.n = 0;
    return v;
  }
}
