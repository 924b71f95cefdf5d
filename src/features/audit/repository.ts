import { type Kysely, sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import type { AuditSearch } from './schema.ts';

/**
 * One chain row with every hashed field as the exact text PostgreSQL hashes (see `warden_audit_hash` and
 * `warden_audit_row_hash`).
 */
export type ChainRow = {
  id_text: string;
  seq: number;
  seq_text: string;
  at_text: string;
  actor_id: string | null;
  org_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  outcome: string;
  request_id: string | null;
  detail_text: string;
  prev_hash: string;
  hash: string;
  row_hash: string;
};

/** An event not yet sealed into the chain: its content and `row_hash`, no position. */
export type UnsealedRow = Omit<ChainRow, 'seq' | 'seq_text' | 'prev_hash' | 'hash'> & { id: number; age_seconds: number };

const hashedFields = [
  sql<string>`id::text`.as('id_text'),
  sql<string>`to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('at_text'),
  sql<string | null>`actor_id::text`.as('actor_id'),
  sql<string | null>`org_id::text`.as('org_id'),
  'action',
  'object_type',
  'object_id',
  'outcome',
  'request_id',
  sql<string>`detail::text`.as('detail_text'),
  'row_hash',
] as const;

/** Escapes LIKE wildcards so a user's text matches literally. */
const likePrefix = (text: string) => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The only code that touches `audit_events`, apart from `platform/audit.ts`, which appends. */
export const auditRepository = {
  /**
   * The next `limit` chain rows after `afterSeq`, in `seq` order (keyset on the unique index, so each batch costs
   * the same however far into the chain it is). `at` and `detail` come back as the text the hash covers.
   */
  chainBatch(db: Kysely<DB>, afterSeq: number, limit: number): Promise<ChainRow[]> {
    return db
      .selectFrom('audit_events')
      .select([...hashedFields, 'seq', sql<string>`seq::text`.as('seq_text'), 'prev_hash', 'hash'])
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute() as Promise<ChainRow[]>;
  },

  /**
   * Seals committed unsealed events into the chain (`warden_audit_seal`, see the AuditSealing migration), in
   * batches of `batch`, until none is left; returns how many were sealed. `wait: false` returns at once (0) when
   * another sealer holds the chain's lock, as the periodic sealer of `warden start` does.
   */
  async seal(db: Kysely<DB>, options: { batch?: number; wait?: boolean } = {}): Promise<number> {
    const batch = options.batch ?? 10_000;
    let total = 0;
    for (;;) {
      const { rows } = await sql<{ n: number }>`SELECT warden_audit_seal(${batch}::integer, ${options.wait ?? true}::boolean) AS n`.execute(db);
      const n = Number(rows[0]?.n ?? 0);
      total += n;
      if (n < batch) return total;
    }
  },

  /** The next `limit` unsealed events after id `afterId`, in id order, with their age by the database's clock. */
  unsealed(db: Kysely<DB>, afterId: number, limit: number): Promise<UnsealedRow[]> {
    return db
      .selectFrom('audit_events')
      .select([...hashedFields, 'id', sql<number>`extract(epoch from (clock_timestamp() - at))::float8`.as('age_seconds')])
      .where('seq', 'is', null)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute() as Promise<UnsealedRow[]>;
  },

  /** The stored hash of the row at `seq`, if that row still exists. */
  hashAt(db: Kysely<DB>, seq: number) {
    return db.selectFrom('audit_events').select(['seq', 'hash']).where('seq', '=', seq).executeTakeFirst();
  },

  /**
   * One page of the trail, newest first, with the actor's name and e-mail and the organisation's name. `orgId`
   * restricts to one organisation (always set for organisation-scoped searchers; row-level security enforces it
   * again). Fetches `limit + 1` rows so the caller knows whether a next page exists without counting.
   */
  search(tx: Tx, filters: AuditSearch & { orgId?: string; objectIds?: string[]; references?: string[] }, limit: number, offset: number) {
    let q = tx
      .selectFrom('audit_events as e')
      .leftJoin('users as u', 'u.id', 'e.actor_id')
      .leftJoin('organisations as o', 'o.id', 'e.org_id')
      .select([
        'e.seq',
        'e.at',
        'e.actor_id',
        'u.name as actor_name',
        'u.email as actor_email',
        'e.org_id',
        'o.name as org_name',
        'e.action',
        'e.object_type',
        'e.object_id',
        'e.outcome',
        'e.request_id',
        'e.detail',
      ]);
    if (filters.orgId) q = q.where('e.org_id', '=', filters.orgId);
    if (filters.action) q = q.where(sql<boolean>`e.action LIKE ${likePrefix(filters.action)}`);
    if (filters.actor) q = q.where(sql<boolean>`lower(u.email) = lower(${filters.actor})`);
    if (filters.outcome) q = q.where('e.outcome', '=', filters.outcome);
    // the events about an object, and older exports' reads that name a case in `detail.references` (indexes
    // audit_events_object and audit_events_case_list_references, migration 20261207140000-AuditEventsByObject)
    if (filters.objectIds) {
      const ids = filters.objectIds.length ? filters.objectIds : [''];
      const refs = filters.references ?? [];
      q = q.where((eb) =>
        eb.or([
          eb('e.object_id', 'in', ids),
          ...(refs.length
            ? [
                eb.and([
                  eb('e.object_type', '=', 'case_list'),
                  eb('e.action', '=', 'incident.read_personal'),
                  sql<boolean>`e.detail -> 'references' ?| ${refs}::text[]`,
                ]),
              ]
            : []),
        ]),
      );
    }
    // Dates are calendar days in the UK: a day starts at local midnight, whether GMT or BST.
    if (filters.from) q = q.where(sql<boolean>`e.at >= (${filters.from}::date::timestamp AT TIME ZONE 'Europe/London')`);
    if (filters.to) q = q.where(sql<boolean>`e.at < ((${filters.to}::date + 1)::timestamp AT TIME ZONE 'Europe/London')`);
    return (
      q
        // Insertion order: unsealed events (NULL seq, at most a moment old) are the newest.
        .orderBy('e.id', 'desc')
        .limit(limit + 1)
        .offset(offset)
        .execute()
    );
  },

  /**
   * The case an object filter names, by id or reference, among those the transaction may read (row-level
   * security keeps another organisation's cases out of an organisation-scoped search; `orgId` says so again).
   */
  incidentByObject(tx: Tx, object: string, orgId: string | undefined, isId: boolean) {
    let q = tx.selectFrom('incidents').select(['id', 'reference']);
    q = isId ? q.where('id', '=', object) : q.where('reference', '=', object);
    if (orgId) q = q.where('org_id', '=', orgId);
    return q.execute();
  },

  /** Organisations to offer in a deployment-wide administrator's filter. */
  organisations(tx: Tx) {
    return tx.selectFrom('organisations').select(['id', 'name']).orderBy('name').execute();
  },
};
