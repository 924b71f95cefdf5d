import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import { authorize } from '../../platform/access/policy.ts';
import { type Actor, ROLE_LABELS, type Role } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { createBatcher } from '../../platform/batcher.ts';
import { forbidden, invalid, notFound } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { ORG_ROLES } from '../users/schema.ts';
import { tokensRepository as repo } from './repository.ts';
import { personalTokenInput, serviceTokenInput, TOKEN_PATTERN, TOKEN_PREFIX } from './schema.ts';

type Row<T> = T extends Promise<infer R> ? R : never;
type TokenRow = NonNullable<Row<ReturnType<typeof repo.find>>>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const all = { all: true } as const;

const tokenOut = (t: TokenRow) => ({
  id: t.id,
  kind: (t.user_id ? 'personal' : 'service') as 'personal' | 'service',
  name: t.name,
  orgId: t.org_id,
  orgName: t.org_name,
  role: t.role as Role,
  userId: t.user_id,
  userName: t.user_name,
  createdAt: t.created_at.toISOString(),
  lastUsedAt: t.last_used_at?.toISOString() ?? null,
  expiresAt: t.expires_at?.toISOString() ?? null,
  revokedAt: t.revoked_at?.toISOString() ?? null,
});

const expiry = (choice: string) => (choice === 'never' ? null : new Date(Date.now() + Number(choice) * 86_400_000));

/** A token can do what its role allows but cannot mint or revoke tokens: only a signed-in person can. */
function noTokenActors(actor: Actor) {
  if (actor.kind === 'user' && actor.tokenId) throw forbidden('API tokens cannot manage API tokens: sign in to Warden to do this.');
}

/**
 * API bearer tokens (issue 3 §8): personal tokens, acting as their owner with one of the owner's roles in one
 * organisation, and service tokens, issued by a system administrator to one organisation with one role. The
 * token is shown once; only its SHA-256 is stored, so a copy of the table cannot be replayed. Revocable.
 */
