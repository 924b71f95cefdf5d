import type { Insertable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DB, OrganisationType } from '../db/schema.ts';
import { financialYearOf } from '../domain/analytics.ts';
import { PROVIDER_TYPES } from '../features/commissioning/schema.ts';
import { hashPassword } from '../features/identity/passwords.ts';
import { selfReviewRepository } from '../features/self-review/repository.ts';
import type { Role } from '../platform/access/roles.ts';
import { systemActor } from '../platform/access/roles.ts';
import { audit } from '../platform/audit.ts';
import { inScope } from '../platform/tenancy.ts';
import { BUNDLED_FRAMEWORKS, loadFramework } from '../standards/load.ts';
import { type DemoPlace, type DemoProvider, demoPublishedStatistics, demoSurveyResults, generateDemoIncidents } from './incidents.ts';
import type { ProviderType } from './rates.ts';
import { demoGovernance, demoMarkers } from './records.ts';

/** The password of every demo account. Demo instances say so in their banner; never use it for real data. */
export const DEMO_PASSWORD = 'demo-password-2026';

type DemoOrg = {
  code: string;
  name: string;
  type: OrganisationType;
  /** Headcount in the current financial year; earlier years step back by about 2% a year. */
  staff: number;
  /** Departments listed first see the most incidents (hotspots, as in bench/national.ts). */
  sites: { name: string; address: string; postcode: string; large?: boolean; departments: string[] }[];
  community?: string[];
  /** Providers: invented staff who have reported incidents (accounts without a password: they cannot sign in). */
  staffReporters?: string[];
  /** Ambulance crews: the department whose incidents happen at the scene of a call, in the community. */
  scene?: string;
  /** Commissioners: the providers they commission (002 std 1.6, 1.7). */
  commissions?: string[];
};

/** Invented organisations of each type, with plausible sites, services and headcounts. Codes start with X. */
export const DEMO_ORGS: DemoOrg[] = [
  {
    code: 'XAC',
    name: 'Northgate Teaching Hospitals NHS Foundation Trust',
    type: 'acute',
    staff: 8420,
    sites: [
      {
        name: 'Northgate General Hospital',
        address: '1 Infirmary Road, Northgate',
        postcode: 'NG1 7AA',
        large: true,
        departments: ['Emergency Department', 'Maternity Unit', 'Neonatal Intensive Care', 'Pharmacy', 'Acute Medical Unit'],
      },
      { name: 'St Aidan’s Hospital', address: 'Moor Lane, Northgate', postcode: 'NG5 2LB', departments: ['Elderly Care Wards', 'Outpatients'] },
    ],
    staffReporters: ['Ruth Allen', 'Kwame Mensah', 'Laura Kent'],
  },
  {
    code: 'XMH',
    name: 'Ridgeway Mental Health NHS Trust',
    type: 'mental_health',
    staff: 4062,
    sites: [
      {
        name: 'Ridgeway House',
        address: '12 Hill Street, Ridgeway',
        postcode: 'RG4 1QD',
        large: true,
        departments: ['Medium Secure Unit', 'Psychiatric Intensive Care Unit', 'Acute Admissions'],
      },
      { name: 'Fern Lodge', address: 'Fern Road, Ridgeway', postcode: 'RG7 3EF', departments: ['Older Adult Inpatients'] },
    ],
    community: ['Community Mental Health Team North', 'Crisis Resolution and Home Treatment'],
    staffReporters: ['Owen Hart', 'Fatima Begum', 'Lucy Moss'],
  },
  {
    code: 'XAM',
    name: 'Western Counties Ambulance Service NHS Trust',
    type: 'ambulance',
    staff: 5210,
    sites: [
      {
        name: 'Western Counties Headquarters',
        address: 'Unit 4, Beacon Park, Westbury',
        postcode: 'WB2 8HP',
        departments: ['Emergency Operations Centre', 'NHS 111'],
      },
      { name: 'Westbury Ambulance Station', address: 'Station Road, Westbury', postcode: 'WB1 1AS', departments: ['Emergency Crews'] },
    ],
    staffReporters: ['Gareth Price', 'Nina Novak', 'Sean Doyle'],
    scene: 'Emergency Crews',
  },
  {
    code: 'XCO',
    name: 'Riverside Community Health NHS Trust',
    type: 'community',
    staff: 2870,
    sites: [{ name: 'Riverside Health Centre', address: '3 Quay Street, Riverside', postcode: 'RV3 9QS', departments: ['Walk-in Centre', 'Podiatry'] }],
    community: ['District Nursing', 'Health Visiting'],
    staffReporters: ['Helen Marsh', 'Tariq Aziz'],
  },
  {
    code: 'XIC',
    name: 'Northgate and Ridgeway Integrated Care Board',
    type: 'commissioner',
    staff: 410,
    sites: [{ name: 'ICB Offices', address: 'Civic Centre, Northgate', postcode: 'NG1 2CC', departments: ['Quality and Safety'] }],
    commissions: ['XAC', 'XMH', 'XCO'],
  },
  {
    code: 'XNB',
    name: 'National Security Quality Assurance',
    type: 'national_body',
    staff: 95,
    sites: [{ name: 'National Office', address: '1 Whitehall Place, London', postcode: 'SW1A 2HB', departments: ['Quality Assessment'] }],
  },
];

