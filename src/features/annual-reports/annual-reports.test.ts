import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generate } from 'otplib';
import { Client, memberOf, testApp } from '../../../test/app.ts';
import { enableTotp, organisation, TEST_SECRET_KEY } from '../../../test/factories.ts';
import { main } from '../../cli.ts';
import { inScope } from '../../platform/tenancy.ts';

/**
 * The annual report to the Board (002 std 1.5): the minimum record the self review's suggestion for 1.5 rests on.
 * Pages and API, each for anonymous, wrong role, another organisation, bad input and success; sign-off by the SMD
 * with their second factor; a signed report is final.
 */
const t = await testApp({ config: { secretKey: TEST_SECRET_KEY } });
const org = await organisation(t.db.owner, { name: 'Westmoor Trust', code: 'RWM' });
const lsms = await memberOf(t, 'security_specialist', org);
const smd = await memberOf(t, 'smd', org);
const board = await memberOf(t, 'board_viewer', org);
const reporter = await memberOf(t, 'reporter', org);
const other = await memberOf(t, 'security_specialist');
const anonymous = new Client(t.app);
const secret = await enableTotp(t.db.owner, smd.user.id);
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(64, 0x20)]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(16)]);

function isAnonymous(res: { statusCode: number; headers: Record<string, unknown> }) {
  assert.ok(res.statusCode === 401 || (res.statusCode === 302 && String(res.headers.location).startsWith('/sign-in')), `got ${res.statusCode}`);
}
const audits = async (action: string) =>
  Number(
    (
      await t.db.owner
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('action', '=', action)
        .executeTakeFirstOrThrow()
    ).n,
  );

let url = '';
let id = '';

