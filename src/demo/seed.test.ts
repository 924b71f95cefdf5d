import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { Client, testApp } from '../../test/app.ts';
import { testDatabase } from '../../test/db.ts';
import { organisation, session, user } from '../../test/factories.ts';
import { assertRollupsMatch } from '../../test/rollups.ts';
import type { Database } from '../db/database.ts';
import { financialYearOf } from '../domain/analytics.ts';
import { londonYear, parseReference } from '../domain/incidents.ts';
import { addMonths, londonToday } from '../domain/markers.ts';
import { analyticsService } from '../features/analytics/service.ts';
import { casesListService } from '../features/cases-list/service.ts';
import { verifyPassword } from '../features/identity/passwords.ts';
import { markersService } from '../features/markers/service.ts';
import { canonicalJson } from '../features/self-review/service.ts';
import type { Actor, Role } from '../platform/access/roles.ts';
import { BUNDLED_FRAMEWORKS, loadFramework } from '../standards/load.ts';
import { type DemoProvider, generateDemoIncidents } from './incidents.ts';
import { DEMO_ORGS, DEMO_PASSWORD, DEMO_USERS, isDemo, seedDemo } from './seed.ts';

const COUNTED = [
  'organisations',
  'sites',
  'departments',
  'staff_headcounts',
  'users',
  'user_roles',
  'audit_events',
  'incidents',
  'incident_reference_counters',
  'case_sanctions',
  'standards_frameworks',
  'published_statistics',
  'staff_survey_results',
  'commissioning',
] as const;
type Counted = (typeof COUNTED)[number];
async function counts(db: Database) {
  const out: Partial<Record<Counted, number>> = {};
  for (const table of COUNTED) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out as Record<Counted, number>;
}

const db = await testDatabase();

