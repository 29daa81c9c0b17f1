// The context store of the sequence-context detector: left halves (a set of facts that held one step
// ago), contexts (a left half and the right half it predicted, the sensor facts of the next step) and
// the indexes that keep a step from scanning every stored context.
//
// Facts are of two kinds. Sensor facts are bits of a small mask (a value's quantised level, see
// ./quantise.ts), so a right half is a mask and "fully present" is one AND. Neuron facts stand for
// contexts that were active one step ago; a left half holds its sensor mask and up to MAX_NEURONS
// context ids. Each context id indexes the halves that hold it (an inverted list), and the halves
// without neurons are found by their mask, so a step visits only the halves one of whose facts holds.
//
// Memory is bounded: at most `capacity` contexts and as many halves. When the store fills, the least
// recently used contexts go first (an eighth at a time, so the search for them is amortised), and with
// a context go the halves that named it as a neuron (their facts can never hold again).

/** Most neuron facts in one left half (CAD OSE's 15 most used active contexts). */
export const MAX_NEURONS = 15;
/** Sensor masks are at most this many bits (facts). */
export const SENSOR_FACTS = 8;
const NONE = -1;

/** Find-or-create results: the id, and whether it was created. */
export interface Found {
  id: number;
  created: boolean;
}

export class ContextStore {
  readonly capacity: number;
  // Contexts, by slot.
  readonly ctxHalf: Int32Array;
  readonly ctxRight: Uint16Array;
  readonly ctxUses: Int32Array;
  readonly ctxLast: Int32Array;
  /** 1 for a context once seen as a whole step (left set, next sensor facts): only those spawn sub-contexts. */
  readonly ctxZero: Uint8Array;
  /** Next context of the same half (a singly linked list from halfFirst), or NONE; FREE marks a free slot. */
  readonly ctxNext: Int32Array;
  // Halves, by slot.
  readonly halfMask: Uint16Array;
  readonly halfLen: Uint8Array;
  readonly halfNeurons: Int32Array;
  readonly halfFirst: Int32Array;
  /** Live contexts and halves. */
  ctxCount = 0;
  halfCount = 0;
  // The lowest slots that may be free: a new context or half takes the lowest free slot, so slots
  // follow from what is live and a saved state needs no free lists.
  private ctxHint = 0;
  private halfHint = 0;
  // Indexes, rebuilt from the above on decode (lookup only: nothing iterates them in an order that matters).
  /** Open-addressing table of live halves by the hash of their facts (NONE = empty, TOMB = deleted). */
  private readonly table: Int32Array;
  private readonly tableMask: number;
  private tombs = 0;
  /** For each context slot, the halves holding it as a neuron fact. */
  readonly postings: number[][];
  /** Halves without neurons, by mask (NONE where there is none). */
  readonly sensorHalves = new Int32Array(1 << SENSOR_FACTS).fill(NONE);
  private readonly scratch: Int32Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ctxHalf = new Int32Array(capacity);
    this.ctxRight = new Uint16Array(capacity);
    this.ctxUses = new Int32Array(capacity);
    this.ctxLast = new Int32Array(capacity);
    this.ctxZero = new Uint8Array(capacity);
    this.ctxNext = new Int32Array(capacity).fill(FREE);
    this.halfMask = new Uint16Array(capacity);
    this.halfLen = new Uint8Array(capacity).fill(FREE_LEN);
    this.halfNeurons = new Int32Array(capacity * MAX_NEURONS);
    this.halfFirst = new Int32Array(capacity).fill(NONE);
    this.postings = Array.from({ length: capacity }, () => []);
    let size = 1;
    while (size < capacity * 2) size <<= 1;
    this.table = new Int32Array(size).fill(NONE);
    this.tableMask = size - 1;
    this.scratch = new Int32Array(capacity);
  }

  /** Live contexts. */
  get size(): number {
    return this.ctxCount;
  }

  isLive(ctx: number): boolean {
    return this.ctxNext[ctx] !== FREE;
  }

  /** The half with exactly these facts (neurons sorted ascending), or NONE. */
  findHalf(mask: number, neurons: ArrayLike<number>, off: number, len: number): number {
    if (len === 0) return this.sensorHalves[mask]!;
    const hn = this.halfNeurons;
    for (let i = hashOf(mask, neurons, off, len) & this.tableMask; ; i = (i + 1) & this.tableMask) {
      const h = this.table[i]!;
      if (h === NONE) return NONE;
      if (h === TOMB || this.halfMask[h] !== mask || this.halfLen[h] !== len) continue;
      let same = true;
      for (let k = 0, o = h * MAX_NEURONS; k < len; k++) {
        if (hn[o + k] !== neurons[off + k]) {
          same = false;
          break;
        }
      }
      if (same) return h;
    }
  }

  /** The context (half, right mask), or NONE. */
  findContext(half: number, right: number): number {
    for (let c = this.halfFirst[half]!; c !== NONE; c = this.ctxNext[c]!) if (this.ctxRight[c] === right) return c;
    return NONE;
  }

  /**
   * Finds or stores the context (mask + neurons → right); `out.id` is NONE when the store is full (a
   * step never evicts: see `makeRoom`). `step` is the current step, its last-used time when created.
   */
  findOrAdd(mask: number, neurons: Int32Array, off: number, len: number, right: number, step: number, out: Found): void {
    let half = this.findHalf(mask, neurons, off, len);
    if (half !== NONE) {
      const c = this.findContext(half, right);
      if (c !== NONE) {
        out.id = c;
        out.created = false;
        return;
      }
    }
    if (this.ctxCount === this.capacity || (half === NONE && this.halfCount === this.capacity)) {
      out.id = NONE;
      out.created = false;
      return;
    }
    if (half === NONE) {
      while (this.halfLen[this.halfHint] !== FREE_LEN) this.halfHint++;
      half = this.halfHint++;
      this.halfCount++;
      this.halfMask[half] = mask;
      this.halfLen[half] = len;
      for (let i = 0; i < len; i++) this.halfNeurons[half * MAX_NEURONS + i] = neurons[off + i]!;
      this.halfFirst[half] = NONE;
      this.indexHalf(half);
    }
    while (this.ctxNext[this.ctxHint] !== FREE) this.ctxHint++;
    const c = this.ctxHint++;
    this.ctxCount++;
    this.ctxHalf[c] = half;
    this.ctxRight[c] = right;
    this.ctxUses[c] = 0;
    this.ctxLast[c] = step;
    this.ctxZero[c] = 0;
    this.ctxNext[c] = this.halfFirst[half]!;
    this.halfFirst[half] = c;
    out.id = c;
    out.created = true;
  }

  /** Enters a half in the table (and, with `postings`, in the lists of its neurons, kept sorted by half). */
  private indexHalf(half: number, postings = true): void {
    const len = this.halfLen[half]!;
    if (len === 0) {
      this.sensorHalves[this.halfMask[half]!] = half;
      return;
    }
    let i = hashOf(this.halfMask[half]!, this.halfNeurons, half * MAX_NEURONS, len) & this.tableMask;
    while (this.table[i] !== NONE && this.table[i] !== TOMB) i = (i + 1) & this.tableMask;
    if (this.table[i] === TOMB) this.tombs--;
    this.table[i] = half;
    if (postings) for (let k = 0; k < len; k++) insertSorted(this.postings[this.halfNeurons[half * MAX_NEURONS + k]!]!, half);
  }

  /**
   * Keeps at least `free` slots free before a step: when fewer are, drops the least recently used
   * contexts (and the halves that named a dropped context as a neuron) until an eighth of the capacity
   * more is free. Returns how many went.
   */
  makeRoom(free: number): number {
    if (this.capacity - this.ctxCount >= free && this.capacity - this.halfCount >= free) return 0;
    // The last-used time at or below which contexts go: the target-th smallest.
    const live = this.scratch;
    let n = 0;
    for (let c = 0; c < this.capacity; c++) if (this.ctxNext[c] !== FREE) live[n++] = this.ctxLast[c]!;
    const target = Math.max(1, n - (this.capacity - free - (this.capacity >> 3)));
    const sorted = live.subarray(0, n).sort();
    const cut = sorted[Math.min(n - 1, target - 1)]!;
    let dropped = 0;
    for (let c = 0; c < this.capacity && dropped < target; c++) {
      if (this.ctxNext[c] !== FREE && this.ctxLast[c]! <= cut) dropped += this.dropContext(c);
    }
    return dropped;
  }

  /** Drops a context, its half when it was the half's last, and every half naming it. Returns how many contexts went. */
  private dropContext(c: number): number {
    if (this.ctxNext[c] === FREE) return 0;
    const half = this.ctxHalf[c]!;
    // Unlink from the half's list.
    let p = this.halfFirst[half]!;
    if (p === c) this.halfFirst[half] = this.ctxNext[c]!;
    else {
      while (this.ctxNext[p] !== c) p = this.ctxNext[p]!;
      this.ctxNext[p] = this.ctxNext[c]!;
    }
    this.ctxNext[c] = FREE;
    this.ctxCount--;
    if (c < this.ctxHint) this.ctxHint = c;
    let dropped = 1;
    if (this.halfFirst[half] === NONE) this.dropHalf(half);
    // Halves that name c can never be fully present again.
    const post = this.postings[c]!;
    while (post.length > 0) {
      const h = post[post.length - 1]!;
      while (this.halfFirst[h] !== NONE && this.halfLen[h] !== FREE_LEN) dropped += this.dropContext(this.halfFirst[h]!);
      // dropHalf removed h from this list when its last context went.
      if (post.length > 0 && post[post.length - 1] === h) post.pop();
    }
    return dropped;
  }

  private dropHalf(half: number): void {
    const len = this.halfLen[half]!;
    const mask = this.halfMask[half]!;
    if (len === 0) this.sensorHalves[mask] = NONE;
    else {
      let i = hashOf(mask, this.halfNeurons, half * MAX_NEURONS, len) & this.tableMask;
      while (this.table[i] !== half) i = (i + 1) & this.tableMask;
      this.table[i] = TOMB;
      // Deleted entries lengthen every probe: rebuild when they are a quarter of the table.
      if (++this.tombs > this.table.length >> 2) this.rebuildTable();
    }
    for (let i = 0; i < len; i++) {
      const post = this.postings[this.halfNeurons[half * MAX_NEURONS + i]!]!;
      const k = post.indexOf(half);
      if (k >= 0) post.splice(k, 1);
    }
    this.halfLen[half] = FREE_LEN;
    this.halfFirst[half] = NONE;
    this.halfCount--;
    if (half < this.halfHint) this.halfHint = half;
  }

  private rebuildTable(): void {
    this.table.fill(NONE);
    this.tombs = 0;
    for (let h = 0; h < this.capacity; h++) if (this.halfLen[h] !== FREE_LEN && this.halfLen[h] !== 0) this.indexHalf(h, false);
  }

  /** Rebuilds the indexes from the slot arrays (after decoding a saved state). */
  reindex(): void {
    this.table.fill(NONE);
    this.tombs = 0;
    this.sensorHalves.fill(NONE);
    for (const p of this.postings) p.length = 0;
    this.ctxCount = 0;
    this.halfCount = 0;
    this.ctxHint = 0;
    this.halfHint = 0;
    for (let h = 0; h < this.capacity; h++) {
      if (this.halfLen[h] === FREE_LEN) continue;
      this.halfCount++;
      this.indexHalf(h);
    }
    for (let c = 0; c < this.capacity; c++) {
      if (this.ctxNext[c] === FREE) continue;
      this.ctxCount++;
    }
  }
}

/** ctxNext of a free context slot. */
export const FREE = -2;
/** halfLen of a free half slot. */
export const FREE_LEN = 255;

/** A table entry of a deleted half: lookups probe past it. */
const TOMB = -3;

/** A 32-bit hash of a half's facts (FNV-1a over its mask and sorted neurons). */
function hashOf(mask: number, neurons: ArrayLike<number>, off: number, len: number): number {
  let h = Math.imul(2166136261 ^ mask, 16777619);
  for (let i = 0; i < len; i++) h = Math.imul(h ^ neurons[off + i]!, 16777619);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Inserts v into ascending list a (a few dozen long at most; halves are created far less often than visited). */
function insertSorted(a: number[], v: number): void {
  let i = a.length;
  a.push(v);
  while (i > 0 && a[i - 1]! > v) {
    a[i] = a[i - 1]!;
    i--;
  }
  a[i] = v;
}
