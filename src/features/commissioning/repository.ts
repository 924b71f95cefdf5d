import type { Tx } from '../../db/database.ts';

/** The only code that touches `commissioning`: which providers each commissioner commissions. */
export const commissioningRepository = {
  /** The providers a commissioner commissions, by name. Usable inside other features' transactions. */
  providersOf(tx: Tx, commissionerOrgId: string) {
    return tx
      .selectFrom('commissioning')
      .innerJoin('organisations', 'organisations.id', 'commissioning.provider_org_id')
      .select(['organisations.id', 'organisations.code', 'organisations.name', 'organisations.type', 'commissioning.from_year', 'commissioning.created_at'])
      .where('commissioning.commissioner_org_id', '=', commissionerOrgId)
      .orderBy('organisations.name')
      .execute();
  },

  /** The commissioners of a provider; with `year`, only those whose link covers that year (`coversYear`). */
  commissionersOf(tx: Tx, providerOrgId: string, year?: number) {
    let q = tx
      .selectFrom('commissioning')
      .innerJoin('organisations', 'organisations.id', 'commissioning.commissioner_org_id')
      .select(['organisations.id', 'organisations.code', 'organisations.name'])
      .where('commissioning.provider_org_id', '=', providerOrgId);
    if (year !== undefined) q = q.where((eb) => eb.or([eb('commissioning.from_year', 'is', null), eb('commissioning.from_year', '<=', year)]));
    return q.orderBy('organisations.name').execute();
  },

  /**
   * The people to tell that a provider has submitted something to them: active users with the commissioner role in
   * `commissionerOrgIds`, and with `assessors` the national quality assessors (a deployment-wide role). Reads
   * across organisations: call it in a deployment-wide transaction.
   */
  overseers(tx: Tx, commissionerOrgIds: string[], options: { assessors: boolean }) {
    return tx
      .selectFrom('user_roles as r')
      .innerJoin('users as u', 'u.id', 'r.user_id')
      .select(['u.email', 'r.org_id'])
      .distinct()
      .where('u.is_active', '=', true)
      .where((eb) =>
        eb.or([
          eb.and([eb('r.role', '=', 'commissioner'), commissionerOrgIds.length ? eb('r.org_id', 'in', commissionerOrgIds) : eb.val(false)]),
          options.assessors ? eb.and([eb('r.role', '=', 'national_assessor'), eb('r.org_id', 'is', null)]) : eb.val(false),
        ]),
      )
      .orderBy('u.email')
      .orderBy('r.org_id')
      .execute();
  },

  find(tx: Tx, commissionerOrgId: string, providerOrgId: string) {
    return tx
      .selectFrom('commissioning')
      .select(['commissioner_org_id', 'provider_org_id', 'from_year'])
      .where('commissioner_org_id', '=', commissionerOrgId)
      .where('provider_org_id', '=', providerOrgId)
      .executeTakeFirst();
  },

  insert(tx: Tx, commissionerOrgId: string, providerOrgId: string, fromYear: number | null) {
    return tx.insertInto('commissioning').values({ commissioner_org_id: commissionerOrgId, provider_org_id: providerOrgId, from_year: fromYear }).execute();
  },

  async remove(tx: Tx, commissionerOrgId: string, providerOrgId: string) {
    const r = await tx
      .deleteFrom('commissioning')
      .where('commissioner_org_id', '=', commissionerOrgId)
      .where('provider_org_id', '=', providerOrgId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },

  organisation(tx: Tx, id: string) {
    return tx.selectFrom('organisations').select(['id', 'code', 'name', 'type']).where('id', '=', id).executeTakeFirst();
  },

  organisations(tx: Tx) {
    return tx.selectFrom('organisations').select(['id', 'code', 'name', 'type']).orderBy('name').execute();
  },
};
