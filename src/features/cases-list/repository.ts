import { sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
import { londonTime } from '../../domain/incidents.ts';
import type { CaseFilters } from './schema.ts';

const CLOSED = ['closed', 'closed_nfa'];

/** Midnight at the start of a UK calendar day `YYYY-MM-DD`, plus `days`. */
function ukDayStart(day: string, days = 0): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d + days));
  return londonTime(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, 0);
}

export type ListOptions = {
  orgId: string;
  filters: CaseFilters;
  /** Open cases reported before this instant without an investigation due date are overdue. */
  overdueBefore: Date;
  /** Today in England (`YYYY-MM-DD`): open cases whose investigation was due before it are overdue. */
  today: string;
  /** Only cases whose investigation is assigned to this manager. */
  assignedTo?: string;
  limit: number;
  offset: number;
};

/** The only code of case lists that touches Kysely. Every query runs in a scoped transaction (tenancy.ts). */
export const casesListRepository = {
  /** One page of cases matching the filters, with the total count of matches. */
  async list(tx: Tx, o: ListOptions) {
    const f = o.filters;
    let q = tx
      .selectFrom('incidents as i')
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
        's.name as site_name',
        'd.name as department_name',
        sql<number>`count(*) over ()`.as('total'),
      ])
      .where('i.org_id', '=', o.orgId);
    if (f.status) q = q.where('i.status', '=', f.status);
    if (f.category) q = q.where('i.category', '=', f.category);
    if (f.site) q = q.where('i.site_id', '=', f.site);
    // 002 std 4.1 (timely): past the investigation's due date, or, with none set yet, OVERDUE_AFTER_DAYS after report
    if (f.overdue)
      q = q
        .where('i.status', 'not in', CLOSED)
        .where((eb) =>
          eb.or([eb('i.investigation_due_on', '<', o.today), eb.and([eb('i.investigation_due_on', 'is', null), eb('i.reported_at', '<', o.overdueBefore)])]),
        );
    if (f.from) q = q.where('i.occurred_at', '>=', ukDayStart(f.from));
    if (f.to) q = q.where('i.occurred_at', '<', ukDayStart(f.to, 1));
    if (f.q) q = q.where(sql<boolean>`i.search @@ websearch_to_tsquery('english', ${f.q})`);
    if (o.assignedTo) q = q.where('i.assigned_manager_id', '=', o.assignedTo);
    const rows = await q
      .orderBy('i.reported_at', f.sort === 'oldest' ? 'asc' : 'desc')
      .orderBy('i.id')
      .limit(o.limit)
      .offset(o.offset)
      .execute();
    return rows.map((r) => ({ ...r, total: Number(r.total) }));
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
        .select(['id', 'crime_reference', 'narrative'])
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
