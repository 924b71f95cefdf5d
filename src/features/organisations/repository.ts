import type { Tx } from '../../db/database.ts';
import type { OrganisationType } from '../../db/schema.ts';
import type { DepartmentInput, HeadcountInput, OrganisationInput, SiteInput } from './schema.ts';

/** The only code that touches the organisation tables. Every query runs in a scoped transaction (tenancy.ts). */
export const organisationsRepository = {
  list(tx: Tx, ids?: string[]) {
    let q = tx.selectFrom('organisations').select(['id', 'code', 'name', 'type']).orderBy('name');
    if (ids) {
      if (ids.length === 0) return Promise.resolve([]);
      q = q.where('id', 'in', ids);
    }
    return q.execute();
  },
  find(tx: Tx, id: string) {
    return tx.selectFrom('organisations').select(['id', 'code', 'name', 'type']).where('id', '=', id).executeTakeFirst();
  },
  findByCode(tx: Tx, code: string) {
    return tx
      .selectFrom('organisations')
      .select(['id', 'code', 'name', 'type'])
      .where((eb) => eb(eb.fn('upper', ['code']), '=', code.toUpperCase()))
      .executeTakeFirst();
  },
  insert(tx: Tx, input: OrganisationInput) {
    return tx
      .insertInto('organisations')
      .values({ code: input.code, name: input.name, type: input.type as OrganisationType })
      .returning(['id', 'code', 'name', 'type'])
      .executeTakeFirstOrThrow();
  },
  update(tx: Tx, id: string, input: OrganisationInput) {
    return tx
      .updateTable('organisations')
      .set({ code: input.code, name: input.name, type: input.type as OrganisationType })
      .where('id', '=', id)
      .returning(['id', 'code', 'name', 'type'])
      .executeTakeFirst();
  },
  sites(tx: Tx, orgId: string) {
    return tx.selectFrom('sites').select(['id', 'name', 'address', 'postcode', 'is_large']).where('org_id', '=', orgId).orderBy('name').execute();
  },
  findSite(tx: Tx, orgId: string, id: string) {
    return tx.selectFrom('sites').select(['id', 'name', 'address', 'postcode', 'is_large']).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  },
  siteNamed(tx: Tx, orgId: string, name: string) {
    return tx
      .selectFrom('sites')
      .select('id')
      .where('org_id', '=', orgId)
      .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
      .executeTakeFirst();
  },
  insertSite(tx: Tx, orgId: string, s: SiteInput) {
    return tx
      .insertInto('sites')
      .values({ org_id: orgId, name: s.name, address: s.address, postcode: s.postcode ?? null, is_large: s.isLarge })
      .returning(['id', 'name', 'address', 'postcode', 'is_large'])
      .executeTakeFirstOrThrow();
  },
  updateSite(tx: Tx, orgId: string, id: string, s: SiteInput) {
    return tx
      .updateTable('sites')
      .set({ name: s.name, address: s.address, postcode: s.postcode ?? null, is_large: s.isLarge })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .returning(['id', 'name', 'address', 'postcode', 'is_large'])
      .executeTakeFirst();
  },
  departments(tx: Tx, orgId: string) {
    return tx.selectFrom('departments').select(['id', 'name', 'site_id']).where('org_id', '=', orgId).orderBy('name').execute();
  },
  departmentNamed(tx: Tx, orgId: string, name: string) {
    return tx
      .selectFrom('departments')
      .select('id')
      .where('org_id', '=', orgId)
      .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
      .executeTakeFirst();
  },
  insertDepartment(tx: Tx, orgId: string, d: DepartmentInput) {
    return tx
      .insertInto('departments')
      .values({ org_id: orgId, name: d.name, site_id: d.siteId ?? null })
      .returning(['id', 'name', 'site_id'])
      .executeTakeFirstOrThrow();
  },
  headcounts(tx: Tx, orgId: string) {
    return tx.selectFrom('staff_headcounts').select(['financial_year', 'headcount']).where('org_id', '=', orgId).orderBy('financial_year', 'desc').execute();
  },
  upsertHeadcount(tx: Tx, orgId: string, h: HeadcountInput) {
    return tx
      .insertInto('staff_headcounts')
      .values({ org_id: orgId, financial_year: h.financialYear, headcount: h.headcount })
      .onConflict((oc) => oc.columns(['org_id', 'financial_year']).doUpdateSet({ headcount: h.headcount }))
      .returning(['financial_year', 'headcount'])
      .executeTakeFirstOrThrow();
  },
};
