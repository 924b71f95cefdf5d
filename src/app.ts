import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.ts';
import { type Database, isReachable } from './db/database.ts';
import { homeRoutes } from './features/home/routes.ts';
import { identityRoutes } from './features/identity/routes.ts';
import type { IdentityService } from './features/identity/service.ts';
import { organisationRoutes } from './features/organisations/routes.ts';
import type { OrganisationsService } from './features/organisations/service.ts';
import { audit } from './platform/audit.ts';
import { isApi, registerErrorHandling, registerPages } from './platform/http.ts';
import { inScope } from './platform/tenancy.ts';
import { createViews, nhsukDist } from './platform/views.ts';

const here = dirname(fileURLToPath(import.meta.url));

export type Services = {
  db: Database;
  identity: IdentityService;
  organisations: OrganisationsService;
};

export type AppOptions = {
  config: Pick<Config, 'secureCookies' | 'logLevel' | 'baseUrl'>;
  demo?: boolean;
  logger?: FastifyServerOptions['logger'];
};

/** Cookie names: `__Host-` needs HTTPS, so plain-HTTP localhost falls back to unprefixed names. */
export function cookieNames(secure: boolean) {
  return secure ? { session: '__Host-warden_session', csrf: '__Host-warden_csrf' } : { session: 'warden_session', csrf: 'warden_csrf' };
}

const PUBLIC_PREFIXES = ['/nhsuk/', '/static/', '/healthz', '/readyz'];

/** Builds the web application from its services. Nothing here opens connections; the caller owns them. */
export async function createApp(services: Services, options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const names = cookieNames(config.secureCookies);
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{8,64}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 1_048_576,
    trustProxy: false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('actor', null);
  app.decorateRequest('actingOrgName', null);
  app.decorateRequest('sessionToken', undefined);

  await app.register(helmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
        upgradeInsecureRequests: config.secureCookies ? [] : null,
      },
    },
    hsts: config.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(cookie);
  await app.register(formbody);
  await app.register(rateLimit, { global: false });
  await app.register(csrf, {
    cookieKey: names.csrf,
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure: config.secureCookies },
    getToken: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      return (typeof body?._csrf === 'string' ? body._csrf : undefined) ?? (req.headers['x-csrf-token'] as string | undefined);
    },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Warden API', version: '1', description: 'Security management for NHS organisations. Errors are RFC 9457 problem details.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: names.session } } },
    },
    transform: (input) => {
      const out = jsonSchemaTransform(input);
      if (!input.url.startsWith('/api/v1/') || input.url === '/api/v1/openapi.json') out.schema = { ...out.schema, hide: true };
      return out;
    },
  });
  await app.register(fastifyStatic, {
    root: join(nhsukDist, 'nhsuk'),
    prefix: '/nhsuk/',
    allowedPath: (p) => /^\/(nhsuk-frontend\.min\.(css|js)(\.map)?|assets\/.*\.(svg|png|ico|json|woff2?))$/.test(p),
    maxAge: '1d',
    index: false,
  });
  await app.register(fastifyStatic, { root: join(here, 'public'), prefix: '/static/', decorateReply: false, maxAge: '1h', index: false });

  registerPages(app, createViews(), options.demo ?? false);
  registerErrorHandling(app, async (req, err) => {
    await inScope(services.db, { all: true }, (tx) =>
      audit(tx, req.actor, {
        action: 'access.denied',
        outcome: 'denied',
        orgId: req.actor?.kind === 'user' ? req.actor.orgId : null,
        detail: { method: req.method, url: req.url.split('?')[0], reason: err.message },
      }),
    );
  });

  let setUp = false;
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (PUBLIC_PREFIXES.some((p) => req.url.startsWith(p))) return;
    // Every dynamic response may carry personal data: never store it in a shared or browser cache.
    reply.header('cache-control', 'no-store');
    if (!setUp) {
      setUp = !(await services.identity.needsSetup());
      if (!setUp && !req.url.startsWith('/setup') && !isApi(req)) return reply.redirect('/setup');
    }
    const token = req.cookies[names.session];
    const found = await services.identity.actorFor(token, req.id);
    if (found) {
      req.actor = found.actor;
      req.actingOrgName = found.orgName;
      req.sessionToken = token;
    }
  });
  // CSRF: every state-changing request needs a token bound to the browser's CSRF cookie (forms send `_csrf`,
  // scripts send `x-csrf-token`). GET never changes state.
  app.addHook('preHandler', (req, reply, done) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return done();
    app.csrfProtection(req, reply, done);
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await isReachable(services.db);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'database unreachable' });
  });
  app.get('/api/v1/openapi.json', async () => app.swagger());

  await app.register(async (scoped) => homeRoutes(scoped));
  await app.register(async (scoped) => identityRoutes(scoped, services.identity, { ...names, secure: config.secureCookies }));
  await app.register(async (scoped) => organisationRoutes(scoped, services.organisations));
  return app;
}
