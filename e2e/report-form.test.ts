import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { organisation, user } from '../test/factories.ts';
import { checkA11y, LIMIT, startHarness } from './harness.ts';
import { signIn } from './pages.ts';

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
  const yesterday = new Date(Date.now() - 86_400_000);
  await tab1.getByLabel('Day', { exact: true }).first().fill(String(yesterday.getUTCDate()));
  await tab1
    .getByLabel('Month', { exact: true })
    .first()
    .fill(String(yesterday.getUTCMonth() + 1));
  await tab1.getByLabel('Year', { exact: true }).first().fill(String(yesterday.getUTCFullYear()));
  await tab1.getByLabel('Time', { exact: true }).fill('10:15');
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
