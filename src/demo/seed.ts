import type { Database } from '../db/database.ts';
import type { OrganisationType } from '../db/schema.ts';
import { hashPassword } from '../features/identity/passwords.ts';
import type { Role } from '../platform/access/roles.ts';
import { systemActor } from '../platform/access/roles.ts';
import { audit } from '../platform/audit.ts';
import { inScope } from '../platform/tenancy.ts';

/** The password of every demo account. Demo instances say so in their banner; never use it for real data. */
export const DEMO_PASSWORD = 'demo-password-2026';

type DemoOrg = {
  code: string;
  name: string;
  type: OrganisationType;
  /** Headcount in 2026/27; earlier years step back by about 2% a year. */
  staff: number;
  sites: { name: string; address: string; postcode: string; large?: boolean; departments: string[] }[];
  community?: string[];
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
  },
  {
    code: 'XCO',
    name: 'Riverside Community Health NHS Trust',
    type: 'community',
    staff: 2870,
    sites: [{ name: 'Riverside Health Centre', address: '3 Quay Street, Riverside', postcode: 'RV3 9QS', departments: ['Walk-in Centre', 'Podiatry'] }],
    community: ['District Nursing', 'Health Visiting'],
  },
  {
    code: 'XIC',
    name: 'Northgate and Ridgeway Integrated Care Board',
    type: 'commissioner',
    staff: 410,
    sites: [{ name: 'ICB Offices', address: 'Civic Centre, Northgate', postcode: 'NG1 2CC', departments: ['Quality and Safety'] }],
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

/**
 * Loads the demo data set into an empty database and marks the instance as a demo; on an instance that already
 * is one it does nothing and returns false. It refuses a database that holds other organisations or users: the
 * demo accounts share a published password, and the banner would call real data invented.
 */
export async function seedDemo(db: Database): Promise<boolean> {
  const hash = await hashPassword(DEMO_PASSWORD);
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
    const ids = new Map<string, string>();
    for (const o of DEMO_ORGS) {
      const org = await tx.insertInto('organisations').values({ code: o.code, name: o.name, type: o.type }).returning('id').executeTakeFirstOrThrow();
      ids.set(o.code, org.id);
      for (let i = 0; i < 5; i++) {
        await tx
          .insertInto('staff_headcounts')
          .values({ org_id: org.id, financial_year: 2026 - i, headcount: Math.round(o.staff * 0.98 ** i) })
          .execute();
      }
      for (const s of o.sites) {
        const site = await tx
          .insertInto('sites')
          .values({ org_id: org.id, name: s.name, address: s.address, postcode: s.postcode, is_large: s.large ?? false })
          .returning('id')
          .executeTakeFirstOrThrow();
        for (const d of s.departments) await tx.insertInto('departments').values({ org_id: org.id, site_id: site.id, name: d }).execute();
      }
      for (const d of o.community ?? []) await tx.insertInto('departments').values({ org_id: org.id, site_id: null, name: d }).execute();
    }
    for (const u of DEMO_USERS) {
      const user = await tx.insertInto('users').values({ email: u.email, name: u.name, password_hash: hash }).returning('id').executeTakeFirstOrThrow();
      for (const [code, role] of u.roles)
        await tx
          .insertInto('user_roles')
          .values({ user_id: user.id, org_id: code ? (ids.get(code) ?? null) : null, role })
          .execute();
    }
    await audit(tx, systemActor, { action: 'instance.demo_seeded', detail: { organisations: DEMO_ORGS.length, users: DEMO_USERS.length } });
    return true;
  });
}

/** Whether this instance holds demo data (its pages then say so). */
export async function isDemo(db: Database): Promise<boolean> {
  const row = await inScope(db, { all: true }, (tx) => tx.selectFrom('instance_settings').select('value').where('key', '=', 'demo').executeTakeFirst());
  return row?.value === true;
}