/** Demo accounts: one per kind of user, so every view of Warden can be tried. */
export const DEMO_USERS: { email: string; name: string; roles: [code: string | null, role: Role][] }[] = [
  {
    email: 'admin@demo.warden.invalid',
    name: 'Alex Admin',
    roles: [
      [null, 'administrator'],
      ['XAC', 'administrator'],
    ],
  },
  {
    email: 'lsms@demo.warden.invalid',
    name: 'Sam Okafor (LSMS)',
    roles: [
      ['XAC', 'security_specialist'],
      ['XMH', 'security_specialist'],
      ['XCO', 'security_specialist'],
    ],
  },
  { email: 'nurse@demo.warden.invalid', name: 'Priya Shah', roles: [['XMH', 'reporter']] },
  {
    email: 'manager@demo.warden.invalid',
    name: 'Tom Reid',
    roles: [
      ['XMH', 'manager'],
      ['XMH', 'reporter'],
    ],
  },
  { email: 'smd@demo.warden.invalid', name: 'Dr Helen Price (SMD)', roles: [['XMH', 'smd']] },
  { email: 'board@demo.warden.invalid', name: 'Jo Bennett (NED)', roles: [['XMH', 'board_viewer']] },
  { email: 'commissioner@demo.warden.invalid', name: 'Chris Hall', roles: [['XIC', 'commissioner']] },
  { email: 'assessor@demo.warden.invalid', name: 'Morgan Lee', roles: [[null, 'national_assessor']] },
];

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const CHUNK = 500;

/** What the demo data set holds, as recorded in its audit event. */
export type DemoSummary = {
  organisations: number;
  users: number;
  frameworks: number;
  incidents: number;
  sanctions: number;
  markers: number;
  markerRequests: number;
  selfReviews: number;
  annualReports: number;
};

/**
 * Loads the demo data set into an empty database and marks the instance as a demo; on an instance that already
 * is one it does nothing and returns false. It refuses a database that holds other organisations or users: the
 * demo accounts share a published password, and the banner would call real data invented.
 *
 * Besides organisations, sites, departments, headcounts, commissioning and the demo accounts, it loads the bundled
 * standards frameworks (as `warden standards load` would), about two years of incidents per provider with their
 * case history (src/demo/incidents.ts, relative to `now`), published statistics for the years before them and
 * staff-survey figures. Everything is written in one transaction and audited; incidents go in as plain bulk
 * INSERTs, which the roll-up triggers (migration 20261205100000-Analytics) aggregate statement by statement.
 */
