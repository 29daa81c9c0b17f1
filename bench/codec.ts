// `node --import tsx bench/codec.ts`: the chunk and rollup formats of issue 18 (src/store/chunks/codec.ts,
// rollup.ts) — payload bytes a point, version 1 (the frozen encoder in codec-v1.ts) beside version 2,
// and encode/decode points per CPU second on one core, on
//   (a) the ingest benchmark's series (bench/protocol-bodies.ts' valueOf: BENCH_VALUEOF_SERIES (1,000) ×
//       1,000 steps 15 s apart from a UTC midnight, 2-decimal values in about [−100, 110], a quarter of
//       them float artefacts), cut into 2-h windows as compaction cuts them (windowStartMs);
//   (b) BENCH_SERIES (1,000) synthetic scrape series × 1 day at 15 s (5,760 points each): a third
//       counters, a third 2-decimal random walks, a third mostly constant; 1 in 4 scrapes 1–3 ms late;
//   (c) the NAB corpus (/work/shared/datasets/nab/data/**/*.csv, or BENCH_NAB_DIR), skipped if absent;
//   (d) rollups (computeRollup, one row per series and UTC day, kept when rollupWorthKeeping as
//       compaction does) at 5 min and 1 h of (a) and of bench/storage.ts' year series
//       (BENCH_YEAR_SERIES (100) × 365 days at 5 minutes, its generate_series formula): bytes a raw point,
//       and decodeRollup of the year's 1-hour rows for avg (sum + count), rows per CPU second.
// (b) and (c) are cut into chunks of 2 h and of 1 day per series. BENCH_ROUNDS (5) timed rounds, v1
// and v2 alternating, medians reported. Writes bench/results/codec.json.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeChunk, describeChunk, encodeChunk } from '../src/store/chunks/codec.js';
import { encodeChunkV1, encodeRollupV1 } from '../src/store/chunks/codec-v1.js';
import { computeRollup, decodeRollup, encodeRollup, rollupWorthKeeping, type RollupColumn } from '../src/store/chunks/rollup.js';
import { DAY_MS, ROLLUP_RESOLUTIONS_MS, TWO_HOURS_S, windowStartMs } from '../src/store/chunks/window.js';
import { envInt, machine, median, round, runBench, writeResult } from './lib.js';
import { valueOf } from './protocol-bodies.js';
import { seededRandom } from '../src/core/random.js';

const settings = {
  series: envInt('BENCH_SERIES', 1000),
  valueOfSeries: envInt('BENCH_VALUEOF_SERIES', 1000),
  yearSeries: envInt('BENCH_YEAR_SERIES', 100),
  rounds: envInt('BENCH_ROUNDS', 5),
  nabDir: process.env.BENCH_NAB_DIR ?? '/work/shared/datasets/nab/data',
};

interface Chunk {
  ts: Float64Array;
  values: Float64Array;
}

/** The ingest benchmark's series: `count` series × 1,000 steps 15 s apart. */
function valueOfSeries(count: number): Chunk[] {
  const t0 = Date.UTC(2026, 11, 6);
  const steps = 1000;
  const out: Chunk[] = [];
  for (let s = 0; s < count; s++) {
    const ts = new Float64Array(steps);
    const values = new Float64Array(steps);
    for (let step = 0; step < steps; step++) {
      ts[step] = t0 + step * 15_000;
      values[step] = valueOf(step * count + s, s);
    }
    out.push({ ts, values });
  }
  return out;
}

/** bench/storage.ts' year series `seed` (generatedSeries: a daily cycle, a drift and a wobble, in cents). */
function yearSeries(seed: number, startMs: number, days: number): Chunk {
  const step = 300_000;
  const n = (days * DAY_MS) / step;
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = startMs + i * step;
    const x = 50 + 20 * Math.sin(((i * step) / 86_400_000) * 2 * Math.PI + seed) + 5 * Math.sin(i / 977) + 3 * Math.sin(i * 7.31 + seed);
    values[i] = Math.round(x * 100) / 100;
  }
  return { ts, values };
}

/** One day of 15 s scrapes for each series. */
function scrapeSeries(count: number): Chunk[] {
  const rnd = seededRandom(18);
  const n = 5760;
  const day0 = Date.UTC(2026, 11, 6);
  const out: Chunk[] = [];
  for (let s = 0; s < count; s++) {
    const ts = new Float64Array(n);
    const values = new Float64Array(n);
    const offset = Math.floor(rnd() * 15_000);
    const kind = s % 3;
    let counter = Math.floor(rnd() * 1e7);
    const rate = rnd() * 200;
    let gauge = Math.round(rnd() * 10_000) / 100;
    let level = Math.round(rnd() * 1e6);
    for (let i = 0; i < n; i++) {
      ts[i] = day0 + offset + i * 15_000 + (rnd() < 0.25 ? 1 + Math.floor(rnd() * 3) : 0);
      if (kind === 0) {
        counter += Math.round(rate * 15 * (0.5 + rnd()));
        values[i] = counter;
      } else if (kind === 1) {
        gauge = Math.round((gauge + (rnd() - 0.5) * 2) * 100) / 100 + 0;
        values[i] = gauge;
      } else {
        if (rnd() < 1 / 240) level = Math.round(rnd() * 1e6);
        values[i] = level;
      }
    }
    out.push({ ts, values });
  }
  return out;
}

