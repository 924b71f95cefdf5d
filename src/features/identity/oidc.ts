import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import type { OidcConfig } from '../../config.ts';
import type { Database, Tx } from '../../db/database.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { inScope } from '../../platform/tenancy.ts';
import type { IdentityService } from './service.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** How long a sign-in may take at the identity provider before it must be started again. */
export const SIGN_IN_TTL_SECONDS = 600;
/** Discovery metadata is re-read daily; signing keys are re-fetched by openid-client when an unknown `kid` appears. */
const DISCOVERY_TTL_MS = 24 * 3600_000;

type Meta = { ip?: string; userAgent?: string; requestId?: string };

/** Why a single sign-on was refused: each is audited as the `reason` and shown to the person as `message`. */
export type SsoRefusalReason =
  | 'no_sign_in_in_progress'
  | 'state_mismatch'
  | 'provider_error'
  | 'token_rejected'
  | 'not_linked'
  | 'linked_to_other_identity'
  | 'user_inactive';

export type SsoRefusal = { ok: false; reason: SsoRefusalReason; status: number; heading: string; message: string };
export type SsoResult = { ok: true; sessionToken: string; next: string; userId: string } | SsoRefusal;

const NOT_LINKED = 'Your NHS account is not linked to a Warden user. Ask your Warden administrator.';
const START_AGAIN = 'Your sign-in could not be completed. Go back to the sign-in page and try again.';

const REFUSALS: Record<SsoRefusalReason, { status: number; heading: string; message: string }> = {
  no_sign_in_in_progress: { status: 400, heading: 'Sign-in could not be completed', message: START_AGAIN },
  state_mismatch: { status: 400, heading: 'Sign-in could not be completed', message: START_AGAIN },
  provider_error: { status: 502, heading: 'Sign-in could not be completed', message: START_AGAIN },
  token_rejected: { status: 400, heading: 'Sign-in could not be completed', message: START_AGAIN },
  not_linked: { status: 403, heading: 'Your account is not linked', message: NOT_LINKED },
  linked_to_other_identity: { status: 403, heading: 'Your account is not linked', message: NOT_LINKED },
  user_inactive: {
    status: 403,
    heading: 'Your Warden account is not active',
    message: 'Your Warden account has been deactivated. Ask your Warden administrator.',
  },
};

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * OpenID Connect single sign-on (SPEC C1): the authorisation code flow with PKCE (S256), state and nonce, through
 * `openid-client`, which also validates the ID token (signature, issuer, audience, expiry, nonce).
 *
 * Where the in-flight values live: server-side, in `oidc_sign_ins`, keyed by the SHA-256 of a random handle
 * that the browser holds in a ten-minute HttpOnly, SameSite=Lax cookie. Chosen over an encrypted cookie because
 * Warden has no deployment-wide cookie key to share between instances, and because a row is consumed by the
 * callback (DELETE … RETURNING): a state, nonce and verifier can be used once, even if a response is replayed.
 * The cookie binds the flow to the browser that started it, so an attacker cannot complete their own sign-in in
 * a victim's browser (login CSRF).
 *
 * Mapping: an identity (issuer + subject) links to one Warden user. An unlinked identity is linked once, to the
 * active user whose e-mail address equals the provider's e-mail claim, only when `email_verified` is exactly
 * true. Users are never created here: an administrator creates them.
 *
 * Second factor: the identity provider is trusted to authenticate strongly (NHS CIS2 smartcards, Entra ID MFA);
 * its MFA applies, and Warden's own TOTP is not asked for again after single sign-on. The `amr` and `acr` claims,
 * when the provider sends them, are kept in the audit record so an assessor can see how a person authenticated.
 */
