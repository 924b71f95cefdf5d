import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { organisation, user } from '../test/factories.ts';
import { checkA11y, LIMIT, startHarness } from './harness.ts';
import { fillWhenYesterday, signIn } from './pages.ts';

/**
 * The report form in two tabs (issue 4 item 3): a draft opened twice, sent from one tab and then changed and sent
 * from the other, makes two reports; the second tab's check page says a report was already sent from this form.
 * axe runs on the pages that changed.
 */
const h = await startHarness();
const org = await organisation(h.db.owner, { name: 'Westford Community Trust', type: 'community' });
const nurse = await user(h.db.owner, { name: 'Tam Nurse', roles: [[org.id, 'reporter']] });

const reference = async (page: Page) => ((await page.locator('.nhsuk-panel strong').textContent()) ?? '').trim();

test('a draft sent from one tab and then changed and sent from another makes a second report, not the first again', LIMIT, async () => {
  const tab1 = await h.newPage();
  await signIn(tab1, nurse.email);
  await tab1.goto('/incidents/new');
  await tab1.getByLabel('Non-physical assault', { exact: true }).check();
  await fillWhenYesterday(tab1, '10:15');
  await tab1.getByLabel('In the community').check();
  await tab1.getByLabel('Address or description of the place').fill('14 Orchard Road');
  await tab1.locator('#affected-0-type').check();
  await tab1.locator('#injured-2').check(); // No
  await tab1.getByLabel('What happened?').fill('The householder shouted threats at me at the door.');
  await tab1.getByRole('button', { name: 'Save as draft' }).click();
  await tab1.getByText('Your draft has been saved').waitFor();

  // the same draft opened in a second tab
  const tab2 = await tab1.context().newPage();
  await tab2.goto('/incidents/new');
  await tab2.getByText('You are continuing a draft').waitFor();

  await tab1.getByRole('button', { name: 'Continue', exact: true }).click();
  await tab1.getByRole('heading', { level: 1, name: 'Check your answers before sending your report' }).waitFor();
  await tab1.getByRole('button', { name: 'Send report' }).click();
  await tab1.getByRole('heading', { name: 'Report sent' }).waitFor();
  const first = await reference(tab1);

  await tab2.getByLabel('What happened?').fill('The householder shouted threats at me at the door, then followed me to the car.');
  await tab2.getByRole('button', { name: 'Continue', exact: true }).click();
  await tab2.getByRole('heading', { level: 1, name: 'Check your answers before sending your report' }).waitFor();
  await tab2.getByText(`You have already sent a report from this form: ${first}`).waitFor();
  await checkA11y(tab2);
  await tab2.getByRole('button', { name: 'Send report' }).click();
  await tab2.getByRole('heading', { name: 'Report sent' }).waitFor();
  const second = await reference(tab2);
  assert.notEqual(second, first);
  assert.match(second, /-000002$/);

  const rows = await h.db.owner.selectFrom('incidents').select(['reference', 'narrative']).where('org_id', '=', org.id).orderBy('reference').execute();
  assert.deepEqual(
    rows.map((r) => r.narrative),
    ['The householder shouted threats at me at the door.', 'The householder shouted threats at me at the door, then followed me to the car.'],
  );
  assert.equal((await h.db.owner.selectFrom('incident_drafts').select('id').where('org_id', '=', org.id).execute()).length, 0);
});

test(
  'on a phone with JavaScript off, a nurse fixes a mistake, adds a second person, the police details and a warning-marker request, checks and sends',
  LIMIT,
  async () => {
    // Issue 4 item 1: a nurse can finish the report on a phone, without JavaScript; every step is a server round trip.
    const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
    const page = await h.newPage({ ...phone, javaScriptEnabled: false });
    await signIn(page, nurse.email);
    await page.goto('/incidents/new');
    assert.equal(await page.locator('body.js-enabled').count(), 0, 'scripts really are off');

    // a first Continue with the date missing: the error summary says what to fix, and nothing is sent
    await page.getByLabel('Physical assault', { exact: true }).check();
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.locator('.nhsuk-error-summary').waitFor();
    assert.match(await page.title(), /^Error: /);
    assert.ok(await page.getByLabel('Physical assault', { exact: true }).isChecked(), 'the answer given is kept');

    await fillWhenYesterday(page, '23:10');
    await page.getByLabel('In the community').check();
    await page.getByLabel('Address or description of the place').fill('3 Mill Lane');
    await page.locator('#affected-0-type').check(); // member of staff
    await page.locator('#affected-0-staffRole').fill('Community nurse');
    // a second person: the button posts the form and comes back with another set of fields, answers kept
    await page.getByRole('button', { name: 'Add another person affected' }).click();
    await page.locator('#affected-1-type').waitFor();
    assert.equal(await page.locator('#affected-0-staffRole').inputValue(), 'Community nurse');
    await page.locator('#affected-1-type').check();
    await page.locator('#affected-1-staffRole').fill('Healthcare assistant');
    await page.locator('#injured').check(); // Yes
    await page.getByLabel('Describe the injuries').fill('Scratch to the hand');
    await page.getByLabel('Not yet: it is less than 48 hours since the incident').check();
    await page.getByLabel('No', { exact: true }).and(page.locator('[name=medicalFactors]')).check();
    await page.locator('#policeInvolved').check(); // Yes
    await page.locator('#policeAttended').check(); // Yes
    await page.getByLabel("Officer's name (optional)").fill('PC Dee');
    await page.getByLabel('Crime reference number (optional)').fill('CR/123/26');
    await page.getByLabel('What happened?').fill("The patient's relative scratched my hand and pushed my colleague at the door.");
    // 003 §3.2.11: a patient's home, not a public place: colleagues sent there should be warned
    await page.locator('#markerRequested').check(); // Yes
    await page.getByLabel('If yes, why should they be warned, and about what?').fill('The relative is aggressive to staff: visit in pairs.');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();

    await page.getByRole('heading', { level: 1, name: 'Check your answers before sending your report' }).waitFor();
    await page.getByText('CR/123/26').waitFor();
    await page.getByText('Asked for: The relative is aggressive to staff').waitFor();
    await page.getByRole('button', { name: 'Send report' }).click();
    await page.getByRole('heading', { name: 'Report sent' }).waitFor();
    const sent = await reference(page);
    const row = await h.db.owner
      .selectFrom('incidents')
      .select(['id', 'category', 'police_attended', 'crime_reference', 'community_address', 'marker_requested', 'marker_reason'])
      .where('reference', '=', sent)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [row.category, row.police_attended, row.crime_reference, row.community_address, row.marker_requested, row.marker_reason],
      ['physical_assault', true, 'CR/123/26', '3 Mill Lane', true, 'The relative is aggressive to staff: visit in pairs.'],
    );
    const people = await h.db.owner
      .selectFrom('incident_people')
      .select(['involvement', 'staff_role'])
      .where('incident_id', '=', row.id)
      .orderBy('staff_role')
      .execute();
    assert.deepEqual(people, [
      { involvement: 'affected', staff_role: 'Community nurse' },
      { involvement: 'affected', staff_role: 'Healthcare assistant' },
    ]);

    // the same form on a phone with scripts on: it fits the screen (nothing to scroll sideways) and passes axe
    const withScripts = await h.newPage(phone);
    await signIn(withScripts, nurse.email);
    await withScripts.goto('/incidents/new');
    const [scrollWidth, innerWidth] = await withScripts.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scrollWidth <= innerWidth, `the form fits a 360 px screen: ${scrollWidth} px wide`);
    await checkA11y(withScripts);
  },
);
