import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import type { Actor, Role } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { forbidden, invalid } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { setupInput, signInInput } from './schema.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const GENERIC_FAILURE = 'The e-mail address or password is not right';

export type SessionPolicy = { idleMinutes: number; maxHours: number };

/** Sign-in, sessions and the first-run set-up (SPEC C1). */
export function identityService(db: Database, policy: SessionPolicy) {
  const system = { all: true } as const;

  async function startSession(userId: string, meta: { ip?: string; userAgent?: string }, orgId: string | null) {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    await inScope(db, system, (tx) =>
      tx
        .insertInto('sessions')
        .values({
          id: sha256(token),
          user_id: userId,
          org_id: orgId,
          last_seen_at: new Date(now),
          expires_at: new Date(now + policy.maxHours * 3600_000),
          ip: meta.ip ?? null,
          user_agent: meta.userAgent?.slice(0, 300) ?? null,
        })
        .execute(),
    );
    return token;
  }

  async function rolesOf(userId: string) {
    return inScope(db, system, (tx) => tx.selectFrom('user_roles').select(['org_id', 'role']).where('user_id', '=', userId).execute());
  }

  return {
    /** True until the first user exists: the first-run set-up page is open only then. */
    async needsSetup(): Promise<boolean> {
      const row = await inScope(db, system, (tx) => tx.selectFrom('users').select('id').limit(1).executeTakeFirst());
      return !row;
    },

    /**
     * Issues a one-time set-up code (printed on the console at start) while no user exists; only its hash is
     * kept. Whoever can read the server's console can claim the instance; a passer-by on the network cannot.
     */
    async issueSetupCode(): Promise<string> {
      const code = randomBytes(9).toString('base64url');
      await inScope(db, system, (tx) =>
        tx
          .insertInto('instance_settings')
          .values({ key: 'setup_code_hash', value: JSON.stringify(sha256(code)) })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(sha256(code)) }))
          .execute(),
      );
      return code;
    },

    /** Creates the first organisation and its administrator, and signs them in. */
    async setup(raw: unknown, meta: { ip?: string; userAgent?: string; requestId?: string }) {
      const input = parse(setupInput, raw);
      const problem = passwordProblem(input.password, input);
      if (problem) throw invalid([{ field: 'password', message: problem }]);
      const passwordHash = await hashPassword(input.password);
      const userId = await inScope(db, system, async (tx) => {
        await tx.selectNoFrom((eb) => eb.fn('pg_advisory_xact_lock', [eb.lit(727002)]).as('l')).execute();
        if (await tx.selectFrom('users').select('id').limit(1).executeTakeFirst()) throw forbidden('Warden has already been set up. Sign in instead.');
        const stored = await tx.selectFrom('instance_settings').select('value').where('key', '=', 'setup_code_hash').executeTakeFirst();
        const expected = Buffer.from(String(stored?.value ?? ''));
        const given = Buffer.from(sha256(input.setupCode));
        if (expected.length !== given.length || !timingSafeEqual(expected, given))
          throw invalid([{ field: 'setupCode', message: 'The set-up code is not right: copy it from the console where Warden started' }]);
        const org = await tx
          .insertInto('organisations')
          .values({ name: input.orgName, code: input.orgCode, type: input.orgType })
          .returning('id')
          .executeTakeFirstOrThrow();
        const user = await tx
          .insertInto('users')
          .values({ email: input.email, name: input.name, password_hash: passwordHash })
          .returning('id')
          .executeTakeFirstOrThrow();
        await tx
          .insertInto('user_roles')
          .values([
            { user_id: user.id, org_id: null, role: 'administrator' },
            { user_id: user.id, org_id: org.id, role: 'administrator' },
            { user_id: user.id, org_id: org.id, role: 'reporter' },
          ])
          .execute();
        await tx.deleteFrom('instance_settings').where('key', '=', 'setup_code_hash').execute();
        const actor: Actor = {
          kind: 'user',
          userId: user.id,
          name: input.name,
          email: input.email,
          orgId: org.id,
          roles: ['administrator'],
          globalRoles: ['administrator'],
          requestId: meta.requestId,
        };
        await audit(tx, actor, { action: 'instance.setup', orgId: org.id, objectType: 'user', objectId: user.id });
        return { userId: user.id, orgId: org.id };
      });
      return startSession(userId.userId, meta, userId.orgId);
    },

    /**
     * Checks an e-mail and password. Unknown users and wrong passwords get the same message and take similar
     * time (a decoy hash is verified for unknown users). Every attempt is audited.
     */
    async signIn(raw: unknown, meta: { ip?: string; userAgent?: string; requestId?: string }) {
      const input = parse(signInInput, raw);
      const user = await inScope(db, system, (tx) =>
        tx
          .selectFrom('users')
          .select(['id', 'name', 'email', 'password_hash', 'is_active'])
          .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.toLowerCase()))
          .executeTakeFirst(),
      );
      const ok = await verifyPassword(user?.password_hash, input.password);
      await inScope(db, system, (tx) =>
        audit(
          tx,
          user
            ? { kind: 'user', userId: user.id, name: user.name, email: user.email, orgId: null, roles: [], globalRoles: [], requestId: meta.requestId }
            : null,
          {
            action: 'auth.sign_in',
            outcome: ok && user?.is_active ? 'success' : 'failure',
            objectType: 'user',
            objectId: user?.id ?? null,
            detail: { ip: meta.ip, ...(user ? {} : { email: input.email.slice(0, 320) }) },
          },
        ),
      );
      if (!ok || !user?.is_active) throw invalid([{ field: 'email', message: GENERIC_FAILURE }], GENERIC_FAILURE);
      const roles = await rolesOf(user.id);
      const orgs = [...new Set(roles.map((r) => r.org_id).filter((o): o is string => !!o))];
      return startSession(user.id, meta, orgs.length === 1 ? (orgs[0] ?? null) : null);
    },

    /** Resolves a session cookie to an actor, enforcing the idle and absolute limits and sliding the idle one. */
    async actorFor(token: string | undefined, requestId?: string): Promise<{ actor: Actor; orgName: string | null } | null> {
      if (!token || token.length > 100) return null;
      const id = sha256(token);
      return inScope(db, system, async (tx) => {
        const s = await tx
          .selectFrom('sessions')
          .innerJoin('users', 'users.id', 'sessions.user_id')
          .select([
            'sessions.user_id',
            'sessions.org_id',
            'sessions.last_seen_at',
            'sessions.expires_at',
            'sessions.ended_at',
            'users.name',
            'users.email',
            'users.is_active',
          ])
          .where('sessions.id', '=', id)
          .executeTakeFirst();
        const now = Date.now();
        if (!s || s.ended_at || !s.is_active || s.expires_at.getTime() <= now || s.last_seen_at.getTime() + policy.idleMinutes * 60_000 <= now) return null;
        // Slide the idle timeout at most once a minute, to spare a write per request.
        if (now - s.last_seen_at.getTime() > 60_000)
          await tx
            .updateTable('sessions')
            .set({ last_seen_at: new Date(now) })
            .where('id', '=', id)
            .execute();
        const roles = await tx
          .selectFrom('user_roles')
          .leftJoin('organisations', 'organisations.id', 'user_roles.org_id')
          .select(['user_roles.org_id', 'user_roles.role', 'organisations.name'])
          .where('user_roles.user_id', '=', s.user_id)
          .execute();
        const inOrg = roles.filter((r) => r.org_id && r.org_id === s.org_id);
        return {
          actor: {
            kind: 'user',
            userId: s.user_id,
            name: s.name,
            email: s.email,
            orgId: inOrg.length ? s.org_id : null,
            roles: inOrg.map((r) => r.role as Role),
            globalRoles: roles.filter((r) => r.org_id === null).map((r) => r.role as Role),
            requestId,
          },
          orgName: inOrg[0]?.name ?? null,
        };
      });
    },

    /** Organisations the user holds roles in, for the organisation chooser. */
    async memberships(actor: Actor) {
      if (actor.kind !== 'user') return [];
      return inScope(db, system, (tx) =>
        tx
          .selectFrom('user_roles')
          .innerJoin('organisations', 'organisations.id', 'user_roles.org_id')
          .select(['organisations.id', 'organisations.name', 'organisations.code'])
          .distinct()
          .where('user_roles.user_id', '=', actor.userId)
          .orderBy('organisations.name')
          .execute(),
      );
    },

    /** Switches the organisation a session acts for; only to one the user holds a role in. */
    async chooseOrganisation(actor: Actor, token: string, orgId: string) {
      if (actor.kind !== 'user') throw forbidden();
      const mine = (await this.memberships(actor)).some((m) => m.id === orgId);
      if (!mine) throw invalid([{ field: 'orgId', message: 'Select one of your organisations' }]);
      await inScope(db, system, async (tx) => {
        await tx.updateTable('sessions').set({ org_id: orgId }).where('id', '=', sha256(token)).execute();
        await audit(tx, actor, { action: 'auth.choose_organisation', orgId, objectType: 'user', objectId: actor.userId });
      });
    },

    async signOut(actor: Actor | null, token: string | undefined) {
      if (!token) return;
      await inScope(db, system, async (tx) => {
        await tx.updateTable('sessions').set({ ended_at: new Date() }).where('id', '=', sha256(token)).where('ended_at', 'is', null).execute();
        if (actor) await audit(tx, actor, { action: 'auth.sign_out', objectType: 'user', objectId: actor.kind === 'user' ? actor.userId : null });
      });
    },
  };
}

export type IdentityService = ReturnType<typeof identityService>;
