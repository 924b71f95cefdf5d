import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { type Client, memberOf, signedIn, testApp } from '../../../test/app.ts';
import { caseInvestigation, department, headcount, incident, organisation, redress, sanction, site, user } from '../../../test/factories.ts';
import { main } from '../../cli.ts';
import { parseCsv } from '../../platform/csv.ts';

/**
 * Analysis and benchmarking (SPEC C4, issue 6): figures on known data compared exactly, including the `004` peer
 * table; and every page and endpoint for anonymous, wrong role, another organisation, bad input and success.
 */
const t = await testApp();
const db = t.db.owner;
const work = await mkdtemp(join(tmpdir(), 'warden-analytics-'));
after(() => rm(work, { recursive: true, force: true }));

const day = 86_400_000;
const at = (iso: string) => new Date(iso);
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

// ---- known data: one acute trust, two years of incidents ---------------------------------------------------------
// FY 2024/25: 69 physical assaults, 62 involving medical factors, among 4,062 staff (the 004 row of West
// Hertfordshire, rate 17.0), and 10 thefts. FY 2025/26: 20 physical assaults (5 with medical factors) and 3 thefts.
const west = await organisation(db, { name: 'West Hertfordshire Hospital NHS Trust', type: 'acute' });
const north = await site(db, { orgId: west.id, name: 'North' });
const south = await site(db, { orgId: west.id, name: 'South' });
const ed = await department(db, { orgId: west.id, siteId: north.id, name: 'Emergency department' });
const ward5 = await department(db, { orgId: west.id, siteId: south.id, name: 'Ward 5' });
await headcount(db, { orgId: west.id, financialYear: 2024, headcount: 4062 });
await headcount(db, { orgId: west.id, financialYear: 2025, headcount: 4100 });
const reporterId = (await user(db, { roles: [[west.id, 'reporter']] })).id;

const assaults2024: string[] = [];
for (let i = 0; i < 69; i++) {
  const occurredAt = plus(at('2024-04-05T10:00:00Z'), i * 5 * day);
  const reportedAt = plus(occurredAt, 3_600_000);
  const closed = i < 20;
  const r = await incident(db, {
    orgId: west.id,
    reportedBy: reporterId,
    category: 'physical_assault',
    occurredAt,
    reportedAt,
    siteId: i % 2 === 0 ? north.id : south.id,
    departmentId: i % 6 === 0 ? ed.id : i % 6 === 3 ? ward5.id : null,
    medicalFactors: i < 62 ? 'yes' : 'no',
    late: i < 7,
    policeInvolved: i % 10 === 0,
    injured: i < 30,
    status: closed ? 'closed' : 'under_investigation',
    closedAt: closed ? plus(reportedAt, 2 * day) : null,
    investigationDueOn: i >= 20 && i < 30 ? '2099-01-01' : null,
  });
  assaults2024.push(r.id);
}
for (let j = 0; j < 10; j++)
  await incident(db, {
    orgId: west.id,
    reportedBy: reporterId,
    category: 'theft',
    medicalFactors: null,
    occurredAt: plus(at('2024-06-15T10:00:00Z'), j * 20 * day),
    reportedAt: plus(at('2024-06-15T11:00:00Z'), j * 20 * day),
    siteId: north.id,
  });
for (let k = 0; k < 20; k++) {
  const occurredAt = plus(at('2025-04-10T10:00:00Z'), k * 15 * day);
  const reportedAt = plus(occurredAt, 3_600_000);
  await incident(db, {
    orgId: west.id,
    reportedBy: reporterId,
    category: 'physical_assault',
    occurredAt,
    reportedAt,
    siteId: south.id,
    departmentId: ward5.id,
    medicalFactors: k < 5 ? 'yes' : 'no',
    status: k < 4 ? 'closed_nfa' : 'triaged',
    closedAt: k < 4 ? plus(reportedAt, 10 * day) : null,
    investigationDueOn: k < 4 ? null : '2099-01-01',
  });
}
for (let k = 0; k < 3; k++)
  await incident(db, {
    orgId: west.id,
    reportedBy: reporterId,
    category: 'theft',
    medicalFactors: null,
    siteId: null,
    occurredAt: at(`2025-05-0${k + 1}T10:00:00Z`),
    reportedAt: at(`2025-05-0${k + 1}T12:00:00Z`),
    investigationDueOn: '2099-01-01',
  });
await sanction(db, { orgId: west.id, incidentId: assaults2024[0] as string });
await sanction(db, { orgId: west.id, incidentId: assaults2024[0] as string, kind: 'civil', sanction: 'injunction' });
await sanction(db, { orgId: west.id, incidentId: assaults2024[1] as string });
await redress(db, { orgId: west.id, incidentId: assaults2024[2] as string, soughtPence: 10_000, recoveredPence: 2_500 });
await redress(db, { orgId: west.id, incidentId: assaults2024[3] as string, soughtPence: 5_000, recoveredPence: 0 });

const period = '?from=2024-04&to=2026-03';
const lsms = await memberOf(t, 'security_specialist', west);
const smd = await memberOf(t, 'smd', west);
const board = await memberOf(t, 'board_viewer', west);
const reporter = await memberOf(t, 'reporter', west);
const elsewhere = await organisation(db, { name: 'Elsewhere Mental Health NHS Trust', type: 'mental_health' });
const otherLsms = await memberOf(t, 'security_specialist', elsewhere);
const assessor = await signedIn(t, [[null, 'national_assessor']], null);
const admin = await signedIn(t, [[null, 'administrator']], null);

type Dashboard = {
  totals: Record<string, number | null>;
  months: { month: string; total: number; byCategory: Record<string, number> }[];
  categories: { category: string; incidents: number; last12: number; previous12: number; change: number | null }[];
  yearOnYear: { last12: number; previous12: number; change: number | null };
  sites: { name: string; incidents: number }[];
  departments: { name: string; incidents: number }[];
  repeatLocations: { location: string; incidents: number; months: number }[];
  years: {
    financialYear: number;
    partial: boolean;
    incidents: number;
    physicalAssaults: number;
    staff: number | null;
    ratePer1000: number | null;
    assaultRatePer1000: number | null;
    change: number | null;
  }[];
};
const json = async <T>(client: Client, url: string): Promise<T> => {
  const res = await client.get(url);
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  return res.json() as T;
};
const dashboardApi = `/api/v1/analytics/organisations/${west.id}/dashboard`;

