import type { Database } from '../../db/database.ts';
import { authorize } from '../../platform/access/policy.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { parseCsvRecords } from '../../platform/csv.ts';
import { conflict, invalid, notFound } from '../../platform/errors.ts';
import { inScope, scopeFor } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { organisationsRepository as repo } from './repository.ts';
import { departmentInput, financialYearLabel, headcountInput, type OrganisationInput, organisationInput, siteInput } from './schema.ts';

type Row<T> = T extends Promise<infer R> ? R : never;
type SiteRow = NonNullable<Row<ReturnType<typeof repo.findSite>>>;

const site = (s: SiteRow) => ({ id: s.id, name: s.name, address: s.address, postcode: s.postcode, isLarge: s.is_large });

/** Organisations, their sites, departments and staff headcounts (SPEC C1). Every method checks access first. */
export function organisationsService(db: Database) {
  return {
    /** Organisations the actor may see: all for deployment-wide roles, otherwise those the user holds roles in. */
    async list(actor: Actor) {
      authorize(actor, 'organisation.list');
      return inScope(db, scopeFor(actor), async (tx) => {
        if (actor.kind === 'system' || actor.globalRoles.length > 0) return repo.list(tx);
        const memberOf = await tx
          .selectFrom('user_roles')
          .select('org_id')
          .distinct()
          .where('user_id', '=', actor.userId)
          .where('org_id', 'is not', null)
          .execute();
        return repo.list(
          tx,
          memberOf.map((m) => m.org_id as string),
        );
      });
    },

    /** One organisation with its sites, departments and headcounts. */
    async get(actor: Actor, id: string) {
      authorize(actor, 'organisation.read', id);
      return inScope(db, { orgId: id }, async (tx) => {
        const org = await repo.find(tx, id);
        if (!org) throw notFound('organisation');
        const [sites, departments, headcounts] = await Promise.all([repo.sites(tx, id), repo.departments(tx, id), repo.headcounts(tx, id)]);
        return {
          ...org,
          sites: sites.map(site),
          departments: departments.map((d) => ({ id: d.id, name: d.name, siteId: d.site_id })),
          headcounts: headcounts.map((h) => ({ financialYear: h.financial_year, label: financialYearLabel(h.financial_year), headcount: h.headcount })),
        };
      });
    },

    async create(actor: Actor, raw: unknown) {
      authorize(actor, 'organisation.create');
      const input = parse(organisationInput, raw);
      return inScope(db, { all: true }, async (tx) => {
        if (await repo.findByCode(tx, input.code)) throw conflict('code', `An organisation with code ${input.code} already exists`);
        const org = await repo.insert(tx, input);
        await audit(tx, actor, { action: 'organisation.create', orgId: org.id, objectType: 'organisation', objectId: org.id, detail: input });
        return org;
      });
    },

    async update(actor: Actor, id: string, raw: unknown) {
      authorize(actor, 'organisation.update', id);
      const input = parse(organisationInput, raw);
      return inScope(db, { orgId: id }, async (tx) => {
        const before = await repo.find(tx, id);
        if (!before) throw notFound('organisation');
        const clash = await repo.findByCode(tx, input.code);
        if (clash && clash.id !== id) throw conflict('code', `An organisation with code ${input.code} already exists`);
        const after = await repo.update(tx, id, input);
        await audit(tx, actor, { action: 'organisation.update', orgId: id, objectType: 'organisation', objectId: id, detail: { before, after: input } });
        return after ?? before;
      });
    },

    async getSite(actor: Actor, orgId: string, siteId: string) {
      authorize(actor, 'organisation.read', orgId);
      return inScope(db, { orgId }, async (tx) => {
        const s = await repo.findSite(tx, orgId, siteId);
        if (!s) throw notFound('site');
        return site(s);
      });
    },

    async addSite(actor: Actor, orgId: string, raw: unknown) {
      authorize(actor, 'site.manage', orgId);
      const input = parse(siteInput, raw);
      return inScope(db, { orgId }, async (tx) => {
        if (!(await repo.find(tx, orgId))) throw notFound('organisation');
        if (await repo.siteNamed(tx, orgId, input.name)) throw conflict('name', `This organisation already has a site called ${input.name}`);
        const s = await repo.insertSite(tx, orgId, input);
        await audit(tx, actor, { action: 'site.create', orgId, objectType: 'site', objectId: s.id, detail: input });
        return site(s);
      });
    },

    async updateSite(actor: Actor, orgId: string, siteId: string, raw: unknown) {
      authorize(actor, 'site.manage', orgId);
      const input = parse(siteInput, raw);
      return inScope(db, { orgId }, async (tx) => {
        const before = await repo.findSite(tx, orgId, siteId);
        if (!before) throw notFound('site');
        const clash = await repo.siteNamed(tx, orgId, input.name);
        if (clash && clash.id !== siteId) throw conflict('name', `This organisation already has a site called ${input.name}`);
        const s = await repo.updateSite(tx, orgId, siteId, input);
        await audit(tx, actor, { action: 'site.update', orgId, objectType: 'site', objectId: siteId, detail: { before: site(before), after: input } });
        return site(s ?? before);
      });
    },

    async addDepartment(actor: Actor, orgId: string, raw: unknown) {
      authorize(actor, 'site.manage', orgId);
      const input = parse(departmentInput, raw);
      return inScope(db, { orgId }, async (tx) => {
        if (!(await repo.find(tx, orgId))) throw notFound('organisation');
        if (input.siteId && !(await repo.findSite(tx, orgId, input.siteId))) throw invalid([{ field: 'siteId', message: 'Select a site from the list' }]);
        if (await repo.departmentNamed(tx, orgId, input.name)) throw conflict('name', `This organisation already has a department called ${input.name}`);
        const d = await repo.insertDepartment(tx, orgId, input);
        await audit(tx, actor, { action: 'department.create', orgId, objectType: 'department', objectId: d.id, detail: input });
        return { id: d.id, name: d.name, siteId: d.site_id };
      });
    },

    /** Records (or corrects) the staff headcount for a financial year: the denominator of rates per 1,000 staff. */
    async setHeadcount(actor: Actor, orgId: string, raw: unknown) {
      authorize(actor, 'headcount.manage', orgId);
      const input = parse(headcountInput, raw);
      return inScope(db, { orgId }, async (tx) => {
        if (!(await repo.find(tx, orgId))) throw notFound('organisation');
        const h = await repo.upsertHeadcount(tx, orgId, input);
        await audit(tx, actor, { action: 'headcount.set', orgId, objectType: 'staff_headcount', objectId: `${orgId}/${input.financialYear}`, detail: input });
        return { financialYear: h.financial_year, label: financialYearLabel(h.financial_year), headcount: h.headcount };
      });
    },

    /**
     * Imports organisations from CSV with columns code, name, type and optionally financial_year and headcount.
     * Every row is checked first; one bad row rejects the whole file with line-numbered messages, and nothing
     * is written. Existing codes are updated, new ones created.
     */
    async importCsv(actor: Actor, text: string) {
      authorize(actor, 'organisation.import');
      const rows = parseCsvRecords(text);
      const problems: { field: string; message: string }[] = [];
      if (rows.length === 0)
        throw invalid([
          { field: 'file', message: 'The file has no rows: it needs a header row (code,name,type,financial_year,headcount) and one row per organisation' },
        ]);
      const parsed: { line: number; org: OrganisationInput; headcount?: { financialYear: number; headcount: number } }[] = [];
      const seen = new Map<string, number>();
      for (const { line, record } of rows) {
        const org = organisationInput.safeParse(record);
        if (!org.success) {
          for (const i of org.error.issues) problems.push({ field: `line ${line}`, message: `line ${line}, ${String(i.path[0] ?? 'row')}: ${i.message}` });
          continue;
        }
        const dup = seen.get(org.data.code);
        if (dup) problems.push({ field: `line ${line}`, message: `line ${line}, code: ${org.data.code} is already on line ${dup}` });
        seen.set(org.data.code, line);
        let headcount: { financialYear: number; headcount: number } | undefined;
        if ((record.financial_year ?? '') !== '' || (record.headcount ?? '') !== '') {
          const h = headcountInput.safeParse({ financialYear: record.financial_year, headcount: record.headcount });
          if (!h.success) {
            for (const i of h.error.issues) problems.push({ field: `line ${line}`, message: `line ${line}, ${String(i.path[0])}: ${i.message}` });
            continue;
          }
          headcount = h.data;
        }
        parsed.push({ line, org: org.data, headcount });
      }
      if (problems.length) throw invalid(problems, `The file was not imported: ${problems.length} problem(s) found`);
      return inScope(db, { all: true }, async (tx) => {
        let created = 0;
        let updated = 0;
        for (const { org, headcount } of parsed) {
          const existing = await repo.findByCode(tx, org.code);
          const row = existing ? await repo.update(tx, existing.id, org) : await repo.insert(tx, org);
          if (!row) continue;
          existing ? updated++ : created++;
          if (headcount) await repo.upsertHeadcount(tx, row.id, headcount);
          await audit(tx, actor, {
            action: existing ? 'organisation.update' : 'organisation.create',
            orgId: row.id,
            objectType: 'organisation',
            objectId: row.id,
            detail: { ...org, headcount, via: 'import' },
          });
        }
        return { created, updated };
      });
    },
  };
}

export type OrganisationsService = ReturnType<typeof organisationsService>;
