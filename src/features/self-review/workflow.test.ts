import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { generate } from 'otplib';
import { Client, testApp } from '../../../test/app.ts';
import { annualReport, commissioning, enableTotp, organisation, session, TEST_SECRET_KEY, user } from '../../../test/factories.ts';
import { mailSink } from '../../../test/mail.ts';
import { type Actor, type Role, systemActor } from '../../platform/access/roles.ts';
import { AppError } from '../../platform/errors.ts';
import { createMailer } from '../../platform/mail.ts';
import { inScope } from '../../platform/tenancy.ts';
import { BUNDLED_FRAMEWORKS } from '../../standards/load.ts';

/**
 * Sign-off, submission, reopening and oversight (issue 5 item 5 and 6; 002 §3.9–3.10, std 1.6, 1.7): the workflow
 * draft → signed → submitted → reopened (a new draft version), and who can see what at each step.
 */
const sink = await mailSink();
const t = await testApp({ mailer: createMailer({ smtpUrl: sink.url }), config: { secretKey: TEST_SECRET_KEY, baseUrl: 'https://warden.example' } });
const db = t.db;
const service = t.services.selfReview;
const framework = await service.loadFramework(systemActor, await readFile(BUNDLED_FRAMEWORKS[0]!, 'utf8'));
const NUMBERS = ['1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7', '2.1', '2.2', '3.1', '3.2', '3.3', '4.1', '4.2'];

const provider = await organisation(db.owner, { type: 'acute', name: 'Northgate Acute Trust' });
const other = await organisation(db.owner, { type: 'mental_health' });
const icb = await organisation(db.owner, { type: 'commissioner', name: 'North ICB' });
const otherIcb = await organisation(db.owner, { type: 'commissioner' });
const nationalBody = await organisation(db.owner, { type: 'national_body', name: 'National Body' });
await commissioning(db.owner, { commissionerOrgId: icb.id, providerOrgId: provider.id });

async function actor(role: Role, orgId: string | null, global = false) {
  const u = await user(db.owner, { roles: [[global ? null : orgId, role]] });
  const a: Actor = { kind: 'user', userId: u.id, name: u.name, email: u.email, orgId, roles: global ? [] : [role], globalRoles: global ? [role] : [] };
  return { ...u, actor: a };
}
const lsms = await actor('security_specialist', provider.id);
const smd = await actor('smd', provider.id);
const board = await actor('board_viewer', provider.id);
const smdWithoutTotp = await actor('smd', provider.id);
const commissioner = await actor('commissioner', icb.id);
const otherCommissioner = await actor('commissioner', otherIcb.id);
const assessor = await actor('national_assessor', null, true);
const lsmsOther = await actor('security_specialist', other.id);
const secret = await enableTotp(db.owner, smd.id);

const step = () => Math.floor(Date.now() / 30_000);
const code = (offset: number) => generate({ secret, epoch: (step() + offset) * 30 });

const rejects = async (p: Promise<unknown>, id: string, message?: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.id, id, JSON.stringify([e.message, e.fields]));
    if (message) assert.match(JSON.stringify([e.message, e.fields]), message);
    return true;
  });
const audits = async (action: string, outcome = 'success') =>
  Number(
    (
      await db.owner
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('action', '=', action)
        .where('outcome', '=', outcome)
        .executeTakeFirstOrThrow()
    ).n,
  );
async function rateAll(a: Actor, id: string, rating: 'green' | 'amber' | 'red' = 'green') {
  for (const n of NUMBERS)
    await service.rate(a, id, n, { rating: rating === 'amber' && ['1.1', '1.3', '1.5'].includes(n) ? 'green' : rating, comments: `Standard ${n} reviewed.` });
}
const statusOf = async (id: string) => (await service.get(board.actor, id)).status;

