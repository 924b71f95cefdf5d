/**
 * Analytics benchmark (issue 6 item 7): loads a deterministic national data set (bench/national.ts: about 250
 * organisations, ten years) with COPY through the roll-up triggers, and at 100 thousand, 1 million and 10 million
 * incidents measures p50/p95 of the time to produce an organisation's dashboard data, its peer benchmark, and the
 * national table (the services the pages and API call, under row-level security as the application role).
 * Targets: dashboard p95 < 150 ms and national table p95 < 500 ms at 10 million, and the 10-million figure at most
 * 1.5 times the 100-thousand one (roll-ups make the cost follow organisations × months, not incidents).
 *
 *   npm run bench:analytics                      (all three sizes; the 10-million load takes a while)
 *   BENCH_MAX=100000 npm run bench:analytics     (or --max=100000: a quick run at 100 thousand only)
 *
 * BENCH_SEED (default 2026) chooses the data set; BENCH_SAMPLES (default 60) the requests per measure.
 * BENCH_DATA_DIR keeps the database there between runs (stages already loaded are not loaded again); without it
 * everything runs in a temporary directory that is removed afterwards. The embedded PostgreSQL runs with fsync on
 * and shared_buffers 2GB, max_wal_size 16GB (a modest production setting for this machine's 23 GB).
 *
 * The last line reads:
 *   analytics: dashboard p95 <ms> ms, national p95 <ms> ms at <N> incidents, growth <ratio>
 * where growth is the larger of the dashboard's and the national table's p95 at the largest size over their p95
 * at 100 thousand.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/db/database.ts';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { analyticsService } from '../src/features/analytics/service.ts';
import type { Actor } from '../src/platform/access/roles.ts';
import { createWorld, loadStage, random, type World } from './national.ts';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const MAX = Number(arg('max') ?? process.env.BENCH_MAX ?? 10_000_000);
const SEED = Number(process.env.BENCH_SEED ?? 2026);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 60);
const SIZES = [100_000, 1_000_000, 10_000_000].filter((n) => n <= MAX);
if (SIZES.length === 0) throw new Error(`BENCH_MAX must be at least 100000, got ${MAX}`);
const TARGET = SIZES.at(-1) as number;

const log = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number) => n.toLocaleString('en-GB');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Times `samples` calls of `once` (after a few warm-up calls) and returns p50 and p95 in milliseconds. */
async function measure(samples: number, once: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 5; i++) await once(i);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await once(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

const keep = process.env.BENCH_DATA_DIR;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'warden-bench-analytics-'));
if (keep) mkdirSync(keep, { recursive: true });
const fresh = !existsSync(join(dir, 'pg', 'PG_VERSION'));
let server = await startEmbedded({ dir });
const cleanups: (() => Promise<unknown>)[] = [];
try {
  if (fresh) {
    // Settings that take a restart; everything else is PostgreSQL's default.
    const admin = new pg.Client(server.adminUrl);
    await admin.connect();
    await admin.query(`ALTER SYSTEM SET shared_buffers = '2GB'`);
    await admin.query(`ALTER SYSTEM SET max_wal_size = '16GB'`);
    await admin.query(`ALTER SYSTEM SET checkpoint_timeout = '30min'`);
    await admin.query(`ALTER SYSTEM SET maintenance_work_mem = '512MB'`);
    await admin.query('CREATE DATABASE warden');
    await admin.end();
    await server.stop();
    server = await startEmbedded({ dir });
  }
  const url = server.urlFor('warden');
  const owner = openDatabase(url, { poolSize: 2 });
  cleanups.push(() => owner.destroy());
  await migrateToLatest(owner);
  const app = openDatabase(url, { asAppRole: true, poolSize: 4 });
  cleanups.push(() => app.destroy());
  const loader = new pg.Client(url);
  await loader.connect();
  cleanups.push(() => loader.end());
  await loader.query('SET synchronous_commit = off');
  await loader.query(
    `CREATE TABLE IF NOT EXISTS bench_stages (size bigint PRIMARY KEY, seed integer NOT NULL, target bigint NOT NULL, incidents bigint NOT NULL, seconds numeric NOT NULL)`,
  );

  log(
    `warden analytics benchmark: sizes ${SIZES.map(fmt).join(', ')}, seed ${SEED}, ${SAMPLES} requests per measure, ${cpus().length} CPUs, PostgreSQL embedded (fsync on, shared_buffers 2GB)`,
  );
  const now = new Date();
  // The world (organisations, sites, headcounts, published statistics) is made once; its scale follows TARGET.
  const hasWorld = (await loader.query(`SELECT count(*)::int AS n FROM organisations WHERE code LIKE 'B%'`)).rows[0].n > 0;
  if (hasWorld) {
    const done = await loader.query('SELECT seed, target FROM bench_stages LIMIT 1');
    const row = done.rows[0];
    if (row && (row.seed !== SEED || Number(row.target) !== TARGET))
      throw new Error(`BENCH_DATA_DIR holds seed ${row.seed} up to ${row.target}: use another directory for seed ${SEED} up to ${TARGET}`);
  }
  const world: World = await createWorld(loader, SEED, TARGET, now, !hasWorld);
  log(
    `  ${world.orgs.length} organisations (${world.orgs.filter((o) => o.type !== 'commissioner').length} providers), ${world.months.length} months from ${world.months[0]} to ${world.months.at(-1)}; rates scaled ×${world.scale.toFixed(2)} to reach ${fmt(TARGET)}`,
  );

  const service = analyticsService(app);
  const assessor: Actor = {
    kind: 'user',
    userId: '00000000-0000-4000-8000-000000000001',
    name: 'Bench',
    email: 'b@b',
    orgId: null,
    roles: [],
    globalRoles: ['national_assessor'],
  };
  const providers = world.orgs.filter((o) => o.type !== 'commissioner');
  const pickRng = random(SEED + 7);
  const sampleOrgs = Array.from({ length: SAMPLES }, () => providers[pickRng.int(0, providers.length - 1)] as (typeof providers)[number]);
  const lastYear = Number(world.months.at(-1)?.slice(0, 4)) - 1;
  const results: {
    size: number;
    incidents: number;
    dashboard: { p50: number; p95: number };
    peers: { p50: number; p95: number };
    national: { p50: number; p95: number };
  }[] = [];

  const counters = new Map<string, number>();
  // references continue where an earlier run left them
  for (const r of (await loader.query(`SELECT org_id, max(substr(idempotency_key, 2)::int) AS n FROM incidents GROUP BY org_id`)).rows)
    counters.set(r.org_id, r.n);
  let previous = 0;
  for (const size of SIZES) {
    const loaded = await loader.query('SELECT incidents, seconds FROM bench_stages WHERE size = $1', [size]);
    if (loaded.rowCount)
      log(`  ${fmt(size)}: already loaded (${fmt(Number(loaded.rows[0].incidents))} incidents in ${Number(loaded.rows[0].seconds).toFixed(0)} s)`);
    else {
      const t0 = performance.now();
      const copied = await loadStage(loader, world, SEED + size, (size - previous) / TARGET, counters);
      await loader.query('ANALYZE');
      const seconds = (performance.now() - t0) / 1000;
      const total = Number((await loader.query('SELECT count(*) AS n FROM incidents')).rows[0].n);
      await loader.query('INSERT INTO bench_stages VALUES ($1, $2, $3, $4, $5)', [size, SEED, TARGET, total, seconds]);
      log(
        `  ${fmt(size)}: copied ${fmt(copied)} incidents in ${seconds.toFixed(0)} s (${fmt(Math.round(copied / seconds))} a second, roll-up triggers included)`,
      );
    }
    previous = size;
    const incidents = Number((await loader.query('SELECT count(*) AS n FROM incidents')).rows[0].n);
    const rollups = (
      await loader.query(
        `SELECT (SELECT count(*) FROM incident_rollups) AS r, (SELECT count(*) FROM incident_month_rollups) AS m,
           (SELECT count(*) FROM incident_department_rollups) AS d, (SELECT count(*) FROM incident_place_rollups) AS p,
           (SELECT count(*) FROM incident_open_rollups) AS o, (SELECT count(*) FROM incident_year_rollups) AS y`,
      )
    ).rows[0];
    log(
      `    ${fmt(incidents)} incidents; roll-up rows: ${fmt(Number(rollups.r))} by month and site, ${fmt(Number(rollups.m))} by month, ${fmt(Number(rollups.d))} by department and category, ${fmt(Number(rollups.p))} by place, ${fmt(Number(rollups.o))} open, ${fmt(Number(rollups.y))} by year`,
    );

    const dashboard = await measure(SAMPLES, (i) => service.dashboard(assessor, (sampleOrgs[i % sampleOrgs.length] as { id: string }).id, {}, now));
    const peers = await measure(SAMPLES, (i) => service.benchmark(assessor, (sampleOrgs[i % sampleOrgs.length] as { id: string }).id, { year: lastYear }, now));
    const national = await measure(SAMPLES, () => service.national(assessor, { year: lastYear }, now));
    const ms = (x: { p50: number; p95: number }) => `p50 ${x.p50.toFixed(1)} ms, p95 ${x.p95.toFixed(1)} ms`;
    log(`    dashboard: ${ms(dashboard)}; peer benchmark: ${ms(peers)}; national table: ${ms(national)}`);
    results.push({ size, incidents, dashboard, peers, national });
  }

  const first = results[0] as (typeof results)[number];
  const last = results.at(-1) as (typeof results)[number];
  const dashboardGrowth = last.dashboard.p95 / first.dashboard.p95;
  const nationalGrowth = last.national.p95 / first.national.p95;
  const growth = Math.max(dashboardGrowth, nationalGrowth);
  log(
    `  growth of p95 from ${fmt(first.incidents)} to ${fmt(last.incidents)} incidents: dashboard ×${dashboardGrowth.toFixed(2)}, national table ×${nationalGrowth.toFixed(2)}`,
  );
  const meets = last.dashboard.p95 < 150 && last.national.p95 < 500 && growth <= 1.5;
  log(
    `  target (dashboard p95 < 150 ms, national p95 < 500 ms, growth <= 1.5${last.size < 10_000_000 ? `; only measured up to ${fmt(last.size)}` : ''}): ${meets ? 'meets' : 'misses'}`,
  );
  log(
    `analytics: dashboard p95 ${last.dashboard.p95.toFixed(1)} ms, national p95 ${last.national.p95.toFixed(1)} ms at ${last.incidents} incidents, growth ${growth.toFixed(2)}`,
  );
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await server.stop();
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
