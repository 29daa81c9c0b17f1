// `npm run bench:m4`: forecast accuracy and speed of the statistical models on the 414 M4 Hourly series
// (h = 48, m = 24), scored as the M4 organisers scored them: sMAPE, MASE and OWA against Naive2 run
// here (it must reproduce the official 18.383 / 2.395), plus the coverage of the 80% and 95% intervals.
// Every series is fitted in this one process, one after another: the timings are single-core.
//
// M4_DIR overrides the data folder (default ../shared/datasets/m4-hourly beside the repo);
// M4_LIMIT=N scores the first N series only; M4_METHODS=a,b picks methods (default: all).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autoForecast } from '../src/forecast/auto.js';
import { deseasonalise } from '../src/forecast/decompose.js';
import type { FittedModel, Prediction } from '../src/forecast/model.js';
import { mapIntervals } from '../src/forecast/intervals.js';
import { autoEts, etsFitted, etsModel, fitEtsSpec, type EtsSpec } from '../src/forecast/models/ets.js';
import { mstlFit } from '../src/forecast/models/mstl.js';
import { seasonalNaiveFit } from '../src/forecast/models/naive.js';
import { thetaFit } from '../src/forecast/models/theta.js';
import { m4SeasonalityTest } from '../src/forecast/seasonality.js';
import { envInt, machine, root, round, runBench, writeResult } from './lib.js';

const H = 48;
const M = 24;
const LEVELS = [80, 95] as const;
/** Hourly data: the periods a user's hourly series would be offered (daily, weekly). */
const CANDIDATE_PERIODS = [24, 168];
const OFFICIAL = { naive2: { smape: 18.383, mase: 2.395 }, snaive: { smape: 13.912, mase: 1.193 } };

interface Series {
  id: string;
  train: Float64Array;
  test: Float64Array;
}

function readWide(file: string): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const lines = readFileSync(file, 'utf8').split('\n').slice(1);
  for (const line of lines) {
    if (!line.trim()) continue;
    const cells = line.split(',').map((c) => c.replace(/"/g, '').trim());
    const id = cells[0]!;
    out.set(id, Float64Array.from(cells.slice(1).filter((c) => c !== '').map(Number)));
  }
  return out;
}

function loadSeries(dir: string, limit: number): Series[] {
  const train = readWide(join(dir, 'Hourly-train.csv'));
  const test = readWide(join(dir, 'Hourly-test.csv'));
  const out: Series[] = [];
  for (const [id, y] of train) {
    const t = test.get(id);
    if (!t || t.length !== H) throw new Error(`${id}: test row must hold ${H} values`);
    out.push({ id, train: y, test: t });
  }
  return out.slice(0, limit);
}

/** Runs `fit` on the series deseasonalised as M4's benchmarks do (multiplicative, when the M4 test finds m). */
function m4Deseasonalised(y: Float64Array, fit: (x: Float64Array) => FittedModel): Prediction {
  const n = y.length;
  const des = deseasonalise(y, m4SeasonalityTest(y, M) ? M : 1, 'multiplicative');
  const p = fit(des.adjusted).predict(H, LEVELS);
  const back = (v: number, i: number) => des.reseasonalise(v, n + i);
  return { mean: p.mean.map(back), intervals: mapIntervals(p.intervals, back) };
}

/** A method's forecast, with the model it used and, for combinations, the members' weights. */
interface Run {
  name: string;
  prediction: Prediction;
  members?: { model: string; weight: number }[];
}
type Method = (y: Float64Array) => Run;
const viaModel = (fit: (y: Float64Array) => FittedModel): Method => (y) => {
  const f = fit(y);
  return { name: f.name, prediction: f.predict(H, LEVELS) };
};
const ses: EtsSpec = { error: 'A', trend: 'N', damped: false, season: 'N', period: 1 };

/** The benchmarks of M4, then each model of the pool as autoForecast configures it, then autoForecast. */
const methods: Record<string, Method> = {
  naive2: (y) => ({ name: 'Naive2', prediction: m4Deseasonalised(y, (x) => seasonalNaiveFit(x, 1)) }),
  ses: (y) => ({ name: 'SES', prediction: m4Deseasonalised(y, (x) => etsFitted(fitEtsSpec(x, ses)!)) }),
  theta: viaModel((y) => thetaFit(y, [M])),
  snaive: viaModel((y) => seasonalNaiveFit(y, M)),
  snaive168: viaModel((y) => seasonalNaiveFit(y, 168)),
  ets: viaModel((y) => etsModel.fit(y, { periods: [M] })),
  'ets-seasonal': viaModel((y) => etsFitted(autoEts(y, [M], { requireSeason: true, spec: { error: 'A', season: 'A' } })!)),
  mstl: viaModel((y) => mstlFit(y, CANDIDATE_PERIODS)),
  'mstl-log': viaModel((y) => mstlFit(y, CANDIDATE_PERIODS, { log: true })),
  auto: (y) => {
    const r = autoForecast(y, { candidatePeriods: CANDIDATE_PERIODS, horizon: H, levels: LEVELS });
    // A member selected over the combination made the point forecast alone.
    const selected = r.params.selected as { model: string } | undefined;
    const members = selected ? [{ model: selected.model, weight: 1 }] : ((r.params.members as { model: string; weight: number }[] | undefined) ?? [{ model: r.model, weight: 1 }]);
    return { name: r.model, prediction: r, members };
  },
};

/** A model's family: its periods kept, the ETS form left out ("MSTL[24,168](log)", "ETS[24]", "SNaive[168]"). */
const family = (name: string) => name.replace(/\+ETS\([^)]*\)/, '').replace(/^ETS\([^)]*\)/, 'ETS');

