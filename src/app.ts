import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.ts';
import { type Database, isReachable } from './db/database.ts';
import { analyticsRoutes } from './features/analytics/routes.ts';
import { analyticsService } from './features/analytics/service.ts';
import { annualReportRoutes } from './features/annual-reports/routes.ts';
import type { AnnualReportsService } from './features/annual-reports/service.ts';
import { auditRoutes } from './features/audit/routes.ts';
import { auditService } from './features/audit/service.ts';
import { caseRoutes } from './features/cases/routes.ts';
import type { CasesService } from './features/cases/service.ts';
import { casesListRoutes } from './features/cases-list/routes.ts';
import { casesListService } from './features/cases-list/service.ts';
import { commissioningRoutes } from './features/commissioning/routes.ts';
import type { CommissioningService } from './features/commissioning/service.ts';
import { homeRoutes } from './features/home/routes.ts';
import type { OidcService } from './features/identity/oidc.ts';
import { oidcRoutes } from './features/identity/oidc-routes.ts';
import { identityRoutes, organisationLink, secondFactorGate } from './features/identity/routes.ts';
import type { IdentityService } from './features/identity/service.ts';
import { incidentRoutes } from './features/incidents/routes.ts';
import type { IncidentsService } from './features/incidents/service.ts';
import { markerRoutes } from './features/markers/routes.ts';
import { markersService } from './features/markers/service.ts';
import { organisationRoutes } from './features/organisations/routes.ts';
import type { OrganisationsService } from './features/organisations/service.ts';
import { oversightRoutes } from './features/self-review/oversight-routes.ts';
import { selfReviewRoutes } from './features/self-review/routes.ts';
import type { SelfReviewService } from './features/self-review/service.ts';
import { standardsRoutes } from './features/self-review/standards-routes.ts';
import { bearerToken, rejectToken, tokenRoutes } from './features/tokens/routes.ts';
import type { TokensService } from './features/tokens/service.ts';
import { userRoutes } from './features/users/routes.ts';
import type { UsersService } from './features/users/service.ts';
import { enforceRouteAccess } from './platform/access/enforce.ts';
import { audit } from './platform/audit.ts';
import { BODY_LIMIT_BYTES, isApi, registerErrorHandling, registerPages } from './platform/http.ts';
import { describeRoute, finishDocument, securitySchemes } from './platform/openapi.ts';
import { registerSecurityHeaders } from './platform/security-headers.ts';
import { nhsukStylesheet } from './platform/stylesheet.ts';
import { inScope } from './platform/tenancy.ts';
import { refuseNul } from './platform/validation.ts';
import { createViews, nhsukDist } from './platform/views.ts';

const here = dirname(fileURLToPath(import.meta.url));

export type Services = {
  db: Database;
  identity: IdentityService;
  organisations: OrganisationsService;
  /** Single sign-on; absent when OIDC is not configured. */
  oidc?: OidcService;
  users: UsersService;
  tokens: TokensService;
  commissioning: CommissioningService;
  incidents: IncidentsService;
  cases: CasesService;
  selfReview: SelfReviewService;
  annualReports: AnnualReportsService;
};

export type AppOptions = {
  config: Pick<Config, 'secureCookies' | 'logLevel' | 'baseUrl'>;
  demo?: boolean;
  logger?: FastifyServerOptions['logger'];
  /** Called for every route as it is registered (tests use it to check the OpenAPI document covers the API). */
  onRoute?: (route: RouteOptions) => void;
};

/** Cookie names: `__Host-` needs HTTPS, so plain-HTTP localhost falls back to unprefixed names. */
export function cookieNames(secure: boolean) {
  return secure ? { session: '__Host-warden_session', csrf: '__Host-warden_csrf' } : { session: 'warden_session', csrf: 'warden_csrf' };
}

const PUBLIC_PREFIXES = ['/nhsuk/', '/static/', '/assets/', '/healthz', '/readyz'];

/** Secrets that travel in URLs (password-reset links) are kept out of the logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(\/password-reset\/)[^/?#]+/, '$1[redacted]');
}

/** The request as logged: method, redacted URL, and the peer address; no headers, so no cookies or tokens. */
function logRequest(req: { method: string; url: string; ip?: string }) {
  return { method: req.method, url: redactUrl(req.url), remoteAddress: req.ip };
}

