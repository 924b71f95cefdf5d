/**
 * Page objects: one class per page the browser tests visit. `verifyOnPage` waits for the page's main heading and
 * checks the document title follows the `<page> – Warden` pattern, so a test fails at the first wrong turn.
 */
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import type { Locator, Page } from 'playwright-core';
import { TEST_PASSWORD } from '../test/factories.ts';
import { checkA11y } from './harness.ts';

export abstract class WardenPage {
  constructor(readonly page: Page) {}

  /** The main heading, checked exactly. */
  protected static async heading(page: Page, text: string | RegExp) {
    const h1 = page.locator('main h1');
    await h1.filter({ hasText: text }).waitFor();
    const actual = ((await h1.textContent()) ?? '').trim();
    if (typeof text === 'string') assert.equal(actual, text, `expected the heading "${text}" on ${page.url()}`);
    else assert.match(actual, text);
    assert.match(await page.title(), / – Warden$/, 'every page title names the service');
  }

  get errorSummary(): Locator {
    return this.page.locator('.nhsuk-error-summary');
  }

  /** The error summary's messages, in order. */
  async errorMessages(): Promise<string[]> {
    await this.errorSummary.waitFor();
    return (await this.errorSummary.locator('li').allTextContents()).map((t) => t.trim());
  }

  /** The error summary's links, as href → text. */
  async errorLinks(): Promise<Record<string, string>> {
    // Wait for the page that answers the submit: reading the links at once can catch the page before it.
    await this.errorSummary.waitFor();
    const links = this.errorSummary.locator('a');
    const out: Record<string, string> = {};
    for (const a of await links.all()) out[(await a.getAttribute('href')) ?? ''] = ((await a.textContent()) ?? '').trim();
    return out;
  }

  /** Submits the page's form by pressing its only primary button. */
  async submit() {
    await this.page.locator('main form button[type=submit], main form button:not([type])').first().click();
  }
}

export class HomePage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Warden');
    return new HomePage(page);
  }
  signedInAs() {
    return this.page.locator('main p', { hasText: 'You are signed in as' });
  }
}

export class SetupPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Set up Warden');
    return new SetupPage(page);
  }
  async fill(o: { setupCode: string; orgName: string; orgCode: string; orgType: string; name: string; email: string; password: string }) {
    await this.page.getByLabel('Set-up code').fill(o.setupCode);
    await this.page.getByLabel('Organisation name').fill(o.orgName);
    await this.page.getByLabel('Organisation code').fill(o.orgCode);
    await this.page.getByLabel(o.orgType, { exact: true }).check();
    await this.page.getByLabel('Full name').fill(o.name);
    await this.page.getByLabel('E-mail address').fill(o.email);
    await this.page.getByLabel('Password').fill(o.password);
  }
}

export class SignInPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Sign in to Warden');
    return new SignInPage(page);
  }
  static async open(page: Page) {
    await page.goto('/sign-in');
    return SignInPage.verifyOnPage(page);
  }
  async signIn(email: string, password = TEST_PASSWORD) {
    await this.page.getByLabel('E-mail address').fill(email);
    await this.page.getByLabel('Password').fill(password);
    await this.submit();
  }
}

/** Privileged roles must set up an authenticator app before anything else (SPEC C1; ASVS 6.3.3). */
export class TwoFactorSetupPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Set up two-factor authentication');
    return new TwoFactorSetupPage(page);
  }
  /** Reads the key shown for manual entry, as a person would type it into their app, and enters the app's code. */
  async enrol(): Promise<{ secret: string }> {
    const secret = (await this.page.locator('#totp-secret').getAttribute('data-secret')) ?? '';
    assert.match(secret, /^[A-Z2-7]{16,}$/, 'a base32 key is shown for apps that cannot scan the QR code');
    await this.page.getByLabel('Security code').fill(await generate({ secret }));
    await this.submit();
    return { secret };
  }
}

