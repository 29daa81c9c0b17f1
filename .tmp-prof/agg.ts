import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '../src/store/pglite.js';
const sql = await openPglite({ dataDir: join(mkdtempSync(join(tmpdir(), 'ag-')), 'pg') });
await sql.exec(`CREATE TABLE p (series_id int8, ts timestamptz, value float8, PRIMARY KEY (series_id, ts))`);
for (let s = 0; s < 30; s++) await sql.query(`INSERT INTO p SELECT $1, to_timestamp(1.6e9 + i * 300), round((50 + 20 * sin(i / 288.0))::numeric, 2)::float8 FROM generate_series(0, 105119) i`, [s]);
await sql.exec('VACUUM ANALYZE p');
const q = async (label: string, text: string) => {
  const u0 = process.cpuUsage(); const t0 = performance.now();
  const r = await sql.query(text);
  const u = process.cpuUsage(u0);
  console.log(label.padEnd(40), Math.round(performance.now() - t0), 'ms wall', Math.round((u.user + u.system) / 1000), 'ms cpu', r.rows.length, 'rows');
};
for (let k = 0; k < 2; k++) {
  await q('string_agg out', `SELECT series_id, string_agg(timestamptz_send(ts) || float8send(value), ''::bytea) tv FROM p GROUP BY series_id`);
  await q('array_send(array_agg) length', `SELECT series_id, length(array_send(array_agg(ts))), length(array_send(array_agg(value))) FROM p GROUP BY series_id`);
  await q('array_send(array_agg) out', `SELECT series_id, array_send(array_agg(ts)) t, array_send(array_agg(value)) v FROM p GROUP BY series_id`);
}
