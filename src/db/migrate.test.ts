import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { emptyDatabase, testDatabase } from '../../test/db.ts';
import { systemActor } from '../platform/access/roles.ts';
import { audit } from '../platform/audit.ts';
import { inScope } from '../platform/tenancy.ts';
import { type Database, openDatabase } from './database.ts';
import { migrateDown, migrateToLatest, migrationStatus } from './migrate.ts';

const migrationNames = readdirSync(join(dirname(fileURLToPath(import.meta.url)), 'migrations'))
  .filter((f) => /^\d{14}-[A-Za-z0-9]+\.ts$/.test(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();

async function applied(db: Database): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name);
}

/** Tables and functions the migrations own in `public` (Kysely's own bookkeeping tables aside). */
async function objects(db: Database) {
  const { rows: tables } = await sql<{ name: string }>`
    select tablename as name from pg_tables where schemaname = 'public' and tablename not like 'kysely\\_%' order by 1`.execute(db);
  const { rows: functions } = await sql<{ name: string }>`
    select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' order by 1`.execute(db);
  return { tables: tables.map((t) => t.name), functions: functions.map((f) => f.name) };
}

describe('migrations', () => {
  test('two instances migrating an empty database at once both succeed, and each migration is applied once', async () => {
    const { url } = await emptyDatabase();
    const first = openDatabase(url, { poolSize: 1 });
    const second = openDatabase(url, { poolSize: 1 });
    try {
      const [a, b] = await Promise.all([migrateToLatest(first), migrateToLatest(second)]);
      const ran = [...a, ...b].filter((r) => r.direction === 'Up');
      assert.ok(
        ran.every((r) => r.status === 'Success'),
        JSON.stringify(ran),
      );
      // Whichever got the advisory lock first did the work; the other found nothing left to do.
      assert.deepEqual(ran.map((r) => r.migrationName).sort(), migrationNames);
      assert.ok(a.length === 0 || b.length === 0, `both ran migrations: ${JSON.stringify({ a, b })}`);
      assert.deepEqual(await applied(first), migrationNames);
      assert.ok(migrationNames.includes('20261124000000-Platform'));
      assert.deepEqual(await migrateToLatest(second), [], 'a later start has nothing to do');
    } finally {
      await first.destroy();
      await second.destroy();
    }
  });

  test('migrating all the way down removes every table and function, and migrating up again restores a working schema', async () => {
    const { url } = await emptyDatabase();
    const db = openDatabase(url, { poolSize: 2 });
    try {
      await migrateToLatest(db);
      const full = await objects(db);
      assert.ok(full.tables.includes('organisations') && full.tables.includes('audit_events'), JSON.stringify(full));

      const newest = migrationNames.at(-1) as string;
      const [down] = await migrateDown(db);
      assert.deepEqual({ name: down?.migrationName, direction: down?.direction, status: down?.status }, { name: newest, direction: 'Down', status: 'Success' });
      assert.equal((await migrationStatus(db)).find((m) => m.name === newest)?.executedAt, undefined, 'the newest is pending again');
      await migrateToLatest(db);
      assert.deepEqual(await objects(db), full, 'one step down and up again gives the same schema');

      for (let i = 0; i < migrationNames.length; i++) await migrateDown(db);
      assert.deepEqual(await applied(db), []);
      assert.deepEqual(await objects(db), { tables: [], functions: [] }, 'down() leaves nothing behind');

      await migrateToLatest(db);
      assert.deepEqual(await objects(db), full);
      assert.ok((await migrationStatus(db)).every((m) => m.executedAt instanceof Date));
      const app = openDatabase(url, { poolSize: 1, asAppRole: true });
      try {
        const org = await inScope(app, { all: true }, (tx) =>
          tx.insertInto('organisations').values({ code: 'RTRIP', name: 'Round Trip NHS Trust', type: 'acute' }).returning('id').executeTakeFirstOrThrow(),
        );
        assert.ok(org.id);
      } finally {
        await app.destroy();
      }
    } finally {
      await db.destroy();
    }
  });

  test('the audit trail is append-only: the application role cannot update or delete it, nor can the owner', async () => {
    const db = await testDatabase();
    await inScope(db.app, { all: true }, (tx) => audit(tx, systemActor, { action: 'test.append_only', detail: { n: 1 } }));
    const row = await db.owner.selectFrom('audit_events').select(['id', 'hash']).where('action', '=', 'test.append_only').executeTakeFirstOrThrow();

    const refused = /permission denied|append-only/;
    await assert.rejects(
      inScope(db.app, { all: true }, (tx) => tx.updateTable('audit_events').set({ action: 'test.tampered' }).where('id', '=', row.id).execute()),
      refused,
    );
    await assert.rejects(
      inScope(db.app, { all: true }, (tx) => tx.deleteFrom('audit_events').where('id', '=', row.id).execute()),
      refused,
    );
    await assert.rejects(
      inScope(db.app, { all: true }, (tx) => sql`truncate audit_events`.execute(tx)),
      refused,
    );
    await assert.rejects(db.owner.updateTable('audit_events').set({ action: 'test.tampered' }).where('id', '=', row.id).execute(), /append-only: UPDATE/);
    await assert.rejects(db.owner.deleteFrom('audit_events').where('id', '=', row.id).execute(), /append-only: DELETE/);
    await assert.rejects(sql`truncate audit_events`.execute(db.owner), /append-only: TRUNCATE/);

    const after = await db.owner.selectFrom('audit_events').select(['action', 'hash']).where('id', '=', row.id).executeTakeFirstOrThrow();
    assert.deepEqual(after, { action: 'test.append_only', hash: row.hash });
  });
});
