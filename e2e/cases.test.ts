import assert from 'node:assert/strict';
import { test } from 'node:test';
import { incident, organisation, user } from '../test/factories.ts';
import { checkA11y, LIMIT, startHarness } from './harness.ts';
import { signIn } from './pages.ts';

const h = await startHarness();
const org = await organisation(h.db.owner, { name: 'Westford Acute Trust' });
const lsms = await user(h.db.owner, { name: 'Lee Specialist', roles: [[org.id, 'security_specialist']] });
const manager = await user(h.db.owner, { name: 'Mo Manager', roles: [[org.id, 'manager']] });
const reporter = await user(h.db.owner, { name: 'Nia Nurse', roles: [[org.id, 'reporter']] });

test('the security specialist triages a case, uploads a photo, records a caution and closes it; the manager sees it; pages pass axe', LIMIT, async () => {
  const c = await incident(h.db.owner, { orgId: org.id, reportedBy: reporter.id, narrative: 'A patient kicked the nurse.' });
  const page = await h.newPage();
  await signIn(page, lsms.email);
  await page.goto(`${h.baseUrl}/cases/${c.id}`);
  await page.getByRole('heading', { level: 1, name: `Case ${c.reference}` }).waitFor();
  await checkA11y(page);

  // An empty triage: the error summary lists the problems and the page still passes axe.
  await page.getByRole('button', { name: 'Save triage' }).click();
  await page.locator('.nhsuk-error-summary').waitFor();
  assert.match(await page.title(), /^Error: /);
  await checkA11y(page);

  await page.locator('#triage').scrollIntoViewIfNeeded();
  await page.getByLabel('High').check();
  await page.getByLabel('Manager to investigate').selectOption({ label: 'Mo Manager' });
  await page.getByRole('button', { name: 'Save triage' }).click();
  await page.getByText(/Mo Manager, due/).waitFor();

  await page.setInputFiles('#file', {
    name: 'bruise.png',
    mimeType: 'image/png',
    buffer: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]),
  });
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByRole('link', { name: 'bruise.png' }).waitFor();

  await page.getByLabel('Sanction', { exact: true }).selectOption('caution');
  await page.locator('#decidedOn').fill('2026-11-20');
  await page.getByLabel('Outcome', { exact: true }).fill('Cautioned by police');
  await page.getByLabel('Yes, publicise it').check();
  await page.getByLabel('Reason for the publicity decision').fill('Deterrence, no names');
  await page.getByRole('button', { name: 'Record sanction' }).click();
  await page.getByRole('cell', { name: 'Criminal: Caution' }).waitFor();

  await page.getByLabel('Closed', { exact: true }).check();
  await page.getByLabel('Reason', { exact: true }).fill('Sanction applied');
  await page.getByLabel('Lessons learned').fill('Move the triage desk away from the door');
  await page.getByRole('button', { name: 'Change status' }).click();
  await page.getByText('Move the triage desk away from the door').waitFor();
  await checkA11y(page);

  const managerPage = await h.newPage();
  await signIn(managerPage, manager.email);
  await managerPage.goto(`${h.baseUrl}/cases/${c.id}`);
  await managerPage.getByRole('heading', { level: 1, name: `Case ${c.reference}` }).waitFor();
  await checkA11y(managerPage);
});
