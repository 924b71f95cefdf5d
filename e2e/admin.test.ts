/**
 * Issue 3 in the browser: an organisation's administrator (with an authenticator app, so the sign-in challenge
 * is walked) manages users and roles and searches the audit trail; a user creates and revokes a personal API
 * token. Every page visited is checked with axe (WCAG 2.2 A/AA).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { enrolTotp, lastStep, totpAt } from '../src/features/identity/test-helpers.ts';
import { Client, type TestApp } from '../test/app.ts';
import { organisation, session, user } from '../test/factories.ts';
import { checkA11y, LIMIT, startHarness } from './harness.ts';
import { ApiTokensPage, AuditPage, DeactivateUserPage, NewTokenPage, NewUserPage, TokenCreatedPage, UserPage, UsersPage } from './identity-pages.ts';
import { HomePage, SignInPage, signIn, TwoFactorChallengePage } from './pages.ts';

const h = await startHarness();
const org = await organisation(h.db.owner, { name: 'Eastbridge Community Health' });
const admin = await user(h.db.owner, { name: 'Ada Administrator', roles: [[org.id, 'administrator']] });
const colleague = await user(h.db.owner, { name: 'Colin Colleague', roles: [[org.id, 'reporter']] });
// The administrator's authenticator app, set up through the real set-up page before the browser signs in.
const { secret } = await enrolTotp(new Client(h.app, await session(h.db.owner, admin)));

/** Signs the administrator in through the password and security-code pages. */
async function signInAsAdmin(page: Page) {
  await (await SignInPage.open(page)).signIn(admin.email);
  const challenge = await TwoFactorChallengePage.verifyOnPage(page);
  // The enrolment used up the current time step (codes are not accepted twice): the app's next code.
  await challenge.enter(await totpAt(secret, (await lastStep({ db: h.db } as TestApp, admin.id)) + 1));
  const home = await HomePage.verifyOnPage(page);
  assert.match((await home.signedInAs().textContent()) ?? '', /Ada Administrator, acting for Eastbridge Community Health\./);
}

