// `npm run bench:alerts`: alert evaluation passes through the evaluator (src/alert/pass/evaluator.ts,
// the code the 'alert-evaluator' job runs), in process, against PostgreSQL and the embedded store.
//
// BENCH_ALERT_RULES rules (100) each watch their own key with BENCH_ALERT_SERIES series (100), so a
// pass evaluates rules × series (10,000) series-rule pairs. Each series has BENCH_ALERT_POINTS points
// (30) at 1-minute steps up to now. The rules cycle through threshold (forSeconds 0), rate of change
// (10-minute window) and missing data; every rule sends to one webhook channel (deliveries are queued,
// not sent: delivery is its own job). About one series in ten breaches, so the first pass opens ~1,000
// alerts and queues their notifications; the later passes update them (deduplicated: nothing sent).
//
// BENCH_ALERT_PASSES passes (5), a minute apart on the injected clock, each evaluating every rule
// (tickAlertRules claims them all); prints rules×series evaluated per second per pass and the median
// of the later ones; writes bench/results/alerts.json. BENCH_STORES=postgres,embedded.
import { samplesFrom } from '../src/metrics/series-read.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertingDeps } from '../src/alert/pass/deps.js';
import { tickAlertRules } from '../src/alert/pass/evaluator.js';
import { detectOnThisThread } from '../src/anomaly/detect-func.js';
import { createRule, type RuleInput } from '../src/alert/store.js';
import { createChannel } from '../src/alert/channels-store.js';
import { createBackendRegistry } from '../src/forecast/registry.js';
import { forecastGrid } from '../src/forecast/service.js';
import { loadMigrations, migrate } from '../src/store/migrate.js';
import { openPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { envInt, envList, machine, median, onCleanup, round, runBench, tempPostgres, writeResult } from './lib.js';

const kinds = ['postgres', 'embedded'] as const;
const settings = {
  rules: envInt('BENCH_ALERT_RULES', 100),
  seriesPerRule: envInt('BENCH_ALERT_SERIES', 100),
  pointsPerSeries: envInt('BENCH_ALERT_POINTS', 30),
  passes: envInt('BENCH_ALERT_PASSES', 5, 2),
  breachShare: 0.1,
  kinds: ['threshold', 'rate_of_change', 'missing_data'],
  stores: envList('BENCH_STORES', kinds, kinds),
};

const T0 = Date.UTC(2026, 10, 26, 12, 0, 2);
const minute = 60_000;

function ruleInput(r: number, channel: string): RuleInput {
  const kind = settings.kinds[r % settings.kinds.length];
  const condition: RuleInput['condition'] =
    kind === 'threshold'
      ? { kind: 'threshold', operator: 'gt', value: 90, forSeconds: 0 }
      : kind === 'rate_of_change'
        ? { kind: 'rate_of_change', maxRate: 5, unit: 'per_minute', windowSeconds: 600, direction: 'up' }
        : { kind: 'missing_data', expectedIntervalMs: 5 * minute };
  return {
    name: `bench rule ${r}`,
    key: `bench.alert.m${r}`,
    dimensions: {},
    severity: 'warning',
    labels: { bench: 'alerts' },
    annotations: {},
    evaluationIntervalSeconds: 60,
    channels: [channel],
    dedupWindowSeconds: 300,
    repeatIntervalSeconds: 0,
    enabled: true,
    condition,
  };
}

/**
 * Series and points in SQL (generate_series): rule r's key has seriesPerRule series; series j of a
 * rule breaches when j % 10 = 0: its values climb past 90 (threshold), at 10/min (rate of change), or
 * it stopped reporting 10 minutes ago (missing data); the others hover around 50.
 */
async function load(sql: Sql, orgId: string): Promise<void> {
  await sql.query(
    `INSERT INTO series (org_id, key, dimensions)
     SELECT $1, 'bench.alert.m' || r, jsonb_build_object('host', 'h' || j)
     FROM generate_series(0, $2 - 1) r, generate_series(0, $3 - 1) j`,
    [orgId, settings.rules, settings.seriesPerRule],
  );
  await sql.query(
    `INSERT INTO points (series_id, ts, value)
     SELECT s.id, $2::timestamptz - make_interval(mins => k), CASE WHEN (substring(s.dimensions->>'host' from 2))::int % 10 = 0 THEN 100 - k * 10 ELSE 50 + (k % 3) END
     FROM series s, generate_series(CASE WHEN (substring(s.dimensions->>'host' from 2))::int % 10 = 0 AND (substring(s.key from 14))::int % 3 = 2 THEN 10 ELSE 0 END, $3 - 1) k
     WHERE s.org_id = $1`,
    [orgId, new Date(T0 - 2000), settings.pointsPerSeries],
  );
}

async function run(kind: (typeof kinds)[number]) {
  let sql: Sql;
  if (kind === 'postgres') {
    const store = await tempPostgres('alerts');
    sql = await openPostgres({ url: store.url!, max: 4 });
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'iv-bench-alerts-'));
    onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    sql = await openPglite({ dataDir: join(dir, 'pg') });
  }
  onCleanup(`close ${kind} store`, () => sql.close());
  await migrate(sql, loadMigrations());
  const org = await createOrg(sql, { name: 'Bench', slug: `bench-${Date.now().toString(36)}` });
  const channel = (await createChannel(sql, org.id, { name: 'bench hook', type: 'webhook', config: { url: 'https://example.com/hook', secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}` }, enabled: true }, new Date(T0)))!;
  const t0 = performance.now();
  await load(sql, org.id);
  for (let r = 0; r < settings.rules; r++) await createRule(sql, org.id, ruleInput(r, channel.id), new Date(T0));
  if (kind === 'postgres') await sql.query('ANALYZE');
  console.log(`${kind}: loaded ${settings.rules * settings.seriesPerRule} series, ${settings.rules} rules in ${round((performance.now() - t0) / 1000)} s`);

  let clock = T0;
  const now = () => new Date(clock);
  const deps: AlertingDeps = { sql, now, samples: samplesFrom(sql), detect: detectOnThisThread, forecast: forecastGrid.bind(null, { sql, backends: createBackendRegistry(), now }) };
  const pairs = settings.rules * settings.seriesPerRule;
  const passes: { seconds: number; pairsPerSecond: number; transitions: number; notifications: number }[] = [];
  for (let p = 0; p < settings.passes; p++) {
    const started = performance.now();
    const r = await tickAlertRules(deps);
    const seconds = (performance.now() - started) / 1000;
    if (r.rules !== settings.rules || r.failed) throw new Error(`pass ${p}: evaluated ${r.rules} rules, ${r.failed} failed`);
    passes.push({ seconds: round(seconds, 2), pairsPerSecond: Math.round(pairs / seconds), transitions: r.transitions, notifications: r.notifications });
    console.log(`  pass ${p + 1}: ${round(seconds, 2)} s, ${Math.round(pairs / seconds).toLocaleString('en')} rules×series/s, ${r.transitions} transitions, ${r.notifications} notifications queued`);
    clock += minute;
  }
  const steady = median(passes.slice(1).map((x) => x.pairsPerSecond));
  console.log(`  ${kind}: ${steady.toLocaleString('en')} rules×series evaluated per second (median of passes 2–${settings.passes})`);
  const alerts = (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts WHERE org_id = $1', [org.id])).rows[0]!.n;
  return { pairsPerPass: pairs, firstPass: passes[0], steadyPairsPerSecond: steady, alertsOpened: alerts, passes };
}

runBench(async () => {
  const results: Record<string, unknown> = {};
  for (const kind of settings.stores) results[kind] = await run(kind);
  const file = writeResult('alerts', {
    bench: 'alerts',
    machine: await machine(),
    note: 'Alert evaluation passes through the manager in process (what the alert-evaluator job runs): every rule read with its series in one statement, evaluated, lifecycle and dedup applied, states, alerts, transitions and queued deliveries written in one transaction per rule. The first pass opens the alerts; the steady figure is the median of the later passes.',
    settings,
    results,
  });
  console.log(`results in ${file}`);
});
