import assert from 'node:assert/strict';
import { test } from 'node:test';
import { incident, organisation, site, user } from '../test/factories.ts';
import { checkA11y, LIMIT, startHarness } from './harness.ts';
import { fillWhenYesterday, signIn } from './pages.ts';

/**
 * Issue 4's proof, in a real browser: a member of staff reports a physical assault through the form, the security
 * specialist finds it in the case list, triages it, records a caution (002 std 4.2) and feeds the outcome back, and
 * the reporter sees what happened to their report (000 §7.2.6, Appendix 1). axe runs on every page passed through.
 */
const h = await startHarness();
const org = await organisation(h.db.owner, { name: 'Eastmoor Mental Health Trust', type: 'mental_health' });
const ward = await site(h.db.owner, { orgId: org.id, name: 'Eastmoor Hospital' });
const nurse = await user(h.db.owner, { name: 'Nia Nurse', roles: [[org.id, 'reporter']] });
const lsms = await user(h.db.owner, { name: 'Lee Specialist', roles: [[org.id, 'security_specialist']] });
const manager = await user(h.db.owner, { name: 'Mo Manager', roles: [[org.id, 'manager']] });

test('a nurse reports a physical assault, the LSMS triages it and records a caution, and the nurse sees the outcome', LIMIT, async () => {
  // ---- the nurse reports ----
  const page = await h.newPage();
  await signIn(page, nurse.email);
  await page.getByRole('link', { name: 'Report a security incident or near miss' }).click();
  await page.getByRole('heading', { level: 1, name: 'Report an incident' }).waitFor();
  await checkA11y(page);

  // Continuing with nothing filled in shows the error summary, and nothing is sent.
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.locator('.nhsuk-error-summary').waitFor();
  assert.match(await page.title(), /^Error: /);
  await checkA11y(page);

  await page.getByLabel('Physical assault', { exact: true }).check();
  await fillWhenYesterday(page, '14:30');
  await page.getByLabel('At one of our sites').check();
  await page.getByLabel('Site', { exact: true }).selectOption({ label: 'Eastmoor Hospital' });
  await page.getByLabel('Where on the site (optional)').fill('Ward 7 corridor');
  await page.locator('#affected-0-type').check(); // "Member of staff", the first choice for person affected 1
  await page.locator('#affected-0-staffRole').fill('Staff nurse');
  await page.locator('#injured').check(); // Yes
  await page.getByLabel('Describe the injuries').fill('Bruised forearm');
  await page.getByLabel('Yes, examined at A&E or by a GP').check();
  await page.getByLabel('No', { exact: true }).and(page.locator('[name=medicalFactors]')).check();
  await page.getByLabel('Alcohol was involved').check();
  await page.getByLabel('What happened?').fill('A visitor grabbed my arm and pushed me against the wall when asked to leave.');
  await page.getByRole('button', { name: 'Continue', exact: true }).click();

  await page.getByRole('heading', { level: 1, name: 'Check your answers before sending your report' }).waitFor();
  await checkA11y(page);
  await page.getByRole('button', { name: 'Send report' }).click();
  await page.getByRole('heading', { name: 'Report sent' }).waitFor();
  await checkA11y(page);
  const reference = ((await page.locator('.nhsuk-panel strong').textContent()) ?? '').trim();
  assert.match(reference, new RegExp(`^${org.code}-\\d{4}-000001$`), 'the first report of the year gets number 000001');

  // ---- the security specialist finds, triages and concludes the case ----
  const lsmsPage = await h.newPage();
  await signIn(lsmsPage, lsms.email);
  // the home page says what is waiting: the nurse's report, not yet triaged
  await lsmsPage.getByRole('link', { name: '1 new report to triage' }).waitFor();
  await checkA11y(lsmsPage);
  await lsmsPage.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Cases' }).click();
  await lsmsPage.getByRole('heading', { level: 1, name: 'Cases' }).waitFor();
  await checkA11y(lsmsPage);
  await lsmsPage.getByLabel('Search what happened').fill('pushed');
  await lsmsPage.getByRole('button', { name: 'Show cases' }).click();
  await lsmsPage.getByRole('link', { name: reference }).click();
  await lsmsPage.getByRole('heading', { level: 1, name: `Case ${reference}` }).waitFor();
  await checkA11y(lsmsPage);

  await lsmsPage.locator('#triage').scrollIntoViewIfNeeded();
  await lsmsPage.getByLabel('Medium').check();
  await lsmsPage.getByLabel('Manager to investigate').selectOption({ label: 'Mo Manager' });
  await lsmsPage.getByRole('button', { name: 'Save triage' }).click();
  await lsmsPage.getByText(/Mo Manager, due/).waitFor();

  await lsmsPage.getByLabel('Sanction', { exact: true }).selectOption('caution');
  await lsmsPage.locator('#decidedOn').fill(new Date().toISOString().slice(0, 10));
  await lsmsPage.getByLabel('Outcome', { exact: true }).fill('The visitor was cautioned by the police');
  await lsmsPage.locator('#publicise-2').check(); // No
  await lsmsPage.getByLabel('Reason for the publicity decision').fill('The victim asked for no publicity');
  await lsmsPage.getByRole('button', { name: 'Record sanction' }).click();
  await lsmsPage.getByRole('cell', { name: 'Criminal: Caution' }).waitFor();

  const today = new Date().toISOString().slice(0, 10);
  await lsmsPage.getByLabel('Welfare support offered').fill('Occupational health appointment and a day off');
  await lsmsPage.getByLabel('Date support was offered').fill(today);
  await lsmsPage.getByLabel('Date the acknowledgement was sent').fill(today);
  await lsmsPage.getByLabel('Date the outcome was fed back').fill(today);
  await lsmsPage.getByLabel('Outcome fed back to the reporter').fill('The person was cautioned by the police.');
  await lsmsPage.getByRole('button', { name: 'Save support and feedback' }).click();
  await lsmsPage.getByText('Occupational health appointment and a day off').first().waitFor();
  await checkA11y(lsmsPage);

  // who has read the case: its audit trail, one link from the case page (issue 4 §14)
  await lsmsPage.getByRole('link', { name: 'Audit trail of this case' }).click();
  await lsmsPage.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor();
  await lsmsPage.getByRole('cell', { name: 'incident.read_personal' }).first().waitFor();
  await checkA11y(lsmsPage);
  // overdue work (002 std 4.1): the investigations past their due date, and a case nobody has assigned an
  // investigation 40 days after it was reported, listed and in the case list's overdue cases
  const forgotten = await incident(h.db.owner, {
    orgId: org.id,
    siteId: ward.id,
    reportedBy: nurse.id,
    occurredAt: new Date(Date.now() - 41 * 86_400_000),
    reportedAt: new Date(Date.now() - 40 * 86_400_000),
  });
  await lsmsPage.goto('/cases/overdue');
  await lsmsPage.getByRole('heading', { level: 1, name: 'Overdue investigations' }).waitFor();
  await lsmsPage.getByRole('table', { name: 'Cases with no investigation assigned' }).getByRole('link', { name: forgotten.reference }).waitFor();
  await checkA11y(lsmsPage);
  await lsmsPage.getByRole('link', { name: "case list's overdue cases" }).click();
  await lsmsPage.getByRole('heading', { level: 1, name: 'Cases' }).waitFor();
  await lsmsPage.getByRole('link', { name: forgotten.reference }).waitFor();
  await checkA11y(lsmsPage);

  // ---- the nurse sees what happened to the report ----
  await page.goto('/incidents/mine');
  await page.getByRole('link', { name: reference }).click();
  await page.getByRole('heading', { level: 1, name: `Report ${reference}` }).waitFor();
  const outcome = page.locator('.nhsuk-summary-list__row', { hasText: 'Outcome' });
  assert.match((await outcome.textContent()) ?? '', /The person was cautioned by the police\./);
  const support = page.locator('.nhsuk-summary-list__row', { hasText: 'Support offered' });
  assert.match((await support.textContent()) ?? '', /Occupational health appointment and a day off/);
  assert.match((await page.locator('main').textContent()) ?? '', /Triaged/, 'the progress table shows the triage');
  await checkA11y(page);

  // The manager assigned sees the case in their list, but not the nurse's other colleagues' details.
  const managerPage = await h.newPage();
  await signIn(managerPage, manager.email);
  await managerPage.goto('/cases?status=triaged');
  await managerPage.getByRole('link', { name: reference }).waitFor();
  await checkA11y(managerPage);
});

