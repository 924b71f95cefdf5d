import assert from 'node:assert/strict';
import { test } from 'node:test';
import { organisation, uniqueCode, user } from '../test/factories.ts';
import { assertNoBrowserProblems, LIMIT, startHarness } from './harness.ts';
import { HomePage, OrganisationFormPage, OrganisationPage, OrganisationsPage, signIn } from './pages.ts';

// Pages work without JavaScript (NHS service manual; DESIGN: nhsuk-frontend JS is progressive enhancement only).
const h = await startHarness();
const home = await organisation(h.db.owner);
const admin = await user(h.db.owner, {
  roles: [
    [null, 'administrator'],
    [home.id, 'administrator'],
  ],
});

test('with JavaScript off, a person can sign in, fix a mistake and create an organisation', LIMIT, async () => {
  const page = await h.newPage({ javaScriptEnabled: false });
  await page.goto('/');
  await HomePage.verifyOnPage(page);
  // The page's own script (nhsuk-frontend's) never ran: it marks <body> when it does.
  assert.equal(await page.locator('body.js-enabled').count(), 0, 'scripts really are off');

  // The same pages are checked with axe in the other files; axe itself needs scripts.
  await signIn(page, admin.email);

  await page.getByRole('navigation').getByRole('link', { name: 'Organisations' }).click();
  await OrganisationsPage.verifyOnPage(page);
  await page.getByRole('button', { name: 'Add an organisation' }).click();
  const form = await OrganisationFormPage.verifyOnPage(page);
  await form.fill({ name: 'Scriptless Health Board', code: '??', type: 'Commissioner' });
  await form.submit();
  assert.deepEqual(await form.errorMessages(), ['Organisation code must be 3 to 5 letters or numbers, like RXX or 5QT']);

  const code = uniqueCode();
  await page.getByLabel('Organisation code').fill(code);
  await form.submit();
  await OrganisationPage.verifyOnPage(page, 'Scriptless Health Board');
  assert.match((await page.locator('main .nhsuk-caption-l').textContent()) ?? '', new RegExp(`Commissioner · ${code}`));
  assertNoBrowserProblems(page);
});
