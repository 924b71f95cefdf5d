/**
 * The test runner behind `npm test`: starts one throwaway embedded PostgreSQL for the whole run (or uses
 * WARDEN_TEST_DATABASE_URL, a superuser or CREATEDB URL of an external server), migrates a template database
 * once, then runs every `*.test.ts` under the given folders with node's test runner. Each test file makes its
 * own database from the template (test/db.ts), so files run in parallel without sharing rows.
 *
 * Usage: tsx test/run.ts [folder-or-file ...]   (default: src test e2e)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/db/database.ts';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrateToLatest } from '../src/db/migrate.ts';

function testFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (e !== 'node_modules') walk(join(p, e));
    } else if (p.endsWith('.test.ts')) out.push(p);
  };
  for (const p of paths) walk(resolve(p));
  return out.sort();
}

const targets = process.argv.slice(2);
const files = testFiles(targets.length ? targets : ['src', 'test', 'e2e']);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

let stop = async () => {};
let adminUrl = process.env.WARDEN_TEST_DATABASE_URL;
let dir: string | undefined;
if (!adminUrl) {
  dir = mkdtempSync(join(tmpdir(), 'warden-test-'));
  const server = await startEmbedded({ dir });
  adminUrl = server.adminUrl;
  stop = server.stop;
}
const template = `warden_template_${process.pid}`;
const admin = new pg.Client(adminUrl);
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${template}`);
await admin.query(`CREATE DATABASE ${template}`);
const templateUrl = new URL(adminUrl);
templateUrl.pathname = `/${template}`;
const db = openDatabase(templateUrl.toString(), { poolSize: 1 });
await migrateToLatest(db);
await db.destroy();

const concurrency = process.env.WARDEN_TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, WARDEN_TEST_ADMIN_URL: adminUrl, WARDEN_TEST_TEMPLATE: template },
});
const code: number = await new Promise((r) => child.on('close', (c) => r(c ?? 1)));

await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`).catch(() => {});
await admin.end();
await stop();
if (dir) rmSync(dir, { recursive: true, force: true });
process.exit(code);
