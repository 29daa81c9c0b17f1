// One step of the sequence-context detector (in the family of CAD OSE, Smirnov 2016, from its published
// description; our own code). At each step, with L the left set (the previous step's
// sensor facts plus the neuron facts of its most used active contexts) and R the current sensor facts:
//
//  1. the whole context (L → R) is looked up and stored if new;
//  2. every stored left half with a fact in L is crossed with L: a half wholly in L is *selected*, and
//     a selected context whose right half is wholly in R is *active* (its prediction came true; its
//     use count grows). A step-context (one stored as a whole L → R) whose right half is partly in R
//     proposes the sub-context (its left half ∩ L → its right half ∩ R) when its left half is selected
//     or its part in L has at most MAX_SUB_LEFT facts: a *potential* context;
//  3. the NEURONS most used active contexts become the neuron facts of the next left set;
//  4. the potential contexts are stored, counting how many were new;
//
// and the raw score is (1 − active/selected + new/potential)/2, the second term only when the whole
// context was new: high when what was learnt failed to predict the present and the present needed new
// contexts. A half with neuron facts is visited only through one of its neurons (an inverted list per
// context), and a half of sensor facts alone through its mask, so a step costs what holds, not what
// is stored.
import { ContextStore, MAX_NEURONS, type Found } from './store.js';

/**
 * Neuron facts carried to the next step (CAD OSE: 15). Fewer mean fewer halves to visit. Measured on
 * NAB under its rules with CAD OSE's own reporting rule, the method alone: 4096 contexts and 15
 * neurons scored 69.1 at ~31 µs a point, 1024 and 7 scored 69.6 at ~7.5 µs (2048 and 7: 67.9, 512
 * and 7: 67.2). In the ensemble (bench:nab, sensitivity 0.5) 512 and 7 scored as well as 1024 and 7
 * in both runs (64.1 / 62.6 against 63.6 / 61.5 on the same statistical scores) at ~¾ of the cost;
 * 5 neurons cost ~⅔ but lost up to 1.6 points strictly causal.
 */
export const NEURONS = 7;
/** Largest left part of a proposed sub-context (CAD OSE: 7). */
export const MAX_SUB_LEFT = 7;
/** Contexts stored per series (and as many halves): the memory bound (see NEURONS for the measurements). */
export const DEFAULT_CAPACITY = 512;
/** Share of the capacity kept free before each step (a step stores at most that many; the rest wait). */
const HEADROOM_SHARE = 1 / 8;

/** The detector's mutable state besides the store: the left set the next step is crossed with. */
export class SequenceDetector {
  readonly store: ContextStore;
  /** Steps taken (the last-used clock of contexts). */
  step = 0;
  /** The left set: sensor mask (−1 before the first step) and sorted neuron context ids. */
  leftMask = -1;
  leftLen = 0;
  readonly leftNeurons = new Int32Array(MAX_NEURONS);
  /** When true nothing is stored or counted as used: scores against what was learnt (a reference period). */
  frozen = false;

  // Scratch, reused every step.
  private readonly found: Found = { id: -1, created: false };
  private readonly hits: Int32Array;
  private readonly hitStamp: Int32Array;
  private readonly touched: Int32Array;
  private readonly ctxStamp: Int32Array;
  /** inLeft[c] === step when context c is a neuron fact of the left set. */
  private readonly inLeft: Int32Array;
  private readonly active: Int32Array;
  private potMask = new Int32Array(256);
  private potRight = new Int32Array(256);
  private potLen = new Int32Array(256);
  private potNeurons = new Int32Array(256 * MAX_NEURONS);
  private readonly sub = new Int32Array(MAX_NEURONS);

  /** Neuron facts carried to the next step (≤ MAX_NEURONS). */
  readonly neurons: number;

