// A series' hot points, read in storage order, put in time order for compaction (pure).

/**
 * Sorts points by time (string_agg's order is not guaranteed) and keeps one point a timestamp (the
 * last: only sub-millisecond rows could collide, and the store writes none). May sort t and v in place,
 * but they stay a permutation of the input (compaction counts the rows it read from them).
 */
export function sortedUnique(t: Float64Array, v: Float64Array): { t: Float64Array; v: Float64Array } {
  let i = 1;
  while (i < t.length && t[i - 1]! < t[i]!) i++;
  if (i >= t.length) return { t, v };
  // Nearly sorted is the usual disorder (concurrent requests commit a series' points a little out of
  // order): an insertion sort in place, stable, costs a few moves a point where the index sort below
  // cost ~7% of a scrape set's compaction. Beyond a budget of moves it hands over to that sort.
  if (insertionSorted(t, v, i, 8 * t.length)) return lastOfEqual(t, v);
  const order = new Uint32Array(t.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => t[a]! - t[b]! || a - b);
  const ot = new Float64Array(t.length);
  const ov = new Float64Array(t.length);
  let n = 0;
  for (const i of order) {
    if (n > 0 && ot[n - 1] === t[i]) n--;
    ot[n] = t[i]!;
    ov[n] = v[i]!;
    n++;
  }
  return { t: ot.subarray(0, n), v: ov.subarray(0, n) };
}

/**
 * Sorts t (v alongside) from index `from` on by insertion, stably (an equal time stays after the
 * earlier one), the prefix before `from` being ascending. Gives up after `budget` moves, leaving a
 * stable permutation of the input (so a stable sort afterwards gives the same order): false then.
 */
function insertionSorted(t: Float64Array, v: Float64Array, from: number, budget: number): boolean {
  let moves = 0;
  for (let i = from; i < t.length; i++) {
    const x = t[i]!;
    if (t[i - 1]! <= x) continue;
    const y = v[i]!;
    let j = i - 1;
    while (j >= 0 && t[j]! > x) {
      t[j + 1] = t[j]!;
      v[j + 1] = v[j]!;
      j--;
    }
    t[j + 1] = x;
    v[j + 1] = y;
    moves += i - 1 - j;
    if (moves > budget) return false;
  }
  return true;
}

/**
 * Ascending t (v alongside) with one point a timestamp, the last of each run of equal ones: t and v
 * themselves when no two are equal, else new arrays (the caller's stay a permutation of its input).
 */
function lastOfEqual(t: Float64Array, v: Float64Array): { t: Float64Array; v: Float64Array } {
  let i = 1;
  while (i < t.length && t[i - 1] !== t[i]) i++;
  if (i >= t.length) return { t, v };
  const ot = new Float64Array(t.length);
  const ov = new Float64Array(t.length);
  let n = 0;
  for (let k = 0; k < t.length; k++) {
    if (n > 0 && ot[n - 1] === t[k]) n--;
    ot[n] = t[k]!;
    ov[n] = v[k]!;
    n++;
  }
  return { t: ot.subarray(0, n), v: ov.subarray(0, n) };
}
