import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../src/db/database.ts';
import type { OrganisationType } from '../src/db/schema.ts';
import { hashPassword } from '../src/features/identity/passwords.ts';
import { secretBox } from '../src/features/identity/secrets.ts';
import type { Role } from '../src/platform/access/roles.ts';

/**
 * Test data builders. Each makes a valid row with unique values, takes overrides, and creates missing parents.
 * They write through the owner connection (no row-level security), as a fixture loader would.
 */
let n = 0;
const unique = () => `${Date.now().toString(36).slice(-4)}${(n++).toString(36)}${randomBytes(2).toString('hex')}`;

/** A unique ODS-style code: 5 upper-case letters/digits. */
export const uniqueCode = () => randomBytes(4).toString('hex').slice(0, 5).toUpperCase();

export async function organisation(db: Database, o: Partial<{ name: string; code: string; type: OrganisationType }> = {}) {
  return db
    .insertInto('organisations')
    .values({ name: o.name ?? `Test Trust ${unique()}`, code: o.code ?? uniqueCode(), type: o.type ?? 'acute' })
    .returning(['id', 'code', 'name', 'type'])
    .executeTakeFirstOrThrow();
}

export async function site(db: Database, o: Partial<{ orgId: string; name: string; address: string; isLarge: boolean }> = {}) {
  const orgId = o.orgId ?? (await organisation(db)).id;
  return db
    .insertInto('sites')
    .values({ org_id: orgId, name: o.name ?? `Site ${unique()}`, address: o.address ?? '1 Test Road, Testville', is_large: o.isLarge ?? false })
    .returning(['id', 'org_id', 'name'])
    .executeTakeFirstOrThrow();
}

export async function headcount(db: Database, o: { orgId: string; financialYear: number; headcount: number }) {
  await db.insertInto('staff_headcounts').values({ org_id: o.orgId, financial_year: o.financialYear, headcount: o.headcount }).execute();
}

export const TEST_PASSWORD = 'correct horse battery staple';
let passwordHash: Promise<string> | undefined;

/**
 * A user with roles: `roles` pairs an organisation id (or null for deployment-wide) with a role. Without roles,
 * the user is a reporter in a new organisation.
 */
export async function user(db: Database, o: Partial<{ email: string; name: string; roles: [string | null, Role][]; active: boolean }> = {}) {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  const roles = o.roles ?? [[(await organisation(db)).id, 'reporter']];
  const u = await db
    .insertInto('users')
    .values({
      email: o.email ?? `user-${unique()}@test.nhs.uk`,
      name: o.name ?? `Test User ${unique()}`,
      password_hash: await passwordHash,
      is_active: o.active ?? true,
    })
    .returning(['id', 'email', 'name'])
    .executeTakeFirstOrThrow();
  for (const [orgId, role] of roles) await db.insertInto('user_roles').values({ user_id: u.id, org_id: orgId, role }).execute();
  return { ...u, roles };
}

/** A signed-in session for the user, acting for `orgId` (default: the first organisation of its roles). */
export async function session(db: Database, u: { id: string; roles: [string | null, Role][] }, orgId?: string | null) {
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('sessions')
    .values({
      id: createHash('sha256').update(token).digest('hex'),
      user_id: u.id,
      org_id: orgId === undefined ? (u.roles.find(([o]) => o)?.[0] ?? null) : orgId,
      last_seen_at: new Date(),
      expires_at: new Date(Date.now() + 3600_000),
    })
    .execute();
  return token;
}

/**
 * An incident (a case) with its people, written directly (no reference counter: references are unique per call).
 * Creates what is missing: the organisation, a site of it, and a reporter in it.
 */
export async function incident(
  db: Database,
  o: Partial<{
    orgId: string;
    siteId: string | null;
    departmentId: string | null;
    reportedBy: string;
    reference: string;
    category: string;
    status: string;
    narrative: string;
    occurredAt: Date;
    reportedAt: Date;
    late: boolean;
    medicalFactors: 'yes' | 'no' | 'unknown' | null;
    policeAttended: boolean;
    policeInvolved: boolean;
    injured: boolean;
    closedAt: Date | null;
    investigationDueOn: string | null;
    crimeReference: string | null;
    people: { involvement: 'affected' | 'assailant'; type?: string; name?: string | null; dateOfBirth?: string | null }[];
  }> = {},
) {
  const orgId = o.orgId ?? (await organisation(db)).id;
  const siteId = o.siteId === undefined ? (await site(db, { orgId })).id : o.siteId;
  const reportedBy = o.reportedBy ?? (await user(db, { roles: [[orgId, 'reporter']] })).id;
  const occurredAt = o.occurredAt ?? new Date(Date.now() - 86_400_000);
  const row = await db
    .insertInto('incidents')
    .values({
      org_id: orgId,
      reference: o.reference ?? `TST-2026-${unique().toUpperCase()}`,
      status: o.status ?? 'reported',
      category: o.category ?? 'physical_assault',
      occurred_at: occurredAt,
      reported_at: o.reportedAt ?? new Date(),
      reported_by: reportedBy,
      location_kind: siteId ? 'site' : 'community',
      site_id: siteId,
      department_id: o.departmentId ?? null,
      community_address: siteId ? null : '1 Community Road',
      is_late: o.late ?? false,
      medical_factors: o.medicalFactors === undefined ? 'no' : o.medicalFactors,
      police_involved: o.policeInvolved ?? o.policeAttended ?? !!o.crimeReference,
      police_attended: o.policeAttended ?? false,
      injured: o.injured ?? false,
      closed_at: o.closedAt ?? null,
      investigation_due_on: o.investigationDueOn ?? null,
      crime_reference: o.crimeReference ?? null,
      narrative: o.narrative ?? 'A patient pushed a nurse in the corridor.',
      idempotency_key: unique(),
      idempotency_fingerprint: 'factory',
    })
    .returning(['id', 'org_id', 'reference', 'site_id', 'reported_by'])
    .executeTakeFirstOrThrow();
  for (const [position, p] of (o.people ?? []).entries())
    await db
      .insertInto('incident_people')
      .values({
        org_id: orgId,
        incident_id: row.id,
        involvement: p.involvement,
        position,
        person_type: p.type ?? (p.involvement === 'affected' ? 'staff' : 'patient'),
        name: p.name ?? null,
        date_of_birth: p.dateOfBirth ?? null,
      })
      .execute();
  return row;
}

