import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { systemActor } from '../platform/access/roles.ts';
import { createServices } from '../services.ts';
import { startEmbedded } from './embedded.ts';
import { migrationStatus } from './migrate.ts';
import { openRuntime } from './runtime.ts';

/** A new, empty directory under the system's temporary folder, removed when this file's tests end. */
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-embedded-'));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('embedded PostgreSQL', () => {
  test('a row committed before a clean shutdown is there after a restart on the same directory', async () => {
    const dir = await freshDir();
    const first = await startEmbedded({ dir });
    try {
      await query(first.adminUrl, 'create table kept (id int primary key, note text not null)');
      await query(first.adminUrl, 'insert into kept values ($1, $2)', [1, 'written before shutdown']);
    } finally {
      await first.stop();
    }
    assert.equal(isRunning(first.pid), false, 'the server process has ended');
    assert.equal(statSync(join(dir, 'credentials')).mode & 0o777, 0o600, 'the superuser password is readable by its owner only');

    const second = await startEmbedded({ dir });
    try {
      assert.notEqual(second.pid, first.pid);
      assert.equal(second.adminUrl.split('@')[0], first.adminUrl.split('@')[0], 'the same credentials are reused');
      assert.deepEqual(await query(second.adminUrl, 'select id, note from kept'), [{ id: 1, note: 'written before shutdown' }]);
    } finally {
      await second.stop();
    }
  });

  test('a committed row survives the server being killed outright, through crash recovery', async () => {
    const dir = await freshDir();
    const first = await startEmbedded({ dir });
    try {
      await query(first.adminUrl, 'create table kept (id int primary key)');
      await query(first.adminUrl, 'insert into kept values (42)');
      // No shutdown checkpoint: the postmaster and all its backends (its own process group) die at once.
      process.kill(-first.pid, 'SIGKILL');
      for (let i = 0; i < 100 && isRunning(first.pid); i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await first.stop();
    }
    const second = await startEmbedded({ dir });
    try {
      assert.deepEqual(await query(second.adminUrl, 'select id from kept'), [{ id: 42 }]);
    } finally {
      await second.stop();
    }
  });

  test('openRuntime on a fresh directory creates and migrates the database, and a second run reuses its data', async () => {
    const dataDir = await freshDir();
    const config = { databaseUrl: undefined, dataDir };
    const sessionConfig = { sessionIdleMinutes: 60, sessionMaxHours: 12 };

    const first = await openRuntime(config);
    let id: string;
    let appliedAt: (Date | undefined)[];
    try {
      assert.equal(first.description, `embedded PostgreSQL in ${join(dataDir, 'postgres')}`);
      appliedAt = (await migrationStatus(first.owner)).map((m) => m.executedAt);
      assert.ok(appliedAt.length > 0 && appliedAt.every((d) => d instanceof Date), 'every migration is applied');
      ({ id } = await createServices(first.app, sessionConfig).organisations.create(systemActor, {
        code: 'RKEEP',
        name: 'Kept Across Restarts NHS Trust',
        type: 'ambulance',
      }));
    } finally {
      await first.close();
    }

    const second = await openRuntime(config);
    try {
      assert.deepEqual(
        (await migrationStatus(second.owner)).map((m) => m.executedAt),
        appliedAt,
        'nothing is migrated twice',
      );
      const orgs = await createServices(second.app, sessionConfig).organisations.list(systemActor);
      assert.deepEqual(
        orgs.map((o) => ({ id: o.id, code: o.code, name: o.name, type: o.type })),
        [{ id, code: 'RKEEP', name: 'Kept Across Restarts NHS Trust', type: 'ambulance' }],
      );
    } finally {
      await second.close();
    }
  });
});
