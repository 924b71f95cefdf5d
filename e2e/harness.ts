/**
 * Browser test harness: the real application listening on a free loopback port over a fresh test database, driven
 * by Debian's Chromium through playwright-core (browsers cannot be downloaded here; `.ci/run` installs
 * `/usr/bin/chromium`). Each test gets a fresh browser context (its own cookies); everything is closed when the
 * file's tests end.
 *
 * Call `startHarness()` once at the top of a test file.
 */
import assert from 'node:assert/strict';
import { after, afterEach } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { createApp, type Services } from '../src/app.ts';
import { createServices } from '../src/services.ts';
import { type TestDatabase, testDatabase } from '../test/db.ts';
import { testMailer } from '../test/mail.ts';

export const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium';

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA: the NHS service standard's accessibility bar. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Per-test time limit: a browser test that hangs fails after this instead of holding CI (node's test runner
 * has no default limit). Pass as `test(name, LIMIT, fn)`.
 */
export const LIMIT = { timeout: 90_000 };

export type Harness = {
  baseUrl: string;
  db: TestDatabase;
  services: Services;
  app: FastifyInstance;
  browser: Browser;
  /** A page in a new browser context (fresh cookies), closed after the current test. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
};

/**
 * What a page reported that a user's browser would also report: Content-Security-Policy violations, script
 * errors, other console errors, and sub-resources (styles, scripts, images) that failed to load.
 */
const problems = new WeakMap<Page, string[]>();
const scriptless = new WeakSet<BrowserContext>();

function watch(page: Page) {
  const list: string[] = [];
  problems.set(page, list);
  page.on('console', (m) => {
    // A failed sub-resource is reported below with its URL; a 4xx document (a form re-shown with errors, the
    // 404 page) is expected and is asserted by the tests themselves.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) list.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => list.push(`script error: ${e.message}`));
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'document' && r.status() >= 400) list.push(`${r.status()} for ${r.request().resourceType()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    // ERR_ABORTED: the page navigated away before a sub-resource (a favicon, say) finished loading.
    const why = r.failure()?.errorText ?? '';
    if (why !== 'net::ERR_ABORTED') list.push(`request failed: ${r.url()} (${why})`);
  });
}

/**
 * Starts the app and the browser for this test file. `config` adds service settings, such as `smtpUrl` of a
 * test/mail.ts sink so password-reset e-mails really go out over SMTP.
 */
export async function startHarness(options: { config?: Partial<Parameters<typeof createServices>[1]> } = {}): Promise<Harness> {
  const db = await testDatabase();
  const services = createServices(db.app, { sessionIdleMinutes: 60, sessionMaxHours: 12, ...options.config }, { mailer: testMailer(options.config) });
  const app = await createApp(services, {
    config: { secureCookies: false, logLevel: 'silent', baseUrl: 'http://127.0.0.1' },
    logger: false,
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const contexts = new Set<BrowserContext>();
  afterEach(async () => {
    await Promise.all([...contexts].map((c) => c.close()));
    contexts.clear();
  });
  after(async () => {
    await browser.close();
    await app.close();
  });
  return {
    baseUrl: address,
    db,
    services,
    app,
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({ baseURL: address, ...options });
      contexts.add(context);
      if (options.javaScriptEnabled === false) scriptless.add(context);
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      watch(page);
      return page;
    },
  };
}

/** Fails if the page has reported CSP violations, script errors or failed sub-resources since it opened. */
export function assertNoBrowserProblems(page: Page) {
  const list = problems.get(page) ?? [];
  assert.deepEqual(list, [], `the browser reported problems on ${page.url()}:\n  ${list.join('\n  ')}`);
}

/**
 * Runs axe-core on the page for WCAG 2.2 A and AA and fails with a readable list of any violations. Also fails
 * on anything the browser reported (see `assertNoBrowserProblems`), so every checked page is CSP-clean.
 */
export async function checkA11y(page: Page) {
  // axe runs asynchronously in the page; with JavaScript off its timers never fire and it would wait for ever.
  assert.ok(!scriptless.has(page.context()), 'axe cannot run in a context with JavaScript off: check the page in a normal context');
  // resultTypes: only violations get full node details, which saves time on these 2-core machines. `options()`
  // replaces all options, so it must come before `withTags()`.
  const results = await new AxeBuilder({ page })
    .options({ resultTypes: ['violations'] })
    .withTags(WCAG_TAGS)
    .analyze();
  const report = results.violations.map(
    (v) =>
      `${v.id} (${v.impact ?? 'unknown impact'}): ${v.help}\n    ${v.helpUrl}\n` +
      v.nodes.map((n) => `    - ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`).join('\n'),
  );
  assert.equal(results.violations.length, 0, `axe found WCAG 2.2 A/AA violations on ${page.url()}:\n  ${report.join('\n  ')}`);
  assertNoBrowserProblems(page);
}

/** The element that has keyboard focus, described for assertions. */
export async function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return { tag: el?.tagName.toLowerCase() ?? '', id: el?.id ?? '', text: (el?.textContent ?? '').trim(), className: el?.className ?? '' };
  });
}
