import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { generate } from 'otplib';
import { Client, memberOf, signedIn, testApp } from '../../../test/app.ts';
import { caseInvestigation, commissioning, enableTotp, incident, organisation, TEST_SECRET_KEY } from '../../../test/factories.ts';
import { systemActor } from '../../platform/access/roles.ts';
import { BUNDLED_FRAMEWORKS } from '../../standards/load.ts';
import { HEADER } from './spreadsheet.ts';

/**
 * The self review's pages and /api/v1 endpoints added for issue 5 items 2, 5–9: every endpoint for anonymous, wrong
 * role, another organisation, bad input (clear message, nothing written) and success. Drafts never reach anyone
 * outside the organisation, by page, API or direct URL.
 */
const t = await testApp({ config: { secretKey: TEST_SECRET_KEY } });
const fwText = await readFile(BUNDLED_FRAMEWORKS[0]!, 'utf8');
const framework = await t.services.selfReview.loadFramework(systemActor, fwText);
const org = await organisation(t.db.owner, { name: 'Southmoor Acute Trust', code: 'RSM' });
const lsms = await memberOf(t, 'security_specialist', org);
const smd = await memberOf(t, 'smd', org);
const board = await memberOf(t, 'board_viewer', org);
const reporter = await memberOf(t, 'reporter', org);
const other = await memberOf(t, 'security_specialist');
const otherSmd = await memberOf(t, 'smd', other.org);
const icb = await organisation(t.db.owner, { type: 'commissioner', name: 'Southmoor ICB' });
await commissioning(t.db.owner, { commissionerOrgId: icb.id, providerOrgId: org.id });
const commissioner = await memberOf(t, 'commissioner', icb);
// A commissioner who is also the security specialist of its own organisation, acting for it.
const commissionerLsms = await signedIn(t, [
  [icb.id, 'commissioner'],
  [icb.id, 'security_specialist'],
]);
const assessor = await signedIn(t, [[null, 'national_assessor']], null);
const admin = await signedIn(t, [[null, 'administrator']], null);
const anonymous = new Client(t.app);
const secret = await enableTotp(t.db.owner, smd.user.id);
const otherSecret = await enableTotp(t.db.owner, otherSmd.user.id);
const step = () => Math.floor(Date.now() / 30_000);

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(64, 0x20)]);
const NUMBERS = ['1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7', '2.1', '2.2', '3.1', '3.2', '3.3', '4.1', '4.2'];