test('002 std 1.5, §3.10: the SMD’s home says when the self review and the annual report are ready for their sign-off; nobody else’s does', async () => {
  const trust = await organisation(db.owner, { type: 'community', name: 'Eastmoor Community Trust' });
  const [team, director] = [await actor('security_specialist', trust.id), await actor('smd', trust.id)];
  const home = async (who: { id: string; roles: [string | null, Role][] }) => (await new Client(t.app, await session(db.owner, who, trust.id)).get('/')).body;
  const REVIEW = /The 2026\/27 self review is ready for your sign-off/;
  const REPORT = /The 2025\/26 annual report is ready for your sign-off/;
  const id = (await service.start(team.actor, { year: 2026, frameworkVersionId: framework.id })).id;
  const report = await annualReport(db.owner, { orgId: trust.id, year: 2025 });
  assert.doesNotMatch(await home(director), REVIEW, 'standards still to rate');
  assert.doesNotMatch(await home(director), REPORT, 'not yet presented to the Board');
  await rateAll(team.actor, id);
  await db.owner.updateTable('annual_reports').set({ presented_on: '2026-05-20', board_decision: 'approved' }).where('id', '=', report.id).execute();
  const ready = await home(director);
  assert.match(ready, new RegExp(`<a href="/self-reviews/${id}/sign-off">${REVIEW.source}</a>`));
  assert.match(ready, new RegExp(`<a href="/annual-reports/${report.id}">${REPORT.source}</a>`));
  assert.doesNotMatch(await home(team), /ready for your sign-off/, 'only the SMD signs off');
  // the services decide, whoever asks
  assert.deepEqual(await service.readyToSign(team.actor), []);
  assert.deepEqual(await t.services.annualReports.readyToSign(team.actor), []);
  assert.deepEqual(
    (await service.readyToSign(director.actor)).map((r) => r.id),
    [id],
  );
});

