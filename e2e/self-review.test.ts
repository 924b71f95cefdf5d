/**
 * Issue 5 in the browser: rating a standard and seeing the roll-up change, the Security Management Director signing
 * off with their second factor, submission, and the commissioner's view of its providers' submitted reviews. Every
 * page visited is checked with axe (WCAG 2.2 A/AA), including the pages re-shown with errors.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import type { Actor } from '../src/platform/access/roles.ts';
import { systemActor } from '../src/platform/access/roles.ts';
import { BUNDLED_FRAMEWORKS } from '../src/standards/load.ts';
import { annualReport, commissioning, enableTotp, organisation, TEST_SECRET_KEY, user } from '../test/factories.ts';
import { checkA11y, LIMIT, startHarness } from './harness.ts';
import { HomePage, SignInPage, signIn, TwoFactorChallengePage } from './pages.ts';
import { OversightPage, SelfReviewPage, SelfReviewsPage, SignOffPage } from './self-review-pages.ts';

const h = await startHarness({ config: { secretKey: TEST_SECRET_KEY } });
await h.services.selfReview.loadFramework(systemActor, await readFile(BUNDLED_FRAMEWORKS[0]!, 'utf8'));
const trust = await organisation(h.db.owner, { name: 'Riverside Acute Trust', code: 'RRV' });
const icb = await organisation(h.db.owner, { name: 'Riverside ICB', type: 'commissioner' });
await commissioning(h.db.owner, { commissionerOrgId: icb.id, providerOrgId: trust.id });
const lsms = await user(h.db.owner, { name: 'Lou Specialist', roles: [[trust.id, 'security_specialist']] });
const smd = await user(h.db.owner, { name: 'Sam Director', roles: [[trust.id, 'smd']] });
const commissioner = await user(h.db.owner, { name: 'Cam Commissioner', roles: [[icb.id, 'commissioner']] });
const smdSecret = await enableTotp(h.db.owner, smd.id);
const lsmsSecret = await enableTotp(h.db.owner, lsms.id);
const lsmsActor: Actor = {
  kind: 'user',
  userId: lsms.id,
  name: lsms.name,
  email: lsms.email,
  orgId: trust.id,
  roles: ['security_specialist'],
  globalRoles: [],
};
const FRAMEWORK = 'NHS Protect standards for commissioners: security management, 2017-18';
const step = () => Math.floor(Date.now() / 30_000);

/**
 * The code the user's authenticator app would accept next: for the current time step, or the one after the last
 * Warden accepted from them (a code is never accepted twice), waiting for the next step when both are used, as
 * the user would wait for their app to show a new code. Not the step before the current one, although Warden
 * allows ±1 step of drift: a code for it, made just before a 30-second boundary, is refused once the boundary
 * passes before Warden checks it (this failed one CI run in four).
 */
async function nextCode(u: { id: string }, secret: string) {
  const row = await h.db.owner.selectFrom('users').select('totp_last_step').where('id', '=', u.id).executeTakeFirstOrThrow();
  const next = (row.totp_last_step ?? 0) + 1;
  while (next > step() + 1) await sleep(30_000 - (Date.now() % 30_000) + 50);
  const at = Math.max(step(), next);
  assert.ok(at <= step() + 1, 'no unused code left in this 30-second window');
  return generate({ secret, epoch: at * 30 });
}

/** Signs in a user whose second factor is set up, answering the challenge as their app would. */
async function signInWithCode(page: Page, u: { id: string; email: string }, secret: string) {
  const form = await SignInPage.open(page);
  await form.signIn(u.email);
  const challenge = await TwoFactorChallengePage.verifyOnPage(page);
  await challenge.enter(await nextCode(u, secret));
  return HomePage.verifyOnPage(page);
}

let reviewPath = '';