/** NAB's CSV files as series (timestamps "YYYY-MM-DD HH:MM:SS" read as UTC), or null if absent. */
function nabSeries(dir: string): { series: Chunk[]; files: number } | null {
  let files: string[];
  try {
    files = walk(dir).filter((f) => f.endsWith('.csv'));
  } catch {
    return null;
  }
  if (!files.length) return null;
  const series: Chunk[] = [];
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').trim().split('\n').slice(1);
    const ts: number[] = [];
    const values: number[] = [];
    for (const line of lines) {
      const [t, v] = line.split(',');
      const ms = Date.parse(`${t!.trim().replace(' ', 'T')}Z`);
      if (ts.length && ms <= ts[ts.length - 1]!) continue; // the codec takes strictly ascending times
      ts.push(ms);
      values.push(Number(v));
    }
    series.push({ ts: Float64Array.from(ts), values: Float64Array.from(values) });
  }
  return { series, files: files.length };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Cuts each series at window boundaries (aligned to the epoch, as windowStartMs). */
function cut(series: Chunk[], windowMs: number): Chunk[] {
  const out: Chunk[] = [];
  for (const { ts, values } of series) {
    let start = 0;
    for (let i = 1; i <= ts.length; i++) {
      if (i === ts.length || Math.floor(ts[i]! / windowMs) !== Math.floor(ts[start]! / windowMs)) {
        out.push({ ts: ts.subarray(start, i), values: values.subarray(start, i) });
        start = i;
      }
    }
  }
  return out;
}

/** CPU milliseconds (user + system) of this process for `fn`. */
function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** Median items per CPU second of each function, rounds alternating between them (one warm-up each). */
function rates(items: number, fns: (() => void)[]): number[] {
  for (const fn of fns) fn();
  const per = fns.map(() => [] as number[]);
  for (let r = 0; r < settings.rounds; r++) fns.forEach((fn, i) => per[i]!.push(items / (Math.max(cpuMs(fn), 0.001) / 1000)));
  return per.map((p) => Math.round(median(p)));
}

function checkRoundTrip(name: string, chunks: Chunk[], encoded: Uint8Array[]): void {
  for (let i = 0; i < chunks.length; i++) {
    const d = decodeChunk(encoded[i]!);
    const a = new BigUint64Array(d.values.buffer);
    const e = new BigUint64Array(chunks[i]!.values.slice().buffer);
    for (let j = 0; j < a.length; j++) if (a[j] !== e[j] || d.timestampsMs[j] !== chunks[i]!.ts[j]) throw new Error(`${name}: chunk ${i} point ${j} did not round-trip`);
  }
}

/** Bytes a point of v1 and v2, their encode/decode rates, and how many v2 chunks took each value mode. */
function measureChunks(name: string, series: Chunk[], windowMs: number) {
  const chunks = cut(series, windowMs);
  const points = chunks.reduce((s, c) => s + c.ts.length, 0);
  let v2: Uint8Array[] = chunks.map((c) => encodeChunk(c.ts, c.values));
  let v1: Uint8Array[] = chunks.map((c) => encodeChunkV1(c.ts, c.values));
  checkRoundTrip(`${name} v2`, chunks, v2);
  checkRoundTrip(`${name} v1`, chunks, v1);
  const bytes2 = v2.reduce((s, b) => s + b.length, 0);
  const bytes1 = v1.reduce((s, b) => s + b.length, 0);
  const xorBytes = chunks.reduce((s, c) => s + encodeChunk(c.ts, c.values, { decimal: false }).length, 0);
  const [enc2, enc1] = rates(points, [() => (v2 = chunks.map((c) => encodeChunk(c.ts, c.values))), () => (v1 = chunks.map((c) => encodeChunkV1(c.ts, c.values)))]);
  const [dec2, dec1] = rates(points, [() => v2.forEach((b) => decodeChunk(b)), () => v1.forEach((b) => decodeChunk(b))]);
  const modeNames = ['xor', 'delta', 'dod', 'for'];
  const modes: Record<string, number> = {};
  for (const b of v2) {
    const d = describeChunk(b);
    if (d.mode === null) continue;
    // Corrections: '+exc' a flag a value, '+sparse' the sparse form (gaps between the exceptions).
    const name = modeNames[d.mode]! + (d.exceptions ? (d.sparse ? '+sparse' : '+exc') : '');
    modes[name] = (modes[name] ?? 0) + 1;
  }
  return {
    dataset: name,
    window: windowMs === 7_200_000 ? '2 h' : windowMs === DAY_MS ? '1 day' : `${windowMs} ms`,
    chunks: chunks.length,
    points,
    v1BytesPerPoint: round(bytes1 / points, 3),
    v2BytesPerPoint: round(bytes2 / points, 3),
    v2XorOnlyBytesPerPoint: round(xorBytes / points, 3),
    v2EncodePointsPerCpuS: enc2!,
    v1EncodePointsPerCpuS: enc1!,
    v2DecodePointsPerCpuS: dec2!,
    v1DecodePointsPerCpuS: dec1!,
    v2ChunksByMode: Object.entries(modes)
      .map(([m, c]) => `${m} ${c}`)
      .join(', '),
  };
}

