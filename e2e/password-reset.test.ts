/**
 * Issue 3 in the browser: password reset end to end. The e-mail goes through nodemailer and SMTP to a real local
 * sink (test/mail.ts), and the link in it is opened in the browser. Every page visited is checked with axe.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { organisation, TEST_PASSWORD, user } from '../test/factories.ts';
import { mailSink } from '../test/mail.ts';
import { checkA11y, LIMIT, startHarness } from './harness.ts';
import { PasswordResetDonePage, PasswordResetFormPage, PasswordResetRequestPage, PasswordResetSentPage } from './identity-pages.ts';
import { HomePage, SignInPage, signIn } from './pages.ts';

const sink = await mailSink();
const h = await startHarness({ config: { smtpUrl: sink.url, mailFrom: 'Warden <warden@test.nhs.uk>', baseUrl: 'https://warden.test.nhs.uk' } });
const north = await organisation(h.db.owner, { name: 'Northgate Acute Trust' });

test('password reset end to end: e-mail through SMTP, a common password refused, old sessions ended, the new one signs in', LIMIT, async () => {
  const member = await user(h.db.owner, { name: 'Pat Forgetful', roles: [[north.id, 'reporter']] });
  const NEW_PASSWORD = 'heron quarry velvet mitten';

  // A session elsewhere, which the reset must end.
  const elsewhere = await h.newPage();
  await signIn(elsewhere, member.email);

  const page = await h.newPage();
  await SignInPage.open(page);
  await page.getByRole('link', { name: 'Forgotten your password?' }).click();
  const request = await PasswordResetRequestPage.verifyOnPage(page);
  await checkA11y(page);
  await request.request('not an address');
  assert.deepEqual(Object.keys(await request.errorLinks()), ['#email']);
  await checkA11y(page);
  await request.request(member.email);
  await PasswordResetSentPage.verifyOnPage(page);
  await checkA11y(page);

  const mail = await sink.waitFor(member.email);
  const link = /https:\/\/warden\.test\.nhs\.uk(\/password-reset\/[A-Za-z0-9_-]{43})/.exec(mail.text);
  assert.ok(link, `the e-mail holds a reset link:\n${mail.text}`);
  await page.goto(link[1] as string);
  const form = await PasswordResetFormPage.verifyOnPage(page);
  await checkA11y(page);

  await form.choose('Liverpool2026!');
  assert.deepEqual(await form.errorMessages(), ['This password is too common and easy to guess. Choose a different one, for example 3 or 4 unrelated words']);
  assert.match(await page.title(), /^Error: /);
  await checkA11y(page);
  await form.choose('short');
  assert.deepEqual(Object.keys(await form.errorLinks()), ['#password']);

  await form.choose(NEW_PASSWORD);
  await PasswordResetDonePage.verifyOnPage(page);
  await checkA11y(page);

  // The session in the other browser has ended.
  await elsewhere.goto('/account');
  await SignInPage.verifyOnPage(elsewhere);

  // The link works once.
  await page.goto(link[1] as string);
  await page.locator('main h1', { hasText: 'This link has expired or has been used' }).waitFor();
  await checkA11y(page);

  // The old password no longer works; the new one does.
  const signInPage = await SignInPage.open(page);
  await signInPage.signIn(member.email, TEST_PASSWORD);
  assert.deepEqual(await signInPage.errorMessages(), ['The e-mail address or password is not right']);
  await signInPage.signIn(member.email, NEW_PASSWORD);
  await HomePage.verifyOnPage(page);
  assert.match((await page.locator('main p', { hasText: 'You are signed in as' }).textContent()) ?? '', /Pat Forgetful/);
});
