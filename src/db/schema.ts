import type { ColumnType, Generated } from 'kysely';

/** Table types for Kysely. Keep in step with the migrations in ./migrations. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type OrganisationType = 'acute' | 'ambulance' | 'mental_health' | 'community' | 'commissioner' | 'national_body';

export interface OrganisationsTable {
  id: Generated<string>;
  code: string;
  name: string;
  type: OrganisationType;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SitesTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  address: string;
  postcode: string | null;
  is_large: boolean;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface DepartmentsTable {
  id: Generated<string>;
  org_id: string;
  site_id: string | null;
  name: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface StaffHeadcountsTable {
  org_id: string;
  /** First calendar year of the NHS financial year (April–March): 2026 means 2026/27. */
  financial_year: number;
  headcount: number;
  updated_at: Generated<Date>;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  password_hash: string | null;
  is_active: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface UserRolesTable {
  id: Generated<string>;
  user_id: string;
  /** Null for a deployment-wide role (system administrator, national assessor). */
  org_id: string | null;
  role: string;
  created_at: Generated<Date>;
}

export interface SessionsTable {
  /** SHA-256 of the cookie token: a stolen table row cannot be replayed as a cookie. */
  id: string;
  user_id: string;
  org_id: string | null;
  created_at: Generated<Date>;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ended_at: Date | null;
  ip: string | null;
  user_agent: string | null;
}

export interface InstanceSettingsTable {
  key: string;
  value: unknown;
  updated_at: Generated<Date>;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: Generated<Date>;
  actor_id: string | null;
  org_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  outcome: string;
  request_id: string | null;
  detail: unknown;
  prev_hash: string;
  hash: string;
}

export interface DB {
  organisations: OrganisationsTable;
  sites: SitesTable;
  departments: DepartmentsTable;
  staff_headcounts: StaffHeadcountsTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  sessions: SessionsTable;
  instance_settings: InstanceSettingsTable;
  audit_events: AuditEventsTable;
}