/** A key for sealing TOTP secrets in tests: give it to testApp({ config: { secretKey } }) and to enableTotp(). */
export const TEST_SECRET_KEY = 'test-secret-key-for-sealing-totp-secrets-0123456789';

/**
 * Turns on TOTP for a user with a fresh secret sealed under `secretKey` (as the identity service would after
 * enrolment, without a code used yet). Returns the base32 secret, to make codes with otplib's `generate`.
 */
export async function enableTotp(db: Database, userId: string, secretKey = TEST_SECRET_KEY): Promise<string> {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const secret = Array.from(randomBytes(32), (b) => alphabet[b % 32]).join('');
  await db
    .updateTable('users')
    .set({ totp_secret: secretBox(secretKey).seal(secret, userId), totp_enabled_at: new Date(), totp_last_step: null })
    .where('id', '=', userId)
    .execute();
  return secret;
}

/** A commissioner commissioning a provider (from a financial year, when given). */
export async function commissioning(db: Database, o: { commissionerOrgId: string; providerOrgId: string; fromYear?: number | null }) {
  await db
    .insertInto('commissioning')
    .values({ commissioner_org_id: o.commissionerOrgId, provider_org_id: o.providerOrgId, from_year: o.fromYear ?? null })
    .execute();
}

/** A manager's investigation of an incident, due on `dueOn` (YYYY-MM-DD), completed at `completedAt` or not yet. */
export async function caseInvestigation(db: Database, o: { orgId: string; incidentId?: string; managerId?: string; dueOn: string; completedAt?: Date | null }) {
  const incidentId = o.incidentId ?? (await incident(db, { orgId: o.orgId })).id;
  const managerId = o.managerId ?? (await user(db, { roles: [[o.orgId, 'manager']] })).id;
  return db
    .insertInto('case_investigations')
    .values({
      org_id: o.orgId,
      incident_id: incidentId,
      manager_id: managerId,
      due_on: o.dueOn,
      completed_at: o.completedAt ?? null,
      completed_by: o.completedAt ? managerId : null,
    })
    .returning(['id', 'incident_id'])
    .executeTakeFirstOrThrow();
}

/** An annual report record (002 std 1.5); signed when `signedBy` is given. */
export async function annualReport(
  db: Database,
  o: {
    orgId: string;
    year: number;
    presentedOn?: string | null;
    boardDecision?: 'approved' | 'approved_with_amendments' | 'not_approved' | null;
    signedBy?: string | null;
    summary?: string;
  },
) {
  return db
    .insertInto('annual_reports')
    .values({
      org_id: o.orgId,
      year: o.year,
      presented_on: o.presentedOn ?? null,
      board_decision: o.boardDecision ?? null,
      summary: o.summary ?? '',
      status: o.signedBy ? 'signed' : 'draft',
      signed_by: o.signedBy ?? null,
      signed_at: o.signedBy ? new Date() : null,
    })
    .returning(['id', 'year'])
    .executeTakeFirstOrThrow();
}

export async function department(db: Database, o: { orgId: string; siteId?: string | null; name?: string }) {
  return db
    .insertInto('departments')
    .values({ org_id: o.orgId, site_id: o.siteId ?? null, name: o.name ?? `Department ${unique()}` })
    .returning(['id', 'org_id', 'site_id', 'name'])
    .executeTakeFirstOrThrow();
}

/** A sanction recorded on a case (`002 std 4.2`). */
export async function sanction(db: Database, o: { orgId: string; incidentId: string; kind?: string; sanction?: string }) {
  return db
    .insertInto('case_sanctions')
    .values({
      org_id: o.orgId,
      incident_id: o.incidentId,
      kind: o.kind ?? 'criminal',
      sanction: o.sanction ?? 'conviction',
      decided_on: '2026-01-15',
      outcome: 'Convicted at the magistrates’ court',
      publicise: false,
      publicity_reason: 'The victim asked for no publicity',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

/** Redress recorded on a case, in pence; upserts the case's outcome row as case management does. */
export async function redress(
  db: Database,
  o: { orgId: string; incidentId: string; soughtPence?: number | null; recoveredPence?: number | null; route?: string | null },
) {
  const set = {
    redress_sought_pence: o.soughtPence ?? null,
    redress_recovered_pence: o.recoveredPence ?? null,
    redress_route: o.route === undefined ? 'civil_recovery' : o.route,
  };
  await db
    .insertInto('case_outcomes')
    .values({ org_id: o.orgId, incident_id: o.incidentId, ...set })
    .onConflict((oc) => oc.column('incident_id').doUpdateSet(set))
    .execute();
}
