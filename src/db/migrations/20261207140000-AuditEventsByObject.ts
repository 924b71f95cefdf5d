import { type Kysely, sql } from 'kysely';

/**
 * Audit search by object (issue 4 §14: "who has read case X's personal data?"). Every read of a case's personal
 * data is an event whose `object_id` is the case; without an index the search would read the organisation's
 * whole trail to find the few events of one case. A plain B-tree on `object_id` (events without an object are
 * left out): one more small index entry per event written, against a GIN index over `detail`, which would cost
 * every audited write far more for the sake of older export events that listed references only in `detail`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX audit_events_object ON audit_events (object_id) WHERE object_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS audit_events_object`.execute(db);
}
