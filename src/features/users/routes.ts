import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLE_LABELS, ROLES, type Role } from '../../platform/access/roles.ts';
import { AppError } from '../../platform/errors.ts';
import { actorOf, formBody, idParam, submitForm } from '../../platform/forms.ts';
import {
  DEPLOYMENT,
  DEPLOYMENT_ROLE_LABELS,
  type DEPLOYMENT_ROLES,
  listQuery,
  ORG_ROLES,
  roleInput,
  roleOut,
  sessionOut,
  userInput,
  userListOut,
  userOut,
} from './schema.ts';
import { isSystemAdministrator, type UsersService } from './service.ts';

type Org = { id: string; name: string; code: string };

const roleLabel = (r: { orgId: string | null; orgName: string | null; role: Role }) =>
  r.orgId === null ? DEPLOYMENT_ROLE_LABELS[r.role as (typeof DEPLOYMENT_ROLES)[number]] : `${ROLE_LABELS[r.role]} – ${r.orgName}`;

/** Scope choices for a role: the organisations the administrator manages, and deployment-wide for a system administrator. */
const scopeItems = (orgs: Org[], system: boolean, selected: unknown) => [
  ...(system ? [{ value: '', text: 'Select an organisation' }] : []),
  ...orgs.map((o) => ({ value: o.id, text: `${o.name} (${o.code})`, selected: selected === o.id })),
  ...(system ? [{ value: DEPLOYMENT, text: 'Deployment-wide (every organisation)', selected: selected === DEPLOYMENT }] : []),
];

const roleItems = (system: boolean, selected: unknown) => {
  const chosen = Array.isArray(selected) ? selected : [selected];
  return (system ? ROLES : ORG_ROLES).map((r) => ({
    value: r,
    text: ROLE_LABELS[r],
    hint:
      r === 'national_assessor'
        ? { text: 'Deployment-wide only' }
        : r === 'administrator' && system
          ? { text: 'In one organisation, or deployment-wide' }
          : undefined,
    checked: chosen.includes(r),
  }));
};

