import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { testApp } from '../../../test/app.ts';
import { annualReport, caseInvestigation, incident, organisation, TEST_SECRET_KEY, user } from '../../../test/factories.ts';
import { type Actor, type Role, systemActor } from '../../platform/access/roles.ts';
import { AppError } from '../../platform/errors.ts';
import { BUNDLED_FRAMEWORKS } from '../../standards/load.ts';

/**
 * Evidence (issue 5 item 2: links to records in Warden and uploaded documents, each change audited) and suggested
 * ratings (item 8: 4.1 from case data, 1.5 from the annual report, accepted or overridden).
 */
const t = await testApp({ config: { secretKey: TEST_SECRET_KEY } });
const db = t.db;
const service = t.services.selfReview;
const framework = await service.loadFramework(systemActor, await readFile(BUNDLED_FRAMEWORKS[0]!, 'utf8'));
const vpr = await service.loadFramework(systemActor, await readFile(BUNDLED_FRAMEWORKS[1]!, 'utf8'));
const org = await organisation(db.owner, { code: 'RXA' });
const other = await organisation(db.owner);

async function actor(role: Role, orgId: string) {
  const u = await user(db.owner, { roles: [[orgId, role]] });
  return { kind: 'user', userId: u.id, name: u.name, email: u.email, orgId, roles: [role], globalRoles: [] } satisfies Actor;
}
const lsms = await actor('security_specialist', org.id);
const board = await actor('board_viewer', org.id);
const lsmsOther = await actor('security_specialist', other.id);
const id = (await service.start(lsms, { year: 2026, frameworkVersionId: framework.id })).id;

const rejects = async (p: Promise<unknown>, errorId: string, message?: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.id, errorId, JSON.stringify([e.message, e.fields]));
    if (message) assert.match(JSON.stringify([e.message, e.fields]), message);
    return true;
  });
const audited = async (action: string) =>
  (await db.owner.selectFrom('audit_events').select(['detail', 'object_id']).where('action', '=', action).orderBy('id').execute()).map(
    (r) => r.detail as Record<string, unknown>,
  );
const evidenceOf = async (number: string) => (await service.get(lsms, id)).standards.find((s) => s.number === number)?.evidence ?? [];
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n% minutes\n'), Buffer.alloc(64, 0x20)]);

