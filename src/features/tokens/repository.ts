import { sql } from 'kysely';
import type { Database, Tx } from '../../db/database.ts';

const columns = [
  'api_tokens.id',
  'api_tokens.org_id',
  'api_tokens.user_id',
  'api_tokens.name',
  'api_tokens.role',
  'api_tokens.created_at',
  'api_tokens.last_used_at',
  'api_tokens.expires_at',
  'api_tokens.revoked_at',
  'organisations.name as org_name',
  'users.name as user_name',
] as const;

/** The only code that touches `api_tokens` (forced row-level security by `org_id`). */
export const tokensRepository = {
  /** Tokens newest first: one user's personal tokens, or (without `userId`) every token of `orgId` or of all. */
  list(tx: Tx, filter: { userId?: string; orgId?: string }) {
    let q = tx
      .selectFrom('api_tokens')
      .innerJoin('organisations', 'organisations.id', 'api_tokens.org_id')
      .leftJoin('users', 'users.id', 'api_tokens.user_id')
      .select(columns);
    if (filter.userId) q = q.where('api_tokens.user_id', '=', filter.userId);
    if (filter.orgId) q = q.where('api_tokens.org_id', '=', filter.orgId);
    return q
      .orderBy('api_tokens.revoked_at', (o) => o.desc().nullsFirst())
      .orderBy('api_tokens.created_at', 'desc')
      .execute();
  },

  find(tx: Tx, id: string) {
    return tx
      .selectFrom('api_tokens')
      .innerJoin('organisations', 'organisations.id', 'api_tokens.org_id')
      .leftJoin('users', 'users.id', 'api_tokens.user_id')
      .select(columns)
      .where('api_tokens.id', '=', id)
      .executeTakeFirst();
  },

  insert(tx: Tx, t: { orgId: string; userId: string | null; name: string; role: string; hash: string; createdBy: string | null; expiresAt: Date | null }) {
    return tx
      .insertInto('api_tokens')
      .values({
        org_id: t.orgId,
        user_id: t.userId,
        name: t.name,
        role: t.role,
        token_hash: t.hash,
        created_by: t.createdBy,
        expires_at: t.expiresAt,
        last_used_at: null,
        revoked_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  },

  revoke(tx: Tx, id: string) {
    return tx.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  },

  /**
   * Tokens by their hashes, with what authentication needs: the organisation's name and, for a personal token,
   * whether its owner is active and still holds the token's role in the token's organisation. One round trip on
   * the pool, outside any transaction: `warden_api_tokens` sets the deployment-wide scope inside the call
   * (migration 20261205300000-IntakeBatches), as every API request authenticated by a token starts here.
   */
  async byHashes(db: Database, hashes: string[]) {
    const { rows } = await sql<{
      token_hash: string;
      id: string;
      org_id: string;
      user_id: string | null;
      name: string;
      role: string;
      last_used_at: Date | null;
      expires_at: Date | null;
      revoked_at: Date | null;
      org_name: string;
      user_name: string | null;
      user_email: string | null;
      user_active: boolean | null;
      role_held: boolean;
    }>`SELECT * FROM warden_api_tokens(${hashes}::text[])`.execute(db);
    return new Map(rows.map((r) => [r.token_hash, r]));
  },

  touch(tx: Tx, id: string, at: Date) {
    return tx.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  },

  organisation(tx: Tx, id: string) {
    return tx.selectFrom('organisations').select(['id', 'name', 'type']).where('id', '=', id).executeTakeFirst();
  },

  organisations(tx: Tx) {
    return tx.selectFrom('organisations').select(['id', 'name', 'code']).orderBy('name').execute();
  },
};
