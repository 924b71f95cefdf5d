import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { can } from '../../platform/access/policy.ts';
import { unauthenticated } from '../../platform/errors.ts';
import { idParam, submitForm } from '../../platform/forms.ts';
import { ORGANISATION_TYPE_LABELS } from '../organisations/schema.ts';
import { providerLinkInput, providerOut } from './schema.ts';
import type { CommissioningService } from './service.ts';

/** The providers a commissioner commissions: `/organisations/:id/providers` and its API. */
export async function commissioningRoutes(app: FastifyInstance, service: CommissioningService): Promise<void> {
  const actorOf = (req: FastifyRequest) => {
    if (!req.actor) throw unauthenticated();
    return req.actor;
  };
  const hide = { schema: { hide: true } };

  const page = (req: FastifyRequest, id: string) => async (values: Record<string, unknown>) => {
    const actor = actorOf(req);
    const { commissioner, providers } = await service.providers(actor, id);
    const canManage = can(actor, 'commissioning.manage');
    const candidates = canManage ? await service.candidates(actor, id) : [];
    return {
      template: 'commissioning/views/providers.njk',
      context: {
        title: `Providers commissioned by ${commissioner.name}`,
        commissioner,
        providers: providers.map((p) => ({ ...p, typeLabel: ORGANISATION_TYPE_LABELS[p.type] })),
        canManage,
        providerItems: [
          { value: '', text: 'Select a provider' },
          ...candidates.map((o) => ({ value: o.id, text: `${o.name} (${o.code})`, selected: values.providerOrgId === o.id })),
        ],
        removed: (req.query as Record<string, unknown>).removed === '1',
      },
    };
  };

  app.get('/organisations/:id/providers', hide, async (req, reply) => {
    const { template, context } = await page(req, idParam(req))({});
    return reply.page(template, { ...context, values: {} });
  });
  app.post('/organisations/:id/providers', hide, async (req, reply) => {
    const id = idParam(req);
    return submitForm(req, reply, async (body) => (await service.add(actorOf(req), id, body), `/organisations/${id}/providers`), page(req, id));
  });
  app.post('/organisations/:id/providers/:providerId/remove', hide, async (req, reply) => {
    const id = idParam(req);
    await service.remove(actorOf(req), id, idParam(req, 'providerId'));
    return reply.redirect(`/organisations/${id}/providers?removed=1`, 303);
  });

  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['organisations'];
  const idParams = z.object({ id: z.uuid() });
  api.get(
    '/api/v1/organisations/:id/providers',
    { schema: { tags, summary: 'Providers a commissioning organisation commissions', params: idParams, response: { 200: z.array(providerOut) } } },
    async (req) => (await service.providers(actorOf(req), req.params.id)).providers,
  );
  api.post(
    '/api/v1/organisations/:id/providers',
    {
      schema: {
        tags,
        summary: 'Link a provider to a commissioner (system administrators)',
        params: idParams,
        body: providerLinkInput,
        response: { 201: providerOut },
      },
    },
    async (req, reply) => reply.code(201).send(await service.add(actorOf(req), req.params.id, req.body)),
  );
  api.delete(
    '/api/v1/organisations/:id/providers/:providerId',
    { schema: { tags, summary: 'Unlink a provider from a commissioner (system administrators)', params: z.object({ id: z.uuid(), providerId: z.uuid() }) } },
    async (req, reply) => {
      await service.remove(actorOf(req), req.params.id, req.params.providerId);
      return reply.code(204).send();
    },
  );
}