describe('evidence: records in Warden, links and documents (issue 5 item 2)', () => {
  test('a case of the organisation is linked by its reference; another organisation’s case is not found', async () => {
    const c = await incident(db.owner, { orgId: org.id, reference: 'RXA-2026-000042' });
    const theirs = await incident(db.owner, { orgId: other.id, reference: 'RXZ-2026-000001' });
    const added = await service.addEvidence(lsms, id, '4.1', { kind: 'output', caseReference: 'rxa-2026-000042' });
    const [e] = await evidenceOf('4.1');
    assert.deepEqual(e, {
      id: added.id,
      kind: 'output',
      label: 'Case RXA-2026-000042',
      url: null,
      record: { type: 'incident', id: c.id },
      document: null,
      href: `/cases/${c.id}`,
    });
    await rejects(
      service.addEvidence(lsms, id, '4.1', { kind: 'output', caseReference: theirs.reference }),
      'validation',
      /There is no case RXZ-2026-000001 in your organisation/,
    );
    await rejects(service.addEvidence(lsms, id, '4.1', { kind: 'output', caseReference: 'not a ref' }), 'validation', /case reference such as/);
    await rejects(
      service.addEvidence(lsms, id, '4.1', { kind: 'output', caseReference: 'RXA-2026-000042', url: 'https://example.org' }),
      'validation',
      /one thing only/,
    );
    await rejects(service.addEvidence(lsms, id, '4.1', { kind: 'output' }), 'validation', /Describe the evidence/);
    assert.deepEqual((await audited('review.evidence_add')).at(-1)?.record, { type: 'incident', id: c.id });
  });

  test('an annual report and a web link are evidence too', async () => {
    const r = await annualReport(db.owner, { orgId: org.id, year: 2025 });
    await service.addEvidence(lsms, id, '1.5', { kind: 'outcome', annualReportId: r.id });
    await service.addEvidence(lsms, id, '1.5', { kind: 'output', label: 'Strategy on the intranet', url: 'https://intranet.example.nhs.uk/strategy' });
    const list = await evidenceOf('1.5');
    assert.deepEqual(
      list.map((e) => [e.label, e.href]),
      [
        ['Annual report 2025/26', `/annual-reports/${r.id}`],
        ['Strategy on the intranet', 'https://intranet.example.nhs.uk/strategy'],
      ],
    );
    const theirs = await annualReport(db.owner, { orgId: other.id, year: 2025 });
    await rejects(
      service.addEvidence(lsms, id, '1.5', { kind: 'outcome', annualReportId: theirs.id }),
      'validation',
      /Choose one of your organisation’s annual reports/,
    );
  });

  test('a document is stored outside the web root, checked by content, downloadable only inside the organisation, and audited', async () => {
    const { id: docId } = await service.uploadEvidence(
      lsms,
      id,
      '2.1',
      { fileName: 'board-minutes.pdf', data: PDF, truncated: false },
      { kind: 'outcome', label: 'Board minutes, May' },
    );
    const [e] = await evidenceOf('2.1');
    assert.deepEqual(e?.document, { fileName: 'board-minutes.pdf', contentType: 'application/pdf', sizeBytes: PDF.length });
    assert.equal(e?.href, `/self-reviews/${id}/evidence/${docId}/file`);
    const down = await service.downloadEvidence(board, id, docId);
    assert.deepEqual(down.data, PDF);
    assert.equal(down.contentType, 'application/pdf');
    await rejects(service.downloadEvidence(lsmsOther, id, docId), 'not_found');
    const upload = (await audited('review.evidence_upload')).at(-1);
    assert.equal(upload?.sha256, createHash('sha256').update(PDF).digest('hex'));
    assert.equal((await audited('review.evidence_download')).length, 1);
    await rejects(
      service.uploadEvidence(lsms, id, '2.1', { fileName: 'minutes.pdf', data: Buffer.from('<html>not a pdf</html>'), truncated: false }, { kind: 'output' }),
      'validation',
      /content is not a PDF file/,
    );
    await rejects(service.uploadEvidence(lsms, id, '2.1', { fileName: 'minutes.pdf', data: PDF, truncated: false }, {}), 'validation', /output or an outcome/);
    await rejects(service.uploadEvidence(board, id, '2.1', { fileName: 'minutes.pdf', data: PDF, truncated: false }, { kind: 'output' }), 'forbidden');
    assert.equal((await evidenceOf('2.1')).length, 1, 'nothing written by the refused uploads');
  });

  test('evidence removed from a draft leaves the list, is kept in the database, and the removal is audited', async () => {
    const [e] = await evidenceOf('2.1');
    assert.ok(e);
    await rejects(service.removeEvidence(lsmsOther, id, e.id), 'not_found');
    await service.removeEvidence(lsms, id, e.id);
    assert.deepEqual(await evidenceOf('2.1'), []);
    const row = await db.owner.selectFrom('self_review_evidence').select(['removed_at', 'removed_by']).where('id', '=', e.id).executeTakeFirstOrThrow();
    assert.ok(row.removed_at instanceof Date);
    assert.equal(row.removed_by, lsms.userId);
    await rejects(service.removeEvidence(lsms, id, e.id), 'not_found');
    assert.equal((await audited('review.evidence_remove')).length, 1);
  });
});

