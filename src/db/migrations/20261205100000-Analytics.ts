import { type Kysely, sql } from 'kysely';
import { tenantTable } from '../tenant-table.ts';

/**
 * Analysis and benchmarking (SPEC C4, issue 6): roll-ups that dashboards read instead of incidents, published
 * statistics, and staff-survey figures.
 *
 * Roll-ups, maintained by statement-level AFTER triggers with transition tables, so that a single report and a
 * bulk COPY of a million rows both cost one aggregate upsert per bucket touched (DESIGN.md: dashboards read
 * incrementally maintained roll-ups, so their cost grows with organisations × months, not with incidents):
 *
 * - `incident_rollups`: organisation × month (the month, in England, the incident occurred) × category × site
 *   (NULL: in the community): incidents, physical assaults' medical factors (`004`), late reports
 *   (`003 §2.2.3.7`), police involvement, injuries, cases open and closed and the total seconds from report to
 *   closure, sanctions (records and cases sanctioned, `002 std 4.2`) and redress (cases, pence sought, recovered).
 * - `incident_month_rollups`: the same measures without the site, for the dashboard unfiltered by site (a tenth
 *   of the rows to read at national scale).
 * - `incident_department_rollups` (category × site × department) and `incident_place_rollups` (site ×
 *   department, any category): incidents by month, for "by site", "by department" and repeat locations.
 * - `incident_open_rollups`: open cases by month, category, site and the day they fall due (the investigation's due
 *   date, or 30 days after the report while none is set: the case lists' overdue rule, at day granularity), so
 *   overdue = open − not yet due, a sum over the few rows due from today on, with no job as the calendar moves on.
 * - `incident_year_rollups`: organisation × financial year: incidents, physical assaults and those involving
 *   medical factors: the figures of the `004` peer table, for peer and national benchmarks.
 *
 * Triggers fire on incidents (insert, update of any counted column, delete, truncate), case_sanctions and
 * case_outcomes. They are SECURITY DEFINER: the application role may only read roll-ups, never write them, so a
 * figure cannot be altered except by changing the incidents it counts. Bucket rows are upserted in key order, so
 * two transactions never take the same roll-up rows in opposite orders. `warden_analytics_rebuild()` recomputes
 * everything from the incident tables (used here for existing data, and available to an operator).
 *
 * - `published_statistics`: historic aggregate figures as published (organisation, financial year, physical
 *   assaults, those involving medical factors, staff), imported from CSV, so benchmarks include years before
 *   Warden (`004`: "compare their performance against the national picture").
 * - `staff_survey_results`: per organisation and financial year, staff-survey figures: perception beside
 *   reported reality (`000 §8.2`).
 *
 * All are tenant tables (forced row-level security by org_id). Roll-ups hold counts only, never personal data.
 */

/** The incident columns a roll-up counts: an update touching none of them costs nothing. */
const COUNTED = [
  'org_id',
  'occurred_at',
  'reported_at',
  'category',
  'site_id',
  'department_id',
  'medical_factors',
  'is_late',
  'police_involved',
  'injured',
  'status',
  'closed_at',
  'investigation_due_on',
];
const ROW = ['id', ...COUNTED];

/** Measures of `incident_rollups`, as sums over `src` rows (each row +1 or −1 by `sign`). */
const MEASURES: [string, string][] = [
  ['incidents', 'sign'],
  ['medical_factors', `CASE WHEN medical_factors = 'yes' THEN sign ELSE 0 END`],
  ['late', 'CASE WHEN is_late THEN sign ELSE 0 END'],
  ['police', 'CASE WHEN police_involved THEN sign ELSE 0 END'],
  ['injured', 'CASE WHEN injured THEN sign ELSE 0 END'],
  ['open', `CASE WHEN status NOT IN ('closed','closed_nfa') THEN sign ELSE 0 END`],
  ['closed', `CASE WHEN status IN ('closed','closed_nfa') AND closed_at IS NOT NULL THEN sign ELSE 0 END`],
  [
    'closure_seconds',
    `CASE WHEN status IN ('closed','closed_nfa') AND closed_at IS NOT NULL THEN sign * floor(extract(epoch FROM closed_at - reported_at))::bigint ELSE 0 END`,
  ],
  ['sanctions', 'sign * sanctions'],
  ['sanctioned', 'CASE WHEN sanctions > 0 THEN sign ELSE 0 END'],
  ['redress_cases', 'CASE WHEN redress_route IS NOT NULL THEN sign ELSE 0 END'],
  ['redress_sought_pence', 'sign * redress_sought'],
  ['redress_recovered_pence', 'sign * redress_recovered'],
  ['redress_recovered_cases', 'CASE WHEN redress_recovered > 0 THEN sign ELSE 0 END'],
];

