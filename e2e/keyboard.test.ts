import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { organisation, uniqueCode, user } from '../test/factories.ts';
import { checkA11y, focused, LIMIT, startHarness } from './harness.ts';
import { HomePage, OrganisationFormPage, OrganisationPage, signIn } from './pages.ts';

// WCAG 2.1.1 (keyboard), 2.4.1 (bypass blocks), 2.4.3 (focus order) and 2.4.7 (focus visible).
const h = await startHarness();
const home = await organisation(h.db.owner);
const admin = await user(h.db.owner, {
  roles: [
    [null, 'administrator'],
    [home.id, 'administrator'],
  ],
});

/** Whether the focused element shows a focus indicator (outline, box shadow or a changed background). */
const focusIsVisible = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const s = getComputedStyle(el);
    return (s.outlineStyle !== 'none' && s.outlineWidth !== '0px') || s.boxShadow !== 'none' || s.backgroundColor === 'rgb(255, 235, 59)';
  });

/** Presses Tab until the element with `id` has focus, checking every stop on the way shows its focus. */
async function tabTo(page: Page, id: string, max = 30) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    assert.ok(await focusIsVisible(page), `focus is visible on <${f.tag} id="${f.id}"> "${f.text.slice(0, 40)}"`);
    if (f.id === id) return i + 1;
  }
  assert.fail(`#${id} was not reached with ${max} presses of Tab`);
}

test('the first Tab reaches the skip link, which moves focus to the main content', LIMIT, async () => {
  const page = await h.newPage();
  await page.goto('/');
  await HomePage.verifyOnPage(page);
  await page.keyboard.press('Tab');
  const first = await focused(page);
  assert.equal(first.tag, 'a');
  assert.equal(first.text, 'Skip to main content');
  assert.ok(await focusIsVisible(page), 'the skip link is visible when focused');
  await page.keyboard.press('Enter');
  assert.equal((await focused(page)).id, 'maincontent');
  // The next Tab continues inside the main content, not back in the header.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => !!document.activeElement?.closest('main')), true);
});

test('the organisation form can be completed and submitted with the keyboard alone', LIMIT, async () => {
  const page = await h.newPage();
  await signIn(page, admin.email);

  await page.goto('/organisations/new');
  await OrganisationFormPage.verifyOnPage(page);
  await tabTo(page, 'name');
  await page.keyboard.type('Keyboard Valley Ambulance Service');
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).id, 'code');
  const code = uniqueCode();
  await page.keyboard.type(code);
  await page.keyboard.press('Tab');
  // Tab enters the radio group on its first option; Space selects it and the arrow keys move the choice.
  assert.equal((await focused(page)).id, 'type');
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.getByLabel('Ambulance trust', { exact: true }).isChecked(), true);
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).text, 'Save organisation');
  assert.ok(await focusIsVisible(page));
  await page.keyboard.press('Enter');

  await OrganisationPage.verifyOnPage(page, 'Keyboard Valley Ambulance Service');
  assert.match((await page.locator('main .nhsuk-caption-l').textContent()) ?? '', new RegExp(`Ambulance trust · ${code}`));
  await checkA11y(page);
});
