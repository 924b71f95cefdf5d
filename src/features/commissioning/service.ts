import type { Database } from '../../db/database.ts';
import { authorize } from '../../platform/access/policy.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { conflict, invalid, notFound } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { financialYearLabel } from '../organisations/schema.ts';
import { commissioningRepository as repo } from './repository.ts';
import { PROVIDER_TYPES, providerLinkInput } from './schema.ts';

type Row<T> = T extends Promise<infer R> ? R : never;
type ProviderRow = Row<ReturnType<typeof repo.providersOf>>[number];

const providerOut = (p: ProviderRow) => ({
  id: p.id,
  code: p.code,
  name: p.name,
  type: p.type,
  fromYear: p.from_year,
  fromYearLabel: p.from_year === null ? null : financialYearLabel(p.from_year),
  linkedAt: p.created_at.toISOString(),
});

/**
 * Commissioner links (SPEC C1; `002 std 1.6, 1.7`): a commissioner reads its providers' self reviews, annual
 * reports and aggregate statistics, so which providers it commissions decides what it may see. Only a system
 * administrator links or unlinks; every change is audited against the commissioner.
 */
export function commissioningService(db: Database) {
  return {
    /**
     * The providers a commissioner commissions, for other services to scope commissioner access. It does no
     * access check of its own: the caller must have authorised its actor first.
     */
    async providersOf(commissionerOrgId: string) {
      return inScope(db, { orgId: commissionerOrgId }, async (tx) => (await repo.providersOf(tx, commissionerOrgId)).map(providerOut));
    },

    /** The commissioner and its providers, for anyone who may read the commissioner organisation. */
    async providers(actor: Actor, commissionerOrgId: string) {
      authorize(actor, 'organisation.read', commissionerOrgId);
      return inScope(db, { orgId: commissionerOrgId }, async (tx) => {
        const org = await repo.organisation(tx, commissionerOrgId);
        if (org?.type !== 'commissioner') throw notFound('commissioning organisation');
        return { commissioner: org, providers: (await repo.providersOf(tx, commissionerOrgId)).map(providerOut) };
      });
    },

    /** Provider organisations not yet linked to the commissioner, for the "add a provider" choice. */
    async candidates(actor: Actor, commissionerOrgId: string) {
      authorize(actor, 'commissioning.manage');
      return inScope(db, { all: true }, async (tx) => {
        const linked = new Set((await repo.providersOf(tx, commissionerOrgId)).map((p) => p.id));
        return (await repo.organisations(tx)).filter((o) => (PROVIDER_TYPES as readonly string[]).includes(o.type) && !linked.has(o.id));
      });
    },

    async add(actor: Actor, commissionerOrgId: string, raw: unknown) {
      authorize(actor, 'commissioning.manage');
      const input = parse(providerLinkInput, raw);
      return inScope(db, { all: true }, async (tx) => {
        const commissioner = await repo.organisation(tx, commissionerOrgId);
        if (!commissioner) throw notFound('organisation');
        if (commissioner.type !== 'commissioner')
          throw invalid([
            { field: 'commissionerOrgId', message: `${commissioner.name} is not a commissioning organisation, so it cannot commission providers` },
          ]);
        const provider = await repo.organisation(tx, input.providerOrgId);
        if (!provider || !(PROVIDER_TYPES as readonly string[]).includes(provider.type))
          throw invalid([{ field: 'providerOrgId', message: 'Select a provider organisation (an acute, ambulance, mental health or community trust)' }]);
        if (await repo.find(tx, commissionerOrgId, provider.id)) throw conflict('providerOrgId', `${commissioner.name} already commissions ${provider.name}`);
        await repo.insert(tx, commissionerOrgId, provider.id, input.fromYear ?? null);
        await audit(tx, actor, {
          action: 'commissioning.add',
          orgId: commissionerOrgId,
          objectType: 'organisation',
          objectId: provider.id,
          detail: { commissionerOrgId, providerOrgId: provider.id, fromYear: input.fromYear ?? null },
        });
        return (await repo.providersOf(tx, commissionerOrgId)).map(providerOut).find((p) => p.id === provider.id) as ReturnType<typeof providerOut>;
      });
    },

    async remove(actor: Actor, commissionerOrgId: string, providerOrgId: string) {
      authorize(actor, 'commissioning.manage');
      return inScope(db, { all: true }, async (tx) => {
        const link = await repo.find(tx, commissionerOrgId, providerOrgId);
        if (!link) throw notFound('provider link');
        await repo.remove(tx, commissionerOrgId, providerOrgId);
        await audit(tx, actor, {
          action: 'commissioning.remove',
          orgId: commissionerOrgId,
          objectType: 'organisation',
          objectId: providerOrgId,
          detail: { commissionerOrgId, providerOrgId, fromYear: link.from_year },
        });
      });
    },
  };
}

export type CommissioningService = ReturnType<typeof commissioningService>;