test('the LSMS starts a review, rates a standard and sees the key-area and overall ratings change', LIMIT, async () => {
  const page = await h.newPage();
  await signInWithCode(page, lsms, lsmsSecret);
  await page.getByRole('navigation').getByRole('link', { name: 'Self review' }).click();
  const list = await SelfReviewsPage.verifyOnPage(page);
  await checkA11y(page);
  await list.start(2026, FRAMEWORK);
  let review = await SelfReviewPage.verifyOnPage(page, '2026/27');
  reviewPath = new URL(page.url()).pathname;
  await checkA11y(page);
  assert.equal(await review.rollUp('Hold to Account'), 'Not rated');
  assert.equal(await review.rollUp('Overall'), 'Not rated');

  let standard = await review.openStandard('4.1');
  await checkA11y(page);
  // Saving nothing is fine (clears the rating); an over-long comment is refused with an error summary.
  await page.getByLabel('Comments supporting the rating').fill('x'.repeat(10_001));
  await page.getByRole('button', { name: 'Save the rating' }).click();
  assert.deepEqual(await standard.errorMessages(), ['Comments must be 10,000 characters or fewer']);
  await checkA11y(page);
  await standard.rate('Green', 'Investigations are timely; timeliness audited quarterly.');
  review = await SelfReviewPage.verifyOnPage(page, '2026/27');
  assert.equal(await review.rollUp('Hold to Account'), 'Green');
  assert.equal(await review.rollUp('Overall'), 'Green');
  // An unsupported green is flagged until an outcome is recorded (002 §3.16).
  await page.getByText('Standard 4.1 is rated green but no evidence of evaluation or outcomes is recorded').waitFor();

  standard = await review.openStandard('4.2');
  await standard.rate('Red', 'No sanctions policy yet.');
  review = await SelfReviewPage.verifyOnPage(page, '2026/27');
  assert.equal(await review.rollUp('Hold to Account'), 'Amber', 'green and red of equal weight: amber');
  assert.equal(await review.rollUp('Overall'), 'Amber');

  // Evidence: an outcome with a link, then the flag for 4.1 is gone.
  standard = await review.openStandard('4.1');
  await page.getByRole('group', { name: 'Is it an output or an outcome?' }).getByLabel('Outcome', { exact: true }).check();
  await page.getByLabel('Description', { exact: true }).fill('Timeliness audit, quarter 3');
  await page.getByLabel('Link', { exact: true }).fill('https://intranet.example.nhs.uk/audits/q3');
  await page.getByRole('button', { name: 'Add evidence' }).click();
  await page.getByRole('link', { name: 'Timeliness audit, quarter 3' }).waitFor();
  await checkA11y(page);
  await page.getByRole('link', { name: 'Back to the self review' }).click();
  review = await SelfReviewPage.verifyOnPage(page, '2026/27');
  assert.equal(await page.getByText('Standard 4.1 is rated green but no evidence').count(), 0);
  await checkA11y(page);
});

test('the SMD signs the review off with a code from their authenticator app, and the LSMS submits it', LIMIT, async () => {
  // The rest of the standards are rated through the service: the browser part above is what is being tested.
  for (const n of ['1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7', '2.1', '2.2', '3.1', '3.2', '3.3', '4.2'])
    await h.services.selfReview.rate(lsmsActor, reviewPath.split('/').at(-1) as string, n, { rating: 'green', comments: `Standard ${n}: evaluated.` });
  const page = await h.newPage();
  await signInWithCode(page, smd, smdSecret);
  await page.goto(reviewPath);
  let review = await SelfReviewPage.verifyOnPage(page, '2026/27');
  await page.getByRole('button', { name: 'Sign off the self review' }).click();
  const signOff = await SignOffPage.verifyOnPage(page, '2026/27');
  await checkA11y(page);
  await signOff.signOff('000000');
  assert.deepEqual(await signOff.errorMessages(), ['The code is not right, or it has been used already. Enter the code your authenticator app shows now']);
  await checkA11y(page);
  await signOff.signOff(await nextCode(smd, smdSecret));
  review = await SelfReviewPage.verifyOnPage(page, '2026/27');
  assert.equal(((await review.status()) ?? '').trim(), 'Signed off');
  await page.getByText(/Signed off by Sam Director on .* The review is locked/).waitFor();
  await checkA11y(page);

  const lsmsPage = await h.newPage();
  await signInWithCode(lsmsPage, lsms, lsmsSecret);
  await lsmsPage.goto(reviewPath);
  review = await SelfReviewPage.verifyOnPage(lsmsPage, '2026/27');
  assert.equal(await lsmsPage.getByRole('button', { name: 'Save the rating' }).count(), 0);
  await lsmsPage.getByRole('button', { name: 'Submit to the commissioners and the national body' }).click();
  review = await SelfReviewPage.verifyOnPage(lsmsPage, '2026/27');
  assert.equal(((await review.status()) ?? '').trim(), 'Submitted');
  await lsmsPage.getByRole('cell', { name: /Submitted \d{1,2} [A-Z][a-z]+ \d{4}/ }).waitFor();
  await checkA11y(lsmsPage);
});

test('the commissioner sees its provider’s submitted review: key areas, trend and the review itself', LIMIT, async () => {
  const page = await h.newPage();
  await signIn(page, commissioner.email);
  await page.getByRole('navigation').getByRole('link', { name: 'Oversight' }).click();
  const oversight = await OversightPage.verifyOnPage(page);
  await checkA11y(page);
  const caption = `${FRAMEWORK}: submitted self reviews 2026/27`;
  assert.match(await oversight.rating(caption, 'Riverside Acute Trust', 4), /^Green$/);
  await page.getByRole('cell', { name: /no submitted review for 2025\/26 to compare with/ }).waitFor();
  assert.match(await oversight.rating(caption, 'Riverside Acute Trust', 5), /^Green/);
  await page.getByRole('link', { name: 'Riverside Acute Trust' }).click();
  await page.locator('main h1', { hasText: 'Self review 2026/27, version 1' }).waitFor();
  await page.getByText('The content matches the SHA-256 taken at sign-off').waitFor();
  await page.getByText('Timeliness audit, quarter 3').waitFor();
  await checkA11y(page);
  // The commissioner cannot open the provider's working review.
  await page.goto(reviewPath);
  await page.locator('main h1', { hasText: 'You do not have access to this page' }).waitFor();
});

