import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, testApp } from '../../test/app.ts';
import { testDatabase } from '../../test/db.ts';
import { organisation, user } from '../../test/factories.ts';
import type { Database } from '../db/database.ts';
import { verifyPassword } from '../features/identity/passwords.ts';
import { DEMO_ORGS, DEMO_PASSWORD, DEMO_USERS, isDemo, seedDemo } from './seed.ts';

type Counted = 'organisations' | 'sites' | 'departments' | 'staff_headcounts' | 'users' | 'user_roles' | 'audit_events';
async function counts(db: Database) {
  const out: Partial<Record<Counted, number>> = {};
  for (const table of ['organisations', 'sites', 'departments', 'staff_headcounts', 'users', 'user_roles', 'audit_events'] as const) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out as Record<Counted, number>;
}

const db = await testDatabase();

describe('demo data set', () => {
  test('seeds organisations of every type with sites, departments, headcounts and one account per kind of user', async () => {
    assert.equal(await isDemo(db.app), false);
    assert.equal(await seedDemo(db.app), true);
    assert.equal(await isDemo(db.app), true);

    const orgs = await db.owner.selectFrom('organisations').select(['id', 'code', 'type']).execute();
    assert.deepEqual(orgs.map((o) => o.type).sort(), ['acute', 'ambulance', 'commissioner', 'community', 'mental_health', 'national_body']);
    assert.ok(
      orgs.every((o) => o.code.startsWith('X')),
      'invented codes, not real ODS codes',
    );
    for (const org of orgs) {
      const [sites, departments, headcounts] = await Promise.all([
        db.owner.selectFrom('sites').select('id').where('org_id', '=', org.id).execute(),
        db.owner.selectFrom('departments').select(['site_id']).where('org_id', '=', org.id).execute(),
        db.owner.selectFrom('staff_headcounts').select(['financial_year', 'headcount']).where('org_id', '=', org.id).orderBy('financial_year').execute(),
      ]);
      assert.ok(sites.length >= 1, `${org.code} has a site`);
      assert.ok(departments.length >= 1, `${org.code} has departments`);
      assert.deepEqual(
        headcounts.map((h) => h.financial_year),
        [2022, 2023, 2024, 2025, 2026],
        `${org.code} has five years of headcounts`,
      );
      assert.ok(
        headcounts.every((h) => h.headcount > 0),
        `${org.code} headcounts are positive`,
      );
    }
    const mentalHealth = orgs.find((o) => o.type === 'mental_health');
    const community = await db.owner
      .selectFrom('departments')
      .select('name')
      .where('org_id', '=', mentalHealth?.id as string)
      .where('site_id', 'is', null)
      .execute();
    assert.ok(community.length > 0, 'community services have no single site');
    assert.ok(await db.owner.selectFrom('sites').select('id').where('is_large', '=', true).executeTakeFirst(), 'some sites are large');

    const users = await db.owner.selectFrom('users').select(['id', 'email', 'password_hash']).execute();
    assert.deepEqual(users.map((u) => u.email).sort(), DEMO_USERS.map((u) => u.email).sort());
    assert.ok(
      users.every((u) => u.email.endsWith('@demo.warden.invalid')),
      'demo addresses cannot reach anyone',
    );
    assert.equal(await verifyPassword(users[0]?.password_hash, DEMO_PASSWORD), true);
    const roles = await db.owner.selectFrom('user_roles').select('role').distinct().execute();
    assert.deepEqual(
      roles.map((r) => r.role).sort(),
      ['administrator', 'board_viewer', 'commissioner', 'manager', 'national_assessor', 'reporter', 'security_specialist', 'smd'],
      'one account or more for every role',
    );
    const seeded = await db.owner.selectFrom('audit_events').select('detail').where('action', '=', 'instance.demo_seeded').execute();
    assert.deepEqual(
      seeded.map((e) => e.detail),
      [{ via: 'cli', organisations: DEMO_ORGS.length, users: DEMO_USERS.length }],
    );
  });

  test('seeding again changes nothing', async () => {
    const before = await counts(db.owner);
    assert.ok(before.organisations > 0, 'runs after the first seeding');
    assert.equal(await seedDemo(db.app), false);
    assert.deepEqual(await counts(db.owner), before);
  });

  test('refuses a database that holds real organisations or users, and writes nothing', async () => {
    for (const make of [(d: Database) => organisation(d), (d: Database) => user(d, { roles: [[null, 'administrator']] })]) {
      const real = await testDatabase();
      await make(real.owner);
      const before = await counts(real.owner);
      await assert.rejects(seedDemo(real.app), /already holds organisations or users that are not demo data/);
      assert.deepEqual(await counts(real.owner), before);
      assert.equal(await isDemo(real.app), false, 'the real instance is not marked as a demo');
    }
  });
});

describe('demo banner', () => {
  test('every page of a demo instance says it is demo data, and a normal instance does not', async () => {
    const demo = await testApp({ demo: true });
    await seedDemo(demo.db.app); // set-up is over once the demo accounts exist
    const normal = await testApp();
    await user(normal.db.owner, { roles: [[null, 'administrator']] });
    for (const url of ['/accessibility', '/', '/no-such-page']) {
      const page = await new Client(demo.app).get(url);
      assert.match(page.body, /<strong class="nhsuk-tag nhsuk-tag--orange">\s*Demo\s*<\/strong>/, url);
      assert.match(page.body, /<strong>Demo data\.<\/strong> Every organisation, person and incident here is invented\. Do not enter real information\./, url);
      const other = await new Client(normal.app).get(url);
      assert.doesNotMatch(other.body, /Demo data|nhsuk-tag--orange/, url);
    }
  });
});
