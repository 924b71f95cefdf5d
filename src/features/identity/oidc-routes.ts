import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type OidcService, SIGN_IN_TTL_SECONDS } from './oidc.ts';
import { safeNext } from './routes.ts';

type Cookies = { session: string; secure: boolean };

/**
 * OpenID Connect single sign-on: `/sign-in/oidc` sends the browser to the identity provider, which returns it to
 * `/sign-in/oidc/callback`. Registers nothing when single sign-on is not configured.
 */
export async function oidcRoutes(app: FastifyInstance, oidc: OidcService | undefined, cookies: Cookies): Promise<void> {
  if (!oidc) return;
  // SameSite=Lax, not Strict: the callback is a top-level navigation from the provider's site, and a Strict
  // cookie would not be sent with it. `__Host-` pins it to this host over HTTPS.
  const name = cookies.secure ? '__Host-warden_oidc' : 'warden_oidc';
  const meta = (req: FastifyRequest) => ({ ip: req.ip, userAgent: req.headers['user-agent'], requestId: req.id });
  const rateLimit = { max: 30, timeWindow: '1 minute' };

  app.get('/sign-in/oidc', { schema: { hide: true }, config: { rateLimit } }, async (req, reply) => {
    const next = safeNext((req.query as Record<string, unknown>).next);
    if (req.actor) return reply.redirect(next);
    let started: { url: string; handle: string };
    try {
      started = await oidc.start(next);
    } catch (err) {
      req.log.error({ err }, 'single sign-on: the identity provider could not be reached');
      return reply.page(
        'error.njk',
        {
          title: `${oidc.displayName} is not available`,
          heading: `${oidc.displayName} is not available`,
          paragraphs: ['Try again in a few minutes, or sign in with your Warden e-mail address and password.'],
        },
        503,
      );
    }
    reply.setCookie(name, started.handle, { path: '/', httpOnly: true, secure: cookies.secure, sameSite: 'lax', maxAge: SIGN_IN_TTL_SECONDS });
    return reply.redirect(started.url);
  });

  app.get('/sign-in/oidc/callback', { schema: { hide: true }, config: { rateLimit } }, async (req, reply) => {
    const handle = req.cookies[name];
    reply.clearCookie(name, { path: '/', secure: cookies.secure });
    const query = new URLSearchParams(req.url.split('?')[1] ?? '');
    const result = await oidc.callback(handle, query, meta(req));
    if (!result.ok)
      return reply.page('identity/views/sso-refused.njk', { title: result.heading, heading: result.heading, message: result.message }, result.status);
    // A new session id at every sign-in, as for passwords: a session fixed before sign-in is never promoted.
    reply.setCookie(cookies.session, result.sessionToken, { path: '/', httpOnly: true, secure: cookies.secure, sameSite: 'lax' });
    return reply.redirect(result.next === '/' ? '/choose-organisation?auto=1' : result.next);
  });
}