/** Anonymous: pages send the browser to sign in, the API answers 401. */
function isAnonymous(res: { statusCode: number; headers: Record<string, unknown> }) {
  assert.ok(res.statusCode === 401 || (res.statusCode === 302 && String(res.headers.location).startsWith('/sign-in')), `got ${res.statusCode}`);
}
const count = async (table: 'self_reviews' | 'self_review_evidence' | 'self_review_versions' | 'standards_frameworks') =>
  Number(
    (
      await t.db.owner
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
async function workbook(rows: string[][]) {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Standards');
  ws.addRow([...HEADER]);
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

let reviewUrl = '';
let reviewId = '';

describe('standards library pages and API', () => {
  test('anyone signed in reads the library; anonymous is sent to sign in', async () => {
    isAnonymous(await anonymous.get('/standards'));
    const page = await reporter.client.get('/standards');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /NHS Protect standards for commissioners: security management/);
    assert.doesNotMatch(page.body, /Load a framework version/);
    const one = await reporter.client.get(`/standards/${framework.id}`);
    assert.equal(one.statusCode, 200);
    assert.match(one.body, /Standard 4\.1/);
    assert.match(one.body, /Police are requested to investigate security related incidents, where appropriate\./);
    assert.equal((await reporter.client.get('/standards/00000000-0000-4000-8000-000000000000')).statusCode, 404);
    const api = await reporter.client.get('/api/v1/standards-frameworks');
    assert.equal(api.statusCode, 200);
    assert.equal(api.json()[0].standards, 14);
    assert.equal((await reporter.client.get(`/api/v1/standards-frameworks/${framework.id}`)).json().framework.standards.length, 14);
  });

  test('an administrator loads a new version from a file without code changes; bad files get line-precise messages', async () => {
    const vpr = await readFile(BUNDLED_FRAMEWORKS[1]!);
    assert.equal((await lsms.client.multipart('/standards', {}, { name: 'vpr.json', data: vpr })).statusCode, 403);
    const before = await count('standards_frameworks');
    const bad = await admin.client.multipart('/standards', {}, { name: 'bad.json', data: Buffer.from('{\n  "id": "x",\n  "name": [1,,2]\n}') });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /nhsuk-error-summary/);
    assert.match(bad.body, /line 3, column 14: not valid JSON: unexpected &quot;,&quot;/);
    const empty = await admin.client.multipart('/standards', {}, null);
    assert.match(empty.body, /Select a framework file \(.json\) to load/);
    const again = await admin.client.multipart('/standards', {}, { name: 'c.json', data: Buffer.from(fwText) });
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /Version 2017-18 of NHS Protect standards for commissioners: security management is already loaded\./);
    assert.equal(await count('standards_frameworks'), before);
    const ok = await admin.client.multipart('/standards', {}, { name: 'vpr.json', data: vpr });
    assert.equal(ok.statusCode, 303);
    const page = await admin.client.get(ok.headers.location as string);
    assert.match(page.body, /HONEST LIMITS OF THIS FILE/);
    const apiBad = await admin.client.json('POST', '/api/v1/standards-frameworks', { file: fwText.replace('"weight": 1,', '"weight": 0,') });
    assert.equal(apiBad.statusCode, 400);
    assert.match(JSON.stringify(apiBad.json().errors), /line \d+, column \d+: standards\[0\]\.weight/);
    assert.equal((await lsms.client.json('POST', '/api/v1/standards-frameworks', { file: fwText })).statusCode, 403);
    const apiOk = await admin.client.json('POST', '/api/v1/standards-frameworks', { file: fwText.replace('"version": "2017-18"', '"version": "2018-19"') });
    assert.equal(apiOk.statusCode, 201);
    assert.equal(apiOk.json().version, '2018-19');
  });
});