describe('demo data set', () => {
  test('seeds organisations of every type with sites, departments, headcounts and one account per kind of user', async () => {
    assert.equal(await isDemo(db.app), false);
    assert.equal(await seedDemo(db.app), true);
    assert.equal(await isDemo(db.app), true);

    const orgs = await db.owner.selectFrom('organisations').select(['id', 'code', 'type']).execute();
    assert.deepEqual(orgs.map((o) => o.type).sort(), ['acute', 'ambulance', 'commissioner', 'community', 'mental_health', 'national_body']);
    assert.ok(
      orgs.every((o) => o.code.startsWith('X')),
      'invented codes, not real ODS codes',
    );
    for (const org of orgs) {
      const [sites, departments, headcounts] = await Promise.all([
        db.owner.selectFrom('sites').select('id').where('org_id', '=', org.id).execute(),
        db.owner.selectFrom('departments').select(['site_id']).where('org_id', '=', org.id).execute(),
        db.owner.selectFrom('staff_headcounts').select(['financial_year', 'headcount']).where('org_id', '=', org.id).orderBy('financial_year').execute(),
      ]);
      assert.ok(sites.length >= 1, `${org.code} has a site`);
      assert.ok(departments.length >= 1, `${org.code} has departments`);
      const year = financialYearOf(new Date());
      assert.deepEqual(
        headcounts.map((h) => h.financial_year),
        [year - 4, year - 3, year - 2, year - 1, year],
        `${org.code} has five years of headcounts, to this one`,
      );
      assert.ok(
        headcounts.every((h) => h.headcount > 0),
        `${org.code} headcounts are positive`,
      );
    }
    const mentalHealth = orgs.find((o) => o.type === 'mental_health');
    const community = await db.owner
      .selectFrom('departments')
      .select('name')
      .where('org_id', '=', mentalHealth?.id as string)
      .where('site_id', 'is', null)
      .execute();
    assert.ok(community.length > 0, 'community services have no single site');
    assert.ok(await db.owner.selectFrom('sites').select('id').where('is_large', '=', true).executeTakeFirst(), 'some sites are large');

    const users = await db.owner.selectFrom('users').select(['id', 'email', 'password_hash']).execute();
    const accounts = users.filter((u) => u.password_hash !== null);
    assert.deepEqual(accounts.map((u) => u.email).sort(), DEMO_USERS.map((u) => u.email).sort(), 'only the listed demo accounts can sign in');
    assert.ok(users.length > accounts.length, 'invented staff who reported incidents, without a password');
    assert.ok(
      users.every((u) => u.email.endsWith('@demo.warden.invalid')),
      'demo addresses cannot reach anyone',
    );
    assert.equal(await verifyPassword(accounts[0]?.password_hash, DEMO_PASSWORD), true);
    const roles = await db.owner.selectFrom('user_roles').select('role').distinct().execute();
    assert.deepEqual(
      roles.map((r) => r.role).sort(),
      ['administrator', 'board_viewer', 'commissioner', 'manager', 'national_assessor', 'reporter', 'security_specialist', 'smd'],
      'one account or more for every role',
    );
    const seeded = await db.owner.selectFrom('audit_events').select('detail').where('action', '=', 'instance.demo_seeded').execute();
    assert.equal(seeded.length, 1, 'seeding is audited once');
    const detail = seeded[0]?.detail as Record<string, unknown>;
    assert.deepEqual(
      { via: detail.via, organisations: detail.organisations, users: detail.users, frameworks: detail.frameworks },
      { via: 'cli', organisations: DEMO_ORGS.length, users: DEMO_USERS.length, frameworks: BUNDLED_FRAMEWORKS.length },
    );
    const incidents = await db.owner
      .selectFrom('incidents')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(detail.incidents, Number(incidents.n), 'the audit event says how many incidents were loaded');
    const loads = await db.owner.selectFrom('audit_events').select('detail').where('action', '=', 'standards.load').execute();
    assert.equal(loads.length, BUNDLED_FRAMEWORKS.length, 'each framework load is audited as an administrator’s is');
  });

  test('seeding again changes nothing', async () => {
    const before = await counts(db.owner);
    assert.ok(before.organisations > 0, 'runs after the first seeding');
    assert.equal(await seedDemo(db.app), false);
    assert.deepEqual(await counts(db.owner), before);
  });

  test('refuses a database that holds real organisations or users, and writes nothing', async () => {
    for (const make of [(d: Database) => organisation(d), (d: Database) => user(d, { roles: [[null, 'administrator']] })]) {
      const real = await testDatabase();
      await make(real.owner);
      const before = await counts(real.owner);
      await assert.rejects(seedDemo(real.app), /already holds organisations or users that are not demo data/);
      assert.deepEqual(await counts(real.owner), before);
      assert.equal(await isDemo(real.app), false, 'the real instance is not marked as a demo');
    }
  });
});

describe('demo banner', () => {
  test('every page of a demo instance says it is demo data, and a normal instance does not', async () => {
    const demo = await testApp({ demo: true });
    await seedDemo(demo.db.app); // set-up is over once the demo accounts exist
    const normal = await testApp();
    await user(normal.db.owner, { roles: [[null, 'administrator']] });
    for (const url of ['/accessibility', '/', '/no-such-page']) {
      const page = await new Client(demo.app).get(url);
      assert.match(page.body, /<strong class="nhsuk-tag nhsuk-tag--orange">\s*Demo\s*<\/strong>/, url);
      assert.match(page.body, /<strong>Demo data\.<\/strong> Every organisation, person and incident here is invented\. Do not enter real information\./, url);
      const other = await new Client(normal.app).get(url);
      assert.doesNotMatch(other.body, /Demo data|nhsuk-tag--orange/, url);
    }
  });
});