export function tokensService(db: Database) {
  /** The bearer tokens of API requests that arrive together are looked up together (platform/batcher.ts). */
  const lookups = createBatcher(async (_key: string, hashes: string[]) => {
    const found = await repo.byHashes(db, hashes);
    return hashes.map((h) => found.get(h));
  });

  /**
   * The last use this process wrote for each token, and the value it replaced: a request whose look-up still shows
   * that replaced value read the row before the write (a burst's requests do), so it does not write again.
   */
  const recorded = new Map<string, { replaced: number | null; at: number }>();

  function mint() {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    return { token, hash: sha256(token) };
  }

  return {
    /**
     * Resolves `Authorization: Bearer wdn_…` to an actor, or null when the token is unknown, revoked, expired,
     * or (personal) its owner is deactivated or no longer holds the role. Records use at most once a minute.
     */
    async authenticate(token: string, requestId?: string): Promise<{ actor: Actor; orgName: string } | null> {
      if (!TOKEN_PATTERN.test(token)) return null;
      const now = new Date();
      const t = await lookups.submit('tokens', sha256(token));
      if (!t || t.revoked_at || (t.expires_at && t.expires_at <= now)) return null;
      if (t.user_id && (!t.user_active || !t.role_held)) return null;
      // When a token was last used, to the minute: written at most once a minute, so most requests read only; a
      // burst of requests (all of which read the old time) writes it once, not once each, one after another.
      const seen = t.last_used_at?.getTime() ?? null;
      const mine = recorded.get(t.id);
      const staleRead = mine !== undefined && mine.replaced === seen && now.getTime() - mine.at < 60_000;
      if ((seen === null || now.getTime() - seen > 60_000) && !staleRead) {
        recorded.set(t.id, { replaced: seen, at: now.getTime() });
        await inScope(db, all, (tx) => repo.touch(tx, t.id, now));
      }
      const actor: Actor = {
        kind: 'user',
        // A service token is nobody: it acts, and is audited, under its own id.
        userId: t.user_id ?? t.id,
        name: t.user_id ? (t.user_name ?? '') : `Service token ${t.name}`,
        email: t.user_id ? (t.user_email ?? '') : '',
        orgId: t.org_id,
        roles: [t.role as Role],
        globalRoles: [],
        requestId,
        tokenId: t.id,
      };
      return { actor, orgName: t.org_name };
    },

    /** The actor's own personal tokens, and (system administrators) every token. */
    async list(actor: Actor) {
      authorize(actor, 'token.personal');
      const admin = actor.kind === 'system' || actor.globalRoles.includes('administrator');
      return inScope(db, all, async (tx) => ({
        personal: actor.kind === 'user' ? (await repo.list(tx, { userId: actor.userId })).map(tokenOut) : [],
        all: admin ? (await repo.list(tx, {})).map(tokenOut) : null,
      }));
    },

    /** Roles the actor may put on a personal token: those held in the organisation they are acting for. */
    personalRoles(actor: Actor): Role[] {
      if (actor.kind !== 'user' || !actor.orgId) return [];
      return actor.roles.filter((r) => (ORG_ROLES as Role[]).includes(r));
    },

    async organisations(actor: Actor) {
      authorize(actor, 'token.manage');
      return inScope(db, all, (tx) => repo.organisations(tx));
    },

    /** Issues a personal token for one of the actor's roles in their acting organisation. */
    async createPersonal(actor: Actor, raw: unknown) {
      authorize(actor, 'token.personal');
      noTokenActors(actor);
      if (actor.kind !== 'user') throw forbidden('Personal tokens belong to a person: issue a service token instead.');
      if (!actor.orgId) throw forbidden('Choose the organisation you are acting for first.');
      const input = parse(personalTokenInput, raw);
      if (!this.personalRoles(actor).includes(input.role))
        throw invalid([{ field: 'role', message: 'Select one of your roles in the organisation you are acting for' }]);
      if (input.expiresIn === 'never') throw invalid([{ field: 'expiresIn', message: 'A personal token must expire: select 30 days, 90 days or 1 year' }]);
      const orgId = actor.orgId;
      const { token, hash } = mint();
      return inScope(db, { orgId }, async (tx) => {
        const { id } = await repo.insert(tx, {
          orgId,
          userId: actor.userId,
          name: input.name,
          role: input.role,
          hash,
          createdBy: actor.userId,
          expiresAt: expiry(input.expiresIn),
        });
        await audit(tx, actor, {
          action: 'token.create',
          orgId,
          objectType: 'api_token',
          objectId: id,
          detail: { kind: 'personal', name: input.name, role: input.role },
        });
        return { ...tokenOut((await repo.find(tx, id)) as TokenRow), token };
      });
    },

    /** Issues a service token: one organisation, one role, owned by the organisation rather than a person. */
    async createService(actor: Actor, raw: unknown) {
      authorize(actor, 'token.manage');
      noTokenActors(actor);
      const input = parse(serviceTokenInput, raw);
      const { token, hash } = mint();
      return inScope(db, { orgId: input.orgId }, async (tx) => {
        const org = await repo.organisation(tx, input.orgId);
        if (!org) throw invalid([{ field: 'orgId', message: 'Select an organisation' }]);
        if (!(ORG_ROLES as Role[]).includes(input.role))
          throw invalid([{ field: 'role', message: `${ROLE_LABELS[input.role]} is deployment-wide: a token acts for one organisation` }]);
        if (input.role === 'commissioner' && org.type !== 'commissioner')
          throw invalid([{ field: 'role', message: 'The commissioner role can only be held in a commissioning organisation' }]);
        const { id } = await repo.insert(tx, {
          orgId: org.id,
          userId: null,
          name: input.name,
          role: input.role,
          hash,
          createdBy: actor.kind === 'user' ? actor.userId : null,
          expiresAt: expiry(input.expiresIn),
        });
        await audit(tx, actor, {
          action: 'token.create',
          orgId: org.id,
          objectType: 'api_token',
          objectId: id,
          detail: { kind: 'service', name: input.name, role: input.role },
        });
        return { ...tokenOut((await repo.find(tx, id)) as TokenRow), token };
      });
    },

    /** Revokes a token at once. Its owner may revoke a personal token; a system administrator any token. */
    async revoke(actor: Actor, id: string) {
      authorize(actor, 'token.personal');
      noTokenActors(actor);
      return inScope(db, all, async (tx) => {
        const t = await repo.find(tx, id);
        const own = !!t?.user_id && actor.kind === 'user' && t.user_id === actor.userId;
        if (!t || !own) authorize(actor, 'token.manage');
        if (!t) throw notFound('token');
        if (!t.revoked_at) {
          await repo.revoke(tx, id);
          await audit(tx, actor, { action: 'token.revoke', orgId: t.org_id, objectType: 'api_token', objectId: id, detail: { name: t.name } });
        }
        return tokenOut((await repo.find(tx, id)) as TokenRow);
      });
    },
  };
}

export type TokensService = ReturnType<typeof tokensService>;