test('002 std 4.1: the dashboard counts open cases overdue by the case list’s rule: a completed investigation is not overdue work', async () => {
  const org = await organisation(db, { type: 'acute' });
  const team = await memberOf(t, 'security_specialist', org);
  const past = '2026-01-05';
  const recent = new Date(Date.now() - 5 * day);
  const open = async (completedAt: Date | null) => {
    const c = await incident(db, { orgId: org.id, status: 'under_investigation', occurredAt: recent, reportedAt: recent, investigationDueOn: past });
    await caseInvestigation(db, { orgId: org.id, incidentId: c.id, dueOn: past, completedAt });
    return c;
  };
  const waiting = await open(null); // its manager has not finished: overdue
  await open(new Date()); // finished, the case awaiting the LSMS: not overdue
  await incident(db, { orgId: org.id, status: 'triaged', occurredAt: recent, reportedAt: recent }); // reported 5 days ago, none assigned: not yet
  const figures = await json<Dashboard>(team.client, `/api/v1/analytics/organisations/${org.id}/dashboard`);
  assert.equal(figures.totals.open, 3);
  assert.equal(figures.totals.overdue, 1);
  const list = await json<{ total: number; cases: { reference: string }[] }>(team.client, '/api/v1/cases?overdue=1');
  assert.deepEqual(
    list.cases.map((c) => c.reference),
    [waiting.reference],
    'the same cases the list calls overdue',
  );
  // the incident keeps its investigation's completion in step (a trigger), as the figure relies on it
  const completedOn = async () =>
    (await db.selectFrom('incidents').select('investigation_completed_at').where('id', '=', waiting.id).executeTakeFirstOrThrow()).investigation_completed_at;
  await db.updateTable('case_investigations').set({ completed_at: new Date() }).where('incident_id', '=', waiting.id).execute();
  assert.ok(await completedOn());
  assert.equal((await json<Dashboard>(team.client, `/api/v1/analytics/organisations/${org.id}/dashboard`)).totals.overdue, 0, 'done: nothing overdue');
  await db.updateTable('case_investigations').set({ completed_at: null }).where('incident_id', '=', waiting.id).execute();
  assert.equal(await completedOn(), null, 'reopened by a new assignment');
  await db.deleteFrom('case_investigations').where('incident_id', '=', waiting.id).execute();
  assert.equal(await completedOn(), null);
  assert.equal((await json<Dashboard>(team.client, `/api/v1/analytics/organisations/${org.id}/dashboard`)).totals.overdue, 1);
});