describe('draft → signed → submitted → reopened (issue 5 item 5)', () => {
  let id = '';
  let firstCode = '';

  test('a draft cannot be signed off until every standard is rated, nor by anyone but the SMD', async () => {
    id = (await service.start(lsms.actor, { year: 2026, frameworkVersionId: framework.id })).id;
    await service.rate(lsms.actor, id, '4.1', { rating: 'green', comments: 'Timely.' });
    await rejects(service.signOff(smd.actor, id, { code: await code(0) }), 'validation', /Rate every standard before signing off: 13 still to rate/);
    await rateAll(lsms.actor, id);
    await rejects(service.signOff(lsms.actor, id, { code: '123456' }), 'forbidden');
    await rejects(service.signOff(board.actor, id, { code: '123456' }), 'forbidden');
    await rejects(service.signOff(smdWithoutTotp.actor, id, { code: '123456' }), 'validation', /Set up two-factor authentication/);
    await rejects(service.signOff(smd.actor, id, { code: 'abc' }), 'validation', /6-digit code/);
    await rejects(service.submit(lsms.actor, id), 'conflict', /Only a signed-off self review can be submitted/);
    assert.equal(await statusOf(id), 'draft');
  });

  test('a wrong code signs nothing, and is counted and audited against the SMD', async () => {
    const before = await audits('auth.step_up', 'failure');
    await rejects(service.signOff(smd.actor, id, { code: '000000' }), 'validation', /not right, or it has been used already/);
    assert.equal(await audits('auth.step_up', 'failure'), before + 1);
    const row = await db.owner.selectFrom('users').select('failed_count').where('id', '=', smd.id).executeTakeFirstOrThrow();
    assert.equal(row.failed_count, 1);
    assert.equal(await statusOf(id), 'draft');
    assert.equal((await db.owner.selectFrom('self_review_versions').selectAll().where('review_id', '=', id).execute()).length, 0);
  });

  test('the SMD signs off with a current code: version 1 is frozen with its hash and the review is locked', async () => {
    firstCode = await code(-1);
    const signed = await service.signOff(smd.actor, id, { code: firstCode }, { ip: '10.0.0.1' });
    assert.equal(signed.version, 1);
    assert.match(signed.sha256, /^[0-9a-f]{64}$/);
    const review = await service.get(board.actor, id);
    assert.equal(review.status, 'signed');
    assert.deepEqual(
      review.history.map((h) => [h.version, h.kind]),
      [
        [1, 'started'],
        [1, 'signed'],
      ],
    );
    assert.equal(review.versions[0]?.signedBy, smd.name);
    const v1 = await service.version(board.actor, id, 1);
    assert.equal(v1.integrity, true);
    assert.equal(v1.standards.length, 14);
    assert.equal(v1.rollUp.overall.rating, 'green');
    assert.equal(v1.signedBy.name, smd.name);
    assert.equal((await db.owner.selectFrom('users').select('failed_count').where('id', '=', smd.id).executeTakeFirstOrThrow()).failed_count, 0);
    assert.equal(await audits('review.sign'), 1);
    assert.equal(await audits('auth.step_up'), 1);
  });

  test('a signed review cannot be changed: not through the service, and not in the database either', async () => {
    await rejects(service.rate(lsms.actor, id, '4.1', { rating: 'red' }), 'conflict', /signed off \(version 1\) and locked/);
    await rejects(service.addEvidence(lsms.actor, id, '4.1', { kind: 'output', label: 'Late' }), 'conflict', /locked/);
    await rejects(service.signOff(smd.actor, id, { code: await code(0) }), 'conflict', /locked/);
    await assert.rejects(
      inScope(db.app, { orgId: provider.id }, (tx) =>
        tx.updateTable('self_review_ratings').set({ rating: 'red' }).where('review_id', '=', id).where('standard_number', '=', '4.1').execute(),
      ),
      /not a draft: reopen it to change it/,
    );
    // The signed version itself is immutable and kept, even for the database owner.
    await assert.rejects(
      db.owner
        .updateTable('self_review_versions')
        .set({ content: '{}' } as never)
        .where('review_id', '=', id)
        .execute(),
      /cannot be changed/,
    );
    await assert.rejects(db.owner.deleteFrom('self_review_versions').where('review_id', '=', id).execute(), /kept for ever/);
  });

  test('a signed but unsubmitted review is invisible to its commissioner', async () => {
    const o = await service.oversight(commissioner.actor, {});
    assert.deepEqual(o.groups, []);
    assert.deepEqual(
      o.notSubmitted.map((p) => p.name),
      ['Northgate Acute Trust'],
    );
    const versionId = (await db.owner.selectFrom('self_review_versions').select('id').where('review_id', '=', id).executeTakeFirstOrThrow()).id;
    await rejects(service.oversightVersion(commissioner.actor, versionId), 'not_found');
    await rejects(service.oversightVersion(assessor.actor, versionId), 'not_found');
  });

  test('submission goes to the organisation’s commissioner and the national body; it happens once', async () => {
    const submitted = await service.submit(lsms.actor, id);
    assert.deepEqual(submitted, { version: 1, recipients: [icb.name, nationalBody.name] });
    assert.equal(await statusOf(id), 'submitted');
    await rejects(service.submit(smd.actor, id), 'conflict', /already been submitted/);
    await rejects(service.submit(board.actor, id), 'forbidden');
    const v1 = await service.version(lsms.actor, id, 1);
    assert.deepEqual(
      v1.recipients.map((r) => r.name),
      ['North ICB', 'National Body'],
    );
    assert.equal(await audits('review.submit'), 1);
  });

  test('the commissioner and the national assessors are e-mailed a link to the submitted version; nobody else is', async () => {
    const SUBMITTED = /^Self review submitted: Northgate Acute Trust, 2026\/27$/;
    const versionId = (await db.owner.selectFrom('self_review_versions').select('id').where('review_id', '=', id).executeTakeFirstOrThrow()).id;
    // the commissioner's link names the commissioning organisation to read it as; the assessor's none (deployment-wide)
    for (const [person, acting] of [
      [commissioner, `\\?for=${icb.id}`],
      [assessor, ''],
    ] as const) {
      const mail = await sink.waitFor(person.email, { subject: SUBMITTED });
      assert.match(mail.text, /Northgate Acute Trust has submitted version 1 of its self review/);
      assert.match(mail.text, new RegExp(`^Read it: https://warden\\.example/oversight/self-reviews/${versionId}${acting}$`, 'm'));
    }
    for (const person of [otherCommissioner, lsms, smd, board]) assert.equal(sink.to(person.email, SUBMITTED).length, 0, 'not theirs to read');
    assert.equal(sink.to(commissioner.email, SUBMITTED).length, 1, 'one e-mail per submission');
  });

  test('the commissioner and the national assessor now see version 1; another commissioner does not', async () => {
    const o = await service.oversight(commissioner.actor, {});
    assert.equal(o.year, 2026);
    assert.equal(o.groups.length, 1);
    const row = o.groups[0]?.rows[0];
    assert.ok(row);
    assert.equal(row.organisation.name, 'Northgate Acute Trust');
    assert.equal(row.version, 1);
    assert.equal(row.overall.rating, 'green');
    const seen = await service.oversightVersion(commissioner.actor, row.versionId);
    assert.equal(seen.integrity, true);
    assert.equal(seen.organisation.name, 'Northgate Acute Trust');
    assert.ok((await service.oversight(assessor.actor, {})).groups[0]?.rows.some((r) => r.versionId === row.versionId));
    assert.deepEqual((await service.oversight(otherCommissioner.actor, {})).groups, []);
    await rejects(service.oversightVersion(otherCommissioner.actor, row.versionId), 'not_found');
    await rejects(service.oversight(lsms.actor, {}), 'forbidden');
  });

  test('only the SMD reopens, and only with a reason; the signed version is kept and stays submitted', async () => {
    await rejects(service.reopen(lsms.actor, id, { reason: 'Typo' }), 'forbidden');
    await rejects(service.reopen(smd.actor, id, { reason: '  ' }), 'validation', /Enter why the self review is being reopened/);
    const reopened = await service.reopen(smd.actor, id, { reason: 'The CQC report changed our view of 3.2.' });
    assert.deepEqual(reopened, { version: 2 });
    const review = await service.get(lsms.actor, id);
    assert.equal(review.status, 'draft');
    assert.equal(review.version, 2);
    assert.deepEqual(review.history.at(-1), { ...review.history.at(-1), version: 2, kind: 'reopened', reason: 'The CQC report changed our view of 3.2.' });
    const v1 = await service.version(lsms.actor, id, 1);
    assert.equal(v1.integrity, true);
    assert.equal(v1.reopenReason, 'The CQC report changed our view of 3.2.');
    assert.equal(v1.standards.find((s) => s.number === '3.2')?.rating, 'green');
    await rejects(service.reopen(smd.actor, id, { reason: 'Again' }), 'conflict', /draft already/);
  });

  test('version 2 is edited and signed with a fresh code (the first one is refused: no replay); commissioners see it once submitted', async () => {
    await service.rate(lsms.actor, id, '3.2', { rating: 'red', comments: 'Lone-working risk assessments lapsed.' });
    await rejects(service.signOff(smd.actor, id, { code: firstCode }), 'validation', /used already/);
    const v2 = await service.signOff(smd.actor, id, { code: await code(0) });
    assert.equal(v2.version, 2);
    let o = await service.oversight(commissioner.actor, {});
    assert.equal(o.groups[0]?.rows[0]?.version, 1, 'until version 2 is submitted, version 1 is what was submitted');
    await service.submit(smd.actor, id);
    o = await service.oversight(commissioner.actor, {});
    const row = o.groups[0]?.rows[0];
    assert.ok(row);
    assert.equal(row.version, 2);
    assert.equal(row.keyAreas['prevent-and-deter']?.rating, 'amber');
    assert.equal((await service.version(lsms.actor, id, 1)).standards.find((s) => s.number === '3.2')?.rating, 'green');
    assert.equal((await service.version(lsms.actor, id, 2)).standards.find((s) => s.number === '3.2')?.rating, 'red');
    assert.deepEqual(
      (await service.get(lsms.actor, id)).history.map((h) => `${h.version}:${h.kind}`),
      ['1:started', '1:signed', '1:submitted', '2:reopened', '2:signed', '2:submitted'],
    );
  });
});

