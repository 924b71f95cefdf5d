import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, forbidden, unauthenticated } from '../../platform/errors.ts';
import { isApi } from '../../platform/http.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './passwords.ts';
import { type IdentityService, RECOVERY_CODE_COUNT, RESET_MINUTES } from './service.ts';

type Cookies = { session: string; secure: boolean };

/** Only same-site relative paths may be used as a post-sign-in destination (no open redirects). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) && !next.startsWith('/sign-') ? next : '/';
}

/** Pages a privileged user without a second factor may still open: its set-up, signing out, and static text. */
const ENROL_OPEN = ['/account/two-factor', '/sign-out', '/accessibility'];

/**
 * Called by the app's request hook for a session that must set up its second factor first (a privileged
 * user signed in without one): every other page redirects to the set-up page; the API refuses.
 */
export function secondFactorGate(req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const path = req.url.split('?')[0] ?? '/';
  if (ENROL_OPEN.includes(path)) return undefined;
  if (isApi(req)) throw forbidden('Set up two-factor authentication in Warden before using the API.');
  return reply.redirect('/account/two-factor', 303);
}

/**
 * Called by the app's request hook for every signed-in page request: a link for one of the user's organisations
 * (`?for=<organisation id>`, as Warden's e-mails carry) opened while acting for another, or for none, goes to the
 * organisation chooser with that organisation selected, then on to the page. A GET never switches by itself.
 * A link for an organisation the user holds no role in is left to the page (which will not show another
 * organisation's records).
 */
export function organisationLink(req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if (req.method !== 'GET' || !req.url.includes('for=') || isApi(req) || req.actor?.kind !== 'user') return undefined;
  const url = new URL(req.url, 'http://warden.invalid');
  const org = url.searchParams.get('for');
  if (!org || org === req.actor.orgId || !req.memberships?.some((m) => m.orgId === org)) return undefined;
  url.searchParams.delete('for');
  return reply.redirect(`/choose-organisation?org=${encodeURIComponent(org)}&next=${encodeURIComponent(url.pathname + url.search)}`);
}

const passwordHint = `At least ${MIN_PASSWORD_LENGTH} and at most ${MAX_PASSWORD_LENGTH} characters. A few unrelated words make a strong password that is easy to remember. Common passwords, your name and your e-mail address are refused.`;

/**
 * Sign in (password, then a second factor when set up), sign out, choose organisation, the first-run set-up,
 * password reset, and the own-account pages (second factor, password, sessions).
 */
