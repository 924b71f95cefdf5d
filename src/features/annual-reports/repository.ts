import type { Tx } from '../../db/database.ts';
import type { BoardDecision } from './schema.ts';

/** A report with the name of who signed it off. */
const withSigner = (tx: Tx) =>
  tx.selectFrom('annual_reports as r').leftJoin('users as s', 's.id', 'r.signed_by').selectAll('r').select('s.name as signed_by_name');

/** The only code that touches Kysely for annual reports. Every query runs in a scoped transaction (tenancy.ts). */
export const annualReportsRepository = {
  list: (tx: Tx, orgId: string) => withSigner(tx).where('r.org_id', '=', orgId).orderBy('r.year', 'desc').execute(),

  find(tx: Tx, orgId: string, id: string, lock = false) {
    let q = withSigner(tx).where('r.org_id', '=', orgId).where('r.id', '=', id);
    if (lock) q = q.forUpdate('r');
    return q.executeTakeFirst();
  },

  /** Signed reports of these organisations (a commissioner's providers), by organisation then newest year. */
  signedOf: async (tx: Tx, orgIds: string[]) =>
    orgIds.length === 0 ? [] : withSigner(tx).where('r.org_id', 'in', orgIds).where('r.status', '=', 'signed').orderBy('r.year', 'desc').execute(),

  /** One signed report of these organisations, or nothing. */
  signedOne: async (tx: Tx, orgIds: string[], id: string) =>
    orgIds.length === 0 ? undefined : withSigner(tx).where('r.org_id', 'in', orgIds).where('r.status', '=', 'signed').where('r.id', '=', id).executeTakeFirst(),

  /** The organisation's name, for the e-mail telling its commissioners of a signed report. */
  organisationName: async (tx: Tx, orgId: string) => (await tx.selectFrom('organisations').select('name').where('id', '=', orgId).executeTakeFirst())?.name,

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
