import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';

// Return bigint/numeric columns as numbers where they are counts; dates stay as Date. int8 counts fit in 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// `date` columns are calendar dates, not instants: keep them as 'YYYY-MM-DD' strings.
pg.types.setTypeParser(1082, (v) => v);

export type Database = Kysely<DB>;
export type Tx = Transaction<DB>;

/** The role the application runs as: not a superuser, not the tables' owner, so row-level security binds it. */
export const APP_ROLE = 'warden_app';

/**
 * Opens a pooled Kysely connection. With `asAppRole`, every pooled connection switches to `warden_app` before
 * its first query, so nothing the application runs can bypass row-level security. The caller must `destroy()` it.
 */
export function openDatabase(url: string, options: { poolSize?: number; asAppRole?: boolean } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle pooled connection closed by the server (restart, failover) is replaced on next use, not fatal.
  pool.on('error', () => {});
  if (options.asAppRole) {
    // node-postgres queues queries per client, so this runs before anything the pool hands out.
    pool.on('connect', (client) => {
      client.query(`SET ROLE ${APP_ROLE}`).catch(() => client.release(new Error('could not switch to the application role')));
    });
  }
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/** True when the database answers a trivial query within the timeout. */
export async function isReachable(db: Database, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      sql`select 1`.execute(db).then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
