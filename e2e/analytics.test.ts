import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import * as echarts from 'echarts';
import { financialYearOf } from '../src/domain/analytics.ts';
import { department, headcount, incident, organisation, site, user } from '../test/factories.ts';
import { assertNoBrowserProblems, checkA11y, LIMIT, startHarness } from './harness.ts';
import { BenchmarkPage, DashboardPage, NationalPage, PerceptionPage, StatisticsPage, signIn } from './pages.ts';

/**
 * Analysis in the browser (SPEC C4, issue 6): the dashboard, benchmark, perception, national, commissioner and
 * statistics pages pass axe (WCAG 2.2 A/AA) and the Content-Security-Policy; charts are server-drawn SVG that
 * need no JavaScript; filters and uploads work as forms.
 */
const h = await startHarness();
const db = h.db.owner;
const day = 86_400_000;
const org = await organisation(db, { name: 'Eastfield Mental Health NHS Trust', type: 'mental_health' });
const peer = await organisation(db, { name: 'Westfield Mental Health NHS Trust', type: 'mental_health' });
const ward = await site(db, { orgId: org.id, name: 'Oak House' });
const unit = await site(db, { orgId: org.id, name: 'Birch Unit' });
const psychiatric = await department(db, { orgId: org.id, siteId: ward.id, name: 'Psychiatric intensive care' });
const reporterId = (await user(db, { roles: [[org.id, 'reporter']] })).id;
const thisYear = financialYearOf(new Date());
await headcount(db, { orgId: org.id, financialYear: thisYear, headcount: 2400 });
await headcount(db, { orgId: org.id, financialYear: thisYear - 1, headcount: 2350 });
for (let i = 0; i < 40; i++)
  await incident(db, {
    orgId: org.id,
    reportedBy: reporterId,
    category: i % 4 === 3 ? 'non_physical_assault' : 'physical_assault',
    siteId: i % 3 === 0 ? unit.id : ward.id,
    departmentId: i % 3 === 0 ? null : psychiatric.id,
    medicalFactors: i % 5 === 0 ? 'no' : 'yes',
    occurredAt: new Date(Date.now() - (3 + i * 11) * day),
    reportedAt: new Date(Date.now() - (3 + i * 11) * day + 3_600_000),
    late: i % 8 === 0,
  });
await db
  .insertInto('published_statistics')
  .values([
    { org_id: org.id, financial_year: 2010, physical_assaults: 200, physical_assaults_medical: 170, staff: 2000, source: 'test' },
    { org_id: peer.id, financial_year: 2010, physical_assaults: 150, physical_assaults_medical: 120, staff: 2500, source: 'test' },
  ])
  .execute();
/** A security specialist of the organisation; each test signs in its own (a second sign-in would ask for the TOTP code). */
const specialist = () => user(db, { roles: [[org.id, 'security_specialist']] });
const assessor = await user(db, { name: 'Nat Assessor', roles: [[null, 'national_assessor']] });
const admin = await user(db, { name: 'Ada Administrator', roles: [[null, 'administrator']] });
const ccg = await organisation(db, { name: 'Eastfield Integrated Care Board', type: 'commissioner' });
await db.insertInto('commissioning').values({ commissioner_org_id: ccg.id, provider_org_id: org.id, from_year: null }).execute();
const commissioner = await user(db, { name: 'Cam Commissioner', roles: [[ccg.id, 'commissioner']] });

