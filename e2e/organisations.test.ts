import assert from 'node:assert/strict';
import { test } from 'node:test';
import { organisation, uniqueCode, user } from '../test/factories.ts';
import { checkA11y, focused, LIMIT, startHarness } from './harness.ts';
import { HeadcountFormPage, OrganisationFormPage, OrganisationPage, OrganisationsPage, SiteFormPage, signIn } from './pages.ts';

const h = await startHarness();
const home = await organisation(h.db.owner, { name: 'Eastbridge Community Health' });
const admin = await user(h.db.owner, {
  name: 'Ada Administrator',
  roles: [
    [null, 'administrator'],
    [home.id, 'administrator'],
  ],
});

test('an administrator lists organisations, adds one after fixing mistakes, then adds a site and a headcount', LIMIT, async () => {
  const page = await h.newPage();
  await signIn(page, admin.email); // its two-factor pages are checked with axe in first-run.test.ts

  await page.getByRole('navigation').getByRole('link', { name: 'Organisations' }).click();
  const list = await OrganisationsPage.verifyOnPage(page);
  assert.equal(await list.row(home.name).count(), 1);
  await checkA11y(page);

  // nhsuk-frontend's button macro with an href renders a link with role=button.
  await page.getByRole('button', { name: 'Add an organisation' }).click();
  const form = await OrganisationFormPage.verifyOnPage(page);
  await checkA11y(page);

  // An empty submission: every problem is listed in the summary, which links to its field.
  await form.submit();
  assert.deepEqual(await form.errorMessages(), ['Enter the organisation name', 'Enter the organisation code', 'Select the type of organisation']);
  assert.deepEqual(await form.errorLinks(), {
    '#name': 'Enter the organisation name',
    '#code': 'Enter the organisation code',
    '#type': 'Select the type of organisation',
  });
  assert.match(await page.title(), /^Error: /);
  // nhsuk-frontend moves focus to the summary so a screen reader announces it first.
  assert.match((await focused(page)).className, /nhsuk-error-summary/);
  // Each field names its own error, so it is read out with the field.
  assert.match((await page.locator('#name').getAttribute('aria-describedby')) ?? '', /\bname-error\b/);
  await checkA11y(page);
  await form.errorSummary.getByRole('link', { name: 'Enter the organisation code' }).click();
  assert.equal((await focused(page)).id, 'code', 'the summary link puts the cursor in the field');

  // A half-right submission keeps what was typed.
  await form.fill({ name: 'Southfield Mental Health Trust', code: 'not a code', type: 'Mental health trust' });
  await form.submit();
  assert.deepEqual(await form.errorMessages(), ['Organisation code must be 3 to 5 letters or numbers, like RXX or 5QT']);
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Southfield Mental Health Trust');
  assert.equal(await page.getByLabel('Mental health trust', { exact: true }).isChecked(), true);
  await checkA11y(page);

  const code = uniqueCode();
  await page.getByLabel('Organisation code').fill(code);
  await form.submit();
  const org = await OrganisationPage.verifyOnPage(page, 'Southfield Mental Health Trust');
  assert.match((await page.locator('main .nhsuk-caption-l').textContent()) ?? '', new RegExp(`Mental health trust · ${code}`));
  await checkA11y(page);

  await page.getByRole('link', { name: 'Add a site' }).click();
  const siteForm = await SiteFormPage.verifyOnPage(page);
  await checkA11y(page);
  await siteForm.fill({ name: 'Southfield General', address: '1 Hospital Road\nSouthfield', postcode: 'ls1 4ap', isLarge: true });
  await siteForm.submit();
  await OrganisationPage.verifyOnPage(page, 'Southfield Mental Health Trust');
  assert.deepEqual(
    (await org.table('Sites').locator('tbody tr').first().locator('td').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()),
    ['Southfield General', '1 Hospital Road Southfield, LS1 4AP', 'Yes', 'Change Southfield General'],
  );
  await checkA11y(page);

  await page.getByRole('link', { name: "Record a year's headcount" }).click();
  const headcount = await HeadcountFormPage.verifyOnPage(page);
  await checkA11y(page);
  await headcount.fill({ financialYear: 2026, headcount: 5210 });
  await headcount.submit();
  await OrganisationPage.verifyOnPage(page, 'Southfield Mental Health Trust');
  assert.deepEqual(
    (await org.table('Staff headcount by financial year').locator('tbody tr').first().locator('td').allInnerTexts()).map((t) => t.trim()),
    ['2026/27', '5,210'],
  );
  await checkA11y(page);

  await page.getByRole('link', { name: 'All organisations' }).click();
  await OrganisationsPage.verifyOnPage(page);
  assert.equal(await list.row('Southfield Mental Health Trust').count(), 1);
});
