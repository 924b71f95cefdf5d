import type { Selectable } from 'kysely';
import type { Tx } from '../../db/database.ts';
import type { AnnualReportsTable } from '../../db/schema.ts';
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

  /**
   * Reopens a signed report: keeps it as signed in `annual_report_reopenings`, then makes it a draft again (the
   * database allows this one change to a signed report only with that record, AnnualReportReopening).
   */
  async reopen(tx: Tx, r: Selectable<AnnualReportsTable> & { signed_at: Date }, reason: string, userId: string | null) {
    await tx
      .insertInto('annual_report_reopenings')
      .values({
        org_id: r.org_id,
        report_id: r.id,
        reason,
        reopened_by: userId,
        signed_by: r.signed_by,
        signed_at: r.signed_at,
        presented_on: r.presented_on,
        board_decision: r.board_decision,
        board_minute: r.board_minute,
        summary: r.summary,
        file_id: r.file_id,
        file_name: r.file_name,
        content_type: r.content_type,
        size_bytes: r.size_bytes,
        sha256: r.sha256,
      })
      .execute();
    await tx
      .updateTable('annual_reports')
      .set({ status: 'draft', signed_by: null, signed_at: null, updated_by: userId })
      .where('org_id', '=', r.org_id)
      .where('id', '=', r.id)
      .where('status', '=', 'signed')
      .execute();
  },

  /** A report's reopenings, oldest first, with the names of who signed and who reopened. */
  reopenings: (tx: Tx, orgId: string, id: string) =>
    tx
      .selectFrom('annual_report_reopenings as o')
      .leftJoin('users as s', 's.id', 'o.signed_by')
      .leftJoin('users as u', 'u.id', 'o.reopened_by')
      .select([
        'o.reopened_at',
        'o.reason',
        'o.signed_at',
        'o.presented_on',
        'o.board_decision',
        'o.file_name',
        's.name as signed_by_name',
        'u.name as reopened_by_name',
      ])
      .where('o.org_id', '=', orgId)
      .where('o.report_id', '=', id)
      .orderBy('o.reopened_at')
      .execute(),

  sign: (tx: Tx, orgId: string, id: string, userId: string | null) =>
    tx
      .updateTable('annual_reports')
      .set({ status: 'signed', signed_by: userId, signed_at: new Date(), updated_by: userId })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('status', '=', 'draft')
      .executeTakeFirst(),
};
