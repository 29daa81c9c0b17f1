// `node --import tsx bench/codec.ts`: the chunk codec of issue 18 (src/store/chunks/codec.ts) — bytes a
// point and encode/decode points a second on one core, on
//   (a) BENCH_SERIES (1,000) scrape-shaped series × 1 day at 15 s (5,760 points each): a third counters
//       (whole numbers rising at a per-series rate), a third 2-decimal gauges (random walks), a third
//       mostly constant (a level that changes about once an hour); timestamps every 15 s, 1 in 4
//       scrapes off by 1–3 ms, as Prometheus' scrape timestamps are;
//   (b) the NAB corpus (/work/shared/datasets/nab/data/**/*.csv, or BENCH_NAB_DIR), skipped with a
//       printed line if absent.
// Each dataset is cut into chunks of 2 h and of 1 day per series. Also measured, for the choices made in
// the codec: timestamps as Gorilla buckets vs zig-zag varints of the same delta-of-deltas, and values
// with the decimal mode vs Gorilla XOR alone. BENCH_ROUNDS (5) timed rounds, medians reported.
// Writes bench/results/codec.json.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BitWriter } from '../src/store/chunks/bits.js';
import { bucketTable, decimalsOf, decodeChunk, encodeChunk, signedCost, TIMESTAMP_BUCKETS, writeSigned, type Buckets } from '../src/store/chunks/codec.js';
import { envInt, machine, median, round, runBench, writeResult } from './lib.js';
import { seededRandom } from '../src/core/random.js';

const settings = {
  series: envInt('BENCH_SERIES', 1000),
  rounds: envInt('BENCH_ROUNDS', 5),
  nabDir: process.env.BENCH_NAB_DIR ?? '/work/shared/datasets/nab/data',
};

interface Chunk {
  ts: Float64Array;
  values: Float64Array;
}


/** One day of 15 s scrapes for each series: [timestamps, values] per series. */
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

/** Cuts each series at window boundaries (aligned to the epoch). */
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