describe('suggested ratings from Warden’s data (issue 5 item 8)', () => {
  test('4.1: three of four manager’s investigations due in the year completed on time suggests amber, with its reason', async () => {
    // Financial year 2026/27: 1 April 2026 to 31 March 2027; due dates long past.
    await caseInvestigation(db.owner, { orgId: org.id, dueOn: '2026-05-10', completedAt: new Date('2026-05-09T10:00:00Z') });
    await caseInvestigation(db.owner, { orgId: org.id, dueOn: '2026-06-10', completedAt: new Date('2026-06-10T22:30:00Z') }); // 23:30 in London: on the day
    await caseInvestigation(db.owner, { orgId: org.id, dueOn: '2026-07-10', completedAt: new Date('2026-07-09T08:00:00Z') });
    await caseInvestigation(db.owner, { orgId: org.id, dueOn: '2026-08-10', completedAt: null }); // overdue
    await caseInvestigation(db.owner, { orgId: org.id, dueOn: '2025-08-10', completedAt: null }); // another year
    await caseInvestigation(db.owner, { orgId: other.id, dueOn: '2026-08-10', completedAt: null }); // another organisation
    const s = (await service.suggestions(board, id)).find((x) => x.standard === '4.1');
    assert.deepEqual(s, {
      standard: '4.1',
      suggester: 'cases.investigation-timeliness',
      label: "Manager's investigations completed by their due date",
      rating: 'amber',
      reason: "Of 4 manager's investigations due in 2026/27, 3 (75%) were completed by the due date; from 50% to under 90% on time suggests amber.",
      accepted: false,
    });
  });

  test('overriding the suggestion is recorded as an override; accepting it is one step, audited, and brings its evidence', async () => {
    await service.rate(lsms, id, '4.1', { rating: 'green', comments: 'We think we are timely.' });
    assert.deepEqual((await audited('review.rate')).at(-1)?.overrides, [{ suggester: 'cases.investigation-timeliness', suggested: 'amber' }]);
    await rejects(service.acceptSuggestion(board, id, '4.1', { suggester: 'cases.investigation-timeliness' }), 'forbidden');
    await rejects(service.acceptSuggestion(lsms, id, '4.1', { suggester: 'no.such' }), 'validation', /no such suggestion for standard 4\.1/);
    await rejects(
      service.acceptSuggestion(lsms, id, '4.2', { suggester: 'cases.investigation-timeliness' }),
      'validation',
      /no such suggestion for standard 4\.2/,
    );
    const accepted = await service.acceptSuggestion(lsms, id, '4.1', { suggester: 'cases.investigation-timeliness' });
    assert.equal(accepted.rating, 'amber');
    const review = await service.get(lsms, id);
    const s41 = review.standards.find((s) => s.number === '4.1');
    assert.equal(s41?.rating, 'amber');
    assert.match(s41?.comments ?? '', /^We think we are timely\.\n\nOf 4 manager's investigations/);
    assert.deepEqual(s41?.suggestion, { suggester: 'cases.investigation-timeliness', rating: 'amber', reason: accepted.reason });
    assert.ok(s41?.evidence.some((e) => e.kind === 'outcome' && e.label.startsWith('Investigation timeliness 2026/27: 3 of 4')));
    assert.equal(review.suggestions.find((x) => x.standard === '4.1')?.accepted, true);
    const log = (await audited('review.suggestion_accept')).at(-1);
    assert.equal(log?.rating, 'amber');
    assert.equal(log?.suggester, 'cases.investigation-timeliness');
    // Editing the comments keeps it accepted; another rating is the reviewer's own.
    await service.rate(lsms, id, '4.1', { rating: 'amber', comments: `${s41?.comments} Reviewed.` });
    assert.equal((await service.suggestions(board, id)).find((x) => x.standard === '4.1')?.accepted, true);
    await service.rate(lsms, id, '4.1', { rating: 'red', comments: 'Worse than the figures say.' });
    assert.equal((await service.get(lsms, id)).standards.find((x) => x.number === '4.1')?.suggestion, null);
    await service.rate(lsms, id, '4.1', { rating: s41?.rating ?? 'amber', comments: s41?.comments ?? '' });
    await service.acceptSuggestion(lsms, id, '4.1', { suggester: 'cases.investigation-timeliness' });
    // Accepting again adds neither the reason nor the evidence twice.
    await service.acceptSuggestion(lsms, id, '4.1', { suggester: 'cases.investigation-timeliness' });
    const again = (await service.get(lsms, id)).standards.find((s) => s.number === '4.1');
    assert.equal(again?.comments, s41?.comments);
    assert.equal(again?.evidence.length, s41?.evidence.length);
  });

  test('1.5: red with no signed annual report, green once one signed by the SMD after the Board approved it', async () => {
    let s = (await service.suggestions(board, id)).find((x) => x.standard === '1.5');
    assert.equal(s?.rating, 'red');
    assert.equal(s?.reason, 'No annual report for 2026/27 is recorded in Warden (002 std 1.5).');
    const smdUser = await user(db.owner, { roles: [[org.id, 'smd']] });
    const r = await annualReport(db.owner, { orgId: org.id, year: 2026, presentedOn: '2027-05-20', boardDecision: 'approved', signedBy: smdUser.id });
    s = (await service.suggestions(board, id)).find((x) => x.standard === '1.5');
    assert.equal(s?.rating, 'green');
    await service.acceptSuggestion(lsms, id, '1.5', { suggester: 'annual-reports.signed-report' });
    const s15 = (await service.get(lsms, id)).standards.find((x) => x.number === '1.5');
    assert.equal(s15?.rating, 'green');
    assert.ok(s15?.evidence.some((e) => e.record?.type === 'annual_report' && e.record.id === r.id && e.kind === 'outcome'));
  });

  test('suggesters speak only to their framework: a review against the violence prevention domains gets none', async () => {
    const v = (await service.start(lsms, { year: 2027, frameworkVersionId: vpr.id })).id;
    assert.deepEqual(await service.suggestions(lsms, v), []);
    const review = await service.get(lsms, v);
    assert.deepEqual(
      review.standards.map((s) => s.number),
      ['1', '2', '3', '4', '5', '6', '7'],
    );
    await service.rate(lsms, v, '4', { rating: 'amber', comments: 'Data reviewed quarterly; not yet evaluated.' });
    assert.equal((await service.get(lsms, v)).rollUp.keyAreas.data?.rating, 'amber');
  });
});
