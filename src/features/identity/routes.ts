import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, unauthenticated } from '../../platform/errors.ts';
import type { IdentityService } from './service.ts';

type Cookies = { session: string; secure: boolean };

/** Only same-site relative paths may be used as a post-sign-in destination (no open redirects). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) && !next.startsWith('/sign-') ? next : '/';
}

/** Sign in, sign out, choose organisation and the first-run set-up. */
export async function identityRoutes(app: FastifyInstance, identity: IdentityService, cookies: Cookies): Promise<void> {
  const setSession = (reply: FastifyReply, token: string) =>
    reply.setCookie(cookies.session, token, { path: '/', httpOnly: true, secure: cookies.secure, sameSite: 'lax' });
  const meta = (req: FastifyRequest) => ({ ip: req.ip, userAgent: req.headers['user-agent'], requestId: req.id });
  const form = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;

  app.get('/setup', { schema: { hide: true } }, async (_req, reply) => {
    if (!(await identity.needsSetup())) return reply.redirect('/sign-in');
    return reply.page('identity/views/setup.njk', { title: 'Set up Warden', values: {} });
  });
  app.post('/setup', { schema: { hide: true }, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (req, reply) => {
    try {
      const token = await identity.setup(form(req), meta(req));
      setSession(reply, token);
      return reply.redirect('/');
    } catch (err) {
      if (err instanceof AppError && err.id === 'validation') {
        const { password: _p, setupCode: _c, ...values } = form(req);
        return reply.page('identity/views/setup.njk', { title: 'Set up Warden', values, errors: err.fields }, 400);
      }
      throw err;
    }
  });

  app.get('/sign-in', { schema: { hide: true } }, async (req, reply) => {
    const next = safeNext((req.query as Record<string, unknown>).next);
    if (req.actor) return reply.redirect(next);
    return reply.page('identity/views/sign-in.njk', { title: 'Sign in', next, values: {} });
  });
  app.post('/sign-in', { schema: { hide: true }, config: { rateLimit: { max: 20, timeWindow: '1 minute' } } }, async (req, reply) => {
    const body = form(req);
    const next = safeNext(body.next);
    try {
      const token = await identity.signIn(body, meta(req));
      // A new session id at every sign-in: a session fixed before sign-in is never promoted.
      setSession(reply, token);
      return reply.redirect(next === '/' ? '/choose-organisation?auto=1' : next);
    } catch (err) {
      if (err instanceof AppError && err.id === 'validation')
        return reply.page('identity/views/sign-in.njk', { title: 'Sign in', next, values: { email: body.email }, errors: err.fields }, 400);
      throw err;
    }
  });

  app.get('/sign-out', { schema: { hide: true } }, async (req, reply) => {
    if (!req.actor) return reply.redirect('/sign-in');
    return reply.page('identity/views/sign-out.njk', { title: 'Sign out' });
  });
  app.post('/sign-out', { schema: { hide: true } }, async (req, reply) => {
    await identity.signOut(req.actor, req.sessionToken);
    reply.clearCookie(cookies.session, { path: '/', secure: cookies.secure });
    return reply.page('identity/views/signed-out.njk', { title: 'You have signed out', actor: null, accountItems: [], nav: [] });
  });

  app.get('/choose-organisation', { schema: { hide: true } }, async (req, reply) => {
    if (!req.actor) throw unauthenticated();
    const orgs = await identity.memberships(req.actor);
    const auto = (req.query as Record<string, unknown>).auto === '1';
    if (auto && (orgs.length <= 1 || (req.actor.kind === 'user' && req.actor.orgId))) return reply.redirect('/');
    return reply.page('identity/views/choose-organisation.njk', {
      title: 'Choose an organisation',
      orgs,
      current: req.actor.kind === 'user' ? req.actor.orgId : null,
    });
  });
  app.post('/choose-organisation', { schema: { hide: true } }, async (req, reply) => {
    if (!req.actor || !req.sessionToken) throw unauthenticated();
    const body = form(req);
    try {
      await identity.chooseOrganisation(req.actor, req.sessionToken, String(body.orgId ?? ''));
      return reply.redirect('/');
    } catch (err) {
      if (err instanceof AppError && err.id === 'validation') {
        const orgs = await identity.memberships(req.actor);
        return reply.page('identity/views/choose-organisation.njk', { title: 'Choose an organisation', orgs, errors: err.fields }, 400);
      }
      throw err;
    }
  });
}