describe('the organisation dashboard, on known data', () => {
  test('totals: 102 incidents; 67 of 89 physical assaults with medical factors (75.3%); late, police, injured, open, overdue, closure', async () => {
    const d = await json<Dashboard>(lsms.client, `${dashboardApi}${period}`);
    assert.deepEqual(d.totals, {
      incidents: 102,
      physicalAssaults: 89,
      physicalAssaultsMedical: 67,
      medicalFactorsShare: 75.3,
      late: 7,
      lateShare: 6.9,
      police: 7,
      policeShare: 6.9,
      injured: 30,
      closed: 24,
      // (20 closed after 2 days + 4 after 10) / 24 = 3.33…
      averageDaysToClose: 3.3,
      open: 78,
      // open without a due date, reported more than 30 days ago: 39 assaults and 10 thefts of 2024/25
      overdue: 49,
      sanctions: 3,
      casesSanctioned: 2,
      redressCases: 2,
      redressSoughtPence: 15_000,
      redressRecoveredPence: 2_500,
      redressRecoveredCases: 1,
    });
  });

  test('004: 69 physical assaults among 4,062 staff in 2024/25 is 17.0 per 1,000; all 79 incidents 19.4; 2025/26 down 70.9%', async () => {
    const d = await json<Dashboard>(smd.client, `${dashboardApi}${period}`);
    assert.deepEqual(d.years, [
      {
        financialYear: 2024,
        label: '2024/25',
        partial: false,
        incidents: 79,
        physicalAssaults: 69,
        staff: 4062,
        ratePer1000: 19.4,
        assaultRatePer1000: 17,
        change: null,
      },
      {
        financialYear: 2025,
        label: '2025/26',
        partial: false,
        incidents: 23,
        physicalAssaults: 20,
        staff: 4100,
        ratePer1000: 5.6,
        assaultRatePer1000: 4.9,
        change: -70.9,
      },
    ]);
  });

  test('by month and category, year on year, by site and department, and repeat locations', async () => {
    const d = await json<Dashboard>(board.client, `${dashboardApi}${period}`);
    assert.equal(d.months.length, 24);
    assert.deepEqual(d.months[0], { month: '2024-04', total: 6, byCategory: { physical_assault: 6 } });
    assert.deepEqual(
      d.months.find((m) => m.month === '2025-05'),
      { month: '2025-05', total: 5, byCategory: { physical_assault: 2, theft: 3 } },
    );
    assert.equal(
      d.months.reduce((n, m) => n + m.total, 0),
      102,
    );
    assert.deepEqual(d.yearOnYear, { to: '2026-03', last12: 23, previous12: 79, change: -70.9 });
    assert.deepEqual(
      d.categories.map((c) => [c.category, c.incidents, c.last12, c.previous12, c.change]),
      [
        ['physical_assault', 89, 20, 69, -71],
        ['theft', 13, 3, 10, -70],
      ],
    );
    assert.deepEqual(d.sites, [
      { siteId: south.id, name: 'South', incidents: 54 },
      { siteId: north.id, name: 'North', incidents: 45 },
      { siteId: null, name: 'In the community', incidents: 3 },
    ]);
    assert.deepEqual(d.departments, [
      { departmentId: null, name: 'No department given', incidents: 59 },
      { departmentId: ward5.id, name: 'Ward 5', incidents: 31 },
      { departmentId: ed.id, name: 'Emergency department', incidents: 12 },
    ]);
    assert.deepEqual(
      d.repeatLocations.map((r) => [r.location, r.incidents]),
      [
        ['North', 33],
        ['South: Ward 5', 31],
        ['South', 23],
        ['North: Emergency department', 12],
        ['In the community', 3],
      ],
    );
    assert.equal(d.repeatLocations.find((r) => r.location === 'In the community')?.months, 1);
  });

  test('filters: category, site (or the community) and period narrow every figure; rates are not given for one site', async () => {
    const pa = await json<Dashboard>(lsms.client, `${dashboardApi}${period}&category=physical_assault`);
    assert.equal(pa.totals.incidents, 89);
    assert.equal(pa.totals.overdue, 39);
    assert.deepEqual(
      pa.categories.map((c) => c.category),
      ['physical_assault'],
    );
    assert.equal(pa.years[0]?.assaultRatePer1000, 17);
    const theft = await json<Dashboard>(lsms.client, `${dashboardApi}${period}&category=theft`);
    assert.equal(theft.years[0]?.assaultRatePer1000, null, 'no assault rate when assaults are filtered out');
    const s = await json<Dashboard>(lsms.client, `${dashboardApi}${period}&site=${south.id}`);
    assert.equal(s.totals.incidents, 54);
    assert.equal(s.years[0]?.ratePer1000, null);
    const c = await json<Dashboard>(lsms.client, `${dashboardApi}${period}&site=community`);
    assert.equal(c.totals.incidents, 3);
    const one = await json<Dashboard>(lsms.client, `${dashboardApi}?from=2024-04&to=2024-04`);
    assert.equal(one.totals.incidents, 6);
    assert.equal(one.months.length, 1);
    // the year-on-year comparison always looks at the 24 months to the period's end
    assert.deepEqual(one.yearOnYear, { to: '2024-04', last12: 6, previous12: 0, change: null });
  });

  test('the default period is the 24 months to this month', async () => {
    const d = await json<Dashboard & { period: { from: string; to: string } }>(lsms.client, dashboardApi);
    assert.equal(d.months.length, 24);
    assert.equal(d.period.to, d.months.at(-1)?.month);
  });

  test('bad filters are refused with field messages', async () => {
    for (const [query, field] of [
      ['?from=2026-13', 'from'],
      ['?from=2026-03&to=2025-01', 'to'],
      ['?category=arson', 'category'],
      ['?site=not-a-site', 'site'],
      ['?from=2000-01&to=2026-01', 'from'],
    ] as const) {
      const res = await lsms.client.get(`${dashboardApi}${query}`);
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.match(res.body, new RegExp(`"field":"${field}"`), query);
    }
    const foreignSite = await site(db, { orgId: elsewhere.id });
    const res = await lsms.client.get(`${dashboardApi}?site=${foreignSite.id}`);
    assert.equal(res.statusCode, 400, 'a site of another organisation is not a filter');
  });

  test('the figures hold no incident details: no references, narratives, names or ids of incidents', async () => {
    const res = await lsms.client.get(`${dashboardApi}${period}`);
    assert.doesNotMatch(res.body, /TST-2026|pushed a nurse|narrative|reference/);
    for (const id of assaults2024.slice(0, 5)) assert.ok(!res.body.includes(id));
  });
});

describe('the dashboard page and its exports', () => {
  test('the page draws every chart as SVG with its caption, summary and table, with no inline style, and filters by GET', async () => {
    const res = await lsms.client.get(`/analytics/organisations/${west.id}${period}`);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<h1>Incidents at West Hertfordshire Hospital NHS Trust<\/h1>/);
    for (const id of ['chart-by-month', 'chart-rates', 'chart-by-site', 'chart-by-department']) {
      assert.match(res.body, new RegExp(`<figcaption id="${id}-caption"`));
      assert.match(res.body, new RegExp(`<svg role="img" aria-labelledby="${id}-caption ${id}-summary"`));
      assert.match(res.body, new RegExp(`<p id="${id}-summary"`));
    }
    const svgs = res.body.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    assert.ok(svgs.length >= 4);
    for (const svg of svgs) {
      assert.doesNotMatch(svg, /\sstyle=|<style|<script/);
    }
    assert.match(res.body, /Physical assaults involving medical factors \(004\)\s*<\/td>/);
    assert.match(res.body, /75\.3%/);
    assert.match(res.body, /2024\/25/);
    assert.match(res.body, /17\.0/);
    assert.match(res.body, /href="\/analytics\/organisations\/[^"]+\/export\?from=2024-04&amp;to=2026-03&amp;table=by-site&amp;format=csv"/);
  });

  test('a bad filter shows the page again with an error summary (400)', async () => {
    const res = await lsms.client.get(`/analytics/organisations/${west.id}?from=2026-99`);
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /nhsuk-error-summary/);
    assert.match(res.body, /Month from must be a month in the format YYYY-MM/);
    assert.match(res.body, /href="#from"/);
  });

  test('every table exports to CSV and XLSX with the figures as numbers, and formula-like names escaped', async () => {
    const csv = await lsms.client.get(`/analytics/organisations/${west.id}/export${period}&table=by-site&format=csv`);
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.match(csv.headers['content-disposition'] as string, /attachment; filename="warden-[A-Z0-9]+-2024-04-2026-03-by-site\.csv"/);
    assert.deepEqual(
      parseCsv(csv.body).map((r) => r.cells),
      [
        ['Site', 'Incidents'],
        ['South', '54'],
        ['North', '45'],
        ['In the community', '3'],
      ],
    );
    for (const table of ['summary', 'by-month', 'by-category', 'rates', 'by-site', 'by-department', 'repeat-locations']) {
      const x = await lsms.client.get(`/analytics/organisations/${west.id}/export${period}&table=${table}&format=xlsx`);
      assert.equal(x.statusCode, 200, table);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
      assert.ok((wb.worksheets[0]?.rowCount ?? 0) > 1, table);
    }
    const rates = await lsms.client.get(`/analytics/organisations/${west.id}/export${period}&table=rates&format=csv`);
    assert.deepEqual(parseCsv(rates.body)[1]?.cells, ['2024/25', '79', '69', '4062', '19.4', '17.0', '']);

    const evil = await organisation(db, { type: 'acute' });
    await site(db, { orgId: evil.id, name: '=HYPERLINK("http://x")' });
    await incident(db, { orgId: evil.id, siteId: (await db.selectFrom('sites').select('id').where('org_id', '=', evil.id).executeTakeFirstOrThrow()).id });
    const evilLsms = await memberOf(t, 'security_specialist', evil);
    const escaped = await evilLsms.client.get(`/analytics/organisations/${evil.id}/export?table=by-site&format=csv`);
    assert.match(escaped.body, /"'=HYPERLINK\(""http:\/\/x""\)"/);
    const bad = await lsms.client.get(`/analytics/organisations/${west.id}/export?table=by-site&format=pdf`);
    assert.equal(bad.statusCode, 400);
    const unknown = await lsms.client.get(`/analytics/organisations/${west.id}/export?table=secrets&format=csv`);
    assert.equal(unknown.statusCode, 404);
  });
});

