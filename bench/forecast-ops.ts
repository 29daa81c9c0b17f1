// `node --import tsx bench/forecast-ops.ts`: forecast accuracy of the statistical backend on public
// operational data, where M4 has little of what users send (bounded CPU percentages, bursts, steps,
// request counts). The NAB series of realAWSCloudwatch, realKnownCause and realAdExchange are put on
// the 1h grid, and on the 5m grid when sampled that finely, as the forecast service does (bucket means,
// gaps interpolated, at most `maxHistorySteps` of history), then forecast h = 48 steps ahead from
// several origins each and scored against naive and seasonal naive (daily period: 24 at 1h, 288 at 5m).
// Printed: aggregate MASE and sMAPE, OWA against naive and against seasonal naive, each series' MASE
// ratio to seasonal naive (the worst matters: one exploding forecast loses a user's trust), forecasts
// that left the history's envelope, interval coverage, and the cost per forecast (single core).
//
// NAB_DIR overrides the corpus folder; OPS_ORIGINS=N origins per series (default 4);
// OPS_FILTER=substring restricts the files; OPS_TIMING=0 skips the long-history timing section (every
// NAB file sampled every ≤ 5 min, at 5m and read as 1m, at the most history the service reads).
import { autoForecast } from '../src/forecast/auto.js';
import { frequencyMs, type Frequency } from '../src/forecast/backend.js';
import { candidatePeriods } from '../src/forecast/backends/statistical.js';
import type { Prediction } from '../src/forecast/model.js';
import { seasonalNaiveFit } from '../src/forecast/models/naive.js';
import { resample } from '../src/forecast/resample.js';
import { masePeriod, maxHistorySteps } from '../src/forecast/service.js';
import { loadCorpus, defaultNabDir, type NabFile } from './nab/corpus.js';
import { envInt, machine, round, runBench, writeResult } from './lib.js';

const H = 48;
const LEVELS = [80, 95];
const CATEGORIES = ['realAWSCloudwatch', 'realKnownCause', 'realAdExchange'];

interface Case {
  name: string;
  frequency: Frequency;
  y: Float64Array;
}

/** The median step between rows, ms. */
function medianStep(t: Float64Array): number {
  const d = Array.from({ length: t.length - 1 }, (_, i) => t[i + 1]! - t[i]!).sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)]!;
}

/** Each file on the 1h grid, and on the 5m grid when its rows are at most 5 minutes apart. */
function cases(files: readonly NabFile[]): Case[] {
  const out: Case[] = [];
  for (const f of files) {
    const freqs: Frequency[] = medianStep(f.epochMs) <= frequencyMs['5m'] ? ['1h', '5m'] : ['1h'];
    for (const frequency of freqs) {
      // The whole file on the grid; each origin then reads at most maxHistorySteps before it.
      const grid = resample(f.epochMs, f.values, frequencyMs[frequency], Number.MAX_SAFE_INTEGER);
      out.push({ name: `${f.name}@${frequency}`, frequency, y: grid.values });
    }
  }
  return out;
}

/** Up to k origins evenly spread over the second half of y, each leaving h steps to score. */
function originsOf(n: number, k: number, minTrain: number): number[] {
  const last = n - H;
  const first = Math.max(minTrain, Math.floor(n / 2));
  if (last < first) return [];
  if (k === 1 || last === first) return [last];
  const stride = (last - first) / (k - 1);
  return [...new Set(Array.from({ length: k }, (_, j) => Math.round(last - j * stride)))];
}

interface Score {
  mase: number;
  smape: number;
  cover80: number;
  cover95: number;
}

function score(train: Float64Array, actual: Float64Array, p: Prediction, m: number): Score {
  let scale = 0;
  const lag = train.length > m ? m : 1;
  for (let t = lag; t < train.length; t++) scale += Math.abs(train[t]! - train[t - lag]!);
  scale /= train.length - lag;
  if (!(scale > 0)) scale = 1;
  let mae = 0;
  let smape = 0;
  const covered = [0, 0];
  for (let i = 0; i < H; i++) {
    const a = actual[i]!;
    const f = p.mean[i]!;
    mae += Math.abs(a - f);
    const d = Math.abs(a) + Math.abs(f);
    smape += d > 0 ? (200 * Math.abs(a - f)) / d : 0;
    p.intervals.forEach((iv, k) => {
      if (a >= iv.lower[i]! && a <= iv.upper[i]!) covered[k]!++;
    });
  }
  return { mase: mae / H / scale, smape: smape / H, cover80: covered[0]! / H, cover95: covered[1]! / H };
}

