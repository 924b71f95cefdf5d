import assert from 'node:assert/strict';
import { test } from 'node:test';
import { organisation, user } from '../test/factories.ts';
import { checkA11y, LIMIT, startHarness } from './harness.ts';
import { AccessibilityStatementPage, HomePage, NotFoundPage, SignInPage } from './pages.ts';

const h = await startHarness();
const org = await organisation(h.db.owner, { name: 'Westmoor Ambulance Service', type: 'ambulance' });
const member = await user(h.db.owner, { name: 'Sam Reporter', roles: [[org.id, 'reporter']] });

test('the home page invites an anonymous visitor to sign in, and is accessible', LIMIT, async () => {
  const page = await h.newPage();
  await page.goto('/');
  const home = await HomePage.verifyOnPage(page);
  assert.equal(await home.signedInAs().count(), 0);
  await checkA11y(page);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await SignInPage.verifyOnPage(page);
  await checkA11y(page);
});

test('a wrong password gets the generic error summary; the right one signs in to the home page', LIMIT, async () => {
  const page = await h.newPage();
  const signIn = await SignInPage.open(page);
  await signIn.signIn(member.email, 'not the password at all');
  // The same message for an unknown e-mail and a wrong password: it does not reveal who has an account.
  assert.deepEqual(await signIn.errorMessages(), ['The e-mail address or password is not right']);
  assert.deepEqual(await signIn.errorLinks(), { '#email': 'The e-mail address or password is not right' });
  assert.match(await page.title(), /^Error: Sign in – Warden$/);
  assert.equal(await page.getByLabel('E-mail address').inputValue(), member.email, 'the e-mail address is kept');
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not sent back');
  await checkA11y(page);

  await signIn.signIn(member.email);
  const home = await HomePage.verifyOnPage(page);
  assert.match((await home.signedInAs().textContent()) ?? '', /You are signed in as Sam Reporter, acting for Westmoor Ambulance Service\./);
  await checkA11y(page);

  await page.getByRole('link', { name: 'Accessibility statement' }).click();
  await AccessibilityStatementPage.verifyOnPage(page);
  await checkA11y(page);
});

test('an unknown address shows the NHS-styled "Page not found" page without internals, and is accessible', LIMIT, async () => {
  const page = await h.newPage();
  const res = await page.goto('/no/such/page?x=<script>');
  assert.equal(res?.status(), 404);
  await NotFoundPage.verifyOnPage(page);
  const text = await page.locator('body').innerText();
  assert.doesNotMatch(text, /\bat [\w.<>]+ \(|node_modules|\.ts:\d+|Error:|FST_/, 'no stack trace or framework error reaches the page');
  assert.ok(await page.locator('header.nhsuk-header').isVisible(), 'the NHS header is shown');
  assert.ok(await page.locator('footer .nhsuk-footer, footer.nhsuk-footer').first().isVisible(), 'the NHS footer is shown');
  await checkA11y(page);
  await page.getByRole('link', { name: 'Go to the Warden home page' }).click();
  await HomePage.verifyOnPage(page);
});
