import type { Database, Tx } from '../../db/database.ts';
import { authorize } from '../../platform/access/policy.ts';
import { type Actor, ROLE_LABELS, type Role } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { forbidden, invalid, notFound } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import type { IdentityService } from '../identity/service.ts';
import { usersRepository as repo } from './repository.ts';
import { DEPLOYMENT_ROLES, listQuery, ORG_ROLES, PAGE_SIZE, roleInput, userInput } from './schema.ts';

type Row<T> = T extends Promise<infer R> ? R : never;
type RoleRow = Row<ReturnType<typeof repo.rolesOf>>[number];
type UserRow = NonNullable<Row<ReturnType<typeof repo.find>>>;

export type RoleHeld = { orgId: string | null; orgName: string | null; role: Role };

/** A system administrator (or the operator's command line) manages every user; others only their organisation's. */
export const isSystemAdministrator = (actor: Actor) => actor.kind === 'system' || actor.globalRoles.includes('administrator');

/**
 * What an administrator may do with one user. An organisation administrator sees only the roles the user holds
 * in that organisation; the account itself (active or not, every session) is theirs to manage only when the
 * user holds no role anywhere else, e.g. not an LSMS contracted to three trusts.
 */
type Target = { user: UserRow; roles: RoleRow[]; visibleRoles: RoleRow[]; whole: boolean; orgId: string | null };

const roleHeld = (r: RoleRow): RoleHeld => ({ orgId: r.org_id, orgName: r.org_name, role: r.role as Role });
const userOut = (u: UserRow, roles: RoleRow[]) => ({
  id: u.id,
  name: u.name,
  email: u.email,
  isActive: u.is_active,
  hasPassword: u.has_password,
  createdAt: u.created_at.toISOString(),
  roles: roles.map(roleHeld),
});

/**
 * User administration (SPEC C1; issue 3 §3, §4, §9): list and create users, grant and revoke roles per
 * organisation, deactivate and reactivate accounts, see and end sessions. Every change is audited.
 *
 * New accounts have no password: the person sets their own through "Forgotten your password?" on the sign-in
 * page, so no administrator ever knows, types or sends a password (ASVS 2.1, 2.5: no shared or default
 * secrets; the reset link proves control of the e-mail address the account was made for).
 */