describe('benchmarks (004 peer table)', () => {
  // 004: "NHS SMS – Physical Assaults Against NHS Staff", 2010/11, four acute trusts, imported as published.
  const peers = [
    { name: 'Brighton and Sussex University NHS Foundation Trust', assaults: 129, medical: 93, staff: 6615 },
    { name: 'The Royal Bournemouth and Christchurch Hospitals NHS Foundation Trust', assaults: 82, medical: 64, staff: 4300 },
    { name: 'The Princess Alexandra Hospital NHS Trust', assaults: 43, medical: 42, staff: 3175 },
  ];
  const orgs = [] as { id: string; code: string; name: string }[];
  let mental: { id: string; code: string };

  test('published statistics import through the API: one bad row rejects the file with line-precise messages', async () => {
    for (const p of peers) orgs.push(await organisation(db, { name: p.name, type: 'acute' }));
    mental = await organisation(db, { name: 'Moorside Mental Health NHS Trust', type: 'mental_health' });
    const header = 'code,financial_year,physical_assaults,medical_factors,staff';
    const bad = await admin.client.json('POST', '/api/v1/statistics', {
      csv: [
        header,
        `${west.code},2010/11,69,62,4062`,
        `${orgs[0]?.code},2010/12,129,93,6615`,
        `${orgs[1]?.code},2010,82,90,4300`,
        `ZZZZ9,2010,1,0,10`,
        `${orgs[2]?.code},2010,43,42,0`,
      ].join('\n'),
    });
    assert.equal(bad.statusCode, 400, bad.body);
    const problems = (bad.json() as { errors: { message: string }[] }).errors.map((e) => e.message);
    assert.deepEqual(problems, [
      'line 3, financial_year: Financial year must be a year like 2025, or 2025/26',
      'line 4, medical_factors: Assaults involving medical factors cannot be more than the physical assaults',
      'line 6, staff: Staff must be 1 or more',
    ]);
    const unknown = await admin.client.json('POST', '/api/v1/statistics', { csv: [header, `${west.code},2010,69,62,4062`, 'ZZZZ9,2010,1,0,10'].join('\n') });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.body, /line 3, code: no organisation has the code ZZZZ9/);
    assert.deepEqual(await json(admin.client, '/api/v1/statistics'), [], 'nothing was imported');

    const good = await admin.client.json('POST', '/api/v1/statistics', {
      csv: [
        header,
        `${west.code},2010/11,69,62,"4,062"`,
        ...peers.map((p, i) => `${orgs[i]?.code.toLowerCase()},2010,${p.assaults},${p.medical},${p.staff}`),
        `${mental.code},2010/11,200,150,2000`,
      ].join('\r\n'),
    });
    assert.equal(good.statusCode, 200, good.body);
    assert.deepEqual(good.json(), { rows: 5, organisations: 5, years: [2010] });
    const listed = await json<{ code: string; ratePer1000: number }[]>(admin.client, '/api/v1/statistics');
    assert.equal(listed.find((r) => r.code === west.code)?.ratePer1000, 17);
    const audited = await db.selectFrom('audit_events').select('detail').where('action', '=', 'statistics.import').execute();
    assert.equal(audited.length, 1);
  });

  type Bench = {
    own: { ratePer1000: number; rank: number; percentile: number; medicalFactorsShare: number; source: string } | null;
    peers: {
      ranked: number;
      median: number;
      rows: { organisation: { name: string }; ratePer1000: number; rank: number; percentile: number; physicalAssaults: number }[];
    };
    national: { ranked: number; median: number; rank: number; percentile: number };
    history: { financialYear: number; rate: number | null; peerMedian: number | null; nationalMedian: number | null }[];
  };

  test('004: West Hertfordshire 2010/11 is 17.0 per 1,000, ranked 3 of 4 acute trusts at the 37.5th percentile; median 18.1', async () => {
    const b = await json<Bench>(lsms.client, `/api/v1/analytics/organisations/${west.id}/benchmark?year=2010`);
    assert.deepEqual(
      b.own && { rate: b.own.ratePer1000, rank: b.own.rank, percentile: b.own.percentile, medical: b.own.medicalFactorsShare, source: b.own.source },
      {
        rate: 17,
        rank: 3,
        percentile: 37.5,
        medical: 89.9,
        source: 'published',
      },
    );
    assert.deepEqual(
      b.peers.rows.map((r) => [r.organisation.name, r.physicalAssaults, r.ratePer1000, r.rank, r.percentile]),
      [
        ['Brighton and Sussex University NHS Foundation Trust', 129, 19.5, 1, 87.5],
        ['The Royal Bournemouth and Christchurch Hospitals NHS Foundation Trust', 82, 19.1, 2, 62.5],
        ['West Hertfordshire Hospital NHS Trust', 69, 17, 3, 37.5],
        ['The Princess Alexandra Hospital NHS Trust', 43, 13.5, 4, 12.5],
      ],
    );
    assert.equal(b.peers.median, 18.1);
    assert.equal(b.peers.ranked, 4);
    // nationally, beside a mental-health trust at 100.0: fourth of five, median 19.1
    assert.deepEqual(b.national, { ranked: 5, median: 19.1, rank: 4, percentile: 30 });
  });

  test('a year counted by Warden: 69 physical assaults reported in 2024/25 among 4,062 staff is 17.0, from the roll-ups', async () => {
    const b = await json<Bench>(board.client, `/api/v1/analytics/organisations/${west.id}/benchmark?year=2024/25`);
    assert.equal(b.own?.ratePer1000, 17);
    assert.equal(b.own?.source, 'warden');
    assert.equal(b.own?.medicalFactorsShare, 89.9);
    const y2010 = b.history.find((h) => h.financialYear === 2010);
    assert.deepEqual(y2010, { financialYear: 2010, label: '2010/11', rate: 17, peerMedian: 18.1, nationalMedian: 19.1 });
    assert.ok(b.history.some((h) => h.financialYear === 2024 && h.rate === 17));
  });

  test('published figures, where imported for a year, are the ones benchmarked', async () => {
    const r = await admin.client.json('POST', '/api/v1/statistics', {
      csv: `code,financial_year,physical_assaults,medical_factors,staff\n${west.code},2024,80,70,4000\n`,
    });
    assert.equal(r.statusCode, 200, r.body);
    const b = await json<Bench>(lsms.client, `/api/v1/analytics/organisations/${west.id}/benchmark?year=2024`);
    assert.equal(b.own?.ratePer1000, 20);
    assert.equal(b.own?.source, 'published');
  });

  test('the national assessor sees every organisation ranked by type and nationally; the page links to dashboards', async () => {
    type National = {
      ranked: number;
      median: number;
      rows: { organisation: { id: string; name: string }; rank: number; nationalRank: number }[];
      types: { type: string; median: number | null }[];
    };
    const n = await json<National>(assessor.client, '/api/v1/analytics/national?year=2010');
    assert.equal(n.ranked, 5);
    assert.equal(n.median, 19.1);
    assert.deepEqual(
      n.rows.map((r) => [r.organisation.name, r.nationalRank, r.rank]),
      [
        ['Moorside Mental Health NHS Trust', 1, 1],
        ['Brighton and Sussex University NHS Foundation Trust', 2, 1],
        ['The Royal Bournemouth and Christchurch Hospitals NHS Foundation Trust', 3, 2],
        ['West Hertfordshire Hospital NHS Trust', 4, 3],
        ['The Princess Alexandra Hospital NHS Trust', 5, 4],
      ],
    );
    assert.deepEqual(
      n.types.map((x) => [x.type, x.median]),
      [
        ['acute', 18.1],
        ['ambulance', null],
        ['mental_health', 100],
        ['community', null],
      ],
    );
    const acute = await json<National>(assessor.client, '/api/v1/analytics/national?year=2010&type=acute');
    assert.equal(acute.rows.length, 4);
    const page = await assessor.client.get('/analytics/national?year=2010');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`href="/analytics/organisations/${west.id}"`));
    assert.match(page.body, /<svg role="img" aria-labelledby="chart-types-caption chart-types-summary"/);
    const csv = await assessor.client.get('/analytics/national/export?year=2010&table=organisations&format=csv');
    assert.equal(parseCsv(csv.body).length, 6);
    // the assessor may open any organisation's dashboard and benchmark
    assert.equal((await assessor.client.get(`${dashboardApi}${period}`)).statusCode, 200);
    assert.equal((await assessor.client.get(`/analytics/organisations/${west.id}/benchmark?year=2010`)).statusCode, 200);
  });

  test('benchmark pages: the summary, the peers chart with the organisation highlighted, the history; a bad year is a 400', async () => {
    const res = await lsms.client.get(`/analytics/organisations/${west.id}/benchmark?year=2010`);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /3 of 4 \(percentile 37\.5\)/);
    assert.match(res.body, /fill="#ed8b00"/);
    assert.match(res.body, /aria-labelledby="chart-history-caption chart-history-summary"/);
    const bad = await lsms.client.get(`/analytics/organisations/${west.id}/benchmark?year=1999`);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Financial year must be 2000 or later/);
    const x = await lsms.client.get(`/analytics/organisations/${west.id}/benchmark/export?year=2010&table=peers&format=csv`);
    assert.deepEqual(parseCsv(x.body)[3]?.cells, ['West Hertfordshire Hospital NHS Trust', '69', '62', '89.9', '4062', '17.0', '3', '37.5', 'Published']);
  });

  test('a commissioner sees its commissioned providers’ aggregates only, never another provider’s, never a case', async () => {
    const ccg = await organisation(db, { type: 'commissioner' });
    await db.insertInto('commissioning').values({ commissioner_org_id: ccg.id, provider_org_id: west.id, from_year: 2010 }).execute();
    const commissioner = await memberOf(t, 'commissioner', ccg);
    const p = await json<{ commissioned: number; rows: { organisation: { id: string }; ratePer1000: number }[] }>(
      commissioner.client,
      '/api/v1/analytics/providers?year=2010',
    );
    assert.equal(p.commissioned, 1);
    assert.deepEqual(
      p.rows.map((r) => [r.organisation.id, r.ratePer1000]),
      [[west.id, 17]],
    );
    const d = await json<Dashboard>(commissioner.client, `/api/v1/analytics/providers/${west.id}/dashboard${period}`);
    assert.equal(d.totals.incidents, 102);
    assert.equal((await commissioner.client.get(`/api/v1/analytics/providers/${elsewhere.id}/dashboard`)).statusCode, 404);
    assert.equal((await commissioner.client.get(`/analytics/providers/${elsewhere.id}`)).statusCode, 404);
    assert.equal((await commissioner.client.get(`/analytics/providers/${west.id}${period}`)).statusCode, 200);
    assert.equal((await commissioner.client.get(`/analytics/providers/${west.id}/export${period}&table=by-month&format=csv`)).statusCode, 200);
    assert.equal((await commissioner.client.get(`${dashboardApi}`)).statusCode, 403, 'not through the organisation route');
    assert.equal((await commissioner.client.get(`/api/v1/cases`)).statusCode, 403, 'and never the cases');
    const page = await commissioner.client.get('/analytics/providers?year=2010');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`href="/analytics/providers/${west.id}"`));
    assert.equal((await commissioner.client.get('/analytics/providers/export?year=2010&table=organisations&format=xlsx')).statusCode, 200);
  });

  test('a non-provider organisation has no benchmark (404)', async () => {
    const ccg = await organisation(db, { type: 'commissioner' });
    const c = await signedIn(t, [[null, 'national_assessor']], null);
    assert.equal((await c.client.get(`/api/v1/analytics/organisations/${ccg.id}/benchmark`)).statusCode, 404);
  });
});