/** User administration pages (`/users…`) and the `/api/v1/users…` API. */
export async function userRoutes(app: FastifyInstance, service: UsersService): Promise<void> {
  const hide = { schema: { hide: true } };

  // ---- pages -------------------------------------------------------------------------------------------
  app.get('/users', hide, async (req, reply) => {
    const actor = actorOf(req);
    const query = req.query as Record<string, unknown>;
    const result = await service.list(actor, query);
    const system = isSystemAdministrator(actor);
    const orgs = await service.organisations(actor);
    const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
    const link = (page: number) => {
      const p = new URLSearchParams();
      if (typeof query.orgId === 'string' && query.orgId) p.set('orgId', query.orgId);
      if (typeof query.q === 'string' && query.q) p.set('q', query.q);
      if (page > 1) p.set('page', String(page));
      const s = p.toString();
      return s ? `/users?${s}` : '/users';
    };
    return reply.page('users/views/list.njk', {
      title: 'Users',
      users: result.users.map((u) => ({ ...u, roleLabels: u.roles.map(roleLabel) })),
      total: result.total,
      system,
      orgName: system ? null : orgs[0]?.name,
      orgItems: system ? [{ value: '', text: 'All organisations' }, ...orgs.map((o) => ({ value: o.id, text: o.name, selected: query.orgId === o.id }))] : [],
      q: query.q,
      previous: result.page > 1 ? link(result.page - 1) : null,
      next: result.page < pages ? link(result.page + 1) : null,
      pageNumber: result.page,
      pages,
    });
  });

  const newUserForm = (req: FastifyRequest) => async (values: Record<string, unknown>) => {
    const actor = actorOf(req);
    const system = isSystemAdministrator(actor);
    const orgs = await service.organisations(actor);
    return {
      template: 'users/views/new.njk',
      context: {
        title: 'Add a user',
        system,
        orgName: system ? null : orgs[0]?.name,
        scopeItems: scopeItems(orgs, system, values.orgId),
        roleItems: roleItems(system, values.roles ?? 'reporter'),
      },
    };
  };
  app.get('/users/new', hide, async (req, reply) => {
    const { template, context } = await newUserForm(req)({});
    return reply.page(template, { ...context, values: {} });
  });
  app.post('/users', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => {
        const u = await service.create(actorOf(req), body);
        return `/users/${u.id}?${u.existing ? 'existing' : 'created'}=1`;
      },
      newUserForm(req),
    ),
  );

  /** The user's page, with the roles, sessions and account actions the administrator may use. */
  const showUser = async (req: FastifyRequest, reply: FastifyReply, id: string, extra: Record<string, unknown> = {}, status = 200) => {
    const actor = actorOf(req);
    const [user, sessions, orgs] = await Promise.all([service.get(actor, id), service.sessions(actor, id), service.organisations(actor)]);
    const system = isSystemAdministrator(actor);
    const query = req.query as Record<string, unknown>;
    return reply.page(
      'users/views/show.njk',
      {
        title: user.name,
        user: { ...user, roles: user.roles.map((r) => ({ ...r, label: roleLabel(r), scope: r.orgId ?? DEPLOYMENT })) },
        sessions,
        system,
        orgName: system ? null : orgs[0]?.name,
        scopeItems: scopeItems(orgs, system, (extra.values as Record<string, unknown> | undefined)?.orgId),
        grantRoleItems: (system ? ROLES : ORG_ROLES).map((r) => ({ value: r, text: ROLE_LABELS[r] })),
        created: query.created === '1',
        existing: query.existing === '1',
        done: typeof query.done === 'string' ? query.done : null,
        ...extra,
      },
      status,
    );
  };
  /** Runs a change from the user's page: back to the page on success, or the page with an error summary. */
  const act = async (req: FastifyRequest, reply: FastifyReply, change: (body: Record<string, unknown>) => Promise<string | undefined>) => {
    const id = idParam(req);
    const body = formBody(req);
    try {
      const done = await change(body);
      return reply.redirect(`/users/${id}${done ? `?done=${done}` : ''}`, 303);
    } catch (err) {
      if (err instanceof AppError && (err.id === 'validation' || err.id === 'conflict')) {
        const { _csrf, ...values } = body;
        return showUser(req, reply, id, { errors: err.fields, values }, 400);
      }
      throw err;
    }
  };

  app.get('/users/:id', hide, async (req, reply) => showUser(req, reply, idParam(req)));
  app.post('/users/:id/roles', hide, async (req, reply) =>
    act(req, reply, async (body) => (await service.grantRole(actorOf(req), idParam(req), body), 'role-granted')),
  );
  app.post('/users/:id/roles/revoke', hide, async (req, reply) =>
    act(req, reply, async (body) => (await service.revokeRole(actorOf(req), idParam(req), body), 'role-removed')),
  );
  app.get('/users/:id/deactivate', hide, async (req, reply) => {
    const user = await service.get(actorOf(req), idParam(req));
    return reply.page('users/views/deactivate.njk', { title: `Deactivate ${user.name}`, user });
  });
  app.post('/users/:id/deactivate', hide, async (req, reply) =>
    act(req, reply, async () => (await service.deactivate(actorOf(req), idParam(req)), 'deactivated')),
  );
  app.post('/users/:id/reactivate', hide, async (req, reply) =>
    act(req, reply, async () => (await service.reactivate(actorOf(req), idParam(req)), 'reactivated')),
  );
  app.post('/users/:id/sessions/end', hide, async (req, reply) =>
    act(req, reply, async (body) => {
      const sessionId = typeof body.sessionId === 'string' && /^[0-9a-f]{64}$/.test(body.sessionId) ? body.sessionId : '0'.repeat(64);
      await service.endSessions(actorOf(req), idParam(req), sessionId);
      return 'session-ended';
    }),
  );
  app.post('/users/:id/sessions/end-all', hide, async (req, reply) =>
    act(req, reply, async () => (await service.endSessions(actorOf(req), idParam(req)), 'sessions-ended')),
  );

  // ---- JSON API ----------------------------------------------------------------------------------------
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['users'];
  const idParams = z.object({ id: z.uuid() });

  api.get(
    '/api/v1/users',
    {
      schema: {
        tags,
        summary: 'Users you administer: those with a role in your organisation (system administrators: all, or one organisation’s)',
        querystring: listQuery,
        response: { 200: userListOut },
      },
    },
    async (req) => service.list(actorOf(req), req.query),
  );
  api.post(
    '/api/v1/users',
    {
      schema: {
        tags,
        summary: 'Add a user with roles in an organisation (no password: they use “Forgotten your password?”). An existing e-mail address gets the roles.',
        body: userInput,
        response: { 201: userOut },
      },
    },
    async (req, reply) => reply.code(201).send(await service.create(actorOf(req), req.body)),
  );
  api.get('/api/v1/users/:id', { schema: { tags, summary: 'One user and the roles you may see', params: idParams, response: { 200: userOut } } }, async (req) =>
    service.get(actorOf(req), req.params.id),
  );
  api.post(
    '/api/v1/users/:id/roles',
    {
      schema: {
        tags,
        summary: 'Grant a role (orgId null: deployment-wide, system administrators only)',
        params: idParams,
        body: roleInput,
        response: { 201: z.array(roleOut) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.grantRole(actorOf(req), req.params.id, req.body)),
  );
  api.delete(
    '/api/v1/users/:id/roles',
    {
      schema: {
        tags,
        summary: 'Remove a role (no orgId: the deployment-wide role)',
        params: idParams,
        querystring: z.object({ role: roleInput.shape.role, orgId: z.uuid().optional() }),
        response: { 200: z.array(roleOut) },
      },
    },
    async (req) => service.revokeRole(actorOf(req), req.params.id, { role: req.query.role, orgId: req.query.orgId ?? null }),
  );
  api.post(
    '/api/v1/users/:id/deactivate',
    { schema: { tags, summary: 'Deactivate an account and end its sessions', params: idParams, response: { 200: userOut } } },
    async (req) => service.deactivate(actorOf(req), req.params.id),
  );
  api.post('/api/v1/users/:id/reactivate', { schema: { tags, summary: 'Reactivate an account', params: idParams, response: { 200: userOut } } }, async (req) =>
    service.reactivate(actorOf(req), req.params.id),
  );
  api.get(
    '/api/v1/users/:id/sessions',
    { schema: { tags, summary: 'The user’s sessions in force', params: idParams, response: { 200: z.array(sessionOut) } } },
    async (req) => service.sessions(actorOf(req), req.params.id),
  );
  api.delete(
    '/api/v1/users/:id/sessions',
    { schema: { tags, summary: 'End all the user’s sessions', params: idParams, response: { 200: z.object({ ended: z.number().int() }) } } },
    async (req) => ({ ended: await service.endSessions(actorOf(req), req.params.id) }),
  );
  api.delete(
    '/api/v1/users/:id/sessions/:sessionId',
    {
      schema: {
        tags,
        summary: 'End one session',
        params: z.object({ id: z.uuid(), sessionId: z.string().regex(/^[0-9a-f]{64}$/) }),
        response: { 200: z.object({ ended: z.number().int() }) },
      },
    },
    async (req) => ({ ended: await service.endSessions(actorOf(req), req.params.id, req.params.sessionId) }),
  );
}
