/**
 * Page objects for the identity, user-administration, API-token and audit pages (issue 3). They follow
 * e2e/pages.ts: `verifyOnPage` waits for the main heading and checks the `<page> – Warden` title.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { WardenPage } from './pages.ts';

export class ChooseOrganisationPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    // The radios' legend is the page heading (nhsuk-frontend `isPageHeading`).
    await WardenPage.heading(page, 'Which organisation are you acting for?');
    return new ChooseOrganisationPage(page);
  }
  async choose(label: string | RegExp) {
    await this.page.getByLabel(label).check();
    await this.page.getByRole('button', { name: 'Continue' }).click();
  }
}

export class AccountPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Your account');
    return new AccountPage(page);
  }
  /** The value of a summary-list row. */
  async row(key: string) {
    const row = this.page.locator('main .nhsuk-summary-list__row', { has: this.page.locator('dt', { hasText: key }) });
    return ((await row.locator('dd.nhsuk-summary-list__value').textContent()) ?? '').trim();
  }
}

export class SignOutPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Sign out');
    return new SignOutPage(page);
  }
}

export class SignedOutPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'You have signed out');
    return new SignedOutPage(page);
  }
}

export class PasswordResetRequestPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Reset your password');
    return new PasswordResetRequestPage(page);
  }
  async request(email: string) {
    await this.page.getByLabel('E-mail address').fill(email);
    await this.page.getByRole('button', { name: 'Send reset link' }).click();
  }
}

export class PasswordResetSentPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Check your e-mail');
    return new PasswordResetSentPage(page);
  }
}

export class PasswordResetFormPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Choose a new password');
    return new PasswordResetFormPage(page);
  }
  async choose(password: string, confirm = password) {
    await this.page.getByLabel('New password', { exact: true }).fill(password);
    await this.page.getByLabel('Confirm the new password').fill(confirm);
    await this.page.getByRole('button', { name: 'Change password' }).click();
  }
}

export class PasswordResetDonePage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Your password has been changed');
    return new PasswordResetDonePage(page);
  }
}

/** The NHS-styled refusal page (403): no internals, a way home. */
export class ForbiddenPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'You do not have access to this page');
    return new ForbiddenPage(page);
  }
}

export class UsersPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, /^Users\b/);
    return new UsersPage(page);
  }
  row(text: string) {
    return this.page.locator('main table tbody tr', { hasText: text });
  }
}

export class NewUserPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, /^Add a user\b/);
    return new NewUserPage(page);
  }
  async fill(o: { name: string; email: string }) {
    await this.page.getByLabel('Full name').fill(o.name);
    await this.page.getByLabel('E-mail address').fill(o.email);
  }
}

export class UserPage extends WardenPage {
  static async verifyOnPage(page: Page, name: string) {
    await WardenPage.heading(page, name);
    return new UserPage(page);
  }
  get banner() {
    return this.page.locator('.nhsuk-notification-banner');
  }
  /** The labels of the roles listed in the roles table. */
  async roles(): Promise<string[]> {
    const cells = this.page.locator('main table', { has: this.page.locator('caption', { hasText: 'Roles held' }) }).locator('tbody tr td:first-child');
    return (await cells.allTextContents()).map((t) => t.trim());
  }
  async grant(roleLabel: string) {
    await this.page.getByLabel('Role', { exact: true }).selectOption({ label: roleLabel });
    await this.page.getByRole('button', { name: 'Grant role' }).click();
  }
  async revoke(roleText: string | RegExp) {
    await this.page.getByRole('button', { name: roleText }).click();
  }
  async account() {
    const row = this.page.locator('main .nhsuk-summary-list__row', { has: this.page.locator('dt', { hasText: 'Account' }) });
    return ((await row.locator('dd').textContent()) ?? '').trim();
  }
}

export class DeactivateUserPage extends WardenPage {
  static async verifyOnPage(page: Page, name: string) {
    await WardenPage.heading(page, `Deactivate ${name}?`);
    return new DeactivateUserPage(page);
  }
}

export class AuditPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Audit trail');
    return new AuditPage(page);
  }
  /** The Action column of every event row shown. */
  async actions(): Promise<string[]> {
    const cells = this.page.locator('main table tbody tr td:nth-child(3) code');
    return (await cells.allTextContents()).map((t) => t.trim());
  }
}

export class ApiTokensPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'API tokens');
    return new ApiTokensPage(page);
  }
  row(name: string) {
    return this.page.locator('main table', { has: this.page.locator('caption', { hasText: 'Your personal tokens' }) }).locator('tbody tr', { hasText: name });
  }
}

export class NewTokenPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Create a personal API token');
    return new NewTokenPage(page);
  }
}

export class TokenCreatedPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Copy your new API token');
    return new TokenCreatedPage(page);
  }
  async token() {
    const value = await this.page.locator('#token').inputValue();
    assert.match(value, /^wdn_/);
    return value;
  }
}