test('the security specialist places a warning marker justified by a case, after fixing a mistake', LIMIT, async () => {
  const justifying = await incident(h.db.owner, { orgId: org.id, siteId: ward.id, reportedBy: nurse.id });
  // the nurse asked for a marker when reporting (003 §3.2.11)
  await h.db.owner
    .updateTable('incidents')
    .set({ marker_requested: true, marker_reason: 'The resident threatened me with a knife.' })
    .where('id', '=', justifying.id)
    .execute();
  // A second specialist: the first set up an authenticator in the test above and would be asked for a code.
  const colleague = await user(h.db.owner, { name: 'Sam Specialist', roles: [[org.id, 'security_specialist']] });
  const page = await h.newPage();
  await signIn(page, colleague.email);
  await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Warning markers' }).click();
  await page.locator('main h1').waitFor();
  // the request waits on the markers page, with a link that places a marker for that case
  await page.getByRole('table', { name: 'Cases asking for a warning marker' }).getByRole('link', { name: justifying.reference, exact: true }).waitFor();
  await checkA11y(page);
  await page.getByRole('link', { name: `Place a marker for case ${justifying.reference}` }).click();
  await page.getByRole('heading', { level: 1, name: 'Place a warning marker' }).waitFor();
  assert.equal(await page.getByLabel('Incident references').inputValue(), justifying.reference, 'the case is filled in');
  await checkA11y(page);

  // An empty form is refused with the error summary; nothing is placed.
  await page.getByRole('button', { name: 'Place the marker' }).click();
  await page.locator('.nhsuk-error-summary').waitFor();
  assert.match(await page.title(), /^Error: /);
  await checkA11y(page);

  await page.getByLabel('An address').check();
  await page.getByLabel('Address', { exact: true }).fill('12 Hill Street, Eastmoor');
  await page.getByLabel('This address is not a public place or building').check();
  await page.getByLabel('Risk to staff').fill('A resident threatened a community nurse with a knife');
  await page.getByLabel('Advice for staff').fill('Visit in pairs and tell the police before a visit');
  await page.getByLabel('Incident references').fill(justifying.reference);
  const review = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('Review by').fill(review);
  await page.getByRole('button', { name: 'Place the marker' }).click();
  await page.getByText('12 Hill Street, Eastmoor').first().waitFor();
  assert.match((await page.locator('main').textContent()) ?? '', new RegExp(justifying.reference));
  await checkA11y(page);
  // the case page lists the marker, and the request no longer waits
  const markerUrl = page.url();
  await page.goto(`/cases/${justifying.id}`);
  await page.getByRole('heading', { level: 2, name: 'Warning markers' }).waitFor();
  await page.getByRole('link', { name: 'Warning marker', exact: true }).waitFor();
  assert.equal(await page.getByText('The reporter asked for a warning marker').count(), 0);
  await checkA11y(page);
  await page.goto(markerUrl);

  // The review (003 §3.2.11): varying the advice keeps the marker and records the decision in its trail.
  await page.getByRole('button', { name: 'Review this marker' }).click();
  await page.getByRole('heading', { level: 1, name: 'Review a warning marker' }).waitFor();
  await checkA11y(page);
  await page.getByLabel('Keep the marker, with changes').check();
  await page.getByLabel('Advice for staff').fill('Visit in pairs, with the police');
  await page.getByLabel('Reason for the decision').fill('A further threat was reported');
  await page.getByLabel('Next review by').fill(review);
  await page.getByRole('button', { name: 'Record the decision' }).click();
  await page.getByRole('cell', { name: 'A further threat was reported' }).waitFor();
  await checkA11y(page);
});