export function oidcService(db: Database, identity: Pick<IdentityService, 'createSessionFor'>, config: OidcConfig) {
  const system = { all: true } as const;
  const issuerUrl = new URL(config.issuer);
  let discovered: { at: number; config: Promise<client.Configuration> } | undefined;
  // Links and audit records use the issuer as the provider states it in discovery (openid-client has checked
  // it equals OIDC_ISSUER up to URL normalisation), so a trailing slash in the setting cannot orphan links.
  let issuer = config.issuer;

  /** Discovery, cached; a failed discovery is forgotten so the next sign-in retries it. */
  function configuration(): Promise<client.Configuration> {
    if (!discovered || Date.now() - discovered.at > DISCOVERY_TTL_MS) {
      const auth = config.clientSecret ? client.ClientSecretBasic(config.clientSecret) : client.None();
      // Plain http only for a provider on this machine (config.ts refuses it anywhere else).
      const execute = issuerUrl.protocol === 'http:' ? [client.allowInsecureRequests] : [];
      const pending = client.discovery(issuerUrl, config.clientId, config.clientSecret, auth, { execute, timeout: 10 });
      const entry = { at: Date.now(), config: pending };
      discovered = entry;
      pending.then(
        (c) => {
          issuer = c.serverMetadata().issuer;
        },
        () => {
          if (discovered === entry) discovered = undefined;
        },
      );
    }
    return discovered.config;
  }

  async function record(
    tx: Tx,
    user: { id: string; name: string; email: string } | null,
    meta: Meta,
    outcome: 'success' | 'failure',
    detail: Record<string, unknown>,
  ) {
    const actor: Actor | null = user
      ? { kind: 'user', userId: user.id, name: user.name, email: user.email, orgId: null, roles: [], globalRoles: [], requestId: meta.requestId }
      : null;
    await audit(tx, actor, {
      action: 'auth.sso_sign_in',
      outcome,
      objectType: 'user',
      objectId: user?.id ?? null,
      detail: { issuer, ip: meta.ip, ...detail },
    });
  }

  async function refuse(reason: SsoRefusalReason, meta: Meta, detail: Record<string, unknown> = {}, tx?: Tx): Promise<SsoRefusal> {
    const write = (t: Tx) => record(t, null, meta, 'failure', { reason, ...detail });
    if (tx) await write(tx);
    else await inScope(db, system, write);
    return { ok: false, reason, ...REFUSALS[reason] };
  }

  return {
    displayName: config.displayName,

    /**
     * Starts a sign-in: stores state, nonce and PKCE verifier for ten minutes and returns the provider's
     * authorisation URL and the handle for the browser's cookie.
     */
    async start(next: string): Promise<{ url: string; handle: string }> {
      const oidc = await configuration();
      const handle = randomBytes(32).toString('base64url');
      const state = client.randomState();
      const nonce = client.randomNonce();
      const codeVerifier = client.randomPKCECodeVerifier();
      await inScope(db, system, async (tx) => {
        // Housekeeping: abandoned sign-ins are worthless once expired.
        await tx.deleteFrom('oidc_sign_ins').where('expires_at', '<', new Date()).execute();
        await tx
          .insertInto('oidc_sign_ins')
          .values({
            id: sha256(handle),
            state,
            nonce,
            code_verifier: codeVerifier,
            next,
            expires_at: new Date(Date.now() + SIGN_IN_TTL_SECONDS * 1000),
          })
          .execute();
      });
      const url = client.buildAuthorizationUrl(oidc, {
        redirect_uri: config.redirectUri,
        response_type: 'code',
        scope: 'openid email',
        state,
        nonce,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url: url.href, handle };
    },

    /**
     * Completes a sign-in from the provider's redirect: checks the state against the one this browser started,
     * exchanges the code (with the PKCE verifier), lets openid-client validate the ID token, maps the identity to
     * a Warden user and starts a session. Every attempt is audited as `auth.sso_sign_in`.
     */
    async callback(handle: string | undefined, query: URLSearchParams, meta: Meta): Promise<SsoResult> {
      const pending =
        handle && handle.length <= 100
          ? await inScope(db, system, (tx) => tx.deleteFrom('oidc_sign_ins').where('id', '=', sha256(handle)).returningAll().executeTakeFirst())
          : undefined;
      if (!pending || pending.expires_at.getTime() <= Date.now()) return refuse('no_sign_in_in_progress', meta);
      if (!sameText(query.get('state') ?? '', pending.state)) return refuse('state_mismatch', meta);
      if (query.has('error'))
        return refuse('provider_error', meta, { error: query.get('error')?.slice(0, 100), description: query.get('error_description')?.slice(0, 300) });

      // The token request's redirect_uri must equal the registered one, so the URL is rebuilt from configuration,
      // never from the request's Host header.
      const currentUrl = new URL(config.redirectUri);
      currentUrl.search = query.toString();
      let claims: Record<string, unknown>;
      try {
        const oidc = await configuration();
        const tokens = await client.authorizationCodeGrant(oidc, currentUrl, {
          pkceCodeVerifier: pending.code_verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        claims = { ...(tokens.claims() ?? {}) };
        // Providers that keep the ID token small (or conform strictly to OIDC Core §5.4) put the e-mail address in
        // UserInfo only; its `sub` must equal the ID token's (checked by openid-client).
        if (claims.email === undefined && tokens.access_token && oidc.serverMetadata().userinfo_endpoint) {
          const info = await client.fetchUserInfo(oidc, tokens.access_token, String(claims.sub));
          claims = { ...info, ...claims };
        }
      } catch (err) {
        const reason = err instanceof client.ResponseBodyError || err instanceof client.AuthorizationResponseError ? 'provider_error' : 'token_rejected';
        return refuse(reason, meta, { error: err instanceof Error ? err.message.slice(0, 300) : 'unknown', code: (err as { code?: string }).code });
      }

      const subject = String(claims.sub);
      const email = typeof claims.email === 'string' ? claims.email.slice(0, 320) : undefined;
      const how = { subject, ...(claims.amr ? { amr: claims.amr } : {}), ...(claims.acr ? { acr: claims.acr } : {}) };

      const outcome = await inScope(db, system, async (tx): Promise<SsoRefusal | { userId: string }> => {
        const linked = await tx
          .selectFrom('user_identities')
          .innerJoin('users', 'users.id', 'user_identities.user_id')
          .select(['users.id', 'users.name', 'users.email', 'users.is_active'])
          .where('user_identities.issuer', '=', issuer)
          .where('user_identities.subject', '=', subject)
          .executeTakeFirst();
        if (linked) {
          if (!linked.is_active) {
            await record(tx, linked, meta, 'failure', { reason: 'user_inactive', via: 'link', ...how });
            return { ok: false, reason: 'user_inactive', ...REFUSALS.user_inactive };
          }
          await record(tx, linked, meta, 'success', { via: 'link', ...how });
          return { userId: linked.id };
        }

        if (!email || claims.email_verified !== true) return refuse('not_linked', meta, { ...how, email, emailVerified: claims.email_verified ?? null }, tx);
        const user = await tx
          .selectFrom('users')
          .select(['id', 'name', 'email', 'is_active'])
          .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
          .executeTakeFirst();
        if (!user) return refuse('not_linked', meta, { ...how, email }, tx);
        if (!user.is_active) {
          await record(tx, user, meta, 'failure', { reason: 'user_inactive', via: 'email', ...how });
          return { ok: false, reason: 'user_inactive', ...REFUSALS.user_inactive };
        }
        // A user already linked to a different identity at this provider is not silently given a second one:
        // that would let a changed or recycled e-mail address take over the account.
        const other = await tx.selectFrom('user_identities').select('subject').where('user_id', '=', user.id).where('issuer', '=', issuer).executeTakeFirst();
        if (other) {
          await record(tx, user, meta, 'failure', { reason: 'linked_to_other_identity', via: 'email', ...how });
          return { ok: false, reason: 'linked_to_other_identity', ...REFUSALS.linked_to_other_identity };
        }
        const link = await tx.insertInto('user_identities').values({ user_id: user.id, issuer, subject }).returning('id').executeTakeFirstOrThrow();
        const actor: Actor = {
          kind: 'user',
          userId: user.id,
          name: user.name,
          email: user.email,
          orgId: null,
          roles: [],
          globalRoles: [],
          requestId: meta.requestId,
        };
        await audit(tx, actor, { action: 'auth.sso_link', objectType: 'user_identity', objectId: link.id, detail: { issuer, subject, email } });
        await record(tx, user, meta, 'success', { via: 'email', linked: true, ...how });
        return { userId: user.id };
      });
      if (!('userId' in outcome)) return outcome;
      const sessionToken = await identity.createSessionFor(outcome.userId, meta);
      return { ok: true, sessionToken, next: pending.next, userId: outcome.userId };
    },
  };
}

export type OidcService = ReturnType<typeof oidcService>;