/** The alternative timestamp encoding: zig-zag LEB128 varints of the delta-of-deltas. */
function varintTimestamps(ts: Float64Array, out: Uint8Array): number {
  let o = 0;
  let prevT = 0;
  let prevDelta = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const delta = i === 0 ? t : t - prevT;
    const dod = i === 0 ? t : delta - prevDelta;
    prevT = t;
    prevDelta = i === 0 ? 0 : delta;
    let z = dod >= 0 ? dod * 2 : -dod * 2 - 1; // exact below 2^52
    while (z >= 0x80) {
      out[o++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    out[o++] = z;
  }
  return o;
}

/** The codec's timestamp encoding alone (buckets), for the same comparison. */
function bucketTimestamps(ts: Float64Array): number {
  const w = new BitWriter(ts.length * 2 + 64);
  let prevT = ts[0]!;
  let prevDelta = 0;
  writeSigned(w, prevT, TIMESTAMP_BUCKETS);
  for (let i = 1; i < ts.length; i++) {
    const t = ts[i]!;
    const delta = t - prevT;
    writeSigned(w, delta - prevDelta, TIMESTAMP_BUCKETS);
    prevDelta = delta;
    prevT = t;
  }
  return w.byteLength;
}

/** Candidate bucket widths, measured on both datasets (the codec keeps one table per stream). */
const candidates: Buckets[] = [
  { w1: 7, w2: 14, w3: 20 },
  { w1: 4, w2: 9, w3: 14 },
  { w1: 5, w2: 9, w3: 14 },
  { w1: 5, w2: 10, w3: 20 },
  { w1: 6, w2: 12, w3: 20 },
  { w1: 8, w2: 14, w3: 24 },
  { w1: 4, w2: 10, w3: 20 },
  { w1: 4, w2: 12, w3: 20 },
  { w1: 3, w2: 10, w3: 20 },
];
const label = (b: Buckets) => `${b.w1}/${b.w2}/${b.w3}`;

/** Timestamp bits of a chunk with a bucket table (first timestamp as the codec writes it: 54 bits). */
function timestampBits(ts: Float64Array, b: ReturnType<typeof bucketTable>): number {
  if (ts.length === 0) return 0;
  let bits = 54;
  let prevDelta = 0;
  for (let i = 1; i < ts.length; i++) {
    const delta = ts[i]! - ts[i - 1]!;
    bits += signedCost(delta - prevDelta, b);
    prevDelta = delta;
  }
  return bits;
}

/** Decimal value bits of a chunk with a bucket table (the cheaper of deltas and dods), or null if not decimal. */
function decimalValueBits(values: Float64Array, b: ReturnType<typeof bucketTable>): number | null {
  const k = decimalsOf(values);
  if (k < 0 || values.length === 0) return null;
  const p = 10 ** k;
  let prevM = Math.round(values[0]! * p);
  let prevMd = 0;
  let delta = 54;
  let dod = 54;
  for (let i = 1; i < values.length; i++) {
    const m = Math.round(values[i]! * p);
    const md = m - prevM;
    delta += signedCost(md, b);
    dod += signedCost(md - prevMd, b);
    prevMd = md;
    prevM = m;
  }
  return Math.min(delta, dod);
}

/** Median points a second of `fn` over the rounds (one warm-up round first). */
function rate(points: number, fn: () => void): number {
  fn();
  const perRound: number[] = [];
  for (let r = 0; r < settings.rounds; r++) {
    const t0 = performance.now();
    fn();
    perRound.push(points / ((performance.now() - t0) / 1000));
  }
  return Math.round(median(perRound));
}

function measure(name: string, series: Chunk[], windowMs: number) {
  const chunks = cut(series, windowMs);
  const points = chunks.reduce((s, c) => s + c.ts.length, 0);
  let encoded: Uint8Array[] = chunks.map((c) => encodeChunk(c.ts, c.values));
  const bytes = encoded.reduce((s, b) => s + b.length, 0);
  const xorBytes = chunks.reduce((s, c) => s + encodeChunk(c.ts, c.values, { decimal: false }).length, 0);
  const modes = [0, 0, 0, 0];
  for (const b of encoded) {
    if (b.length <= 3) continue;
    const flags = b[b[1]! < 0x80 ? 2 : 3]!;
    modes[flags & 3]! += 1;
    if (flags & 4) modes[3]! += 1;
  }

  // Check the round trip once (bit patterns) before timing.
  for (let i = 0; i < chunks.length; i++) {
    const d = decodeChunk(encoded[i]!);
    const a = new BigUint64Array(d.values.buffer);
    const e = new BigUint64Array(chunks[i]!.values.slice().buffer);
    for (let j = 0; j < a.length; j++) if (a[j] !== e[j] || d.timestampsMs[j] !== chunks[i]!.ts[j]) throw new Error(`${name}: chunk ${i} point ${j} did not round-trip`);
  }

  const encodePerS = rate(points, () => {
    encoded = chunks.map((c) => encodeChunk(c.ts, c.values));
  });
  const decodePerS = rate(points, () => {
    for (const b of encoded) decodeChunk(b);
  });

  // Timestamps alone: buckets vs varints.
  const scratch = new Uint8Array(16 * 6000 + 16);
  let varintBytes = 0;
  let bucketBytes = 0;
  for (const c of chunks) {
    varintBytes += varintTimestamps(c.ts, scratch);
    bucketBytes += bucketTimestamps(c.ts);
  }
  const bucketCandidates = candidates.map((cand) => {
    const table = bucketTable(cand);
    let tsBits = 0;
    let valueBits = 0;
    let decimalPoints = 0;
    for (const c of chunks) {
      tsBits += timestampBits(c.ts, table);
      const v = decimalValueBits(c.values, table);
      if (v !== null) {
        valueBits += v;
        decimalPoints += c.values.length;
      }
    }
    return { widths: label(cand), timestampBitsPerPoint: round(tsBits / points, 3), decimalValueBitsPerPoint: decimalPoints ? round(valueBits / decimalPoints, 3) : null };
  });
  const varintPerS = rate(points, () => {
    for (const c of chunks) varintTimestamps(c.ts, scratch);
  });
  const bucketPerS = rate(points, () => {
    for (const c of chunks) bucketTimestamps(c.ts);
  });

  return {
    dataset: name,
    window: windowMs === 7_200_000 ? '2 h' : windowMs === 86_400_000 ? '1 day' : `${windowMs} ms`,
    chunks: chunks.length,
    points,
    bytesPerPoint: round(bytes / points, 3),
    xorOnlyBytesPerPoint: round(xorBytes / points, 3),
    encodePointsPerS: encodePerS,
    decodePointsPerS: decodePerS,
    chunksByMode: { xor: modes[0], decimalDelta: modes[1], decimalDod: modes[2], decimalWithExceptions: modes[3] },
    timestamps: {
      bucketsBytesPerPoint: round(bucketBytes / points, 3),
      varintBytesPerPoint: round(varintBytes / points, 3),
      bucketsEncodePointsPerS: bucketPerS,
      varintEncodePointsPerS: varintPerS,
    },
    bucketCandidates,
  };
}

runBench(async () => {
  const rows = [];
  const t0 = performance.now();
  const scrape = scrapeSeries(settings.series);
  console.log(`scrape data: ${settings.series} series × 5760 points, generated in ${Math.round(performance.now() - t0)} ms`);
  for (const w of [7_200_000, 86_400_000]) rows.push(measure('scrape 15 s', scrape, w));

  const nab = nabSeries(settings.nabDir);
  if (nab) {
    console.log(`NAB: ${nab.files} files, ${nab.series.reduce((s, c) => s + c.ts.length, 0)} points`);
    for (const w of [7_200_000, 86_400_000]) rows.push(measure('NAB', nab.series, w));
  } else console.log(`NAB corpus not found in ${settings.nabDir}: skipping (b)`);

  console.table(
    rows.map((r) => ({
      dataset: r.dataset,
      window: r.window,
      points: r.points,
      'B/point': r.bytesPerPoint,
      'B/point XOR only': r.xorOnlyBytesPerPoint,
      'encode pts/s': r.encodePointsPerS,
      'decode pts/s': r.decodePointsPerS,
      'ts B/pt buckets': r.timestamps.bucketsBytesPerPoint,
      'ts B/pt varint': r.timestamps.varintBytesPerPoint,
      'ts enc/s buckets': r.timestamps.bucketsEncodePointsPerS,
      'ts enc/s varint': r.timestamps.varintEncodePointsPerS,
    })),
  );
  for (const r of rows) {
    console.log(`${r.dataset}, ${r.window}: bits a point by bucket widths`);
    console.table(r.bucketCandidates);
  }
  const result = { settings, machine: await machine(), results: rows };
  console.log(`wrote ${writeResult('codec', result)}`);
});