interface Score {
  smape: number;
  mase: number;
  coverage80: number;
  coverage95: number;
}

function score(s: Series, p: Prediction): Score {
  const y = s.train;
  let scale = 0;
  for (let t = M; t < y.length; t++) scale += Math.abs(y[t]! - y[t - M]!);
  scale /= y.length - M;
  let smape = 0;
  let mae = 0;
  const covered: Record<number, number> = {};
  for (let i = 0; i < H; i++) {
    const a = s.test[i]!;
    const f = p.mean[i]!;
    smape += (200 * Math.abs(a - f)) / (Math.abs(a) + Math.abs(f));
    mae += Math.abs(a - f);
    for (const iv of p.intervals) if (a >= iv.lower[i]! && a <= iv.upper[i]!) covered[iv.level] = (covered[iv.level] ?? 0) + 1;
  }
  return { smape: smape / H, mase: mae / H / scale, coverage80: (covered[80] ?? 0) / H, coverage95: (covered[95] ?? 0) / H };
}

function check(name: string, p: Prediction): void {
  const bad = [p.mean, ...p.intervals.flatMap((i) => [i.lower, i.upper])].some((a) => a.length !== H || a.some((v) => !Number.isFinite(v)));
  if (bad) throw new Error(`${name}: forecast has the wrong length or non-finite values`);
}

