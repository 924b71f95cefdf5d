import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, memberOf, testApp } from '../../../test/app.ts';

const t = await testApp();

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
