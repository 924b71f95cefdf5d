/**
 * A deterministic national data set for the analytics benchmark (issue 6 item 7): about 250 organisations of the
 * real types (acute, mental health, ambulance and community trusts, and commissioners), their sites,
 * departments and staff headcounts, and ten years of incidents loaded with PostgreSQL COPY.
 *
 * Rates are realistic in proportion: physical assaults per 1,000 staff a year are highest in mental-health trusts
 * (about 180), then ambulance (40), acute (15) and community trusts (12); non-physical assaults, thefts, damage,
 * lone-worker incidents and near misses follow each type's pattern; reporting rises about 3% a year and peaks in
 * winter; each organisation has its own level (×0.6 to ×1.6) and its hotspots (a few departments see most).
 * One scale factor then brings the total to the size asked for: ten million incidents is about seven times the
 * real volume of reports, so that the benchmark measures Warden at more than national scale. The same seed
 * gives the same data, row for row.
 *
 * Sizes are loaded in stages (100 thousand, then up to 1 million, then up to 10 million), each stage adding its
 * share of every organisation-month, so each size is the same national picture at a different density.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { categoriesOf, MEDICAL, type ProviderType, RATES, type Random, random, totalRate } from '../src/demo/rates.ts';
import { financialYearOf, londonMonth } from '../src/domain/analytics.ts';

// The generator and the rates live in src/demo/rates.ts, shared with the demo data set.
export { type Random, random };

/** Organisations of each type in England-sized proportions: 210 providers and 40 commissioners. */
const COUNTS: Record<ProviderType | 'commissioner', number> = { acute: 125, mental_health: 50, ambulance: 10, community: 25, commissioner: 40 };
const STAFF: Record<ProviderType, [number, number]> = { acute: [2500, 14000], mental_health: [1500, 6000], ambulance: [3000, 7500], community: [1000, 5000] };
const SITES: Record<ProviderType, [number, number]> = { acute: [2, 6], mental_health: [4, 10], ambulance: [5, 12], community: [3, 8] };

const LABEL: Record<ProviderType | 'commissioner', string> = {
  acute: 'Hospitals NHS Trust',
  mental_health: 'Mental Health NHS Trust',
  ambulance: 'Ambulance Service NHS Trust',
  community: 'Community Health NHS Trust',
  commissioner: 'Integrated Care Board',
};
const PLACES = ['North', 'South', 'East', 'West', 'Central', 'Upper', 'Lower', 'Greater', 'Old', 'New', 'Royal', 'Saint'];
const TOWNS = ['field', 'bridge', 'ford', 'ham', 'ton', 'wick', 'bury', 'minster', 'dale', 'worth', 'by', 'stow', 'mouth', 'well'];
const DEPARTMENTS: Record<ProviderType, string[]> = {
  acute: [
    'Emergency department',
    'Acute medical unit',
    'Elderly care',
    'Maternity',
    'Paediatrics',
    'Surgery',
    'Outpatients',
    'Pharmacy',
    'Car park',
    'Main entrance',
    'Critical care',
    'Radiology',
  ],
  mental_health: [
    'Psychiatric intensive care',
    'Acute ward',
    'Forensic unit',
    'Older adults ward',
    'Crisis team',
    'Section 136 suite',
    'Rehabilitation',
    'Learning disabilities',
    'Community team',
    'Reception',
  ],
  ambulance: ['Emergency operations centre', 'Station crews', 'Patient transport', 'Hazardous area response', 'Urgent care', 'Vehicle workshop', 'Fleet depot'],
  community: ['District nursing', 'Health visiting', 'Walk-in centre', 'Community hospital ward', 'Podiatry', 'Sexual health', 'Dental', 'Reception'],
};

export type Org = { id: string; code: string; name: string; type: ProviderType | 'commissioner'; staff: number; level: number };
type Place = { siteId: string; departmentId: string | null; weight: number };
export type World = { orgs: Org[]; places: Map<string, Place[]>; reporterId: string; months: string[]; now: Date; scale: number };

