// A table of the distinct series ids of a batch (issue 18's write path): open addressing over the ids
// (positive integers) in typed arrays sized for the batch, each id numbered in first-seen order. A
// Map<number, …> made per batch cost several times as much: its entries allocate and it rehashes as it
// grows, and a 1,000-point ingest batch made three of them, a few Map operations a point.

export class IdTable {
  private readonly keys: Float64Array;
  private readonly numbers: Int32Array;
  private readonly mask: number;
  /** The ids in first-seen order: id `ids[k]` has number k. */
  readonly ids: Float64Array;
  /** How many distinct ids were added. */
  size = 0;

  /** A table for up to `capacity` distinct ids. */
  constructor(capacity: number) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.mask = slots - 1;
    this.keys = new Float64Array(slots).fill(-1);
    this.numbers = new Int32Array(slots);
    this.ids = new Float64Array(Math.max(1, capacity));
  }

  /** The number of `id`, added as the next number when absent (then the result equals size − 1 and is new). */
  add(id: number): number {
    const h = this.slotOf(id);
    if (this.keys[h] === id) return this.numbers[h]!;
    if (this.size >= this.ids.length) throw new RangeError(`IdTable: more than ${this.ids.length} ids`);
    this.keys[h] = id;
    this.ids[this.size] = id;
    this.numbers[h] = this.size;
    return this.size++;
  }

  /** The number of `id`, or −1 when it was not added. */
  find(id: number): number {
    const h = this.slotOf(id);
    return this.keys[h] === id ? this.numbers[h]! : -1;
  }

  /** The slot holding `id`, or the empty slot where it would go. */
  private slotOf(id: number): number {
    const { keys, mask } = this;
    // Both 32-bit halves of the id (exact up to 2^53), mixed by a multiplicative hash.
    let h = (Math.imul(id | 0, 0x9e3779b1) ^ ((id / 4294967296) | 0)) & mask;
    for (;;) {
      const at = keys[h]!;
      if (at === id || at === -1) return h;
      h = (h + 1) & mask;
    }
  }
}
