// `node --import tsx bench/nab-weights.ts`: chooses the sequence-context method's weight and
// confidence power by leave-one-category-out cross-validation on NAB: for each of the 7 categories,
// the grid point with the best standard-profile raw score on the other 6 (reports at the default
// sensitivity, both runs — under NAB's rules and strictly causal — summed) is scored on the held-out
// one. Never per file. Prints each fold's choice, the held-out figures and the all-data ranking.
import { thresholdFor } from '../src/anomaly/calibration.js';
import { CONFIDENCE_POWER } from '../src/anomaly/methods/sequence-context.js';
import { defaultMethods } from '../src/anomaly/registry.js';
import { defaultNabDir, loadCorpus, NAB_PROFILES, scoreCorpus, type NabCorpus } from './nab/index.js';
import { fileBounds, recombine, reportsAt, runCorpus, type CorpusRun, type RunKind } from './nab/ensemble-run.js';
import { runBench } from './lib.js';

const SEQ = 'sequence-context';
const WEIGHTS = [1.5, 2, 3, 4.5, 6];
const POWERS = [1.5, 2, 3];
const KINDS: RunKind[] = ['bounds', 'causal'];

runBench(async () => {
  const corpus = loadCorpus(process.env.NAB_DIR ?? defaultNabDir);
  const threshold = thresholdFor(0.5);
  const seqAt = defaultMethods.findIndex((m) => m.name === SEQ);
  const runs = Object.fromEntries(KINDS.map((k) => [k, runCorpus(corpus, k, defaultMethods)])) as Record<RunKind, CorpusRun>;
  const grid = WEIGHTS.flatMap((w) => POWERS.map((p) => ({ w, p })));
  // Reports at the default threshold for every grid point, run and file.
  const reports = grid.map(({ w, p }) => {
    const weights = defaultMethods.map((m, k) => (k === seqAt ? w : m.weight));
    return Object.fromEntries(
      KINDS.map((kind) => {
        const scores = new Map<string, Float64Array>();
        for (const f of corpus.files) {
          const parts = runs[kind].parts.get(f.name)!.slice();
          parts[seqAt] = parts[seqAt]!.map((s) => s ** (p / CONFIDENCE_POWER));
          scores.set(f.name, recombine(f, parts, weights, kind === 'bounds' ? fileBounds(f) : null));
        }
        return [kind, reportsAt(scores, threshold)];
      }),
    ) as Record<RunKind, Map<string, Float64Array>>;
  });
  const part = (keep: (c: string) => boolean): NabCorpus => ({ ...corpus, files: corpus.files.filter((f) => keep(f.category)) });
  const raw = (g: number, kind: RunKind, c: NabCorpus) => scoreCorpus(c, reports[g]![kind], NAB_PROFILES.standard, threshold).raw;
  const categories = [...new Set(corpus.files.map((f) => f.category))];
  const held: Record<RunKind, number> = { bounds: 0, causal: 0 };
  console.log(`leave-one-category-out over weight ${WEIGHTS.join('/')} × power ${POWERS.join('/')} (standard profile, sensitivity 0.5):`);
  for (const c of categories) {
    const train = part((x) => x !== c);
    let best = 0;
    let bestRaw = -Infinity;
    grid.forEach((_, g) => {
      const r = raw(g, 'bounds', train) + raw(g, 'causal', train);
      if (r > bestRaw) [best, bestRaw] = [g, r];
    });
    const test = part((x) => x === c);
    const hb = raw(best, 'bounds', test);
    const hc = raw(best, 'causal', test);
    held.bounds += hb;
    held.causal += hc;
    console.log(`  ${c.padEnd(22)} chose weight ${grid[best]!.w}, power ${grid[best]!.p}; held-out raw ${hb.toFixed(2)} (bounds), ${hc.toFixed(2)} (causal)`);
  }
  const ref = scoreCorpus(corpus, reports[0]!.bounds, NAB_PROFILES.standard, threshold);
  const norm = (r: number) => (100 * (r - ref.nullRaw)) / (ref.perfect - ref.nullRaw);
  console.log(`held-out total, normalised: ${norm(held.bounds).toFixed(2)} under NAB's rules, ${norm(held.causal).toFixed(2)} strictly causal`);
  console.log('all data (standard, bounds / causal):');
  grid
    .map((g, k) => ({ ...g, b: norm(raw(k, 'bounds', corpus)), c: norm(raw(k, 'causal', corpus)) }))
    .sort((a, b) => b.b + b.c - (a.b + a.c))
    .forEach((r) => console.log(`  weight ${r.w}, power ${r.p}: ${r.b.toFixed(2)} / ${r.c.toFixed(2)}`));
});