describe('perception and reality (000 §8.2)', () => {
  test('staff-survey figures entered for a year sit beside the reported rate; the change is audited', async () => {
    const put = await lsms.client.json('PUT', `/api/v1/analytics/organisations/${west.id}/perception/2025`, {
      physicalViolencePublic: 14.2,
      abusePublic: 27.5,
      violenceReported: 68,
      respondents: 1800,
    });
    assert.equal(put.statusCode, 200, put.body);
    const p = await json<{ years: Record<string, unknown>[] }>(board.client, `/api/v1/analytics/organisations/${west.id}/perception`);
    const y2025 = p.years.find((y) => y.financialYear === 2025);
    assert.deepEqual(y2025, {
      financialYear: 2025,
      label: '2025/26',
      physicalViolencePublic: 14.2,
      abusePublic: 27.5,
      violenceReported: 68,
      respondents: 1800,
      surveyPer1000: 142,
      // 20 physical assaults among 4,100 staff
      reportedRatePer1000: 4.9,
      source: 'warden',
    });
    const audited = await db.selectFrom('audit_events').select(['actor_id', 'object_id']).where('action', '=', 'survey.set').execute();
    assert.deepEqual(audited, [{ actor_id: lsms.user.id, object_id: `${west.id}/2025` }]);
  });

  test('the form records figures with post/redirect/get, and shows its errors in a summary', async () => {
    const bad = await smd.client.post(`/analytics/organisations/${west.id}/perception`, {
      financialYear: '2023/25',
      physicalViolencePublic: '101',
      abusePublic: '12.25',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /nhsuk-error-summary/);
    assert.match(bad.body, /Financial year must be a year like 2025, or 2025\/26/);
    assert.match(bad.body, /must be between 0 and 100/);
    assert.match(bad.body, /at most one decimal place/);
    const ok = await smd.client.post(`/analytics/organisations/${west.id}/perception`, { financialYear: '2024/25', physicalViolencePublic: '15%' });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, `/analytics/organisations/${west.id}/perception?saved=1#figures`);
    const page = await smd.client.get(ok.headers.location as string);
    assert.match(page.body, /The staff-survey figures have been saved/);
    assert.match(page.body, /aria-labelledby="chart-perception-caption chart-perception-summary"/);
    assert.match(page.body, /2024\/25: 150 per 1,000 staff said they experienced physical violence/);
    const noCsrf = await smd.client.post(
      `/analytics/organisations/${west.id}/perception`,
      { financialYear: '2024', physicalViolencePublic: '15' },
      { csrf: false },
    );
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(
      (await board.client.get(`/analytics/organisations/${west.id}/perception`)).body.includes('Save the figures'),
      false,
      'the board reads, does not enter',
    );
  });
});

