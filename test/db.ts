import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { type Database, openDatabase } from '../src/db/database.ts';

export type TestDatabase = {
  url: string;
  /** Owner connection: bypasses row-level security. For factories and assertions on raw rows. */
  owner: Database;
  /** Application connection, as `warden_app` under row-level security, as the running app uses. */
  app: Database;
};

function adminUrl(): string {
  const url = process.env.WARDEN_TEST_ADMIN_URL;
  if (!url) throw new Error('run tests with `npm test` (test/run.ts starts the database)');
  return url;
}

/**
 * A fresh database for this test file, copied from the migrated template; dropped when the file's tests end.
 */
export async function testDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(adminUrl());
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${process.env.WARDEN_TEST_TEMPLATE}`);
  await admin.end();
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  const owner = openDatabase(url, { poolSize: 3 });
  const app = openDatabase(url, { poolSize: 5, asAppRole: true });
  after(async () => {
    await app.destroy();
    await owner.destroy();
    const c = new pg.Client(adminUrl());
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  return { url, owner, app };
}

/** A fresh, empty (unmigrated) database, for migration tests. */
export async function emptyDatabase(): Promise<{ url: string }> {
  const name = `e_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(adminUrl());
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  after(async () => {
    const c = new pg.Client(adminUrl());
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  return { url: u.toString() };
}
