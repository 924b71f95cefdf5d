/**
 * Incident intake benchmark (issue 4): incident submissions through the JSON API at 32 concurrent clients on the
 * embedded PostgreSQL, and, in the same run on the same server, the raw single-row insert rate (32 connections,
 * autocommit INSERTs into a plain table). Target: Warden sustains at least half the raw rate with p99 < 100 ms.
 *
 *   npm run bench:intake            (BENCH_SECONDS=10 BENCH_CLIENTS=32 BENCH_ORGS=1 BENCH_AUTH=token by default)
 *
 * BENCH_AUTH=token submits as an integration does, with a personal bearer token `wdn_…` of a reporter;
 * BENCH_AUTH=session as a script on a Warden page does, with the session cookie and the CSRF header. The audit
 * sealer runs as under `warden start` (every 200 ms), so its cost is in the figures.
 *
 * The clients run in a worker thread (bench/load-worker.mjs), as clients on other machines would not share the
 * server's event loop, each on one keep-alive HTTP/1.1 connection written and read directly, as load tools do
 * (`fetch` took a third of a core at 700 requests/s that the server and PostgreSQL then lacked); the raw inserts
 * run there too. A third phase sends the same clients to `GET /healthz` on
 * the same server: the most any HTTP route can do here, against which the submission rate can be read.
 *
 * For comparison only, a fourth phase inserts the row a report stores, one per autocommit statement, into a copy
 * of the incidents table (its columns, checks and indexes; no keys to other tables, no triggers, none of the
 * report's other rows): what the incident row alone costs this server.
 *
 * Everything runs in a temporary directory that is removed afterwards. The last line reads:
 *   intake: <reports/s> reports/s, p50 <ms> ms, p99 <ms> ms, raw <inserts/s> inserts/s, ratio <warden/raw>
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import pg from 'pg';
import { cookieNames, createApp } from '../src/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { startAuditSealer } from '../src/features/audit/sealer.ts';
import { createServices } from '../src/services.ts';
import { organisation, session, user } from '../test/factories.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
/**
 * Organisations the clients report for (client i for organisation i mod ORGS). 1, the default, is the harshest
 * case: every report takes the same organisation's reference counter, which stays locked until commit.
 */
const ORGS = Math.max(1, Math.min(Number(process.env.BENCH_ORGS ?? 1), CLIENTS));
const WARMUP_SECONDS = 1;
const AUTH = process.env.BENCH_AUTH === 'session' ? 'session' : 'token';

const log = (line: string) => process.stdout.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

type LoadResult = { done: number; failures: number; elapsed: number; latencies: number[]; firstError: string };

