import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generate } from 'otplib';
import { Client, memberOf, testApp } from '../../../test/app.ts';
import { commissioning, enableTotp, organisation, TEST_SECRET_KEY, user } from '../../../test/factories.ts';
import { mailSink } from '../../../test/mail.ts';
import { main } from '../../cli.ts';
import { createMailer } from '../../platform/mail.ts';
import { inScope } from '../../platform/tenancy.ts';

/**
 * The annual report to the Board (002 std 1.5): the minimum record the self review's suggestion for 1.5 rests on.
 * Pages and API, each for anonymous, wrong role, another organisation, bad input and success; sign-off by the SMD
 * with their second factor; a signed report is final.
 */
const sink = await mailSink();
const t = await testApp({ mailer: createMailer({ smtpUrl: sink.url }), config: { secretKey: TEST_SECRET_KEY, baseUrl: 'https://warden.example' } });
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
    assert.match(page.body, /Signed off by .* on \d{1,2} [A-Z][a-z]+ \d{4}/);
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

  test('a commissioner reads its providers’ signed reports and their documents, never drafts (002 std 1.6, 1.7)', async () => {
    const icb = await organisation(t.db.owner, { name: 'Westmoor Integrated Care Board', code: 'QWM', type: 'commissioner' });
    const unlinked = await organisation(t.db.owner, { name: 'Eastmoor Integrated Care Board', code: 'QEM', type: 'commissioner' });
    await commissioning(t.db.owner, { commissionerOrgId: icb.id, providerOrgId: org.id });
    const commissioner = await memberOf(t, 'commissioner', icb);
    const stranger = await memberOf(t, 'commissioner', unlinked);
    const draftId = (await t.db.owner.selectFrom('annual_reports').select('id').where('org_id', '=', org.id).where('year', '=', 2026).executeTakeFirstOrThrow())
      .id;

    // The list: the signed 2025/26 report, not the 2026/27 draft; nothing for a commissioner of other providers.
    const page = await commissioner.client.get('/oversight/annual-reports');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Westmoor Trust \(RWM\)/);
    assert.match(page.body, new RegExp(`href="/oversight/annual-reports/${id}">2025/26`));
    assert.doesNotMatch(page.body, /2026\/27/);
    const api = await commissioner.client.get('/api/v1/oversight/annual-reports');
    assert.equal(api.statusCode, 200);
    assert.deepEqual(
      api
        .json()
        .map((p: { organisation: { code: string }; reports: { yearLabel: string; status: string }[] }) => [
          p.organisation.code,
          p.reports.map((r) => `${r.yearLabel} ${r.status}`),
        ]),
      [['RWM', ['2025/26 signed']]],
    );
    assert.deepEqual((await stranger.client.get('/api/v1/oversight/annual-reports')).json(), []);
    assert.match((await stranger.client.get('/oversight/annual-reports')).body, /does not commission any providers/);

    // One report, and its document (audited in the provider's trail, naming the commissioner).
    const one = await commissioner.client.get(`/oversight/annual-reports/${id}`);
    assert.equal(one.statusCode, 200);
    assert.match(one.body, /Westmoor Trust: annual security management report to the Board/);
    assert.match(one.body, /Signed off by .* on \d{1,2} [A-Z][a-z]+ \d{4}/);
    const before = await audits('annual_report.document_download');
    const doc = await commissioner.client.get(`/oversight/annual-reports/${id}/document`);
    assert.equal(doc.statusCode, 200);
    assert.equal(doc.headers['content-disposition'], 'attachment; filename="v2.pdf"');
    assert.deepEqual(doc.rawPayload, PDF);
    assert.equal((await commissioner.client.get(`/api/v1/oversight/annual-reports/${id}/document`)).statusCode, 200);
    assert.equal(await audits('annual_report.document_download'), before + 2);
    const event = await t.db.owner
      .selectFrom('audit_events')
      .select(['org_id', 'actor_id', 'detail'])
      .where('action', '=', 'annual_report.document_download')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.deepEqual([event.org_id, event.actor_id, (event.detail as { commissioner: string }).commissioner], [org.id, commissioner.user.id, icb.id]);
    assert.equal((await commissioner.client.get(`/api/v1/oversight/annual-reports/${id}`)).json().organisation.name, 'Westmoor Trust');

    // Drafts, other commissioners, other roles and the provider's own pages stay closed.
    for (const path of [`/oversight/annual-reports/${draftId}`, `/api/v1/oversight/annual-reports/${draftId}`, `/oversight/annual-reports/${draftId}/document`])
      assert.equal((await commissioner.client.get(path)).statusCode, 404, path);
    for (const path of [`/oversight/annual-reports/${id}`, `/oversight/annual-reports/${id}/document`, `/api/v1/oversight/annual-reports/${id}`])
      assert.equal((await stranger.client.get(path)).statusCode, 404, path);
    assert.equal((await lsms.client.get('/oversight/annual-reports')).statusCode, 403);
    assert.equal((await board.client.get(`/api/v1/oversight/annual-reports/${id}`)).statusCode, 403);
    assert.equal((await commissioner.client.get(`/annual-reports/${id}`)).statusCode, 403);
    isAnonymous(await anonymous.get('/oversight/annual-reports'));

    // The database agrees: in the commissioner's scope only the provider's signed report is visible.
    const visible = await inScope(t.db.app, { orgId: icb.id }, (tx) => tx.selectFrom('annual_reports').select(['org_id', 'year']).execute());
    assert.deepEqual(visible, [{ org_id: org.id, year: 2025 }]);
    const none = await inScope(t.db.app, { orgId: unlinked.id }, (tx) => tx.selectFrom('annual_reports').select('id').execute());
    assert.deepEqual(none, []);
  });

  test('a commissioner sees a provider’s reports only from the year it commissions it', async () => {
    const icb = await organisation(t.db.owner, { name: 'Later Integrated Care Board', code: 'QLT', type: 'commissioner' });
    await commissioning(t.db.owner, { commissionerOrgId: icb.id, providerOrgId: org.id, fromYear: 2026 });
    const later = await memberOf(t, 'commissioner', icb);
    assert.deepEqual(
      (await later.client.get('/api/v1/oversight/annual-reports')).json().map((p: { reports: unknown[] }) => p.reports.length),
      [0],
    );
    assert.equal((await later.client.get(`/oversight/annual-reports/${id}`)).statusCode, 404);
    // The database keeps to the same rule (migration CommissionedFromYear): the 2025/26 report is not visible in
    // this commissioner's transaction, whatever a query asks for.
    const visible = await inScope(t.db.app, { orgId: icb.id }, (tx) => tx.selectFrom('annual_reports').select(['org_id', 'year']).execute());
    assert.deepEqual(visible, []);
    await t.db.owner.updateTable('commissioning').set({ from_year: 2025 }).where('commissioner_org_id', '=', icb.id).execute();
    const fromEarlier = await inScope(t.db.app, { orgId: icb.id }, (tx) => tx.selectFrom('annual_reports').select(['org_id', 'year']).execute());
    assert.deepEqual(fromEarlier, [{ org_id: org.id, year: 2025 }], 'visible once the link covers 2025');
  });

  test('signing off tells the commissioners whose commissioning covers the year, with a link (002 std 1.6, 1.7)', async () => {
    const trust = await organisation(t.db.owner, { name: 'Northmoor Trust', code: 'RNM' });
    const covering = await organisation(t.db.owner, { name: 'Northmoor ICB', code: 'QNM', type: 'commissioner' });
    const later = await organisation(t.db.owner, { name: 'Later ICB', code: 'QNL', type: 'commissioner' });
    await commissioning(t.db.owner, { commissionerOrgId: covering.id, providerOrgId: trust.id, fromYear: 2025 });
    await commissioning(t.db.owner, { commissionerOrgId: later.id, providerOrgId: trust.id, fromYear: 2026 });
    const [reader, notYet] = [await memberOf(t, 'commissioner', covering), await memberOf(t, 'commissioner', later)];
    const assessor = await user(t.db.owner, { roles: [[null, 'national_assessor']] });
    const [author, director] = [await memberOf(t, 'security_specialist', trust), await memberOf(t, 'smd', trust)];
    const code = await enableTotp(t.db.owner, director.user.id);
    const created = await author.client.json('POST', '/api/v1/annual-reports', { year: 2025 });
    assert.equal(created.statusCode, 201, created.body);
    const rid = created.json().id as string;
    assert.equal((await author.client.post(`/annual-reports/${rid}`, { presentedOn: '2026-05-20', boardDecision: 'approved' })).statusCode, 303);
    const signed = await director.client.json('POST', `/api/v1/annual-reports/${rid}/sign-off`, { code: await generate({ secret: code }) });
    assert.equal(signed.statusCode, 200, signed.body);

    const SIGNED = /^Annual security report signed off: Northmoor Trust, 2025\/26$/;
    const mail = await sink.waitFor(reader.user.email, { subject: SIGNED });
    const link = new RegExp(`^Read it: https://warden\\.example(/oversight/annual-reports/${rid}\\?for=${covering.id})$`, 'm').exec(mail.text)?.[1];
    assert.ok(link, `a link to the report, as the commissioning organisation: ${mail.text}`);
    assert.equal((await reader.client.get(link)).statusCode, 200, 'the link opens it');
    for (const person of [notYet.user, assessor, author.user, director.user])
      assert.equal(sink.to(person.email, SIGNED).length, 0, 'only those who may read it');
  });

  test('the SMD reopens a signed report with a reason to correct it; what was signed is kept; nothing else unsigns it', async () => {
    const trust = await organisation(t.db.owner, { name: 'Southmoor Trust', code: 'RSM' });
    const icb = await organisation(t.db.owner, { name: 'Southmoor ICB', code: 'QSM', type: 'commissioner' });
    await commissioning(t.db.owner, { commissionerOrgId: icb.id, providerOrgId: trust.id });
    const [author, director, member] = [
      await memberOf(t, 'security_specialist', trust),
      await memberOf(t, 'smd', trust),
      await memberOf(t, 'board_viewer', trust),
    ];
    const reader = await memberOf(t, 'commissioner', icb);
    const totp = await enableTotp(t.db.owner, director.user.id);
    const step = Math.floor(Date.now() / 30_000);
    const rid = (await author.client.json('POST', '/api/v1/annual-reports', { year: 2024 })).json().id as string;
    const page = `/annual-reports/${rid}`;
    assert.equal((await author.client.post(page, { presentedOn: '2025-05-20', boardDecision: 'approved' })).statusCode, 303);
    assert.equal((await author.client.multipart(`${page}/document`, {}, { name: 'wrong-year.pdf', data: PDF })).statusCode, 303);
    assert.equal((await director.client.post(`${page}/sign-off`, { code: await generate({ secret: totp, epoch: (step - 1) * 30 }) })).statusCode, 303);
    const statusOf = async () => (await t.db.owner.selectFrom('annual_reports').select('status').where('id', '=', rid).executeTakeFirstOrThrow()).status;

    // Only the SMD, only with a reason; the database refuses to unsign without a reopening on record.
    assert.match((await director.client.get(page)).body, /Reopen the annual report/);
    assert.doesNotMatch((await author.client.get(page)).body, /Reopen the annual report/);
    for (const who of [author, member]) assert.equal((await who.client.json('POST', `/api/v1/annual-reports/${rid}/reopen`, { reason: 'x' })).statusCode, 403);
    const blank = await director.client.post(`${page}/reopen`, { reason: ' ' });
    assert.equal(blank.statusCode, 400);
    assert.match(blank.body, /nhsuk-error-summary[\s\S]*href="#reason">\s*Enter why the signed report is being reopened/);
    assert.equal(await statusOf(), 'signed', 'nothing changed');
    await assert.rejects(
      inScope(t.db.app, { orgId: trust.id }, (tx) =>
        tx.updateTable('annual_reports').set({ status: 'draft', signed_at: null, signed_by: null }).where('id', '=', rid).execute(),
      ),
      /signed off and cannot be changed/,
    );

    const reopened = await director.client.post(`${page}/reopen`, { reason: 'The wrong year’s document was attached.' });
    assert.equal(reopened.statusCode, 303);
    assert.equal(await statusOf(), 'draft');
    assert.equal(await audits('annual_report.reopen'), 1);
    const shown = await member.client.get(page);
    assert.match(shown.body, /Earlier sign-offs, reopened/);
    assert.match(shown.body, /The wrong year’s document was attached\./);
    assert.match(shown.body, /Signed off by .* on \d{1,2} [A-Z][a-z]+ \d{4}, presented 20 May 2025, approved, document wrong-year\.pdf/);
    const api = (await member.client.get(`/api/v1/annual-reports/${rid}`)).json();
    assert.equal(api.status, 'draft');
    assert.equal(api.signedAt, null);
    assert.deepEqual(
      api.reopenings.map((o: { reason: string; presentedOn: string; boardDecision: string; documentName: string }) => [
        o.reason,
        o.presentedOn,
        o.boardDecision,
        o.documentName,
      ]),
      [['The wrong year’s document was attached.', '2025-05-20', 'approved', 'wrong-year.pdf']],
    );
    assert.equal((await reader.client.get(`/oversight/annual-reports/${rid}`)).statusCode, 404, 'out of the commissioner’s sight while a draft');
    // 002 std 1.6–1.7: the commissioner, told when it was signed, is told it is withdrawn; why stays with the provider
    const withdrawn = await sink.waitFor(reader.user.email, { subject: /^Annual security report reopened: Southmoor Trust, 2024\/25$/ });
    assert.match(withdrawn.text, /withdrawn from your oversight list until it is signed off again/);
    assert.match(withdrawn.text, new RegExp(`^Your oversight list: https://warden\\.example/oversight/annual-reports\\?for=${icb.id}$`, 'm'));
    assert.doesNotMatch(withdrawn.text, /wrong year/, 'the reason is the provider’s record');
    assert.equal(sink.to(author.user.email, /reopened/).length, 0, 'the provider’s own staff are not e-mailed');
    const again = await director.client.json('POST', `/api/v1/annual-reports/${rid}/reopen`, { reason: 'Again' });
    assert.equal(again.statusCode, 409);

    // Corrected and signed off anew; the earlier sign-off stays on record.
    assert.equal((await author.client.multipart(`${page}/document`, {}, { name: 'annual-report-2024.pdf', data: PDF })).statusCode, 303);
    assert.equal((await director.client.post(`${page}/sign-off`, { code: await generate({ secret: totp, epoch: step * 30 }) })).statusCode, 303);
    assert.equal(await statusOf(), 'signed');
    assert.equal((await reader.client.get(`/oversight/annual-reports/${rid}`)).statusCode, 200);
    assert.equal((await member.client.get(`/api/v1/annual-reports/${rid}`)).json().reopenings.length, 1);
    assert.equal((await member.client.get(`${page}/document`)).headers['content-disposition'], 'attachment; filename="annual-report-2024.pdf"');
  });

  test('warden annual-reports list --org CODE', async () => {
    let out = '';
    const code = await main(['annual-reports', 'list', '--org', 'RWM'], { out: (s) => (out += `${s}\n`), err: () => {}, env: { DATABASE_URL: t.db.url } });
    assert.equal(code, 0);
    assert.match(out, /2025\/26 {2}signed off by .* {2}presented 2026-05-20 {2}approved/);
    assert.match(out, /2026\/27 {2}draft/);
  });
});