describe('demo activity', async () => {
  const t = await testApp({ demo: true });
  const analytics = analyticsService(t.db.app);
  const now = new Date();
  await seedDemo(t.db.app, { now });
  const orgs = new Map((await t.db.owner.selectFrom('organisations').select(['id', 'code', 'type']).execute()).map((o) => [o.code, o]));
  const orgId = (code: string) => orgs.get(code)?.id as string;
  /** A demo account acting for an organisation, as its session would make it. */
  async function actor(email: string, code: string | null, roles: Role[]): Promise<Actor & { kind: 'user' }> {
    const u = await t.db.owner.selectFrom('users').select(['id', 'name', 'email']).where('email', '=', email).executeTakeFirstOrThrow();
    const orgScoped = roles.filter((r) => r !== 'national_assessor');
    return {
      kind: 'user',
      userId: u.id,
      name: u.name,
      email: u.email,
      orgId: code ? orgId(code) : null,
      roles: orgScoped,
      globalRoles: roles.filter((r) => r === 'national_assessor'),
    };
  }
  const lsms = await actor('lsms@demo.warden.invalid', 'XMH', ['security_specialist']);

  test('the LSMS’s dashboard shows incidents, closures, sanctions and late reports', async () => {
    const dashboard = await analytics.dashboard(lsms, orgId('XMH'), {}, now);
    const totals = dashboard.totals;
    assert.ok(totals.incidents > 100, `a year of a mental-health trust's incidents, got ${totals.incidents}`);
    assert.ok(totals.physicalAssaults > 0 && totals.physicalAssaultsMedical > 0, 'physical assaults, some involving medical factors (004)');
    assert.ok(totals.physicalAssaultsMedical < totals.physicalAssaults, 'not every assault involves medical factors');
    assert.ok(totals.closed > 0 && totals.averageDaysToClose !== null, 'closed cases with a time to closure');
    assert.ok(totals.open > 0 && totals.late > 0 && totals.police > 0, 'open cases, late reports and police involvement');
    assert.ok(totals.late < totals.incidents / 3, 'most reports are made in time');
    assert.ok(dashboard.sites.length > 1, 'incidents are spread over the sites');

    const sanctions = await t.db.owner
      .selectFrom('case_sanctions')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    assert.ok(Number(sanctions.n) > 0, 'some cases ended in a sanction (002 std 4.2)');
    const page = await new Client(t.app, await session(t.db.owner, { id: lsms.userId, roles: [[orgId('XMH'), 'security_specialist']] })).get(
      `/analytics/organisations/${orgId('XMH')}`,
    );
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Physical assault/);
  });

  test("the caseload looks like a working team's: a few overdue cases, and the manager's investigations mostly done", async () => {
    const cases = casesListService(t.db.app);
    const home = await cases.waiting(lsms, now);
    assert.ok(home?.scope === 'organisation');
    const open = Number(
      (
        await t.db.owner
          .selectFrom('incidents')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('org_id', '=', orgId('XMH'))
          .where('status', 'not in', ['closed', 'closed_nfa'])
          .executeTakeFirstOrThrow()
      ).n,
    );
    assert.ok(home.overdue > 0, 'some overdue work, for the overdue list and escalation to show');
    assert.ok(home.overdue < open / 4, `a few of the ${open} open cases overdue, not most: ${home.overdue}`);
    const manager = await actor('manager@demo.warden.invalid', 'XMH', ['manager', 'reporter']);
    const theirs = await cases.waiting(manager, now);
    assert.ok(theirs?.scope === 'assigned');
    assert.ok(
      theirs.toInvestigate > 0 && theirs.overdue < theirs.toInvestigate,
      `investigations to complete ${theirs.toInvestigate}, overdue ${theirs.overdue}`,
    );
    const fresh = await t.db.owner
      .selectFrom('incidents')
      .select(['reference', 'status'])
      .where('reported_at', '>', new Date(now.getTime() - 23 * 3_600_000))
      .execute();
    assert.deepEqual(
      fresh.filter((r) => r.status !== 'reported'),
      [],
      'a report from the last day is not yet triaged',
    );
  });

  test('mental-health trusts report far more physical assaults per member of staff than the others (004, bench/national.ts)', async () => {
    const rate = async (code: string) => {
      const [pa, staff] = await Promise.all([
        t.db.owner
          .selectFrom('incidents')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('org_id', '=', orgId(code))
          .where('category', '=', 'physical_assault')
          .executeTakeFirstOrThrow(),
        t.db.owner
          .selectFrom('staff_headcounts')
          .select('headcount')
          .where('org_id', '=', orgId(code))
          .orderBy('financial_year', 'desc')
          .executeTakeFirstOrThrow(),
      ]);
      return Number(pa.n) / staff.headcount;
    };
    const mh = await rate('XMH');
    for (const code of ['XAC', 'XAM', 'XCO']) assert.ok(mh > 3 * (await rate(code)), `XMH's rate is several times ${code}'s`);
    for (const code of ['XIC', 'XNB'])
      assert.equal(
        (await t.db.owner.selectFrom('incidents').select('id').where('org_id', '=', orgId(code)).execute()).length,
        0,
        `${code} is not a provider and reports no incidents`,
      );
  });

  test('every roll-up equals a direct count of the seeded incidents, sanctions and redress', async () => {
    await assertRollupsMatch(t.db.owner, 'after seeding the demo');
  });

  test('every closed demo case has its lessons learned, kept as its closure, as closing a case requires (000 §6.1.5)', async () => {
    const closed = await t.db.owner
      .selectFrom('incidents as i')
      .leftJoin('case_closures as c', (j) => j.onRef('c.incident_id', '=', 'i.id').onRef('c.org_id', '=', 'i.org_id'))
      .select(['i.id', 'i.status', 'i.lessons_learned', 'c.lessons_learned as kept', 'c.to_status'])
      .where('i.status', 'in', ['closed', 'closed_nfa'])
      .execute();
    assert.ok(closed.length > 100, `the demo closes many cases (${closed.length})`);
    for (const c of closed) {
      assert.ok(c.lessons_learned, `case ${c.id} has lessons learned`);
      assert.equal(c.kept, c.lessons_learned, `case ${c.id}'s closure keeps them`);
      assert.equal(c.to_status, c.status, `case ${c.id}'s closure says how it closed`);
    }
  });

  test('references are unique and a new report gets the next number from the counter', async () => {
    const refs = await t.db.owner.selectFrom('incidents').select(['org_id', 'reference']).where('org_id', '=', orgId('XMH')).execute();
    assert.equal(new Set(refs.map((r) => r.reference)).size, refs.length, 'references are unique');
    const year = londonYear(new Date());
    const highest = Math.max(
      0,
      ...refs
        .map((r) => parseReference(r.reference))
        .filter((p) => p?.year === year)
        .map((p) => p?.sequence ?? 0),
    );
    assert.ok(highest > 0, 'the demo holds reports made this year');

    const nurse = await actor('nurse@demo.warden.invalid', 'XMH', ['reporter']);
    const made = await t.services.incidents.submit(nurse, {
      category: 'non_physical_assault',
      occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
      locationKind: 'community',
      communityAddress: '12 Mill Lane, Ridgeway',
      affected: [{ type: 'staff', name: 'Priya Shah', staffRole: 'Nurse' }],
      assailants: [{ type: 'visitor', description: 'Man in a red coat' }],
      injured: false,
      aggravatingFactors: [],
      policeInvolved: false,
      narrative: 'A visitor shouted threats at the nurse at the door.',
    });
    assert.equal(made.created, true);
    assert.equal(made.incident.reference, `XMH-${year}-${String(highest + 1).padStart(6, '0')}`);
    await assertRollupsMatch(t.db.owner, 'after a new report in the demo');
  });

  test('the bundled standards frameworks are loaded, so a self review can be started', async () => {
    // the acute trust: the mental-health trust's review for this year is already under way (the next test)
    const lsms = await actor('lsms@demo.warden.invalid', 'XAC', ['security_specialist']);
    const frameworks = await t.services.selfReview.frameworks(lsms);
    const bundled = await Promise.all(BUNDLED_FRAMEWORKS.map((f) => loadFramework(f)));
    assert.deepEqual(frameworks.map((f) => `${f.frameworkId}@${f.version}`).sort(), bundled.map((f) => `${f.id}@${f.version}`).sort());
    const first = frameworks.find((f) => f.frameworkId === bundled[0]?.id);
    assert.ok(first && first.standards > 0);
    const started = await t.services.selfReview.start(lsms, { frameworkVersionId: first.id, year: financialYearOf(now) });
    const review = await t.services.selfReview.get(lsms, started.id);
    assert.equal(review.standards.length, first.standards);
  });

  test('every role finds work in progress: markers with their reviews, some due; requests to answer; a self review begun; last year’s report signed', async () => {
    const today = londonToday(now);
    // SPEC C3: markers justified by an incident, reviewed within twelve months, one due for review now
    const markerService = markersService(t.db.app);
    const waiting = await markerService.waiting(lsms);
    assert.ok(waiting && waiting.due >= 1, `a marker due for review, got ${waiting?.due}`);
    assert.ok(waiting.requests >= 1, `a reporter's request for a marker to answer, got ${waiting.requests}`);
    const { markers } = await markerService.list(lsms, {});
    const live = markers.filter((m) => m.status === 'active');
    assert.ok(live.length >= 4, `several live markers, got ${live.length}`);
    assert.ok(
      live.filter((m) => !m.due).every((m) => m.reviewDue !== null && m.reviewDue > today && m.reviewDue <= addMonths(today, 12)),
      'the others are due within the coming year',
    );
    assert.ok(
      markers.some((m) => m.status === 'removed'),
      'one was removed at its review',
    );
    for (const m of markers) {
      const marker = await markerService.get(lsms, m.id);
      assert.ok(marker.incidents.length >= 1, 'every marker is linked to the incident that justifies it (003 §3.2.11)');
      assert.equal(marker.reviews[0]?.decision, 'created');
      assert.match(marker.reviews[0]?.reason ?? '', new RegExp(`Placed after incident ${marker.incidents[0]?.reference}`));
    }
    const reviewed = await Promise.all(markers.map((m) => markerService.get(lsms, m.id)));
    assert.ok(
      reviewed.some((m) => m.reviews.some((r) => r.decision === 'kept')),
      'older markers were kept at their review',
    );
    assert.ok(markers.some((m) => m.subjectKind === 'address') && markers.some((m) => m.subjectKind === 'individual'), 'addresses and individuals');
    for (const m of markers.filter((x) => x.subjectKind === 'individual')) {
      const [first] = (await markerService.get(lsms, m.id)).incidents;
      const described = await t.db.owner
        .selectFrom('incident_people')
        .select('description')
        .where('incident_id', '=', first?.id as string)
        .where('involvement', '=', 'assailant')
        .executeTakeFirst();
      assert.equal(m.personDescription, described?.description, 'the person marked is the one the incident describes');
    }
    const requests = await markerService.requests(lsms);
    for (const r of requests) {
      const c = await t.db.owner.selectFrom('incidents').select(['status', 'marker_reason']).where('id', '=', r.id).executeTakeFirstOrThrow();
      assert.ok(!c.status.startsWith('closed') && c.marker_reason, `request on ${r.reference}: an open case, with the reporter's reason`);
    }

    // 002 §3.9–3.11, std 1.5: the Board reads this year's self review in progress and last year's signed report
    const board = await actor('board@demo.warden.invalid', 'XMH', ['board_viewer']);
    const reviews = await t.services.selfReview.list(board);
    assert.deepEqual(reviews.map((r) => [r.year, r.status]).sort(), [
      [financialYearOf(now) - 1, 'submitted'],
      [financialYearOf(now), 'draft'],
    ]);
    const review = await t.services.selfReview.get(board, reviews.find((r) => r.status === 'draft')?.id as string);
    const rated = review.standards.filter((s) => s.rating !== null).length;
    assert.ok(rated > 0 && rated < review.standards.length, `partly rated: ${rated} of ${review.standards.length}`);
    const smd = await actor('smd@demo.warden.invalid', 'XMH', ['smd']);
    assert.deepEqual(await t.services.selfReview.readyToSign(smd), [], 'not yet ready for sign-off');
    const reports = await t.services.annualReports.list(board);
    assert.equal(reports.length, 1);
    const report = reports[0];
    assert.ok(report && report.status === 'signed' && report.presentedOn && report.presentedOn < today && report.boardDecision === 'approved');
    assert.ok(report.year < financialYearOf(now));
    assert.ok(
      review.standards.some((s) => s.evidence.some((e) => e.record?.type === 'annual_report' && e.record.id === report.id)),
      'the leadership standard cites last year’s report as evidence',
    );
    assert.ok(
      review.standards.filter((s) => s.rating === 'amber' || s.rating === 'green').every((s) => s.evidence.some((e) => e.kind === 'output')),
      'ratings above red have evidence of outputs (002 §3.37)',
    );
    // last year's review, signed off and submitted: the commissioner reads it as signed, and its hash holds
    const commissioner = await actor('commissioner@demo.warden.invalid', 'XIC', ['commissioner']);
    const submitted = await t.services.selfReview.oversight(commissioner, {});
    const rows = submitted.groups.flatMap((g) => g.rows);
    assert.equal(submitted.year, financialYearOf(now) - 1);
    assert.deepEqual(
      rows.map((r) => r.organisation.code),
      ['XMH'],
    );
    const signed = await t.services.selfReview.oversightVersion(commissioner, rows[0]?.versionId as string);
    assert.equal(signed.year, financialYearOf(now) - 1);
    assert.equal(signed.progress.toRate, 0, 'every standard was rated before sign-off');
    assert.equal(signed.signedBy.name, 'Dr Helen Price (SMD)');
    const stored = await t.db.owner.selectFrom('self_review_versions').select(['content', 'content_sha256']).executeTakeFirstOrThrow();
    assert.equal(createHash('sha256').update(canonicalJson(stored.content)).digest('hex'), stored.content_sha256);
    const compared = await t.services.selfReview.compare(board, review.id);
    assert.ok(compared, 'this year’s review compares with last year’s');
    const overseen = await t.services.annualReports.oversight(commissioner);
    assert.deepEqual(
      overseen.filter((p) => p.reports.length).map((p) => [p.organisation.code, p.reports.map((r) => r.year)]),
      [['XMH', [report.year]]],
      'the commissioner reads the signed report (002 std 1.6–1.7)',
    );
  });

  test('published statistics and staff-survey figures give benchmarks and perception years to show', async () => {
    const benchmark = await analytics.benchmark(lsms, orgId('XMH'), {}, now);
    const published = benchmark.history.filter((h) => h.financialYear < financialYearOf(now) - 1 && h.rate !== null);
    assert.ok(published.length >= 3, `years before Warden's data are benchmarked, got ${published.length}`);
    assert.ok(benchmark.own !== null, 'the trust is ranked this year');
    const perception = await analytics.perception(lsms, orgId('XMH'));
    const surveyed = perception.years.filter((y) => y.physicalViolencePublic !== null && y.reportedRatePer1000 !== null);
    assert.ok(surveyed.length >= 3, `survey figures beside reported rates, got ${surveyed.length}`);
    const commissioner = await actor('commissioner@demo.warden.invalid', 'XIC', ['commissioner']);
    const providers = await analytics.providers(commissioner, {}, now);
    assert.equal(providers.commissioned, 3, 'the ICB commissions three of the demo providers');
  });

  test('the generator is deterministic: the same seed and moment give the same rows', () => {
    const provider: DemoProvider = {
      id: '00000000-0000-4000-8000-000000000001',
      code: 'XQQ',
      type: 'acute',
      staff: 3000,
      places: [{ siteId: '00000000-0000-4000-8000-000000000002', departmentId: null, weight: 1 }],
      reporters: ['00000000-0000-4000-8000-000000000003'],
      handler: null,
      manager: null,
      town: 'Testville',
    };
    const at = new Date('2026-06-01T12:00:00Z');
    const a = generateDemoIncidents([provider], at, 7);
    assert.deepEqual(generateDemoIncidents([provider], at, 7), a);
    assert.notDeepEqual(generateDemoIncidents([provider], at, 8).incidents, a.incidents);
    assert.ok(a.incidents.length > 50 && a.incidents.length < 500, `a few hundred over two years, got ${a.incidents.length}`);
  });
});