export class TwoFactorChallengePage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Enter your security code');
    return new TwoFactorChallengePage(page);
  }
  /** Enters a code from the app or a recovery code. */
  async enter(code: string) {
    await this.page.getByLabel('Security code').fill(code);
    await this.page.getByRole('button', { name: 'Continue' }).click();
  }
}

export class RecoveryCodesPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Save your recovery codes');
    return new RecoveryCodesPage(page);
  }
  async codes() {
    return (await this.page.locator('#recovery-codes li').allTextContents()).map((c) => c.trim());
  }
  async done() {
    await this.page.getByRole('button', { name: 'I have saved my recovery codes' }).click();
  }
}

/** Fills the report form's "when did it happen" with yesterday (the UTC day, as the tests have always used) at `time`. */
export async function fillWhenYesterday(page: Page, time: string) {
  const yesterday = new Date(Date.now() - 86_400_000);
  await page.getByLabel('Day', { exact: true }).first().fill(String(yesterday.getUTCDate()));
  await page
    .getByLabel('Month', { exact: true })
    .first()
    .fill(String(yesterday.getUTCMonth() + 1));
  await page.getByLabel('Year', { exact: true }).first().fill(String(yesterday.getUTCFullYear()));
  await page.getByLabel('Time', { exact: true }).fill(time);
}

/**
 * Signs in through the real form. A privileged user signing in for the first time is sent to set up two-factor
 * authentication; this completes it (with `a11y`, checking each of those pages with axe) and lands on the home page.
 */
export async function signIn(page: Page, email: string, options: { a11y?: boolean } = {}) {
  const form = await SignInPage.open(page);
  await form.signIn(email);
  await page.waitForURL((u) => u.pathname !== '/sign-in');
  if (new URL(page.url()).pathname === '/account/two-factor') {
    const setup = await TwoFactorSetupPage.verifyOnPage(page);
    if (options.a11y) await checkA11y(page);
    await setup.enrol();
    const codes = await RecoveryCodesPage.verifyOnPage(page);
    assert.equal((await codes.codes()).length, 10);
    if (options.a11y) await checkA11y(page);
    await codes.done();
  }
  return HomePage.verifyOnPage(page);
}

export class OrganisationsPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Organisations');
    return new OrganisationsPage(page);
  }
  row(name: string) {
    return this.page.locator('main table tbody tr', { hasText: name });
  }
}

export class OrganisationFormPage extends WardenPage {
  static async verifyOnPage(page: Page, heading: string | RegExp = 'Add an organisation') {
    await WardenPage.heading(page, heading);
    return new OrganisationFormPage(page);
  }
  async fill(o: { name: string; code: string; type: string }) {
    await this.page.getByLabel('Name', { exact: true }).fill(o.name);
    await this.page.getByLabel('Organisation code').fill(o.code);
    await this.page.getByLabel(o.type, { exact: true }).check();
  }
}

export class OrganisationPage extends WardenPage {
  static async verifyOnPage(page: Page, name: string) {
    await WardenPage.heading(page, name);
    return new OrganisationPage(page);
  }
  table(caption: string) {
    return this.page.locator('main table', { has: this.page.locator('caption', { hasText: caption }) });
  }
}

export class SiteFormPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, /^Add a site to /);
    return new SiteFormPage(page);
  }
  async fill(o: { name: string; address: string; postcode?: string; isLarge?: boolean }) {
    await this.page.getByLabel('Site name').fill(o.name);
    await this.page.getByLabel('Address').fill(o.address);
    if (o.postcode) await this.page.getByLabel('Postcode (optional)').fill(o.postcode);
    if (o.isLarge) await this.page.getByLabel('This is a large site').check();
  }
}

export class HeadcountFormPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, /^Staff headcount for /);
    return new HeadcountFormPage(page);
  }
  async fill(o: { financialYear: number; headcount: number }) {
    await this.page.getByLabel('First year of the financial year').fill(String(o.financialYear));
    await this.page.getByLabel('Staff headcount').fill(String(o.headcount));
  }
}