export async function identityRoutes(app: FastifyInstance, identity: IdentityService, cookies: Cookies): Promise<void> {
  const setSession = (reply: FastifyReply, token: string) =>
    reply.setCookie(cookies.session, token, { path: '/', httpOnly: true, secure: cookies.secure, sameSite: 'lax' });
  const meta = (req: FastifyRequest) => ({ ip: req.ip, userAgent: req.headers['user-agent'], requestId: req.id });
  const form = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;
  const isInvalid = (err: unknown): err is AppError => err instanceof AppError && err.id === 'validation';
  const signedIn = (req: FastifyRequest) => {
    if (!req.actor || !req.sessionToken) throw unauthenticated();
    return req.actor;
  };

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
      if (isInvalid(err)) {
        const { password: _p, setupCode: _c, ...values } = form(req);
        return reply.page('identity/views/setup.njk', { title: 'Set up Warden', values, errors: err.fields }, 400);
      }
      throw err;
    }
  });

  // ---- Sign in ----

  app.get('/sign-in', { schema: { hide: true } }, async (req, reply) => {
    const next = safeNext((req.query as Record<string, unknown>).next);
    if (req.actor) return reply.redirect(next);
    return reply.page('identity/views/sign-in.njk', { title: 'Sign in', next, values: {} });
  });
  app.post('/sign-in', { schema: { hide: true }, config: { rateLimit: { max: 20, timeWindow: '1 minute' } } }, async (req, reply) => {
    const body = form(req);
    const next = safeNext(body.next);
    try {
      const { token, stage } = await identity.signIn(body, meta(req));
      // A new session id at every sign-in: a session fixed before sign-in is never promoted.
      setSession(reply, token);
      if (stage === 'second_factor') return reply.redirect(`/sign-in/two-factor?next=${encodeURIComponent(next)}`, 303);
      if (stage === 'enrol_second_factor') return reply.redirect('/account/two-factor', 303);
      return reply.redirect(next === '/' ? '/choose-organisation?auto=1' : next);
    } catch (err) {
      if (isInvalid(err)) return reply.page('identity/views/sign-in.njk', { title: 'Sign in', next, values: { email: body.email }, errors: err.fields }, 400);
      throw err;
    }
  });

  const challenge = async (reply: FastifyReply, next: string, errors?: unknown) =>
    reply.page('identity/views/two-factor-challenge.njk', { title: 'Enter your security code', next, errors }, errors ? 400 : 200);
  app.get('/sign-in/two-factor', { schema: { hide: true } }, async (req, reply) => {
    const next = safeNext((req.query as Record<string, unknown>).next);
    if (!(await identity.pendingChallenge(req.cookies[cookies.session]))) return reply.redirect(`/sign-in?next=${encodeURIComponent(next)}`);
    return challenge(reply, next);
  });
  app.post('/sign-in/two-factor', { schema: { hide: true }, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (req, reply) => {
    const body = form(req);
    const next = safeNext(body.next);
    try {
      const { token } = await identity.completeSecondFactor(req.cookies[cookies.session], body, meta(req));
      setSession(reply, token);
      return reply.redirect(next === '/' ? '/choose-organisation?auto=1' : next, 303);
    } catch (err) {
      if (isInvalid(err)) return challenge(reply, next, err.fields);
      if (err instanceof AppError && err.id === 'unauthenticated') return reply.redirect(`/sign-in?next=${encodeURIComponent(next)}`, 303);
      throw err;
    }
  });

  app.get('/sign-out', { schema: { hide: true } }, async (req, reply) => {
    if (!req.actor) return reply.redirect('/sign-in');
    return reply.page('identity/views/sign-out.njk', { title: 'Sign out' });
  });
  app.post('/sign-out', { schema: { hide: true } }, async (req, reply) => {
    // Also ends a session still waiting for its second factor (it has no actor).
    await identity.signOut(req.actor, req.sessionToken ?? req.cookies[cookies.session]);
    reply.clearCookie(cookies.session, { path: '/', secure: cookies.secure });
    return reply.page('identity/views/signed-out.njk', { title: 'You have signed out', actor: null, accountItems: [], nav: [] });
  });

  /**
   * Which organisation the session acts for. `next` is where to go once chosen (a link opened before choosing, or
   * one for another of the user's organisations); `org` preselects the organisation such a link is for.
   */
  app.get('/choose-organisation', { schema: { hide: true } }, async (req, reply) => {
    if (!req.actor) throw unauthenticated();
    const query = req.query as Record<string, unknown>;
    const next = safeNext(query.next);
    const orgs = await identity.memberships(req.actor);
    const current = req.actor.kind === 'user' ? req.actor.orgId : null;
    if (query.auto === '1' && (orgs.length <= 1 || current)) return reply.redirect(next);
    const linkedTo = orgs.find((o) => o.id === query.org);
    return reply.page('identity/views/choose-organisation.njk', {
      title: 'Choose an organisation',
      orgs,
      next,
      linkedTo,
      current: linkedTo?.id ?? current,
    });
  });
  app.post('/choose-organisation', { schema: { hide: true } }, async (req, reply) => {
    if (!req.actor || !req.sessionToken) throw unauthenticated();
    const body = form(req);
    const next = safeNext(body.next);
    try {
      await identity.chooseOrganisation(req.actor, req.sessionToken, String(body.orgId ?? ''));
      return reply.redirect(next, 303);
    } catch (err) {
      if (isInvalid(err)) {
        const orgs = await identity.memberships(req.actor);
        return reply.page('identity/views/choose-organisation.njk', { title: 'Choose an organisation', orgs, next, errors: err.fields }, 400);
      }
      throw err;
    }
  });

  // ---- Password reset: request a link, then choose a new password from it ----

  app.get('/password-reset', { schema: { hide: true } }, async (_req, reply) =>
    reply.page('identity/views/password-reset-request.njk', { title: 'Reset your password', values: {} }),
  );
  app.post('/password-reset', { schema: { hide: true }, config: { rateLimit: { max: 5, timeWindow: '1 minute' } } }, async (req, reply) => {
    const body = form(req);
    try {
      const { email } = await identity.requestPasswordReset(body, meta(req));
      // The same page whether or not the address has an account: nothing to learn from it.
      return reply.page('identity/views/password-reset-sent.njk', { title: 'Check your e-mail', email, minutes: RESET_MINUTES });
    } catch (err) {
      if (isInvalid(err))
        return reply.page(
          'identity/views/password-reset-request.njk',
          { title: 'Reset your password', values: { email: body.email }, errors: err.fields },
          400,
        );
      throw err;
    }
  });

  const tokenOf = (req: FastifyRequest) => String((req.params as Record<string, unknown>).token ?? '');
  const linkGone = (reply: FastifyReply) =>
    reply.page('identity/views/password-reset-invalid.njk', { title: 'This link has expired or has been used', minutes: RESET_MINUTES }, 410);
  app.get('/password-reset/:token', { schema: { hide: true } }, async (req, reply) => {
    const link = await identity.resetLink(tokenOf(req));
    if (!link) return linkGone(reply);
    return reply.page('identity/views/password-reset-form.njk', { title: 'Choose a new password', email: link.email, passwordHint });
  });
  app.post('/password-reset/:token', { schema: { hide: true }, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (req, reply) => {
    const token = tokenOf(req);
    try {
      if (!(await identity.resetPassword(token, form(req), meta(req)))) return linkGone(reply);
      // Any session this browser had was ended with the others.
      reply.clearCookie(cookies.session, { path: '/', secure: cookies.secure });
      return reply.page('identity/views/password-reset-done.njk', { title: 'Your password has been changed', actor: null, accountItems: [], nav: [] });
    } catch (err) {
      if (isInvalid(err)) {
        const link = await identity.resetLink(token);
        if (!link) return linkGone(reply);
        return reply.page(
          'identity/views/password-reset-form.njk',
          { title: 'Choose a new password', email: link.email, passwordHint, errors: err.fields },
          400,
        );
      }
      throw err;
    }
  });

  // ---- Own account ----

  const accountPage = async (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) =>
    reply.page('identity/views/account.njk', { title: 'Your account', account: await identity.account(signedIn(req), req.sessionToken), ...extra });
  app.get('/account', { schema: { hide: true } }, async (req, reply) => {
    const { ended, changed } = req.query as Record<string, unknown>;
    return accountPage(req, reply, {
      ...(typeof ended === 'string' && /^\d{1,4}$/.test(ended) ? { ended: Number(ended) } : {}),
      passwordChanged: changed === 'password',
    });
  });
  app.post('/account/sessions/end-others', { schema: { hide: true } }, async (req, reply) => {
    const ended = await identity.endOtherSessions(signedIn(req), req.sessionToken, meta(req));
    return reply.redirect(`/account?ended=${ended}`, 303);
  });

  app.get('/account/password', { schema: { hide: true } }, async (req, reply) => {
    signedIn(req);
    return reply.page('identity/views/change-password.njk', { title: 'Change your password', passwordHint });
  });
  app.post('/account/password', { schema: { hide: true }, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (req, reply) => {
    try {
      await identity.changePassword(signedIn(req), req.sessionToken, form(req), meta(req));
      return reply.redirect('/account?changed=password', 303);
    } catch (err) {
      if (isInvalid(err)) return reply.page('identity/views/change-password.njk', { title: 'Change your password', passwordHint, errors: err.fields }, 400);
      throw err;
    }
  });

  const twoFactorPage = async (req: FastifyRequest, reply: FastifyReply, errors?: unknown) => {
    const actor = signedIn(req);
    const account = await identity.account(actor, req.sessionToken);
    const enrolment = account.twoFactor.enabled ? undefined : await identity.totpEnrolment(actor, req.sessionToken);
    return reply.page(
      'identity/views/two-factor.njk',
      { title: account.twoFactor.enabled ? 'Two-factor authentication' : 'Set up two-factor authentication', account, enrolment, errors },
      errors ? 400 : 200,
    );
  };
  app.get('/account/two-factor', { schema: { hide: true } }, async (req, reply) => twoFactorPage(req, reply));
  app.post('/account/two-factor', { schema: { hide: true }, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (req, reply) => {
    try {
      const codes = await identity.enableTotp(signedIn(req), req.sessionToken, form(req), meta(req));
      return reply.page('identity/views/recovery-codes.njk', { title: 'Save your recovery codes', codes, count: RECOVERY_CODE_COUNT, justEnabled: true });
    } catch (err) {
      if (isInvalid(err)) return twoFactorPage(req, reply, err.fields);
      throw err;
    }
  });
  app.post('/account/two-factor/recovery-codes', { schema: { hide: true }, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async (req, reply) => {
    try {
      const codes = await identity.regenerateRecoveryCodes(signedIn(req), form(req), meta(req));
      return reply.page('identity/views/recovery-codes.njk', { title: 'Save your new recovery codes', codes, count: RECOVERY_CODE_COUNT });
    } catch (err) {
      if (isInvalid(err)) return twoFactorPage(req, reply, err.fields);
      throw err;
    }
  });
}