export function usersService(db: Database, options: { idleMinutes: number }, identity: Pick<IdentityService, 'deactivateUser'>) {
  const all = { all: true } as const;

  /** Checks `user.manage` for the acting organisation and returns it (null for a system administrator). */
  function manager(actor: Actor): { actor: Actor; orgId: string | null; system: boolean } {
    const orgId = actor.kind === 'user' ? actor.orgId : null;
    authorize(actor, 'user.manage', isSystemAdministrator(actor) ? undefined : orgId);
    return { actor, orgId: isSystemAdministrator(actor) ? null : orgId, system: isSystemAdministrator(actor) };
  }

  async function target(tx: Tx, m: ReturnType<typeof manager>, userId: string): Promise<Target> {
    const user = await repo.find(tx, userId);
    const roles = user ? await repo.rolesOf(tx, [userId]) : [];
    if (m.system) {
      if (!user) throw notFound('user');
      return { user, roles, visibleRoles: roles, whole: true, orgId: null };
    }
    // Not a member of the administrator's organisation, or no such user: the same refusal, so ids reveal nothing.
    const mine = roles.filter((r) => r.org_id === m.orgId);
    if (!user || mine.length === 0) throw forbidden('This person does not hold a role in your organisation.');
    return { user, roles, visibleRoles: mine, whole: roles.every((r) => r.org_id === m.orgId), orgId: m.orgId };
  }

  /**
   * Where a role is held: as given (null: deployment-wide); if not given, the organisation an organisation
   * administrator acts for. A system administrator must say, so a forgotten choice never grants deployment-wide.
   */
  function scopeOf(m: ReturnType<typeof manager>, given: string | null | undefined): string | null {
    if (given !== undefined) return given;
    if (m.system) throw invalid([{ field: 'orgId', message: 'Select an organisation, or deployment-wide' }]);
    return m.orgId;
  }

  /** Which roles the manager may grant in `orgId` (null: deployment-wide); throws a field error otherwise. */
  async function checkGrant(tx: Tx, m: ReturnType<typeof manager>, orgId: string | null, roles: Role[], field: string) {
    if (!m.system) {
      if (orgId === null) throw forbidden('Only a system administrator can grant deployment-wide roles.');
      if (orgId !== m.orgId) throw forbidden('You can grant roles only in the organisation you are acting for.');
    }
    if (orgId === null) {
      const wrong = roles.find((r) => !(DEPLOYMENT_ROLES as readonly Role[]).includes(r));
      if (wrong) throw invalid([{ field, message: `${ROLE_LABELS[wrong]} is held in an organisation: select the organisation` }]);
      return;
    }
    const org = await repo.organisation(tx, orgId);
    if (!org) throw invalid([{ field: 'orgId', message: 'Select an organisation' }]);
    for (const r of roles) {
      if (!(ORG_ROLES as Role[]).includes(r)) throw invalid([{ field, message: `${ROLE_LABELS[r]} is a deployment-wide role, not held in one organisation` }]);
      // A commissioner's staff read their providers' figures (002 std 1.6, 1.7): the role means nothing elsewhere.
      if (r === 'commissioner' && org.type !== 'commissioner')
        throw invalid([{ field, message: 'The commissioner role can only be held in a commissioning organisation' }]);
    }
  }

  /** Refuses changes that would leave the deployment with no active system administrator. */
  async function keepOneSystemAdministrator(tx: Tx, losing: string) {
    const admins = await repo.activeSystemAdministrators(tx);
    if (admins.includes(losing) && admins.length <= 1)
      throw invalid([{ field: 'role', message: 'This is the only active system administrator: make someone else a system administrator first' }]);
  }

  return {
    /**
     * Users an administrator manages: those holding a role in the acting organisation; every user for a system
     * administrator, optionally only one organisation's. Paged, by name, searchable by name or e-mail.
     */
    async list(actor: Actor, raw: unknown) {
      const m = manager(actor);
      const query = parse(listQuery, raw);
      const orgId = m.system ? query.orgId : (m.orgId as string);
      return inScope(db, all, async (tx) => {
        const { rows, total } = await repo.page(tx, { orgId, q: query.q }, PAGE_SIZE, (query.page - 1) * PAGE_SIZE);
        const roles = await repo.rolesOf(
          tx,
          rows.map((r) => r.id),
        );
        return {
          users: rows.map((u) =>
            userOut(
              u,
              roles.filter((r) => r.user_id === u.id && (m.system || r.org_id === m.orgId)),
            ),
          ),
          total,
          page: query.page,
          pageSize: PAGE_SIZE,
        };
      });
    },

    /** Organisations a manager may pick from: every one for a system administrator, else the acting one. */
    async organisations(actor: Actor) {
      const m = manager(actor);
      return inScope(db, all, async (tx) => {
        if (m.system) return repo.organisations(tx);
        const org = await repo.organisation(tx, m.orgId as string);
        return org ? [org] : [];
      });
    },

    /** One user with the roles the manager may see, and whether the account as a whole is theirs to manage. */
    async get(actor: Actor, userId: string) {
      const m = manager(actor);
      return inScope(db, all, async (tx) => {
        const t = await target(tx, m, userId);
        return { ...userOut(t.user, t.visibleRoles), manageAccount: t.whole, self: actor.kind === 'user' && actor.userId === userId };
      });
    },

    /**
     * Creates an account with the given roles (no password: see above). If the e-mail address already has an
     * account (an LSMS working for several trusts), that account is given the roles instead: one person, one
     * account, roles in each organisation.
     */
    async create(actor: Actor, raw: unknown) {
      const m = manager(actor);
      const input = parse(userInput, raw);
      const orgId = scopeOf(m, input.orgId);
      const roles = [...new Set(input.roles)];
      return inScope(db, all, async (tx) => {
        await checkGrant(tx, m, orgId, roles, 'roles');
        const existing = await repo.findByEmail(tx, input.email);
        const userId = existing ? existing.id : (await repo.insert(tx, input)).id;
        if (!existing)
          await audit(tx, actor, { action: 'user.create', orgId, objectType: 'user', objectId: userId, detail: { name: input.name, email: input.email } });
        for (const role of roles) {
          if (await repo.grant(tx, userId, orgId, role))
            await audit(tx, actor, { action: 'user.role_grant', orgId, objectType: 'user', objectId: userId, detail: { role, orgId } });
        }
        const user = (await repo.find(tx, userId)) as UserRow;
        const held = (await repo.rolesOf(tx, [userId])).filter((r) => m.system || r.org_id === m.orgId);
        return { ...userOut(user, held), existing: !!existing };
      });
    },

    async grantRole(actor: Actor, userId: string, raw: unknown) {
      const m = manager(actor);
      const input = parse(roleInput, raw);
      const orgId = scopeOf(m, input.orgId);
      return inScope(db, all, async (tx) => {
        await target(tx, m, userId);
        await checkGrant(tx, m, orgId, [input.role], 'role');
        if (await repo.grant(tx, userId, orgId, input.role))
          await audit(tx, actor, { action: 'user.role_grant', orgId, objectType: 'user', objectId: userId, detail: { role: input.role, orgId } });
        const t = await target(tx, m, userId);
        return t.visibleRoles.map(roleHeld);
      });
    },

    /**
     * Removes one role. Refused when it is the administrator's own last administrator role (they would lock
     * themselves out) or the deployment's last system administrator.
     */
    async revokeRole(actor: Actor, userId: string, raw: unknown) {
      const m = manager(actor);
      const input = parse(roleInput, raw);
      const orgId = scopeOf(m, input.orgId);
      return inScope(db, all, async (tx) => {
        const t = await target(tx, m, userId);
        if (!m.system && orgId !== m.orgId) throw forbidden('You can remove roles only in the organisation you are acting for.');
        if (!t.roles.some((r) => r.org_id === orgId && r.role === input.role)) throw notFound('role');
        if (input.role === 'administrator') {
          const self = actor.kind === 'user' && actor.userId === userId;
          if (self && t.roles.filter((r) => r.role === 'administrator').length <= 1)
            throw invalid([{ field: 'role', message: 'You cannot remove your own last administrator role: ask another administrator to do it' }]);
          if (orgId === null) await keepOneSystemAdministrator(tx, userId);
        }
        await repo.revoke(tx, userId, orgId, input.role);
        await audit(tx, actor, { action: 'user.role_revoke', orgId, objectType: 'user', objectId: userId, detail: { role: input.role, orgId } });
        return (await target(tx, m, userId).catch(() => ({ visibleRoles: [] as RoleRow[] }))).visibleRoles.map(roleHeld);
      });
    },

    /**
     * Deactivates an account: it can no longer sign in, every session ends at once (its next request is signed
     * out) and its personal API tokens stop working. Nothing is deleted; reactivation restores it. The change
     * itself (and its audit record) is identity's `deactivateUser`; this adds the administration rules first.
     */
    async deactivate(actor: Actor, userId: string) {
      const m = manager(actor);
      if (actor.kind === 'user' && actor.userId === userId)
        throw invalid([{ field: 'user', message: 'You cannot deactivate your own account: ask another administrator' }]);
      const t = await inScope(db, all, async (tx) => {
        const t = await target(tx, m, userId);
        if (!t.whole)
          throw forbidden(
            'This person also holds roles elsewhere: remove their roles in your organisation, or ask a system administrator to deactivate the account.',
          );
        if (t.user.is_active && t.roles.some((r) => r.org_id === null && r.role === 'administrator')) await keepOneSystemAdministrator(tx, userId);
        return t;
      });
      await identity.deactivateUser(actor, userId);
      return userOut({ ...t.user, is_active: false }, t.visibleRoles);
    },

    async reactivate(actor: Actor, userId: string) {
      const m = manager(actor);
      return inScope(db, all, async (tx) => {
        const t = await target(tx, m, userId);
        if (!t.whole) throw forbidden('This person also holds roles elsewhere: ask a system administrator to reactivate the account.');
        await repo.setActive(tx, userId, true);
        await audit(tx, actor, { action: 'user.reactivate', orgId: m.orgId, objectType: 'user', objectId: userId });
        return { ...userOut({ ...t.user, is_active: true }, t.visibleRoles) };
      });
    },

    /**
     * Sessions in force for the user. An organisation administrator sees all of them for a user wholly within
     * the organisation, otherwise only those acting for the organisation.
     */
    async sessions(actor: Actor, userId: string) {
      const m = manager(actor);
      return inScope(db, all, async (tx) => {
        const t = await target(tx, m, userId);
        const rows = await repo.activeSessions(tx, userId, options.idleMinutes, t.whole ? undefined : (t.orgId ?? undefined));
        return rows.map((s) => ({
          id: s.id,
          orgId: s.org_id,
          orgName: s.org_name,
          createdAt: s.created_at.toISOString(),
          lastSeenAt: s.last_seen_at.toISOString(),
          expiresAt: s.expires_at.toISOString(),
          ip: s.ip,
          userAgent: s.user_agent,
        }));
      });
    },

    /** Ends one session of the user, or all of them (those the administrator may see). Returns how many. */
    async endSessions(actor: Actor, userId: string, sessionId?: string) {
      const m = manager(actor);
      return inScope(db, all, async (tx) => {
        const t = await target(tx, m, userId);
        const ended = await repo.endSessions(tx, userId, { sessionId, orgId: t.whole ? undefined : (t.orgId ?? undefined) });
        if (sessionId && ended.length === 0) throw notFound('session');
        await audit(tx, actor, {
          action: sessionId ? 'session.end' : 'session.end_all',
          orgId: m.orgId,
          objectType: 'user',
          objectId: userId,
          detail: { sessionsEnded: ended.length },
        });
        return ended.length;
      });
    },
  };
}

export type UsersService = ReturnType<typeof usersService>;