export class NotFoundPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Page not found');
    return new NotFoundPage(page);
  }
}

export class AccessibilityStatementPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, /accessibility/i);
    return new AccessibilityStatementPage(page);
  }
}

// ---- analysis and benchmarking (features/analytics) ----------------------------------------------------------------

/** Pages of analysis: a heading, charts as figures, and tables by caption. */
abstract class AnalysisPage extends WardenPage {
  /** The figure whose caption starts with `caption`. */
  figure(caption: string | RegExp) {
    return this.page.locator('main figure', { has: this.page.locator('figcaption', { hasText: caption }) });
  }
  table(caption: string | RegExp) {
    return this.page.locator('main table', { has: this.page.locator('caption', { hasText: caption }) });
  }
  /** The cells of a table's body, row by row, without the responsive headings. */
  async rows(caption: string | RegExp): Promise<string[][]> {
    const rows = await this.table(caption).locator('tbody tr').all();
    return Promise.all(
      rows.map((r) =>
        r.locator('td, th').evaluateAll((cells) =>
          cells.map((c) => {
            const copy = c.cloneNode(true) as HTMLElement;
            for (const heading of copy.querySelectorAll('.nhsuk-table__heading')) heading.remove();
            return (copy.textContent ?? '').replace(/\s+/g, ' ').trim();
          }),
        ),
      ),
    );
  }
}

export class DashboardPage extends AnalysisPage {
  static async verifyOnPage(page: Page, orgName: string) {
    await WardenPage.heading(page, `Incidents at ${orgName}`);
    return new DashboardPage(page);
  }
  async filter(o: { from?: string; to?: string; category?: string; site?: string }) {
    if (o.from !== undefined) await this.page.getByLabel('Month from').fill(o.from);
    if (o.to !== undefined) await this.page.getByLabel('Month to').fill(o.to);
    if (o.category) await this.page.getByLabel('Category', { exact: true }).selectOption({ label: o.category });
    if (o.site) await this.page.getByLabel('Site', { exact: true }).selectOption({ label: o.site });
    await this.page.getByRole('button', { name: 'Show figures' }).click();
  }
}

export class BenchmarkPage extends AnalysisPage {
  static async verifyOnPage(page: Page, orgName: string) {
    await WardenPage.heading(page, `${orgName} beside its peers`);
    return new BenchmarkPage(page);
  }
  async showYear(label: string) {
    await this.page.getByLabel('Financial year', { exact: true }).selectOption({ label });
    await this.page.getByRole('button', { name: 'Show the year' }).click();
  }
}

export class PerceptionPage extends AnalysisPage {
  static async verifyOnPage(page: Page, orgName: string) {
    await WardenPage.heading(page, `Perception and reality at ${orgName}`);
    return new PerceptionPage(page);
  }
  async record(o: { year: string; violence: string; abuse?: string }) {
    await this.page.getByLabel('Financial year', { exact: true }).fill(o.year);
    await this.page.getByLabel(/Staff who experienced physical violence/).fill(o.violence);
    if (o.abuse !== undefined) await this.page.getByLabel(/Staff who experienced harassment/).fill(o.abuse);
    await this.page.getByRole('button', { name: 'Save the figures' }).click();
  }
}

export class NationalPage extends AnalysisPage {
  static async verifyOnPage(page: Page, heading: 'The national picture' | 'Providers you commission' = 'The national picture') {
    await WardenPage.heading(page, heading);
    return new NationalPage(page);
  }
}

export class StatisticsPage extends AnalysisPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Published statistics and staff surveys');
    return new StatisticsPage(page);
  }
  async upload(kind: 'Published statistics of physical assaults' | 'Staff-survey figures', name: string, text: string) {
    await this.page.getByLabel(kind).check();
    await this.page.setInputFiles('#file', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
    await this.page.getByRole('button', { name: 'Import the file' }).click();
  }
}
