import type { Database } from '../../db/database.ts';
import {
  CATEGORY_DEFINITIONS,
  type IncidentCategory,
  type IncidentStatus,
  isClosed,
  londonParts,
  MEDICAL_FACTORS_LABELS,
  type MedicalFactors,
  STATUS_LABELS,
  unassignedOverdueBefore,
} from '../../domain/incidents.ts';
import { londonToday } from '../../domain/markers.ts';
import { PERSONAL_FIELDS, type PersonalField, personalFieldsFor, roleMaySeePersonalData } from '../../domain/personal-data.ts';
import { authorize, can } from '../../platform/access/policy.ts';
import type { Actor, Role } from '../../platform/access/roles.ts';
import { audit, auditRecord } from '../../platform/audit.ts';
import { forbidden, invalid } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { toSpreadsheet } from './export.ts';
import { auditPersonalRead } from './personal-data.ts';
import { casesListRepository as repo } from './repository.ts';
import { CASES_PAGE_SIZE, type CaseExportQuery, type CaseFilters, caseExportQuery, caseFilters, EXPORT_LIMIT } from './schema.ts';

type Member = Extract<Actor, { kind: 'user' }> & { orgId: string };
type ListRow = Awaited<ReturnType<typeof repo.list>>[number];

/**
 * `002 std 4.1` (timely investigation): an open case is overdue once its investigation's due date has passed, or,
 * while no due date is set, OVERDUE_AFTER_DAYS (domain/incidents.ts) after it was reported. A completed
 * investigation is not overdue work, whatever its due date (as `/cases/overdue`, features/cases/repository.ts).
 */
export function isOverdue(status: IncidentStatus, reportedAt: Date, dueOn: string | null, now: Date, investigationCompleted = false): boolean {
  if (isClosed(status)) return false;
  if (investigationCompleted) return false;
  if (dueOn) return dueOn < londonToday(now);
  return reportedAt < unassignedOverdueBefore(now);
}

/** `YYYY-MM-DD HH:MM`, UK time: sortable in a spreadsheet and unambiguous. */
export function ukStamp(d: Date): string {
  const p = londonParts(d);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
}

/**
 * Case lists for the security team and managers (issue 4 §13): filters, full-text search over narratives,
 * pagination, and exports to CSV and XLSX. Who sees personal data comes from src/domain/personal-data.ts; every
 * read of it is audited in the transaction that reads it.
 */
