/**
 * Page objects for the self review (issue 5), following e2e/pages.ts: `verifyOnPage` waits for the main heading
 * and checks the `<page> – Warden` title.
 */
import type { Page } from 'playwright-core';
import { WardenPage } from './pages.ts';

/** The text of a table's cell in the row whose first cell is `rowName`, by column index. */
async function cell(page: Page, caption: string, rowName: string, column: number) {
  const table = page.locator('main table', { has: page.locator('caption', { hasText: caption }) });
  const row = table.locator('tbody tr', { has: page.locator('td:first-child', { hasText: rowName }) }).first();
  // A responsive table repeats each column's heading inside its cells for small screens: leave it out.
  const text = await row
    .locator('td')
    .nth(column)
    .evaluate((td) => {
      const copy = td.cloneNode(true) as HTMLElement;
      for (const h of copy.querySelectorAll('.nhsuk-table__heading')) h.remove();
      for (const br of copy.querySelectorAll('br')) br.replaceWith(' ');
      return copy.textContent ?? '';
    });
  return text.replace(/\s+/g, ' ').trim();
}

export class SelfReviewsPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Self reviews');
    return new SelfReviewsPage(page);
  }
  async start(year: number, framework: string) {
    await this.page.getByLabel('Financial year (first year)').fill(String(year));
    await this.page.getByLabel('Standards', { exact: true }).selectOption({ label: framework });
    await this.page.getByRole('button', { name: 'Start the self review' }).click();
  }
}

export class SelfReviewPage extends WardenPage {
  static async verifyOnPage(page: Page, yearLabel: string) {
    await WardenPage.heading(page, `Self review ${yearLabel}`);
    return new SelfReviewPage(page);
  }
  /** The rating shown for a key area, or "Overall". */
  rollUp(area: string) {
    return cell(this.page, 'Key area and overall ratings', area, 1);
  }
  async openStandard(number: string) {
    await this.page.getByRole('link', { name: number, exact: true }).click();
    return StandardPage.verifyOnPage(this.page, number);
  }
  status() {
    return this.page.locator('main h1 + p strong.nhsuk-tag').textContent();
  }
}

export class StandardPage extends WardenPage {
  static async verifyOnPage(page: Page, number: string) {
    await WardenPage.heading(page, `Standard ${number}`);
    return new StandardPage(page);
  }
  /** Chooses a rating by the start of its label ("Green", "Amber", "Red") and saves it with comments. */
  async rate(rating: 'Green' | 'Amber' | 'Red', comments: string) {
    await this.page.getByRole('radio', { name: new RegExp(`^${rating}:`) }).check();
    await this.page.getByLabel('Comments supporting the rating').fill(comments);
    await this.page.getByRole('button', { name: 'Save the rating' }).click();
  }
}

export class SignOffPage extends WardenPage {
  static async verifyOnPage(page: Page, yearLabel: string) {
    await WardenPage.heading(page, `Sign off the self review ${yearLabel}`);
    return new SignOffPage(page);
  }
  async signOff(code: string) {
    await this.page.getByLabel('Security code').fill(code);
    await this.page.getByRole('button', { name: 'Sign off the self review' }).click();
  }
}

export class OversightPage extends WardenPage {
  static async verifyOnPage(page: Page) {
    await WardenPage.heading(page, 'Providers’ self reviews');
    return new OversightPage(page);
  }
  /** The cell for an organisation and a column (1 = first key area … ). */
  rating(caption: string, organisation: string, column: number) {
    return cell(this.page, caption, organisation, column);
  }
}
