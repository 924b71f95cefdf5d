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
  /** Consecutive failed sign-ins; reset by a success or when the account is locked. */
  failed_count: Generated<number>;
  /** Sign-in is refused until then (after five consecutive failures). */
  locked_until: Date | null;
  password_changed_at: Date | null;
  /** TOTP secret sealed with AES-256-GCM (src/features/identity/secrets.ts); null until set up. */
  totp_secret: string | null;
  totp_enabled_at: Date | null;
  /** The last accepted TOTP time step: a code for it or an earlier one is refused (no replay). */
  totp_last_step: number | null;
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
  /** `second_factor`: waiting for a TOTP or recovery code; `enrol_second_factor`: may only set up TOTP. */
  stage: Generated<SessionStage>;
}

export type SessionStage = 'complete' | 'second_factor' | 'enrol_second_factor';

/** One-time, expiring password reset links; `token_hash` is the SHA-256 of the token in the link. */
export interface PasswordResetsTable {
  id: Generated<string>;
  user_id: string;
  token_hash: string;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  used_at: Date | null;
  ip: string | null;
}

/** One-time second-factor recovery codes; only the SHA-256 of each is kept. */
export interface RecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  code_hash: string;
  created_at: Generated<Date>;
  used_at: Date | null;
}

export interface InstanceSettingsTable {
  key: string;
  value: unknown;
  updated_at: Generated<Date>;
}

/** Links an OpenID Connect identity (issuer + subject) to a Warden user (SSO). */
export interface UserIdentitiesTable {
  id: Generated<string>;
  user_id: string;
  issuer: string;
  subject: string;
  created_at: Generated<Date>;
}

/** An OpenID Connect sign-in in flight; `id` is the SHA-256 of the handle in the browser's cookie. */
export interface OidcSignInsTable {
  id: string;
  state: string;
  nonce: string;
  code_verifier: string;
  next: Generated<string>;
  created_at: Generated<Date>;
  expires_at: Timestamp;
}

export interface AuditEventsTable {
  id: Generated<number>;
  /** Position in the hash chain: gapless from 1, assigned by `warden_audit_seal()`; NULL until sealed. */
  seq: Generated<number | null>;
  at: Generated<Date>;
  actor_id: string | null;
  org_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  outcome: string;
  request_id: string | null;
  detail: unknown;
  /** NULL until sealed (migration 20261124080000-AuditSealing). */
  prev_hash: string | null;
  hash: string | null;
  /** SHA-256 over the row's own content and id, set at insert (`warden_audit_row_hash`). */
  row_hash: Generated<string>;
}

