// Property tests of autoForecast over thousands of generated series of the kinds operational data
// takes (random walks, bounded bursty percentages, steps, near-constant, ramps, zeros, spikes, long
// interpolated gaps) and of extreme magnitudes: whatever the series, the forecast and its intervals
// are finite, ordered (95 ⊇ 80 ⊇ mean), inside the documented envelope of the history the models
// used (envelope.ts), and never negative for a history that never was.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { autoForecast } from './auto.js';
import { seededRandom } from './stats.js';
import { generated, generatedKinds } from '../../test/helpers/forecast-series.js';

/** Series per kind (11 kinds): 2,200 forecasts in all. */
const PER_KIND = 200;
const HORIZONS = [1, 7, 48, 200];
const CANDIDATES = [[24, 168], [7], [], [60, 1440]];

/** The documented envelope, computed here from its definition (not by calling envelope.ts). */
function envelope(x: Float64Array, h: number) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const spread = max - min;
  const n = x.length;
  const floor = min >= 0 ? 0 : -Number.MAX_VALUE;
  const band = (reach: number) => {
    const tol = 1e-9 * Math.max(Math.abs(min), Math.abs(max), spread);
    return [Math.max(floor, min - spread * reach - tol), Math.min(Number.MAX_VALUE, max + spread * reach + tol)] as const;
  };
  return { mean: band(0.5 + h / n), bounds: band(1 + (2 * h) / n) };
}

describe('autoForecast over generated series', () => {
  for (const kind of generatedKinds) {
    test(`${kind}: finite, ordered, inside the envelope, ≥ 0 when the history is`, (t) => {
      const pick = seededRandom(0xf00d + kind.length * 7919 + kind.charCodeAt(0));
      let dropped = 0;
      for (let s = 0; s < PER_KIND; s++) {
        // Mostly ordinary lengths, some very short ones.
        const n = pick() < 0.1 ? 1 + Math.floor(pick() * 10) : 10 + Math.floor(pick() * 390);
        const h = HORIZONS[Math.floor(pick() * HORIZONS.length)]!;
        const candidatePeriods = CANDIDATES[Math.floor(pick() * CANDIDATES.length)]!;
        const y = generated(kind, n, 1 + s);
        const where = `${kind} #${s} (n = ${n}, h = ${h}, periods ${candidatePeriods.join(',')})`;
        const r = autoForecast(y, { candidatePeriods, horizon: h, levels: [95, 80] });
        if (r.params.dropped) dropped++;
        assert.equal(r.mean.length, h, where);
        assert.deepEqual(
          r.intervals.map((iv) => iv.level),
          [95, 80],
          where,
        );
        const [i95, i80] = r.intervals as [(typeof r.intervals)[0], (typeof r.intervals)[0]];
        const used = r.params.historyUsed as number;
        assert.ok(Number.isInteger(used) && used >= 1 && used <= n, `${where}: historyUsed ${used}`);
        const env = envelope(y.subarray(n - used), h);
        for (let i = 0; i < h; i++) {
          const row = [i95.lower[i]!, i80.lower[i]!, r.mean[i]!, i80.upper[i]!, i95.upper[i]!];
          assert.ok(row.every(Number.isFinite), `${where}: non-finite at step ${i}: ${row}`);
          for (let k = 1; k < row.length; k++) assert.ok(row[k - 1]! <= row[k]!, `${where}: not ordered at step ${i}: ${row}`);
          assert.ok(r.mean[i]! >= env.mean[0] && r.mean[i]! <= env.mean[1], `${where}: mean ${r.mean[i]} outside [${env.mean}] at step ${i}`);
          assert.ok(row[0]! >= env.bounds[0] && row[4]! <= env.bounds[1], `${where}: bounds [${row[0]}, ${row[4]}] outside [${env.bounds}] at step ${i}`);
        }
        assert.doesNotThrow(() => JSON.stringify(r.params), where);
      }
      // Reported for the record; the run asserts the properties, not how often members were dropped.
      if (dropped) t.diagnostic(`${kind}: ${dropped} of ${PER_KIND} forecasts dropped a member as implausible`);
    });
  }
});
