import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { memberOf, testApp } from '../../../test/app.ts';
import { systemActor } from '../../platform/access/roles.ts';
import { BUNDLED_FRAMEWORKS } from '../../standards/load.ts';

const t = await testApp();
const framework = await t.services.selfReview.loadFramework(systemActor, await readFile(BUNDLED_FRAMEWORKS[0]!, 'utf8'));
const lsms = await memberOf(t, 'security_specialist');
const board = await memberOf(t, 'board_viewer', lsms.org);
const reporter = await memberOf(t, 'reporter', lsms.org);
const other = await memberOf(t, 'security_specialist');

let reviewUrl = '';

describe('self review pages', () => {
  test('the LSMS starts a self review for a year from the list page', async () => {
    const list = await lsms.client.get('/self-reviews');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Start a self review/);
    assert.match(list.body, /NHS Protect standards for commissioners: security management, 2017-18/);
    const bad = await lsms.client.post('/self-reviews', { year: 'next', frameworkVersionId: framework.id });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /nhsuk-error-summary/);
    assert.match(bad.body, /Enter a year such as 2026/);
    const res = await lsms.client.post('/self-reviews', { year: '2026', frameworkVersionId: framework.id });
    assert.equal(res.statusCode, 303);
    reviewUrl = res.headers.location as string;
    assert.match(reviewUrl, /^\/self-reviews\/[0-9a-f-]{36}$/);
    const page = await lsms.client.get(reviewUrl);
    assert.match(page.body, /Self review 2026\/27/);
    assert.match(page.body, /0 of 14 standards rated; 14 to rate/);
  });

  test('a standard’s page shows the published criteria beside each rating, and amber only where it applies', async () => {
    const s41 = await lsms.client.get(`${reviewUrl}/standards/4.1`);
    assert.equal(s41.statusCode, 200);
    assert.match(s41.body, /value="amber"/);
    assert.match(s41.body, /Police are requested to investigate security related incidents, where appropriate\./);
    assert.match(s41.body, /Investigations may be carried out, but they are not conducted in line with relevant legislation and NHS Protect guidance\./);
    const s13 = await lsms.client.get(`${reviewUrl}/standards/1.3`);
    assert.doesNotMatch(s13.body, /value="amber"/);
    assert.match(s13.body, /Amber: Not applicable to this standard\./);
    const refused = await lsms.client.post(`${reviewUrl}/standards/1.3`, { rating: 'amber', comments: 'x' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /Amber does not apply to standard 1\.3/);
    assert.equal((await lsms.client.get(`${reviewUrl}/standards/9.9`)).statusCode, 404);
  });

  test('rating a standard changes the roll-up; an unsupported green is flagged until an outcome is recorded', async () => {
    const saved = await lsms.client.post(`${reviewUrl}/standards/4.1`, { rating: 'green', comments: 'Timeliness audited quarterly.' });
    assert.equal(saved.statusCode, 303);
    let page = await lsms.client.get(reviewUrl);
    assert.match(page.body, /1 of 14 standards rated; 13 to rate/);
    assert.equal(/Hold to Account\s*<\/td>[\s\S]*?nhsuk-tag--(\w+)/.exec(page.body)?.[1], 'green');
    assert.equal(/<strong>Overall<\/strong>[\s\S]*?nhsuk-tag--(\w+)/.exec(page.body)?.[1], 'green');
    assert.match(page.body, /Standard 4\.1 is rated green but no evidence of evaluation or outcomes is recorded/);
    const evidence = await lsms.client.post(`${reviewUrl}/standards/4.1/evidence`, { kind: 'outcome', label: 'Timeliness audit Q3', url: '/cases' });
    assert.equal(evidence.statusCode, 303);
    page = await lsms.client.get(reviewUrl);
    assert.doesNotMatch(page.body, /Standard 4\.1 is rated green but no evidence/);
    const standard = await lsms.client.get(`${reviewUrl}/standards/4.1`);
    assert.match(standard.body, /<a href="\/cases">Timeliness audit Q3<\/a>/);
  });

  test('the board reads the review without forms; other organisations and other roles cannot see it', async () => {
    const read = await board.client.get(`${reviewUrl}/standards/4.1`);
    assert.equal(read.statusCode, 200);
    assert.doesNotMatch(read.body, /Save the rating/);
    assert.equal((await board.client.post(`${reviewUrl}/standards/4.1`, { rating: 'red' })).statusCode, 403);
    assert.equal((await reporter.client.get(reviewUrl)).statusCode, 403);
    assert.equal((await other.client.get(reviewUrl)).statusCode, 404);
    assert.ok(!(await other.client.get('/self-reviews')).body.includes(reviewUrl));
  });
});
