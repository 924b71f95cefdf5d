import type { Database } from '../../db/database.ts';
import {
  CATEGORY_DEFINITIONS,
  type IncidentCategory,
  type IncidentStatus,
  londonParts,
  MEDICAL_FACTORS_LABELS,
  type MedicalFactors,
  STATUS_LABELS,
} from '../../domain/incidents.ts';
import { londonToday } from '../../domain/markers.ts';
import { type PersonalField, personalFieldsFor, roleMaySeePersonalData } from '../../domain/personal-data.ts';
import { authorize } from '../../platform/access/policy.ts';
import type { Actor, Role } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { forbidden } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { toSpreadsheet } from './export.ts';
import { auditPersonalRead } from './personal-data.ts';
import { casesListRepository as repo } from './repository.ts';
import { CASES_PAGE_SIZE, type CaseFilters, caseFilters, EXPORT_LIMIT, exportFormat, OVERDUE_AFTER_DAYS } from './schema.ts';

type Member = Extract<Actor, { kind: 'user' }> & { orgId: string };
type ListRow = Awaited<ReturnType<typeof repo.list>>[number];

/**
 * `002 std 4.1` (timely investigation): an open case is overdue once its investigation's due date has passed, or,
 * while no due date is set, OVERDUE_AFTER_DAYS after it was reported.
 */
export function isOverdue(status: IncidentStatus, reportedAt: Date, dueOn: string | null, now: Date): boolean {
  if (status === 'closed' || status === 'closed_nfa') return false;
  if (dueOn) return dueOn < londonToday(now);
  return reportedAt.getTime() < now.getTime() - OVERDUE_AFTER_DAYS * 86_400_000;
}

const ALL_FIELDS: PersonalField[] = ['identities', 'datesOfBirth', 'police', 'narrative'];

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
export function casesListService(db: Database) {
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
      overdue: isOverdue(status, r.reported_at, r.investigation_due_on, now),
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
    const out = new Map<string, { affected: Person[]; assailants: Person[]; crimeReference: string | null; narrative: string | null }>();
    for (const r of rows)
      out.set(r.id, {
        affected: [],
        assailants: [],
        crimeReference: fields.has('police') ? (byId.get(r.id)?.crime_reference ?? null) : null,
        narrative: fields.has('narrative') ? (byId.get(r.id)?.narrative ?? null) : null,
      });
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
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const scope = scopeOf(a);
        const sites = await repo.sites(tx, a.orgId);
        const base = { filters, sites, page: filters.page, pageSize: CASES_PAGE_SIZE, assignedOnly: !!scope.assignedTo };
        const offset = (filters.page - 1) * CASES_PAGE_SIZE;
        const rows = await repo.list(tx, {
          orgId: a.orgId,
          filters,
          overdueBefore: new Date(now.getTime() - OVERDUE_AFTER_DAYS * 86_400_000),
          today: londonToday(now),
          assignedTo: scope.assignedTo,
          limit: CASES_PAGE_SIZE,
          offset,
        });
        const total = rows[0]?.total ?? 0;
        const fields = listFields(a, scope);
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
     * Every case matching the filters (up to EXPORT_LIMIT) as a CSV or XLSX file. Personal columns (people,
     * crime reference, narrative) only for roles that may see personal data; formula-like cells are escaped.
     * The export is audited (`case.export`), and so is the read of personal data it includes.
     */
    async export(actor: Actor | null, raw: unknown, now = new Date()) {
      const a = member(actor, 'case.export');
      const { format: rawFormat, ...rest } = (raw ?? {}) as Record<string, unknown>;
      const format = parse(exportFormat.optional().default('csv'), rawFormat === '' ? undefined : rawFormat);
      const filters: CaseFilters = parse(caseFilters, { ...rest, page: undefined });
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const rows = await repo.list(tx, {
          orgId: a.orgId,
          filters,
          overdueBefore: new Date(now.getTime() - OVERDUE_AFTER_DAYS * 86_400_000),
          today: londonToday(now),
          limit: EXPORT_LIMIT,
          offset: 0,
        });
        const includePersonal = roleMaySeePersonalData(a.roles as Role[]) && personalFieldsFor({ roles: a.roles as Role[] }).size > 0;
        const fields = new Set<PersonalField>(includePersonal ? ALL_FIELDS : []);
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
          ...(includePersonal ? ['Crime reference', 'People affected', 'Assailants', 'What happened'] : []),
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
            ...(p ? [p.crimeReference ?? '', names(p.affected), names(p.assailants), p.narrative ?? ''] : []),
          ];
        });
        const { page: _page, ...criteria } = filters;
        await audit(tx, a, {
          action: 'case.export',
          orgId: a.orgId,
          objectType: 'case_list',
          detail: { format, criteria, count: rows.length, personalData: includePersonal },
        });
        // One record for the whole file: it names every case whose personal data left in it.
        if (includePersonal && rows.length)
          await audit(tx, a, {
            action: 'incident.read_personal',
            orgId: a.orgId,
            objectType: 'case_list',
            detail: { via: `export_${format}`, fields: [...fields], references: rows.map((r) => r.reference) },
          });
        const stamp = ukStamp(now).slice(0, 10);
        const file = await toSpreadsheet(format, 'Cases', header, body);
        return { filename: `cases-${stamp}.${format}`, contentType: file.contentType, body: file.body, count: rows.length };
      });
    },
  };
}

export type CasesListService = ReturnType<typeof casesListService>;
