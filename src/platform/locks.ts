import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

/**
 * Advisory-lock keys, one per kind of work that must not run twice at once across every Warden process sharing
 * the database. (727001, the audit chain, and 727002, first-run set-up, are taken inside SQL and the identity
 * service.)
 */
export const LOCKS = { escalateOverdue: 727003 } as const;

/**
 * Runs `fn` only if no other process (or call) holds the lock `key`: answers `{ ran: false }` at once if one
 * does. The lock is a session lock, held on a pooled connection of its own for as long as `fn` runs (so `fn` may
 * commit several transactions on other connections under it), and released when `fn` settles.
 */
export async function exclusively<T>(db: Database, key: number, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ got: boolean }>`SELECT pg_try_advisory_lock(${key}) AS got`.execute(conn);
    if (!rows[0]?.got) return { ran: false } as const;
    try {
      return { ran: true, value: await fn() } as const;
    } finally {
      await sql`SELECT pg_advisory_unlock(${key})`.execute(conn);
    }
  });
}