test('the security specialist decides that a requested marker is not needed, and the reporter is told', LIMIT, async () => {
  // 003 §2.2.3.9: a marker is placed only where appropriate, never for a public place; the request still gets an answer
  const reporter = await user(h.db.owner, { name: 'Ravi Porter', roles: [[org.id, 'reporter']] });
  const asked = await incident(h.db.owner, { orgId: org.id, siteId: ward.id, reportedBy: reporter.id });
  await h.db.owner
    .updateTable('incidents')
    .set({ marker_requested: true, marker_reason: 'A visitor shouted at me in the main reception.' })
    .where('id', '=', asked.id)
    .execute();
  const specialist = await user(h.db.owner, { name: 'Kit Specialist', roles: [[org.id, 'security_specialist']] });
  const page = await h.newPage();
  await signIn(page, specialist.email);
  await page.goto(`/cases/${asked.id}`);
  await page.getByRole('link', { name: 'Decide that no marker is needed' }).click();
  await page.getByRole('heading', { level: 1, name: 'Decide that no warning marker is needed' }).waitFor();
  await checkA11y(page);

  await page.getByRole('button', { name: 'Record that no marker is needed' }).click();
  await page.locator('.nhsuk-error-summary').waitFor();
  assert.match(await page.title(), /^Error: /);
  await checkA11y(page);
  await page.getByLabel('Why is no warning marker needed?').fill('The main reception is a public place.');
  await page.getByRole('button', { name: 'Record that no marker is needed' }).click();
  await page.getByText('It was decided that none is needed').waitFor();
  assert.match((await page.locator('#markers ~ .nhsuk-inset-text').first().textContent()) ?? '', /Kit Specialist[\s\S]*public place/);
  await checkA11y(page);

  const reporterPage = await h.newPage();
  await signIn(reporterPage, reporter.email);
  await reporterPage.goto(`/incidents/mine/${asked.id}`);
  await reporterPage.getByText('The security team decided that no marker is needed').waitFor();
  assert.equal(await reporterPage.getByText('public place').count(), 0, 'the reason is the case’s, not the reporter’s');
  await checkA11y(reporterPage);
});