const upsertSet = (table: string, columns: string[]) => columns.map((c) => `${c} = ${table}.${c} + EXCLUDED.${c}`).join(', ');
const anyNonZero = (exprs: string[]) => exprs.map((e) => `sum(${e}) <> 0`).join(' OR ');

/**
 * One statement applying the rows of `src` (columns: sign, the incident's counted columns, and its sanctions
 * count and redress) to all four roll-ups. `ctes` defines `src` (and anything it needs).
 */
function applyDelta(ctes: string): string {
  const names = MEASURES.map(([n]) => n);
  const exprs = MEASURES.map(([, e]) => e);
  return `
    WITH ${ctes},
    r AS (
      INSERT INTO incident_rollups AS t (org_id, month, category, site_id, ${names.join(', ')})
      SELECT org_id, warden_month(occurred_at), category, site_id, ${exprs.map((e) => `sum(${e})`).join(', ')}
      FROM src GROUP BY 1, 2, 3, 4 HAVING ${anyNonZero(exprs)} ORDER BY 1, 2, 3, 4
      ON CONFLICT (org_id, month, category, site_id) DO UPDATE SET ${upsertSet('t', names)}
    ),
    m AS (
      INSERT INTO incident_month_rollups AS t (org_id, month, category, ${names.join(', ')})
      SELECT org_id, warden_month(occurred_at), category, ${exprs.map((e) => `sum(${e})`).join(', ')}
      FROM src GROUP BY 1, 2, 3 HAVING ${anyNonZero(exprs)} ORDER BY 1, 2, 3
      ON CONFLICT (org_id, month, category) DO UPDATE SET ${upsertSet('t', names)}
    ),
    p AS (
      INSERT INTO incident_place_rollups AS t (org_id, month, site_id, department_id, incidents)
      SELECT org_id, warden_month(occurred_at), site_id, department_id, sum(sign)
      FROM src GROUP BY 1, 2, 3, 4 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4
      ON CONFLICT (org_id, month, site_id, department_id) DO UPDATE SET incidents = t.incidents + EXCLUDED.incidents
    ),
    d AS (
      INSERT INTO incident_department_rollups AS t (org_id, month, category, site_id, department_id, incidents)
      SELECT org_id, warden_month(occurred_at), category, site_id, department_id, sum(sign)
      FROM src GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4, 5
      ON CONFLICT (org_id, month, category, site_id, department_id) DO UPDATE SET incidents = t.incidents + EXCLUDED.incidents
    ),
    o AS (
      INSERT INTO incident_open_rollups AS t (org_id, month, category, site_id, due_on, open)
      SELECT org_id, warden_month(occurred_at), category, site_id, warden_due_on(investigation_due_on, reported_at), sum(sign)
      FROM src WHERE status NOT IN ('closed','closed_nfa')
      GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4, 5
      ON CONFLICT (org_id, month, category, site_id, due_on) DO UPDATE SET open = t.open + EXCLUDED.open
    )
    INSERT INTO incident_year_rollups AS t (org_id, financial_year, incidents, physical_assaults, physical_assaults_medical)
    SELECT org_id, warden_financial_year(occurred_at), sum(sign),
      sum(CASE WHEN category = 'physical_assault' THEN sign ELSE 0 END),
      sum(CASE WHEN category = 'physical_assault' AND medical_factors = 'yes' THEN sign ELSE 0 END)
    FROM src GROUP BY 1, 2
    HAVING sum(sign) <> 0 OR sum(CASE WHEN category = 'physical_assault' THEN sign ELSE 0 END) <> 0
      OR sum(CASE WHEN category = 'physical_assault' AND medical_factors = 'yes' THEN sign ELSE 0 END) <> 0
    ORDER BY 1, 2
    ON CONFLICT (org_id, financial_year) DO UPDATE SET ${upsertSet('t', ['incidents', 'physical_assaults', 'physical_assaults_medical'])}`;
}

