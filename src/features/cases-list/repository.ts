import { sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
import { CLOSED_STATUSES, londonTime } from '../../domain/incidents.ts';
import type { auditRecord } from '../../platform/audit.ts';
import type { CaseFilters } from './schema.ts';

/** Midnight at the start of a UK calendar day `YYYY-MM-DD`, plus `days`. */
function ukDayStart(day: string, days = 0): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d + days));
  return londonTime(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, 0);
}

export type ListOptions = {
  orgId: string;
  filters: Omit<CaseFilters, 'page'>;
  /** Open cases reported before this instant without an investigation due date are overdue. */
  overdueBefore: Date;
  /** Today in England (`YYYY-MM-DD`): open cases whose investigation was due before it are overdue. */
  today: string;
  /** Only cases whose investigation is assigned to this manager. */
  assignedTo?: string;
  limit: number;
  offset: number;
};

/** The cases matching the filters (no columns selected yet). */
function matching(tx: Tx, o: Omit<ListOptions, 'limit' | 'offset'>) {
  const f = o.filters;
  let q = tx
    .selectFrom('incidents as i')
    // One investigation per case at most (UNIQUE (incident_id)).
    .leftJoin('case_investigations as ci', (j) => j.onRef('ci.incident_id', '=', 'i.id').onRef('ci.org_id', '=', 'i.org_id'))
    .where('i.org_id', '=', o.orgId);
  if (f.status) q = q.where('i.status', '=', f.status);
  if (f.category) q = q.where('i.category', '=', f.category);
  if (f.site) q = q.where('i.site_id', '=', f.site);
  // 002 std 4.1 (timely): open, the investigation not completed (as /cases/overdue, features/cases), and past the
  // investigation's due date or, with none set yet, OVERDUE_AFTER_DAYS after report.
  if (f.overdue)
    q = q
      .where('i.status', 'not in', CLOSED_STATUSES)
      .where('ci.completed_at', 'is', null)
      .where((eb) =>
        eb.or([eb('i.investigation_due_on', '<', o.today), eb.and([eb('i.investigation_due_on', 'is', null), eb('i.reported_at', '<', o.overdueBefore)])]),
      );
  // 003 §7.5: the manager's investigation, assigned and not yet completed, of a case still open
  if (f.investigating) q = q.where('i.status', 'not in', CLOSED_STATUSES).where('ci.id', 'is not', null).where('ci.completed_at', 'is', null);
  if (f.from) q = q.where('i.occurred_at', '>=', ukDayStart(f.from));
  if (f.to) q = q.where('i.occurred_at', '<', ukDayStart(f.to, 1));
  if (f.q) q = q.where(sql<boolean>`i.search @@ websearch_to_tsquery('english', ${f.q})`);
  if (o.assignedTo) q = q.where('i.assigned_manager_id', '=', o.assignedTo);
  return q;
}

/** The only code of case lists that touches Kysely. Every query runs in a scoped transaction (tenancy.ts). */
export const casesListRepository = {
  /** One page of cases matching the filters, with the total count of matches (on each row). */
  async list(tx: Tx, o: ListOptions) {
    const rows = await matching(tx, o)
      .leftJoin('sites as s', 's.id', 'i.site_id')
      .leftJoin('departments as d', 'd.id', 'i.department_id')
      .select([
        'i.id',
        'i.reference',
        'i.status',
        'i.category',
        'i.occurred_at',
        'i.reported_at',
        'i.is_late',
        'i.medical_factors',
        'i.police_attended',
        'i.investigation_due_on',
        'ci.completed_at as investigation_completed_at',
        's.name as site_name',
        'd.name as department_name',
        sql<number>`count(*) over ()`.as('total'),
      ])
      .orderBy('i.reported_at', o.filters.sort === 'oldest' ? 'asc' : 'desc')
      .orderBy('i.id')
      .limit(o.limit)
      .offset(o.offset)
      .execute();
    return rows.map((r) => ({ ...r, total: Number(r.total) }));
  },

  /** How many cases match the filters (for a page past the end, and before an export). */
  async count(tx: Tx, o: Omit<ListOptions, 'limit' | 'offset'>): Promise<number> {
    const r = await matching(tx, o)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  /**
   * One `incident.read_personal` audit event per exported case (object `incident`, its id), in one INSERT … SELECT
   * whatever the size of the export, so that the audit trail finds the export by case (issue 4 item 14). `event`
   * holds the columns common to every row (`auditRecord`); each row adds the case's reference to `detail`.
   */
  async auditReads(tx: Tx, event: ReturnType<typeof auditRecord>, orgId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await sql`
      INSERT INTO audit_events (actor_id, org_id, action, object_type, object_id, outcome, request_id, detail)
      SELECT ${event.actor_id}::uuid, ${event.org_id}::uuid, ${event.action}, ${event.object_type}, i.id::text, ${event.outcome},
             ${event.request_id}, ${JSON.stringify(event.detail)}::jsonb || jsonb_build_object('reference', i.reference)
        FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS x(id, n)
        JOIN incidents i ON i.id = x.id AND i.org_id = ${orgId}
       ORDER BY x.n`.execute(tx);
  },

  /** Personal data of the given cases: people, police crime reference, narrative. Read only when allowed. */
  async personal(tx: Tx, orgId: string, ids: string[]) {
    if (ids.length === 0) return { people: [], incidents: [] };
    const [people, incidents] = await Promise.all([
      tx
        .selectFrom('incident_people')
        .select(['incident_id', 'involvement', 'person_type', 'name', 'date_of_birth'])
        .where('org_id', '=', orgId)
        .where(sql<boolean>`incident_id = any(${ids}::uuid[])`)
        .orderBy('incident_id')
        .orderBy('involvement')
        .orderBy('position')
        .execute(),
      tx
        .selectFrom('incidents')
        .select(['id', 'crime_reference', 'narrative', 'location_detail', 'community_address', 'injury_description'])
        .where('org_id', '=', orgId)
        .where(sql<boolean>`id = any(${ids}::uuid[])`)
        .execute(),
    ]);
    return { people, incidents };
  },

  sites(tx: Tx, orgId: string) {
    return tx.selectFrom('sites').select(['id', 'name']).where('org_id', '=', orgId).orderBy('name').execute();
  },
};