/**
 * Whether a forecast left the plausible envelope of its own history: below min − spread or above
 * max + spread (spread = max − min), or below 0 for a history that never was.
 */
function implausible(train: Float64Array, p: Prediction): string | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of train) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const spread = hi - lo;
  let fmin = Infinity;
  let fmax = -Infinity;
  for (const v of p.mean) {
    fmin = Math.min(fmin, v);
    fmax = Math.max(fmax, v);
  }
  let lower95 = Infinity;
  for (const iv of p.intervals) for (const v of iv.lower) lower95 = Math.min(lower95, v);
  if (fmax > hi + spread || fmin < lo - spread) return `mean in [${round(fmin, 2)}, ${round(fmax, 2)}], history [${round(lo, 2)}, ${round(hi, 2)}]`;
  if (lo >= 0 && (fmin < 0 || lower95 < 0)) return `negative forecast or bound (${round(Math.min(fmin, lower95), 3)}) for a history ≥ 0`;
  return null;
}

const methods = {
  naive: (train: Float64Array) => seasonalNaiveFit(train, 1).predict(H, LEVELS),
  snaive: (train: Float64Array, f: Frequency) => seasonalNaiveFit(train, masePeriod[f]).predict(H, LEVELS),
  auto: (train: Float64Array, f: Frequency) => autoForecast(train, { candidatePeriods: candidatePeriods[f], horizon: H, levels: LEVELS }),
};
type MethodName = keyof typeof methods;

