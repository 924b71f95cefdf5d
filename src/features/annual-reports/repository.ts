import type { Tx } from '../../db/database.ts';
import type { BoardDecision } from './schema.ts';

/** The only code that touches Kysely for annual reports. Every query runs in a scoped transaction (tenancy.ts). */
export const annualReportsRepository = {
  list: (tx: Tx, orgId: string) =>
    tx
      .selectFrom('annual_reports as r')
      .leftJoin('users as s', 's.id', 'r.signed_by')
      .selectAll('r')
      .select('s.name as signed_by_name')
      .where('r.org_id', '=', orgId)
      .orderBy('r.year', 'desc')
      .execute(),

  find(tx: Tx, orgId: string, id: string, lock = false) {
    let q = tx
      .selectFrom('annual_reports as r')
      .leftJoin('users as s', 's.id', 'r.signed_by')
      .selectAll('r')
      .select('s.name as signed_by_name')
      .where('r.org_id', '=', orgId)
      .where('r.id', '=', id);
    if (lock) q = q.forUpdate('r');
    return q.executeTakeFirst();
  },

  forYear: (tx: Tx, orgId: string, year: number) =>
    tx.selectFrom('annual_reports').selectAll().where('org_id', '=', orgId).where('year', '=', year).executeTakeFirst(),

  insert: (tx: Tx, row: { org_id: string; year: number; created_by: string | null }) =>
    tx
      .insertInto('annual_reports')
      .values({ ...row, updated_by: row.created_by })
      .returning('id')
      .executeTakeFirstOrThrow(),

  updateDetails: (
    tx: Tx,
    orgId: string,
    id: string,
    v: { presented_on: string | null; board_decision: BoardDecision | null; board_minute: string | null; summary: string; updated_by: string | null },
  ) => tx.updateTable('annual_reports').set(v).where('org_id', '=', orgId).where('id', '=', id).execute(),

  setDocument: (
    tx: Tx,
    orgId: string,
    id: string,
    v: { file_id: string; file_name: string; content_type: string; size_bytes: number; sha256: string; updated_by: string | null },
  ) => tx.updateTable('annual_reports').set(v).where('org_id', '=', orgId).where('id', '=', id).execute(),

  sign: (tx: Tx, orgId: string, id: string, userId: string | null) =>
    tx
      .updateTable('annual_reports')
      .set({ status: 'signed', signed_by: userId, signed_at: new Date(), updated_by: userId })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('status', '=', 'draft')
      .executeTakeFirst(),
};
