import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, Tx } from '../../db/database.ts';
import { longDate } from '../../domain/dates.ts';
import {
  CATEGORY_DEFINITIONS,
  CLOSED_CASE,
  canTransition,
  type IncidentCategory,
  type IncidentStatus,
  isClosed,
  londonParts,
  OVERDUE_AFTER_DAYS,
  STATUS_LABELS,
  unassignedOverdueBefore,
} from '../../domain/incidents.ts';
import { PERSONAL_FIELD_LABELS, PERSONAL_FIELDS, redactIncident } from '../../domain/personal-data.ts';
import { authorize, can } from '../../platform/access/policy.ts';
import { type Actor, type Role, systemActor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { conflict, type FieldError, forbidden, invalid, notFound } from '../../platform/errors.ts';
import { pathFor } from '../../platform/links.ts';
import { exclusively, LOCKS } from '../../platform/locks.ts';
import type { Mailer } from '../../platform/mail.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { personalAccess } from '../cases-list/personal-data.ts';
import { incidentsRepository } from '../incidents/repository.ts';
import { detail } from '../incidents/service.ts';
import { casesRepository as repo } from './repository.ts';
import {
  correction,
  investigation,
  LOG_KIND_LABELS,
  logEntry,
  noSanction,
  REDRESS_ROUTE_LABELS,
  redress,
  SANCTIONS,
  type Sanction,
  SEVERITY_LABELS,
  sanction as sanctionSchema,
  settings as settingsSchema,
  statusChange,
  support,
  triage,
} from './schema.ts';

type Member = Extract<Actor, { kind: 'user' }> & { orgId: string };

/** Days a manager's investigation is given when the organisation has not set its own (`002 std 4.1`: timely). */
export const DEFAULT_INVESTIGATION_DAYS = 14;
/** Largest attachment accepted. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** Allowed attachment types: photos and PDF documents, recognised by their first bytes as well as their name. */
const FILE_TYPES = [
  { type: 'image/jpeg', extensions: ['.jpg', '.jpeg'], magic: [0xff, 0xd8, 0xff] },
  { type: 'image/png', extensions: ['.png'], magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'application/pdf', extensions: ['.pdf'], magic: [0x25, 0x50, 0x44, 0x46, 0x2d] },
] as const;

/** The content type of an upload, or a message saying why it is refused. Name and content must agree. */
export function detectFileType(fileName: string, data: Buffer): { type: string } | { error: string } {
  const lower = fileName.toLowerCase();
  const byName = FILE_TYPES.find((t) => t.extensions.some((e) => lower.endsWith(e)));
  if (!byName) return { error: 'The file must be a photo (JPEG or PNG) or a PDF document' };
  const byContent = FILE_TYPES.find((t) => t.magic.every((b, i) => data[i] === b));
  if (!byContent || byContent.type !== byName.type) return { error: `The file's content is not a ${byName.extensions[0]?.slice(1).toUpperCase()} file` };
  return { type: byName.type };
}

/** Today's date in England as `YYYY-MM-DD`, plus `days`. */
export function londonDay(instant: Date, days = 0): string {
  const p = londonParts(instant);
  return new Date(Date.UTC(p.year, p.month - 1, p.day + days)).toISOString().slice(0, 10);
}

/** Why overdue work is not escalated without e-mail (`escalateOverdue`). */
export const ESCALATION_NEEDS_MAIL =
  'SMTP_URL is not set, so the e-mails could not be sent: nothing was escalated. Set SMTP_URL (and MAIL_FROM) and run it again.';

export type CasesDeps = {
  mailer: Mailer;
  attachmentsDir: string;
  baseUrl?: string;
  /** Where a failure to send an e-mail is written (stderr when not given). */
  log?: (line: string) => void;
};

/**
 * An e-mail about a case, sent once the change that prompted it has committed. It ends with a link to the case
 * page, or to `link` (the reporter's own report page, for a reporter).
 */
type CaseNotice = { to: string; subject: string; lines: string[]; link?: { text: string; path: string } };

/**
 * An API update that keeps what it is not told about: a field not sent keeps its stored value, a field sent as
 * null (or blank) clears it. Web forms send every field pre-filled, so for them this changes nothing. The result
 * is validated as a whole, so rules across fields (a date with the support offered) see the stored values too.
 */
function keepUnsent(raw: unknown, stored: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stored)) if (v !== null && v !== undefined) out[k] = v;
  const sent = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(sent)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** What a case looked like before a correction: its report columns, kept in `incident_versions`. */
function snapshot(row: Record<string, unknown>) {
  const { search: _s, site_name: _a, department_name: _b, ...rest } = row;
  return rest;
}

/**
 * Case management (SPEC C3): triage, status changes along STATUS_TRANSITIONS, corrections as new versions, the
 * manager's investigation, the LSMS log, attachments, sanctions, redress, victim support and feedback, lessons
 * learned, and overdue escalation. Every method checks access first; every write is audited in its transaction,
 * and so is every read of a case's personal data.
 */
