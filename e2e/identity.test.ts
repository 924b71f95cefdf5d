/**
 * Issue 3 in the browser: sign-in with and without a second factor, the forced set-up for privileged roles,
 * choosing an organisation, the own-account page, signing out, and the refusal page for the wrong role. Every page
 * visited is checked with axe (WCAG 2.2 A/AA).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { enrolTotp, lastStep, totpAt } from '../src/features/identity/test-helpers.ts';
import { Client, type TestApp } from '../test/app.ts';
import { organisation, session, user } from '../test/factories.ts';
import { checkA11y, LIMIT, startHarness } from './harness.ts';
import { AccountPage, ChooseOrganisationPage, ForbiddenPage, SignedOutPage, SignOutPage } from './identity-pages.ts';
import { HomePage, RecoveryCodesPage, SignInPage, signIn, TwoFactorChallengePage, TwoFactorSetupPage } from './pages.ts';

const h = await startHarness();
const north = await organisation(h.db.owner, { name: 'Northgate Acute Trust' });
const south = await organisation(h.db.owner, { name: 'Southmere Community Trust' });

/** Sets up TOTP for a user through the real set-up page (in-process, as fixture set-up); returns the secret and codes. */
async function withTotp(u: Awaited<ReturnType<typeof user>>) {
  const client = new Client(h.app, await session(h.db.owner, u));
  return enrolTotp(client);
}

/** A code from the user's app for the next time step (the enrolment used up the current one: no replay). */
async function nextCode(userId: string, secret: string) {
  return totpAt(secret, (await lastStep({ db: h.db } as TestApp, userId)) + 1);
}

const signedInText = (page: Page) => page.locator('main p', { hasText: 'You are signed in as' }).textContent();

test('a reporter signs in without a second factor, chooses an organisation, sees the account page and signs out', LIMIT, async () => {
  const reporter = await user(h.db.owner, {
    name: 'Rita Reporter',
    roles: [
      [north.id, 'reporter'],
      [south.id, 'reporter'],
    ],
  });
  const page = await h.newPage();
  const form = await SignInPage.open(page);
  await checkA11y(page);
  await form.signIn(reporter.email);

  // Two organisations: the reporter is asked which one they act for, with no second factor asked.
  const choose = await ChooseOrganisationPage.verifyOnPage(page);
  await checkA11y(page);
  // Continuing without a choice is refused with an error summary.
  assert.equal(await page.locator('main input[type=radio]:checked').count(), 0, 'nothing is chosen for them');
  await page.getByRole('button', { name: 'Continue' }).click();
  assert.deepEqual(Object.keys(await choose.errorLinks()), ['#orgId']);
  await checkA11y(page);
  await choose.choose(/Southmere Community Trust/);
  await HomePage.verifyOnPage(page);
  assert.match((await signedInText(page)) ?? '', /You are signed in as Rita Reporter, acting for Southmere Community Trust\./);
  await checkA11y(page);

  // Changing organisation from the header: the current one is preselected.
  await page.locator('header').getByRole('link', { name: 'Change organisation' }).click();
  await ChooseOrganisationPage.verifyOnPage(page);
  assert.equal(await page.getByLabel(/Southmere Community Trust/).isChecked(), true);
  await choose.choose(/Northgate Acute Trust/);
  await HomePage.verifyOnPage(page);
  assert.match((await signedInText(page)) ?? '', /acting for Northgate Acute Trust\./);

  // A link for the other organisation (as Warden's e-mails give it): asked to switch, that one selected, then the page.
  await page.goto(`/incidents/mine?for=${south.id}`);
  await ChooseOrganisationPage.verifyOnPage(page);
  await page.getByText('The link you followed is for Southmere Community Trust.').waitFor();
  assert.equal(await page.getByLabel(/Southmere Community Trust/).isChecked(), true);
  await checkA11y(page);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your incident reports' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/incidents/mine');
  await page.goto('/');
  assert.match((await signedInText(page)) ?? '', /acting for Southmere Community Trust\./);

  await page
    .locator('header')
    .getByRole('link', { name: /Rita Reporter/ })
    .click();
  const account = await AccountPage.verifyOnPage(page);
  assert.equal(await account.row('E-mail address'), reporter.email);
  assert.equal(await account.row('Two-factor authentication'), 'Off');
  const roles = page.locator('main table', { has: page.locator('caption', { hasText: 'Your roles' }) });
  assert.equal(await roles.locator('tbody tr').count(), 2, 'both roles are listed');
  await checkA11y(page);

  await page.locator('header').getByRole('link', { name: 'Sign out' }).click();
  await SignOutPage.verifyOnPage(page);
  await checkA11y(page);
  await page.locator('main').getByRole('button', { name: 'Sign out' }).click();
  await SignedOutPage.verifyOnPage(page);
  assert.equal(await page.locator('header').getByRole('link', { name: 'Sign out' }).count(), 0, 'no account links once signed out');
  await checkA11y(page);

  // The session is over: a signed-in page sends the browser to sign in, and back there afterwards.
  await page.goto('/organisations');
  await SignInPage.verifyOnPage(page);
  assert.equal(new URL(page.url()).searchParams.get('next'), '/organisations');
  await checkA11y(page);
});