describe('rating, evidence and suggestions over HTTP', () => {
  test('the API starts and rates a review; bad input is a 400 problem with the field, nothing written', async () => {
    isAnonymous(await anonymous.get('/api/v1/self-reviews'));
    const bad = await lsms.client.json('POST', '/api/v1/self-reviews', { year: 'soon', frameworkVersionId: framework.id });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().errors[0].field, 'year');
    assert.equal((await board.client.json('POST', '/api/v1/self-reviews', { year: 2026, frameworkVersionId: framework.id })).statusCode, 403);
    const res = await lsms.client.json('POST', '/api/v1/self-reviews', { year: 2026, frameworkVersionId: framework.id });
    assert.equal(res.statusCode, 201);
    reviewId = res.json().id;
    reviewUrl = `/self-reviews/${reviewId}`;
    const rate = await lsms.client.json('PUT', `/api/v1/self-reviews/${reviewId}/standards/4.2`, { rating: 'amber', comments: 'Policy drafted.' });
    assert.equal(rate.statusCode, 200);
    assert.equal((await lsms.client.json('PUT', `/api/v1/self-reviews/${reviewId}/standards/4.2`, { rating: 'purple' })).statusCode, 400);
    assert.equal((await other.client.json('PUT', `/api/v1/self-reviews/${reviewId}/standards/4.2`, { rating: 'red' })).statusCode, 404);
    const got = await board.client.get(`/api/v1/self-reviews/${reviewId}`);
    assert.equal(got.statusCode, 200);
    assert.equal(got.json().standards.find((s: { number: string }) => s.number === '4.2').rating, 'amber');
    assert.equal((await other.client.get(`/api/v1/self-reviews/${reviewId}`)).statusCode, 404);
    assert.deepEqual(
      (await lsms.client.get('/api/v1/self-reviews')).json().map((r: { id: string; status: string }) => [r.id, r.status]),
      [[reviewId, 'draft']],
    );
  });

  test('evidence by case reference (page and API), and its removal', async () => {
    const c = await incident(t.db.owner, { orgId: org.id, reference: 'RSM-2026-000007' });
    const bad = await lsms.client.post(`${reviewUrl}/standards/4.1/evidence`, { kind: 'output', caseReference: 'RSM-2026-999999' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /There is no case RSM-2026-999999 in your organisation/);
    assert.equal((await board.client.post(`${reviewUrl}/standards/4.1/evidence`, { kind: 'output', label: 'x' })).statusCode, 403);
    assert.equal((await other.client.post(`${reviewUrl}/standards/4.1/evidence`, { kind: 'output', label: 'x' })).statusCode, 404);
    const ok = await lsms.client.post(`${reviewUrl}/standards/4.1/evidence`, { kind: 'output', caseReference: 'RSM-2026-000007' });
    assert.equal(ok.statusCode, 303);
    const page = await lsms.client.get(`${reviewUrl}/standards/4.1`);
    assert.match(page.body, new RegExp(`<a href="/cases/${c.id}">Case RSM-2026-000007</a> \\(case in Warden\\)`));
    const api = await lsms.client.json('POST', `/api/v1/self-reviews/${reviewId}/standards/4.1/evidence`, {
      kind: 'outcome',
      label: 'Audit',
      url: 'https://example.nhs.uk/a',
    });
    assert.equal(api.statusCode, 201);
    const apiBad = await lsms.client.json('POST', `/api/v1/self-reviews/${reviewId}/standards/4.1/evidence`, { kind: 'both', label: 'x' });
    assert.equal(apiBad.statusCode, 400);
    const evidenceId = api.json().id;
    assert.equal((await other.client.post(`${reviewUrl}/evidence/${evidenceId}/remove`, {})).statusCode, 404);
    assert.equal((await board.client.post(`${reviewUrl}/evidence/${evidenceId}/remove`, {})).statusCode, 403);
    const removed = await lsms.client.post(`${reviewUrl}/evidence/${evidenceId}/remove`, {});
    assert.equal(removed.statusCode, 303);
    assert.equal(removed.headers.location, `${reviewUrl}/standards/4.1#evidence`);
    const del = await lsms.client.json('DELETE', `/api/v1/self-reviews/${reviewId}/evidence/${evidenceId}`, {});
    assert.equal(del.statusCode, 404, 'already removed');
  });

  test('documents are uploaded through a multipart form and downloaded as attachments by the organisation only', async () => {
    const before = await count('self_review_evidence');
    const wrong = await lsms.client.multipart(
      `${reviewUrl}/standards/2.1/documents`,
      { docKind: 'outcome', docLabel: 'Survey' },
      { name: 'survey.pdf', data: Buffer.from('MZ not a pdf') },
    );
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /The file&#39;s content is not a PDF file/);
    const noKind = await lsms.client.multipart(`${reviewUrl}/standards/2.1/documents`, {}, { name: 'survey.pdf', data: PDF });
    assert.equal(noKind.statusCode, 400);
    assert.match(noKind.body, /href="#docKind"/);
    assert.equal(await count('self_review_evidence'), before);
    assert.equal((await board.client.multipart(`${reviewUrl}/standards/2.1/documents`, { docKind: 'outcome' }, { name: 's.pdf', data: PDF })).statusCode, 403);
    assert.equal((await other.client.multipart(`${reviewUrl}/standards/2.1/documents`, { docKind: 'outcome' }, { name: 's.pdf', data: PDF })).statusCode, 404);
    const ok = await lsms.client.multipart(
      `${reviewUrl}/standards/2.1/documents`,
      { docKind: 'outcome', docLabel: 'Staff survey 2026' },
      { name: 'survey.pdf', data: PDF },
    );
    assert.equal(ok.statusCode, 303);
    const api = await lsms.client.multipart(`/api/v1/self-reviews/${reviewId}/standards/2.1/documents`, { kind: 'output' }, { name: 'plan.pdf', data: PDF });
    assert.equal(api.statusCode, 201);
    const page = await board.client.get(`${reviewUrl}/standards/2.1`);
    const href = /<a href="([^"]+\/file)">Staff survey 2026<\/a> \(document: survey\.pdf\)/.exec(page.body)?.[1];
    assert.ok(href, 'the document is listed with its download link');
    const down = await board.client.get(href);
    assert.equal(down.statusCode, 200);
    assert.equal(down.headers['content-type'], 'application/pdf');
    assert.equal(down.headers['content-disposition'], 'attachment; filename="survey.pdf"');
    assert.equal(down.headers['x-content-type-options'], 'nosniff');
    assert.equal(down.headers['content-security-policy'], "default-src 'none'; sandbox");
    assert.deepEqual(down.rawPayload, PDF);
    assert.equal((await other.client.get(href)).statusCode, 404);
    assert.equal((await reporter.client.get(href)).statusCode, 403);
    assert.equal((await commissioner.client.get(href)).statusCode, 403);
    isAnonymous(await anonymous.get(href));
    assert.equal((await board.client.get(`/api/v1/self-reviews/${reviewId}/evidence/${api.json().id}/file`)).statusCode, 200);
  });

  test('Warden’s suggestion is shown beside the standard and accepted with one click (page and API)', async () => {
    await caseInvestigation(t.db.owner, { orgId: org.id, dueOn: '2026-05-01', completedAt: new Date('2026-04-30T09:00:00Z') });
    const page = await lsms.client.get(`${reviewUrl}/standards/4.1`);
    assert.match(page.body, /Warden suggests: Green/);
    assert.match(page.body, /Of 1 manager&#39;s investigation due in 2026\/27, 1 \(100%\) was completed by the due date/);
    assert.match(page.body, /Accept the suggested rating: Green/);
    const boardPage = await board.client.get(`${reviewUrl}/standards/4.1`);
    assert.doesNotMatch(boardPage.body, /Accept the suggested rating/);
    const bad = await lsms.client.post(`${reviewUrl}/standards/4.1/suggestion`, { suggester: 'nobody' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Warden has no such suggestion for standard 4\.1/);
    assert.equal((await board.client.post(`${reviewUrl}/standards/4.1/suggestion`, { suggester: 'cases.investigation-timeliness' })).statusCode, 403);
    assert.equal((await other.client.post(`${reviewUrl}/standards/4.1/suggestion`, { suggester: 'cases.investigation-timeliness' })).statusCode, 404);
    const ok = await lsms.client.post(`${reviewUrl}/standards/4.1/suggestion`, { suggester: 'cases.investigation-timeliness' });
    assert.equal(ok.statusCode, 303);
    const after = await lsms.client.get(`${reviewUrl}/standards/4.1`);
    assert.match(after.body, /You accepted this suggestion/);
    assert.match(after.body, /value="green" checked/);
    const list = await board.client.get(`/api/v1/self-reviews/${reviewId}/suggestions`);
    assert.deepEqual(
      list.json().map((s: { standard: string; accepted: boolean }) => [s.standard, s.accepted]),
      [
        ['4.1', true],
        ['1.5', false],
      ],
    );
    const api = await lsms.client.json('POST', `/api/v1/self-reviews/${reviewId}/standards/1.5/suggestion`, { suggester: 'annual-reports.signed-report' });
    assert.equal(api.statusCode, 200);
    assert.equal(api.json().rating, 'red');
    assert.equal((await other.client.get(`/api/v1/self-reviews/${reviewId}/suggestions`)).statusCode, 404);
  });
});