describe('drafts are invisible outside the organisation (issue 5 "done when")', () => {
  test('another organisation’s LSMS, a commissioner and the national assessor see nothing of a draft, even without filters', async () => {
    const draft = (await service.start(lsms.actor, { year: 2027, frameworkVersionId: framework.id })).id;
    await service.rate(lsms.actor, draft, '4.1', { rating: 'red', comments: 'Draft thoughts.' });
    await rejects(service.get(lsmsOther.actor, draft), 'not_found');
    await rejects(service.get(commissioner.actor, draft), 'forbidden');
    await rejects(service.get(assessor.actor, draft), 'forbidden');
    assert.ok(!(await service.oversight(commissioner.actor, { year: 2027 })).groups.length);
    assert.ok(!(await service.oversight(assessor.actor, { year: 2027 })).groups.length);
    // Row-level security: in the commissioner's scope the draft's tables are empty, and of the versions only the
    // submitted ones of its providers can be read.
    const seen = await inScope(db.app, { orgId: icb.id }, async (tx) => ({
      reviews: await tx.selectFrom('self_reviews').select('id').execute(),
      ratings: await tx.selectFrom('self_review_ratings').select('review_id').execute(),
      evidence: await tx.selectFrom('self_review_evidence').select('id').execute(),
      versions: await tx.selectFrom('self_review_versions').select(['org_id', 'submitted_at']).execute(),
      raw: await sql<{ n: number }>`select count(*)::int as n from self_review_versions where submitted_at is null`.execute(tx),
    }));
    assert.deepEqual(seen.reviews, []);
    assert.deepEqual(seen.ratings, []);
    assert.deepEqual(seen.evidence, []);
    assert.ok(seen.versions.length >= 1 && seen.versions.every((v) => v.org_id === provider.id && v.submitted_at !== null));
    assert.equal(seen.raw.rows[0]?.n, 0);
    const fromOther = await inScope(db.app, { orgId: otherIcb.id }, (tx) => tx.selectFrom('self_review_versions').select('id').execute());
    assert.deepEqual(fromOther, []);
  });

  test('a commissioner sees a provider’s reviews only from the year its commissioning began', async () => {
    const late = await organisation(db.owner, { type: 'community', name: 'Late Community Trust' });
    await commissioning(db.owner, { commissionerOrgId: icb.id, providerOrgId: late.id, fromYear: 2027 });
    const lateLsms = await actor('security_specialist', late.id);
    const lateSmd = await actor('smd', late.id);
    const lateSecret = await enableTotp(db.owner, lateSmd.id);
    const id = (await service.start(lateLsms.actor, { year: 2026, frameworkVersionId: framework.id })).id;
    await rateAll(lateLsms.actor, id, 'amber');
    await service.signOff(lateSmd.actor, id, { code: await generate({ secret: lateSecret, epoch: step() * 30 }) });
    const submitted = await service.submit(lateLsms.actor, id);
    assert.ok(!submitted.recipients.includes(icb.name), 'not recorded as sent to a commissioner who cannot read it');
    // nor e-mailed: the assessor's e-mail is sent with any commissioner's, so once it is here theirs would be too
    const LATE = /^Self review submitted: Late Community Trust/;
    await sink.waitFor(assessor.email, { subject: LATE });
    assert.equal(sink.to(commissioner.email, LATE).length, 0);
    const o = await service.oversight(commissioner.actor, { year: 2026 });
    assert.ok(!o.groups.some((g) => g.rows.some((r) => r.organisation.name === 'Late Community Trust')));
    assert.ok(!o.notSubmitted.some((p) => p.name === 'Late Community Trust'), 'not expected from a provider before its commissioning began');
    const national = await service.oversight(assessor.actor, { year: 2026 });
    assert.ok(national.groups.some((g) => g.rows.some((r) => r.organisation.name === 'Late Community Trust'))); // The database keeps to the same rule (migration CommissionedFromYear): in the commissioner's transaction the
    // 2026 version is not there to read, whatever a query asks for.
    const lateVersions = () =>
      inScope(db.app, { orgId: icb.id }, (tx) => tx.selectFrom('self_review_versions').select('year').where('org_id', '=', late.id).execute());
    assert.deepEqual(await lateVersions(), []);
    await db.owner.updateTable('commissioning').set({ from_year: 2026 }).where('provider_org_id', '=', late.id).execute();
    assert.deepEqual(await lateVersions(), [{ year: 2026 }], 'readable once the link covers 2026');
  });
});

