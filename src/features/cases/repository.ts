import { type Selectable, sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import { CLOSED_STATUSES, OVERDUE_AFTER_DAYS } from '../../domain/incidents.ts';

/** The only code of case management that touches Kysely. Every query runs in a scoped transaction (tenancy.ts). */
export const casesRepository = {
  /** The case, whole, with the names of its site and department; locked for update when `lock`. */
  find(tx: Tx, orgId: string, id: string, lock = false) {
    let q = tx
      .selectFrom('incidents as i')
      .leftJoin('sites as s', 's.id', 'i.site_id')
      .leftJoin('departments as d', 'd.id', 'i.department_id')
      .selectAll('i')
      .select(['s.name as site_name', 'd.name as department_name'])
      .where('i.org_id', '=', orgId)
      .where('i.id', '=', id);
    if (lock) q = q.forUpdate('i');
    return q.executeTakeFirst();
  },
  settings(tx: Tx, orgId: string) {
    return tx.selectFrom('case_settings').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  },
  upsertSettings(tx: Tx, orgId: string, investigationDays: number, escalationRepeatDays: number | null) {
    const set = { investigation_days: investigationDays, escalation_repeat_days: escalationRepeatDays, updated_at: new Date() };
    return tx
      .insertInto('case_settings')
      .values({ org_id: orgId, ...set })
      .onConflict((oc) => oc.column('org_id').doUpdateSet(set))
      .execute();
  },
  /** Active users holding `role` in the organisation. */
  usersWithRole(tx: Tx, orgId: string, role: string) {
    return tx
      .selectFrom('user_roles as r')
      .innerJoin('users as u', 'u.id', 'r.user_id')
      .select(['u.id', 'u.name', 'u.email'])
      .where('r.org_id', '=', orgId)
      .where('r.role', '=', role)
      .where('u.is_active', '=', true)
      .orderBy('u.name')
      .execute();
  },
  userNames(tx: Tx, ids: string[]) {
    if (!ids.length) return Promise.resolve([] as { id: string; name: string }[]);
    return tx.selectFrom('users').select(['id', 'name']).where('id', 'in', ids).execute();
  },
  /** The warning markers linked to the incident (features/markers), oldest first. */
  markersOf(tx: Tx, orgId: string, incidentId: string) {
    return tx
      .selectFrom('warning_marker_incidents as l')
      .innerJoin('warning_markers as m', 'm.id', 'l.marker_id')
      .select(['m.id', 'm.status', 'm.review_due'])
      .where('l.org_id', '=', orgId)
      .where('l.incident_id', '=', incidentId)
      .orderBy('m.created_at')
      .execute();
  },
  /** The decision that the reporter's marker request needs no marker (003 §3.2.11), if one was recorded. */
  markerRequestDecision(tx: Tx, orgId: string, incidentId: string) {
    return tx
      .selectFrom('marker_request_decisions')
      .select(['reason', 'decided_by', 'decided_at'])
      .where('org_id', '=', orgId)
      .where('incident_id', '=', incidentId)
      .executeTakeFirst();
  },
  /** The e-mail address of an active user, or undefined. */
  async activeEmail(tx: Tx, id: string) {
    return (await tx.selectFrom('users').select('email').where('id', '=', id).where('is_active', '=', true).executeTakeFirst())?.email;
  },
  events(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('incident_events').selectAll().where('org_id', '=', orgId).where('incident_id', '=', id).orderBy('at').execute();
  },
  versions(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('incident_versions').selectAll().where('org_id', '=', orgId).where('incident_id', '=', id).orderBy('version').execute();
  },
  insertEvent(tx: Tx, v: { orgId: string; incidentId: string; actorId: string | null; from: string; to: string; reason: string | null }) {
    return tx
      .insertInto('incident_events')
      .values({ org_id: v.orgId, incident_id: v.incidentId, actor_id: v.actorId, from_status: v.from, to_status: v.to, reason: v.reason })
      .execute();
  },
  insertVersion(tx: Tx, v: { orgId: string; incidentId: string; version: number; snapshot: unknown; reason: string; changedBy: string | null }) {
    return tx
      .insertInto('incident_versions')
      .values({
        org_id: v.orgId,
        incident_id: v.incidentId,
        version: v.version,
        snapshot: JSON.stringify(v.snapshot),
        reason: v.reason,
        changed_by: v.changedBy,
      } as never)
      .execute();
  },
  updateIncident(tx: Tx, orgId: string, id: string, set: Record<string, unknown>) {
    return tx
      .updateTable('incidents')
      .set(set as never)
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  },
  investigation(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('case_investigations').selectAll().where('org_id', '=', orgId).where('incident_id', '=', id).executeTakeFirst();
  },
  upsertAssignment(tx: Tx, v: { orgId: string; incidentId: string; managerId: string; dueOn: string; assignedBy: string | null }) {
    return tx
      .insertInto('case_investigations')
      .values({ org_id: v.orgId, incident_id: v.incidentId, manager_id: v.managerId, due_on: v.dueOn, assigned_by: v.assignedBy })
      .onConflict((oc) =>
        oc.column('incident_id').doUpdateSet({ manager_id: v.managerId, due_on: v.dueOn, assigned_by: v.assignedBy, assigned_at: sql`now()` as never }),
      )
      .execute();
  },
  /** Keeps the current manager's investigation, as it is, before a re-triage replaces it (append-only). */
  archiveInvestigation(tx: Tx, inv: Selectable<DB['case_investigations']>, v: { replacedBy: string; reason: string }) {
    return tx
      .insertInto('case_investigation_history')
      .values({
        org_id: inv.org_id,
        incident_id: inv.incident_id,
        manager_id: inv.manager_id,
        due_on: inv.due_on,
        assigned_by: inv.assigned_by,
        assigned_at: inv.assigned_at,
        findings: inv.findings,
        contributing_factors: inv.contributing_factors,
        actions_taken: inv.actions_taken,
        welfare_support: inv.welfare_support,
        completed_at: inv.completed_at,
        completed_by: inv.completed_by,
        replaced_by: v.replacedBy,
        reason: v.reason,
      })
      .execute();
  },
  /** Earlier assignments of the manager's investigation, oldest first. */
  investigationHistory(tx: Tx, orgId: string, id: string) {
    return tx
      .selectFrom('case_investigation_history')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('incident_id', '=', id)
      .orderBy('replaced_at')
      .orderBy('id')
      .execute();
  },
  updateInvestigation(tx: Tx, orgId: string, id: string, set: Record<string, unknown>) {
    return tx
      .updateTable('case_investigations')
      .set(set as never)
      .where('org_id', '=', orgId)
      .where('incident_id', '=', id)
      .execute();
  },
  log(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('case_log_entries').selectAll().where('org_id', '=', orgId).where('incident_id', '=', id).orderBy('created_at').execute();
  },
  insertLog(tx: Tx, v: Record<string, unknown>) {
    return tx
      .insertInto('case_log_entries')
      .values(v as never)
      .returning('id')
      .executeTakeFirstOrThrow();
  },
  attachments(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('case_attachments').selectAll().where('org_id', '=', orgId).where('incident_id', '=', id).orderBy('uploaded_at').execute();
  },
  attachment(tx: Tx, orgId: string, incidentId: string, id: string) {
    return tx
      .selectFrom('case_attachments')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('incident_id', '=', incidentId)
      .where('id', '=', id)
      .executeTakeFirst();
  },
  insertAttachment(tx: Tx, v: Record<string, unknown>) {
    return tx
      .insertInto('case_attachments')
      .values(v as never)
      .execute();
  },
  sanctions(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('case_sanctions').selectAll().where('org_id', '=', orgId).where('incident_id', '=', id).orderBy('created_at').execute();
  },
  insertSanction(tx: Tx, v: Record<string, unknown>) {
    return tx
      .insertInto('case_sanctions')
      .values(v as never)
      .returning('id')
      .executeTakeFirstOrThrow();
  },
  async outcome(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('case_outcomes').selectAll().where('org_id', '=', orgId).where('incident_id', '=', id).executeTakeFirst();
  },
  /** Every version of the `002 std 4.2` no-sanction advice, oldest first: the last is the current one. */
  noSanctionHistory(tx: Tx, orgId: string, id: string) {
    return tx
      .selectFrom('case_no_sanction_advice')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('incident_id', '=', id)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  },
  insertNoSanction(tx: Tx, v: { orgId: string; incidentId: string; adviceFrom: string; advice: string; reasons: string; recordedBy: string }) {
    return tx
      .insertInto('case_no_sanction_advice')
      .values({ org_id: v.orgId, incident_id: v.incidentId, advice_from: v.adviceFrom, advice: v.advice, reasons: v.reasons, recorded_by: v.recordedBy })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
  },
  /** Each closure of the case with its lessons learned (`000 §6.1.5`), oldest first. */
  closures(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('case_closures').selectAll().where('org_id', '=', orgId).where('incident_id', '=', id).orderBy('closed_at').orderBy('id').execute();
  },
  insertClosure(tx: Tx, v: { orgId: string; incidentId: string; toStatus: string; reason: string | null; lessonsLearned: string; closedBy: string }) {
    return tx
      .insertInto('case_closures')
      .values({
        org_id: v.orgId,
        incident_id: v.incidentId,
        to_status: v.toStatus,
        reason: v.reason,
        lessons_learned: v.lessonsLearned,
        closed_by: v.closedBy,
      })
      .execute();
  },
  upsertOutcome(tx: Tx, orgId: string, id: string, set: Record<string, unknown>) {
    return tx
      .insertInto('case_outcomes')
      .values({ org_id: orgId, incident_id: id, ...set } as never)
      .onConflict((oc) => oc.column('incident_id').doUpdateSet(set as never))
      .execute();
  },

  /**
   * How timely manager's investigations were in a financial year (`from`–`to`, London dates), for the self review's
   * suggestion for 002 std 4.1: incidents reported in the year; investigations due in the year that are either
   * completed or past their due date by `today`; and how many of those were completed by their due date.
   */
  async investigationTimeliness(tx: Tx, orgId: string, from: string, to: string, today: string) {
    const reported = await tx
      .selectFrom('incidents')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', orgId)
      .where(sql<string>`(reported_at at time zone 'Europe/London')::date`, '>=', from)
      .where(sql<string>`(reported_at at time zone 'Europe/London')::date`, '<=', to)
      .executeTakeFirstOrThrow();
    const due = await tx
      .selectFrom('case_investigations')
      .select([
        sql<string>`count(*)`.as('due'),
        sql<string>`count(*) filter (where completed_at is not null and (completed_at at time zone 'Europe/London')::date <= due_on)`.as('on_time'),
      ])
      .where('org_id', '=', orgId)
      .where('due_on', '>=', from)
      .where('due_on', '<=', to)
      .where((eb) => eb.or([eb('due_on', '<', today), eb('completed_at', 'is not', null)]))
      .executeTakeFirstOrThrow();
    return { reported: Number(reported.n), due: Number(due.due), onTime: Number(due.on_time) };
  },
  /**
   * Open manager's investigations past their due date (before `today`, `YYYY-MM-DD`), with the last escalation
   * sent for the current due date. `orgId` limits to one organisation; without it, every organisation (the
   * escalation run, in a deployment-wide transaction, with no `limit`).
   */
  overdue(tx: Tx, today: string, orgId?: string, managerId?: string, limit: number | null = 2000) {
    let q = tx
      .selectFrom('case_investigations as ci')
      .innerJoin('incidents as i', 'i.id', 'ci.incident_id')
      .innerJoin('users as m', 'm.id', 'ci.manager_id')
      .select((eb) => [
        'i.id',
        'i.org_id',
        'i.reference',
        'i.status',
        'i.category',
        'i.severity',
        'ci.due_on',
        'ci.manager_id',
        'm.name as manager_name',
        'm.email as manager_email',
        eb
          .selectFrom('case_escalations as e')
          .select((e) => e.fn.max('e.sent_at').as('last'))
          .whereRef('e.incident_id', '=', 'ci.incident_id')
          .whereRef('e.due_on', '=', 'ci.due_on')
          .as('last_escalated_at'),
      ])
      .where('ci.completed_at', 'is', null)
      .where('ci.due_on', '<', today)
      .where('i.status', 'not in', CLOSED_STATUSES)
      .orderBy('ci.due_on')
      .orderBy('i.reference');
    if (orgId) q = q.where('i.org_id', '=', orgId);
    if (managerId) q = q.where('ci.manager_id', '=', managerId);
    return (limit === null ? q : q.limit(limit)).execute();
  },
  /**
   * Open cases with no manager's investigation assigned, reported before `overdueBefore` (OVERDUE_AFTER_DAYS,
   * domain/incidents.ts; as the case list's overdue filter). `overdue_since` is the day in England they became
   * overdue: escalations of such a case are recorded against it, as an investigation's are against its due date.
   */
  unassignedOverdue(tx: Tx, overdueBefore: Date, orgId?: string, limit: number | null = 2000) {
    const since = sql<string>`to_char(((i.reported_at + make_interval(days => ${OVERDUE_AFTER_DAYS})) at time zone 'Europe/London')::date, 'YYYY-MM-DD')`;
    let q = tx
      .selectFrom('incidents as i')
      .leftJoin('case_investigations as ci', (j) => j.onRef('ci.incident_id', '=', 'i.id').onRef('ci.org_id', '=', 'i.org_id'))
      .select((eb) => [
        'i.id',
        'i.org_id',
        'i.reference',
        'i.status',
        'i.category',
        'i.reported_at',
        since.as('overdue_since'),
        eb
          .selectFrom('case_escalations as e')
          .select((e) => e.fn.max('e.sent_at').as('last'))
          .whereRef('e.incident_id', '=', 'i.id')
          .where(sql<boolean>`e.due_on = ${since}::date`)
          .as('last_escalated_at'),
      ])
      .where('i.status', 'not in', CLOSED_STATUSES)
      .where('i.investigation_due_on', 'is', null)
      .where('ci.completed_at', 'is', null)
      .where('i.reported_at', '<', overdueBefore)
      .orderBy('i.reported_at')
      .orderBy('i.reference');
    if (orgId) q = q.where('i.org_id', '=', orgId);
    return (limit === null ? q : q.limit(limit)).execute();
  },
  insertEscalation(tx: Tx, v: { orgId: string; incidentId: string; dueOn: string; recipients: string[] }) {
    return tx.insertInto('case_escalations').values({ org_id: v.orgId, incident_id: v.incidentId, due_on: v.dueOn, recipients: v.recipients }).execute();
  },
};
