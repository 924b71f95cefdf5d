import { createHash, randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import { authorize, can } from '../../platform/access/policy.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { conflict, forbidden, invalid, notFound } from '../../platform/errors.ts';
import { checkUpload, type FileStore, type Upload } from '../../platform/files.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { londonDay } from '../cases/service.ts';
import { type OverseerMail, tellOverseers } from '../commissioning/notify.ts';
import { commissioningRepository } from '../commissioning/repository.ts';
import { coversYear } from '../commissioning/schema.ts';
import type { IdentityService } from '../identity/service.ts';
import { financialYearLabel } from '../organisations/schema.ts';
import { annualReportsRepository as repo } from './repository.ts';
import { type AnnualReportOut, annualReportCreate, annualReportDetails, annualReportReopen, type BoardDecision } from './schema.ts';

/** Largest report document accepted. */
export const MAX_REPORT_BYTES = 20 * 1024 * 1024;
const REPORT_KINDS = ['pdf', 'docx'] as const;

type Acting = { actor: Actor; orgId: string; userId: string | null };
type Row = NonNullable<Awaited<ReturnType<typeof repo.find>>>;

const out = (r: Row): AnnualReportOut => ({
  id: r.id,
  year: r.year,
  yearLabel: financialYearLabel(r.year),
  presentedOn: r.presented_on,
  boardDecision: r.board_decision,
  boardMinute: r.board_minute,
  summary: r.summary,
  document: r.file_name && r.content_type && r.size_bytes ? { fileName: r.file_name, contentType: r.content_type, sizeBytes: r.size_bytes } : null,
  status: r.status,
  signedBy: r.signed_by_name,
  signedAt: r.signed_at ? r.signed_at.toISOString() : null,
});

/** With a mailer, the provider's commissioners are told when a report is signed off (`OverseerMail`). */
export type AnnualReportsDeps = { files: FileStore; identity: Pick<IdentityService, 'confirmSecondFactor'> } & OverseerMail;

/**
 * Annual reports to the Board (002 std 1.5): the minimum record the self review's suggestion for 1.5 rests on.
 * The security team (LSMS) and the SMD keep the record for each financial year; the SMD signs it off by entering
 * their second factor again, after which it is final (the database refuses changes) unless the SMD reopens it with
 * a reason (what was signed is kept). The board reads it. Every change and every document download is audited.
 */
export function annualReportsService(db: Database, deps: AnnualReportsDeps) {
  const acting = (actor: Actor | null, action: 'annual_report.read' | 'annual_report.edit' | 'annual_report.sign', orgId?: string): Acting => {
    const org = actor?.kind === 'user' ? actor.orgId : orgId;
    const a = authorize(actor, action, org ?? undefined);
    if (a.kind === 'user') {
      if (!a.orgId) throw forbidden('An annual report belongs to an organisation: act for one first.');
      return { actor: a, orgId: a.orgId, userId: a.userId };
    }
    if (!orgId) throw forbidden('Name the organisation.');
    return { actor: a, orgId, userId: null };
  };
  const found = async (tx: Parameters<typeof repo.find>[0], a: Acting, id: string, lock = false) => {
    const r = await repo.find(tx, a.orgId, id, lock);
    if (!r) throw notFound('annual report');
    return r;
  };
  /**
   * The report as a sign-off or a reopening left it, with whom to tell (002 std 1.6–1.7): the commissioners whose
   * commissioning covers its year, and the provider's name for the e-mail.
   */
  const withOverseers = async (tx: Parameters<typeof repo.find>[0], a: Acting, id: string, year: number) => {
    const [report, commissioners, provider] = await Promise.all([
      found(tx, a, id),
      commissioningRepository.commissionersOf(tx, a.orgId, year),
      repo.organisationName(tx, a.orgId),
    ]);
    return { report, commissionerIds: commissioners.map((c) => c.id), provider: provider ?? 'A provider' };
  };
  /** A commissioner acting for its organisation (`annual_report.oversee`). */
  const commissioner = (actor: Actor | null) => {
    const a = authorize(actor, 'annual_report.oversee', actor?.kind === 'user' ? (actor.orgId ?? undefined) : undefined);
    if (a.kind !== 'user' || !a.orgId) throw forbidden('Act for your commissioning organisation first.');
    return { actor: a, orgId: a.orgId };
  };
  /**
   * The providers a commissioner commissions and their signed reports for the years it commissions them (from the
   * commissioning link's first year, as for self reviews). The database's policy also shows it nothing else.
   */
  const overseen = async (tx: Parameters<typeof repo.find>[0], commissionerOrgId: string, id?: string) => {
    const providers = await commissioningRepository.providersOf(tx, commissionerOrgId);
    const links = new Map(providers.map((p) => [p.id, p]));
    const ids = providers.map((p) => p.id);
    const rows = id ? [await repo.signedOne(tx, ids, id)].filter((r) => r !== undefined) : await repo.signedOf(tx, ids);
    return { providers, reports: rows.filter((r) => coversYear(links.get(r.org_id), r.year)) };
  };
  const organisationOf = (p: { id: string; code: string; name: string }) => ({ id: p.id, code: p.code, name: p.name });
  /** A report's document, read from its organisation's store; the download is audited in that organisation's trail. */
  const documentOf = async (tx: Parameters<typeof repo.find>[0], actor: Actor, r: Row, detail: Record<string, unknown> = {}) => {
    if (!r.file_id || !r.file_name || !r.content_type) throw notFound('document');
    const data = await deps.files.read(r.org_id, r.file_id);
    await audit(tx, actor, {
      action: 'annual_report.document_download',
      orgId: r.org_id,
      objectType: 'annual_report',
      objectId: r.id,
      detail: { file: r.file_id, ...detail },
    });
    return { fileName: r.file_name, contentType: r.content_type, data };
  };
  const draft = (r: Row) => {
    if (r.status !== 'draft') throw conflict('form', `The annual report for ${financialYearLabel(r.year)} is signed off and cannot be changed.`);
  };

  return {
    /** The organisation's annual reports, newest year first. */
    async list(actor: Actor | null, orgId?: string) {
      const a = acting(actor, 'annual_report.read', orgId);
      return inScope(db, { orgId: a.orgId }, async (tx) => (await repo.list(tx, a.orgId)).map(out));
    },

    /**
     * 002 std 1.5: drafts ready for the SMD's sign-off (the Board's date and decision recorded), for their home
     * page. Only for someone who may sign off for the organisation they act for; nobody else is asked.
     */
    async readyToSign(actor: Actor | null) {
      if (actor?.kind !== 'user' || !actor.orgId || !can(actor, 'annual_report.sign', actor.orgId)) return [];
      const a = acting(actor, 'annual_report.sign');
      const rows = await inScope(db, { orgId: a.orgId }, (tx) => repo.list(tx, a.orgId));
      return rows.filter((r) => r.status === 'draft' && r.presented_on && r.board_decision).map((r) => ({ id: r.id, yearLabel: financialYearLabel(r.year) }));
    },

    async get(actor: Actor | null, id: string) {
      const a = acting(actor, 'annual_report.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const [r, reopenings] = await Promise.all([found(tx, a, id), repo.reopenings(tx, a.orgId, id)]);
        return {
          ...out(r),
          reopenings: reopenings.map((o) => ({
            reopenedAt: o.reopened_at.toISOString(),
            reopenedBy: o.reopened_by_name,
            reason: o.reason,
            signedAt: o.signed_at.toISOString(),
            signedBy: o.signed_by_name,
            presentedOn: o.presented_on,
            boardDecision: o.board_decision as BoardDecision | null,
            documentName: o.file_name,
          })),
        };
      });
    },

    /** Starts the record for a financial year; one per year. */
    async create(actor: Actor | null, raw: unknown) {
      const a = acting(actor, 'annual_report.edit');
      const input = parse(annualReportCreate, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        if (await repo.forYear(tx, a.orgId, input.year)) throw conflict('year', `There is already an annual report for ${financialYearLabel(input.year)}.`);
        const { id } = await repo.insert(tx, { org_id: a.orgId, year: input.year, created_by: a.userId });
        await audit(tx, a.actor, { action: 'annual_report.create', orgId: a.orgId, objectType: 'annual_report', objectId: id, detail: { year: input.year } });
        return { id };
      });
    },

    /** Records when it was presented to the Board, the Board's decision and minute, and a summary. Drafts only. */
    async update(actor: Actor | null, id: string, raw: unknown) {
      const a = acting(actor, 'annual_report.edit');
      const input = parse(annualReportDetails, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const r = await found(tx, a, id, true);
        draft(r);
        const problems = [];
        if (input.presentedOn && input.presentedOn > londonDay(new Date()))
          problems.push({ field: 'presentedOn', message: 'The date presented to the Board must be today or in the past' });
        if (input.presentedOn && input.presentedOn < `${r.year}-04-01`)
          problems.push({ field: 'presentedOn', message: `The report for ${financialYearLabel(r.year)} cannot have been presented before the year began` });
        if (input.boardDecision && !input.presentedOn)
          problems.push({ field: 'presentedOn', message: 'Enter the date the report was presented to the Board, to record its decision' });
        if (problems.length) throw invalid(problems);
        await repo.updateDetails(tx, a.orgId, id, {
          presented_on: input.presentedOn ?? null,
          board_decision: input.boardDecision ?? null,
          board_minute: input.boardMinute ?? null,
          summary: input.summary,
          updated_by: a.userId,
        });
        await audit(tx, a.actor, {
          action: 'annual_report.update',
          orgId: a.orgId,
          objectType: 'annual_report',
          objectId: id,
          detail: { presentedOn: input.presentedOn ?? null, boardDecision: input.boardDecision ?? null },
        });
        return out(await found(tx, a, id));
      });
    },

    /**
     * Attaches the report itself (PDF or Word, under 20 MB, recognised by content), stored outside the web root.
     * A new upload replaces the one shown; earlier files are kept. Drafts only.
     */
    async uploadDocument(actor: Actor | null, id: string, file: Upload | null) {
      const a = acting(actor, 'annual_report.edit');
      const checked = checkUpload(file, REPORT_KINDS, MAX_REPORT_BYTES);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const r = await found(tx, a, id, true);
        draft(r);
        if ('error' in checked) throw invalid([{ field: 'file', message: checked.error }]);
        const fileId = randomUUID();
        await deps.files.save(a.orgId, fileId, checked.data);
        try {
          const sha256 = createHash('sha256').update(checked.data).digest('hex');
          await repo.setDocument(tx, a.orgId, id, {
            file_id: fileId,
            file_name: checked.fileName,
            content_type: checked.contentType,
            size_bytes: checked.data.length,
            sha256,
            updated_by: a.userId,
          });
          await audit(tx, a.actor, {
            action: 'annual_report.document_upload',
            orgId: a.orgId,
            objectType: 'annual_report',
            objectId: id,
            detail: { file: fileId, contentType: checked.contentType, size: checked.data.length, sha256 },
          });
        } catch (err) {
          await deps.files.discard(a.orgId, fileId);
          throw err;
        }
        return { fileName: checked.fileName };
      });
    },

    /** The report's document, for those who may read the report; the download is audited. */
    async downloadDocument(actor: Actor | null, id: string) {
      const a = acting(actor, 'annual_report.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        return documentOf(tx, a.actor, await found(tx, a, id));
      });
    },

    /**
     * Signed annual reports of the providers the commissioner commissions (SPEC: commissioners read their
     * providers' annual reports; 002 std 1.6, 1.7), each provider's newest year first. Never drafts.
     */
    async oversight(actor: Actor | null) {
      const a = commissioner(actor);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const { providers, reports } = await overseen(tx, a.orgId);
        return providers.map((p) => ({ organisation: organisationOf(p), reports: reports.filter((r) => r.org_id === p.id).map(out) }));
      });
    },

    /** One signed report of a provider the commissioner commissions. */
    async oversightGet(actor: Actor | null, id: string) {
      const a = commissioner(actor);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const { providers, reports } = await overseen(tx, a.orgId, id);
        const r = reports[0];
        const p = providers.find((x) => x.id === r?.org_id);
        if (!r || !p) throw notFound('annual report');
        return { organisation: organisationOf(p), report: out(r) };
      });
    },

    /** The document of a signed report, for a commissioner of its organisation; audited in the provider's trail. */
    async oversightDocument(actor: Actor | null, id: string) {
      const a = commissioner(actor);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const r = (await overseen(tx, a.orgId, id)).reports[0];
        if (!r) throw notFound('annual report');
        return documentOf(tx, a.actor, r, { commissioner: a.orgId });
      });
    },

    /**
     * The SMD reopens a signed report, with a reason, to put a mistake right (002 std 1.5: the sign-off is theirs,
     * so is undoing it). The report as signed is kept with the reason; the report is a draft again, out of its
     * commissioners' sight until it is signed off anew. A draft cannot be reopened. Audited.
     */
    async reopen(actor: Actor | null, id: string, raw: unknown) {
      const a = acting(actor, 'annual_report.sign');
      const { reason } = parse(annualReportReopen, raw);
      const done = await inScope(db, { orgId: a.orgId }, async (tx) => {
        const r = await found(tx, a, id, true);
        if (r.status !== 'signed' || !r.signed_at) throw conflict('reason', 'This annual report is a draft: there is nothing to reopen.');
        await repo.reopen(tx, { ...r, signed_at: r.signed_at }, reason, a.userId);
        await audit(tx, a.actor, {
          action: 'annual_report.reopen',
          orgId: a.orgId,
          objectType: 'annual_report',
          objectId: id,
          detail: { year: r.year, signedAt: r.signed_at.toISOString(), reason },
        });
        return withOverseers(tx, a, id, r.year);
      });
      // 002 std 1.6–1.7: the commissioners who were told it was signed are told it is withdrawn until signed again
      // (it has left their oversight list); why stays in the provider's record
      const year = financialYearLabel(done.report.year);
      tellOverseers(db, deps, {
        commissionerIds: done.commissionerIds,
        assessors: false,
        subject: `Annual security report reopened: ${done.provider}, ${year}`,
        lines: [
          `${done.provider} has reopened its signed annual security management report to the Board for ${year} to correct it.`,
          'It is withdrawn from your oversight list until it is signed off again, when you will be told.',
        ],
        path: '/oversight/annual-reports',
        linkText: 'Your oversight list',
      });
      return out(done.report);
    },

    /**
     * The SMD signs the report off (002 std 1.5: sign-off is not delegated below the executive board) by entering
     * a current code from their authenticator app; the report must say when it went to the Board and what the
     * Board decided. Signed, it is final until the SMD reopens it.
     */
    async signOff(actor: Actor | null, id: string, raw: unknown, meta: { ip?: string; requestId?: string } = {}) {
      const a = acting(actor, 'annual_report.sign');
      const r0 = await inScope(db, { orgId: a.orgId }, (tx) => found(tx, a, id));
      draft(r0);
      const missing = [];
      if (!r0.presented_on) missing.push({ field: 'presentedOn', message: 'Record the date the report was presented to the Board before signing it off' });
      if (!r0.board_decision) missing.push({ field: 'boardDecision', message: 'Record the Board’s decision before signing it off' });
      if (missing.length) throw invalid(missing);
      await deps.identity.confirmSecondFactor(a.actor, raw, { ...meta, purpose: `annual report ${id}` });
      const done = await inScope(db, { orgId: a.orgId }, async (tx) => {
        const r = await found(tx, a, id, true);
        draft(r);
        await repo.sign(tx, a.orgId, id, a.userId);
        await audit(tx, a.actor, {
          action: 'annual_report.sign',
          orgId: a.orgId,
          objectType: 'annual_report',
          objectId: id,
          detail: { year: r.year, presentedOn: r.presented_on, boardDecision: r.board_decision, secondFactor: 'totp' },
        });
        return withOverseers(tx, a, id, r.year);
      });
      // 002 std 1.6–1.7: a signed report is its commissioners' to read (from the year their commissioning covers)
      const year = financialYearLabel(done.report.year);
      tellOverseers(db, deps, {
        commissionerIds: done.commissionerIds,
        assessors: false,
        subject: `Annual security report signed off: ${done.provider}, ${year}`,
        lines: [`${done.provider} has signed off its annual security management report to the Board for ${year}.`],
        path: `/oversight/annual-reports/${id}`,
      });
      return out(done.report);
    },
  };
}

export type AnnualReportsService = ReturnType<typeof annualReportsService>;