describe('sign-off, submission and reopening over HTTP (issue 5 item 5)', () => {
  test('the review page offers sign-off only to the SMD, once every standard is rated', async () => {
    assert.doesNotMatch((await smd.client.get(reviewUrl)).body, /Sign off the self review<\/a>|href="[^"]*\/sign-off"/);
    for (const n of NUMBERS) await lsms.client.post(`${reviewUrl}/standards/${n}`, { rating: 'green', comments: `Standard ${n} met.` });
    const page = await smd.client.get(reviewUrl);
    assert.match(page.body, new RegExp(`href="${reviewUrl}/sign-off"`));
    assert.doesNotMatch((await lsms.client.get(reviewUrl)).body, /\/sign-off"/);
    assert.equal((await lsms.client.get(`${reviewUrl}/sign-off`)).statusCode, 403);
    isAnonymous(await anonymous.get(`${reviewUrl}/sign-off`));
    assert.equal((await otherSmd.client.get(`${reviewUrl}/sign-off`)).statusCode, 404);
    const form = await smd.client.get(`${reviewUrl}/sign-off`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Security code/);
  });

  test('a wrong code re-shows the form with the error; the right one signs and locks the review', async () => {
    const wrong = await smd.client.post(`${reviewUrl}/sign-off`, { code: '000000' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /The code is not right, or it has been used already/);
    assert.equal(await count('self_review_versions'), 0);
    assert.equal((await lsms.client.post(`${reviewUrl}/sign-off`, { code: '123456' })).statusCode, 403);
    assert.equal((await otherSmd.client.post(`${reviewUrl}/sign-off`, { code: await generate({ secret: otherSecret }) })).statusCode, 404);
    const ok = await smd.client.post(`${reviewUrl}/sign-off`, { code: await generate({ secret, epoch: (step() - 1) * 30 }) });
    assert.equal(ok.statusCode, 303);
    const page = await lsms.client.get(reviewUrl);
    assert.match(page.body, /Signed off by .* The review is locked/);
    assert.match(page.body, /Submit to the commissioners and the national body/);
    const locked = await lsms.client.post(`${reviewUrl}/standards/4.1`, { rating: 'red', comments: 'x' });
    assert.equal(locked.statusCode, 400);
    assert.match(locked.body, /This self review is signed off \(version 1\) and locked/);
    assert.doesNotMatch((await lsms.client.get(`${reviewUrl}/standards/4.1`)).body, /Save the rating/);
  });

  test('before submission the commissioner sees no trace of it, by page, API or direct URL', async () => {
    const versionId = (await t.db.owner.selectFrom('self_review_versions').select('id').where('review_id', '=', reviewId).executeTakeFirstOrThrow()).id;
    assert.equal((await commissioner.client.get(reviewUrl)).statusCode, 403);
    assert.equal((await commissioner.client.get(`/api/v1/self-reviews/${reviewId}`)).statusCode, 403);
    assert.equal((await commissionerLsms.client.get(reviewUrl)).statusCode, 404);
    assert.equal((await commissionerLsms.client.get(`/api/v1/self-reviews/${reviewId}`)).statusCode, 404);
    assert.equal((await commissionerLsms.client.get(`${reviewUrl}/versions/1`)).statusCode, 404);
    assert.equal((await commissionerLsms.client.get(`${reviewUrl}/export?format=xlsx`)).statusCode, 404);
    assert.equal((await commissioner.client.get(`/oversight/self-reviews/${versionId}`)).statusCode, 404);
    assert.equal((await commissioner.client.get(`/api/v1/oversight/self-reviews/${versionId}`)).statusCode, 404);
    assert.equal((await assessor.client.get(`/api/v1/oversight/self-reviews/${versionId}`)).statusCode, 404);
    const list = await commissioner.client.get('/oversight/self-reviews');
    assert.equal(list.statusCode, 200);
    assert.doesNotMatch(list.body, new RegExp(versionId));
    assert.match(list.body, /Not submitted[\s\S]*Southmoor Acute Trust/);
  });

  test('submission: only the LSMS or SMD, only once', async () => {
    assert.equal((await board.client.post(`${reviewUrl}/submit`, {})).statusCode, 403);
    assert.equal((await other.client.post(`${reviewUrl}/submit`, {})).statusCode, 404);
    isAnonymous(await anonymous.post(`${reviewUrl}/submit`, {}));
    const ok = await lsms.client.post(`${reviewUrl}/submit`, {});
    assert.equal(ok.statusCode, 303);
    const again = await lsms.client.post(`${reviewUrl}/submit`, {});
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /Version 1 has already been submitted/);
    const api = await lsms.client.json('POST', `/api/v1/self-reviews/${reviewId}/submit`, {});
    assert.equal(api.statusCode, 409);
  });

  test('the commissioner’s view: providers × key areas, and the submitted version in full', async () => {
    const list = await commissioner.client.get('/oversight/self-reviews');
    assert.match(list.body, /Southmoor Acute Trust/);
    assert.match(list.body, /Strategic Governance/);
    const href = /href="(\/oversight\/self-reviews\/[0-9a-f-]{36})"/.exec(list.body)?.[1];
    assert.ok(href);
    const one = await commissioner.client.get(href);
    assert.equal(one.statusCode, 200);
    assert.match(one.body, /The content matches the SHA-256 taken at sign-off/);
    assert.match(one.body, /Standard 2\.1 met\./);
    assert.doesNotMatch(one.body, /\/cases\//, 'no links into the provider’s cases');
    assert.doesNotMatch(one.body, /\/evidence\/[0-9a-f-]+\/file/, 'no links to the provider’s documents');
    const api = await commissioner.client.get('/api/v1/oversight/self-reviews');
    assert.equal(api.statusCode, 200);
    assert.equal(api.json().groups[0].rows[0].organisation.name, 'Southmoor Acute Trust');
    assert.equal((await lsms.client.get('/oversight/self-reviews')).statusCode, 403);
    assert.equal((await lsms.client.get('/api/v1/oversight/self-reviews')).statusCode, 403);
    isAnonymous(await anonymous.get('/api/v1/oversight/self-reviews'));
    const bad = await commissioner.client.get('/api/v1/oversight/self-reviews?year=soon');
    assert.equal(bad.statusCode, 400);
    assert.equal((await assessor.client.get('/oversight/self-reviews')).statusCode, 200);
  });

  test('reopening needs the SMD and a reason, and makes version 2 a draft; version 1 stays readable', async () => {
    assert.equal((await lsms.client.get(`${reviewUrl}/reopen`)).statusCode, 403);
    assert.equal((await otherSmd.client.post(`${reviewUrl}/reopen`, { reason: 'x' })).statusCode, 404);
    const empty = await smd.client.post(`${reviewUrl}/reopen`, { reason: '' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Enter why the self review is being reopened/);
    const ok = await smd.client.post(`${reviewUrl}/reopen`, { reason: 'New evidence on 3.1' });
    assert.equal(ok.statusCode, 303);
    const page = await lsms.client.get(reviewUrl);
    assert.match(page.body, /Draft<\/strong> Version 2/);
    assert.match(page.body, /New evidence on 3\.1/);
    const v1 = await board.client.get(`${reviewUrl}/versions/1`);
    assert.equal(v1.statusCode, 200);
    assert.match(v1.body, /Reopened[\s\S]*New evidence on 3\.1/);
    assert.equal((await board.client.get(`${reviewUrl}/versions/2`)).statusCode, 404);
    assert.equal((await board.client.get(`${reviewUrl}/versions/one`)).statusCode, 404);
    assert.equal((await board.client.get(`/api/v1/self-reviews/${reviewId}/versions/1`)).json().integrity, true);
    const api = await smd.client.json('POST', `/api/v1/self-reviews/${reviewId}/reopen`, { reason: 'Again' });
    assert.equal(api.statusCode, 409);
  });

  test('the API signs off with a code in JSON, and refuses it again (no replay)', async () => {
    const c = await generate({ secret, epoch: step() * 30 });
    assert.equal((await lsms.client.json('POST', `/api/v1/self-reviews/${reviewId}/sign-off`, { code: c })).statusCode, 403);
    const ok = await smd.client.json('POST', `/api/v1/self-reviews/${reviewId}/sign-off`, { code: c });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().version, 2);
    await smd.client.json('POST', `/api/v1/self-reviews/${reviewId}/reopen`, { reason: 'Replay check' });
    const replay = await smd.client.json('POST', `/api/v1/self-reviews/${reviewId}/sign-off`, { code: c });
    assert.equal(replay.statusCode, 400);
    assert.match(JSON.stringify(replay.json().errors), /used already/);
  });
});

describe('comparison, export and import over HTTP (issue 5 item 7)', () => {
  test('compare and export: pages and API, for the organisation only', async () => {
    const cmp = await board.client.get(`${reviewUrl}/compare`);
    assert.equal(cmp.statusCode, 200);
    assert.match(cmp.body, /There is no self review for 2025\/26 to compare with/);
    assert.equal((await board.client.get(`/api/v1/self-reviews/${reviewId}/compare`)).json().previousYear, 2025);
    assert.equal((await other.client.get(`${reviewUrl}/compare`)).statusCode, 404);
    const xlsx = await board.client.get(`${reviewUrl}/export?format=xlsx`);
    assert.equal(xlsx.statusCode, 200);
    assert.equal(xlsx.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.match(String(xlsx.headers['content-disposition']), /^attachment; filename="self-review-RSM-2026-v3\.xlsx"$/);
    const pdf = await board.client.get(`/api/v1/self-reviews/${reviewId}/export?format=pdf`);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    assert.equal((await board.client.get(`${reviewUrl}/export?format=odt`)).statusCode, 400);
    assert.equal((await other.client.get(`${reviewUrl}/export?format=xlsx`)).statusCode, 404);
    assert.equal((await reporter.client.get(`${reviewUrl}/export?format=xlsx`)).statusCode, 403);
  });

  test('import: bad rows are listed on the page by row and nothing is written; a good workbook becomes a draft', async () => {
    const before = await count('self_reviews');
    const bad = await lsms.client.multipart(
      '/self-reviews/import',
      { year: '2025', frameworkVersionId: framework.id },
      { name: 'last-year.xlsx', data: await workbook([['4.1', '', '', 'Maybe', '', '']]) },
    );
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /The workbook was not imported/);
    assert.match(bad.body, /Row 2, Rating: &quot;Maybe&quot; is not Red, Amber, Green or Not applicable/);
    const noYear = await lsms.client.multipart(
      '/self-reviews/import',
      { year: '', frameworkVersionId: framework.id },
      { name: 'x.xlsx', data: await workbook([]) },
    );
    assert.equal(noYear.statusCode, 400);
    assert.match(noYear.body, /href="#import-year"/);
    assert.equal(await count('self_reviews'), before);
    assert.equal((await board.client.multipart('/self-reviews/import', { year: '2025', frameworkVersionId: framework.id }, null)).statusCode, 403);
    isAnonymous(await anonymous.multipart('/self-reviews/import', { year: '2025' }, null, { csrf: false }));
    const data = (await board.client.get(`${reviewUrl}/export?format=xlsx`)).rawPayload;
    const ok = await lsms.client.multipart('/self-reviews/import', { year: '2025', frameworkVersionId: framework.id }, { name: 'last-year.xlsx', data });
    assert.equal(ok.statusCode, 303);
    const imported = await lsms.client.get(ok.headers.location as string);
    assert.match(imported.body, /Self review 2025\/26/);
    assert.match(imported.body, /14 of 14 standards rated/);
    const api = await other.client.multipart('/api/v1/self-reviews/import', { year: '2025', frameworkVersionId: framework.id }, { name: 'l.xlsx', data });
    assert.equal(api.statusCode, 201);
    assert.equal(api.json().standards, 14);
    const cmp = await board.client.get(`${reviewUrl}/compare`);
    assert.match(cmp.body, /Same as 2025\/26 \(Green\)/);
  });
});