runBench(async () => {
  const dir = process.env.M4_DIR ?? join(root, '..', 'shared', 'datasets', 'm4-hourly');
  const limit = envInt('M4_LIMIT', 414);
  const chosen = (process.env.M4_METHODS ?? Object.keys(methods).join(',')).split(',').map((s) => s.trim());
  for (const c of chosen) if (!methods[c]) throw new Error(`M4_METHODS: unknown method "${c}" (known: ${Object.keys(methods).join(', ')})`);
  if (!chosen.includes('naive2')) chosen.unshift('naive2');
  const series = loadSeries(dir, limit);
  console.log(`M4 Hourly: ${series.length} series from ${dir}, h = ${H}, m = ${M}`);

  const results: Record<string, Record<string, unknown>> = {};
  let naive2Ref = { smape: NaN, mase: NaN };
  for (const key of chosen) {
    const method = methods[key]!;
    const total: Score = { smape: 0, mase: 0, coverage80: 0, coverage95: 0 };
    const weights = new Map<string, number>();
    const t0 = process.cpuUsage();
    const w0 = performance.now();
    for (const s of series) {
      const run = method(s.train);
      check(`${key} on ${s.id}`, run.prediction);
      const sc = score(s, run.prediction);
      for (const k of Object.keys(total) as (keyof Score)[]) total[k] += sc[k];
      for (const m of run.members ?? [{ model: run.name, weight: 1 }]) weights.set(family(m.model), (weights.get(family(m.model)) ?? 0) + m.weight / series.length);
    }
    const wallMs = performance.now() - w0;
    const cpu = process.cpuUsage(t0);
    const k = series.length;
    const smape = total.smape / k;
    const mase = total.mase / k;
    if (key === 'naive2') naive2Ref = { smape, mase };
    const r = {
      smape: round(smape, 3),
      mase: round(mase, 3),
      owa: round(0.5 * (smape / naive2Ref.smape + mase / naive2Ref.mase), 3),
      coverage80: round((100 * total.coverage80) / k, 1),
      coverage95: round((100 * total.coverage95) / k, 1),
      seconds: round(wallMs / 1000, 2),
      msPerSeries: round(wallMs / k, 1),
      cpuMsPerSeries: round((cpu.user + cpu.system) / 1000 / k, 1),
      /** Share of the forecasts each model family made (for auto: its mean weight in the combinations, 1 when selected alone). */
      modelShare: Object.fromEntries([...weights].sort((a, b) => b[1] - a[1]).map(([m, w]) => [m, round(w, 3)])),
    };
    results[key] = r;
    console.log(
      `${key.padEnd(12)} sMAPE ${String(r.smape).padStart(7)}  MASE ${String(r.mase).padStart(6)}  OWA ${String(r.owa).padStart(6)}  cover80 ${String(r.coverage80).padStart(5)}%  cover95 ${String(r.coverage95).padStart(5)}%  ${String(r.seconds).padStart(6)} s  ${r.msPerSeries} ms/series`,
    );
    if (key === 'auto') console.log(`             mean weights: ${Object.entries(r.modelShare).map(([m, w]) => `${m} ${w}`).join(', ')}`);
  }

  if (series.length === 414) {
    const n2 = results.naive2!;
    if (n2.smape !== OFFICIAL.naive2.smape || n2.mase !== OFFICIAL.naive2.mase) console.warn(`warning: Naive2 ${n2.smape}/${n2.mase} differs from the official ${OFFICIAL.naive2.smape}/${OFFICIAL.naive2.mase}`);
    const sn = results.snaive;
    if (sn && (sn.smape !== OFFICIAL.snaive.smape || sn.mase !== OFFICIAL.snaive.mase)) console.warn(`warning: sNaive ${sn.smape}/${sn.mase} differs from the official ${OFFICIAL.snaive.smape}/${OFFICIAL.snaive.mase}`);
  }
  if (series.length === 414 && chosen.length === Object.keys(methods).length) {
    const info = await machine();
    const file = writeResult('m4-hourly', {
      bench: 'm4-hourly',
      machine: { ...info, postgres: undefined },
      settings: { series: series.length, horizon: H, seasonality: M, levels: LEVELS, candidatePeriods: CANDIDATE_PERIODS, dataset: 'M4 Hourly (Mcompetitions/M4-methods)', cores: 1 },
      method:
        'auto = autoForecast (src/forecast/auto.ts): periods detected per series among the candidates; pool SNaive[m1], SNaive[max], MSTL, MSTL(log), ETS(A,*,A)[m1] by AICc, Theta[m1], Median[m1] on bursty series; ' +
        'weights ∝ 1/MASE² from 2 rolling origins of h steps on the series own tail; a member whose backtest MASE is ≥ 10% below the combination’s gives the point forecast alone; ' +
        'intervals = weighted mean of member bounds, widened or narrowed by √ of the backtest conformal factor (centred on the selected forecast when one is selected); members leaving the history’s envelope are dropped. ' +
        'The other rows are single models: the M4 benchmarks (naive2, ses, theta, snaive) and the members as configured in the pool (ets = full AICc selection).',
      published: { naive2: 1.0, snaive: 0.627, theta: 1.006, ses: 0.99, esRnn: 0.44 },
      results,
    });
    console.log(`wrote ${file}`);
  }
});
