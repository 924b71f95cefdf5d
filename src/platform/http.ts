import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type nunjucks from 'nunjucks';
import { can } from './access/policy.ts';
import type { Actor, Membership } from './access/roles.ts';
import { AppError, type FieldError } from './errors.ts';
import type { PageContext } from './views.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    actingOrgName: string | null;
    /** The organisations the signed-in user holds roles in (a session's user; null for a bearer token). */
    memberships: readonly Membership[] | null;
    sessionToken: string | undefined;
  }
  interface FastifyReply {
    /** Renders a page with the shared context (nonce, CSRF token, actor, navigation, demo banner). */
    page(template: string, context?: Record<string, unknown>, status?: number): FastifyReply;
  }
}

/** API requests get JSON problem details; everything else gets HTML pages. */
export const isApi = (req: FastifyRequest) => req.url.startsWith('/api/');

/**
 * The largest form or JSON body Warden reads (Fastify's `bodyLimit`, src/app.ts). Far beyond any form's longest
 * answers; files have their own limits, checked by the upload routes with a message of their own.
 */
export const BODY_LIMIT_BYTES = 1_048_576;

type NavItem = { href: string; text: string; current?: boolean };

function navigation(req: FastifyRequest): NavItem[] {
  if (!req.actor) return [];
  const path = req.url.split('?')[0] ?? '/';
  return [
    { href: '/', text: 'Home', current: path === '/' },
    { href: '/organisations', text: 'Organisations', current: path.startsWith('/organisations') },
    ...(can(req.actor, 'incident.read_own') ? [{ href: '/incidents/mine', text: 'Your reports', current: path.startsWith('/incidents') }] : []),
    ...(can(req.actor, 'case.list') ? [{ href: '/cases', text: 'Cases', current: path.startsWith('/cases') }] : []),
    ...(can(req.actor, 'marker.read') ? [{ href: '/markers', text: 'Warning markers', current: path.startsWith('/markers') }] : []),
    ...(can(req.actor, 'review.read') ? [{ href: '/self-reviews', text: 'Self review', current: path.startsWith('/self-reviews') }] : []),
    ...(can(req.actor, 'annual_report.read') ? [{ href: '/annual-reports', text: 'Annual reports', current: path.startsWith('/annual-reports') }] : []),
    ...(can(req.actor, 'review.oversee') ? [{ href: '/oversight/self-reviews', text: 'Oversight', current: path.startsWith('/oversight') }] : []),
    ...(can(req.actor, 'standards.load') ? [{ href: '/standards', text: 'Standards', current: path.startsWith('/standards') }] : []),
    ...analysisNav(req.actor, path),
    ...(can(req.actor, 'audit.search') ? [{ href: '/audit', text: 'Audit trail', current: path.startsWith('/audit') }] : []),
    ...(can(req.actor, 'user.manage') ? [{ href: '/users', text: 'Users', current: path.startsWith('/users') }] : []),
  ];
}

/**
 * Where analysis starts for this reader (SPEC C4): their organisation's dashboard, the national picture,
 * the providers they commission, or the published statistics they import; null if none is theirs.
 */
export function analysisHome(actor: Actor): { href: string; text: string } | null {
  if (actor.kind === 'user' && actor.orgId && can(actor, 'analytics.read', actor.orgId))
    return { href: `/analytics/organisations/${actor.orgId}`, text: 'Analysis' };
  if (can(actor, 'analytics.national')) return { href: '/analytics/national', text: 'Analysis' };
  if (actor.kind === 'user' && actor.orgId && can(actor, 'analytics.providers', actor.orgId)) return { href: '/analytics/providers', text: 'Analysis' };
  if (can(actor, 'statistics.import')) return { href: '/statistics', text: 'Statistics' };
  return null;
}

function analysisNav(actor: Actor, path: string): NavItem[] {
  const home = analysisHome(actor);
  return home ? [{ ...home, current: path.startsWith('/analytics') || path.startsWith('/statistics') }] : [];
}

/**
 * Adds `reply.page()` rendering through Nunjucks with the shared page context. With `sso`, pages get `ssoName`
 * (the sign-in page offers single sign-on under that name).
 */
export function registerPages(app: FastifyInstance, env: nunjucks.Environment, demo: boolean, sso?: { name: string }): void {
  app.decorateReply('page', function (this: FastifyReply, template: string, context: Record<string, unknown> = {}, status = 200) {
    const req = this.request;
    const actor = req.actor;
    const shared: PageContext & Record<string, unknown> = {
      cspNonce: this.cspNonce ?? undefined,
      csrfToken: this.generateCsrf ? this.generateCsrf() : undefined,
      actor,
      actingOrgName: req.actingOrgName,
      demo,
      ssoName: sso?.name,
      path: req.url.split('?')[0],
      nav: navigation(req),
      accountItems:
        actor?.kind === 'user'
          ? [
              { href: '/account', text: actor.name + (req.actingOrgName ? ` – ${req.actingOrgName}` : ''), icon: true },
              { href: '/choose-organisation', text: 'Change organisation' },
              { href: '/api-tokens', text: 'API tokens' },
              { href: '/sign-out', text: 'Sign out' },
            ]
          : [],
      requestId: req.id,
    };
    const html = env.render(template, { ...shared, ...context });
    return this.code(status).type('text/html; charset=utf-8').send(html);
  });
}