/** Rollup rows (one a series and UTC day, kept as compaction keeps them) of both resolutions. */
function rollupRows(series: Chunk[]) {
  const rows = new Map<number, ReturnType<typeof computeRollup>[]>();
  for (const res of ROLLUP_RESOLUTIONS_MS) rows.set(res, []);
  for (const day of cut(series, DAY_MS)) {
    for (const res of ROLLUP_RESOLUTIONS_MS) {
      const r = computeRollup(day.ts, day.values, res);
      if (rollupWorthKeeping(r)) rows.get(res)!.push(r);
    }
  }
  return rows;
}

function measureRollups(name: string, series: Chunk[]) {
  const points = series.reduce((s, c) => s + c.ts.length, 0);
  const out: Record<string, unknown>[] = [];
  for (const [res, rows] of rollupRows(series)) {
    const v2 = rows.map((r) => encodeRollup(r));
    const v1 = rows.map((r) => encodeRollupV1(r));
    for (let i = 0; i < rows.length; i++) {
      const a = decodeRollup(v2[i]!);
      const b = decodeRollup(v1[i]!);
      for (const col of ['startsMs', 'min', 'max', 'sum', 'count', 'last'] as const) {
        const e = new BigUint64Array(rows[i]![col].slice().buffer);
        for (const [label, got] of [['v2', a], ['v1', b]] as const) {
          const g = new BigUint64Array(got[col].slice().buffer);
          for (let j = 0; j < e.length; j++) if (g[j] !== e[j]) throw new Error(`${name} ${res} ms ${label}: row ${i} ${col}[${j}] did not round-trip`);
        }
      }
    }
    const bytes2 = v2.reduce((s, b) => s + b.length, 0);
    const bytes1 = v1.reduce((s, b) => s + b.length, 0);
    const buckets = rows.reduce((s, r) => s + r.count.length, 0);
    const avg: ReadonlySet<RollupColumn> = new Set(['sum', 'count']);
    const [dec2, dec1] = rates(rows.length, [() => v2.forEach((b) => decodeRollup(b, avg)), () => v1.forEach((b) => decodeRollup(b, avg))]);
    out.push({
      dataset: name,
      resolution: res === 300_000 ? '5 min' : '1 h',
      rows: rows.length,
      buckets,
      v1BytesPerRawPoint: round(bytes1 / points, 3),
      v2BytesPerRawPoint: round(bytes2 / points, 3),
      v1BytesPerRow: round(bytes1 / Math.max(1, rows.length), 1),
      v2BytesPerRow: round(bytes2 / Math.max(1, rows.length), 1),
      v2DecodeAvgRowsPerCpuS: dec2,
      v1DecodeAvgRowsPerCpuS: dec1,
    });
  }
  return out;
}

runBench(async () => {
  const rows = [];
  const valueOfSet = valueOfSeries(settings.valueOfSeries);
  console.log(`valueOf scrape: ${settings.valueOfSeries} series × 1000 steps at 15 s (window start ${new Date(windowStartMs(valueOfSet[0]!.ts[0]!, TWO_HOURS_S)).toISOString()})`);
  rows.push(measureChunks('valueOf scrape', valueOfSet, TWO_HOURS_S * 1000));
  const scrape = scrapeSeries(settings.series);
  for (const w of [7_200_000, DAY_MS]) rows.push(measureChunks('synthetic scrape 15 s', scrape, w));
  const nab = nabSeries(settings.nabDir);
  if (nab) {
    console.log(`NAB: ${nab.files} files, ${nab.series.reduce((s, c) => s + c.ts.length, 0)} points`);
    for (const w of [7_200_000, DAY_MS]) rows.push(measureChunks('NAB', nab.series, w));
  } else console.log(`NAB corpus not found in ${settings.nabDir}: skipping (c)`);
  console.table(rows);

  const year: Chunk[] = [];
  const yearStart = Date.UTC(2025, 11, 1);
  for (let s = 0; s < settings.yearSeries; s++) year.push(yearSeries(s, yearStart, 365));
  const rollups = [...measureRollups('valueOf scrape', valueOfSet), ...measureRollups(`year (${settings.yearSeries} × 365 d at 5 min)`, year)];
  console.table(rollups);
  const result = { settings, machine: await machine(), chunks: rows, rollups };
  console.log(`wrote ${writeResult('codec', result)}`);
});