export function casesService(db: Database, deps: CasesDeps) {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const member = (actor: Actor | null, action: 'case.read' | 'case.manage' | 'case.investigate'): Member => {
    const a = authorize(actor, action, actor?.kind === 'user' ? actor.orgId : undefined);
    if (a.kind !== 'user' || !a.orgId) throw forbidden('Cases are handled by a person acting for an organisation.');
    return a as Member;
  };
  const has = (a: Member, role: Role) => a.roles.includes(role);
  const seesAll = (a: Member) => has(a, 'security_specialist') || has(a, 'smd');

  /** The case if `a` may read it: the security team and SMD any case of theirs; a manager only the cases assigned. */
  async function readable(tx: Tx, a: Member, id: string, lock = false) {
    const row = await repo.find(tx, a.orgId, id, lock);
    if (!row || (!seesAll(a) && row.assigned_manager_id !== a.userId)) throw notFound('case');
    return row;
  }
  async function managed(tx: Tx, a: Member, id: string) {
    const row = await repo.find(tx, a.orgId, id, true);
    if (!row) throw notFound('case');
    return row;
  }
  const caseAudit = (tx: Tx, a: Member, action: string, id: string, detailValue: Record<string, unknown>) =>
    audit(tx, a, { action, orgId: a.orgId, objectType: 'incident', objectId: id, detail: detailValue });
  /**
   * A closed case is not written to (issue 4 item 5: changes are status events): what was checked at closure (a
   * sanction, or the `002 std 4.2` advice and reasons) must not change without reopening, which is recorded.
   * `field` is the form field the message is shown against.
   */
  const refuseIfClosed = (row: { status: string }, field: string) => {
    if (isClosed(row.status)) throw invalid([{ field, message: CLOSED_CASE }]);
  };

  /** Runs a write on a case the security team manages. */
  function manage<T>(actor: Actor | null, id: string, fn: (tx: Tx, a: Member, row: NonNullable<Awaited<ReturnType<typeof repo.find>>>) => Promise<T>) {
    const a = member(actor, 'case.manage');
    return inScope(db, { orgId: a.orgId }, async (tx) => fn(tx, a, await managed(tx, a, id)));
  }

  return {
    /**
     * The case page: the report (with personal data only as the viewer may see it; the read is audited), status
     * history, versions, the manager's investigation, log, attachments, sanctions, redress, support and feedback.
     */
    async get(actor: Actor | null, id: string) {
      const a = member(actor, 'case.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const row = await readable(tx, a, id);
        const [people, events, versions, inv, log, attachments, sanctions, outcome, settings, adviceHistory, closures, earlierInv] = await Promise.all([
          incidentsRepository.people(tx, a.orgId, id),
          repo.events(tx, a.orgId, id),
          repo.versions(tx, a.orgId, id),
          repo.investigation(tx, a.orgId, id),
          repo.log(tx, a.orgId, id),
          repo.attachments(tx, a.orgId, id),
          repo.sanctions(tx, a.orgId, id),
          repo.outcome(tx, a.orgId, id),
          repo.settings(tx, a.orgId),
          repo.noSanctionHistory(tx, a.orgId, id),
          repo.closures(tx, a.orgId, id),
          repo.investigationHistory(tx, a.orgId, id),
        ]);
        const fields = await personalAccess(
          tx,
          a,
          {
            id,
            orgId: a.orgId,
            reference: row.reference,
            submitter: row.submitter,
            assignedManagerId: row.assigned_manager_id,
            // the earlier versions' narratives are shown too, so the audit record says so
          },
          versions.length ? 'case and earlier versions' : 'case',
        );
        const personal = fields.has('narrative');
        // 003 §2.2.3.9, §3.2.11: the warning markers this incident justifies, and any decision that the reporter's
        // request needs none, for those who may read markers
        const canReadMarkers = can(a, 'marker.read', a.orgId);
        const [markers, markerDecision] = canReadMarkers
          ? await Promise.all([repo.markersOf(tx, a.orgId, id), row.marker_requested ? repo.markerRequestDecision(tx, a.orgId, id) : undefined])
          : [[], undefined];
        const ids = [
          ...events.map((e) => e.actor_id),
          ...versions.map((v) => v.changed_by),
          ...log.map((l) => l.author_id),
          ...attachments.map((x) => x.uploaded_by),
          ...adviceHistory.map((x) => x.recorded_by),
          ...closures.map((x) => x.closed_by),
          ...earlierInv.flatMap((x) => [x.manager_id, x.replaced_by]),
          inv?.manager_id,
          markerDecision?.decided_by,
        ].filter((x): x is string => !!x);
        const names = new Map((await repo.userNames(tx, [...new Set(ids)])).map((u) => [u.id, u.name]));
        const nameOf = (x: string | null | undefined) => (x ? (names.get(x) ?? 'Unknown user') : 'Warden');
        const canManage = has(a, 'security_specialist');
        const status = row.status as IncidentStatus;
        const today = londonDay(new Date());
        const open = !isClosed(status);
        // 002 std 4.2: every version of the advice, oldest first; the last is the current one. A case written
        // before the history existed (or by the demo seed) has only the copy in case_outcomes.
        const advice = adviceHistory.length
          ? adviceHistory.map((x) => ({ adviceFrom: x.advice_from, advice: x.advice, reasons: x.reasons, by: nameOf(x.recorded_by), at: x.created_at }))
          : outcome?.no_sanction_reasons
            ? [
                {
                  adviceFrom: outcome.no_sanction_advice_from,
                  advice: outcome.no_sanction_advice,
                  reasons: outcome.no_sanction_reasons,
                  by: nameOf(outcome.updated_by),
                  at: outcome.updated_at,
                },
              ]
            : [];
        // 000 §6.1.5: the lessons learned at each closure, oldest first (likewise, older cases have only the latest)
        const lessons = closures.length
          ? closures.map((x) => ({
              closedAt: x.closed_at,
              status: x.to_status,
              statusLabel: STATUS_LABELS[x.to_status as IncidentStatus],
              by: nameOf(x.closed_by),
              reason: x.reason,
              lessonsLearned: x.lessons_learned,
            }))
          : row.lessons_learned
            ? [{ closedAt: row.closed_at, status: null, statusLabel: null, by: null, reason: null, lessonsLearned: row.lessons_learned }]
            : [];
        return {
          id,
          reference: row.reference,
          status,
          statusLabel: STATUS_LABELS[status],
          category: row.category as IncidentCategory,
          categoryLabel: CATEGORY_DEFINITIONS[row.category as IncidentCategory].label,
          severity: row.severity,
          severityLabel: row.severity ? SEVERITY_LABELS[row.severity as keyof typeof SEVERITY_LABELS] : null,
          version: row.version,
          open,
          lessonsLearned: row.lessons_learned,
          lessons,
          personalData: personal,
          // what this viewer does not see, in the words of the one rule (src/domain/personal-data.ts)
          hiddenPersonal: PERSONAL_FIELDS.filter((f) => !fields.has(f)).map((f) => PERSONAL_FIELD_LABELS[f]),
          report: redactIncident(detail(row, people, events), fields),
          allowedTransitions: canManage
            ? (['triaged', 'under_investigation', 'awaiting_decision', 'closed', 'closed_nfa'] as const).filter(
                (t) => t !== 'triaged' && canTransition(status, t),
              )
            : [],
          history: events.map((e) => ({
            at: e.at,
            from: e.from_status,
            to: e.to_status,
            toLabel: STATUS_LABELS[e.to_status as IncidentStatus] ?? e.to_status,
            by: nameOf(e.actor_id),
            reason: e.reason,
          })),
          // issue 4 item 5: what each earlier version said (the narrative only to those who may read it)
          versions: versions.map((v) => {
            const said = (v.snapshot ?? {}) as { category?: string; narrative?: string | null };
            const category = said.category as IncidentCategory | undefined;
            return {
              version: v.version,
              changedAt: v.changed_at,
              by: nameOf(v.changed_by),
              reason: v.reason,
              category: category ?? null,
              categoryLabel: category ? (CATEGORY_DEFINITIONS[category]?.label ?? category) : null,
              narrative: personal ? (said.narrative ?? null) : null,
            };
          }),
          investigation: inv
            ? {
                managerId: inv.manager_id,
                managerName: nameOf(inv.manager_id),
                dueOn: inv.due_on,
                overdue: !inv.completed_at && inv.due_on < today && !isClosed(status),
                findings: personal ? inv.findings : null,
                contributingFactors: personal ? inv.contributing_factors : null,
                actionsTaken: personal ? inv.actions_taken : null,
                welfareSupport: personal ? inv.welfare_support : null,
                completedAt: inv.completed_at,
              }
            : null,
          // earlier assignments replaced by a re-triage, newest first; what was recorded only with personal data
          earlierInvestigations: earlierInv
            .map((x) => ({
              managerName: nameOf(x.manager_id),
              dueOn: x.due_on,
              assignedAt: x.assigned_at,
              completedAt: x.completed_at,
              findings: personal ? x.findings : null,
              contributingFactors: personal ? x.contributing_factors : null,
              actionsTaken: personal ? x.actions_taken : null,
              welfareSupport: personal ? x.welfare_support : null,
              replacedAt: x.replaced_at,
              replacedBy: nameOf(x.replaced_by),
              reason: x.reason,
            }))
            .reverse(),
          log: log.map((l) => ({
            id: l.id,
            kind: l.kind,
            kindLabel: LOG_KIND_LABELS[l.kind as keyof typeof LOG_KIND_LABELS],
            occurredOn: l.occurred_on,
            text: personal ? l.text : null,
            crimeReference: personal ? l.crime_reference : null,
            officer: personal ? l.officer : null,
            cpsDecision: personal ? l.cps_decision : null,
            by: nameOf(l.author_id),
            createdAt: l.created_at,
          })),
          attachments: attachments.map((x) => ({
            id: x.id,
            fileName: x.file_name,
            contentType: x.content_type,
            sizeBytes: x.size_bytes,
            description: x.description,
            by: nameOf(x.uploaded_by),
            uploadedAt: x.uploaded_at,
          })),
          canDownload: canManage || row.assigned_manager_id === a.userId,
          sanctions: sanctions.map((s) => ({
            id: s.id,
            kind: s.kind,
            sanction: s.sanction,
            label: SANCTIONS[s.sanction as Sanction]?.label ?? s.sanction,
            decidedOn: s.decided_on,
            outcome: s.outcome,
            publicise: s.publicise,
            publicityReason: s.publicity_reason,
          })),
          noSanction: advice.at(-1) ?? null,
          earlierNoSanction: advice.slice(0, -1).reverse(),
          redress:
            outcome?.redress_route != null
              ? {
                  soughtPence: outcome.redress_sought_pence,
                  recoveredPence: outcome.redress_recovered_pence,
                  route: outcome.redress_route,
                  routeLabel: REDRESS_ROUTE_LABELS[outcome.redress_route as keyof typeof REDRESS_ROUTE_LABELS],
                }
              : null,
          support: {
            supportOffered: outcome?.support_offered ?? null,
            supportOfferedOn: outcome?.support_offered_on ?? null,
            supportTakenUp: outcome?.support_taken_up ?? null,
            supportTakenUpOn: outcome?.support_taken_up_on ?? null,
            acknowledgementSentOn: outcome?.acknowledgement_sent_on ?? null,
            feedbackOn: outcome?.feedback_on ?? null,
            feedbackSummary: outcome?.feedback_summary ?? null,
          },
          canManage,
          markerRequested: row.marker_requested,
          markers: markers.map((m) => ({ id: m.id, status: m.status, reviewDue: m.review_due })),
          // the reason may describe people, as the reporter's does: only to those who read the narrative
          markerDecision: markerDecision
            ? { by: nameOf(markerDecision.decided_by), at: markerDecision.decided_at, reason: personal ? markerDecision.reason : null }
            : null,
          canReadMarkers,
          canPlaceMarker: can(a, 'marker.manage', a.orgId),
          // who has read this case's personal data, and who changed what: the audit trail by case (issue 4 §14)
          canSearchAudit: can(a, 'audit.search', a.orgId),
          canInvestigate: open && has(a, 'manager') && row.assigned_manager_id === a.userId && !inv?.completed_at,
          managers: canManage ? await repo.usersWithRole(tx, a.orgId, 'manager') : [],
          defaultDueOn: londonDay(new Date(), settings?.investigation_days ?? DEFAULT_INVESTIGATION_DAYS),
        };
      });
    },

    /**
     * Moves the case along STATUS_TRANSITIONS, recording who, when and why. Closing (either way) and reopening
     * need a reason; closing needs the lessons learned (`000 §6.1.5`) and either a sanction or the advice received
     * and the reasons none was applied (`002 std 4.2`).
     */
    async changeStatus(actor: Actor | null, id: string, raw: unknown) {
      return manage(actor, id, async (tx, a, row) => {
        const input = parse(statusChange, raw);
        const from = row.status as IncidentStatus;
        const to = input.to;
        if (to === 'triaged')
          throw invalid([{ field: 'to', message: 'Triage the case with the triage form: category, severity and the manager investigating' }]);
        if (!canTransition(from, to))
          throw invalid([
            { field: 'to', message: `A case that is ${STATUS_LABELS[from].toLowerCase()} cannot be moved to ${STATUS_LABELS[to].toLowerCase()}` },
          ]);
        const closing = isClosed(to);
        const reopening = isClosed(from);
        const problems: FieldError[] = [];
        if ((closing || reopening) && !input.statusReason)
          problems.push({ field: 'statusReason', message: closing ? 'Enter why the case is being closed' : 'Enter why the case is being reopened' });
        if (closing && !input.lessonsLearned) problems.push({ field: 'lessonsLearned', message: 'Enter the lessons learned before closing the case' });
        if (closing) {
          const [sanctions, outcome] = await Promise.all([repo.sanctions(tx, a.orgId, id), repo.outcome(tx, a.orgId, id)]);
          if (!sanctions.length && !outcome?.no_sanction_reasons)
            problems.push({
              field: 'to',
              message: 'Record the sanction applied, or the advice received and the reasons no sanction was applied, before closing the case',
            });
        }
        if (problems.length) throw invalid(problems);
        await repo.updateIncident(tx, a.orgId, id, {
          status: to,
          status_changed_at: new Date(),
          ...(closing ? { closed_at: new Date(), lessons_learned: input.lessonsLearned } : {}),
          ...(reopening ? { closed_at: null } : {}),
        });
        await repo.insertEvent(tx, { orgId: a.orgId, incidentId: id, actorId: a.userId, from, to, reason: input.statusReason ?? null });
        // each closure keeps its own lessons: reopening and closing again adds, never overwrites (000 §6.1.5)
        if (closing && input.lessonsLearned)
          await repo.insertClosure(tx, {
            orgId: a.orgId,
            incidentId: id,
            toStatus: to,
            reason: input.statusReason ?? null,
            lessonsLearned: input.lessonsLearned,
            closedBy: a.userId,
          });
        await caseAudit(tx, a, 'case.status_change', id, {
          reference: row.reference,
          from,
          to,
          ...(closing ? { lessonsLearned: input.lessonsLearned } : {}),
        });
        return { status: to };
      });
    },

    /**
     * Triage by the security specialist: category confirmed or changed (a change needs a reason and keeps the old
     * report as a version), severity, and the manager's investigation with its due date (default: the
     * organisation's number of days). A reported case moves to triaged. A later triage keeps the due date unless
     * given another; changing the manager or the due date needs a reason, keeps the earlier assignment (with
     * anything recorded) in case_investigation_history and adds a status-history entry. A completed investigation
     * is not handed over as it stands: a changed assignment starts a new investigation, the completed one kept.
     * The manager is e-mailed when asked to investigate (003 §2.3.1, §7.5.4: managers see that an investigation is
     * completed) and when the due date changes; a manager replaced is told they no longer need to. The e-mails go
     * once the triage has committed, and name the case, never its personal data.
     */
    async triage(actor: Actor | null, id: string, raw: unknown) {
      const { dueOn, notices, orgId } = await manage(actor, id, async (tx, a, row) => {
        const input = parse(triage, raw);
        const problems: FieldError[] = [];
        if (isClosed(row.status)) problems.push({ field: 'category', message: 'Reopen the case before triaging it again' });
        const changed = input.category !== row.category;
        if (changed && !input.categoryReason) problems.push({ field: 'categoryReason', message: 'Enter why the type of incident is being changed' });
        const managers = await repo.usersWithRole(tx, a.orgId, 'manager');
        if (!managers.some((m) => m.id === input.managerId)) problems.push({ field: 'managerId', message: 'Select a manager of your organisation' });
        const settings = await repo.settings(tx, a.orgId);
        const inv = await repo.investigation(tx, a.orgId, id);
        const dueOn = input.dueOn ?? inv?.due_on ?? londonDay(new Date(), settings?.investigation_days ?? DEFAULT_INVESTIGATION_DAYS);
        // an unchanged due date that has passed is simply overdue; only a new one must be in the future
        if (input.dueOn && input.dueOn !== inv?.due_on && input.dueOn < londonDay(new Date()))
          problems.push({ field: 'dueOn', message: 'The due date must be today or in the future' });
        const reassigned = !!inv && inv.manager_id !== input.managerId;
        const redated = !!inv && inv.due_on !== dueOn;
        if ((reassigned || redated) && !input.assignmentReason)
          problems.push({
            field: 'assignmentReason',
            message: reassigned ? 'Enter why the investigation is being given to another manager' : 'Enter why the due date is being changed',
          });
        if (problems.length) throw invalid(problems);
        if (changed) {
          await repo.insertVersion(tx, {
            orgId: a.orgId,
            incidentId: id,
            version: row.version,
            snapshot: snapshot(row),
            reason: `Type of incident changed from ${CATEGORY_DEFINITIONS[row.category as IncidentCategory].label} to ${CATEGORY_DEFINITIONS[input.category].label}: ${input.categoryReason}`,
            changedBy: a.userId,
          });
        }
        await repo.updateIncident(tx, a.orgId, id, {
          severity: input.severity,
          assigned_manager_id: input.managerId,
          investigation_due_on: dueOn,
          ...(changed ? { category: input.category, version: row.version + 1 } : {}),
          ...(row.status === 'reported' ? { status: 'triaged', status_changed_at: new Date() } : {}),
        });
        if (!inv) await repo.upsertAssignment(tx, { orgId: a.orgId, incidentId: id, managerId: input.managerId, dueOn, assignedBy: a.userId });
        else if (reassigned || redated) {
          const reason = input.assignmentReason as string;
          await repo.archiveInvestigation(tx, inv, { replacedBy: a.userId, reason });
          const fresh = !!inv.completed_at;
          await repo.updateInvestigation(tx, a.orgId, id, {
            manager_id: input.managerId,
            due_on: dueOn,
            assigned_by: a.userId,
            assigned_at: new Date(),
            ...(fresh
              ? { findings: null, contributing_factors: null, actions_taken: null, welfare_support: null, completed_at: null, completed_by: null }
              : {}),
          });
          const names = new Map((await repo.userNames(tx, [inv.manager_id, input.managerId])).map((u) => [u.id, u.name]));
          const from = names.get(inv.manager_id) ?? 'Unknown user';
          const to = names.get(input.managerId) ?? 'Unknown user';
          const what = fresh
            ? `New manager's investigation assigned to ${to}, due ${longDate(dueOn)}; the investigation completed by ${from} is kept`
            : reassigned
              ? `Manager's investigation reassigned from ${from} (due ${longDate(inv.due_on)}) to ${to}, due ${longDate(dueOn)}`
              : `Manager's investigation due date changed from ${longDate(inv.due_on)} to ${longDate(dueOn)}`;
          if (row.status !== 'reported')
            await repo.insertEvent(tx, { orgId: a.orgId, incidentId: id, actorId: a.userId, from: row.status, to: row.status, reason: `${what}: ${reason}` });
        }
        if (row.status === 'reported')
          await repo.insertEvent(tx, {
            orgId: a.orgId,
            incidentId: id,
            actorId: a.userId,
            from: 'reported',
            to: 'triaged',
            reason: `Triaged: ${SEVERITY_LABELS[input.severity]} severity`,
          });
        await caseAudit(tx, a, 'case.triage', id, {
          reference: row.reference,
          category: { from: row.category, to: input.category },
          severity: input.severity,
          managerId: input.managerId,
          dueOn,
          ...(inv && (reassigned || redated)
            ? {
                before: { managerId: inv.manager_id, dueOn: inv.due_on, completed: !!inv.completed_at },
                assignmentReason: input.assignmentReason,
                newInvestigation: !!inv.completed_at,
              }
            : {}),
        });
        const email = (userId: string) => managers.find((m) => m.id === userId)?.email;
        const notices: CaseNotice[] = [];
        const kind = CATEGORY_DEFINITIONS[input.category].label.toLowerCase();
        const assigned = email(input.managerId);
        // a new investigation: the first, one given to another manager, or a new one after a completed one
        if (assigned && (!inv || reassigned || (redated && inv.completed_at)))
          notices.push({
            to: assigned,
            subject: `Investigation assigned to you: case ${row.reference}`,
            lines: [
              `You have been asked to carry out the manager's investigation of case ${row.reference} (${kind}), due on ${longDate(dueOn)}.`,
              'Record your findings, contributing factors, actions taken and the welfare support given on the case page.',
            ],
          });
        else if (assigned && redated)
          notices.push({
            to: assigned,
            subject: `Investigation due date changed: case ${row.reference}`,
            lines: [
              `The manager's investigation of case ${row.reference} (${kind}) you are carrying out is now due on ${longDate(dueOn)}, not ${longDate(inv?.due_on)}.`,
            ],
          });
        // the manager replaced, unless their investigation was complete (a new one starts; theirs is kept)
        const replaced = inv && reassigned && !inv.completed_at ? await repo.activeEmail(tx, inv.manager_id) : undefined;
        if (replaced)
          notices.push({
            to: replaced,
            subject: `Investigation given to another manager: case ${row.reference}`,
            lines: [`The manager's investigation of case ${row.reference} (${kind}) has been given to another manager. You no longer need to carry it out.`],
          });
        return { dueOn, notices, orgId: a.orgId };
      });
      for (const n of notices) notify(n, id, orgId);
      return { dueOn };
    },

    /** Corrects the narrative: the report as it was is kept as a version, with who, when and why. */
    async correct(actor: Actor | null, id: string, raw: unknown) {
      return manage(actor, id, async (tx, a, row) => {
        refuseIfClosed(row, 'narrative');
        const input = parse(correction, raw);
        await repo.insertVersion(tx, {
          orgId: a.orgId,
          incidentId: id,
          version: row.version,
          snapshot: snapshot(row),
          reason: input.correctionReason,
          changedBy: a.userId,
        });
        await repo.updateIncident(tx, a.orgId, id, { narrative: input.narrative, version: row.version + 1 });
        await caseAudit(tx, a, 'case.correct', id, { reference: row.reference, version: row.version + 1 });
        return { version: row.version + 1 };
      });
    },

    /** The assigned manager records the investigation (findings, contributing factors, actions, welfare) and may complete it. */
    async recordInvestigation(actor: Actor | null, id: string, raw: unknown) {
      const a = member(actor, 'case.investigate');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const row = await repo.find(tx, a.orgId, id, true);
        if (!row || row.assigned_manager_id !== a.userId) throw notFound('case');
        const inv = await repo.investigation(tx, a.orgId, id);
        if (!inv || inv.manager_id !== a.userId) throw notFound('case');
        refuseIfClosed(row, 'findings');
        if (inv.completed_at) throw invalid([{ field: 'findings', message: 'This investigation has been completed and can no longer be changed' }]);
        const before = {
          findings: inv.findings,
          contributingFactors: inv.contributing_factors,
          actionsTaken: inv.actions_taken,
          welfareSupport: inv.welfare_support,
        };
        const input = parse(investigation, keepUnsent(raw, before));
        const complete = input.complete === 'yes';
        if (complete && !input.findings) throw invalid([{ field: 'findings', message: 'Enter the findings before completing the investigation' }]);
        const after = {
          findings: input.findings ?? null,
          contributingFactors: input.contributingFactors ?? null,
          actionsTaken: input.actionsTaken ?? null,
          welfareSupport: input.welfareSupport ?? null,
        };
        await repo.updateInvestigation(tx, a.orgId, id, {
          findings: after.findings,
          contributing_factors: after.contributingFactors,
          actions_taken: after.actionsTaken,
          welfare_support: after.welfareSupport,
          ...(complete ? { completed_at: new Date(), completed_by: a.userId } : {}),
        });
        await caseAudit(tx, a, complete ? 'case.investigation_complete' : 'case.investigation_update', id, { reference: row.reference, before, after });
        return { completed: complete };
      });
    },

    /** Appends to the LSMS investigation log (never changed or deleted). */
    async addLogEntry(actor: Actor | null, id: string, raw: unknown) {
      return manage(actor, id, async (tx, a, row) => {
        refuseIfClosed(row, 'kind');
        const input = parse(logEntry, raw);
        const r = await repo.insertLog(tx, {
          org_id: a.orgId,
          incident_id: id,
          kind: input.kind,
          occurred_on: input.occurredOn,
          text: input.entryText,
          crime_reference: input.kind === 'police' ? (input.crimeReference ?? null) : null,
          officer: input.kind === 'police' ? (input.officer ?? null) : null,
          cps_decision: input.kind === 'police' ? (input.cpsDecision ?? null) : null,
          author_id: a.userId,
        });
        await caseAudit(tx, a, 'case.log_add', id, { reference: row.reference, entry: r.id, kind: input.kind });
        return { id: r.id };
      });
    },

    /** Records a sanction with its outcome and publicity decision (`002 std 4.2`; `003 §6.4–6.5`). */
    async addSanction(actor: Actor | null, id: string, raw: unknown) {
      return manage(actor, id, async (tx, a, row) => {
        refuseIfClosed(row, 'sanction');
        const input = parse(sanctionSchema, raw);
        const r = await repo.insertSanction(tx, {
          org_id: a.orgId,
          incident_id: id,
          kind: SANCTIONS[input.sanction].kind,
          sanction: input.sanction,
          decided_on: input.decidedOn,
          outcome: input.outcome,
          publicise: input.publicise === 'yes',
          publicity_reason: input.publicityReason,
          recorded_by: a.userId,
        });
        await caseAudit(tx, a, 'case.sanction_add', id, { reference: row.reference, sanction: input.sanction, publicise: input.publicise === 'yes' });
        return { id: r.id };
      });
    },

    /**
     * `002 std 4.2`: where no sanction is applied, the advice received (and from whom) and the reasons. Each save is
     * a new version (append-only); earlier ones stay visible. The latest is also copied to case_outcomes, which
     * the closing check and older readers use.
     */
    async recordNoSanction(actor: Actor | null, id: string, raw: unknown) {
      return manage(actor, id, async (tx, a, row) => {
        refuseIfClosed(row, 'adviceFrom');
        const input = parse(noSanction, raw);
        const previous = await repo.outcome(tx, a.orgId, id);
        const version = await repo.insertNoSanction(tx, {
          orgId: a.orgId,
          incidentId: id,
          adviceFrom: input.adviceFrom,
          advice: input.advice,
          reasons: input.noSanctionReasons,
          recordedBy: a.userId,
        });
        await repo.upsertOutcome(tx, a.orgId, id, {
          no_sanction_advice_from: input.adviceFrom,
          no_sanction_advice: input.advice,
          no_sanction_reasons: input.noSanctionReasons,
          updated_by: a.userId,
        });
        await caseAudit(tx, a, 'case.no_sanction', id, {
          reference: row.reference,
          version: version.id,
          before: previous?.no_sanction_reasons
            ? { adviceFrom: previous.no_sanction_advice_from, advice: previous.no_sanction_advice, reasons: previous.no_sanction_reasons }
            : null,
          after: { adviceFrom: input.adviceFrom, advice: input.advice, reasons: input.noSanctionReasons },
        });
        return { ok: true as const };
      });
    },

    /** Redress: amounts in pence, and the route. */
    async recordRedress(actor: Actor | null, id: string, raw: unknown) {
      return manage(actor, id, async (tx, a, row) => {
        refuseIfClosed(row, 'soughtPence');
        const o = await repo.outcome(tx, a.orgId, id);
        const before = {
          soughtPence: o?.redress_sought_pence ?? null,
          recoveredPence: o?.redress_recovered_pence ?? null,
          route: o?.redress_route ?? null,
        };
        const input = parse(redress, keepUnsent(raw, before));
        const after = { soughtPence: input.soughtPence ?? null, recoveredPence: input.recoveredPence ?? null, route: input.route };
        await repo.upsertOutcome(tx, a.orgId, id, {
          redress_sought_pence: after.soughtPence,
          redress_recovered_pence: after.recoveredPence,
          redress_route: after.route,
          updated_by: a.userId,
        });
        await caseAudit(tx, a, 'case.redress', id, { reference: row.reference, before, after });
        return { ok: true as const };
      });
    },

    /**
     * Victim support and feedback (`000` Appendix 1, `003 §7.5`). The support offered and the outcome fed back are
     * also written to the report, where the reporter sees them on their own page (`000 §7.2.6`).
     *
     * Allowed on a closed case too, unlike every other write: the outcome is fed back to the victim after the case
     * is decided (`000 §7.2.6`), and support may be taken up later; none of it is what closure checked (a sanction
     * or the `002 std 4.2` advice), and each change is audited with what it replaced.
     */
    async recordSupport(actor: Actor | null, id: string, raw: unknown) {
      const { notices, orgId } = await manage(actor, id, async (tx, a, row): Promise<{ notices: CaseNotice[]; orgId: string }> => {
        const o = await repo.outcome(tx, a.orgId, id);
        const before = {
          supportOffered: o?.support_offered ?? null,
          supportOfferedOn: o?.support_offered_on ?? null,
          supportTakenUp: o?.support_taken_up == null ? null : o.support_taken_up ? 'yes' : 'no',
          supportTakenUpOn: o?.support_taken_up_on ?? null,
          acknowledgementSentOn: o?.acknowledgement_sent_on ?? null,
          feedbackOn: o?.feedback_on ?? null,
          feedbackSummary: o?.feedback_summary ?? null,
        };
        const input = parse(support, keepUnsent(raw, before));
        const after = {
          supportOffered: input.supportOffered ?? null,
          supportOfferedOn: input.supportOfferedOn ?? null,
          supportTakenUp: input.supportTakenUp ?? null,
          // the date belongs to "taken up: yes" only
          supportTakenUpOn: input.supportTakenUp === 'yes' ? (input.supportTakenUpOn ?? null) : null,
          acknowledgementSentOn: input.acknowledgementSentOn ?? null,
          feedbackOn: input.feedbackOn ?? null,
          feedbackSummary: input.feedbackSummary ?? null,
        };
        await repo.upsertOutcome(tx, a.orgId, id, {
          support_offered: after.supportOffered,
          support_offered_on: after.supportOfferedOn,
          support_taken_up: after.supportTakenUp === null ? null : after.supportTakenUp === 'yes',
          support_taken_up_on: after.supportTakenUpOn,
          acknowledgement_sent_on: after.acknowledgementSentOn,
          feedback_on: after.feedbackOn,
          feedback_summary: after.feedbackSummary,
          updated_by: a.userId,
        });
        await repo.updateIncident(tx, a.orgId, id, {
          support_offered: after.supportOffered ? `${after.supportOffered} (offered ${after.supportOfferedOn})` : null,
          outcome_summary: after.feedbackSummary,
        });
        await caseAudit(tx, a, 'case.support', id, { reference: row.reference, before, after });
        // 000 §7.2.6: feedback on outcomes to those who reported. The reporter is told there is news; what it says
        // is on their report's page, behind their sign-in, not in an e-mail that may be read on a shared ward PC.
        const fedBack = after.feedbackSummary !== null && after.feedbackSummary !== before.feedbackSummary;
        const reporter = fedBack && row.reported_by ? await repo.activeEmail(tx, row.reported_by) : undefined;
        if (!reporter) return { notices: [], orgId: a.orgId };
        const notices = [
          {
            to: reporter,
            subject: `News about your report ${row.reference}`,
            lines: [
              `The security team has recorded what happened after your report ${row.reference} (${CATEGORY_DEFINITIONS[row.category as IncidentCategory].label.toLowerCase()}).`,
              'Sign in to Warden to read it, with the support offered to you.',
            ],
            link: { text: 'Your report', path: `/incidents/mine/${id}` },
          },
        ];
        return { notices, orgId: a.orgId };
      });
      for (const n of notices) notify(n, id, orgId);
      return { ok: true as const };
    },

    /**
     * Stores an attachment outside the web root (`<attachmentsDir>/<org>/<id>`). Only JPEG and PNG photos and PDF
     * documents are accepted, recognised by content as well as by name, up to MAX_ATTACHMENT_BYTES.
     */
    async uploadAttachment(
      actor: Actor | null,
      id: string,
      file: { fileName: string; data: Buffer; truncated: boolean } | null,
      raw: { description?: unknown } = {},
    ) {
      const a = member(actor, 'case.manage');
      const problems: FieldError[] = [];
      let type = '';
      if (!file?.fileName || file.data.length === 0) problems.push({ field: 'file', message: 'Select a file to upload' });
      else if (file.truncated || file.data.length > MAX_ATTACHMENT_BYTES) problems.push({ field: 'file', message: 'The file must be smaller than 10 MB' });
      else {
        const t = detectFileType(file.fileName, file.data);
        if ('error' in t) problems.push({ field: 'file', message: t.error });
        else type = t.type;
      }
      const description = typeof raw.description === 'string' && raw.description.trim() ? raw.description.trim().slice(0, 500) : null;
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const row = await managed(tx, a, id);
        refuseIfClosed(row, 'file');
        if (problems.length || !file) throw invalid(problems);
        const attachmentId = randomUUID();
        const dir = join(deps.attachmentsDir, a.orgId);
        const path = join(dir, attachmentId);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeFile(path, file.data, { mode: 0o600, flag: 'wx' });
        try {
          const fileName = file.fileName
            .replace(/[\\/]/g, '_')
            .replace(/[^\x20-\x7e]/g, '_')
            .slice(-200);
          const sha256 = createHash('sha256').update(file.data).digest('hex');
          await repo.insertAttachment(tx, {
            id: attachmentId,
            org_id: a.orgId,
            incident_id: id,
            file_name: fileName,
            content_type: type,
            size_bytes: file.data.length,
            sha256,
            description,
            uploaded_by: a.userId,
          });
          await caseAudit(tx, a, 'case.attachment_upload', id, {
            reference: row.reference,
            attachment: attachmentId,
            contentType: type,
            size: file.data.length,
            sha256,
          });
        } catch (err) {
          await unlink(path).catch(() => {});
          throw err;
        }
        return { id: attachmentId };
      });
    },

    /** An attachment for download, to the security specialist or the assigned manager only; audited. */
    async downloadAttachment(actor: Actor | null, id: string, attachmentId: string) {
      const a = member(actor, 'case.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const row = await readable(tx, a, id);
        if (!has(a, 'security_specialist') && row.assigned_manager_id !== a.userId)
          throw forbidden('Attachments are for the security team and the manager investigating.');
        const x = await repo.attachment(tx, a.orgId, id, attachmentId);
        if (!x) throw notFound('attachment');
        const data = await readFile(join(deps.attachmentsDir, a.orgId, x.id));
        await caseAudit(tx, a, 'case.attachment_download', id, { reference: row.reference, attachment: x.id });
        return { fileName: x.file_name, contentType: x.content_type, data };
      });
    },

    /** Manager's investigations past their due date: all of the organisation's, or a manager's own. */
    async overdue(actor: Actor | null) {
      const a = member(actor, 'case.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const rows = await repo.overdue(tx, londonDay(new Date()), a.orgId, seesAll(a) ? undefined : a.userId);
        return rows.map((r) => ({ ...overdueCase(r), dueOn: r.due_on, managerName: r.manager_name }));
      });
    },

    /**
     * Open cases with no manager's investigation assigned OVERDUE_AFTER_DAYS after they were reported (`002 std
     * 4.1`), for the security team and the SMD; a manager has none of their own, so none. `overdueSince` is the day
     * each became overdue.
     */
    async unassignedOverdue(actor: Actor | null) {
      const a = member(actor, 'case.read');
      if (!seesAll(a)) return [];
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const rows = await repo.unassignedOverdue(tx, unassignedOverdueBefore(new Date()), a.orgId);
        return rows.map((r) => ({ ...overdueCase(r), reportedAt: new Date(r.reported_at as unknown as string), overdueSince: r.overdue_since }));
      });
    },

    /** The organisation's case settings (days for a manager's investigation; escalation repeat). */
    async settings(actor: Actor | null) {
      const a = member(actor, 'case.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const s = await repo.settings(tx, a.orgId);
        return { investigationDays: s?.investigation_days ?? DEFAULT_INVESTIGATION_DAYS, escalationRepeatDays: s?.escalation_repeat_days ?? null };
      });
    },

    async updateSettings(actor: Actor | null, raw: unknown) {
      const a = member(actor, 'case.manage');
      const input = parse(settingsSchema, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        await repo.upsertSettings(tx, a.orgId, input.investigationDays, input.escalationRepeatDays ?? null);
        await audit(tx, a, { action: 'case.settings_update', orgId: a.orgId, objectType: 'organisation', objectId: a.orgId, detail: input });
        return { investigationDays: input.investigationDays, escalationRepeatDays: input.escalationRepeatDays ?? null };
      });
    },

    /** Whether `actor` sees every case of the organisation (the security team and the SMD), not only those assigned. */
    seesAllCases(actor: Actor | null) {
      return actor?.kind === 'user' && actor.orgId !== null && seesAll(actor as Member);
    },

    /** Whether overdue work can be escalated: only when e-mail reaches people (`SMTP_URL` is set). */
    canEscalate: deps.mailer.delivers,

    /**
     * `002 std 4.1` (timely and proportionate): e-mails the assigned manager and the organisation's security
     * specialists about each manager's investigation past its due date, once per due date (or again every
     * `escalation_repeat_days` where the organisation set it), and the security specialists about each open case
     * with no investigation assigned OVERDUE_AFTER_DAYS after report, likewise. `warden start` runs it every hour
     * (schedule.ts); `warden escalate-overdue` runs it once, from cron say. The e-mail names the case reference
     * and the manager only: no personal data of the incident leaves Warden by e-mail. One run at a time across
     * every Warden process: a run that finds another under way does nothing and answers `busy`, so no one is
     * e-mailed twice. Refused, with nothing recorded, when e-mail is not set up: the cases would be marked
     * escalated while nobody was told.
     */
    async escalateOverdue(now: Date = new Date(), actor: Actor = systemActor) {
      if (actor.kind !== 'system') authorize(actor, 'case.manage');
      if (!deps.mailer.delivers) throw conflict('mail', ESCALATION_NEEDS_MAIL);
      const run = await exclusively(db, LOCKS.escalateOverdue, () => escalate(now, actor));
      return run.ran ? { ...run.value, busy: false } : { escalated: [], busy: true };
    },
  };

  /**
   * Sends a case's e-mail once its change has committed, without waiting for it: a slow or unreachable mail server
   * must not hold up the person triaging or feeding back. A failure to send is logged: the change stands, the case
   * is on the manager's list and, once overdue, escalated, and the reporter's page shows the outcome.
   */
  function notify(n: CaseNotice, caseId: string, orgId: string) {
    const link = n.link ?? { text: 'Open the case', path: `/cases/${caseId}` };
    const text = [...n.lines, '', `${link.text}: ${deps.baseUrl ?? ''}${pathFor(link.path, orgId)}`].join('\n');
    deps.mailer.send({ to: n.to, subject: n.subject, text }).catch((err: Error) => log(`Warden could not send "${n.subject}" to ${n.to}: ${err.message}`));
  }

  /**
   * One escalation run (`escalateOverdue`, under its lock): each case's e-mails, then its record and audit event.
   * Overdue investigations go to the manager and the security specialists; open cases with no investigation
   * assigned OVERDUE_AFTER_DAYS after report go to the security specialists, whose triage they await.
   */
  async function escalate(now: Date, actor: Actor) {
    const base = deps.baseUrl ?? '';
    const due = await inScope(db, { all: true }, async (tx) => {
      /** One e-mail to its recipients about one case, or (unassigned cases) about all of an organisation's. */
      const out: { orgId: string; recipients: string[]; subject: string; lines: string[]; cases: { id: string; reference: string; dueOn: string }[] }[] = [];
      const specialists = new Map<string, string[]>();
      const settings = new Map<string, number | null>();
      /** The organisation's security specialists, when the case was last escalated long enough ago (or never). */
      const specialistsIfDue = async (orgId: string, lastEscalatedAt: unknown) => {
        if (!settings.has(orgId)) settings.set(orgId, (await repo.settings(tx, orgId))?.escalation_repeat_days ?? null);
        const repeat = settings.get(orgId) ?? null;
        const last = lastEscalatedAt ? new Date(lastEscalatedAt as string) : null;
        if (last && (repeat === null || now.getTime() - last.getTime() < repeat * 86_400_000 - 60_000)) return null;
        if (!specialists.has(orgId))
          specialists.set(
            orgId,
            (await repo.usersWithRole(tx, orgId, 'security_specialist')).map((u) => u.email),
          );
        return specialists.get(orgId) ?? [];
      };
      // Every overdue case, not the first page: a case left out now would be left out at every run.
      for (const r of await repo.overdue(tx, londonDay(now), undefined, undefined, null)) {
        const team = await specialistsIfDue(r.org_id, r.last_escalated_at);
        if (!team) continue;
        out.push({
          orgId: r.org_id,
          recipients: [...new Set([r.manager_email, ...team])],
          subject: `Overdue investigation: case ${r.reference}`,
          lines: [
            `The manager's investigation of case ${r.reference} was due on ${longDate(r.due_on)} and has not been completed.`,
            `Manager investigating: ${r.manager_name}.`,
            '',
            `Open the case: ${base}${pathFor(`/cases/${r.id}`, r.org_id)}`,
          ],
          cases: [{ id: r.id, reference: r.reference, dueOn: r.due_on }],
        });
      }
      // Cases nobody has triaged go to the security specialists, one e-mail per organisation and run: the first
      // run may find many (every case left unassigned before), which would otherwise be as many e-mails.
      const unassigned = new Map<string, { reference: string; id: string; reportedOn: string; dueOn: string }[]>();
      for (const r of await repo.unassignedOverdue(tx, unassignedOverdueBefore(now), undefined, null)) {
        const team = await specialistsIfDue(r.org_id, r.last_escalated_at);
        // Nobody to tell: the case stays on the overdue page and in the case list, and is escalated once a
        // security specialist is appointed.
        if (!team?.length) continue;
        const reportedOn = londonDay(new Date(r.reported_at as unknown as string));
        unassigned.set(r.org_id, [...(unassigned.get(r.org_id) ?? []), { reference: r.reference, id: r.id, reportedOn, dueOn: r.overdue_since }]);
      }
      for (const [orgId, cases] of unassigned) {
        const [one] = cases;
        const rule = `Cases open for more than ${OVERDUE_AFTER_DAYS} days without one are overdue: triage each and assign an investigation, or close it.`;
        out.push({
          orgId,
          recipients: specialists.get(orgId) ?? [],
          subject:
            cases.length === 1 && one ? `Overdue case with no investigation: case ${one.reference}` : `${cases.length} overdue cases with no investigation`,
          lines:
            cases.length === 1 && one
              ? [
                  `Case ${one.reference} was reported on ${one.reportedOn} and no manager's investigation has been assigned.`,
                  rule,
                  '',
                  `Open the case: ${base}${pathFor(`/cases/${one.id}`, orgId)}`,
                ]
              : [
                  `These ${cases.length} open cases were reported more than ${OVERDUE_AFTER_DAYS} days ago and no manager's investigation has been assigned:`,
                  '',
                  ...cases.map((c) => `- Case ${c.reference}, reported on ${c.reportedOn}: ${base}${pathFor(`/cases/${c.id}`, orgId)}`),
                  '',
                  rule,
                  `All overdue work: ${base}${pathFor('/cases/overdue', orgId)}`,
                ],
          cases,
        });
      }
      return out;
    });
    const sent: { reference: string; recipients: string[] }[] = [];
    for (const m of due) {
      for (const to of m.recipients)
        await deps.mailer.send({
          to,
          subject: m.subject,
          text: [...m.lines, '', 'Investigations should be timely and proportionate (NHS Standard Commissioning Contract security standards, 4.1).'].join('\n'),
        });
      await inScope(db, { orgId: m.orgId }, async (tx) => {
        for (const c of m.cases) {
          await repo.insertEscalation(tx, { orgId: m.orgId, incidentId: c.id, dueOn: c.dueOn, recipients: m.recipients });
          await audit(tx, actor, {
            action: 'case.escalate_overdue',
            orgId: m.orgId,
            objectType: 'incident',
            objectId: c.id,
            detail: { reference: c.reference, dueOn: c.dueOn, recipients: m.recipients.length },
          });
        }
      });
      sent.push(...m.cases.map((c) => ({ reference: c.reference, recipients: m.recipients })));
    }
    return { escalated: sent };
  }
}

/** What both overdue lists (investigations past due, cases unassigned by age) say of a case. */
function overdueCase(r: { id: string; reference: string; status: string; category: string; last_escalated_at: unknown }) {
  return {
    id: r.id,
    reference: r.reference,
    status: r.status,
    statusLabel: STATUS_LABELS[r.status as IncidentStatus],
    categoryLabel: CATEGORY_DEFINITIONS[r.category as IncidentCategory].label,
    lastEscalatedAt: r.last_escalated_at ? new Date(r.last_escalated_at as string) : null,
  };
}

export type CasesService = ReturnType<typeof casesService>;