describe('imports from the command line and the statistics page', () => {
  async function warden(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`), env: { DATABASE_URL: t.db.url, WARDEN_DATA_DIR: work } });
    return { code, out, err };
  }

  test('warden import statistics imports a good file and rejects a bad one with line numbers, writing nothing', async () => {
    const a = await organisation(db, { type: 'ambulance' });
    const good = join(work, 'stats.csv');
    await writeFile(good, `code,financial_year,physical_assaults,medical_factors,staff\n${a.code},2011/12,30,2,4500\n${a.code},2012,28,3,4400\n`);
    const r = await warden('import', 'statistics', good);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Imported .*stats\.csv: 2 row\(s\) for 1 organisation\(s\), 2011\/12 to 2012\/13\./);
    const rows = await db
      .selectFrom('published_statistics')
      .select(['financial_year', 'physical_assaults', 'source'])
      .where('org_id', '=', a.id)
      .orderBy('financial_year')
      .execute();
    assert.deepEqual(rows, [
      { financial_year: 2011, physical_assaults: 30, source: 'stats.csv' },
      { financial_year: 2012, physical_assaults: 28, source: 'stats.csv' },
    ]);
    const bad = join(work, 'bad.csv');
    await writeFile(
      bad,
      `code,financial_year,physical_assaults,medical_factors,staff\n${a.code},2013,30,2,4500\n${a.code},2013,31,2,4500\n${a.code},2014,x,2,4500\n`,
    );
    const refused = await warden('import', 'statistics', bad);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^ {2}- line 3: [A-Z0-9]+ 2013\/14 is already on line 2$/m);
    assert.match(refused.err, /^ {2}- line 4, physical_assaults: Physical assaults must be a whole number|Enter the number of physical assaults/m);
    assert.equal((await db.selectFrom('published_statistics').select('financial_year').where('org_id', '=', a.id).execute()).length, 2);
    const usage = await warden('import', 'statistics');
    assert.equal(usage.code, 2);
    assert.match(usage.err, /Usage: warden import statistics FILE\.csv/);
    const header = join(work, 'header.csv');
    await writeFile(header, 'organisation,year\nX,2010\n');
    assert.match((await warden('import', 'statistics', header)).err, /line 1: the header row must name the columns/);
  });

  test('warden import survey imports staff-survey figures', async () => {
    const file = join(work, 'survey.csv');
    await writeFile(file, `code,financial_year,physical_violence_public,abuse_public,violence_reported,respondents\n${west.code},2023/24,13.9,,,\n`);
    const r = await warden('import', 'survey', file);
    assert.equal(r.code, 0, r.err);
    const p = await json<{ years: { financialYear: number; physicalViolencePublic: number | null }[] }>(
      lsms.client,
      `/api/v1/analytics/organisations/${west.id}/perception`,
    );
    assert.equal(p.years.find((y) => y.financialYear === 2023)?.physicalViolencePublic, 13.9);
  });

  test('the statistics page imports an uploaded CSV (multipart, with CSRF) and lists what was imported', async () => {
    const a = await organisation(db, { type: 'community', name: 'Upload Community Trust' });
    const page = await admin.client.get('/statistics');
    assert.equal(page.statusCode, 200);
    const csrf = /<meta name="csrf-token" content="([^"]*)"/.exec(page.body)?.[1] ?? '';
    const send = (kind: string, name: string, data: string, token = csrf) => {
      const boundary = `----warden${randomUUID()}`;
      const payload = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n`),
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n${kind}\r\n`),
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n${data}\r\n--${boundary}--\r\n`,
        ),
      ]);
      return t.app.inject({
        method: 'POST',
        url: '/statistics',
        payload,
        headers: { cookie: admin.client.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      });
    };
    const bad = await send('statistics', 'bad.csv', `code,financial_year,physical_assaults,medical_factors,staff\n${a.code},2015,5,9,100\n`);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /line 2, medical_factors: Assaults involving medical factors cannot be more than the physical assaults/);
    assert.match(bad.body, /href="#file"/);
    const ok = await send('statistics', 'good.csv', `code,financial_year,physical_assaults,medical_factors,staff\n${a.code},2015,5,1,100\n`);
    assert.equal(ok.statusCode, 303, ok.body);
    assert.equal(ok.headers.location, '/statistics?imported=1');
    const listed = await admin.client.get('/statistics?imported=1');
    assert.match(listed.body, /Upload Community Trust/);
    assert.match(listed.body, /50\.0/);
    const forged = await send('statistics', 'good.csv', `code,financial_year,physical_assaults,medical_factors,staff\n${a.code},2016,5,1,100\n`, 'forged');
    assert.equal(forged.statusCode, 403);
    const noFile = await admin.client.post('/statistics', { kind: 'statistics' });
    assert.equal(noFile.statusCode, 400);
    assert.match(noFile.body, /Select a CSV file to import/);
    const x = await admin.client.get('/statistics/export?table=published&format=csv');
    assert.match(x.body, /Upload Community Trust/);
  });
});

