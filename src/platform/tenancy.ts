import { sql } from 'kysely';
import type { Database, Tx } from '../db/database.ts';
import type { Actor } from './access/roles.ts';

/**
 * What a transaction may see under row-level security: one organisation's rows, or every organisation's
 * (deployment-wide administration and national aggregates). The database enforces it, so a query that forgets
 * its `org_id` filter still cannot read another organisation's rows.
 */
export type Scope = { orgId: string } | { all: true } | { none: true };

/** The widest scope an actor may use by default: its acting organisation, or all for deployment-wide roles. */
export function scopeFor(actor: Actor): Scope {
  if (actor.kind === 'system' || actor.globalRoles.length > 0) return { all: true };
  return actor.orgId ? { orgId: actor.orgId } : { none: true };
}

/** Runs `fn` in one transaction with the scope set for row-level security. */
export async function inScope<T>(db: Database, scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    const org = 'orgId' in scope ? scope.orgId : '';
    const all = 'all' in scope ? 'all' : '';
    await sql`select set_config('app.org_id', ${org}, true), set_config('app.scope', ${all}, true)`.execute(tx);
    return fn(tx);
  });
}
