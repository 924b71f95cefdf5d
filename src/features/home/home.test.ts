import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, memberOf, testApp } from '../../../test/app.ts';
import { caseInvestigation, incident, organisation, session, user } from '../../../test/factories.ts';
import { addMonths, londonToday } from '../../domain/markers.ts';

const t = await testApp();
const auditCount = async (orgId: string) =>
  Number(
    (
      await t.db.owner
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('org_id', '=', orgId)
        .executeTakeFirstOrThrow()
    ).n,
  );

test('anonymous visitors are offered sign-in', async () => {
  await memberOf(t, 'reporter'); // once a user exists, set-up is over
  const res = await new Client(t.app).get('/');
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /href="\/sign-in"/);
  assert.doesNotMatch(res.body, /Report a security incident/);
});

test('a member of staff is offered reporting first, with the end-of-shift rule (003 §2.2.3.7)', async () => {
  const { client } = await memberOf(t, 'reporter');
  const res = await client.get('/');
  assert.match(res.body, /class="nhsuk-action-link"[\s\S]*href="\/incidents\/new"[\s\S]*Report a security incident or near miss/);
  assert.match(res.body, /before the end of your shift/);
  assert.match(res.body, /<a href="\/incidents\/mine">Your reports<\/a>/);
  assert.doesNotMatch(res.body, /<a href="\/cases">/);
});

test('the security specialist’s home lists case work, and a board member is not offered reporting', async () => {
  const lsms = await memberOf(t, 'security_specialist');
  const home = await lsms.client.get('/');
  assert.match(home.body, /<a href="\/cases">Cases<\/a>/);
  assert.match(home.body, /<a href="\/audit">Audit trail<\/a>/);
  const board = await memberOf(t, 'board_viewer');
  assert.doesNotMatch((await board.client.get('/')).body, /Report a security incident/);
});

test('someone with roles in two organisations and none chosen is asked to choose one; once chosen, it is not asked', async () => {
  const north = await organisation(t.db.owner);
  const south = await organisation(t.db.owner);
  const lsms = await user(t.db.owner, {
    roles: [
      [north.id, 'security_specialist'],
      [south.id, 'reporter'],
    ],
  });
  const CHOOSE = /You have not chosen the organisation you are acting for\. <a href="\/choose-organisation">Choose the organisation<\/a>/;
  assert.match((await new Client(t.app, await session(t.db.owner, lsms, null)).get('/')).body, CHOOSE);
  const chosen = (await new Client(t.app, await session(t.db.owner, lsms, north.id)).get('/')).body;
  assert.doesNotMatch(chosen, CHOOSE);
  assert.match(chosen, /<a href="\/cases">Cases<\/a>/);
  const single = await memberOf(t, 'reporter');
  assert.doesNotMatch((await single.client.get('/')).body, CHOOSE, 'one organisation: chosen at sign-in');
});

describe('waiting for you: counts that link to the work, and read nothing personal', () => {
  test('the security specialist sees the reports to triage, the overdue cases and the markers due for review', async () => {
    const lsms = await memberOf(t, 'security_specialist');
    const db = t.db.owner;
    await incident(db, { orgId: lsms.org.id });
    await incident(db, { orgId: lsms.org.id, reportedAt: new Date(Date.now() - 40 * 86_400_000) }); // and overdue by age
    await incident(db, { orgId: lsms.org.id, status: 'triaged' });
    await incident(db, { orgId: lsms.org.id, status: 'closed_nfa', reportedAt: new Date(Date.now() - 90 * 86_400_000) });
    const today = londonToday();
    await db
      .insertInto('warning_markers')
      .values({
        org_id: lsms.org.id,
        subject_kind: 'address',
        address: '1 Due Road',
        not_public_place: true,
        risk: 'r',
        handling_advice: 'a',
        decided_on: addMonths(today, -1),
        review_due: today,
      })
      .execute();
    const before = await auditCount(lsms.org.id);
    const home = await lsms.client.get('/');
    assert.match(home.body, /<h2>Waiting for you<\/h2>/);
    assert.match(home.body, /<a href="\/cases\?status=reported">2 new reports to triage<\/a>/);
    assert.match(home.body, /<a href="\/cases\?overdue=1">1 overdue case<\/a>/);
    assert.match(home.body, /<a href="\/markers\?due=1">1 warning marker due for review<\/a>/);
    assert.equal(await auditCount(lsms.org.id), before, 'counts only: no personal read, nothing to audit');
    // the link's filters find the same cases
    assert.equal((await lsms.client.get('/api/v1/cases?status=reported')).json().total, 2);
    assert.equal((await lsms.client.get('/api/v1/cases?overdue=1')).json().total, 1);
  });

  test('a manager sees the investigations they have to complete and how many are overdue; a member of staff sees no such list', async () => {
    const manager = await memberOf(t, 'manager');
    const db = t.db.owner;
    const mine = [
      await incident(db, { orgId: manager.org.id, status: 'triaged' }),
      await incident(db, { orgId: manager.org.id, status: 'under_investigation' }),
      await incident(db, { orgId: manager.org.id, status: 'closed' }),
      await incident(db, { orgId: manager.org.id, status: 'awaiting_decision' }),
    ];
    await incident(db, { orgId: manager.org.id, status: 'triaged' }); // someone else's
    const dueOn = ['2026-01-10', '2099-01-01', '2026-01-10', '2026-01-10'];
    for (const [i, c] of mine.entries()) {
      await db.updateTable('incidents').set({ assigned_manager_id: manager.user.id, investigation_due_on: dueOn[i] }).where('id', '=', c.id).execute();
      await caseInvestigation(db, {
        orgId: manager.org.id,
        incidentId: c.id,
        managerId: manager.user.id,
        dueOn: dueOn[i] as string,
        completedAt: i === 3 ? new Date() : null, // done: the case awaits the sanction decision
      });
    }
    const home = await manager.client.get('/');
    assert.match(home.body, /<a href="\/cases\?investigating=1">2 investigations to complete<\/a>/);
    assert.match(home.body, /<a href="\/cases\?overdue=1">1 of your cases is overdue<\/a>/);
    const list = await manager.client.get('/cases?investigating=1');
    assert.equal(list.statusCode, 200);
    const listed = mine.filter((c) => list.body.includes(c.reference)).map((c) => c.reference);
    assert.deepEqual(listed.sort(), [mine[0]?.reference, mine[1]?.reference].sort(), 'the link lists exactly those');
    assert.doesNotMatch(home.body, /warning marker/, 'managers read markers but do not review them');
    const reporter = await memberOf(t, 'reporter');
    assert.doesNotMatch((await reporter.client.get('/')).body, /Waiting for you/);
  });
});
