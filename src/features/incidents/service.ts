import { createHash, randomUUID } from 'node:crypto';
import type { Database, Tx } from '../../db/database.ts';
import {
  type AggravatingFactor,
  assessLateness,
  CATEGORY_DEFINITIONS,
  type Examined,
  type IncidentCategory,
  type IncidentStatus,
  isClosed,
  londonYear,
  type MedicalFactors,
  type PersonType,
  STATUS_LABELS,
} from '../../domain/incidents.ts';
import { authorize } from '../../platform/access/policy.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit, auditRecord } from '../../platform/audit.ts';
import { createBatcher } from '../../platform/batcher.ts';
import { conflict, type FieldError, forbidden, invalid, notFound } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { DuplicateKey, incidentsRepository as repo, report } from './repository.ts';
import { draftValues, type FormValues, formToInput, type IncidentInput, idempotencyKey, incidentDraftInput, incidentInput, nulFields } from './schema.ts';

type Reporter = Extract<Actor, { kind: 'user' }> & { orgId: string };
type Row<T> = T extends Promise<infer R> ? R : never;
type SummaryRow = NonNullable<Row<ReturnType<typeof repo.findByKey>>>;
type DetailRow = NonNullable<Row<ReturnType<typeof repo.findBySubmitter>>>;
type PersonRow = Row<ReturnType<typeof repo.people>>[number];

/**
 * Whose idempotency keys and reports these are: the person, or for an organisation's service token (whose actor
 * carries the token id as its user id, src/features/tokens) the token. Equals the `submitter` column.
 */
const submitterOf = (a: Reporter) => a.userId;
/** The person reporting, or null for a service token (an integration, not a user). */
const personOf = (a: Reporter) => (a.tokenId && a.userId === a.tokenId ? null : a.userId);

const fingerprint = (input: IncidentInput) => createHash('sha256').update(JSON.stringify(input)).digest('hex');

export type IncidentSummary = ReturnType<typeof summary>;
export type IncidentDetail = ReturnType<typeof detail>;
export type SubmitResult = { incident: IncidentSummary; created: boolean };

function summary(r: SummaryRow) {
  const status = r.status as IncidentStatus;
  const category = r.category as IncidentCategory;
  return {
    id: r.id,
    reference: r.reference,
    status,
    statusLabel: STATUS_LABELS[status],
    category,
    categoryLabel: CATEGORY_DEFINITIONS[category].label,
    occurredAt: r.occurred_at,
    reportedAt: r.reported_at,
    late: r.is_late,
    lateReason: r.late_reason,
    outcomeSummary: r.outcome_summary,
    supportOffered: r.support_offered,
  };
}

const personOut = (p: PersonRow) => ({
  type: p.person_type as PersonType,
  name: p.name,
  dateOfBirth: p.date_of_birth,
  staffRole: p.staff_role,
  description: p.description,
});

/** The columns of a report that its reporter gave, which a correction may change (kept in `incident_versions`). */
const REPORTED = [
  'category',
  'occurred_at',
  'shift_ends_at',
  'location_kind',
  'site_id',
  'department_id',
  'location_detail',
  'community_address',
  'medical_factors',
  'aggravating_factors',
  'injured',
  'injury_description',
  'examined_within_48h',
  'police_involved',
  'police_attended',
  'police_officer_name',
  'police_officer_number',
  'police_station',
  'crime_reference',
  'cad_number',
  'property_description',
  'property_value_pence',
  'witnesses',
  'narrative',
  'marker_requested',
  'marker_reason',
] as const;
const DATES = new Set<string>(['occurred_at', 'shift_ends_at']);

/**
 * The report as its reporter sent it: the current row with the reported columns of the first kept version (the
 * snapshot case management took before its first correction, as JSON), or the row itself if never corrected.
 */
