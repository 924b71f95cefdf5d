import { type Kysely, sql } from 'kysely';

/**
 * Audit search by object (issue 4 §14: "who has read case X's personal data?"). Every read of a case's personal
 * data is an event whose `object_id` is the case; without an index the search would read the organisation's
 * whole trail to find the few events of one case. A plain B-tree on `object_id` (events without an object are
 * left out): one more small index entry per event written, where a GIN index over every event's `detail` would
 * cost each audited write far more.
 *
 * Exports used to record one read for the whole file (`object_type` 'case_list'), naming its cases only in
 * `detail.references`. Those events are found through a partial GIN index over just them: empty of anything
 * written since exports record one event per case, so it costs other writes nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX audit_events_object ON audit_events (object_id) WHERE object_id IS NOT NULL;
    CREATE INDEX audit_events_case_list_references ON audit_events USING gin ((detail -> 'references'))
      WHERE object_type = 'case_list' AND action = 'incident.read_personal';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS audit_events_case_list_references;
    DROP INDEX IF EXISTS audit_events_object;
  `.execute(db);
}
