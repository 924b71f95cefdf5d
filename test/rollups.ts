import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Database } from '../src/db/database.ts';

/**
 * The roll-ups (migration 20261205100000-Analytics) compared with direct counts written independently of the
 * triggers: plain GROUP BY over incidents, their sanctions and outcomes. Used by
 * src/features/analytics/rollups.test.ts and by the demo data set's test.
 */
type Row = Record<string, string | number | null>;
const key = (r: Row) => JSON.stringify(r);
const sorted = (rows: Row[]) =>
  rows
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))
    .map(key)
    .sort();

/** Every measure of a bucket, counted directly from incidents `i`, their sanctions `s` and outcomes `o`. */
const COUNTED = sql.raw(`
      count(*)::int AS incidents,
      count(*) FILTER (WHERE i.medical_factors = 'yes')::int AS medical_factors,
      count(*) FILTER (WHERE i.is_late)::int AS late,
      count(*) FILTER (WHERE i.police_involved)::int AS police,
      count(*) FILTER (WHERE i.injured)::int AS injured,
      count(*) FILTER (WHERE i.status NOT IN ('closed','closed_nfa'))::int AS open,
      count(*) FILTER (WHERE i.status IN ('closed','closed_nfa') AND i.closed_at IS NOT NULL)::int AS closed,
      coalesce(sum(floor(extract(epoch FROM i.closed_at - i.reported_at))) FILTER (WHERE i.status IN ('closed','closed_nfa') AND i.closed_at IS NOT NULL), 0)::bigint AS closure_seconds,
      coalesce(sum(s.n), 0)::int AS sanctions,
      count(*) FILTER (WHERE s.n > 0)::int AS sanctioned,
      count(*) FILTER (WHERE o.redress_route IS NOT NULL)::int AS redress_cases,
      coalesce(sum(o.redress_sought_pence), 0)::bigint AS redress_sought_pence,
      coalesce(sum(o.redress_recovered_pence), 0)::bigint AS redress_recovered_pence,
      count(*) FILTER (WHERE o.redress_recovered_pence > 0)::int AS redress_recovered_cases
    FROM incidents i
    LEFT JOIN (SELECT incident_id, count(*) AS n FROM case_sanctions GROUP BY incident_id) s ON s.incident_id = i.id
    LEFT JOIN case_outcomes o ON o.incident_id = i.id`);
const MONTH = sql.raw(`to_char(date_trunc('month', i.occurred_at AT TIME ZONE 'Europe/London'), 'YYYY-MM-DD')`);

async function direct(db: Database) {
  const main = await sql<Row>`SELECT i.org_id, ${MONTH} AS month, i.category, i.site_id, ${COUNTED} GROUP BY 1, 2, 3, 4`.execute(db);
  const months = await sql<Row>`SELECT i.org_id, ${MONTH} AS month, i.category, ${COUNTED} GROUP BY 1, 2, 3`.execute(db);
  const places = await sql<Row>`
    SELECT org_id, to_char(date_trunc('month', occurred_at AT TIME ZONE 'Europe/London'), 'YYYY-MM-DD') AS month, site_id, department_id, count(*)::int AS incidents
    FROM incidents GROUP BY 1, 2, 3, 4`.execute(db);
  const departments = await sql<Row>`
    SELECT org_id, to_char(date_trunc('month', occurred_at AT TIME ZONE 'Europe/London'), 'YYYY-MM-DD') AS month, category, site_id, department_id, count(*)::int AS incidents
    FROM incidents GROUP BY 1, 2, 3, 4, 5`.execute(db);
  const open = await sql<Row>`
    SELECT org_id, to_char(date_trunc('month', occurred_at AT TIME ZONE 'Europe/London'), 'YYYY-MM-DD') AS month, category, site_id,
      to_char(coalesce(investigation_due_on, (reported_at AT TIME ZONE 'Europe/London')::date + 30), 'YYYY-MM-DD') AS due_on, count(*)::int AS open
    FROM incidents WHERE status NOT IN ('closed','closed_nfa') GROUP BY 1, 2, 3, 4, 5`.execute(db);
  const years = await sql<Row>`
    SELECT org_id,
      (extract(year FROM occurred_at AT TIME ZONE 'Europe/London')::int - CASE WHEN extract(month FROM occurred_at AT TIME ZONE 'Europe/London') < 4 THEN 1 ELSE 0 END) AS financial_year,
      count(*)::int AS incidents,
      count(*) FILTER (WHERE category = 'physical_assault')::int AS physical_assaults,
      count(*) FILTER (WHERE category = 'physical_assault' AND medical_factors = 'yes')::int AS physical_assaults_medical
    FROM incidents GROUP BY 1, 2`.execute(db);
  return {
    main: sorted(main.rows),
    months: sorted(months.rows),
    places: sorted(places.rows),
    departments: sorted(departments.rows),
    open: sorted(open.rows),
    years: sorted(years.rows),
  };
}

/** Every roll-up row with a non-zero measure, in the same shape as the direct counts. */
export async function rolledUp(db: Database) {
  const measures = sql.raw(
    'incidents, medical_factors, late, police, injured, open, closed, closure_seconds, sanctions, sanctioned, redress_cases, redress_sought_pence, redress_recovered_pence, redress_recovered_cases',
  );
  const nonZero = sql`(${measures}) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`;
  const main =
    await sql<Row>`SELECT org_id, to_char(month, 'YYYY-MM-DD') AS month, category, site_id, ${measures} FROM incident_rollups WHERE ${nonZero}`.execute(db);
  const months =
    await sql<Row>`SELECT org_id, to_char(month, 'YYYY-MM-DD') AS month, category, ${measures} FROM incident_month_rollups WHERE ${nonZero}`.execute(db);
  const places = await sql<Row>`
    SELECT org_id, to_char(month, 'YYYY-MM-DD') AS month, site_id, department_id, incidents FROM incident_place_rollups WHERE incidents <> 0`.execute(db);
  const departments = await sql<Row>`
    SELECT org_id, to_char(month, 'YYYY-MM-DD') AS month, category, site_id, department_id, incidents FROM incident_department_rollups WHERE incidents <> 0`.execute(
    db,
  );
  const open = await sql<Row>`
    SELECT org_id, to_char(month, 'YYYY-MM-DD') AS month, category, site_id, to_char(due_on, 'YYYY-MM-DD') AS due_on, open FROM incident_open_rollups WHERE open <> 0`.execute(
    db,
  );
  const years = await sql<Row>`
    SELECT org_id, financial_year, incidents, physical_assaults, physical_assaults_medical FROM incident_year_rollups
    WHERE (incidents, physical_assaults, physical_assaults_medical) <> (0, 0, 0)`.execute(db);
  return {
    main: sorted(main.rows),
    months: sorted(months.rows),
    places: sorted(places.rows),
    departments: sorted(departments.rows),
    open: sorted(open.rows),
    years: sorted(years.rows),
  };
}

/**
 * Asserts that every roll-up row equals a direct count over incidents, their sanctions and outcomes (`db`: the
 * owner connection, which row-level security does not limit). `step` names the moment in failure messages.
 */
export async function assertRollupsMatch(db: Database, step: string) {
  const [want, got] = [await direct(db), await rolledUp(db)];
  for (const table of ['main', 'months', 'places', 'departments', 'open', 'years'] as const)
    assert.deepEqual(got[table], want[table], `${step}: ${table} roll-up differs from a direct count`);
  assert.ok(want.main.length > 0 || step === 'empty');
}
