import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEST_PASSWORD, uniqueCode } from '../test/factories.ts';
import { checkA11y, LIMIT, startHarness } from './harness.ts';
import { HomePage, OrganisationsPage, RecoveryCodesPage, SetupPage, SignInPage, TwoFactorChallengePage, TwoFactorSetupPage } from './pages.ts';

// This file's database starts empty, as a new installation does (SPEC C1: first run).
const h = await startHarness();

const answers = () => ({
  orgName: 'Northshire Hospitals NHS Foundation Trust',
  orgCode: uniqueCode(),
  orgType: 'Acute trust',
  name: 'Alex Admin',
  email: 'alex.admin@northshire.nhs.uk',
  password: TEST_PASSWORD,
});

test('an empty installation sends every page to the set-up page, which is accessible', LIMIT, async () => {
  const page = await h.newPage();
  await page.goto('/');
  assert.equal(new URL(page.url()).pathname, '/setup');
  await SetupPage.verifyOnPage(page);
  await checkA11y(page);
  await page.goto('/organisations');
  assert.equal(new URL(page.url()).pathname, '/setup');
});

test('a wrong set-up code is refused with an error summary linking to the field, keeping the other answers', LIMIT, async () => {
  await h.services.identity.issueSetupCode();
  const page = await h.newPage();
  await page.goto('/setup');
  const setup = await SetupPage.verifyOnPage(page);
  await setup.fill({ ...answers(), setupCode: 'not-the-code' });
  await setup.submit();
  assert.deepEqual(await setup.errorMessages(), ['The set-up code is not right: copy it from the console where Warden started']);
  assert.deepEqual(await setup.errorLinks(), { '#setupCode': 'The set-up code is not right: copy it from the console where Warden started' });
  assert.match(await page.title(), /^Error: /);
  assert.equal(await page.getByLabel('Organisation name').inputValue(), answers().orgName);
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'a password is never sent back to the browser');
  await checkA11y(page);
  assert.equal(await h.services.identity.needsSetup(), true, 'nothing was created');
});

test('the right set-up code creates the first administrator and organisation, who sets up two-factor and is signed in', LIMIT, async () => {
  const code = await h.services.identity.issueSetupCode();
  const page = await h.newPage();
  await page.goto('/setup');
  const setup = await SetupPage.verifyOnPage(page);
  const a = answers();
  await setup.fill({ ...a, setupCode: code });
  await setup.submit();

  // An administrator must set up two-factor authentication before anything else.
  const twoFactor = await TwoFactorSetupPage.verifyOnPage(page);
  await checkA11y(page);
  await twoFactor.enrol();
  const recovery = await RecoveryCodesPage.verifyOnPage(page);
  const codes = await recovery.codes();
  await checkA11y(page);
  await recovery.done();

  const home = await HomePage.verifyOnPage(page);
  assert.match((await home.signedInAs().textContent()) ?? '', /You are signed in as Alex Admin, acting for Northshire Hospitals NHS Foundation Trust\./);
  await checkA11y(page);
  await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Organisations' }).click();
  const list = await OrganisationsPage.verifyOnPage(page);
  assert.equal(await list.row(a.orgName).count(), 1);

  // Set-up is closed for good: a later visitor is sent to sign in. The administrator signs in again with the
  // password and, instead of the app's code, one of the recovery codes.
  const other = await h.newPage();
  await other.goto('/setup');
  await SignInPage.verifyOnPage(other);
  await new SignInPage(other).signIn(a.email, a.password);
  const challenge = await TwoFactorChallengePage.verifyOnPage(other);
  await checkA11y(other);
  await challenge.enter(codes[0] ?? '');
  await HomePage.verifyOnPage(other);
  assert.equal(await new HomePage(other).signedInAs().count(), 1);
});