function asReported(r: DetailRow, first: Record<string, unknown> | undefined): DetailRow {
  if (!first) return r;
  const out: Record<string, unknown> = { ...r };
  for (const k of REPORTED) {
    if (!(k in first)) continue;
    const v = first[k];
    out[k] = DATES.has(k) && typeof v === 'string' ? new Date(v) : v;
  }
  // the names shown are today's names of the places: only when the place is the one reported
  if (out.site_id !== r.site_id) out.site_name = null;
  if (out.department_id !== r.department_id) out.department_name = null;
  return out as DetailRow;
}

export function detail(r: DetailRow, people: PersonRow[], events: { at: Date; to_status: string }[]) {
  return {
    ...summary(r),
    shiftEndsAt: r.shift_ends_at,
    location: {
      kind: r.location_kind,
      siteId: r.site_id,
      siteName: r.site_name,
      departmentId: r.department_id,
      departmentName: r.department_name,
      detail: r.location_detail,
      communityAddress: r.community_address,
    },
    affected: people.filter((p) => p.involvement === 'affected').map(personOut),
    assailants: people.filter((p) => p.involvement === 'assailant').map(personOut),
    injured: r.injured,
    injuryDescription: r.injury_description,
    examinedWithin48h: r.examined_within_48h as Examined | null,
    medicalFactors: r.medical_factors as MedicalFactors | null,
    aggravatingFactors: r.aggravating_factors as AggravatingFactor[],
    police: {
      involved: r.police_involved,
      attended: r.police_attended,
      officerName: r.police_officer_name,
      officerNumber: r.police_officer_number,
      station: r.police_station,
      crimeReference: r.crime_reference,
      cadNumber: r.cad_number,
    },
    propertyDescription: r.property_description,
    propertyValuePence: r.property_value_pence,
    witnesses: r.witnesses,
    narrative: r.narrative,
    markerRequest: { requested: r.marker_requested, reason: r.marker_reason },
    version: r.version,
    // the progress of the report: a status once each time it is reached (a re-triage records an event that keeps
    // the status, with the security team's reasons, which are not the reporter's to read)
    history: events
      .filter((e, i) => i === 0 || e.to_status !== events[i - 1]?.to_status)
      .map((e) => ({ at: e.at, status: e.to_status as IncidentStatus, statusLabel: STATUS_LABELS[e.to_status as IncidentStatus] })),
  };
}

/** What a report will look like, before it exists: the check-your-answers page. */
export type IncidentPreview = Pick<
  IncidentDetail,
  | 'category'
  | 'categoryLabel'
  | 'occurredAt'
  | 'shiftEndsAt'
  | 'location'
  | 'affected'
  | 'assailants'
  | 'injured'
  | 'injuryDescription'
  | 'examinedWithin48h'
  | 'medicalFactors'
  | 'aggravatingFactors'
  | 'police'
  | 'propertyDescription'
  | 'propertyValuePence'
  | 'witnesses'
  | 'narrative'
  | 'markerRequest'
>;

function preview(i: IncidentInput, names: { siteName: string | null; departmentName: string | null }): IncidentPreview {
  const people = (list: IncidentInput['affected'] | IncidentInput['assailants']) =>
    list.map((p) => ({
      type: p.type,
      name: p.name ?? null,
      dateOfBirth: p.dateOfBirth ?? null,
      staffRole: p.staffRole ?? null,
      description: p.description ?? null,
    }));
  return {
    category: i.category,
    categoryLabel: CATEGORY_DEFINITIONS[i.category].label,
    occurredAt: i.occurredAt,
    shiftEndsAt: i.shiftEndsAt,
    location: {
      kind: i.locationKind,
      siteId: i.siteId,
      siteName: names.siteName,
      departmentId: i.departmentId,
      departmentName: names.departmentName,
      detail: i.locationDetail,
      communityAddress: i.communityAddress,
    },
    affected: people(i.affected),
    assailants: people(i.assailants),
    injured: i.injured,
    injuryDescription: i.injuryDescription,
    examinedWithin48h: i.examinedWithin48h,
    medicalFactors: i.medicalFactors,
    aggravatingFactors: i.aggravatingFactors,
    police: {
      involved: i.policeInvolved,
      attended: i.policeAttended,
      officerName: i.policeOfficerName,
      officerNumber: i.policeOfficerNumber,
      station: i.policeStation,
      crimeReference: i.crimeReference,
      cadNumber: i.cadNumber,
    },
    propertyDescription: i.propertyDescription,
    propertyValuePence: i.propertyValuePence,
    witnesses: i.witnesses,
    narrative: i.narrative,
    markerRequest: { requested: i.markerRequested, reason: i.markerReason },
  };
}