runBench(async () => {
  const dir = process.env.NAB_DIR ?? defaultNabDir;
  const k = envInt('OPS_ORIGINS', 4);
  const filter = process.env.OPS_FILTER ?? '';
  const corpus = loadCorpus(dir);
  const files = corpus.files.filter((f) => CATEGORIES.includes(f.category) && f.name.includes(filter));
  const all = cases(files);
  console.log(`NAB operational series: ${files.length} files → ${all.length} series (1h and 5m grids), h = ${H}, up to ${k} origins each`);

  const names = Object.keys(methods) as MethodName[];
  const totals = Object.fromEntries(names.map((m) => [m, { mase: 0, smape: 0, cover80: 0, cover95: 0, ms: 0 }])) as Record<MethodName, Score & { ms: number }>;
  const perSeries: { series: string; points: number; origins: number; mase: Record<MethodName, number>; ratioToSnaive: number; model: string }[] = [];
  const envelope: { series: string; origin: number; why: string; model: string }[] = [];
  const msByFreq: Record<string, { ms: number; count: number; points: number }> = {};
  let forecasts = 0;
  for (const c of all) {
    const m = masePeriod[c.frequency];
    const origins = originsOf(c.y.length, k, 2 * m + 1 > c.y.length / 2 ? 3 * H : 2 * m);
    if (!origins.length) continue;
    const sums = Object.fromEntries(names.map((n) => [n, 0])) as Record<MethodName, number>;
    let lastModel = '';
    for (const origin of origins) {
      const train = c.y.subarray(Math.max(0, origin - maxHistorySteps[c.frequency]), origin);
      const actual = c.y.subarray(origin, origin + H);
      for (const name of names) {
        const t0 = performance.now();
        const p = methods[name](train, c.frequency);
        const ms = performance.now() - t0;
        const sc = score(train, actual, p, m);
        const t = totals[name];
        t.mase += sc.mase;
        t.smape += sc.smape;
        t.cover80 += sc.cover80;
        t.cover95 += sc.cover95;
        t.ms += ms;
        sums[name] += sc.mase;
        if (name === 'auto') {
          lastModel = 'model' in p && typeof p.model === 'string' ? p.model : '';
          const bucket = (msByFreq[c.frequency] ??= { ms: 0, count: 0, points: 0 });
          bucket.ms += ms;
          bucket.count++;
          bucket.points += train.length;
          const why = implausible(train, p);
          if (why) envelope.push({ series: c.name, origin, why, model: lastModel });
        }
      }
      forecasts++;
    }
    const mase = Object.fromEntries(names.map((n) => [n, sums[n] / origins.length])) as Record<MethodName, number>;
    const ratio = mase.snaive > 0 ? mase.auto / mase.snaive : mase.auto > 0 ? Infinity : 1;
    perSeries.push({ series: c.name, points: c.y.length, origins: origins.length, mase, ratioToSnaive: ratio, model: lastModel });
    console.log(`${c.name.padEnd(62)} MASE auto ${mase.auto.toFixed(3).padStart(8)}  snaive ${mase.snaive.toFixed(3).padStart(7)}  naive ${mase.naive.toFixed(3).padStart(7)}  ratio ${ratio.toFixed(2).padStart(6)}`);
  }

  const agg = Object.fromEntries(
    names.map((n) => {
      const t = totals[n];
      return [n, { mase: t.mase / forecasts, smape: t.smape / forecasts, cover80: (100 * t.cover80) / forecasts, cover95: (100 * t.cover95) / forecasts, msPerForecast: t.ms / forecasts }];
    }),
  ) as Record<MethodName, { mase: number; smape: number; cover80: number; cover95: number; msPerForecast: number }>;
  const owa = (n: MethodName, ref: MethodName) => 0.5 * (agg[n].smape / agg[ref].smape + agg[n].mase / agg[ref].mase);
  perSeries.sort((a, b) => b.ratioToSnaive - a.ratioToSnaive);
  const worst = perSeries[0]!;
  const beatsSnaive = perSeries.filter((s) => s.ratioToSnaive < 1).length;
  const medianRatio = perSeries.map((s) => s.ratioToSnaive).sort((a, b) => a - b)[Math.floor(perSeries.length / 2)]!;

  console.log(`\n${forecasts} forecasts over ${perSeries.length} series`);
  for (const n of names) {
    const a = agg[n];
    console.log(
      `${n.padEnd(7)} MASE ${a.mase.toFixed(3).padStart(7)}  sMAPE ${a.smape.toFixed(2).padStart(6)}  OWA vs naive ${owa(n, 'naive').toFixed(3)}  vs snaive ${owa(n, 'snaive').toFixed(3)}  cover80 ${a.cover80.toFixed(1)}%  cover95 ${a.cover95.toFixed(1)}%  ${a.msPerForecast.toFixed(1)} ms/forecast`,
    );
  }
  console.log(`auto beats seasonal naive on ${beatsSnaive} of ${perSeries.length} series; median ratio ${medianRatio.toFixed(3)}; worst ${worst.series} ${worst.ratioToSnaive.toFixed(2)}× (${worst.model})`);
  console.log(`forecasts outside the history's envelope: ${envelope.length}`);
  for (const e of envelope) console.log(`  ${e.series} @${e.origin}: ${e.why} — ${e.model}`);
  for (const [f, b] of Object.entries(msByFreq)) console.log(`auto at ${f}: ${(b.ms / b.count).toFixed(1)} ms/forecast over ${b.count} forecasts of ${Math.round(b.points / b.count)} points on average`);

  // The cost on long histories: every NAB file (any category) sampled every ≤ 5 min with two weeks
  // or more, on the 5m grid up to maxHistorySteps['5m']; and those with 6 days or more at 1m read as
  // 1m series (up to maxHistorySteps['1m']: the cost depends on length and candidate periods, not on
  // the label). Each forecast once to warm up, then timed.
  const timing: Record<string, { series: number; points: number; msPerSeries: number; maxMs: number }> = {};
  if (process.env.OPS_TIMING !== '0') {
    const fine = corpus.files.filter((f) => medianStep(f.epochMs) <= frequencyMs['5m']);
    const sets: Record<string, Float64Array[]> = {
      '5m': fine.filter((f) => f.rows >= 2 * 2016).map((f) => resample(f.epochMs, f.values, frequencyMs['5m'], maxHistorySteps['5m']).values),
      '1m': fine.filter((f) => f.rows >= 6 * 1440).map((f) => f.values.subarray(Math.max(0, f.values.length - maxHistorySteps['1m']))),
    };
    for (const frequency of ['5m', '1m'] as Frequency[]) {
      const runs: number[] = [];
      let points = 0;
      for (const y of sets[frequency]!) autoForecast(y, { candidatePeriods: candidatePeriods[frequency], horizon: H, levels: LEVELS });
      for (const y of sets[frequency]!) {
        const t0 = performance.now();
        autoForecast(y, { candidatePeriods: candidatePeriods[frequency], horizon: H, levels: LEVELS });
        runs.push(performance.now() - t0);
        points += y.length;
      }
      if (!runs.length) continue;
      timing[frequency] = { series: runs.length, points: Math.round(points / runs.length), msPerSeries: round(runs.reduce((a, b) => a + b, 0) / runs.length, 1), maxMs: round(Math.max(...runs), 1) };
      console.log(`long ${frequency} histories (all NAB categories): ${timing[frequency]!.msPerSeries} ms/series (max ${timing[frequency]!.maxMs}) over ${runs.length} series of ${timing[frequency]!.points} points`);
    }
  }

  if (!filter && k === 4) {
    const info = await machine();
    const file = writeResult('forecast-ops', {
      bench: 'forecast-ops',
      machine: { ...info, postgres: undefined },
      settings: { horizon: H, levels: LEVELS, originsPerSeries: k, categories: CATEGORIES, dataset: 'NAB v1.1 (numenta/NAB)', grids: ['1h', '5m'], masePeriod: { '1h': 24, '5m': 288 }, cores: 1 },
      method:
        'Each file on the 1h grid (and the 5m grid when sampled every ≤ 5 min) as the forecast service builds it; up to 4 origins evenly spread over the second half, each forecasting 48 steps from at most maxHistorySteps of history. ' +
        'MASE scaled by the training part’s seasonal-naive error (lag 24 at 1h, 288 at 5m); OWA = ½(sMAPE/sMAPE_ref + MASE/MASE_ref) from set means; per-series ratio = mean MASE of auto / mean MASE of seasonal naive. ' +
        'Envelope: the mean beyond [min − range, max + range] of the history, or a negative mean or bound for a history ≥ 0. ' +
        'longHistoryTiming: autoForecast alone (warmed up) on every NAB file sampled every ≤ 5 min: on the 5m grid (≥ 2 weeks, ≤ 8,064 points, periods 288/2016) and read as 1m (≥ 6 days, ≤ 20,160 points, periods 60/1440).',
      results: {
        forecasts,
        series: perSeries.length,
        aggregate: Object.fromEntries(names.map((n) => [n, { mase: round(agg[n].mase, 3), smape: round(agg[n].smape, 3), owaVsNaive: round(owa(n, 'naive'), 3), owaVsSnaive: round(owa(n, 'snaive'), 3), coverage80: round(agg[n].cover80, 1), coverage95: round(agg[n].cover95, 1), msPerForecast: round(agg[n].msPerForecast, 1) }])),
        autoBeatsSnaiveOn: beatsSnaive,
        medianRatioToSnaive: round(medianRatio, 3),
        worst: perSeries.slice(0, 5).map((s) => ({ series: s.series, ratioToSnaive: round(s.ratioToSnaive, 2), mase: round(s.mase.auto, 3), snaiveMase: round(s.mase.snaive, 3), model: s.model })),
        outsideEnvelope: envelope,
        autoMsPerForecast: Object.fromEntries(Object.entries(msByFreq).map(([f, b]) => [f, { msPerForecast: round(b.ms / b.count, 1), forecasts: b.count, meanPoints: Math.round(b.points / b.count) }])),
        longHistoryTiming: timing,
      },
      perSeries: perSeries.map((s) => ({ series: s.series, points: s.points, origins: s.origins, auto: round(s.mase.auto, 3), snaive: round(s.mase.snaive, 3), naive: round(s.mase.naive, 3), ratio: round(s.ratioToSnaive, 3), model: s.model })),
    });
    console.log(`wrote ${file}`);
  }
});
