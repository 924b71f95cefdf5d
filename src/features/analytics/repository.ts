import { type SqlBool, sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
import { PROVIDER_TYPES } from '../commissioning/schema.ts';

/** What a dashboard narrows its roll-ups by: category, and site (`community`: no site). Months are 'YYYY-MM-01'. */
export type RollupFilter = { orgId: string; from: string; to: string; category?: string; site?: string };

/** The measures of `incident_rollups` (migration 20261205100000-Analytics), summed over a filter. */
export const MEASURES = [
  'incidents',
  'medical_factors',
  'late',
  'police',
  'injured',
  'open',
  'closed',
  'closure_seconds',
  'sanctions',
  'sanctioned',
  'redress_cases',
  'redress_sought_pence',
  'redress_recovered_pence',
  'redress_recovered_cases',
] as const;
export type Measure = (typeof MEASURES)[number];

/** The dashboard's filter as a condition on any roll-up table (all share org, month, category and site columns). */
function filtered(f: RollupFilter) {
  const category = f.category ? sql`AND category = ${f.category}` : sql``;
  const site = f.site === 'community' ? sql`AND site_id IS NULL` : f.site ? sql`AND site_id = ${f.site}` : sql``;
  return sql<SqlBool>`org_id = ${f.orgId} AND month >= ${f.from} AND month <= ${f.to} ${category} ${site}`;
}

const total = (column: string) => sql<number>`coalesce(sum(${sql.ref(column)}), 0)::bigint`;

/**
 * The only code of analysis and benchmarking that touches Kysely. Dashboards read roll-ups (never incidents), so
 * their cost follows organisations × months, not the number of incidents. Every query runs in a scoped
 * transaction: one organisation's, or every organisation's for benchmarks, which only ever read aggregates.
 */
export const analyticsRepository = {
  organisation(tx: Tx, id: string) {
    return tx.selectFrom('organisations').select(['id', 'code', 'name', 'type']).where('id', '=', id).executeTakeFirst();
  },
  /** Every provider organisation (acute, ambulance, mental health, community): the population benchmarks rank. */
  providers(tx: Tx) {
    return tx.selectFrom('organisations').select(['id', 'code', 'name', 'type']).where('type', 'in', PROVIDER_TYPES).orderBy('name').execute();
  },
  organisationsByCode(tx: Tx, codes: string[]) {
    if (codes.length === 0) return Promise.resolve([]);
    return tx
      .selectFrom('organisations')
      .select(['id', 'code', 'name', 'type'])
      .where((eb) =>
        eb(
          eb.fn('upper', ['code']),
          'in',
          codes.map((c) => c.toUpperCase()),
        ),
      )
      .execute();
  },
  headcounts(tx: Tx, orgId?: string) {
    let q = tx.selectFrom('staff_headcounts').select(['org_id', 'financial_year', 'headcount']);
    if (orgId) q = q.where('org_id', '=', orgId);
    return q.execute();
  },

  /** Every measure by month and category, over the filter (from the site-less roll-up unless a site is asked for). */
  monthly(tx: Tx, f: RollupFilter) {
    return tx
      .selectFrom(f.site ? 'incident_rollups' : 'incident_month_rollups')
      .select(['month', 'category', ...MEASURES.map((m) => total(m).as(m))])
      .where(filtered(f))
      .groupBy(['month', 'category'])
      .orderBy('month')
      .execute();
  },
  /**
   * An organisation with its sites, departments and headcounts, in one round trip (a dashboard's context).
   */
  async context(tx: Tx, orgId: string) {
    const { rows } = await sql<{
      id: string;
      code: string;
      name: string;
      type: string;
      sites: { id: string; name: string }[];
      departments: { id: string; name: string; site_id: string | null }[];
      headcounts: { financial_year: number; headcount: number }[];
    }>`
      SELECT o.id, o.code, o.name, o.type,
        (SELECT coalesce(json_agg(json_build_object('id', s.id, 'name', s.name) ORDER BY s.name), '[]') FROM sites s WHERE s.org_id = o.id) AS sites,
        (SELECT coalesce(json_agg(json_build_object('id', d.id, 'name', d.name, 'site_id', d.site_id) ORDER BY d.name), '[]')
          FROM departments d WHERE d.org_id = o.id) AS departments,
        (SELECT coalesce(json_agg(json_build_object('financial_year', h.financial_year, 'headcount', h.headcount)), '[]')
          FROM staff_headcounts h WHERE h.org_id = o.id) AS headcounts
      FROM organisations o WHERE o.id = ${orgId}`.execute(tx);
    return rows[0];
  },
  /**
   * Incidents by site and department over the filter (null site: in the community; null department: none
   * given), with the number of months in which each had any. Summed by site, these are the incidents by site.
   */
  byDepartment(tx: Tx, f: RollupFilter) {
    // Each (site, department, month) is one row once the category is fixed or left out, so months are a count.
    return tx
      .selectFrom(f.category ? 'incident_department_rollups' : 'incident_place_rollups')
      .select(['site_id', 'department_id', total('incidents').as('incidents'), sql<number>`count(*) FILTER (WHERE incidents > 0)::int`.as('months')])
      .where(filtered(f))
      .groupBy(['site_id', 'department_id'])
      .execute();
  },
  /**
   * Open cases of the filter's incidents not yet overdue on `today` ('YYYY-MM-DD', England): due today or later.
   * Overdue is the open total (a roll-up measure) less these and less `completedOverdue`; the index on (org, due
   * day) reads only them.
   */
  async notYetDue(tx: Tx, f: RollupFilter, today: string) {
    const row = await tx
      .selectFrom('incident_open_rollups')
      .select(total('open').as('open'))
      .where(filtered(f))
      .where('due_on', '>=', today)
      .executeTakeFirstOrThrow();
    return Number(row.open);
  },
  /**
   * Open cases of the filter's incidents past their due day whose manager's investigation is completed: the
   * roll-up counts them as overdue, the case lists' rule (002 std 4.1) does not — a completed investigation is not
   * overdue work. Read through `incidents_open_investigated` (open cases with a completed investigation: the cases
   * awaiting a decision, few whatever the history), so the dashboard's cost still follows its roll-ups.
   */
  async completedOverdue(tx: Tx, f: RollupFilter, today: string) {
    const category = f.category ? sql`AND category = ${f.category}` : sql``;
    const site = f.site === 'community' ? sql`AND site_id IS NULL` : f.site ? sql`AND site_id = ${f.site}` : sql``;
    const { rows } = await sql<{ n: string }>`
      SELECT count(*) AS n FROM incidents
      WHERE org_id = ${f.orgId} AND investigation_completed_at IS NOT NULL AND status NOT IN ('closed', 'closed_nfa')
        AND warden_month(occurred_at) BETWEEN ${f.from}::date AND ${f.to}::date ${category} ${site}
        AND warden_due_on(investigation_due_on, reported_at) < ${today}::date`.execute(tx);
    return Number(rows[0]?.n ?? 0);
  },

  /** The `004` figures per organisation and financial year, as Warden counted them (all organisations in scope). */
  yearRollups(tx: Tx, orgId?: string) {
    let q = tx.selectFrom('incident_year_rollups').select(['org_id', 'financial_year', 'incidents', 'physical_assaults', 'physical_assaults_medical']);
    if (orgId) q = q.where('org_id', '=', orgId);
    return q.execute();
  },
  /**
   * Every provider's `004` figures per financial year (or for `years` only), in one query: published statistics,
   * and Warden's year roll-ups with the headcount recorded for the year. Both can be there for a year: the caller
   * lets the published figures win. (Not with NOT EXISTS: row-level security hides the row counts from the
   * planner, which then chose a nested-loop anti join of every roll-up against every published row: 250 ms.)
   */
  picture(tx: Tx, years?: number[]) {
    const only = (column: string) => (years ? sql`AND ${sql.ref(column)} = ANY(${years}::int[])` : sql``);
    return sql<{
      org_id: string;
      code: string;
      name: string;
      type: string;
      financial_year: number;
      source: 'published' | 'warden';
      physical_assaults: number;
      physical_assaults_medical: number;
      staff: number | null;
    }>`
      SELECT o.id AS org_id, o.code, o.name, o.type, f.financial_year, f.source, f.physical_assaults, f.physical_assaults_medical, f.staff
      FROM organisations o
      JOIN (
        SELECT p.org_id, p.financial_year, 'published' AS source, p.physical_assaults, p.physical_assaults_medical, p.staff
        FROM published_statistics p WHERE true ${only('p.financial_year')}
        UNION ALL
        SELECT y.org_id, y.financial_year, 'warden', y.physical_assaults, y.physical_assaults_medical, h.headcount
        FROM incident_year_rollups y
        LEFT JOIN staff_headcounts h ON h.org_id = y.org_id AND h.financial_year = y.financial_year
        WHERE (y.incidents <> 0 OR y.physical_assaults <> 0) ${only('y.financial_year')}
      ) f ON f.org_id = o.id
      WHERE o.type IN (${sql.join(PROVIDER_TYPES)})`
      .execute(tx)
      .then((r) => r.rows);
  },
  /** The financial years any provider has figures for. */
  pictureYears(tx: Tx) {
    return sql<{ financial_year: number }>`
      SELECT DISTINCT financial_year FROM (
        SELECT financial_year FROM published_statistics
        UNION SELECT financial_year FROM incident_year_rollups WHERE incidents <> 0 OR physical_assaults <> 0
      ) y ORDER BY 1`
      .execute(tx)
      .then((r) => r.rows.map((x) => x.financial_year));
  },
  published(tx: Tx, orgId?: string) {
    let q = tx
      .selectFrom('published_statistics as p')
      .innerJoin('organisations as o', 'o.id', 'p.org_id')
      .select(['p.org_id', 'o.code', 'o.name', 'p.financial_year', 'p.physical_assaults', 'p.physical_assaults_medical', 'p.staff', 'p.source'])
      .orderBy('o.name')
      .orderBy('p.financial_year', 'desc');
    if (orgId) q = q.where('p.org_id', '=', orgId);
    return q.execute();
  },
  upsertPublished(
    tx: Tx,
    rows: { orgId: string; financialYear: number; physicalAssaults: number; medical: number; staff: number }[],
    source: string | null,
    by: string | null,
  ) {
    if (rows.length === 0) return Promise.resolve();
    return tx
      .insertInto('published_statistics')
      .values(
        rows.map((r) => ({
          org_id: r.orgId,
          financial_year: r.financialYear,
          physical_assaults: r.physicalAssaults,
          physical_assaults_medical: r.medical,
          staff: r.staff,
          source,
          imported_by: by,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['org_id', 'financial_year']).doUpdateSet((eb) => ({
          physical_assaults: eb.ref('excluded.physical_assaults'),
          physical_assaults_medical: eb.ref('excluded.physical_assaults_medical'),
          staff: eb.ref('excluded.staff'),
          source: eb.ref('excluded.source'),
          imported_by: eb.ref('excluded.imported_by'),
          imported_at: sql`now()`,
        })),
      )
      .execute()
      .then(() => undefined);
  },

  surveys(tx: Tx, orgId: string) {
    return tx
      .selectFrom('staff_survey_results')
      .select([
        'financial_year',
        'respondents',
        sql<number>`physical_violence_public::float8`.as('physical_violence_public'),
        sql<number | null>`abuse_public::float8`.as('abuse_public'),
        sql<number | null>`violence_reported::float8`.as('violence_reported'),
      ])
      .where('org_id', '=', orgId)
      .orderBy('financial_year')
      .execute();
  },
  upsertSurvey(
    tx: Tx,
    rows: {
      orgId: string;
      financialYear: number;
      physicalViolencePublic: number;
      abusePublic: number | null;
      violenceReported: number | null;
      respondents: number | null;
    }[],
    by: string | null,
  ) {
    if (rows.length === 0) return Promise.resolve();
    return tx
      .insertInto('staff_survey_results')
      .values(
        rows.map((r) => ({
          org_id: r.orgId,
          financial_year: r.financialYear,
          physical_violence_public: r.physicalViolencePublic,
          abuse_public: r.abusePublic,
          violence_reported: r.violenceReported,
          respondents: r.respondents,
          entered_by: by,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['org_id', 'financial_year']).doUpdateSet((eb) => ({
          physical_violence_public: eb.ref('excluded.physical_violence_public'),
          abuse_public: eb.ref('excluded.abuse_public'),
          violence_reported: eb.ref('excluded.violence_reported'),
          respondents: eb.ref('excluded.respondents'),
          entered_by: eb.ref('excluded.entered_by'),
        })),
      )
      .execute()
      .then(() => undefined);
  },
};