test('the other self review pages pass axe too: comparison, reopening, import errors, the standards library and annual reports', LIMIT, async () => {
  const page = await h.newPage();
  await signInWithCode(page, smd, smdSecret);
  await page.goto(`${reviewPath}/compare`);
  await page.locator('main h1', { hasText: 'Self review 2026/27 compared with 2025/26' }).waitFor();
  await checkA11y(page);

  await page.goto(reviewPath);
  await page.getByRole('button', { name: 'Reopen the self review' }).click();
  await page.locator('main h1', { hasText: 'Reopen the self review 2026/27' }).waitFor();
  await checkA11y(page);
  await page.getByRole('button', { name: 'Reopen as a new version' }).click();
  await page.locator('.nhsuk-error-summary').getByText('Enter why the self review is being reopened').waitFor();
  await checkA11y(page);
  await page.getByLabel('Why is the review being reopened?').fill('The police review changed our view of 4.1.');
  await page.getByRole('button', { name: 'Reopen as a new version' }).click();
  const review = await SelfReviewPage.verifyOnPage(page, '2026/27');
  assert.equal(((await review.status()) ?? '').trim(), 'Draft');
  await page.getByRole('cell', { name: 'The police review changed our view of 4.1.' }).first().waitFor();

  await page.getByRole('link', { name: 'All self reviews' }).click();
  await SelfReviewsPage.verifyOnPage(page);
  await page.getByLabel('Financial year of the review (first year)').fill('2025');
  await page.setInputFiles('#file', { name: 'last-year.xlsx', mimeType: 'application/octet-stream', buffer: Buffer.from('not a workbook') });
  await page.getByRole('button', { name: 'Import the review' }).click();
  await page.locator('.nhsuk-error-summary').waitFor();
  await checkA11y(page);

  await page.getByRole('link', { name: 'The standards these reviews are made against' }).click();
  await page.locator('main h1', { hasText: 'Standards' }).waitFor();
  await checkA11y(page);
  await page.getByRole('link', { name: 'NHS Protect standards for commissioners: security management' }).click();
  await page.locator('main h1', { hasText: 'NHS Protect standards for commissioners: security management' }).waitFor();
  await checkA11y(page);

  await page.getByRole('navigation').getByRole('link', { name: 'Annual reports' }).click();
  await page.locator('main h1', { hasText: 'Annual reports' }).waitFor();
  await checkA11y(page);
  await page.getByLabel('Financial year the report covers (first year)').fill('2025');
  await page.getByRole('button', { name: 'Record the annual report' }).click();
  await page.locator('main h1', { hasText: 'Annual report 2025/26' }).waitFor();
  await checkA11y(page);
  await page.getByLabel('Date presented to the Board').fill('2026-05-20');
  await page.getByLabel('Board minute reference (optional)').fill('M'.repeat(501));
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('.nhsuk-error-summary').getByText('Keep the minute reference to 500 characters').waitFor();
  assert.equal(await page.getByLabel('Date presented to the Board').inputValue(), '2026-05-20', 'what was entered is kept');
  await checkA11y(page);

  // A signed report with a mistake: the SMD reopens it, with a reason; what was signed is listed.
  const signed = await annualReport(h.db.owner, { orgId: trust.id, year: 2023, presentedOn: '2024-05-21', boardDecision: 'approved', signedBy: smd.id });
  await page.goto(`/annual-reports/${signed.id}`);
  await page.getByRole('button', { name: 'Reopen the annual report' }).click();
  await page.locator('.nhsuk-error-summary').getByText('Enter why the signed report is being reopened').waitFor();
  await checkA11y(page);
  await page.getByLabel('Why is the report being reopened?').fill('The Board met on 2024-05-22, not the 21st.');
  await page.getByRole('button', { name: 'Reopen the annual report' }).click();
  await page.getByRole('table', { name: 'Earlier sign-offs, reopened' }).getByRole('cell', { name: 'The Board met on 2024-05-22, not the 21st.' }).waitFor();
  await page.getByLabel('Date presented to the Board').waitFor(); // a draft again, to correct
  await checkA11y(page);
});

test('the commissioner reads its provider’s signed annual report from the oversight pages', LIMIT, async () => {
  // A report the provider's SMD signed off last year (the signing journey is the LSMS and SMD test's above).
  await annualReport(h.db.owner, {
    orgId: trust.id,
    year: 2024,
    presentedOn: '2025-05-20',
    boardDecision: 'approved',
    signedBy: smd.id,
    summary: 'Lone working and violence prevention were the year’s priorities.',
  });
  const page = await h.newPage();
  await signIn(page, commissioner.email);
  await page.getByRole('navigation').getByRole('link', { name: 'Oversight' }).click();
  await page.getByRole('link', { name: 'Providers’ annual reports' }).click();
  await page.locator('main h1', { hasText: 'Providers’ annual reports' }).waitFor();
  await checkA11y(page);
  // The year links name their provider to screen readers too.
  await page.getByRole('link', { name: /^2024\/25 ?, Riverside Acute Trust$/ }).click();
  await page.locator('main h1', { hasText: 'Annual report 2024/25' }).waitFor();
  await page.getByText('Lone working and violence prevention were the year’s priorities.').waitFor();
  await checkA11y(page);
});
