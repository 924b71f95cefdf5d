import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../config.ts';
import { type Database, openDatabase } from './database.ts';
import { type EmbeddedServer, startEmbedded } from './embedded.ts';
import { migrateToLatest } from './migrate.ts';

/** The database side of a running Warden: the owner connection for migrations and the application's pool. */
export type Runtime = {
  /** Owner connection: migrations and operator commands only. */
  owner: Database;
  /** Application pool, running as `warden_app` under row-level security. */
  app: Database;
  /** Where the data lives, for the start-up message (password removed). */
  description: string;
  close(): Promise<void>;
};

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/**
 * Opens the database Warden runs on: `DATABASE_URL` when set; otherwise a private embedded PostgreSQL under
 * `<dataDir>/postgres`, initialised on first use and reused after. Applies pending migrations.
 */
export async function openRuntime(config: Pick<Config, 'databaseUrl' | 'dataDir'>, log: (line: string) => void = () => {}): Promise<Runtime> {
  let server: EmbeddedServer | undefined;
  let url = config.databaseUrl;
  if (!url) {
    server = await startEmbedded({ dir: join(config.dataDir, 'postgres'), onLog: (l) => log(l) });
    await ensureDatabase(server.adminUrl, 'warden');
    url = server.urlFor('warden');
  }
  const owner = openDatabase(url, { poolSize: 2 });
  try {
    await migrateToLatest(owner);
  } catch (err) {
    await owner.destroy();
    await server?.stop();
    throw err;
  }
  const app = openDatabase(url, { asAppRole: true, poolSize: 20 });
  const safe = new URL(url);
  safe.password = '';
  return {
    owner,
    app,
    description: server ? `embedded PostgreSQL in ${join(config.dataDir, 'postgres')}` : `PostgreSQL at ${safe.host}${safe.pathname}`,
    async close() {
      await app.destroy();
      await owner.destroy();
      await server?.stop();
    },
  };
}