/** The site and department must be the organisation's own, and the department at the chosen site. */
async function checkPlaces(tx: Tx, orgId: string, i: IncidentInput) {
  const problems: FieldError[] = [];
  let siteName: string | null = null;
  let departmentName: string | null = null;
  if (i.siteId) {
    const s = await repo.findSite(tx, orgId, i.siteId);
    if (s) siteName = s.name;
    else problems.push({ field: 'siteId', message: 'Select the site from the list' });
  }
  if (i.departmentId) {
    const d = await repo.findDepartment(tx, orgId, i.departmentId);
    if (!d) problems.push({ field: 'departmentId', message: 'Select the department or service from the list' });
    else if (d.site_id && i.siteId && d.site_id !== i.siteId)
      problems.push({ field: 'departmentId', message: 'Select a department or service at the site you chose' });
    else departmentName = d.name;
  }
  if (problems.length) throw invalid(problems);
  return { siteName, departmentName };
}

/** The fingerprint of the report a draft's values make, or undefined when they do not make one yet. */
const draftPrint = (values: FormValues) => {
  const parsed = incidentInput.safeParse(formToInput(values));
  return parsed.success ? fingerprint(parsed.data) : undefined;
};

const draftKey = (values: FormValues) => {
  const k = values.idempotencyKey;
  return typeof k === 'string' && idempotencyKey.safeParse(k).success ? k : undefined;
};

/** How many unsent API drafts one person may keep in one organisation. */
const MAX_API_DRAFTS = 100;

type ApiDraftRow = { id: string; data: unknown; created_at: Date; updated_at: Date };

/** An API draft as answered: its saved fields, and the problems that stop it being sent yet. */
function apiDraftOut(d: ApiDraftRow) {
  const report = (d.data ?? {}) as Record<string, unknown>;
  const checked = incidentInput.safeParse(report);
  const problems: FieldError[] = [];
  if (!checked.success) {
    const seen = new Set<string>();
    for (const issue of checked.error.issues) {
      const field = issue.path.join('.') || 'form';
      if (seen.has(field)) continue;
      seen.add(field);
      problems.push({ field, message: issue.message });
    }
  }
  return { id: d.id, createdAt: d.created_at, updatedAt: d.updated_at, report, complete: checked.success, problems };
}

/**
 * Incident reporting (SPEC C2): drafts, check-your-answers, idempotent submission with a per-organisation
 * reference, and the reporter's own reports. Every method checks access first; every write is audited in its
 * transaction; every read of a report's personal data (people, narrative) is audited.
 */
