import { sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
import { conflict } from '../../platform/errors.ts';

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The only code that touches users, their roles and sessions for administration. */
export const usersRepository = {
  /** One page of users, optionally only those holding a role in `orgId` and matching `q` (name or e-mail). */
  async page(tx: Tx, filter: { orgId?: string; q?: string }, limit: number, offset: number) {
    let q = tx.selectFrom('users');
    if (filter.orgId) {
      const orgId = filter.orgId;
      q = q.where((eb) =>
        eb.exists(eb.selectFrom('user_roles').select('user_roles.id').whereRef('user_roles.user_id', '=', 'users.id').where('user_roles.org_id', '=', orgId)),
      );
    }
    if (filter.q) {
      const pattern = likePattern(filter.q);
      q = q.where((eb) => eb.or([eb('users.name', 'ilike', pattern), eb('users.email', 'ilike', pattern)]));
    }
    const [rows, total] = await Promise.all([
      q
        .select(['users.id', 'users.name', 'users.email', 'users.is_active', 'users.created_at'])
        .select(sql<boolean>`users.password_hash IS NOT NULL`.as('has_password'))
        .orderBy('users.name')
        .orderBy('users.id')
        .limit(limit)
        .offset(offset)
        .execute(),
      q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(total.n) };
  },

  find(tx: Tx, id: string) {
    return tx
      .selectFrom('users')
      .select(['id', 'name', 'email', 'is_active', 'created_at'])
      .select(sql<boolean>`password_hash IS NOT NULL`.as('has_password'))
      .where('id', '=', id)
      .executeTakeFirst();
  },

  findByEmail(tx: Tx, email: string) {
    return tx
      .selectFrom('users')
      .select(['id', 'name', 'email', 'is_active', 'created_at'])
      .select(sql<boolean>`password_hash IS NOT NULL`.as('has_password'))
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .executeTakeFirst();
  },

  /** Adds an account with no password. A concurrent add of the same e-mail address is a conflict, not a crash. */
  async insert(tx: Tx, u: { name: string; email: string }) {
    try {
      return await tx.insertInto('users').values({ name: u.name, email: u.email, password_hash: null }).returning('id').executeTakeFirstOrThrow();
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw conflict('email', 'An account with this e-mail address was added at the same time: try again');
      throw err;
    }
  },

  setActive(tx: Tx, id: string, active: boolean) {
    return tx.updateTable('users').set({ is_active: active }).where('id', '=', id).execute();
  },

  /** Roles of the given users, with organisation names; deployment-wide roles have a null organisation. */
  rolesOf(tx: Tx, userIds: string[]) {
    if (userIds.length === 0) return Promise.resolve([]);
    return tx
      .selectFrom('user_roles')
      .leftJoin('organisations', 'organisations.id', 'user_roles.org_id')
      .select(['user_roles.user_id', 'user_roles.org_id', 'user_roles.role', 'organisations.name as org_name'])
      .where('user_roles.user_id', 'in', userIds)
      .orderBy(sql`user_roles.org_id IS NOT NULL`)
      .orderBy('organisations.name')
      .orderBy('user_roles.created_at')
      .execute();
  },

  hasRole(tx: Tx, userId: string, orgId: string | null, role: string) {
    return tx
      .selectFrom('user_roles')
      .select('id')
      .where('user_id', '=', userId)
      .where((eb) => (orgId === null ? eb('org_id', 'is', null) : eb('org_id', '=', orgId)))
      .where('role', '=', role)
      .executeTakeFirst();
  },

  /** Adds a role; holding it already is not an error. Returns true when the role is new. */
  async grant(tx: Tx, userId: string, orgId: string | null, role: string) {
    if (await this.hasRole(tx, userId, orgId, role)) return false;
    await tx.insertInto('user_roles').values({ user_id: userId, org_id: orgId, role }).execute();
    return true;
  },

  async revoke(tx: Tx, userId: string, orgId: string | null, role: string) {
    const r = await tx
      .deleteFrom('user_roles')
      .where('user_id', '=', userId)
      .where((eb) => (orgId === null ? eb('org_id', 'is', null) : eb('org_id', '=', orgId)))
      .where('role', '=', role)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },

  /** Active users holding the deployment-wide administrator role, locked so two removals cannot race. */
  async activeSystemAdministrators(tx: Tx) {
    const rows = await tx
      .selectFrom('user_roles')
      .innerJoin('users', 'users.id', 'user_roles.user_id')
      .select('users.id')
      .where('user_roles.org_id', 'is', null)
      .where('user_roles.role', '=', 'administrator')
      .where('users.is_active', '=', true)
      .forUpdate()
      .execute();
    return rows.map((r) => r.id);
  },

  organisation(tx: Tx, id: string) {
    return tx.selectFrom('organisations').select(['id', 'name', 'code', 'type']).where('id', '=', id).executeTakeFirst();
  },

  organisations(tx: Tx) {
    return tx.selectFrom('organisations').select(['id', 'name', 'code', 'type']).orderBy('name').execute();
  },

  /** Sessions still in force (not ended, not past their absolute or idle limit), newest first. */
  activeSessions(tx: Tx, userId: string, idleMinutes: number, orgId?: string) {
    let q = tx
      .selectFrom('sessions')
      .leftJoin('organisations', 'organisations.id', 'sessions.org_id')
      .select([
        'sessions.id',
        'sessions.org_id',
        'organisations.name as org_name',
        'sessions.created_at',
        'sessions.last_seen_at',
        'sessions.expires_at',
        'sessions.ip',
        'sessions.user_agent',
      ])
      .where('sessions.user_id', '=', userId)
      .where('sessions.ended_at', 'is', null)
      .where('sessions.expires_at', '>', sql<Date>`now()`)
      .where('sessions.last_seen_at', '>', sql<Date>`now() - make_interval(mins => ${idleMinutes})`);
    if (orgId) q = q.where('sessions.org_id', '=', orgId);
    return q.orderBy('sessions.last_seen_at', 'desc').execute();
  },

  /** Ends sessions of the user (one, or all; only those acting for `orgId` when given). Returns their ids. */
  async endSessions(tx: Tx, userId: string, options: { sessionId?: string; orgId?: string }) {
    let q = tx.updateTable('sessions').set({ ended_at: new Date() }).where('user_id', '=', userId).where('ended_at', 'is', null);
    if (options.sessionId) q = q.where('id', '=', options.sessionId);
    if (options.orgId) q = q.where('org_id', '=', options.orgId);
    return (await q.returning('id').execute()).map((r) => r.id);
  },
};
