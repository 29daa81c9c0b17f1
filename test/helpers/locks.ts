import type { Sql } from '../../src/store/sql.js';

/**
 * Runs `body` while a transaction on `other` (another connection to the same store) holds the locks
 * `take` acquires; the transaction ends after `body`, whatever it did. For tests of statements that
 * must not wait for a long query (PostgreSQL only: the embedded store has one connection).
 */
export async function whileHeld(other: Sql, take: (tx: Sql) => Promise<void>, body: () => Promise<void>): Promise<void> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: () => void;
  const isHeld = new Promise<void>((resolve) => (held = resolve));
  const holder = other.transaction(async (tx) => {
    await take(tx);
    held();
    await released;
  });
  await Promise.race([isHeld, holder]);
  try {
    await body();
  } finally {
    release();
    await holder;
  }
}