export function incidentsService(db: Database) {
  const reporter = (actor: Actor | null, action: 'incident.report' | 'incident.read_own'): Reporter => {
    const a = authorize(actor, action, actor?.kind === 'user' ? actor.orgId : undefined);
    if (a.kind !== 'user' || !a.orgId) throw forbidden('Incidents are reported by a person acting for an organisation.');
    return a as Reporter;
  };

  /**
   * The API's reports, queued by year and stored together (platform/batcher.ts; repository `insertMany`, or
   * `insert` for a report that goes alone): a report waits only while the previous call runs, and is answered once
   * the call that carried it has committed. `null`: the submitter's key was already taken, nothing was written.
   */
  const intake = createBatcher(async (year: string, reports: ReturnType<typeof report>[]) =>
    reports.length === 1 ? [await repo.insert(db, Number(year), reports[0] as ReturnType<typeof report>)] : repo.insertMany(db, Number(year), reports),
  );

  /**
   * Numbers, stores and audits a new report: in the form's transaction (`tx`), or, for the API (`tx` null), through
   * the intake queue, each call being its own transaction. Throws `DuplicateKey` when the key is taken.
   */
  async function create(tx: Tx | null, a: Reporter, input: IncidentInput, key: string, print: string, via: 'form' | 'api') {
    const reportedAt = new Date();
    const lateness = assessLateness({ occurredAt: input.occurredAt, reportedAt, shiftEndsAt: input.shiftEndsAt });
    const year = londonYear(reportedAt);
    const fresh = {
      orgId: a.orgId,
      year,
      reportedAt,
      reportedBy: personOf(a),
      reportedByToken: a.tokenId ?? null,
      input,
      late: lateness.late,
      lateReason: lateness.reason,
      idempotencyKey: key,
      fingerprint: print,
    };
    // No personal data in the trail: the incident holds it, and reads of it are audited. The database adds the
    // incident's id and reference.
    const event = auditRecord(a, {
      action: 'incident.create',
      orgId: a.orgId,
      objectType: 'incident',
      detail: { category: input.category, late: lateness.late, via },
    });
    const r = report(fresh, personOf(a), event);
    const row = tx ? await repo.insert(tx, year, r) : await intake.submit(String(year), r);
    if (!row) throw new DuplicateKey();
    return {
      incident: summary({
        id: row.id,
        reference: row.reference,
        status: row.status,
        category: input.category,
        occurred_at: input.occurredAt,
        reported_at: row.reported_at,
        is_late: lateness.late,
        late_reason: lateness.reason,
        outcome_summary: null,
        support_offered: null,
        idempotency_fingerprint: print,
      }),
      created: true,
    };
  }

  /** The report this submitter already sent with `key`; with `print`, refused (409) if it was a different report. */
  async function existing(tx: Tx, a: Reporter, key: string, print?: string) {
    const found = await repo.findByKey(tx, a.orgId, submitterOf(a), key);
    if (found && print !== undefined && found.idempotency_fingerprint !== print)
      throw conflict('idempotencyKey', 'This Idempotency-Key was already used for a different report. Use a new key for a new report.');
    return found ? { incident: summary(found), created: false } : undefined;
  }

  /** Runs a reporting transaction; if a concurrent duplicate won the race, runs it again to return that one. */
  async function withRetry<T>(orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await inScope(db, { orgId }, fn);
      } catch (err) {
        if (!(err instanceof DuplicateKey) || attempt >= 2) throw err;
      }
    }
  }

  /** A person reporting: drafts are a person's, so a service token (an integration acting as itself) has none. */
  const drafter = (actor: Actor | null): Reporter => {
    const a = reporter(actor, 'incident.report');
    if (personOf(a) === null) throw forbidden('Drafts belong to a person. A service token sends reports directly with POST /api/v1/incidents.');
    return a;
  };

  /** An API draft's fields, checked one by one (400 naming each bad one), as stored: JSON, no unknown fields. */
  async function draftFields(tx: Tx, a: Reporter, raw: unknown) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw invalid([{ field: 'form', message: 'Send the draft as a JSON object of report fields' }]);
    const parsed = parse(incidentDraftInput, raw);
    if (parsed.siteId || parsed.departmentId) await checkPlaces(tx, a.orgId, parsed as IncidentInput);
    return JSON.parse(JSON.stringify(parsed)) as Record<string, unknown>;
  }

  const draftAudit = (tx: Tx, a: Reporter, action: 'incident.draft_save' | 'incident.draft_discard', id: string) =>
    audit(tx, a, { action, orgId: a.orgId, objectType: 'incident_draft', objectId: id, detail: { via: 'api' } });

  return {
    // ---- drafts through the JSON API (issue 4 item 15) -----------------------------------------------------

    /** The person's unsent API drafts, most recently saved first. */
    async listApiDrafts(actor: Actor | null) {
      const a = drafter(actor);
      return inScope(db, { orgId: a.orgId }, async (tx) => (await repo.apiDrafts(tx, a.orgId, a.userId)).map(apiDraftOut));
    },

    /** One of the person's API drafts; anyone else's is "not found". */
    async getApiDraft(actor: Actor | null, id: string) {
      const a = drafter(actor);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const d = await repo.apiDraft(tx, a.orgId, a.userId, id);
        if (!d) throw notFound('draft');
        return apiDraftOut(d);
      });
    },

    /** Starts an API draft with the fields given (any, even none); a bad value is refused and nothing is written. */
    async createApiDraft(actor: Actor | null, raw: unknown) {
      const a = drafter(actor);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const data = await draftFields(tx, a, raw ?? {});
        if ((await repo.countApiDrafts(tx, a.orgId, a.userId)) >= MAX_API_DRAFTS)
          throw conflict('form', `You have ${MAX_API_DRAFTS} unsent drafts. Send or delete some before starting another.`);
        const d = await repo.insertApiDraft(tx, a.orgId, a.userId, data);
        await draftAudit(tx, a, 'incident.draft_save', d.id);
        return apiDraftOut(d);
      });
    },

    /** Replaces an API draft's fields with those given. */
    async saveApiDraft(actor: Actor | null, id: string, raw: unknown) {
      const a = drafter(actor);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        if (!(await repo.apiDraft(tx, a.orgId, a.userId, id, true))) throw notFound('draft');
        const data = await draftFields(tx, a, raw);
        const d = await repo.updateApiDraft(tx, a.orgId, a.userId, id, data);
        if (!d) throw notFound('draft');
        await draftAudit(tx, a, 'incident.draft_save', id);
        return apiDraftOut(d);
      });
    },

    /** Deletes an API draft, as the form's "Delete this draft" does. */
    async deleteApiDraft(actor: Actor | null, id: string) {
      const a = drafter(actor);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        if (!(await repo.deleteApiDraft(tx, a.orgId, a.userId, id))) throw notFound('draft');
        await draftAudit(tx, a, 'incident.draft_discard', id);
      });
    },

    /**
     * Sends an API draft as a report, idempotently as POST /api/v1/incidents: the key is the Idempotency-Key
     * header, or else the draft's own id, so a retry after the report was made (the draft is gone then) answers
     * with that report (`created: false`), never a second one; the same key with a different report is refused
     * (409). An incomplete draft is refused (400, each problem by field) and kept.
     */
    async submitApiDraft(actor: Actor | null, id: string, key?: unknown): Promise<SubmitResult> {
      const a = drafter(actor);
      let k = `draft-${id}`;
      if (key !== undefined) {
        const parsedKey = idempotencyKey.safeParse(key);
        if (!parsedKey.success) throw invalid([{ field: 'Idempotency-Key', message: parsedKey.error.issues[0]?.message ?? 'Invalid Idempotency-Key' }]);
        k = parsedKey.data;
      }
      return withRetry(a.orgId, async (tx) => {
        const d = await repo.apiDraft(tx, a.orgId, a.userId, id, true);
        if (!d) {
          // sent already (a retry), or never the caller's: only the caller's own report with this key is answered
          const sent = await existing(tx, a, k);
          if (sent) return sent;
          throw notFound('draft');
        }
        const input = parse(incidentInput, d.data);
        const print = fingerprint(input);
        const sent = await existing(tx, a, k, print);
        if (sent) {
          // this very report was already sent with the key: the draft is that report
          await repo.deleteApiDraft(tx, a.orgId, a.userId, id);
          return sent;
        }
        await checkPlaces(tx, a.orgId, input);
        const made = await create(tx, a, input, k, print, 'api');
        await repo.deleteApiDraft(tx, a.orgId, a.userId, id);
        return made;
      });
    },

    /** Sites and departments of the acting organisation, for the "where" question. */
    async formOptions(actor: Actor | null) {
      const a = reporter(actor, 'incident.report');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const [sites, departments] = await Promise.all([repo.sites(tx, a.orgId), repo.departments(tx, a.orgId)]);
        return { sites, departments: departments.map((d) => ({ id: d.id, name: d.name, siteId: d.site_id })) };
      });
    },

    /** The reporter's saved draft (form values), if any. */
    async draft(actor: Actor | null): Promise<{ values: FormValues; savedAt: Date } | null> {
      const a = reporter(actor, 'incident.report');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const d = await repo.draft(tx, a.orgId, a.userId);
        return d ? { values: d.data as FormValues, savedAt: d.updated_at } : null;
      });
    },

    /**
     * Saves the form values as the reporter's draft. With `complete`, the values must make a valid report first
     * (the "Continue" button: the draft then feeds check-your-answers); bad input writes nothing.
     *
     * The form carries its idempotency key from the first page to "Send report". When that key has already made
     * a report (the form sent from another tab, or reopened with the back button; issue 4 item 3):
     * - the same answers are that report, sent again: `sent` names it and no draft is kept, so a repeat never
     *   makes a second incident;
     * - other answers are a new report: the draft gets a new key, and remembers the used one (`sentKey`) so the
     *   check page can say that a report was already sent from this form. Nothing typed is lost, and the draft
     *   never stays tied to a key whose every submission would return the earlier report.
     */
    async saveDraft(
      actor: Actor | null,
      body: Record<string, unknown>,
      options: { complete: boolean },
    ): Promise<{ savedAt: Date; idempotencyKey: string } | { sent: IncidentSummary }> {
      const a = reporter(actor, 'incident.report');
      const values = draftValues(body);
      delete values.sentKey; // the server's, never the browser's
      const posted = draftKey(values);
      values.idempotencyKey = posted ?? randomUUID();
      const input = options.complete ? parse(incidentInput, formToInput(values)) : undefined;
      const nul = nulFields(values);
      if (nul.length) throw invalid(nul);
      const print = input ? fingerprint(input) : undefined;
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        if (input) await checkPlaces(tx, a.orgId, input);
        const stored = (await repo.draft(tx, a.orgId, a.userId))?.data as FormValues | undefined;
        const sameDraft = !!stored && !!posted && draftKey(stored) === posted;
        const used = posted ? await repo.findByKey(tx, a.orgId, submitterOf(a), posted) : undefined;
        const sentKey = used ? posted : sameDraft && typeof stored?.sentKey === 'string' ? stored.sentKey : undefined;
        const sent = used ?? (sentKey ? await repo.findByKey(tx, a.orgId, submitterOf(a), sentKey) : undefined);
        if (sent && print && sent.idempotency_fingerprint === print) {
          // the report already sent, sent again: drop the draft only if it holds these same answers
          if (sameDraft && stored && draftPrint(stored) === print) await repo.deleteDraft(tx, a.orgId, a.userId);
          return { sent: summary(sent) };
        }
        if (used) values.idempotencyKey = randomUUID();
        if (sentKey && sent) values.sentKey = sentKey;
        const saved = await repo.saveDraft(tx, a.orgId, a.userId, values);
        await audit(tx, a, {
          action: 'incident.draft_save',
          orgId: a.orgId,
          objectType: 'incident_draft',
          objectId: a.userId,
          detail: { complete: !!input, ...(used ? { newKey: true } : {}) },
        });
        return { savedAt: saved.updated_at, idempotencyKey: values.idempotencyKey as string };
      });
    },

    async discardDraft(actor: Actor | null) {
      const a = reporter(actor, 'incident.report');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const deleted = await repo.deleteDraft(tx, a.orgId, a.userId);
        if (deleted) await audit(tx, a, { action: 'incident.draft_discard', orgId: a.orgId, objectType: 'incident_draft', objectId: a.userId });
        return deleted;
      });
    },

    /**
     * The draft as it would be submitted, for check-your-answers: null when there is no draft or it is not a
     * complete report yet (the form shows why). `fingerprint` goes back with "Send report", so that what is sent
     * is what was checked; `sentBefore` is the report already sent from this form, when these answers differ.
     */
    async review(actor: Actor | null) {
      const a = reporter(actor, 'incident.report');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const d = await repo.draft(tx, a.orgId, a.userId);
        if (!d) return null;
        const values = d.data as FormValues;
        const key = draftKey(values);
        const parsed = incidentInput.safeParse(formToInput(values));
        if (!key || !parsed.success) return null;
        const names = await checkPlaces(tx, a.orgId, parsed.data).catch(() => null);
        if (!names) return null;
        const lateness = assessLateness({ occurredAt: parsed.data.occurredAt, reportedAt: new Date(), shiftEndsAt: parsed.data.shiftEndsAt });
        const earlier = typeof values.sentKey === 'string' ? await repo.findByKey(tx, a.orgId, submitterOf(a), values.sentKey) : undefined;
        return {
          idempotencyKey: key,
          fingerprint: fingerprint(parsed.data),
          report: preview(parsed.data, names),
          lateness,
          sentBefore: earlier ? { id: earlier.id, reference: earlier.reference } : null,
        };
      });
    },

    /**
     * Submits the reporter's checked draft. `key` is the idempotency key the check page carried, `reviewed` the
     * fingerprint of the answers it showed. A repeat (double click, reload, back and resubmit) returns the incident
     * already made with the key. `stale` means there is nothing to send as checked: no draft with this key (never
     * checked, or sent and replaced), or, with `changed`, the draft holds other answers than the page showed
     * (changed in another tab) or than the key already sent; those answers stay in the draft, under a new key when
     * the old one is used, for the reporter to check again (issue 4 item 3).
     */
    async submitDraft(actor: Actor | null, key: unknown, reviewed?: unknown): Promise<SubmitResult | { stale: true; changed?: boolean }> {
      const a = reporter(actor, 'incident.report');
      const k = idempotencyKey.safeParse(key);
      if (!k.success) return { stale: true };
      const checked = typeof reviewed === 'string' && /^[0-9a-f]{64}$/.test(reviewed) ? reviewed : undefined;
      return withRetry(a.orgId, async (tx) => {
        // The draft is read before the key: a concurrent submission that commits between the two reads is then
        // seen as sent (its key) rather than as a missing draft.
        const d = await repo.draft(tx, a.orgId, a.userId);
        const values = d?.data as FormValues | undefined;
        const mine = !!values && draftKey(values) === k.data;
        const sent = await repo.findByKey(tx, a.orgId, submitterOf(a), k.data);
        if (sent) {
          const repeat = { incident: summary(sent), created: false };
          if (mine && values) {
            if (draftPrint(values) === sent.idempotency_fingerprint) {
              await repo.deleteDraft(tx, a.orgId, a.userId);
              return repeat;
            }
            // other answers under a key already used: a new report, kept in the draft under a new key
            const rekeyed = { ...values, idempotencyKey: randomUUID(), sentKey: k.data };
            await repo.saveDraft(tx, a.orgId, a.userId, rekeyed);
            await audit(tx, a, {
              action: 'incident.draft_save',
              orgId: a.orgId,
              objectType: 'incident_draft',
              objectId: a.userId,
              detail: { complete: true, newKey: true },
            });
            return { stale: true as const, changed: true };
          }
          // the checked page showed other answers than the report this key made: show the draft again
          if (checked && checked !== sent.idempotency_fingerprint) return { stale: true as const, changed: true };
          return repeat;
        }
        if (!mine || !values) return { stale: true as const };
        const input = parse(incidentInput, formToInput(values));
        const print = fingerprint(input);
        if (checked && checked !== print) return { stale: true as const, changed: true };
        await checkPlaces(tx, a.orgId, input);
        const made = await create(tx, a, input, k.data, print, 'form');
        await repo.deleteDraft(tx, a.orgId, a.userId);
        return made;
      });
    },

    /**
     * Submits a report in one request (JSON API). With an idempotency key, a retry returns the incident made by
     * the first attempt (`created: false`); the same key with a different report is refused (409).
     */
    async submit(actor: Actor | null, raw: unknown, key?: unknown): Promise<SubmitResult> {
      const a = reporter(actor, 'incident.report');
      let k: string = randomUUID();
      if (key !== undefined) {
        const parsedKey = idempotencyKey.safeParse(key);
        if (!parsedKey.success) throw invalid([{ field: 'Idempotency-Key', message: parsedKey.error.issues[0]?.message ?? 'Invalid Idempotency-Key' }]);
        k = parsedKey.data;
      }
      const input = parse(incidentInput, raw);
      const print = fingerprint(input);
      if (input.siteId || input.departmentId) await inScope(db, { orgId: a.orgId }, (tx) => checkPlaces(tx, a.orgId, input));
      // Insert first: a retry with the same key is the rare case, and is answered from the report it made.
      try {
        return await create(null, a, input, k, print, 'api');
      } catch (err) {
        if (!(err instanceof DuplicateKey)) throw err;
        const sent = await inScope(db, { orgId: a.orgId }, (tx) => existing(tx, a, k, print));
        if (!sent) throw err; // cannot happen: a key conflicts only with a committed report, and none is deleted
        return sent;
      }
    },

    /** The reporter's own reports, newest first: status and feedback, no personal data. */
    async listMine(actor: Actor | null) {
      const a = reporter(actor, 'incident.read_own');
      return inScope(db, { orgId: a.orgId }, async (tx) => (await repo.listBySubmitter(tx, a.orgId, submitterOf(a))).map(summary));
    },

    /** The reference of one of the reporter's reports, for the confirmation page. */
    async confirmation(actor: Actor | null, id: string) {
      const a = reporter(actor, 'incident.read_own');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const r = await repo.referenceBySubmitter(tx, a.orgId, submitterOf(a), id);
        if (!r) throw notFound('report');
        return { id: r.id, reference: r.reference, late: r.is_late, lateReason: r.late_reason };
      });
    },

    /**
     * One of the reporter's own reports in full, with its status history (dates and statuses only: who changed
     * it is not the reporter's to see). Someone else's report, or another organisation's, is "not found".
     * The read of personal data is audited in the same transaction.
     *
     * The report is shown as the reporter sent it, even after the security team corrected it: a correction
     * (case management) rewrites the narrative or the type of incident, and the reporter must not read someone
     * else's words as theirs. That it was corrected, and when, is feedback they are owed (000 §7.2.6); what the
     * correction says is the case's record, for the people handling it.
     */
    async getMine(actor: Actor | null, id: string) {
      const a = reporter(actor, 'incident.read_own');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const r = await repo.findBySubmitter(tx, a.orgId, submitterOf(a), id);
        if (!r) throw notFound('report');
        const [people, events, versions, marker] = await Promise.all([
          repo.people(tx, a.orgId, id),
          repo.events(tx, a.orgId, id),
          repo.versions(tx, a.orgId, id),
          // what became of a marker request, read only when one was made
          r.marker_requested ? repo.markerAnswer(tx, a.orgId, id) : { placed: false, declined: false },
        ]);
        await audit(tx, a, {
          action: 'incident.read_personal',
          orgId: a.orgId,
          objectType: 'incident',
          objectId: id,
          detail: { reference: r.reference, as: 'reporter' },
        });
        const first = versions[0]?.snapshot as Record<string, unknown> | undefined;
        return {
          ...detail(asReported(r, first), people, events),
          corrected: versions.length > 0,
          correctedAt: versions.at(-1)?.changed_at ?? null,
          // 000 §7.2.6: what became of the marker they asked for (a marker placed answers it, even after a decision)
          markerAnswer: !r.marker_requested
            ? 'not_asked'
            : marker.placed
              ? 'placed'
              : marker.declined
                ? 'not_needed'
                : isClosed(r.status)
                  ? 'not_placed'
                  : 'waiting',
        } as const;
      });
    },
  };
}

export type IncidentsService = ReturnType<typeof incidentsService>;
