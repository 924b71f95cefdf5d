import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { can } from '../../platform/access/policy.ts';
import { ROLE_LABELS, type Role } from '../../platform/access/roles.ts';
import { AppError } from '../../platform/errors.ts';
import { actorOf, formBody, idParam } from '../../platform/forms.ts';
import { ORG_ROLES } from '../users/schema.ts';
import { createdTokenOut, EXPIRY_CHOICES, EXPIRY_LABELS, personalTokenInput, serviceTokenInput, tokenOut } from './schema.ts';
import type { TokensService } from './service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** True when a valid API bearer token, and no session cookie, authenticated the request: no CSRF check. */
    bearer: boolean;
  }
}

/** The token in `Authorization: Bearer <token>`, or undefined when the header names another scheme or none. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+(\S*)\s*$/i.exec(header ?? '');
  return m ? (m[1] ?? '') : undefined;
}

/** An invalid, expired or revoked token: 401 with the RFC 6750 challenge, never a redirect to a sign-in page. */
export function rejectToken(reply: FastifyReply): AppError {
  reply.header('www-authenticate', 'Bearer error="invalid_token"');
  return new AppError('unauthenticated', 401, 'Invalid token', 'The API token is not valid: it may be mistyped, expired or revoked.');
}

const expiryItems = (personal: boolean, selected: unknown) =>
  EXPIRY_CHOICES.filter((c) => !personal || c !== 'never').map((c) => ({ value: c, text: EXPIRY_LABELS[c], checked: (selected ?? '90') === c }));

/** API token pages (`/api-tokens`) and the `/api/v1/api-tokens` API. */
export async function tokenRoutes(app: FastifyInstance, service: TokensService): Promise<void> {
  const hide = { schema: { hide: true } };
  const decorate = <T extends { role: Role; expiresAt: string | null; revokedAt: string | null }>(t: T) => ({
    ...t,
    roleLabel: ROLE_LABELS[t.role],
    status: t.revokedAt ? 'Revoked' : t.expiresAt && new Date(t.expiresAt) <= new Date() ? 'Expired' : 'Active',
  });

  app.get('/api-tokens', hide, async (req, reply) => {
    const actor = actorOf(req);
    const tokens = await service.list(actor);
    const query = req.query as Record<string, unknown>;
    return reply.page('tokens/views/list.njk', {
      title: 'API tokens',
      personal: tokens.personal.map(decorate),
      all: tokens.all?.map(decorate) ?? null,
      canPersonal: service.personalRoles(actor).length > 0,
      canService: can(actor, 'token.manage'),
      revoked: query.revoked === '1',
    });
  });

  const personalForm = (req: FastifyRequest, values: Record<string, unknown>) => ({
    title: 'Create a personal API token',
    kind: 'personal',
    action: '/api-tokens/personal',
    orgName: req.actingOrgName,
    roleItems: service.personalRoles(actorOf(req)).map((r) => ({ value: r, text: ROLE_LABELS[r], checked: values.role === r })),
    expiryItems: expiryItems(true, values.expiresIn),
  });
  const serviceForm = async (req: FastifyRequest, values: Record<string, unknown>) => ({
    title: 'Create a service token',
    kind: 'service',
    action: '/api-tokens/service',
    orgItems: [
      { value: '', text: 'Select an organisation' },
      ...(await service.organisations(actorOf(req))).map((o) => ({ value: o.id, text: `${o.name} (${o.code})`, selected: values.orgId === o.id })),
    ],
    roleItems: ORG_ROLES.map((r) => ({ value: r, text: ROLE_LABELS[r], checked: values.role === r })),
    expiryItems: expiryItems(false, values.expiresIn),
  });
  /** Creates a token and shows it once; on bad input, the form again with an error summary. */
  const create = async (req: FastifyRequest, reply: FastifyReply, kind: 'personal' | 'service') => {
    const actor = actorOf(req);
    const body = formBody(req);
    try {
      const created = kind === 'personal' ? await service.createPersonal(actor, body) : await service.createService(actor, body);
      return reply.page('tokens/views/created.njk', { title: 'Copy your new API token', created: decorate(created) }, 201);
    } catch (err) {
      if (err instanceof AppError && err.id === 'validation') {
        const { _csrf, ...values } = body;
        const context = kind === 'personal' ? personalForm(req, values) : await serviceForm(req, values);
        return reply.page('tokens/views/form.njk', { ...context, values, errors: err.fields }, 400);
      }
      throw err;
    }
  };

  app.get('/api-tokens/personal/new', hide, async (req, reply) => {
    actorOf(req);
    return reply.page('tokens/views/form.njk', { ...personalForm(req, {}), values: {} });
  });
  app.post('/api-tokens/personal', hide, async (req, reply) => create(req, reply, 'personal'));
  app.get('/api-tokens/service/new', hide, async (req, reply) => reply.page('tokens/views/form.njk', { ...(await serviceForm(req, {})), values: {} }));
  app.post('/api-tokens/service', hide, async (req, reply) => create(req, reply, 'service'));
  app.post('/api-tokens/:id/revoke', hide, async (req, reply) => {
    await service.revoke(actorOf(req), idParam(req));
    return reply.redirect('/api-tokens?revoked=1', 303);
  });

  // ---- JSON API ----------------------------------------------------------------------------------------
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['api tokens'];
  api.get(
    '/api/v1/api-tokens',
    {
      schema: {
        tags,
        summary: 'Your personal tokens, and (system administrators) every token',
        response: { 200: z.object({ personal: z.array(tokenOut), all: z.array(tokenOut).nullable() }) },
      },
    },
    async (req) => service.list(actorOf(req)),
  );
  api.post(
    '/api/v1/api-tokens/personal',
    {
      schema: {
        tags,
        summary: 'Create a personal token for one of your roles in the organisation you act for. The token is returned once.',
        body: personalTokenInput,
        response: { 201: createdTokenOut },
      },
    },
    async (req, reply) => reply.code(201).send(await service.createPersonal(actorOf(req), req.body)),
  );
  api.post(
    '/api/v1/api-tokens/service',
    {
      schema: {
        tags,
        summary: 'Create a service token for one organisation and role (system administrators). The token is returned once.',
        body: serviceTokenInput,
        response: { 201: createdTokenOut },
      },
    },
    async (req, reply) => reply.code(201).send(await service.createService(actorOf(req), req.body)),
  );
  api.delete(
    '/api/v1/api-tokens/:id',
    { schema: { tags, summary: 'Revoke a token at once', params: z.object({ id: z.uuid() }), response: { 200: tokenOut } } },
    async (req) => service.revoke(actorOf(req), req.params.id),
  );
}