/** `src` rows for incidents `alias` of `from`, with their current sanctions and redress (restricted to `ids`). */
function withChildren(sign: string, alias: string, from: string, ids?: string): string {
  const only = ids ? `WHERE incident_id IN (${ids})` : '';
  return `SELECT ${sign} AS sign, ${ROW.map((c) => `${alias}.${c}`).join(', ')},
      coalesce(s.n, 0) AS sanctions, co.redress_route,
      coalesce(co.redress_sought_pence, 0) AS redress_sought, coalesce(co.redress_recovered_pence, 0) AS redress_recovered
    FROM ${from}
    LEFT JOIN (SELECT incident_id, count(*) AS n FROM case_sanctions ${only} GROUP BY incident_id) s ON s.incident_id = ${alias}.id
    LEFT JOIN case_outcomes co ON co.incident_id = ${alias}.id`;
}

/** A new incident has no sanctions or redress yet: nothing to look up (this keeps COPY cheap). */
const INSERTED = `src AS (
  SELECT 1 AS sign, ${ROW.map((c) => `n.${c}`).join(', ')}, 0::bigint AS sanctions, NULL::text AS redress_route,
    0::bigint AS redress_sought, 0::bigint AS redress_recovered
  FROM new_rows n)`;

const UPDATED = `changed AS (
    SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (${COUNTED.map((c) => `o.${c}`).join(', ')}) IS DISTINCT FROM (${COUNTED.map((c) => `n.${c}`).join(', ')})
  ),
  src AS (
    ${withChildren('-1', 'o', 'old_rows o JOIN changed ch ON ch.id = o.id', 'SELECT id FROM changed')}
    UNION ALL
    ${withChildren('1', 'n', 'new_rows n JOIN changed ch ON ch.id = n.id', 'SELECT id FROM changed')}
  )`;

const DELETED = `src AS (${withChildren('-1', 'o', 'old_rows o', 'SELECT id FROM old_rows')})`;

/** Sanctions of an incident count in the incident's bucket: records, and whether the case has any (`002 std 4.2`). */
function sanctionsDelta(added: string, removed: string): string {
  return `
    WITH delta AS (
      SELECT incident_id, sum(n) AS n FROM (
        SELECT incident_id, 1 AS n FROM ${added} UNION ALL SELECT incident_id, -1 FROM ${removed}
      ) x GROUP BY incident_id HAVING sum(n) <> 0
    ),
    counted AS (
      SELECT d.incident_id, d.n, (SELECT count(*) FROM case_sanctions s WHERE s.incident_id = d.incident_id) AS after FROM delta d
    ),
    bucket AS (
      SELECT i.org_id, warden_month(i.occurred_at) AS month, i.category, i.site_id, sum(c.n) AS sanctions,
        sum((c.after > 0)::int - (c.after - c.n > 0)::int) AS sanctioned
      FROM counted c JOIN incidents i ON i.id = c.incident_id
      GROUP BY 1, 2, 3, 4
    ),
    r AS (
      INSERT INTO incident_rollups AS t (org_id, month, category, site_id, sanctions, sanctioned)
      SELECT * FROM bucket ORDER BY 1, 2, 3, 4
      ON CONFLICT (org_id, month, category, site_id) DO UPDATE SET ${upsertSet('t', ['sanctions', 'sanctioned'])}
    )
    INSERT INTO incident_month_rollups AS t (org_id, month, category, sanctions, sanctioned)
    SELECT org_id, month, category, sum(sanctions), sum(sanctioned) FROM bucket GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (org_id, month, category) DO UPDATE SET ${upsertSet('t', ['sanctions', 'sanctioned'])}`;
}