describe('annual reports (002 std 1.5)', () => {
  test('the LSMS records the report for a year; one per year; the board reads; others cannot', async () => {
    isAnonymous(await anonymous.get('/annual-reports'));
    assert.equal((await reporter.client.get('/annual-reports')).statusCode, 403);
    assert.equal((await board.client.post('/annual-reports', { year: '2025' })).statusCode, 403);
    const bad = await lsms.client.post('/annual-reports', { year: 'last' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Enter a year such as 2026/);
    const res = await lsms.client.post('/annual-reports', { year: '2025' });
    assert.equal(res.statusCode, 303);
    url = res.headers.location as string;
    id = url.split('/').at(-1) as string;
    const again = await lsms.client.post('/annual-reports', { year: '2025' });
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /There is already an annual report for 2025\/26/);
    assert.equal((await board.client.get(url)).statusCode, 200);
    assert.doesNotMatch((await board.client.get(url)).body, /<form method="post"/);
    assert.equal((await other.client.get(url)).statusCode, 404);
    assert.equal((await other.client.get(`/api/v1/annual-reports/${id}`)).statusCode, 404);
    assert.deepEqual(
      (await board.client.get('/api/v1/annual-reports')).json().map((r: { yearLabel: string; status: string }) => [r.yearLabel, r.status]),
      [['2025/26', 'draft']],
    );
    assert.equal(await audits('annual_report.create'), 1);
  });

  test('details: when it went to the Board and what the Board decided; impossible dates are refused', async () => {
    const future = await lsms.client.post(url, { presentedOn: '2999-01-01', boardDecision: 'approved' });
    assert.equal(future.statusCode, 400);
    assert.match(future.body, /must be today or in the past/);
    const early = await lsms.client.post(url, { presentedOn: '2025-01-01' });
    assert.match(early.body, /cannot have been presented before the year began/);
    const noDate = await lsms.client.post(url, { boardDecision: 'approved' });
    assert.match(noDate.body, /Enter the date the report was presented to the Board, to record its decision/);
    const badDate = await lsms.client.post(url, { presentedOn: '2026-02-30' });
    assert.match(badDate.body, /for example 2027-05-20/);
    assert.equal((await board.client.post(url, { presentedOn: '2026-05-20' })).statusCode, 403);
    assert.equal((await other.client.post(url, { presentedOn: '2026-05-20' })).statusCode, 404);
    const ok = await lsms.client.post(url, {
      presentedOn: '2026-05-20',
      boardDecision: 'approved_with_amendments',
      boardMinute: 'TB/27/014',
      summary: 'All key areas covered.',
    });
    assert.equal(ok.statusCode, 303);
    const api = await lsms.client.json('PUT', `/api/v1/annual-reports/${id}`, {
      presentedOn: '2026-05-20',
      boardDecision: 'approved',
      boardMinute: 'TB/27/014',
      summary: 'All key areas covered.',
    });
    assert.equal(api.statusCode, 200);
    assert.equal(api.json().boardDecision, 'approved');
    assert.equal((await lsms.client.json('PUT', `/api/v1/annual-reports/${id}`, { boardDecision: 'maybe' })).statusCode, 400);
  });

  test('the report document: PDF or Word only, outside the web root, downloaded by the organisation only', async () => {
    const png = await lsms.client.multipart(`${url}/document`, {}, { name: 'report.png', data: PNG });
    assert.equal(png.statusCode, 400);
    assert.match(png.body, /The file must be a PDF or Word \(.docx\) file/);
    assert.equal((await board.client.multipart(`${url}/document`, {}, { name: 'r.pdf', data: PDF })).statusCode, 403);
    assert.equal((await other.client.multipart(`${url}/document`, {}, { name: 'r.pdf', data: PDF })).statusCode, 404);
    const ok = await lsms.client.multipart(`${url}/document`, {}, { name: 'annual-report-2026.pdf', data: PDF });
    assert.equal(ok.statusCode, 303);
    const down = await board.client.get(`${url}/document`);
    assert.equal(down.statusCode, 200);
    assert.equal(down.headers['content-disposition'], 'attachment; filename="annual-report-2026.pdf"');
    assert.deepEqual(down.rawPayload, PDF);
    assert.equal((await other.client.get(`${url}/document`)).statusCode, 404);
    assert.equal((await reporter.client.get(`${url}/document`)).statusCode, 403);
    const api = await lsms.client.multipart(`/api/v1/annual-reports/${id}/document`, {}, { name: 'v2.pdf', data: PDF });
    assert.equal(api.statusCode, 201);
    assert.equal((await board.client.get(`/api/v1/annual-reports/${id}/document`)).headers['content-disposition'], 'attachment; filename="v2.pdf"');
    assert.equal(await audits('annual_report.document_download'), 2);
  });

  test('the SMD signs it off with a current code; afterwards it is final, in the service and the database', async () => {
    assert.equal((await lsms.client.post(`${url}/sign-off`, { code: '123456' })).statusCode, 403);
    const wrong = await smd.client.post(`${url}/sign-off`, { code: '000000' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /The code is not right/);
    const ok = await smd.client.post(`${url}/sign-off`, { code: await generate({ secret }) });
    assert.equal(ok.statusCode, 303);
    const page = await board.client.get(url);
    assert.match(page.body, /Signed off by .* on \d{4}-\d{2}-\d{2}/);
    const locked = await lsms.client.post(url, { presentedOn: '2026-05-21', boardDecision: 'approved' });
    assert.equal(locked.statusCode, 400);
    assert.match(locked.body, /signed off and cannot be changed/);
    assert.equal((await lsms.client.multipart(`${url}/document`, {}, { name: 'r.pdf', data: PDF })).statusCode, 400);
    await assert.rejects(
      inScope(t.db.app, { orgId: org.id }, (tx) => tx.updateTable('annual_reports').set({ summary: 'Rewritten' }).where('id', '=', id).execute()),
      /signed off and cannot be changed/,
    );
    assert.equal(await audits('annual_report.sign'), 1);
  });

  test('sign-off needs the Board date and decision first; the API signs too', async () => {
    const created = await lsms.client.json('POST', '/api/v1/annual-reports', { year: 2026 });
    assert.equal(created.statusCode, 201);
    const rid = created.json().id;
    const missing = await smd.client.json('POST', `/api/v1/annual-reports/${rid}/sign-off`, { code: '123456' });
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(
      missing.json().errors.map((e: { field: string }) => e.field),
      ['presentedOn', 'boardDecision'],
    );
    assert.equal((await board.client.json('POST', '/api/v1/annual-reports', { year: 2027 })).statusCode, 403);
    assert.equal((await lsms.client.json('POST', '/api/v1/annual-reports', { year: 'x' })).statusCode, 400);
    isAnonymous(await anonymous.json('POST', '/api/v1/annual-reports', { year: 2027 }));
  });

  test('warden annual-reports list --org CODE', async () => {
    let out = '';
    const code = await main(['annual-reports', 'list', '--org', 'RWM'], { out: (s) => (out += `${s}\n`), err: () => {}, env: { DATABASE_URL: t.db.url } });
    assert.equal(code, 0);
    assert.match(out, /2025\/26 {2}signed off by .* {2}presented 2026-05-20 {2}approved/);
    assert.match(out, /2026\/27 {2}draft/);
  });
});