/** A UUID whose first 48 bits follow time (like UUIDv7), so B-tree inserts stay local; the rest from the seed. */
function uuid(rng: Random, time: number): string {
  const t = Math.floor(time).toString(16).padStart(12, '0').slice(-12);
  const r = rng.hex(20);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(0, 3)}-${((Number.parseInt(r[3] as string, 16) & 0x3) | 0x8).toString(16)}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}

const monthStart = (m: string) => Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)) - 1, 1);

/**
 * Creates the organisations, sites, departments, headcounts and published statistics, and returns the world to fill.
 * With `write` false it only rebuilds the same world in memory (for a database loaded by an earlier run).
 */
export async function createWorld(client: pg.Client, seed: number, target: number, now = new Date(), write = true): Promise<World> {
  const rng = random(seed);
  const query = (text: string, values: unknown[]) => (write ? client.query(text, values) : Promise.resolve());
  const orgs: Org[] = [];
  let n = 0;
  for (const type of ['acute', 'mental_health', 'ambulance', 'community', 'commissioner'] as const) {
    for (let i = 0; i < COUNTS[type]; i++) {
      n++;
      const name = `${rng.pick(
        PLACES,
        PLACES.map(() => 1),
      )} ${String.fromCharCode(65 + (n % 26))}${rng.pick(
        TOWNS,
        TOWNS.map(() => 1),
      )} ${LABEL[type]}`;
      const staff = type === 'commissioner' ? 0 : Math.round(rng.between(...STAFF[type]));
      orgs.push({
        id: uuid(rng, 1_600_000_000_000 + n),
        code: `B${String(n).padStart(3, '0')}`,
        name: `${name} ${n}`,
        type,
        staff,
        level: rng.between(0.6, 1.6),
      });
    }
  }
  await query(`INSERT INTO organisations (id, code, name, type) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])`, [
    orgs.map((o) => o.id),
    orgs.map((o) => o.code),
    orgs.map((o) => o.name),
    orgs.map((o) => o.type),
  ]);
  const reporterId = uuid(rng, 1_600_000_000_000);
  await query(`INSERT INTO users (id, email, name) VALUES ($1, 'bench-reporter@bench.invalid', 'Benchmark reporter')`, [reporterId]);

  // Ten years of months, ending with this one (in England).
  const months: string[] = [];
  const last = londonMonth(now);
  for (let i = 119; i >= 0; i--) {
    const d = new Date(Date.UTC(Number(last.slice(0, 4)), Number(last.slice(5, 7)) - 1 - i, 1));
    months.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
  }
  const firstYear = financialYearOf(new Date(monthStart(months[0] as string) + 15 * 86_400_000));
  const lastYear = financialYearOf(now);

  const places = new Map<string, Place[]>();
  const sites: unknown[][] = [[], [], [], []];
  const departments: unknown[][] = [[], [], [], []];
  const headcounts: unknown[][] = [[], [], []];
  const published: unknown[][] = [[], [], [], [], []];
  let expected = 0;
  for (const org of orgs) {
    if (org.type === 'commissioner') continue;
    const type = org.type;
    const list: Place[] = [];
    const siteCount = rng.int(...SITES[type]);
    for (let s = 0; s < siteCount; s++) {
      const siteId = uuid(rng, 1_600_000_000_000 + s);
      sites[0]?.push(siteId);
      sites[1]?.push(org.id);
      sites[2]?.push(`${type === 'ambulance' ? 'Station' : 'Site'} ${s + 1} ${org.code}`);
      sites[3]?.push(`${s + 1} Hospital Road`);
      // Hotspots: a few places see most incidents (weights fall away like 1/k).
      const names = DEPARTMENTS[type];
      const perSite = Math.max(1, Math.round(names.length / Math.max(2, siteCount / 2)));
      for (let d = 0; d < perSite; d++) {
        const departmentId = uuid(rng, 1_600_000_000_000 + s * 100 + d);
        departments[0]?.push(departmentId);
        departments[1]?.push(org.id);
        departments[2]?.push(siteId);
        departments[3]?.push(`${names[(s + d) % names.length]} (${s + 1}.${d + 1})`);
        list.push({ siteId, departmentId, weight: 1 / (list.length + 1) });
      }
      list.push({ siteId, departmentId: null, weight: 0.3 });
    }
    places.set(org.id, list);
    for (let y = firstYear - 6; y <= lastYear; y++) {
      const staff = Math.round(org.staff * 1.015 ** (y - lastYear));
      if (y >= firstYear) {
        headcounts[0]?.push(org.id);
        headcounts[1]?.push(y);
        headcounts[2]?.push(staff);
      } else {
        // Published statistics for the six years before Warden's data (as the national statistics gave them).
        const pa = Math.round((RATES[type].physical_assault ?? 0) * org.level * (staff / 1000) * 1.03 ** (y - lastYear));
        published[0]?.push(org.id);
        published[1]?.push(y);
        published[2]?.push(pa);
        published[3]?.push(Math.round(pa * MEDICAL[type]));
        published[4]?.push(staff);
      }
    }
    for (const m of months) expected += monthWeight(org, m, lastYear);
  }
  await query(`INSERT INTO sites (id, org_id, name, address) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])`, sites);
  await query(`INSERT INTO departments (id, org_id, site_id, name) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[])`, departments);
  await query(`INSERT INTO staff_headcounts (org_id, financial_year, headcount) SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[])`, headcounts);
  await query(
    `INSERT INTO published_statistics (org_id, financial_year, physical_assaults, physical_assaults_medical, staff, source)
     SELECT o, y, p, m, s, 'bench' FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[], $5::int[]) AS x(o, y, p, m, s)`,
    published,
  );
  // Commissioners commission 4 to 8 providers each.
  const providers = orgs.filter((o) => o.type !== 'commissioner');
  const links: [string[], string[]] = [[], []];
  for (const c of orgs.filter((o) => o.type === 'commissioner'))
    for (const p of new Set(Array.from({ length: rng.int(4, 8) }, () => providers[rng.int(0, providers.length - 1)] as Org))) {
      links[0].push(c.id);
      links[1].push(p.id);
    }
  await query(`INSERT INTO commissioning (commissioner_org_id, provider_org_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])`, links);
  return { orgs, places, reporterId, months, now, scale: target / expected };
}

