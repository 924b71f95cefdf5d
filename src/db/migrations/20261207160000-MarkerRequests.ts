import { type Kysely, sql } from 'kysely';

/**
 * The reporter's request for a warning marker (`003 §2.2.3.9`, `§3.2.11`): staff who were assaulted or abused at a
 * place that is not public (a patient's home, say) fill in a History Marking Form before going off duty, so that
 * colleagues sent there are warned. The report now records whether they ask for one and why; the security
 * specialist decides, placing the marker (features/markers) linked to the incident.
 *
 * Both intake functions (`warden_report_incident`, migration IntakeInOneRoundTrip, and `warden_report_incidents`,
 * migration IntakeKeysOnInsert) insert a listed set of columns: their definitions are read back from the database
 * and the two columns added to each list, so this migration does not carry a second copy of either function.
 */
const ADD = [
  [
    'witnesses, narrative, idempotency_key, idempotency_fingerprint\n',
    'witnesses, narrative, idempotency_key, idempotency_fingerprint, marker_requested, marker_reason\n',
  ],
  [
    'n.witnesses, n.narrative, n.idempotency_key, n.idempotency_fingerprint\n',
    'n.witnesses, n.narrative, n.idempotency_key, n.idempotency_fingerprint, coalesce(n.marker_requested, false), n.marker_reason\n',
  ],
] as const;

/** `text` with `from` replaced by `to`, which must occur exactly once. */
function once(text: string, from: string, to: string, fn: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${fn}: expected one ${JSON.stringify(from)} in its definition`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

async function rewrite(db: Kysely<unknown>, pairs: readonly (readonly [string, string])[]) {
  for (const fn of ['warden_report_incident', 'warden_report_incidents']) {
    const { rows } = await sql<{ def: string }>`SELECT pg_get_functiondef(${fn}::regproc) AS def`.execute(db);
    let def = rows[0]?.def ?? '';
    for (const [from, to] of pairs) def = once(def, from, to, fn);
    await sql.raw(def).execute(db);
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE incidents
      ADD COLUMN marker_requested boolean NOT NULL DEFAULT false,
      ADD COLUMN marker_reason text CHECK (char_length(marker_reason) <= 2000),
      ADD CONSTRAINT incidents_marker_reason_with_request CHECK (marker_reason IS NULL OR marker_requested);
    CREATE INDEX incidents_marker_requested ON incidents (org_id, reported_at) WHERE marker_requested;
  `.execute(db);
  await rewrite(db, ADD);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rewrite(
    db,
    ADD.map(([from, to]) => [to, from] as const),
  );
  await sql`
    DROP INDEX incidents_marker_requested;
    ALTER TABLE incidents DROP CONSTRAINT incidents_marker_reason_with_request, DROP COLUMN marker_reason, DROP COLUMN marker_requested;
  `.execute(db);
}