/** API bearer tokens: personal (`user_id` set) or service (`user_id` null); only the SHA-256 is stored. */
export interface ApiTokensTable {
  id: Generated<string>;
  org_id: string;
  user_id: string | null;
  name: string;
  role: string;
  token_hash: string;
  created_by: string | null;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

/** Which providers a commissioner commissions (`002 std 1.6, 1.7`). */
export interface CommissioningTable {
  commissioner_org_id: string;
  provider_org_id: string;
  /** First financial year of the arrangement (2026 = 2026/27), when known. */
  from_year: number | null;
  created_at: Generated<Date>;
}

/** One incident (a case), holding the current version of the report (SPEC C2, C3; migration 20261124050000). */
export interface IncidentsTable {
  id: Generated<string>;
  org_id: string;
  /** `<ORGCODE>-<YYYY>-<6 digits>`, unique per organisation. */
  reference: string;
  status: Generated<string>;
  status_changed_at: Generated<Date>;
  category: string;
  occurred_at: Timestamp;
  reported_at: Generated<Date>;
  reported_by: string | null;
  reported_by_token: string | null;
  /** coalesce(reported_by, reported_by_token): whose idempotency keys these are. */
  submitter: Generated<string>;
  location_kind: 'site' | 'community';
  site_id: string | null;
  department_id: string | null;
  location_detail: string | null;
  community_address: string | null;
  shift_ends_at: Date | null;
  is_late: Generated<boolean>;
  late_reason: string | null;
  medical_factors: string | null;
  aggravating_factors: Generated<string[]>;
  injured: Generated<boolean>;
  injury_description: string | null;
  examined_within_48h: string | null;
  police_involved: Generated<boolean>;
  police_attended: Generated<boolean>;
  police_officer_name: string | null;
  police_officer_number: string | null;
  police_station: string | null;
  crime_reference: string | null;
  cad_number: string | null;
  property_description: string | null;
  /** int8: returned as a number (database.ts). */
  property_value_pence: number | null;
  witnesses: string | null;
  narrative: string;
  outcome_summary: string | null;
  support_offered: string | null;
  closed_at: Date | null;
  version: Generated<number>;
  idempotency_key: string;
  idempotency_fingerprint: string;
  /** Generated tsvector over the narrative; query with to_tsquery, never write. */
  search: ColumnType<string, never, never>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** Case management (20261124060000-CaseManagement). */
  severity: string | null;
  assigned_manager_id: string | null;
  /** `YYYY-MM-DD` (date columns are returned as text). */
  investigation_due_on: string | null;
  lessons_learned: string | null;
  /** The reporter's request for a warning marker, and why (20261207160000-MarkerRequests; 003 §3.2.11). */
  marker_requested: Generated<boolean>;
  marker_reason: string | null;
  /** When the case's manager's investigation was completed: kept by a trigger on case_investigations (20261208090000). */
  investigation_completed_at: ColumnType<Date | null, never, never>;
}

/** Per-organisation, per-year reference counter, bumped in the reporting transaction. */
export interface IncidentReferenceCountersTable {
  org_id: string;
  year: number;
  last_value: number;
}

/** A person affected by, or responsible for, an incident (`003 §3.2.5, §3.2.9`). */
export interface IncidentPeopleTable {
  id: Generated<string>;
  org_id: string;
  incident_id: string;
  involvement: 'affected' | 'assailant';
  position: Generated<number>;
  person_type: string;
  name: string | null;
  /** 'YYYY-MM-DD' */
  date_of_birth: string | null;
  staff_role: string | null;
  description: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Status history of an incident: append-only. */
export interface IncidentEventsTable {
  id: Generated<string>;
  org_id: string;
  incident_id: string;
  at: Generated<Date>;
  actor_id: string | null;
  from_status: string | null;
  to_status: string;
  reason: string | null;
}

/** The previous content of a corrected incident: append-only. */
export interface IncidentVersionsTable {
  id: Generated<string>;
  org_id: string;
  incident_id: string;
  version: number;
  snapshot: unknown;
  reason: string;
  changed_by: string | null;
  changed_at: Generated<Date>;
}

/** A reporter's unfinished report: the form values as given. */
export interface IncidentDraftsTable {
  id: Generated<string>;
  org_id: string;
  user_id: string;
  data: unknown;
  /** Where the draft was made: the report form or the draft API (migration 20261207130000). */
  source: Generated<'form' | 'api'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** A warning ("history") marker on an address or an individual (SPEC C3; migration 20261124070000). Never deleted. */
export interface WarningMarkersTable {
  id: Generated<string>;
  org_id: string;
  subject_kind: 'address' | 'individual';
  address: string | null;
  not_public_place: Generated<boolean>;
  person_name: string | null;
  /** 'YYYY-MM-DD' */
  person_date_of_birth: string | null;
  person_description: string | null;
  risk: string;
  handling_advice: string;
  status: Generated<'active' | 'removed'>;
  /** 'YYYY-MM-DD': the day of the last decision (creation or review). */
  decided_on: string;
  /** 'YYYY-MM-DD'; null once removed. */
  review_due: string | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** The incidents that justify a marker: append-only. */
export interface WarningMarkerIncidentsTable {
  org_id: string;
  marker_id: string;
  incident_id: string;
  linked_at: Generated<Date>;
}

/** A marker's decision trail (created, kept, varied, removed): append-only. */
export interface WarningMarkerReviewsTable {
  id: Generated<string>;
  org_id: string;
  marker_id: string;
  decision: 'created' | 'kept' | 'varied' | 'removed';
  reason: string;
  reviewer_id: string | null;
  decided_on: string;
  decided_at: Generated<Date>;
  previous_review_due: string | null;
  next_review_due: string | null;
  changes: Generated<unknown>;
}

/** The security specialist's decision that a reporter's marker request needs no marker (append-only, one per incident). */
export interface MarkerRequestDecisionsTable {
  id: Generated<string>;
  org_id: string;
  incident_id: string;
  reason: string;
  decided_by: string;
  decided_at: Generated<Date>;
}

// ---- standards and self review (20261124090000-SelfReview; SPEC C5) ----
/** One loaded version of a standards framework (src/standards/schema.ts); never updated. Deployment-wide. */
export interface StandardsFrameworksTable {
  id: Generated<string>;
  framework_id: string;
  version: string;
  name: string;
  /** The validated framework file. */
  content: unknown;
  loaded_by: string | null;
  loaded_at: Generated<Date>;
}

/** An organisation's self review for a year (first year of the financial year), against one framework version. */
export interface SelfReviewsTable {
  id: Generated<string>;
  org_id: string;
  framework_version_id: string;
  year: number;
  /** draft → signed (by the SMD) → submitted; reopening makes the next version a draft (20261205200000). */
  status: Generated<'draft' | 'signed' | 'submitted'>;
  /** The working version: 1, then one more at each reopening. */
  version: Generated<number>;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SelfReviewRatingsTable {
  org_id: string;
  review_id: string;
  standard_number: string;
  rating: 'red' | 'amber' | 'green' | 'not_applicable' | null;
  comments: Generated<string>;
  /** The suggestion this rating was accepted from (suggester id, rating, reason), or null. JSON text on insert. */
  suggestion: ColumnType<unknown, string | null | undefined, string | null>;
  updated_by: string | null;
  updated_at: Generated<Date>;
}

/** A signed version of a self review, frozen (20261205200000-SelfReviewWorkflow). */
export interface SelfReviewVersionsTable {
  id: Generated<string>;
  org_id: string;
  review_id: string;
  version: number;
  year: number;
  /** The review as signed: standards with ratings, comments and evidence; roll-up; flags. JSON text on insert. */
  content: ColumnType<unknown, string, never>;
  content_sha256: string;
  signed_by: string;
  signed_at: Generated<Date>;
  submitted_by: string | null;
  submitted_at: Date | null;
  /** Who it was submitted to: [{ orgId, name, kind }]. JSON text on update. */
  recipients: ColumnType<unknown, never, string>;
  reopened_by: string | null;
  reopened_at: Date | null;
  reopen_reason: string | null;
}

export interface SelfReviewEventsTable {
  id: Generated<string>;
  org_id: string;
  review_id: string;
  version: number;
  kind: 'started' | 'imported' | 'signed' | 'submitted' | 'reopened';
  reason: string | null;
  actor_id: string | null;
  at: Generated<Date>;
}

/** The annual security management report to the Board for a financial year (002 std 1.5). */
export interface AnnualReportsTable {
  id: Generated<string>;
  org_id: string;
  year: number;
  /** `YYYY-MM-DD` */
  presented_on: string | null;
  board_decision: 'approved' | 'approved_with_amendments' | 'not_approved' | null;
  board_minute: string | null;
  summary: Generated<string>;
  file_id: string | null;
  file_name: string | null;
  content_type: string | null;
  size_bytes: number | null;
  sha256: string | null;
  status: Generated<'draft' | 'signed'>;
  signed_by: string | null;
  signed_at: Date | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_by: string | null;
  updated_at: Generated<Date>;
}
/** A signed annual report reopened by the SMD: the report as it was signed, and who reopened it, when and why. */
export interface AnnualReportReopeningsTable {
  id: Generated<string>;
  org_id: string;
  report_id: string;
  reason: string;
  reopened_by: string | null;
  reopened_at: Generated<Date>;
  signed_by: string | null;
  signed_at: Date;
  presented_on: string | null;
  board_decision: string | null;
  board_minute: string | null;
  summary: string;
  file_id: string | null;
  file_name: string | null;
  content_type: string | null;
  size_bytes: number | null;
  sha256: string | null;
}

/** Evidence for a standard in a review, classed as an output or an outcome (002 §3.45–3.46). */
export interface SelfReviewEvidenceTable {
  id: Generated<string>;
  org_id: string;
  review_id: string;
  standard_number: string;
  kind: 'output' | 'outcome';
  label: string;
  url: string | null;
  /** A record in Warden (20261205200000): its kind and id. */
  record_type: 'incident' | 'annual_report' | null;
  record_id: string | null;
  /** An uploaded document, stored under `<data dir>/self-review-evidence/<org>/<id>`. */
  file_name: string | null;
  content_type: string | null;
  size_bytes: number | null;
  sha256: string | null;
  added_by: string | null;
  added_at: Generated<Date>;
  removed_at: Date | null;
  removed_by: string | null;
}

// ---- case management (20261124060000-CaseManagement); dates are `YYYY-MM-DD` text ----
export interface CaseSettingsTable {
  org_id: string;
  investigation_days: Generated<number>;
  escalation_repeat_days: number | null;
  updated_at: Generated<Date>;
}
export interface CaseInvestigationsTable {
  id: Generated<string>;
  org_id: string;
  incident_id: string;
  manager_id: string;
  due_on: string;
  assigned_by: string | null;
  assigned_at: Generated<Date>;
  findings: string | null;
  contributing_factors: string | null;
  actions_taken: string | null;
  welfare_support: string | null;
  completed_at: Date | null;
  completed_by: string | null;
  updated_at: Generated<Date>;
}
export interface CaseLogEntriesTable {
  id: Generated<string>;
  org_id: string;
  incident_id: string;
  kind: string;
  occurred_on: string;
  text: string;
  crime_reference: string | null;
  officer: string | null;
  cps_decision: string | null;
  author_id: string | null;
  created_at: Generated<Date>;
}
export interface CaseAttachmentsTable {
  id: string;
  org_id: string;
  incident_id: string;
  file_name: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  description: string | null;
  uploaded_by: string | null;
  uploaded_at: Generated<Date>;
}
export interface CaseSanctionsTable {
  id: Generated<string>;
  org_id: string;
  incident_id: string;
  kind: string;
  sanction: string;
  decided_on: string;
  outcome: string;
  publicise: boolean;
  publicity_reason: string;
  recorded_by: string | null;
  created_at: Generated<Date>;
}
export interface CaseOutcomesTable {
  incident_id: string;
  org_id: string;
  no_sanction_advice_from: string | null;
  no_sanction_advice: string | null;
  no_sanction_reasons: string | null;
  redress_sought_pence: number | null;
  redress_recovered_pence: number | null;
  redress_route: string | null;
  support_offered: string | null;
  support_offered_on: string | null;
  support_taken_up: boolean | null;
  support_taken_up_on: string | null;
  acknowledgement_sent_on: string | null;
  feedback_on: string | null;
  feedback_summary: string | null;
  updated_by: string | null;
  updated_at: Generated<Date>;
}
/** Every version of the no-sanction advice and reasons (002 std 4.2; migration 20261207100000); never updated. */
export interface CaseNoSanctionAdviceTable {
  id: Generated<string>;
  org_id: string;
  incident_id: string;
  advice_from: string;
  advice: string;
  reasons: string;
  recorded_by: string | null;
  created_at: Generated<Date>;
}
/** Each closure of a case with its lessons learned (000 §6.1.5; migration 20261207100000). */
export interface CaseClosuresTable {
  id: Generated<string>;
  org_id: string;
  incident_id: string;
  to_status: string;
  reason: string | null;
  lessons_learned: string;
  closed_by: string | null;
  closed_at: Generated<Date>;
}
/** An earlier assignment of the manager's investigation, kept when re-triage replaced it (migration 20261207100100). */
export interface CaseInvestigationHistoryTable extends Omit<CaseInvestigationsTable, 'assigned_at' | 'updated_at'> {
  assigned_at: Date;
  replaced_by: string | null;
  replaced_at: Generated<Date>;
  reason: string;
}
export interface CaseEscalationsTable {
  id: Generated<string>;
  org_id: string;
  incident_id: string;
  due_on: string;
  sent_at: Generated<Date>;
  recipients: string[];
}

// ---- analysis and benchmarking (20261205100000-Analytics; SPEC C4). Roll-ups are written by triggers only. ----
/** Organisation × month (first day, in England) × category × site: counts and sums of the incidents there. */
export interface IncidentRollupsTable {
  org_id: string;
  /** 'YYYY-MM-01' */
  month: string;
  category: string;
  /** Null: in the community. */
  site_id: string | null;
  incidents: number;
  medical_factors: number;
  late: number;
  police: number;
  injured: number;
  open: number;
  closed: number;
  closure_seconds: number;
  sanctions: number;
  sanctioned: number;
  redress_cases: number;
  redress_sought_pence: number;
  redress_recovered_pence: number;
  redress_recovered_cases: number;
}
/** The same measures without the site (dashboards not filtered by site). */
export type IncidentMonthRollupsTable = Omit<IncidentRollupsTable, 'site_id'>;
/** Incidents by month and place, any category. */
export interface IncidentPlaceRollupsTable {
  org_id: string;
  month: string;
  site_id: string | null;
  department_id: string | null;
  incidents: number;
}
export interface IncidentDepartmentRollupsTable {
  org_id: string;
  month: string;
  category: string;
  site_id: string | null;
  department_id: string | null;
  incidents: number;
}
/** Open cases by the day they fall due (overdue the day after). */
export interface IncidentOpenRollupsTable {
  org_id: string;
  month: string;
  category: string;
  site_id: string | null;
  /** 'YYYY-MM-DD' */
  due_on: string;
  open: number;
}
/** Organisation × financial year: the figures of the 004 peer table. */
export interface IncidentYearRollupsTable {
  org_id: string;
  financial_year: number;
  incidents: number;
  physical_assaults: number;
  physical_assaults_medical: number;
}
/** Historic figures as published (004), imported from CSV. */
export interface PublishedStatisticsTable {
  org_id: string;
  financial_year: number;
  physical_assaults: number;
  physical_assaults_medical: number;
  staff: number;
  source: string | null;
  imported_by: string | null;
  imported_at: Generated<Date>;
}
/** Staff-survey figures per organisation and financial year (000 §8.2: perception). Percentages, one decimal. */
export interface StaffSurveyResultsTable {
  org_id: string;
  financial_year: number;
  respondents: number | null;
  /** numeric(4,1): sent as numbers, read back as strings unless cast. */
  physical_violence_public: ColumnType<string, number, number>;
  abuse_public: ColumnType<string | null, number | null, number | null>;
  violence_reported: ColumnType<string | null, number | null, number | null>;
  entered_by: string | null;
  updated_at: Generated<Date>;
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
  password_resets: PasswordResetsTable;
  recovery_codes: RecoveryCodesTable;
  user_identities: UserIdentitiesTable;
  oidc_sign_ins: OidcSignInsTable;
  api_tokens: ApiTokensTable;
  commissioning: CommissioningTable;
  incidents: IncidentsTable;
  incident_reference_counters: IncidentReferenceCountersTable;
  incident_people: IncidentPeopleTable;
  incident_events: IncidentEventsTable;
  incident_versions: IncidentVersionsTable;
  incident_drafts: IncidentDraftsTable;
  warning_markers: WarningMarkersTable;
  warning_marker_incidents: WarningMarkerIncidentsTable;
  warning_marker_reviews: WarningMarkerReviewsTable;
  marker_request_decisions: MarkerRequestDecisionsTable;
  case_settings: CaseSettingsTable;
  case_investigations: CaseInvestigationsTable;
  case_log_entries: CaseLogEntriesTable;
  case_attachments: CaseAttachmentsTable;
  case_sanctions: CaseSanctionsTable;
  case_outcomes: CaseOutcomesTable;
  case_no_sanction_advice: CaseNoSanctionAdviceTable;
  case_closures: CaseClosuresTable;
  case_investigation_history: CaseInvestigationHistoryTable;
  case_escalations: CaseEscalationsTable;
  standards_frameworks: StandardsFrameworksTable;
  self_reviews: SelfReviewsTable;
  self_review_ratings: SelfReviewRatingsTable;
  self_review_evidence: SelfReviewEvidenceTable;
  self_review_versions: SelfReviewVersionsTable;
  self_review_events: SelfReviewEventsTable;
  annual_reports: AnnualReportsTable;
  annual_report_reopenings: AnnualReportReopeningsTable;
  incident_rollups: IncidentRollupsTable;
  incident_month_rollups: IncidentMonthRollupsTable;
  incident_place_rollups: IncidentPlaceRollupsTable;
  incident_department_rollups: IncidentDepartmentRollupsTable;
  incident_open_rollups: IncidentOpenRollupsTable;
  incident_year_rollups: IncidentYearRollupsTable;
  published_statistics: PublishedStatisticsTable;
  staff_survey_results: StaffSurveyResultsTable;
}