  constructor(capacity = DEFAULT_CAPACITY, neurons = NEURONS) {
    this.store = new ContextStore(capacity);
    this.neurons = Math.min(neurons, MAX_NEURONS);
    this.hits = new Int32Array(capacity);
    this.hitStamp = new Int32Array(capacity).fill(-1);
    this.touched = new Int32Array(capacity);
    this.ctxStamp = new Int32Array(capacity).fill(-1);
    this.inLeft = new Int32Array(capacity).fill(-1);
    this.active = new Int32Array(capacity);
  }

  /** Reads the current sensor mask; returns the raw score in [0, 1] (0 for the first step). */
  next(mask: number): number {
    const s = this.store;
    const t = ++this.step;
    if (!this.frozen) {
      s.makeRoom(Math.ceil(s.capacity * HEADROOM_SHARE));
      // Neurons dropped with the room made are no longer facts.
      let k = 0;
      for (let i = 0; i < this.leftLen; i++) if (s.isLive(this.leftNeurons[i]!)) this.leftNeurons[k++] = this.leftNeurons[i]!;
      this.leftLen = k;
    }
    if (this.leftMask < 0) {
      this.leftMask = mask;
      this.leftLen = 0;
      return 0;
    }
    const L = this.leftMask;
    const LN = this.leftNeurons;
    const LLen = this.leftLen;

    // 1. The whole step as a context.
    let whole = -1;
    let wholeNew: boolean;
    if (this.frozen) {
      const h = s.findHalf(L, LN, 0, LLen);
      whole = h < 0 ? -1 : s.findContext(h, mask);
      wholeNew = whole < 0;
    } else {
      s.findOrAdd(L, LN, 0, LLen, mask, t, this.found);
      whole = this.found.id;
      wholeNew = this.found.created;
      if (whole >= 0) s.ctxZero[whole] = 1;
    }

    // 2. Halves with a fact in L: by neuron (counting hits), then the sensor-only halves by mask.
    let nTouched = 0;
    for (let i = 0; i < LLen; i++) this.inLeft[LN[i]!] = t;
    for (let i = 0; i < LLen; i++) {
      const post = s.postings[LN[i]!]!;
      for (let j = 0; j < post.length; j++) {
        const h = post[j]!;
        if (this.hitStamp[h] !== t) {
          this.hitStamp[h] = t;
          this.hits[h] = 0;
          this.touched[nTouched++] = h;
        }
        this.hits[h]!++;
      }
    }
    const sensorHalves = s.sensorHalves;
    for (let m = 1; m < sensorHalves.length; m++) {
      const h = sensorHalves[m]!;
      if (h >= 0 && (m & L) !== 0) {
        this.hitStamp[h] = t;
        this.hits[h] = 0;
        this.touched[nTouched++] = h;
      }
    }
    // The halves are visited in an order that follows from the stored facts alone (neurons ascending,
    // each one's halves ascending), so a resumed run, whose indexes were rebuilt, visits them as the
    // whole run did.

    let selected = 0;
    let nActive = 0;
    let nPot = 0;
    for (let k = 0; k < nTouched; k++) {
      const h = this.touched[k]!;
      const hm = s.halfMask[h]!;
      const hl = s.halfLen[h]!;
      const sensIn = hm & L;
      const full = sensIn === hm && this.hits[h] === hl;
      const presentCount = popcount(sensIn) + this.hits[h]!;
      // A half partly in L counts only through sub-contexts, and only small ones.
      if (!full && presentCount > MAX_SUB_LEFT) continue;
      for (let c = s.halfFirst[h]!; c >= 0; c = s.ctxNext[c]!) {
        if (wholeNew && c === whole) continue;
        const r = s.ctxRight[c]!;
        const rIn = r & mask;
        if (full) {
          selected++;
          if (rIn === r) {
            this.active[nActive++] = c;
            continue;
          }
        }
        if (s.ctxZero[c] && rIn !== 0) {
          // The sub-context: the half's facts that hold in L → the right facts that hold now.
          if (nPot === this.potMask.length) this.growPotentials();
          this.potMask[nPot] = sensIn;
          this.potRight[nPot] = rIn;
          let len = 0;
          if (full) {
            for (let i = 0; i < hl; i++) this.potNeurons[nPot * MAX_NEURONS + len++] = s.halfNeurons[h * MAX_NEURONS + i]!;
          } else if (this.hits[h]! > 0) {
            for (let i = 0; i < hl; i++) {
              const nr = s.halfNeurons[h * MAX_NEURONS + i]!;
              if (this.inLeft[nr] === t) this.potNeurons[nPot * MAX_NEURONS + len++] = nr;
            }
          }
          this.potLen[nPot] = len;
          nPot++;
        }
      }
    }

    // 3. The most used active contexts become the next step's neuron facts.
    if (!this.frozen) {
      for (let i = 0; i < nActive; i++) {
        const c = this.active[i]!;
        s.ctxUses[c]!++;
        s.ctxLast[c] = t;
      }
    }
    const nextLen = this.topActive(nActive);

    // 4. Store the potential contexts, counting the new and the distinct ones (the whole one included).
    let distinct = 0;
    let added = wholeNew ? 1 : 0;
    if (whole >= 0) {
      this.ctxStamp[whole] = t;
      distinct = 1;
    } else if (wholeNew) distinct = 1;
    for (let p = 0; p < nPot; p++) {
      let c: number;
      if (this.frozen) {
        const h = s.findHalf(this.potMask[p]!, this.potNeurons, p * MAX_NEURONS, this.potLen[p]!);
        c = h < 0 ? -1 : s.findContext(h, this.potRight[p]!);
        if (c < 0) {
          added++;
          distinct++;
        }
      } else {
        s.findOrAdd(this.potMask[p]!, this.potNeurons, p * MAX_NEURONS, this.potLen[p]!, this.potRight[p]!, t, this.found);
        c = this.found.id;
        if (this.found.created) added++;
        else if (c < 0) {
          // The store is full for this step: a new context all the same.
          added++;
          distinct++;
        }
      }
      if (c >= 0 && this.ctxStamp[c] !== t) {
        this.ctxStamp[c] = t;
        distinct++;
      }
    }

    this.leftMask = mask;
    this.leftLen = nextLen;
    const predicted = selected > 0 ? nActive / selected : 0;
    const novelty = wholeNew && distinct > 0 ? added / distinct : 0;
    return (1 - predicted + novelty) / 2;
  }

