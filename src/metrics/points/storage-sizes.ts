// The point tables' size on disk, for GET /metrics: every partition's heap, indexes, TOAST and free-space
// and visibility maps (pg_total_relation_size), summed per table, with the partition count. `points` is
// the hot rows awaiting compaction: its size growing run after run is a compactor falling behind. (The
// statistics' live-row counts were not used: a backend reports them at most once a second and only when
// idle, so a count read right after a write is still 0.)
/** What the size query needs of a connection: the store's Sql, or the benches' own clients. */
export interface SizeQueryable {
  query<R>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
}

export const pointTables = ['points', 'chunks', 'rollups_5m', 'rollups_1h'] as const;
export type PointTable = (typeof pointTables)[number];

export interface TableSize {
  table: PointTable;
  bytes: number;
  partitions: number;
}

/** Every point table, in {@link pointTables}' order (a table without partitions: 0 bytes, 0 partitions). */
export async function storageSizes(sql: SizeQueryable): Promise<TableSize[]> {
  const r = await sql.query<{ t: PointTable; bytes: string | number; partitions: string | number }>(
    `SELECT v.t, coalesce(sum(pg_total_relation_size(p.relid)), 0) AS bytes, count(p.relid) AS partitions
     FROM unnest($1::text[]) AS v(t)
     LEFT JOIN LATERAL pg_partition_tree(v.t::regclass) p ON p.isleaf
     GROUP BY v.t`,
    [[...pointTables]],
  );
  const byTable = new Map(r.rows.map((x) => [x.t, x]));
  return pointTables.map((table) => ({ table, bytes: Number(byTable.get(table)?.bytes ?? 0), partitions: Number(byTable.get(table)?.partitions ?? 0) }));
}