/** Redress recorded on a case counts in the incident's bucket (`000 §6`: redress; `004` generic area 7). */
function outcomesDelta(rows: string): string {
  const m: [string, string][] = [
    ['redress_cases', 'CASE WHEN x.redress_route IS NOT NULL THEN x.sign ELSE 0 END'],
    ['redress_sought_pence', 'x.sign * coalesce(x.redress_sought_pence, 0)'],
    ['redress_recovered_pence', 'x.sign * coalesce(x.redress_recovered_pence, 0)'],
    ['redress_recovered_cases', 'CASE WHEN coalesce(x.redress_recovered_pence, 0) > 0 THEN x.sign ELSE 0 END'],
  ];
  const names = m.map(([n]) => n);
  return `
    WITH bucket AS (
      SELECT i.org_id, warden_month(i.occurred_at) AS month, i.category, i.site_id, ${m.map(([n, e]) => `sum(${e}) AS ${n}`).join(', ')}
      FROM (${rows}) x JOIN incidents i ON i.id = x.incident_id
      GROUP BY 1, 2, 3, 4 HAVING ${anyNonZero(m.map(([, e]) => e))}
    ),
    r AS (
      INSERT INTO incident_rollups AS t (org_id, month, category, site_id, ${names.join(', ')})
      SELECT * FROM bucket ORDER BY 1, 2, 3, 4
      ON CONFLICT (org_id, month, category, site_id) DO UPDATE SET ${upsertSet('t', names)}
    )
    INSERT INTO incident_month_rollups AS t (org_id, month, category, ${names.join(', ')})
    SELECT org_id, month, category, ${names.map((n) => `sum(${n})`).join(', ')} FROM bucket GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (org_id, month, category) DO UPDATE SET ${upsertSet('t', names)}`;
}
const OUTCOME_COLS = 'incident_id, redress_route, redress_sought_pence, redress_recovered_pence';

