import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { testDatabase } from '../../test/db.ts';
import { organisation, site } from '../../test/factories.ts';
import { inScope } from './tenancy.ts';

const db = await testDatabase();

/**
 * Tables that carry `org_id` without row-level security, and why. Everything else with an `org_id` column must have
 * forced row-level security (issue 3 §6, `000 §9.3.6`: information passes only to those entitled to it).
 */
const EXEMPT: Record<string, string> = {
  user_roles: 'identity: read across organisations at sign-in; checked in the identity and users services',
  sessions: 'identity: org_id is the organisation a session acts for, not data of that organisation',
};

test('every table with an org_id column has forced row-level security, unless exempt with a reason', async () => {
  const rows = await sql<{ table: string; rls: boolean; forced: boolean }>`
    select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r'
      and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)`.execute(db.owner);
  assert.ok(rows.rows.length >= 4);
  for (const r of rows.rows) {
    if (EXEMPT[r.table]) continue;
    assert.ok(r.rls && r.forced, `${r.table} has org_id but row-level security is not enabled and forced`);
  }
});

test('the application runs as a role that is neither superuser nor owner of the tables', async () => {
  const who = await sql<{ user: string; superuser: boolean; bypass: boolean }>`
    select current_user as user, r.rolsuper as superuser, r.rolbypassrls as bypass from pg_roles r where r.rolname = current_user`.execute(db.app);
  assert.equal(who.rows[0]?.user, 'warden_app');
  assert.equal(who.rows[0]?.superuser, false);
  assert.equal(who.rows[0]?.bypass, false);
  const owned = await sql<{ n: number }>`select count(*)::int as n from pg_tables where schemaname = 'public' and tableowner = 'warden_app'`.execute(db.app);
  assert.equal(owned.rows[0]?.n, 0);
});

test('a query with its organisation filter removed still returns only the scoped organisation’s rows', async () => {
  const a = await organisation(db.owner);
  const b = await organisation(db.owner);
  await site(db.owner, { orgId: a.id, name: 'A site' });
  await site(db.owner, { orgId: b.id, name: 'B site' });
  await db.owner.insertInto('staff_headcounts').values({ org_id: b.id, financial_year: 2026, headcount: 100 }).execute();

  const seen = await inScope(db.app, { orgId: a.id }, (tx) => tx.selectFrom('sites').select(['org_id', 'name']).execute());
  assert.deepEqual(seen, [{ org_id: a.id, name: 'A site' }]);
  const headcounts = await inScope(db.app, { orgId: a.id }, (tx) => tx.selectFrom('staff_headcounts').selectAll().execute());
  assert.deepEqual(headcounts, []);
  // Raw SQL too: the database, not the query builder, enforces it.
  const raw = await inScope(db.app, { orgId: a.id }, (tx) => sql<{ n: number }>`select count(*)::int as n from sites where org_id = ${b.id}`.execute(tx));
  assert.equal(raw.rows[0]?.n, 0);
});

test('without a scope the application sees no tenant rows at all', async () => {
  const a = await organisation(db.owner);
  await site(db.owner, { orgId: a.id });
  assert.deepEqual(await db.app.selectFrom('sites').selectAll().execute(), []);
  assert.deepEqual(await inScope(db.app, { none: true }, (tx) => tx.selectFrom('sites').selectAll().execute()), []);
});

test('writing a row for another organisation is refused by the database', async () => {
  const a = await organisation(db.owner);
  const b = await organisation(db.owner);
  await assert.rejects(
    inScope(db.app, { orgId: a.id }, (tx) => tx.insertInto('sites').values({ org_id: b.id, name: 'Smuggled', address: 'x', is_large: false }).execute()),
    /row-level security/,
  );
  const s = await site(db.owner, { orgId: b.id });
  const updated = await inScope(db.app, { orgId: a.id }, (tx) => tx.updateTable('sites').set({ name: 'Hijacked' }).where('id', '=', s.id).executeTakeFirst());
  assert.equal(Number(updated.numUpdatedRows), 0);
});

test('the scope ends with its transaction', async () => {
  const a = await organisation(db.owner);
  await site(db.owner, { orgId: a.id });
  await inScope(db.app, { orgId: a.id }, async () => {});
  const after = await sql<{ org: string | null }>`select nullif(current_setting('app.org_id', true), '') as org`.execute(db.app);
  assert.equal(after.rows[0]?.org, null);
});