test('the security specialist reads the dashboard, filters it, downloads a table, and every state passes axe and the CSP', LIMIT, async () => {
  const page = await h.newPage({ acceptDownloads: true });
  await signIn(page, (await specialist()).email);
  await page.getByRole('navigation').getByRole('link', { name: 'Analysis' }).click();
  const dashboard = await DashboardPage.verifyOnPage(page, org.name);
  await checkA11y(page);

  // Four charts, each an SVG image named by its caption and summary, drawn without style attributes or elements.
  const charts = page.locator('main figure svg[role="img"]');
  assert.equal(await charts.count(), 4);
  assert.equal(await page.locator('main svg [style], main svg style').count(), 0);
  const label = await charts.first().evaluate((svg) => {
    const ids = (svg.getAttribute('aria-labelledby') ?? '').split(' ');
    return ids.map((id) => document.getElementById(id)?.textContent?.trim() ?? '').join(' | ');
  });
  assert.match(label, /^Incidents by month and category, .+ \| Stacked bar chart of 40 incidents over 24 months/);
  // The presentation attributes took effect under the CSP: axis labels are 12px.
  const fontSize = await charts
    .first()
    .locator('text')
    .first()
    .evaluate((t) => getComputedStyle(t).fontSize);
  assert.equal(fontSize, '12px');
  assert.deepEqual(
    (await dashboard.rows('Incidents by site')).map((r) => r[0]),
    ['Oak House', 'Birch Unit'],
  );

  await dashboard.filter({ category: 'Physical assault' });
  await DashboardPage.verifyOnPage(page, org.name);
  assert.match(new URL(page.url()).search, /category=physical_assault/);
  const totals = await dashboard.rows('Key figures for the period');
  assert.deepEqual(totals[0], ['Incidents reported', '30', '–']);
  await checkA11y(page);

  await dashboard.filter({ from: '2026-13' });
  assert.deepEqual(await dashboard.errorMessages(), ['Month from must be a month in the format YYYY-MM, like 2026-03']);
  assert.match(await page.title(), /^Error: /);
  await checkA11y(page);

  await page.goto(`/analytics/organisations/${org.id}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV file of Incidents by site' }).click()]);
  const csv = await readFile((await download.path()) as string, 'utf8');
  assert.match(csv, /^\uFEFFSite,Incidents\r\nOak House,26\r\nBirch Unit,14\r\n$/);
  assertNoBrowserProblems(page);
});

test('ECharts’ own SVG would break under the CSP; Warden’s sanitised SVG does not (checked in the browser)', LIMIT, async () => {
  const page = await h.newPage();
  await signIn(page, (await specialist()).email);
  await page.goto(`/analytics/organisations/${org.id}`);
  await DashboardPage.verifyOnPage(page, org.name);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 300, height: 120 });
  chart.setOption({ animation: false, xAxis: { type: 'category', data: ['Jan'] }, yAxis: {}, series: [{ type: 'bar', data: [3] }] });
  const raw = chart.renderToSVGString();
  chart.dispose();
  const result = await page.evaluate(async (svg) => {
    const violations: string[] = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
    const holder = document.createElement('div');
    holder.innerHTML = svg;
    document.querySelector('main')?.append(holder);
    await new Promise((r) => setTimeout(r, 200));
    const text = holder.querySelector('text');
    return { violations, fontSize: text ? getComputedStyle(text).fontSize : '' };
  }, raw);
  assert.ok(
    result.violations.some((v) => v.startsWith('style-src')),
    `violations: ${result.violations.join(', ')}`,
  );
  assert.notEqual(result.fontSize, '12px', 'the blocked inline style never applied');
});

test('the benchmark and perception pages: peers by rate, the organisation highlighted, survey figures entered by form', LIMIT, async () => {
  const page = await h.newPage();
  await signIn(page, (await specialist()).email);
  await page.goto(`/analytics/organisations/${org.id}`);
  await page.getByRole('navigation', { name: 'Analysis of this organisation' }).getByRole('link', { name: 'Beside its peers' }).click();
  const bench = await BenchmarkPage.verifyOnPage(page, org.name);
  await checkA11y(page);
  await bench.showYear('2010/11');
  await BenchmarkPage.verifyOnPage(page, org.name);
  assert.deepEqual(
    (await bench.rows(/Physical assaults per 1,000 staff, 2010\/11/)).map((r) => [r[0], r[5], r[6]]),
    [
      [org.name, '100.0', '1'],
      [peer.name, '60.0', '2'],
    ],
  );
  assert.equal(
    await bench
      .figure(/Physical assaults per 1,000 staff in 2010\/11/)
      .locator('svg [fill="#ed8b00"]')
      .count(),
    1,
  );
  await checkA11y(page);

  await page.getByRole('link', { name: 'Perception and reality' }).click();
  const perception = await PerceptionPage.verifyOnPage(page, org.name);
  await checkA11y(page);
  await perception.record({ year: '2010', violence: '250', abuse: '' });
  assert.deepEqual(await perception.errorMessages(), ['Staff experiencing physical violence from patients or the public must be between 0 and 100']);
  await checkA11y(page);
  await page.getByLabel(/Staff who experienced physical violence/).fill('12.3');
  await page.getByRole('button', { name: 'Save the figures' }).click();
  await page.getByText('The staff-survey figures have been saved.').waitFor();
  const rows = await perception.rows(/staff-survey figures beside reported physical assaults/);
  assert.deepEqual(rows.find((r) => r[0] === '2010/11')?.slice(0, 4), ['2010/11', '12.3%', '123', '100.0']);
  await checkA11y(page);
});

test('the national assessor reads the national picture and opens an organisation’s dashboard', LIMIT, async () => {
  const page = await h.newPage();
  await signIn(page, assessor.email);
  await page.getByRole('navigation').getByRole('link', { name: 'Analysis' }).click();
  const national = await NationalPage.verifyOnPage(page);
  await checkA11y(page);
  await page.getByLabel('Financial year', { exact: true }).selectOption({ label: '2010/11' });
  await page.getByRole('button', { name: 'Show figures' }).click();
  await NationalPage.verifyOnPage(page);
  assert.deepEqual(
    (await national.rows(/Every organisation, 2010\/11/)).map((r) => [r[0], r[7], r[10]]),
    [
      [org.name, '100.0', '1'],
      [peer.name, '60.0', '2'],
    ],
  );
  await checkA11y(page);
  await page.getByRole('link', { name: org.name }).click();
  await DashboardPage.verifyOnPage(page, org.name);
  await checkA11y(page);
});

test('a commissioner sees its provider’s aggregates', LIMIT, async () => {
  const page = await h.newPage();
  await signIn(page, commissioner.email);
  await page.getByRole('navigation').getByRole('link', { name: 'Analysis' }).click();
  const providers = await NationalPage.verifyOnPage(page, 'Providers you commission');
  assert.match((await page.locator('main').textContent()) ?? '', /You commission 1 provider\./);
  await checkA11y(page);
  await providers
    .table(/Providers you commission/)
    .getByRole('link', { name: org.name })
    .click();
  const dashboard = await DashboardPage.verifyOnPage(page, org.name);
  assert.equal(await page.getByRole('navigation', { name: 'Analysis of this organisation' }).count(), 0, 'no benchmark or perception pages');
  assert.equal((await dashboard.rows('Key figures for the period'))[0]?.[1], '40');
  await checkA11y(page);
});

test('/analytics leads the commissioner to their providers, and tells a reporter what analysis is and who sees it', LIMIT, async () => {
  const page = await h.newPage();
  await signIn(page, commissioner.email);
  await page.goto('/analytics');
  await NationalPage.verifyOnPage(page, 'Providers you commission');
  const nurse = await h.newPage();
  await signIn(nurse, (await user(db, { roles: [[org.id, 'reporter']] })).email);
  await nurse.goto('/analytics');
  await nurse.locator('main h1', { hasText: 'Analysis' }).waitFor();
  assert.match((await nurse.locator('main').textContent()) ?? '', /Your roles do not include it\./);
  await checkA11y(nurse);
});

test('an administrator imports published statistics on the statistics page, after fixing a bad file', LIMIT, async () => {
  const page = await h.newPage();
  await signIn(page, admin.email);
  await page.getByRole('navigation').getByRole('link', { name: 'Statistics' }).click();
  const stats = await StatisticsPage.verifyOnPage(page);
  await checkA11y(page);
  await stats.upload(
    'Published statistics of physical assaults',
    'bad.csv',
    `code,financial_year,physical_assaults,medical_factors,staff\n${peer.code},2011/13,10,1,100\n`,
  );
  assert.deepEqual(await stats.errorMessages(), ['line 2, financial_year: Financial year must be a year like 2025, or 2025/26']);
  await checkA11y(page);
  await stats.upload(
    'Published statistics of physical assaults',
    'good.csv',
    `code,financial_year,physical_assaults,medical_factors,staff\n${peer.code},2011/12,10,1,100\n`,
  );
  await page.getByText('Imported 1 rows.').waitFor();
  assert.ok((await stats.rows(/Published statistics imported/)).some((r) => r[0] === peer.name && r[2] === '2011/12' && r[6] === '100.0'));
  await checkA11y(page);
});

test('with JavaScript off, the dashboard shows its charts and tables and the filters work', LIMIT, async () => {
  const page = await h.newPage({ javaScriptEnabled: false });
  await signIn(page, (await specialist()).email);
  await page.goto(`/analytics/organisations/${org.id}`);
  const dashboard = await DashboardPage.verifyOnPage(page, org.name);
  assert.equal(await page.locator('body.js-enabled').count(), 0, 'scripts really are off');
  assert.equal(await page.locator('main figure svg[role="img"]').count(), 4);
  await dashboard.filter({ site: 'Birch Unit' });
  await DashboardPage.verifyOnPage(page, org.name);
  assert.deepEqual(
    (await dashboard.rows('Incidents by site')).map((r) => r[0]),
    ['Birch Unit'],
  );
  assertNoBrowserProblems(page);
});