describe('who may see what: every endpoint for anonymous, wrong role, another organisation, bad input and success', () => {
  const org = west.id;
  const reads: { url: string; bad: string; who: () => Client }[] = [
    { url: `/api/v1/analytics/organisations/${org}/dashboard`, bad: '?from=x', who: () => lsms.client },
    { url: `/api/v1/analytics/organisations/${org}/benchmark`, bad: '?year=20x0', who: () => smd.client },
    { url: `/analytics/organisations/${org}`, bad: '?to=2026-00', who: () => board.client },
    { url: `/analytics/organisations/${org}/benchmark`, bad: '?year=abc', who: () => board.client },
    { url: `/analytics/organisations/${org}/export`, bad: '?table=summary&format=doc', who: () => lsms.client },
    { url: `/analytics/organisations/${org}/benchmark/export`, bad: '?table=peers&format=doc', who: () => lsms.client },
    { url: `/analytics/organisations/${org}/perception/export`, bad: '?table=perception&format=doc', who: () => lsms.client },
  ];
  const ok = (url: string) =>
    url.includes('/export') ? `${url}?table=${url.includes('benchmark') ? 'peers' : url.includes('perception') ? 'perception' : 'summary'}&format=csv` : url;

  for (const r of reads) {
    test(`GET ${r.url.replace(org, ':id')}`, async () => {
      const anon = await t.app.inject({ method: 'GET', url: ok(r.url) });
      assert.ok(
        r.url.startsWith('/api/') ? anon.statusCode === 401 : anon.statusCode === 302 && /^\/sign-in/.test(anon.headers.location as string),
        `anonymous: ${anon.statusCode}`,
      );
      assert.equal((await reporter.client.get(ok(r.url))).statusCode, 403, 'a reporter');
      assert.equal((await otherLsms.client.get(ok(r.url))).statusCode, 403, 'another organisation’s security specialist');
      assert.equal((await r.who().get(`${r.url}${r.bad}`)).statusCode, 400, 'bad input');
      assert.equal((await r.who().get(ok(r.url))).statusCode, 200, 'success');
    });
  }

  test('GET /analytics/organisations/:id/perception and GET /api/v1/.../perception (no input to get wrong)', async () => {
    for (const url of [`/analytics/organisations/${org}/perception`, `/api/v1/analytics/organisations/${org}/perception`]) {
      const anon = await t.app.inject({ method: 'GET', url });
      assert.ok([401, 302].includes(anon.statusCode));
      assert.equal((await reporter.client.get(url)).statusCode, 403);
      assert.equal((await otherLsms.client.get(url)).statusCode, 403);
      assert.equal((await board.client.get(url)).statusCode, 200);
    }
    assert.equal((await lsms.client.get(`/api/v1/analytics/organisations/${randomUUID()}/perception`)).statusCode, 403, 'an organisation not one’s own');
    assert.equal((await assessor.client.get(`/api/v1/analytics/organisations/${randomUUID()}/perception`)).statusCode, 404, 'one that does not exist');
  });

  test('PUT /api/v1/analytics/organisations/:id/perception/:year and POST the form', async () => {
    const url = `/api/v1/analytics/organisations/${org}/perception/2022`;
    const body = { physicalViolencePublic: 12.5 };
    const anon = await t.app.inject({ method: 'PUT', url, payload: body });
    assert.equal(anon.statusCode, 401);
    assert.equal((await board.client.json('PUT', url, body)).statusCode, 403, 'the board reads only');
    assert.equal((await otherLsms.client.json('PUT', url, body)).statusCode, 403);
    assert.equal((await lsms.client.json('PUT', url, { physicalViolencePublic: -1 })).statusCode, 400);
    assert.equal((await lsms.client.json('PUT', `/api/v1/analytics/organisations/${org}/perception/1990`, body)).statusCode, 400);
    assert.equal((await lsms.client.json('PUT', url, body)).statusCode, 200);
    assert.equal((await admin.client.json('PUT', url, body)).statusCode, 403, 'a deployment administrator imports files instead');
    assert.equal(
      (await reporter.client.post(`/analytics/organisations/${org}/perception`, { financialYear: '2022', physicalViolencePublic: '1' })).statusCode,
      403,
    );
  });

  test('GET /analytics leads each reader to their own analysis page, or says they have none', async () => {
    const anon = await t.app.inject({ method: 'GET', url: '/analytics' });
    assert.ok(anon.statusCode === 302 && /^\/sign-in/.test(anon.headers.location as string), `anonymous: ${anon.statusCode}`);
    const lands = async (c: Client) => {
      const r = await c.get('/analytics');
      return [r.statusCode, r.headers.location];
    };
    assert.deepEqual(await lands(lsms.client), [303, `/analytics/organisations/${org}`]);
    assert.deepEqual(await lands(board.client), [303, `/analytics/organisations/${org}`]);
    assert.deepEqual(await lands(assessor.client), [303, '/analytics/national']);
    assert.deepEqual(await lands(admin.client), [303, '/statistics'], 'a deployment administrator imports the published statistics');
    const commissioner = await memberOf(t, 'commissioner', await organisation(db, { type: 'commissioner' }));
    assert.deepEqual(await lands(commissioner.client), [303, '/analytics/providers']);
    const none = await reporter.client.get('/analytics');
    assert.equal(none.statusCode, 200, 'a reporter is told what analysis is and who sees it');
    assert.match(none.body, /Your roles do not include it/);
    assert.doesNotMatch(none.body, /href="\/analytics\//, 'and is not sent to a page they cannot open');
    // covering two trusts, and not yet acting for either: choose one, then on to its dashboard
    const both = await signedIn(
      t,
      [
        [west.id, 'security_specialist'],
        [elsewhere.id, 'security_specialist'],
      ],
      null,
    );
    const choose = await both.client.get('/analytics');
    assert.equal(choose.statusCode, 302);
    assert.equal(choose.headers.location, `/choose-organisation?next=${encodeURIComponent('/analytics')}`);
  });

  test('GET /api/v1/analytics/national and /analytics/national[/export]: national assessors only', async () => {
    for (const url of ['/api/v1/analytics/national', '/analytics/national', '/analytics/national/export?table=types&format=csv']) {
      const anon = await t.app.inject({ method: 'GET', url });
      assert.ok([401, 302].includes(anon.statusCode), url);
      assert.equal((await lsms.client.get(url)).statusCode, 403, url);
      assert.equal((await admin.client.get(url)).statusCode, 403, url);
      assert.equal((await assessor.client.get(url)).statusCode, 200, url);
    }
    assert.equal((await assessor.client.get('/api/v1/analytics/national?type=hospice')).statusCode, 400);
    assert.equal((await assessor.client.get('/analytics/national?year=19')).statusCode, 400);
  });

  test('GET /api/v1/analytics/providers[/:id/dashboard] and the pages: commissioners only', async () => {
    const ccg = await organisation(db, { type: 'commissioner' });
    const commissioner = await memberOf(t, 'commissioner', ccg);
    for (const url of ['/api/v1/analytics/providers', '/analytics/providers', '/analytics/providers/export?table=types&format=csv']) {
      const anon = await t.app.inject({ method: 'GET', url });
      assert.ok([401, 302].includes(anon.statusCode), url);
      assert.equal((await lsms.client.get(url)).statusCode, 403, url);
      assert.equal((await assessor.client.get(url)).statusCode, 403, url);
      assert.equal((await commissioner.client.get(url)).statusCode, 200, url);
    }
    assert.equal((await commissioner.client.get('/api/v1/analytics/providers?year=x')).statusCode, 400);
    const dash = `/api/v1/analytics/providers/${west.id}/dashboard`;
    assert.equal((await t.app.inject({ method: 'GET', url: dash })).statusCode, 401);
    assert.equal((await lsms.client.get(dash)).statusCode, 403);
    assert.equal((await commissioner.client.get(dash)).statusCode, 404, 'a provider it does not commission');
    assert.equal((await commissioner.client.get(`${dash}?from=bad`)).statusCode, 400);
  });

  test('GET and POST /api/v1/statistics, POST /api/v1/statistics/staff-survey, GET /statistics: deployment administrators only', async () => {
    const localAdmin = await memberOf(t, 'administrator', west);
    for (const [method, url] of [
      ['GET', '/api/v1/statistics'],
      ['POST', '/api/v1/statistics'],
      ['POST', '/api/v1/statistics/staff-survey'],
      ['GET', '/statistics'],
    ] as const) {
      const send = (c: Client) => (method === 'GET' ? c.get(url) : c.json('POST', url, { csv: 'code,financial_year\n' }));
      const anon = await t.app.inject({ method, url, payload: method === 'POST' ? { csv: '' } : undefined });
      assert.ok([401, 302].includes(anon.statusCode), url);
      assert.equal((await send(localAdmin.client)).statusCode, 403, `${url}: an organisation's administrator`);
      assert.equal((await send(assessor.client)).statusCode, 403, `${url}: a national assessor`);
      assert.equal((await send(admin.client)).statusCode, method === 'GET' ? 200 : 400, url);
    }
    assert.equal((await admin.client.json('POST', '/api/v1/statistics', { file: 'x' })).statusCode, 400);
    const survey = await admin.client.json('POST', '/api/v1/statistics/staff-survey', {
      csv: `code,financial_year,physical_violence_public\n${west.code},2021,12.0\n`,
    });
    assert.equal(survey.statusCode, 200, survey.body);
    assert.deepEqual(survey.json(), { rows: 1, organisations: 1, years: [2021] });
  });
});
