// How the ensemble turns its methods' scores at one point into one score.
//
// The methods are specialists (a level-shift test is silent on a spike, a spike test forgets a shift
// once the level catches up), so a plain weighted mean would punish every anomaly that only some of
// them can see, and a maximum would let any one method's false alarm through. The combined score is
// the weighted mean of the strongest scores that together hold AGREE_SHARE of the weight (the method
// at the boundary counts with the part of its weight that fits): with four equal weights, the mean of
// the two highest. So a point needs about half the ensemble, by weight, to be confident.

/** Share of the total weight the combined score averages over, taken from the highest scores down. */
export const AGREE_SHARE = 0.5;

/**
 * Combined score of `scores[k]` with weights `weights[k]` (≥ 0, summing above 0). `order` is scratch
 * space of the same length (reused across calls to avoid allocation).
 */
export function combineScores(scores: ArrayLike<number>, weights: ArrayLike<number>, total: number, order: Int32Array): number {
  const k = scores.length;
  for (let i = 0; i < k; i++) order[i] = i;
  // Insertion sort by score, highest first: k is a handful of methods.
  for (let i = 1; i < k; i++) {
    const v = order[i]!;
    let j = i - 1;
    while (j >= 0 && scores[order[j]!]! < scores[v]!) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = v;
  }
  const budget = AGREE_SHARE * total;
  let used = 0;
  let sum = 0;
  for (let i = 0; i < k && used < budget; i++) {
    const m = order[i]!;
    const w = Math.min(weights[m]!, budget - used);
    sum += w * scores[m]!;
    used += w;
  }
  return used > 0 ? sum / used : 0;
}