export async function seedDemo(db: Database, options: { now?: Date; seed?: number } = {}): Promise<boolean> {
  const now = options.now ?? new Date();
  const hash = await hashPassword(DEMO_PASSWORD);
  const frameworks = await Promise.all(BUNDLED_FRAMEWORKS.map((f) => loadFramework(f)));
  return inScope(db, { all: true }, async (tx) => {
    const flag = await tx.selectFrom('instance_settings').select('value').where('key', '=', 'demo').executeTakeFirst();
    if (flag?.value === true) return false;
    const inUse =
      (await tx.selectFrom('organisations').select('id').limit(1).executeTakeFirst()) ??
      (await tx.selectFrom('users').select('id').limit(1).executeTakeFirst());
    if (inUse)
      throw new Error(
        'this database already holds organisations or users that are not demo data, and the demo data set only goes into an empty database (unset DATABASE_URL to run the demo on its own private database)',
      );
    await tx
      .insertInto('instance_settings')
      .values({ key: 'demo', value: JSON.stringify(true) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(true) }))
      .execute();
    const year = financialYearOf(now);
    const ids = new Map<string, string>();
    const places = new Map<string, DemoPlace[]>();
    for (const o of DEMO_ORGS) {
      const org = await tx.insertInto('organisations').values({ code: o.code, name: o.name, type: o.type }).returning('id').executeTakeFirstOrThrow();
      ids.set(o.code, org.id);
      for (let i = 0; i < 5; i++) {
        await tx
          .insertInto('staff_headcounts')
          .values({ org_id: org.id, financial_year: year - i, headcount: Math.round(o.staff * 0.98 ** i) })
          .execute();
      }
      const list: DemoPlace[] = [];
      // Hotspots: the departments listed first see most incidents (weights fall away like 1/k).
      const add = (siteId: string | null, departmentId: string | null, weight?: number) =>
        list.push({ siteId, departmentId, weight: weight ?? (departmentId ? 1 / (list.length + 1) : 0.3) });
      for (const s of o.sites) {
        const site = await tx
          .insertInto('sites')
          .values({ org_id: org.id, name: s.name, address: s.address, postcode: s.postcode, is_large: s.large ?? false })
          .returning('id')
          .executeTakeFirstOrThrow();
        for (const d of s.departments) {
          const dep = await tx.insertInto('departments').values({ org_id: org.id, site_id: site.id, name: d }).returning('id').executeTakeFirstOrThrow();
          add(site.id, dep.id);
          // Crews are mostly assaulted where they are sent: in the community, not at their station.
          if (o.scene === d) add(null, dep.id, 3);
        }
        add(site.id, null);
      }
      for (const d of o.community ?? []) {
        const dep = await tx.insertInto('departments').values({ org_id: org.id, site_id: null, name: d }).returning('id').executeTakeFirstOrThrow();
        add(null, dep.id);
      }
      places.set(o.code, list);
    }
    for (const o of DEMO_ORGS)
      for (const provider of o.commissions ?? [])
        await tx
          .insertInto('commissioning')
          .values({ commissioner_org_id: ids.get(o.code) as string, provider_org_id: ids.get(provider) as string })
          .execute();
    const userIds = new Map<string, string>();
    for (const u of DEMO_USERS) {
      const user = await tx.insertInto('users').values({ email: u.email, name: u.name, password_hash: hash }).returning('id').executeTakeFirstOrThrow();
      userIds.set(u.email, user.id);
      for (const [code, role] of u.roles)
        await tx
          .insertInto('user_roles')
          .values({ user_id: user.id, org_id: code ? (ids.get(code) ?? null) : null, role })
          .execute();
    }
    /** The demo account holding `role` in the organisation, if any. */
    const account = (code: string, role: Role) => {
      const u = DEMO_USERS.find((x) => x.roles.some(([c, r]) => c === code && r === role));
      const id = u && userIds.get(u.email);
      return u && id ? { id, name: u.name } : null;
    };
    const holder = (code: string, role: Role) => account(code, role)?.id ?? null;

    // The bundled standards frameworks, as an administrator loads them (self-review service, loadFramework).
    const frameworkIds = new Map<string, string>();
    for (const fw of frameworks) {
      const { id } = await selfReviewRepository.insertFramework(tx, { framework_id: fw.id, version: fw.version, name: fw.name, content: fw, loaded_by: null });
      await audit(tx, systemActor, {
        action: 'standards.load',
        objectType: 'standards_framework',
        objectId: id,
        detail: { framework: fw.id, version: fw.version },
      });
      frameworkIds.set(fw.id, id);
    }

    // Providers' staff who reported, and the incidents they reported.
    const providers: DemoProvider[] = [];
    for (const o of DEMO_ORGS) {
      if (!o.staffReporters || !isProviderType(o.type)) continue;
      const orgId = ids.get(o.code) as string;
      const reporters: string[] = [];
      for (const name of o.staffReporters) {
        const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${o.code.toLowerCase()}@demo.warden.invalid`;
        const u = await tx.insertInto('users').values({ email, name, password_hash: null }).returning('id').executeTakeFirstOrThrow();
        await tx.insertInto('user_roles').values({ user_id: u.id, org_id: orgId, role: 'reporter' }).execute();
        reporters.push(u.id);
      }
      providers.push({
        id: orgId,
        code: o.code,
        type: o.type,
        staff: o.staff,
        places: places.get(o.code) ?? [],
        reporters,
        featuredReporter: holder(o.code, 'reporter') ?? undefined,
        handler: holder(o.code, 'security_specialist'),
        manager: holder(o.code, 'manager'),
        town: o.sites[0]?.address.split(',').pop()?.trim() ?? o.name,
      });
    }
    const made = generateDemoIncidents(providers, now, options.seed);
    const bulk = async <T extends keyof DB>(table: T, rows: Insertable<DB[T]>[]) => {
      for (let i = 0; i < rows.length; i += CHUNK)
        await tx
          .insertInto(table)
          .values(rows.slice(i, i + CHUNK) as never)
          .execute();
    };
    const marking = demoMarkers(providers, made, now, options.seed);
    for (const r of marking.requests) {
      const row = made.incidents.find((i) => i.id === r.incidentId);
      if (row) Object.assign(row, { marker_requested: true, marker_reason: r.reason });
    }
    await bulk('incidents', made.incidents);
    await bulk('incident_people', made.people);
    await bulk('incident_events', made.events);
    await bulk('case_investigations', made.investigations);
    await bulk('case_sanctions', made.sanctions);
    await bulk('case_outcomes', made.outcomes);
    await bulk('case_closures', made.closures);
    // The counters stand where the references stopped, so the next report gets the next number.
    await bulk('incident_reference_counters', made.counters);
    await bulk('warning_markers', marking.markers);
    await bulk('warning_marker_incidents', marking.links);
    await bulk('warning_marker_reviews', marking.reviews);
    // Where the demo has an SMD: last year's self review, submitted; this year's, begun; last year's annual report.
    const vpr = frameworks.find((f) => f.id === 'nhs-england-vpr');
    let selfReviews = 0;
    let annualReports = 0;
    for (const o of DEMO_ORGS) {
      const smd = account(o.code, 'smd');
      if (!smd || !vpr) continue;
      // as submitting would address it: the provider's commissioners and the national body (002 §3.9–3.10)
      const recipient = (kind: 'commissioner' | 'national_body') => (r: DemoOrg) => ({ kind, orgId: ids.get(r.code) as string, code: r.code, name: r.name });
      const recipients = [
        ...DEMO_ORGS.filter((c) => c.commissions?.includes(o.code)).map(recipient('commissioner')),
        ...DEMO_ORGS.filter((n) => n.type === 'national_body').map(recipient('national_body')),
      ];
      const g = demoGovernance(
        {
          id: ids.get(o.code) as string,
          code: o.code,
          name: o.name,
          smd,
          lsms: holder(o.code, 'security_specialist'),
        },
        { versionId: frameworkIds.get(vpr.id) as string, content: vpr },
        recipients,
        now,
        options.seed,
      );
      await bulk('self_reviews', g.reviews);
      await bulk('self_review_ratings', g.ratings);
      await bulk('self_review_events', g.events);
      await bulk('annual_reports', g.annualReports);
      await bulk('self_review_evidence', g.evidence);
      await bulk('self_review_versions', g.versions);
      for (const v of g.versions) await tx.updateTable('self_reviews').set({ status: 'submitted' }).where('id', '=', v.review_id).execute();
      selfReviews += g.reviews.length;
      annualReports += g.annualReports.length;
    }
    await bulk('published_statistics', demoPublishedStatistics(providers, now, options.seed));
    await bulk('staff_survey_results', demoSurveyResults(providers, now, options.seed));

    const summary: DemoSummary = {
      organisations: DEMO_ORGS.length,
      users: DEMO_USERS.length,
      frameworks: frameworks.length,
      incidents: made.incidents.length,
      sanctions: made.sanctions.length,
      markers: marking.markers.length,
      markerRequests: marking.requests.length,
      selfReviews,
      annualReports,
    };
    await audit(tx, systemActor, { action: 'instance.demo_seeded', detail: summary });
    return true;
  });
}

const isProviderType = (type: OrganisationType): type is ProviderType => (PROVIDER_TYPES as readonly string[]).includes(type);

/** Whether this instance holds demo data (its pages then say so). */
export async function isDemo(db: Database): Promise<boolean> {
  const row = await inScope(db, { all: true }, (tx) => tx.selectFrom('instance_settings').select('value').where('key', '=', 'demo').executeTakeFirst());
  return row?.value === true;
}