test('an administrator adds a user, grants and revokes a role, deactivates the account, and finds it in the audit trail', LIMIT, async () => {
  const page = await h.newPage();
  await signInAsAdmin(page);

  await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
  const list = await UsersPage.verifyOnPage(page);
  assert.equal(await list.row(admin.email).count(), 1);
  assert.equal(await list.row(colleague.email).count(), 1);
  await checkA11y(page);

  await page.getByRole('button', { name: 'Add a user' }).click();
  const form = await NewUserPage.verifyOnPage(page);
  await checkA11y(page);
  await page.getByLabel('Reporter (any staff member)').uncheck();
  await form.submit();
  assert.deepEqual(Object.keys(await form.errorLinks()).sort(), ['#email', '#name', '#roles'].sort());
  assert.match(await page.title(), /^Error: /);
  await checkA11y(page);

  const email = `nina.newstarter.${Date.now()}@eastbridge.nhs.uk`;
  await form.fill({ name: 'Nina Newstarter', email });
  await page.getByLabel('Reporter (any staff member)').check();
  await form.submit();
  const shown = await UserPage.verifyOnPage(page, 'Nina Newstarter');
  assert.match((await shown.banner.textContent()) ?? '', /User added/);
  assert.deepEqual(await shown.roles(), ['Reporter (any staff member) – Eastbridge Community Health']);
  await checkA11y(page);

  await shown.grant('Line manager');
  await UserPage.verifyOnPage(page, 'Nina Newstarter');
  assert.match((await shown.banner.textContent()) ?? '', /Role granted\./);
  assert.deepEqual((await shown.roles()).sort(), ['Line manager – Eastbridge Community Health', 'Reporter (any staff member) – Eastbridge Community Health']);
  await checkA11y(page);

  await shown.revoke('Remove Line manager – Eastbridge Community Health');
  await UserPage.verifyOnPage(page, 'Nina Newstarter');
  assert.match((await shown.banner.textContent()) ?? '', /Role removed\./);
  assert.deepEqual(await shown.roles(), ['Reporter (any staff member) – Eastbridge Community Health']);

  await page.getByRole('button', { name: 'Deactivate account' }).click();
  await DeactivateUserPage.verifyOnPage(page, 'Nina Newstarter');
  await checkA11y(page);
  await page.getByRole('button', { name: 'Deactivate account' }).click();
  await UserPage.verifyOnPage(page, 'Nina Newstarter');
  assert.match((await shown.banner.textContent()) ?? '', /Account deactivated/);
  assert.equal(await shown.account(), 'Deactivated: cannot sign in');
  await checkA11y(page);

  await page.getByRole('link', { name: 'Users', exact: true }).first().click();
  await UsersPage.verifyOnPage(page);
  assert.match((await list.row(email).textContent()) ?? '', /Deactivated/);

  // The audit trail, filtered to user administration: every change just made, newest first.
  await page.getByRole('navigation').getByRole('link', { name: 'Audit trail' }).click();
  const audit = await AuditPage.verifyOnPage(page);
  await checkA11y(page);
  await page.getByLabel('Action starts with').fill('user.');
  await page.getByRole('button', { name: 'Search the audit trail' }).click();
  await AuditPage.verifyOnPage(page);
  assert.equal(new URL(page.url()).searchParams.get('action'), 'user.', 'the filters live in the address');
  const actions = await audit.actions();
  assert.ok(actions.length > 0 && actions.every((a) => a.startsWith('user.')), actions.join(', '));
  for (const a of ['user.create', 'user.role_grant', 'user.role_revoke', 'user.deactivate']) assert.ok(actions.includes(a), `${a} is in ${actions.join(', ')}`);
  assert.equal(actions[0], 'user.deactivate', 'newest first');
  assert.equal(await page.getByLabel('Action starts with').inputValue(), 'user.', 'the filter is kept');
  await checkA11y(page);

  // Filtering by who acted as well: the administrator made every one of those changes.
  await page.getByLabel('E-mail address of the person who acted').fill(admin.email);
  await page.getByRole('button', { name: 'Search the audit trail' }).click();
  await page.waitForURL((u) => u.searchParams.get('actor') === admin.email);
  await AuditPage.verifyOnPage(page);
  assert.deepEqual(
    (await audit.actions()).filter((a) => a === 'user.create'),
    ['user.create'],
  );

  // An impossible date range is explained with an error summary, not a crash.
  await page.getByLabel('Date from').fill('2026-03-31');
  await page.getByLabel('Date to').fill('2026-03-01');
  await page.getByRole('button', { name: 'Search the audit trail' }).click();
  await page.waitForURL((u) => u.searchParams.get('to') === '2026-03-01');
  await AuditPage.verifyOnPage(page);
  assert.deepEqual(await audit.errorMessages(), ['Date to must be the same as or after date from']);
  assert.deepEqual(Object.keys(await audit.errorLinks()), ['#to']);
  await checkA11y(page);
});

test('a user creates a personal API token, sees it once, and revokes it', LIMIT, async () => {
  const page = await h.newPage();
  await signIn(page, colleague.email);
  await page.locator('header').getByRole('link', { name: 'API tokens' }).click();
  const tokens = await ApiTokensPage.verifyOnPage(page);
  await checkA11y(page);

  await page.getByRole('button', { name: 'Create a personal token' }).click();
  const form = await NewTokenPage.verifyOnPage(page);
  await checkA11y(page);
  await form.submit();
  assert.deepEqual(Object.keys(await form.errorLinks()).includes('#name'), true);
  await checkA11y(page);

  await page.getByLabel('Name').fill('Weekly statistics export');
  await page.getByLabel('Reporter (any staff member)').check();
  await form.submit();
  const created = await TokenCreatedPage.verifyOnPage(page);
  const token = await created.token();
  await checkA11y(page);

  // The token works for the API, as a program without the browser's cookies would use it.
  const api = await fetch(`${h.baseUrl}/api/v1/api-tokens`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(api.status, 200);

  await page.getByRole('link', { name: 'Back to API tokens' }).click();
  await ApiTokensPage.verifyOnPage(page);
  const row = tokens.row('Weekly statistics export');
  assert.match((await row.textContent()) ?? '', /Active/);
  assert.equal(await page.locator('main').getByText(token).count(), 0, 'the token itself is never shown again');

  await row.getByRole('button', { name: 'Revoke Weekly statistics export' }).click();
  await ApiTokensPage.verifyOnPage(page);
  assert.match((await page.locator('.nhsuk-notification-banner').textContent()) ?? '', /Token revoked/);
  assert.match((await tokens.row('Weekly statistics export').textContent()) ?? '', /Revoked/);
  await checkA11y(page);

  const refused = await fetch(`${h.baseUrl}/api/v1/api-tokens`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(refused.status, 401, 'a revoked token stops working at once');
});