const PAGE_TEXT: Record<number, { heading: string; paragraphs: string[] }> = {
  401: { heading: 'Sign in to continue', paragraphs: ['You need to sign in to see this page.'] },
  403: {
    heading: 'You do not have access to this page',
    paragraphs: ['Your role does not allow this. If you think it should, ask your organisation’s Warden administrator.'],
  },
  404: {
    heading: 'Page not found',
    paragraphs: ['If you typed the web address, check it is correct.', 'If you pasted the web address, check you copied the entire address.'],
  },
  413: {
    heading: 'What you sent is too large',
    paragraphs: ['Nothing has been saved. Go back, shorten your answers (or send a smaller file) and try again.'],
  },
  429: { heading: 'Too many attempts', paragraphs: ['Wait a few minutes and try again.'] },
  500: {
    heading: 'Sorry, there is a problem with the service',
    paragraphs: ['Try again later. What you entered has not been saved unless you saw a confirmation.'],
  },
};

/**
 * The 400 page for bad input on a page with no form of its own to show again (a bad filter, export format or
 * date in the address): an error summary listing each problem with the field it is about, so the user can see
 * what to change. The summary's items are text, so values quoted in messages are escaped; they are not links,
 * as the fields are not on this page.
 */
function badInputPage(detail: string, fields: FieldError[]) {
  const names = (f: FieldError) => f.message.toLowerCase().startsWith(`${f.field.toLowerCase()} `);
  const problems = fields.map((f) => ({ text: names(f) ? f.message : `${f.field}: ${f.message}` }));
  return {
    title: 'Error: There is a problem with the information you gave',
    heading: 'There is a problem with the information you gave',
    problems,
    paragraphs: [problems.length ? 'Go back, change what is listed above and try again.' : detail],
  };
}

/** RFC 9457 problem details, with field errors under `errors`. */
export function problem(req: FastifyRequest, status: number, id: string, title: string, detail: string, errors: FieldError[] = []) {
  return {
    type: `https://warden.invalid/problems/${id}`,
    title,
    status,
    detail,
    instance: req.url.split('?')[0],
    requestId: req.id,
    ...(errors.length ? { errors } : {}),
  };
}

/**
 * One error handler for the whole app: known errors become the NHS error page or problem details with their
 * status; anything unexpected is logged with its stack and shown as a plain 500 with the request id.
 */
export function registerErrorHandling(app: FastifyInstance, onDenied: (req: FastifyRequest, err: AppError) => Promise<void>): void {
  app.setErrorHandler(async (error: FastifyError, req, reply) => {
    let status = 500;
    let id = 'internal';
    let title = 'Internal error';
    let detail = 'Something went wrong. It has been logged.';
    let fields: FieldError[] = [];
    if (error instanceof AppError) {
      ({ status, id, title, fields } = error);
      detail = error.message;
      if (error.status === 403) await onDenied(req, error).catch((e) => req.log.error(e, 'could not audit a refused access'));
    } else if (hasZodFastifySchemaValidationErrors(error)) {
      status = 400;
      id = 'validation';
      title = 'Invalid input';
      detail = 'There is a problem with the information you gave';
      fields = error.validation.map((v) => ({
        field: (v.instancePath || '/').slice(1).replace(/\//g, '.') || 'body',
        message: v.message ?? 'Invalid value',
      }));
    } else if (error.statusCode === 413) {
      // A body over BODY_LIMIT_BYTES, or an upload with more parts than its route reads: refused before any
      // handler, so nothing was written.
      status = 413;
      id = 'too_large';
      title = 'Request too large';
      detail = `What was sent is larger than Warden accepts (${BODY_LIMIT_BYTES / 1_048_576} MB for a form or JSON body). Nothing was saved.`;
    } else if (error.statusCode === 429) {
      status = 429;
      id = 'too_many_requests';
      title = 'Too many requests';
      detail = 'Too many attempts. Wait a few minutes and try again.';
    } else if (error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET') {
      status = 403;
      id = 'csrf';
      title = 'Form expired';
      detail = 'The form has expired or was not sent by Warden. Go back, reload the page and try again.';
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      id = 'bad_request';
      title = 'Bad request';
      detail = 'The request could not be understood.';
    } else {
      req.log.error({ err: error }, 'unhandled error');
    }
    if (isApi(req))
      return reply
        .code(status)
        .type('application/problem+json')
        .send(problem(req, status, id, title, detail, fields));
    const text = PAGE_TEXT[status] ?? { heading: title, paragraphs: [detail] };
    if (id === 'csrf') return reply.page('error.njk', { title: 'Form expired', heading: 'This form has expired', paragraphs: [detail] }, status);
    if (status === 401) return reply.redirect(`/sign-in?next=${encodeURIComponent(req.url)}`);
    // A link opened before choosing an organisation: choose it, then come back to the page
    if (id === 'organisation_required') {
      if (req.method === 'GET') return reply.redirect(`/choose-organisation?next=${encodeURIComponent(req.url)}`);
      const paragraphs = [
        'You have not chosen the organisation you are acting for, so nothing was saved. Choose it with "Change organisation" at the top of the page, then try again.',
      ];
      return reply.page('error.njk', { title: 'Choose an organisation first', heading: 'Choose an organisation first', paragraphs }, status);
    }
    if (status === 400) return reply.page('error.njk', badInputPage(detail, fields), 400);
    return reply.page('error.njk', { title: text.heading, heading: text.heading, paragraphs: text.paragraphs }, status);
  });

  app.setNotFoundHandler((req, reply) => {
    if (isApi(req))
      return reply
        .code(404)
        .type('application/problem+json')
        .send(problem(req, 404, 'not_found', 'Not found', 'There is no such resource.'));
    const text = PAGE_TEXT[404] as { heading: string; paragraphs: string[] };
    return reply.page('error.njk', { title: text.heading, ...text }, 404);
  });
}
