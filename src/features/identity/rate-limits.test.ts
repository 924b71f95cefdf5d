import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testApp } from '../../../test/app.ts';
import { user } from '../../../test/factories.ts';
import { browser } from './test-helpers.ts';

const t = await testApp();
await user(t.db.owner); // set-up is over once a user exists

/** Posts the same form from one address until refused; returns the statuses. */
async function hammer(url: string, form: Record<string, string>, times: number) {
  const client = browser(t);
  await client.get('/accessibility');
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await client.post(url, form)).statusCode);
  return { statuses, client };
}

describe('rate limits (per address, per minute)', () => {
  test('sign-in: 20 attempts, then "Too many attempts"', async () => {
    const { statuses } = await hammer('/sign-in', { email: 'someone@test.nhs.uk', password: 'guessing a password' }, 21);
    assert.deepEqual(new Set(statuses.slice(0, 20)), new Set([400]));
    assert.equal(statuses[20], 429);
    // Another address is not affected.
    const other = browser(t);
    await other.get('/sign-in');
    assert.equal((await other.post('/sign-in', { email: 'someone@test.nhs.uk', password: 'guessing a password' })).statusCode, 400);
  });

  test('password reset requests: 5, then "Too many attempts"', async () => {
    const { statuses, client } = await hammer('/password-reset', { email: 'someone@test.nhs.uk' }, 6);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    const page = await client.post('/password-reset', { email: 'someone@test.nhs.uk' });
    assert.match(page.body, /Too many attempts/);
  });

  test('second-factor codes: 10, then "Too many attempts"', async () => {
    const { statuses } = await hammer('/sign-in/two-factor', { code: '123456' }, 11);
    assert.deepEqual(new Set(statuses.slice(0, 10)), new Set([303]));
    assert.equal(statuses[10], 429);
  });
});