  /** Puts the NEURONS most used of active[0..n) into leftNeurons, sorted by id; returns how many. */
  private topActive(n: number): number {
    const uses = this.store.ctxUses;
    const a = this.active;
    const top = this.sub;
    let k = 0;
    // Insertion into a short list kept best first (more uses, then lower id): one pass over the actives.
    for (let i = 0; i < n; i++) {
      const c = a[i]!;
      const u = uses[c]!;
      if (k === this.neurons) {
        const w = top[k - 1]!;
        if (u < uses[w]! || (u === uses[w]! && c > w)) continue;
        k--;
      }
      let j = k++;
      while (j > 0) {
        const p = top[j - 1]!;
        if (uses[p]! > u || (uses[p]! === u && p < c)) break;
        top[j] = p;
        j--;
      }
      top[j] = c;
    }
    this.leftNeurons.set(top.subarray(0, k));
    this.leftNeurons.subarray(0, k).sort();
    return k;
  }

  private growPotentials(): void {
    const n = this.potMask.length * 2;
    const grow = (a: Int32Array, size: number) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.potMask = grow(this.potMask, n);
    this.potRight = grow(this.potRight, n);
    this.potLen = grow(this.potLen, n);
    this.potNeurons = grow(this.potNeurons, n * MAX_NEURONS);
  }
}

function popcount(x: number): number {
  let c = 0;
  while (x) {
    x &= x - 1;
    c++;
  }
  return c;
}