test('a user with an authenticator app is challenged: a wrong code is refused, the right code and a recovery code sign in', LIMIT, async () => {
  const member = await user(h.db.owner, { name: 'Tom Totp', roles: [[north.id, 'reporter']] });
  const { secret, codes } = await withTotp(member);

  const page = await h.newPage();
  await (await SignInPage.open(page)).signIn(member.email);
  const challenge = await TwoFactorChallengePage.verifyOnPage(page);
  await checkA11y(page);
  // Until the second factor is given, the session is no sign-in at all.
  await challenge.enter('000000');
  assert.deepEqual(Object.keys(await challenge.errorLinks()), ['#code']);
  assert.equal((await challenge.errorMessages()).length, 1);
  assert.match(await page.title(), /^Error: /);
  await checkA11y(page);
  await challenge.enter(await nextCode(member.id, secret));
  await HomePage.verifyOnPage(page);
  assert.match((await signedInText(page)) ?? '', /You are signed in as Tom Totp, acting for Northgate Acute Trust\./);
  await page.goto('/account');
  const account = await AccountPage.verifyOnPage(page);
  assert.equal(await account.row('Two-factor authentication'), 'On. 10 recovery codes left.');

  // Another browser, without the phone: a recovery code works once.
  const other = await h.newPage();
  await (await SignInPage.open(other)).signIn(member.email);
  const challenge2 = await TwoFactorChallengePage.verifyOnPage(other);
  await challenge2.enter(codes[0] as string);
  await HomePage.verifyOnPage(other);
  await other.goto('/account');
  assert.equal(await (await AccountPage.verifyOnPage(other)).row('Two-factor authentication'), 'On. 9 recovery codes left.');
});

test('a privileged user without a second factor must set one up before anything else', LIMIT, async () => {
  const specialist = await user(h.db.owner, { name: 'Lena Specialist', roles: [[north.id, 'security_specialist']] });
  const page = await h.newPage();
  await (await SignInPage.open(page)).signIn(specialist.email);
  const setup = await TwoFactorSetupPage.verifyOnPage(page);
  await checkA11y(page);

  // Every other page sends them back to the set-up.
  await page.goto('/organisations');
  await TwoFactorSetupPage.verifyOnPage(page);

  // A wrong code is refused with an error summary.
  await page.getByLabel('Security code').fill('123456');
  await setup.submit();
  await TwoFactorSetupPage.verifyOnPage(page);
  assert.deepEqual(Object.keys(await setup.errorLinks()), ['#code']);
  await checkA11y(page);

  await setup.enrol();
  const recovery = await RecoveryCodesPage.verifyOnPage(page);
  assert.equal((await recovery.codes()).length, 10);
  await checkA11y(page);
  await recovery.done();
  await HomePage.verifyOnPage(page);
  await page.goto('/organisations');
  assert.notEqual(new URL(page.url()).pathname, '/account/two-factor', 'the gate is lifted once the second factor is set up');
});

test('a reporter opening the user administration or the audit trail gets the NHS refusal page, without internals', LIMIT, async () => {
  const reporter = await user(h.db.owner, { roles: [[north.id, 'reporter']] });
  const page = await h.newPage();
  await signIn(page, reporter.email);
  for (const path of ['/users', '/audit']) {
    const res = await page.goto(path);
    assert.equal(res?.status(), 403, path);
    await ForbiddenPage.verifyOnPage(page);
    const text = await page.locator('body').innerText();
    assert.doesNotMatch(text, /\bat [\w.<>]+ \(|node_modules|\.ts:\d+|Error:|FST_/, 'no stack trace or framework error reaches the page');
    assert.ok(await page.locator('header.nhsuk-header').isVisible(), 'the NHS header is shown');
    if (path === '/users') await checkA11y(page); // the same page for both
  }
  await page.getByRole('link', { name: 'Go to the Warden home page' }).click();
  await HomePage.verifyOnPage(page);
});
