import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authorize, can } from '../../platform/access/policy.ts';
import { actorOf, idParam, submitForm } from '../../platform/forms.ts';
import {
  departmentInput,
  departmentOut,
  headcountOut,
  ORGANISATION_TYPE_LABELS,
  ORGANISATION_TYPES,
  organisationDetailOut,
  organisationInput,
  organisationOut,
  siteInput,
  siteOut,
} from './schema.ts';
import type { OrganisationsService } from './service.ts';

const typeItems = (selected?: unknown) => ORGANISATION_TYPES.map((t) => ({ value: t, text: ORGANISATION_TYPE_LABELS[t], checked: selected === t }));

/** Organisation pages and the `/api/v1/organisations` API. Routes parse, call one service method, and render. */
export async function organisationRoutes(app: FastifyInstance, service: OrganisationsService): Promise<void> {
  const hide = { schema: { hide: true } };

  // ---- pages -------------------------------------------------------------------------------------------
  app.get('/organisations', hide, async (req, reply) => {
    const actor = actorOf(req);
    const orgs = await service.list(actor);
    return reply.page('organisations/views/list.njk', {
      title: 'Organisations',
      orgs: orgs.map((o) => ({ ...o, typeLabel: ORGANISATION_TYPE_LABELS[o.type] })),
      canCreate: can(actor, 'organisation.create'),
    });
  });

  const newOrgForm = async (values: Record<string, unknown>) => ({
    template: 'organisations/views/org-form.njk',
    context: { title: 'Add an organisation', action: '/organisations', typeItems: typeItems(values.type) },
  });
  app.get('/organisations/new', hide, async (req, reply) => {
    const actor = actorOf(req);
    authorize(actor, 'organisation.create'); // a blank form shows nothing: the service checks again on submit
    const { template, context } = await newOrgForm({});
    return reply.page(template, { ...context, values: {} });
  });
  app.post('/organisations', hide, async (req, reply) =>
    submitForm(req, reply, async (body) => `/organisations/${(await service.create(actorOf(req), body)).id}`, newOrgForm),
  );

  app.get('/organisations/:id', hide, async (req, reply) => {
    const actor = actorOf(req);
    const org = await service.get(actor, idParam(req));
    return reply.page('organisations/views/show.njk', {
      title: org.name,
      org: { ...org, typeLabel: ORGANISATION_TYPE_LABELS[org.type] },
      siteNames: Object.fromEntries(org.sites.map((s) => [s.id, s.name])),
      canEdit: can(actor, 'organisation.update', org.id),
      canManageSites: can(actor, 'site.manage', org.id),
      canManageHeadcount: can(actor, 'headcount.manage', org.id),
    });
  });

  const editOrgForm = (id: string, name: string) => async (values: Record<string, unknown>) => ({
    template: 'organisations/views/org-form.njk',
    context: { title: `Change ${name}`, action: `/organisations/${id}/edit`, typeItems: typeItems(values.type), backHref: `/organisations/${id}` },
  });
  app.get('/organisations/:id/edit', hide, async (req, reply) => {
    const actor = actorOf(req);
    const id = idParam(req);
    const org = await service.get(actor, id);
    authorize(actor, 'organisation.update', id); // a blank form shows nothing: the service checks again on submit
    const values = { name: org.name, code: org.code, type: org.type };
    const { template, context } = await editOrgForm(id, org.name)(values);
    return reply.page(template, { ...context, values });
  });
  app.post('/organisations/:id/edit', hide, async (req, reply) => {
    const actor = actorOf(req);
    const id = idParam(req);
    const org = await service.get(actor, id);
    return submitForm(req, reply, async (body) => `/organisations/${(await service.update(actor, id, body)).id}`, editOrgForm(id, org.name));
  });

  const siteForm = (orgId: string, orgName: string, siteId?: string) => async (_values: Record<string, unknown>) => ({
    template: 'organisations/views/site-form.njk',
    context: {
      title: siteId ? 'Change a site' : `Add a site to ${orgName}`,
      action: siteId ? `/organisations/${orgId}/sites/${siteId}/edit` : `/organisations/${orgId}/sites`,
      backHref: `/organisations/${orgId}`,
    },
  });
  app.get('/organisations/:id/sites/new', hide, async (req, reply) => {
    const actor = actorOf(req);
    const org = await service.get(actor, idParam(req));
    authorize(actor, 'site.manage', org.id); // a blank form shows nothing: the service checks again on submit
    const { template, context } = await siteForm(org.id, org.name)({});
    return reply.page(template, { ...context, values: {} });
  });
  app.post('/organisations/:id/sites', hide, async (req, reply) => {
    const actor = actorOf(req);
    const org = await service.get(actor, idParam(req));
    return submitForm(req, reply, async (body) => (await service.addSite(actor, org.id, body), `/organisations/${org.id}`), siteForm(org.id, org.name));
  });
  app.get('/organisations/:id/sites/:siteId/edit', hide, async (req, reply) => {
    const actor = actorOf(req);
    const orgId = idParam(req);
    const site = await service.getSite(actor, orgId, idParam(req, 'siteId'));
    authorize(actor, 'site.manage', orgId); // a blank form shows nothing: the service checks again on submit
    const values = { name: site.name, address: site.address, postcode: site.postcode, isLarge: site.isLarge ? 'yes' : '' };
    const { template, context } = await siteForm(orgId, '', site.id)(values);
    return reply.page(template, { ...context, values });
  });
  app.post('/organisations/:id/sites/:siteId/edit', hide, async (req, reply) => {
    const actor = actorOf(req);
    const orgId = idParam(req);
    const siteId = idParam(req, 'siteId');
    return submitForm(
      req,
      reply,
      async (body) => (await service.updateSite(actor, orgId, siteId, body), `/organisations/${orgId}`),
      siteForm(orgId, '', siteId),
    );
  });

  const departmentForm = (orgId: string, orgName: string, sites: { id: string; name: string }[]) => async (values: Record<string, unknown>) => ({
    template: 'organisations/views/department-form.njk',
    context: {
      title: `Add a department or service to ${orgName}`,
      action: `/organisations/${orgId}/departments`,
      backHref: `/organisations/${orgId}`,
      siteItems: [
        { value: '', text: 'No single site (community or trust-wide)' },
        ...sites.map((s) => ({ value: s.id, text: s.name, selected: values.siteId === s.id })),
      ],
    },
  });
  app.get('/organisations/:id/departments/new', hide, async (req, reply) => {
    const actor = actorOf(req);
    const org = await service.get(actor, idParam(req));
    authorize(actor, 'site.manage', org.id); // a blank form shows nothing: the service checks again on submit
    const { template, context } = await departmentForm(org.id, org.name, org.sites)({});
    return reply.page(template, { ...context, values: {} });
  });
  app.post('/organisations/:id/departments', hide, async (req, reply) => {
    const actor = actorOf(req);
    const org = await service.get(actor, idParam(req));
    return submitForm(
      req,
      reply,
      async (body) => (await service.addDepartment(actor, org.id, body), `/organisations/${org.id}`),
      departmentForm(org.id, org.name, org.sites),
    );
  });

  const headcountForm = (orgId: string, orgName: string) => async () => ({
    template: 'organisations/views/headcount-form.njk',
    context: { title: `Staff headcount for ${orgName}`, action: `/organisations/${orgId}/headcounts`, backHref: `/organisations/${orgId}` },
  });
  app.get('/organisations/:id/headcounts/new', hide, async (req, reply) => {
    const actor = actorOf(req);
    const org = await service.get(actor, idParam(req));
    authorize(actor, 'headcount.manage', org.id); // a blank form shows nothing: the service checks again on submit
    const { template, context } = await headcountForm(org.id, org.name)();
    return reply.page(template, { ...context, values: {} });
  });
  app.post('/organisations/:id/headcounts', hide, async (req, reply) => {
    const actor = actorOf(req);
    const org = await service.get(actor, idParam(req));
    return submitForm(
      req,
      reply,
      async (body) => (await service.setHeadcount(actor, org.id, body), `/organisations/${org.id}`),
      headcountForm(org.id, org.name),
    );
  });

  // ---- JSON API ----------------------------------------------------------------------------------------
  const api = app.withTypeProvider<ZodTypeProvider>();
  const idParams = z.object({ id: z.uuid() });
  const tags = ['organisations'];

  api.get('/api/v1/organisations', { schema: { tags, summary: 'Organisations you can see', response: { 200: z.array(organisationOut) } } }, async (req) =>
    service.list(actorOf(req)),
  );
  api.post(
    '/api/v1/organisations',
    { schema: { tags, summary: 'Create an organisation (system administrator)', body: organisationInput, response: { 201: organisationOut } } },
    async (req, reply) => reply.code(201).send(await service.create(actorOf(req), req.body)),
  );
  api.get(
    '/api/v1/organisations/:id',
    { schema: { tags, summary: 'One organisation with its sites, departments and headcounts', params: idParams, response: { 200: organisationDetailOut } } },
    async (req) => service.get(actorOf(req), req.params.id),
  );
  api.put(
    '/api/v1/organisations/:id',
    { schema: { tags, summary: 'Change an organisation', params: idParams, body: organisationInput, response: { 200: organisationOut } } },
    async (req) => service.update(actorOf(req), req.params.id, req.body),
  );
  api.post(
    '/api/v1/organisations/:id/sites',
    { schema: { tags, summary: 'Add a site', params: idParams, body: siteInput, response: { 201: siteOut } } },
    async (req, reply) => reply.code(201).send(await service.addSite(actorOf(req), req.params.id, req.body)),
  );
  api.put(
    '/api/v1/organisations/:id/sites/:siteId',
    { schema: { tags, summary: 'Change a site', params: z.object({ id: z.uuid(), siteId: z.uuid() }), body: siteInput, response: { 200: siteOut } } },
    async (req) => service.updateSite(actorOf(req), req.params.id, req.params.siteId, req.body),
  );
  api.post(
    '/api/v1/organisations/:id/departments',
    { schema: { tags, summary: 'Add a department or service', params: idParams, body: departmentInput, response: { 201: departmentOut } } },
    async (req, reply) => reply.code(201).send(await service.addDepartment(actorOf(req), req.params.id, req.body)),
  );
  api.put(
    '/api/v1/organisations/:id/headcounts/:year',
    {
      schema: {
        tags,
        summary: 'Set the staff headcount for a financial year (2026 = 2026/27)',
        params: z.object({ id: z.uuid(), year: z.coerce.number().int() }),
        body: z.object({ headcount: z.number().int() }),
        response: { 200: headcountOut },
      },
    },
    async (req) => service.setHeadcount(actorOf(req), req.params.id, { financialYear: req.params.year, headcount: req.body.headcount }),
  );
}