describe('trend against the previous year (issue 5 item 6)', () => {
  test('the oversight table compares each key area with the previous year’s submitted review', async () => {
    const trust = await organisation(db.owner, { type: 'ambulance', name: 'Trend Ambulance Trust' });
    await commissioning(db.owner, { commissionerOrgId: icb.id, providerOrgId: trust.id });
    const tl = await actor('security_specialist', trust.id);
    const ts = await actor('smd', trust.id);
    const s = await enableTotp(db.owner, ts.id);
    const last = (await service.start(tl.actor, { year: 2030, frameworkVersionId: framework.id })).id;
    await rateAll(tl.actor, last, 'red');
    await service.signOff(ts.actor, last, { code: await generate({ secret: s, epoch: (step() - 1) * 30 }) });
    await service.submit(tl.actor, last);
    const now = (await service.start(tl.actor, { year: 2031, frameworkVersionId: framework.id })).id;
    await rateAll(tl.actor, now, 'green');
    await service.rate(tl.actor, now, '2.1', { rating: 'red', comments: 'Still to do.' });
    await service.rate(tl.actor, now, '2.2', { rating: 'red', comments: 'Still to do.' });
    await service.signOff(ts.actor, now, { code: await generate({ secret: s, epoch: step() * 30 }) });
    await service.submit(tl.actor, now);
    const o = await service.oversight(commissioner.actor, { year: 2031 });
    const row = o.groups.flatMap((g) => g.rows).find((r) => r.organisation.name === 'Trend Ambulance Trust');
    assert.ok(row);
    assert.deepEqual(row.keyAreas['hold-to-account'], { rating: 'green', previous: 'red', trend: 'up' });
    assert.deepEqual(row.keyAreas['inform-and-involve'], { rating: 'red', previous: 'red', trend: 'same' });
    assert.equal(row.overall.trend, 'up');
    assert.deepEqual(o.years.slice(0, 2), [2031, 2030]);
  });
});