/** Builds the web application from its services. Nothing here opens connections; the caller owns them. */
export async function createApp(services: Services, options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const names = cookieNames(config.secureCookies);
  const app = Fastify({
    logger:
      options.logger === undefined
        ? { level: config.logLevel, serializers: { req: logRequest } }
        : typeof options.logger === 'object'
          ? { serializers: { req: logRequest }, ...options.logger }
          : options.logger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{8,64}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
  });
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('actor', null);
  app.decorateRequest('actingOrgName', null);
  app.decorateRequest('memberships', null);
  app.decorateRequest('sessionToken', undefined);
  app.decorateRequest('bearer', false);

  registerSecurityHeaders(app, { secure: config.secureCookies });
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
  const rateLimited = new Set<string>();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Warden API', version: '1', description: 'Security management for NHS organisations. Errors are RFC 9457 problem details.' },
      components: { securitySchemes: securitySchemes(names.session) },
    },
    // Security, problem-details responses and upload bodies are added here for every operation (platform/openapi.ts).
    transform: (input) => {
      const out = jsonSchemaTransform(input);
      if (!input.url.startsWith('/api/v1/') || input.url === '/api/v1/openapi.json') out.schema = { ...out.schema, hide: true };
      else out.schema = describeRoute(input.url, input.route.method, out.schema, input.route.config, rateLimited);
      return out;
    },
    transformObject: (input) => finishDocument('openapiObject' in input ? input.openapiObject : input.swaggerObject, rateLimited),
  });
  // The stylesheet is served rewritten (platform/stylesheet.ts); an exact route wins over the static prefix below.
  const stylesheet = nhsukStylesheet(nhsukDist);
  app.get('/nhsuk/nhsuk-frontend.min.css', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=86400').send(stylesheet),
  );
  await app.register(fastifyStatic, {
    root: join(nhsukDist, 'nhsuk'),
    prefix: '/nhsuk/',
    allowedPath: (p) => /^\/(nhsuk-frontend\.min\.(css|js)(\.map)?|assets\/.*\.(svg|png|ico|json|woff2?))$/.test(p),
    maxAge: '1d',
    index: false,
  });
  await app.register(fastifyStatic, { root: join(here, 'public'), prefix: '/static/', decorateReply: false, maxAge: '1h', index: false });
  // nhsuk-frontend's stylesheet refers to its icons at /assets/images/ (sortable tables, search clear button).
  await app.register(fastifyStatic, { root: join(nhsukDist, 'nhsuk', 'assets'), prefix: '/assets/', decorateReply: false, maxAge: '1d', index: false });

  registerPages(app, createViews(), options.demo ?? false, services.oidc && { name: services.oidc.displayName });
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
    // API clients may authenticate with `Authorization: Bearer wdn_…` instead of a session; a bad token is a
    // 401 problem, never a fall-back to the cookie.
    const bearer = isApi(req) ? bearerToken(req.headers.authorization) : undefined;
    if (bearer !== undefined) {
      const byToken = await services.tokens.authenticate(bearer, req.id);
      if (!byToken) throw rejectToken(reply);
      req.actor = byToken.actor;
      req.actingOrgName = byToken.orgName;
      req.bearer = req.cookies[names.session] === undefined;
      return;
    }
    const token = req.cookies[names.session];
    const found = await services.identity.actorFor(token, req.id);
    if (found) {
      req.actor = found.actor;
      req.actingOrgName = found.orgName;
      req.memberships = found.memberships;
      req.sessionToken = token;
      // A privileged user signed in without a second factor may only set one up (issue 3).
      if (found.mustEnrolSecondFactor) return secondFactorGate(req, reply);
      return organisationLink(req, reply);
    }
  });
  enforceRouteAccess(app);
  // CSRF: every state-changing request needs a token bound to the browser's CSRF cookie (forms send `_csrf`,
  // scripts send `x-csrf-token`). GET never changes state.
  app.addHook('preHandler', (req, reply, done) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return done();
    // A bearer token is sent deliberately by a program, never ambiently by a browser: no cross-site forgery.
    if (req.bearer) return done();
    app.csrfProtection(req, reply, done);
  });
  // A NUL character anywhere in the request is a 400 naming the field, before any handler can send it to
  // PostgreSQL (which refuses it in text and jsonb, as a 500).
  app.addHook('preHandler', refuseNul);

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await isReachable(services.db);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'database unreachable' });
  });
  app.get('/api/v1/openapi.json', async () => app.swagger());

  const casesList = casesListService(services.db);
  const markers = markersService(services.db);
  await app.register(async (scoped) => homeRoutes(scoped, { casesList, markers, selfReview: services.selfReview, annualReports: services.annualReports }));
  await app.register(async (scoped) => identityRoutes(scoped, services.identity, { ...names, secure: config.secureCookies }));
  await app.register(async (scoped) => oidcRoutes(scoped, services.oidc, { ...names, secure: config.secureCookies }));
  await app.register(async (scoped) => organisationRoutes(scoped, services.organisations));
  await app.register(async (scoped) => userRoutes(scoped, services.users));
  await app.register(async (scoped) => tokenRoutes(scoped, services.tokens));
  await app.register(async (scoped) => commissioningRoutes(scoped, services.commissioning));
  await app.register(async (scoped) => incidentRoutes(scoped, services.incidents));
  await app.register(async (scoped) => auditRoutes(scoped, auditService(services.db)));
  await app.register(async (scoped) => casesListRoutes(scoped, casesList));
  await app.register(async (scoped) => markerRoutes(scoped, markers));
  await app.register(async (scoped) => standardsRoutes(scoped, services.selfReview));
  await app.register(async (scoped) => selfReviewRoutes(scoped, services.selfReview));
  await app.register(async (scoped) => oversightRoutes(scoped, services.selfReview));
  await app.register(async (scoped) => annualReportRoutes(scoped, services.annualReports));
  await app.register(async (scoped) => caseRoutes(scoped, services.cases));
  await app.register(async (scoped) => analyticsRoutes(scoped, analyticsService(services.db)));
  return app;
}