/** Expected incidents of an organisation in a month, before scaling: its rate, staff, trend and season. */
function monthWeight(org: Org, month: string, lastYear: number): number {
  if (org.type === 'commissioner') return 0;
  const perYear = totalRate(org.type);
  const fy = Number(month.slice(0, 4)) - (Number(month.slice(5, 7)) < 4 ? 1 : 0);
  const winter = ['12', '01', '02'].includes(month.slice(5, 7)) ? 1.1 : 1;
  return (perYear / 12) * (org.staff / 1000) * org.level * 1.03 ** (fy - lastYear) * winter;
}

/**
 * Adds a stage's incidents: for every organisation and month, `share` of the target's expected count (so stages
 * add up to the target), streamed to COPY in one statement per organisation. Returns the rows copied. A few
 * closed cases get a sanction or redress, copied too, so those triggers run at scale as well.
 */
export async function loadStage(client: pg.Client, world: World, seed: number, share: number, counters: Map<string, number>): Promise<number> {
  const rng = random(seed);
  const nowMs = world.now.getTime();
  const lastYear = financialYearOf(world.now);
  let copied = 0;
  const sanctions: string[] = [];
  const outcomes: string[] = [];
  for (const org of world.orgs) {
    if (org.type === 'commissioner') continue;
    const type = org.type;
    const { categories: cats, weights: catWeights } = categoriesOf(type);
    const places = world.places.get(org.id) as Place[];
    const placeWeights = places.map((p) => p.weight);
    let seq = counters.get(org.id) ?? 0;
    const lines: string[] = [];
    for (const m of world.months) {
      const count = rng.round(monthWeight(org, m, lastYear) * world.scale * share);
      const start = monthStart(m);
      const span = monthStart(addMonth(m)) - start;
      for (let k = 0; k < count; k++) {
        seq++;
        const occurred = start + Math.floor(rng.next() * span);
        if (occurred > nowMs) continue;
        const delay = 1_800_000 + rng.next() ** 3 * 72 * 3_600_000;
        const reported = Math.min(occurred + delay, nowMs);
        const category = rng.pick(cats, catWeights);
        const place = rng.pick(places, placeWeights);
        const assault = category === 'physical_assault';
        const medical = assault ? (rng.next() < MEDICAL[type] ? 'yes' : rng.next() < 0.8 ? 'no' : 'unknown') : '\\N';
        const ageDays = (nowMs - reported) / 86_400_000;
        let status: string;
        let closedAt = '\\N';
        let due = '\\N';
        const r = rng.next();
        if (ageDays > 60 && r < 0.98) {
          status = r < 0.8 ? 'closed' : 'closed_nfa';
          closedAt = new Date(Math.min(reported + (1 + rng.next() ** 2 * 90) * 86_400_000, nowMs)).toISOString();
        } else if (r < 0.3) status = 'reported';
        else {
          status = r < 0.7 ? 'triaged' : 'under_investigation';
          due = new Date(reported + 14 * 86_400_000).toISOString().slice(0, 10);
        }
        const id = uuid(rng, occurred);
        const year = new Date(reported).getUTCFullYear();
        lines.push(
          `${id}\t${org.id}\t${org.code}-${year}-${String(seq).padStart(6, '0')}\t${status}\t${category}\t${new Date(occurred).toISOString()}\t${new Date(reported).toISOString()}\t${world.reporterId}\tsite\t${place.siteId}\t${place.departmentId ?? '\\N'}\t${delay > 12 * 3_600_000 ? 't' : 'f'}\t${medical}\t${assault && rng.next() < 0.3 ? 't' : 'f'}\t${rng.next() < 0.15 ? 't' : 'f'}\tGenerated ${category.replace(/_/g, ' ')} for the benchmark\t${closedAt}\t${due}\tb${seq}\tbench\n`,
        );
        if (status === 'closed' && assault && rng.next() < 0.03)
          sanctions.push(`${org.id}\t${id}\tcriminal\tcaution\t${closedAt.slice(0, 10)}\tCautioned\tf\tNo publicity\n`);
        if (status === 'closed' && (category === 'theft' || category === 'criminal_damage') && rng.next() < 0.05) {
          const sought = rng.int(50, 5000) * 100;
          outcomes.push(`${id}\t${org.id}\t${sought}\t${rng.next() < 0.5 ? sought : 0}\tcivil_recovery\n`);
        }
      }
    }
    counters.set(org.id, seq);
    if (lines.length === 0) continue;
    await copy(
      client,
      'COPY incidents (id, org_id, reference, status, category, occurred_at, reported_at, reported_by, location_kind, site_id, department_id, is_late, medical_factors, injured, police_involved, narrative, closed_at, investigation_due_on, idempotency_key, idempotency_fingerprint) FROM STDIN',
      lines,
    );
    copied += lines.length;
  }
  if (sanctions.length)
    await copy(client, 'COPY case_sanctions (org_id, incident_id, kind, sanction, decided_on, outcome, publicise, publicity_reason) FROM STDIN', sanctions);
  if (outcomes.length)
    await copy(client, 'COPY case_outcomes (incident_id, org_id, redress_sought_pence, redress_recovered_pence, redress_route) FROM STDIN', outcomes);
  return copied;
}

function addMonth(m: string): string {
  const d = new Date(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

async function copy(client: pg.Client, statement: string, lines: string[]) {
  // batches of lines per chunk keep the stream cheap
  async function* chunks() {
    for (let i = 0; i < lines.length; i += 2000) yield lines.slice(i, i + 2000).join('');
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(statement)));
}