export async function up(db: Kysely<unknown>): Promise<void> {
  const measureColumns = MEASURES.map(([n]) => `${n} ${/seconds|pence/.test(n) ? 'bigint' : 'integer'} NOT NULL DEFAULT 0`).join(',\n      ');
  await sql
    .raw(`
    -- The month and financial year an instant falls in, by the clock in England (src/domain/analytics.ts).
    CREATE FUNCTION warden_month(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
      $$ SELECT date_trunc('month', t AT TIME ZONE 'Europe/London')::date $$;
    CREATE FUNCTION warden_financial_year(t timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
      $$ SELECT extract(year FROM (t AT TIME ZONE 'Europe/London') - interval '3 months')::integer $$;
    -- The day an open case counts as overdue after: its investigation's due date, or 30 days after it was
    -- reported (in England) while none is set (src/features/cases-list/schema.ts OVERDUE_AFTER_DAYS).
    CREATE FUNCTION warden_due_on(due date, reported timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
      $$ SELECT coalesce(due, (reported AT TIME ZONE 'Europe/London')::date + 30) $$;

    CREATE TABLE incident_rollups (
      org_id uuid NOT NULL REFERENCES organisations(id),
      month date NOT NULL CHECK (extract(day FROM month) = 1),
      category text NOT NULL,
      site_id uuid,
      ${measureColumns},
      CONSTRAINT incident_rollups_key UNIQUE NULLS NOT DISTINCT (org_id, month, category, site_id)
    );

    -- the same without the site: what a dashboard reads when it is not filtered by site
    CREATE TABLE incident_month_rollups (
      org_id uuid NOT NULL REFERENCES organisations(id),
      month date NOT NULL CHECK (extract(day FROM month) = 1),
      category text NOT NULL,
      ${measureColumns},
      PRIMARY KEY (org_id, month, category)
    );

    -- incidents by place without the category: "by site", "by department" and repeat locations, unfiltered
    CREATE TABLE incident_place_rollups (
      org_id uuid NOT NULL REFERENCES organisations(id),
      month date NOT NULL CHECK (extract(day FROM month) = 1),
      site_id uuid,
      department_id uuid,
      incidents integer NOT NULL DEFAULT 0,
      CONSTRAINT incident_place_rollups_key UNIQUE NULLS NOT DISTINCT (org_id, month, site_id, department_id)
    );

    CREATE TABLE incident_department_rollups (
      org_id uuid NOT NULL REFERENCES organisations(id),
      month date NOT NULL CHECK (extract(day FROM month) = 1),
      category text NOT NULL,
      site_id uuid,
      department_id uuid,
      incidents integer NOT NULL DEFAULT 0,
      CONSTRAINT incident_department_rollups_key UNIQUE NULLS NOT DISTINCT (org_id, month, category, site_id, department_id)
    );

    CREATE TABLE incident_open_rollups (
      org_id uuid NOT NULL REFERENCES organisations(id),
      month date NOT NULL CHECK (extract(day FROM month) = 1),
      category text NOT NULL,
      site_id uuid,
      due_on date NOT NULL,
      open integer NOT NULL DEFAULT 0,
      CONSTRAINT incident_open_rollups_key UNIQUE NULLS NOT DISTINCT (org_id, month, category, site_id, due_on)
    );
    -- cases not yet due are the few rows from today on: overdue = open − not yet due
    CREATE INDEX incident_open_rollups_due ON incident_open_rollups (org_id, due_on) INCLUDE (month, category, site_id, open);

    CREATE TABLE incident_year_rollups (
      org_id uuid NOT NULL REFERENCES organisations(id),
      financial_year integer NOT NULL,
      incidents integer NOT NULL DEFAULT 0,
      physical_assaults integer NOT NULL DEFAULT 0,
      physical_assaults_medical integer NOT NULL DEFAULT 0,
      PRIMARY KEY (org_id, financial_year)
    );

    CREATE FUNCTION warden_incidents_rollup() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        ${applyDelta(INSERTED)};
      ELSIF TG_OP = 'UPDATE' THEN
        ${applyDelta(UPDATED)};
      ELSIF TG_OP = 'DELETE' THEN
        ${applyDelta(DELETED)};
      END IF;
      RETURN NULL;
    END $fn$;
    CREATE TRIGGER incidents_rollup_insert AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION warden_incidents_rollup();
    CREATE TRIGGER incidents_rollup_update AFTER UPDATE ON incidents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION warden_incidents_rollup();
    CREATE TRIGGER incidents_rollup_delete AFTER DELETE ON incidents REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION warden_incidents_rollup();

    CREATE FUNCTION warden_incidents_rollup_truncate() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
    BEGIN
      TRUNCATE incident_rollups, incident_month_rollups, incident_place_rollups, incident_department_rollups, incident_open_rollups, incident_year_rollups;
      RETURN NULL;
    END $fn$;
    CREATE TRIGGER incidents_rollup_truncate AFTER TRUNCATE ON incidents FOR EACH STATEMENT EXECUTE FUNCTION warden_incidents_rollup_truncate();

    CREATE FUNCTION warden_sanctions_rollup() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        ${sanctionsDelta('new_rows', '(SELECT NULL::uuid AS incident_id WHERE false) none')};
      ELSIF TG_OP = 'UPDATE' THEN
        ${sanctionsDelta('new_rows', 'old_rows')};
      ELSIF TG_OP = 'DELETE' THEN
        ${sanctionsDelta('(SELECT NULL::uuid AS incident_id WHERE false) none', 'old_rows')};
      END IF;
      RETURN NULL;
    END $fn$;
    CREATE TRIGGER case_sanctions_rollup_insert AFTER INSERT ON case_sanctions REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION warden_sanctions_rollup();
    CREATE TRIGGER case_sanctions_rollup_update AFTER UPDATE ON case_sanctions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION warden_sanctions_rollup();
    CREATE TRIGGER case_sanctions_rollup_delete AFTER DELETE ON case_sanctions REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION warden_sanctions_rollup();

    CREATE FUNCTION warden_outcomes_rollup() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        ${outcomesDelta(`SELECT 1 AS sign, ${OUTCOME_COLS} FROM new_rows`)};
      ELSIF TG_OP = 'UPDATE' THEN
        ${outcomesDelta(`SELECT 1 AS sign, ${OUTCOME_COLS} FROM new_rows UNION ALL SELECT -1, ${OUTCOME_COLS} FROM old_rows`)};
      ELSIF TG_OP = 'DELETE' THEN
        ${outcomesDelta(`SELECT -1 AS sign, ${OUTCOME_COLS} FROM old_rows`)};
      END IF;
      RETURN NULL;
    END $fn$;
    CREATE TRIGGER case_outcomes_rollup_insert AFTER INSERT ON case_outcomes REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION warden_outcomes_rollup();
    CREATE TRIGGER case_outcomes_rollup_update AFTER UPDATE ON case_outcomes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION warden_outcomes_rollup();
    CREATE TRIGGER case_outcomes_rollup_delete AFTER DELETE ON case_outcomes REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION warden_outcomes_rollup();

    -- Recomputes every roll-up from the incident tables, under locks that stop writes meanwhile.
    CREATE FUNCTION warden_analytics_rebuild() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
    BEGIN
      LOCK TABLE incidents, case_sanctions, case_outcomes IN SHARE MODE;
      TRUNCATE incident_rollups, incident_month_rollups, incident_place_rollups, incident_department_rollups, incident_open_rollups, incident_year_rollups;
      ${applyDelta(`src AS (${withChildren('1', 'i', 'incidents i')})`)};
    END $fn$;
    REVOKE ALL ON FUNCTION warden_analytics_rebuild() FROM PUBLIC;

    CREATE TABLE published_statistics (
      org_id uuid NOT NULL REFERENCES organisations(id),
      financial_year integer NOT NULL CHECK (financial_year BETWEEN 2000 AND 2100),
      physical_assaults integer NOT NULL CHECK (physical_assaults >= 0),
      physical_assaults_medical integer NOT NULL CHECK (physical_assaults_medical >= 0),
      staff integer NOT NULL CHECK (staff > 0),
      source text,
      imported_by uuid REFERENCES users(id),
      imported_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, financial_year),
      CHECK (physical_assaults_medical <= physical_assaults)
    );

    CREATE TABLE staff_survey_results (
      org_id uuid NOT NULL REFERENCES organisations(id),
      financial_year integer NOT NULL CHECK (financial_year BETWEEN 2000 AND 2100),
      respondents integer CHECK (respondents > 0),
      physical_violence_public numeric(4,1) NOT NULL CHECK (physical_violence_public BETWEEN 0 AND 100),
      abuse_public numeric(4,1) CHECK (abuse_public BETWEEN 0 AND 100),
      violence_reported numeric(4,1) CHECK (violence_reported BETWEEN 0 AND 100),
      entered_by uuid REFERENCES users(id),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, financial_year)
    );
    CREATE TRIGGER staff_survey_results_touch BEFORE UPDATE ON staff_survey_results FOR EACH ROW EXECUTE FUNCTION warden_touch();
  `)
    .execute(db);

  // Roll-ups are read-only to the application: only the triggers (as the owner) write them.
  for (const table of [
    'incident_rollups',
    'incident_month_rollups',
    'incident_place_rollups',
    'incident_department_rollups',
    'incident_open_rollups',
    'incident_year_rollups',
  ])
    await tenantTable(db, table, 'SELECT');
  await tenantTable(db, 'published_statistics', 'SELECT, INSERT, UPDATE');
  await tenantTable(db, 'staff_survey_results', 'SELECT, INSERT, UPDATE');
  await sql`SELECT warden_analytics_rebuild()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER IF EXISTS incidents_rollup_insert ON incidents;
    DROP TRIGGER IF EXISTS incidents_rollup_update ON incidents;
    DROP TRIGGER IF EXISTS incidents_rollup_delete ON incidents;
    DROP TRIGGER IF EXISTS incidents_rollup_truncate ON incidents;
    DROP TRIGGER IF EXISTS case_sanctions_rollup_insert ON case_sanctions;
    DROP TRIGGER IF EXISTS case_sanctions_rollup_update ON case_sanctions;
    DROP TRIGGER IF EXISTS case_sanctions_rollup_delete ON case_sanctions;
    DROP TRIGGER IF EXISTS case_outcomes_rollup_insert ON case_outcomes;
    DROP TRIGGER IF EXISTS case_outcomes_rollup_update ON case_outcomes;
    DROP TRIGGER IF EXISTS case_outcomes_rollup_delete ON case_outcomes;
    DROP FUNCTION IF EXISTS warden_analytics_rebuild(), warden_incidents_rollup(), warden_incidents_rollup_truncate(),
      warden_sanctions_rollup(), warden_outcomes_rollup();
    DROP TABLE IF EXISTS staff_survey_results, published_statistics, incident_year_rollups, incident_open_rollups,
      incident_department_rollups, incident_place_rollups, incident_month_rollups, incident_rollups;
    DROP FUNCTION IF EXISTS warden_due_on(date, timestamptz), warden_financial_year(timestamptz), warden_month(timestamptz);
  `.execute(db);
}