export function casesListService(db: Database, options: { exportLimit?: number } = {}) {
  const exportLimit = options.exportLimit ?? EXPORT_LIMIT;

  const member = (actor: Actor | null, action: 'case.list' | 'case.export'): Member => {
    const a = authorize(actor, action, actor?.kind === 'user' ? actor.orgId : undefined);
    if (a.kind !== 'user' || !a.orgId) throw forbidden('Case lists are for people acting for an organisation.');
    return a as Member;
  };

  /** Which cases the actor may list: the security specialist and SMD all of the organisation's; a manager only those assigned to them. */
  const scopeOf = (a: Member): { all?: true; assignedTo?: string } =>
    a.roles.some((r) => r === 'security_specialist' || r === 'smd') ? { all: true } : { assignedTo: a.userId };

  /** The personal fields shown in a list: the security specialist's, or a manager's on cases assigned to them. */
  const listFields = (a: Member, scope: { all?: true; assignedTo?: string }) => {
    const roles = a.roles as Role[];
    if (scope.assignedTo) return personalFieldsFor({ roles, isAssignedManager: true });
    return personalFieldsFor({ roles });
  };

  /** The personal fields an export holds: all of them for roles that may see personal data, else none. */
  const exportFields = (a: Member): Set<PersonalField> => {
    const roles = a.roles as Role[];
    return new Set(roleMaySeePersonalData(roles) && personalFieldsFor({ roles }).size > 0 ? PERSONAL_FIELDS : []);
  };

  /**
   * Issue 4 item 14: narratives only to the roles that need them. Searching them would tell the searcher what they
   * say (a name searched for, and found), so only a caller who sees the narratives of the cases listed may search.
   */
  const refuseSearchWithout = (filters: { q?: string }, fields: ReadonlySet<PersonalField>) => {
    if (filters.q && !fields.has('narrative'))
      throw invalid([{ field: 'q', message: 'Searching what happened is only for roles that may read the narratives: remove the search words' }]);
  };

  const matchOptions = (a: Member, filters: Omit<CaseFilters, 'page'>, now: Date, assignedTo?: string) => ({
    orgId: a.orgId,
    filters,
    overdueBefore: unassignedOverdueBefore(now),
    today: londonToday(now),
    assignedTo,
  });

  const facts = (r: ListRow, now: Date) => {
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
      site: r.site_name,
      department: r.department_name,
      late: r.is_late,
      overdue: isOverdue(status, r.reported_at, r.investigation_due_on, now, r.investigation_completed_at !== null),
      investigationDueOn: r.investigation_due_on,
      medicalFactors: r.medical_factors,
      policeAttended: r.police_attended,
    };
  };

  async function personalOf(tx: Parameters<typeof repo.list>[0], orgId: string, rows: ListRow[], fields: ReadonlySet<PersonalField>) {
    const found = await repo.personal(
      tx,
      orgId,
      rows.map((r) => r.id),
    );
    const byId = new Map(found.incidents.map((i) => [i.id, i]));
    const out = new Map<
      string,
      { affected: Person[]; assailants: Person[]; crimeReference: string | null; place: string | null; injuries: string | null; narrative: string | null }
    >();
    for (const r of rows) {
      const i = byId.get(r.id);
      out.set(r.id, {
        affected: [],
        assailants: [],
        crimeReference: fields.has('police') ? (i?.crime_reference ?? null) : null,
        // the place in the words of the report: the detail on a site, or the address in the community
        place: fields.has('place') ? [i?.location_detail, i?.community_address].filter(Boolean).join(', ') || null : null,
        injuries: fields.has('injuries') ? (i?.injury_description ?? null) : null,
        narrative: fields.has('narrative') ? (i?.narrative ?? null) : null,
      });
    }
    for (const p of found.people) {
      const entry = out.get(p.incident_id);
      if (!entry) continue;
      const person = { type: p.person_type, name: fields.has('identities') ? p.name : null, dateOfBirth: fields.has('datesOfBirth') ? p.date_of_birth : null };
      (p.involvement === 'assailant' ? entry.assailants : entry.affected).push(person);
    }
    return out;
  }
  type Person = { type: string; name: string | null; dateOfBirth: string | null };

  return {
    /** The organisation's sites, for the site filter. */
    async filterOptions(actor: Actor | null) {
      const a = member(actor, 'case.list');
      return inScope(db, { orgId: a.orgId }, async (tx) => ({ sites: await repo.sites(tx, a.orgId) }));
    },

    /**
     * What awaits the actor, for the home page: for the security team and the SMD, the organisation's reports not
     * yet triaged and its overdue cases; for a manager, their open cases and how many are overdue. Counts only,
     * so nothing personal is read. Null for roles without case lists.
     */
    async waiting(actor: Actor | null, now = new Date()) {
      if (actor?.kind !== 'user' || !actor.orgId || !can(actor, 'case.list', actor.orgId)) return null;
      const a = member(actor, 'case.list');
      const scope = scopeOf(a);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const count = (raw: Record<string, string>) => repo.count(tx, matchOptions(a, parse(caseFilters, raw), now, scope.assignedTo));
        const overdue = await count({ overdue: '1' });
        return scope.all
          ? { scope: 'organisation' as const, toTriage: await count({ status: 'reported' }), overdue }
          : { scope: 'assigned' as const, toInvestigate: await count({ investigating: '1' }), overdue };
      });
    },

    /** True when the actor may search the narratives (the page offers the search box). */
    maySearch(actor: Actor | null): boolean {
      try {
        const a = member(actor, 'case.list');
        return listFields(a, scopeOf(a)).has('narrative');
      } catch {
        return false;
      }
    },

    /** True when the actor may export the list (the page offers the links). */
    mayExport(actor: Actor | null): boolean {
      try {
        member(actor, 'case.export');
        return true;
      } catch {
        return false;
      }
    },

    /**
     * One page of cases matching the filters, newest reported first (or oldest). Personal data is included only
     * for roles that may see it, and each case whose personal data is returned gets an `incident.read_personal`
     * audit record in the same transaction.
     */
    async list(actor: Actor | null, raw: unknown, now = new Date()) {
      const a = member(actor, 'case.list');
      const filters: CaseFilters = parse(caseFilters, raw);
      const scope = scopeOf(a);
      const fields = listFields(a, scope);
      refuseSearchWithout(filters, fields);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const sites = await repo.sites(tx, a.orgId);
        const base = { filters, sites, page: filters.page, pageSize: CASES_PAGE_SIZE, assignedOnly: !!scope.assignedTo };
        const offset = (filters.page - 1) * CASES_PAGE_SIZE;
        const w = matchOptions(a, filters, now, scope.assignedTo);
        const rows = await repo.list(tx, { ...w, limit: CASES_PAGE_SIZE, offset });
        // Past the last page there is no row to carry the count: count apart, so the total stays true.
        const total = rows[0]?.total ?? (offset > 0 ? await repo.count(tx, w) : 0);
        const personal = fields.size > 0 ? await personalOf(tx, a.orgId, rows, fields) : undefined;
        if (personal && rows.length) await auditPersonalRead(tx, a, a.orgId, rows, [...fields], 'case_list');
        return {
          ...base,
          total,
          hasNext: offset + rows.length < total,
          personalData: fields.size > 0,
          cases: rows.map((r) => ({ ...facts(r, now), ...(personal ? { personal: personal.get(r.id) } : {}) })),
        };
      });
    },

    /**
     * Every case matching the filters as a CSV or XLSX file, for the page (`/cases/export`) and the API
     * (`/api/v1/cases/export`). An export matching more than the export limit is refused (400) rather than cut
     * short. Personal columns (people, crime reference, place, injuries, narrative) only for roles that may see personal data;
     * formula-like cells are escaped. The export is audited (`case.export`), and so is the read of each exported
     * case's personal data (one `incident.read_personal` event per case, written in one statement).
     */
    async export(actor: Actor | null, raw: unknown, now = new Date()) {
      const a = member(actor, 'case.export');
      const { format, ...filters }: CaseExportQuery = parse(caseExportQuery, raw ?? {});
      const fields = exportFields(a);
      const includePersonal = fields.size > 0;
      refuseSearchWithout(filters, fields);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const w = matchOptions(a, filters, now);
        const total = await repo.count(tx, w);
        if (total > exportLimit)
          throw invalid([
            {
              field: 'filters',
              message: `${total.toLocaleString('en-GB')} cases match these filters, more than the ${exportLimit.toLocaleString('en-GB')} an export can hold: narrow the filters (for example, a shorter date range) and download again`,
            },
          ]);
        const rows = await repo.list(tx, { ...w, limit: exportLimit, offset: 0 });
        const personal = includePersonal ? await personalOf(tx, a.orgId, rows, fields) : undefined;
        const header = [
          'Reference',
          'Occurred (UK time)',
          'Reported (UK time)',
          'Category',
          'Status',
          'Site',
          'Department',
          'Reported late',
          'Overdue',
          'Medical factors',
          'Police attended',
          ...(includePersonal ? ['Crime reference', 'People affected', 'Assailants', 'Place', 'Injuries', 'What happened'] : []),
        ];
        const names = (list: Person[]) =>
          list.map((p) => [p.name ?? p.type, p.dateOfBirth ? `born ${p.dateOfBirth}` : ''].filter(Boolean).join(', ')).join('; ');
        const body = rows.map((r) => {
          const f = facts(r, now);
          const p = personal?.get(r.id);
          return [
            f.reference,
            ukStamp(f.occurredAt),
            ukStamp(f.reportedAt),
            f.categoryLabel,
            f.statusLabel,
            f.site ?? '',
            f.department ?? '',
            f.late ? 'Yes' : 'No',
            f.overdue ? 'Yes' : 'No',
            f.medicalFactors ? MEDICAL_FACTORS_LABELS[f.medicalFactors as MedicalFactors] : '',
            f.policeAttended ? 'Yes' : 'No',
            ...(p ? [p.crimeReference ?? '', names(p.affected), names(p.assailants), p.place ?? '', p.injuries ?? '', p.narrative ?? ''] : []),
          ];
        });
        await audit(tx, a, {
          action: 'case.export',
          orgId: a.orgId,
          objectType: 'case_list',
          detail: { format, criteria: filters, count: rows.length, personalData: includePersonal },
        });
        // One record per case whose personal data left in the file, found by the case like any other read of it;
        // the request id ties each to the `case.export` record above.
        if (includePersonal)
          await repo.auditReads(
            tx,
            auditRecord(a, {
              action: 'incident.read_personal',
              orgId: a.orgId,
              objectType: 'incident',
              detail: { fields: [...fields], via: `export_${format}` },
            }),
            a.orgId,
            rows.map((r) => r.id),
          );
        const stamp = ukStamp(now).slice(0, 10);
        const file = await toSpreadsheet(format, 'Cases', header, body);
        return { filename: `cases-${stamp}.${format}`, contentType: file.contentType, body: file.body, count: rows.length };
      });
    },
  };
}

export type CasesListService = ReturnType<typeof casesListService>;
