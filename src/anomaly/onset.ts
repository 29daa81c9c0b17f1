// Online mode alerts on the onset of an episode, not on every point of it. A streaming consumer wants
// one alert when something breaks (and another if it gets worse), not one per sample while it stays
// broken: so, online, a point keeps its combined score only when that score is higher than every
// combined score in the ONSET_WINDOW points before it, and scores 0 otherwise. The rule does not
// depend on the sensitivity (monotonicity holds) and looks only backwards (causality holds).

/** Points an episode's peak suppresses lower scores for (an hour of minutely data). */
export const ONSET_WINDOW = 60;

/**
 * Returns a new array: scores[t] where it exceeds max(scores[t − ONSET_WINDOW .. t − 1]), else 0.
 * O(n) (a monotone deque of the window's maxima).
 */
export function onsetScores(scores: Float64Array, window = ONSET_WINDOW): Float64Array {
  const n = scores.length;
  const out = new Float64Array(n);
  // Indices of the window, their scores decreasing: the front is the window's maximum.
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let t = 0; t < n; t++) {
    while (head < tail && deque[head]! < t - window) head++;
    const s = scores[t]!;
    if (head === tail || s > scores[deque[head]!]!) out[t] = s;
    while (head < tail && scores[deque[tail - 1]!]! <= s) tail--;
    deque[tail++] = t;
  }
  return out;
}