/** Runs one load phase in the worker thread (bench/load-worker.mjs) and waits for its figures. */
function inWorker(job: Record<string, unknown>, seconds = SECONDS): Promise<LoadResult> {
  const worker = new Worker(new URL('./load-worker.mjs', import.meta.url));
  return new Promise<LoadResult>((resolve, reject) => {
    worker.once('message', (r: LoadResult) => {
      resolve(r);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.postMessage({ ...job, clients: CLIENTS, seconds, warmup: WARMUP_SECONDS });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
const server = await startEmbedded({ dir });
const cleanups: (() => Promise<unknown>)[] = [];
try {
  const admin = new pg.Client(server.adminUrl);
  await admin.connect();
  await admin.query('CREATE DATABASE warden');
  await admin.end();
  const url = server.urlFor('warden');
  const owner = openDatabase(url, { poolSize: 2 });
  cleanups.push(() => owner.destroy());
  await migrateToLatest(owner);
  // The same application pool as `warden start` (src/db/runtime.ts): 20 connections as warden_app, under RLS.
  const appDb = openDatabase(url, { asAppRole: true, poolSize: 20 });
  cleanups.push(() => appDb.destroy());

  const services = createServices(appDb, { sessionIdleMinutes: 60, sessionMaxHours: 12, baseUrl: 'http://127.0.0.1' });
  const app = await createApp(services, { config: { secureCookies: false, logLevel: 'silent', baseUrl: 'http://127.0.0.1' }, logger: false });
  cleanups.push(() => app.close());
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const stopSealer = startAuditSealer(appDb);
  cleanups.push(() => stopSealer());

  // One reporter per organisation, each with a session and its CSRF token, as a script on a Warden page would have.
  const names = cookieNames(false);
  const reporters: Record<string, string>[] = [];
  for (let i = 0; i < ORGS; i++) {
    const org = await organisation(owner, { code: `B${String(i).padStart(2, '0')}`, name: `Benchmark NHS Trust ${i}` });
    const reporter = await user(owner, { roles: [[org.id, 'reporter']] });
    if (AUTH === 'token') {
      const actor = {
        kind: 'user' as const,
        userId: reporter.id,
        name: reporter.name,
        email: reporter.email,
        orgId: org.id,
        roles: ['reporter' as const],
        globalRoles: [],
      };
      const { token } = await services.tokens.createPersonal(actor, { name: 'Benchmark integration', role: 'reporter', expiresIn: '30' });
      reporters.push({ 'content-type': 'application/json', authorization: `Bearer ${token}` });
      continue;
    }
    const token = await session(owner, reporter, org.id);
    const page = await fetch(`${address}/accessibility`, { headers: { cookie: `${names.session}=${token}` } });
    const csrfCookie = page.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${names.csrf}=`))
      ?.split(';')[0];
    const csrfToken = /<meta name="csrf-token" content="([^"]*)"/.exec(await page.text())?.[1];
    if (!csrfCookie || !csrfToken) throw new Error('could not get a CSRF token from the app');
    reporters.push({ 'content-type': 'application/json', cookie: `${names.session}=${token}; ${csrfCookie}`, 'x-csrf-token': csrfToken });
  }

  const body = JSON.stringify({
    category: 'physical_assault',
    occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
    locationKind: 'community',
    communityAddress: '12 Mill Lane, Testville',
    affected: [{ type: 'staff', name: 'Sam Carter', staffRole: 'Paramedic' }],
    assailants: [{ type: 'patient', description: 'Tall, grey coat' }],
    injured: true,
    injuryDescription: 'Bruised arm',
    examinedWithin48h: 'not_yet',
    medicalFactors: 'no',
    aggravatingFactors: ['alcohol'],
    policeInvolved: false,
    narrative: 'The patient punched the paramedic on the arm while being helped into the ambulance.',
  });
  log(
    `warden intake benchmark: ${CLIENTS} clients, ${ORGS} organisation(s), auth ${AUTH}, ${SECONDS} s each phase, ${cpus().length} CPUs, PostgreSQL embedded (fsync on)`,
  );
  const submit = { kind: 'http', address, path: '/api/v1/incidents', headers: reporters, body };
  // A running server has statistics: autovacuum analyses a table after its first 50 or so changed rows, within
  // its first minute. A 10-second run on a new database would otherwise keep the plans each connection made for
  // empty tables: the foreign-key checks of incident_people and incident_events then found their incident through
  // incidents_occurred (org_id, occurred_at) instead of the unique (org_id, id), reading every earlier report of
  // the organisation (measured: one run in four at a third of the rate, p99 over 140 ms). So a first round of
  // reports, then ANALYZE, as autovacuum would, before the measured phase.
  await inWorker(submit, WARMUP_SECONDS);
  await sql`ANALYZE`.execute(owner);
  const warden = await inWorker(submit);
  if (warden.firstError) log(`  first failed submission: ${warden.firstError}`);
  const rate = warden.done / warden.elapsed;
  const p50 = percentile(warden.latencies, 50);
  const p99 = percentile(warden.latencies, 99);
  log(
    `  warden: ${warden.done} reports in ${warden.elapsed.toFixed(1)} s (${warden.failures} failed): ${rate.toFixed(0)} reports/s, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
  );
  // The ceiling set by HTTP alone: the same clients, the same server and hooks, a route that does nothing.
  const floor = await inWorker({ kind: 'http-get', address, path: '/healthz' });
  log(
    `  http ceiling: GET /healthz on the same server: ${(floor.done / floor.elapsed).toFixed(0)} requests/s, p50 ${percentile(floor.latencies, 50).toFixed(1)} ms`,
  );
  const stored = await owner
    .selectFrom('incidents')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  log(`  incidents stored: ${Number(stored.n)}`);
  await app.close();

  // The same server's raw rate: one-row autocommit INSERTs on 32 connections, no application in between.
  await owner.schema
    .createTable('bench_raw')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('payload', 'text')
    .execute();
  const rawRun = await inWorker({ kind: 'pg', url, sql: 'INSERT INTO bench_raw (payload) VALUES ($1)', params: ['raw insert benchmark row'] });
  const rawRate = rawRun.done / rawRun.elapsed;
  log(
    `  raw: ${rawRun.done} inserts in ${rawRun.elapsed.toFixed(1)} s: ${rawRate.toFixed(0)} inserts/s, p50 ${percentile(rawRun.latencies, 50).toFixed(1)} ms, p99 ${percentile(rawRun.latencies, 99).toFixed(1)} ms`,
  );
  // For comparison only (not the target's denominator): the same server inserting the row a report stores,
  // one per autocommit statement, into a copy of the incidents table with its columns, checks and indexes (the
  // search index included) but no keys to other tables, no triggers, and none of the other rows a report writes
  // (its people, first status event and audit event).
  await sql`CREATE TABLE bench_incident_rows (LIKE incidents INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING INDEXES)`.execute(owner);
  const rowRun = await inWorker({
    kind: 'pg',
    url,
    sql: `INSERT INTO bench_incident_rows (org_id, reference, category, occurred_at, reported_by, location_kind, community_address,
      medical_factors, aggravating_factors, injured, injury_description, examined_within_48h, narrative, idempotency_key, idempotency_fingerprint)
      VALUES ($1, gen_random_uuid()::text, 'physical_assault', now() - interval '1 hour', $2, 'community', '12 Mill Lane, Testville',
      'no', '{alcohol}', true, 'Bruised arm', 'not_yet', $3, gen_random_uuid()::text, $4)`,
    params: [randomUUID(), randomUUID(), 'The patient punched the paramedic on the arm while being helped into the ambulance.', 'f'.repeat(64)],
  });
  const rowRate = rowRun.done / rowRun.elapsed;
  log(
    `  raw incident rows (comparison only): ${rowRate.toFixed(0)} inserts/s, p50 ${percentile(rowRun.latencies, 50).toFixed(1)} ms; Warden's rate is ${(rate / rowRate).toFixed(2)} of it`,
  );
  const ratio = rate / rawRate;
  const verdict = ratio >= 0.5 && p99 < 100 ? 'meets' : 'misses';
  log(`  target (ratio >= 0.5 and p99 < 100 ms): ${verdict}`);
  log(
    `intake: ${rate.toFixed(0)} reports/s, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, raw ${rawRate.toFixed(0)} inserts/s, ratio ${ratio.toFixed(2)}`,
  );
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
