import { createHash, randomUUID } from 'node:crypto';
import type { Database, Tx } from '../../db/database.ts';
import { longDate } from '../../domain/dates.ts';
import { RATINGS, type RatedStandard, type Rating, type ReviewRollUp, rollUpReview, type StandardRating } from '../../domain/rag.ts';
import { assessorChecks, type Flag } from '../../domain/self-review-checks.ts';
import { authorize, can } from '../../platform/access/policy.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { AppError, conflict, type FieldError, forbidden, invalid, notFound } from '../../platform/errors.ts';
import { checkUpload, type FileStore, type Upload } from '../../platform/files.ts';
import { renderPdf } from '../../platform/pdf.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { checkFramework } from '../../standards/load.ts';
import { amberApplies, type Framework, frameworkSchema } from '../../standards/schema.ts';
import { type OverseerMail, tellOverseers } from '../commissioning/notify.ts';
import { commissioningRepository } from '../commissioning/repository.ts';
import { coversYear, PROVIDER_TYPES } from '../commissioning/schema.ts';
import type { IdentityService } from '../identity/service.ts';
import { financialYearLabel } from '../organisations/schema.ts';
import { reviewPdf } from './pdf-document.ts';
import { selfReviewRepository as repo } from './repository.ts';
import { acceptSuggestionInput, documentInput, evidenceInput, exportQuery, importInput, oversightQuery, rateInput, reopenInput, startInput } from './schema.ts';
import { type EvidenceLine, RATING_TEXT, readReviewWorkbook, reviewWorkbook, type SheetRow } from './spreadsheet.ts';
import type { SuggesterRegistry, Suggestion } from './suggesters.ts';

/** Largest evidence document accepted, and what kinds (minutes, reports, spreadsheets, photos). */
export const MAX_EVIDENCE_BYTES = 10 * 1024 * 1024;
const EVIDENCE_KINDS = ['pdf', 'docx', 'xlsx', 'png', 'jpeg'] as const;
/** Largest workbook accepted for import: a review is a few dozen rows. */
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

type Status = 'draft' | 'signed' | 'submitted';
/** Who is acting, for which organisation: a user acting for theirs, or the command line naming one. */
type Acting = { actor: Actor; orgId: string; userId: string | null };

export type EvidenceView = {
  id: string;
  kind: 'output' | 'outcome';
  label: string;
  url: string | null;
  record: { type: 'incident' | 'annual_report'; id: string } | null;
  document: { fileName: string; contentType: string; sizeBytes: number } | null;
  /** Where the evidence can be opened, for those entitled to it. */
  href: string | null;
};

/** A standard's state in a review, live or as signed. */
export type ReviewedStandardView = {
  number: string;
  keyArea: string;
  headline: string;
  weight: number;
  amberApplies: boolean;
  rating: StandardRating | null;
  comments: string;
  evidence: EvidenceView[];
  /** The suggestion the rating was accepted from, if it was. */
  suggestion: { suggester: string; rating: StandardRating; reason: string } | null;
};

/** What is frozen at sign-off (self_review_versions.content) and what commissioners see once submitted. */
export type ReviewSnapshot = {
  schema: 1;
  organisation: { id: string; code: string; name: string };
  reviewId: string;
  year: number;
  version: number;
  framework: { versionId: string; id: string; name: string; version: string; keyAreas: { id: string; name: string }[] };
  standards: ReviewedStandardView[];
  rollUp: ReviewRollUp;
  flags: Flag[];
  progress: { rated: number; toRate: number; total: number };
  signedBy: { id: string; name: string };
  signedAt: string;
};

/** JSON with object keys sorted, so the hash of a stored snapshot can be recomputed from what the database returns. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

const SCORE: Record<Rating, number> = { red: 0, amber: 1, green: 2 };
const scored = (r: StandardRating | null | undefined): r is Rating => !!r && (RATINGS as readonly string[]).includes(r);
/** How a rating moved from one year to the next. */
export function trend(now: StandardRating | null | undefined, before: StandardRating | null | undefined): 'up' | 'down' | 'same' | null {
  if (!scored(now) || !scored(before)) return null;
  return SCORE[now] > SCORE[before] ? 'up' : SCORE[now] < SCORE[before] ? 'down' : 'same';
}

type OversightCell = { rating: Rating | null; previous: Rating | null; trend: 'up' | 'down' | 'same' | null };
/** One organisation's submitted review in the oversight table. */
export type OversightRow = {
  versionId: string;
  organisation: { id: string; code: string; name: string };
  version: number;
  submittedAt: string | null;
  keyAreas: Record<string, OversightCell>;
  overall: OversightCell;
  flags: number;
  hasPrevious: boolean;
};

const STATUS_TEXT: Record<Status, string> = { draft: 'Draft', signed: 'Signed off', submitted: 'Submitted' };

export type SelfReviewDeps = {
  /** Evidence documents: `<data dir>/self-review-evidence/<org>/<evidence id>`. */
  files: FileStore;
  /** Re-entering the second factor at sign-off (features/identity). */
  identity: Pick<IdentityService, 'confirmSecondFactor'>;
  /** Suggested ratings from other features' data. */
  suggesters: SuggesterRegistry;
  now?: () => Date;
} & OverseerMail; // tells the commissioners and national assessors a review was submitted to them

/** A piece of evidence as the review shows it, with where it can be opened. */
export function evidenceView(
  reviewId: string,
  e: Pick<
    Awaited<ReturnType<typeof repo.evidence>>[number],
    'id' | 'kind' | 'label' | 'url' | 'record_type' | 'record_id' | 'file_name' | 'content_type' | 'size_bytes'
  >,
): EvidenceView {
  return {
    id: e.id,
    kind: e.kind,
    label: e.label,
    url: e.url,
    record: e.record_type && e.record_id ? { type: e.record_type, id: e.record_id } : null,
    document: e.file_name && e.content_type && e.size_bytes ? { fileName: e.file_name, contentType: e.content_type, sizeBytes: e.size_bytes } : null,
    href: e.url
      ? e.url
      : e.record_type === 'incident'
        ? `/cases/${e.record_id}`
        : e.record_type === 'annual_report'
          ? `/annual-reports/${e.record_id}`
          : e.file_name
            ? `/self-reviews/${reviewId}/evidence/${e.id}/file`
            : null,
  };
}

/**
 * A review's state from its framework, ratings and evidence (no I/O): every standard with its rating, comments
 * and evidence, the roll-up (002 §3.38, §3.48–3.49), the assessor's checks and the progress.
 */
export function reviewState(
  reviewId: string,
  framework: Framework,
  ratings: { standard_number: string; rating: StandardRating | null; comments: string; suggestion: unknown }[],
  evidence: (Parameters<typeof evidenceView>[1] & { standard_number: string })[],
) {
  const standards = framework.standards.map((s) => {
    const r = ratings.find((x) => x.standard_number === s.number);
    return {
      ...s,
      amberApplies: amberApplies(s),
      /** The framework's guidance/evidence list; `evidence` below is what the organisation recorded. */
      guidance: s.evidence,
      rating: (r?.rating ?? null) as StandardRating | null,
      comments: r?.comments ?? '',
      suggestion: (r?.suggestion ?? null) as ReviewedStandardView['suggestion'],
      evidence: evidence.filter((e) => e.standard_number === s.number).map((e) => evidenceView(reviewId, e)),
    };
  });
  const rated: RatedStandard[] = standards.map((s) => ({ number: s.number, keyArea: s.keyArea, weight: s.weight, rating: s.rating }));
  const rollUp = rollUpReview(framework.keyAreas, rated);
  const flags = assessorChecks(standards, framework.keyAreas, rollUp.keyAreas);
  const done = standards.filter((s) => s.rating !== null).length;
  return { standards, rollUp, flags, progress: { rated: done, toRate: standards.length - done, total: standards.length } };
}

/** What is frozen when the SMD signs a review off (002 §3.10): the snapshot as canonical JSON, and its SHA-256. */
export function reviewSnapshot(r: {
  organisation: ReviewSnapshot['organisation'];
  reviewId: string;
  year: number;
  version: number;
  frameworkVersionId: string;
  framework: Pick<Framework, 'id' | 'name' | 'version' | 'keyAreas'>;
  state: ReturnType<typeof reviewState>;
  signedBy: ReviewSnapshot['signedBy'];
  signedAt: Date;
}): { text: string; sha256: string } {
  const snapshot: ReviewSnapshot = {
    schema: 1,
    organisation: r.organisation,
    reviewId: r.reviewId,
    year: r.year,
    version: r.version,
    framework: {
      versionId: r.frameworkVersionId,
      id: r.framework.id,
      name: r.framework.name,
      version: r.framework.version,
      keyAreas: r.framework.keyAreas,
    },
    standards: r.state.standards.map((s) => ({
      number: s.number,
      keyArea: s.keyArea,
      headline: s.headline,
      weight: s.weight,
      amberApplies: s.amberApplies,
      rating: s.rating,
      comments: s.comments,
      evidence: s.evidence,
      suggestion: s.suggestion,
    })),
    rollUp: r.state.rollUp,
    flags: r.state.flags,
    progress: r.state.progress,
    signedBy: r.signedBy,
    signedAt: r.signedAt.toISOString(),
  };
  const text = canonicalJson(snapshot);
  return { text, sha256: sha256(text) };
}

/**
 * Standards frameworks as data and the self review (SPEC C5; 002 §3.9–3.13, ch. 4). Administrators load framework
 * versions; the LSMS and the SMD rate each standard of their organisation's review for a year, with comments,
 * evidence (links, Warden records, documents) and suggestions from Warden's data; the SMD signs it off with their
 * second factor, which freezes a version; it is submitted to the organisation's commissioners and the national
 * body, who see submitted reviews only; it is reopened only with a reason, as a new version. Every change is
 * audited in its transaction. Pages, API and command line all come through here.
 */
export function selfReviewService(db: Database, deps: SelfReviewDeps) {
  const now = deps.now ?? (() => new Date());

  type ReviewAction = 'review.read' | 'review.edit' | 'review.sign' | 'review.submit' | 'review.reopen';
  const acting = (actor: Actor | null, action: ReviewAction, orgId?: string): Acting => {
    const a = authorize(actor, action, actor?.kind === 'user' ? (actor.orgId ?? undefined) : orgId);
    if (a.kind === 'user') {
      if (!a.orgId) throw forbidden('A self review belongs to an organisation: act for one first.');
      return { actor: a, orgId: a.orgId, userId: a.userId };
    }
    if (!orgId) throw forbidden('Name the organisation.');
    return { actor: a, orgId, userId: null };
  };
  const standardOf = (fw: Framework, number: string) => {
    const s = fw.standards.find((x) => x.number === number);
    if (!s) throw notFound('standard');
    return s;
  };
  const reviewAudit = (tx: Tx, a: Acting, action: string, id: string, detail: Record<string, unknown>) =>
    audit(tx, a.actor, { action, orgId: a.orgId, objectType: 'self_review', objectId: id, detail });

  async function frameworkOf(tx: Tx, versionId: string) {
    const row = await repo.framework(tx, versionId);
    if (!row) throw new AppError('not_found', 500, 'Framework missing', 'The framework this review was made against is missing.');
    return { row, framework: frameworkSchema.parse(row.content) };
  }

  async function reviewRow(tx: Tx, a: Acting, id: string, lock = false) {
    const review = await repo.review(tx, a.orgId, id, lock);
    if (!review) throw notFound('self review');
    return review;
  }

  /** Writes are for drafts only: a signed or submitted review is locked until reopened (002 §3.10). */
  function assertDraft(review: { status: Status; version: number }) {
    if (review.status !== 'draft')
      throw conflict(
        'form',
        `This self review is ${review.status === 'signed' ? 'signed off' : 'submitted'} (version ${review.version}) and locked. The Security Management Director can reopen it, with a reason, as a new version.`,
      );
  }

  /** The review as it stands: every standard with its rating, comments and evidence; roll-up; flags; progress. */
  async function loadReview(tx: Tx, a: Acting, id: string, lock = false) {
    const review = await reviewRow(tx, a, id, lock);
    const { row: fwRow, framework } = await frameworkOf(tx, review.framework_version_id);
    const [ratings, evidence] = await Promise.all([repo.ratings(tx, id), repo.evidence(tx, id)]);
    const { standards, rollUp, flags, progress } = reviewState(id, framework, ratings, evidence);
    return {
      review,
      fwRow,
      framework,
      view: {
        id: review.id,
        year: review.year,
        yearLabel: financialYearLabel(review.year),
        status: review.status as Status,
        statusText: STATUS_TEXT[review.status as Status],
        version: review.version,
        updatedAt: review.updated_at,
        framework: {
          versionId: fwRow.id,
          id: framework.id,
          name: framework.name,
          version: framework.version,
          notes: framework.notes ?? [],
          source: framework.source,
          ratingDefinitions: framework.ratingDefinitions,
          keyAreas: framework.keyAreas,
        },
        standards,
        rollUp,
        flags,
        progress,
      },
    };
  }

  /** Every suggestion Warden's data makes for the review's standards. */
  async function suggestionsFor(tx: Tx, orgId: string, framework: Framework, year: number, ratings: { number: string; suggestion: unknown }[]) {
    const out: {
      standard: string;
      suggester: string;
      label: string;
      rating: StandardRating | null;
      reason: string;
      accepted: boolean;
      suggestion: Suggestion;
    }[] = [];
    for (const [number, suggesters] of deps.suggesters.forFramework(framework.id)) {
      if (!framework.standards.some((s) => s.number === number)) continue;
      for (const s of suggesters) {
        const suggestion = await s.suggest(tx, { orgId, year, now: now() });
        if (!suggestion) continue;
        const accepted = ratings.find((r) => r.number === number)?.suggestion as { suggester?: string; reason?: string } | null | undefined;
        out.push({
          standard: number,
          suggester: s.id,
          label: s.label,
          rating: suggestion.rating,
          reason: suggestion.reason,
          accepted: accepted?.suggester === s.id && accepted.reason === suggestion.reason,
          suggestion,
        });
      }
    }
    return out;
  }

  /** Resolves the evidence's target (a case by reference, an annual report) to a record of the organisation. */
  async function evidenceTarget(tx: Tx, a: Acting, input: { url?: string; caseReference?: string; annualReportId?: string }) {
    if (input.caseReference) {
      const c = await repo.incidentByReference(tx, a.orgId, input.caseReference);
      if (!c) throw invalid([{ field: 'caseReference', message: `There is no case ${input.caseReference} in your organisation` }]);
      return { record_type: 'incident' as const, record_id: c.id, defaultLabel: `Case ${c.reference}` };
    }
    if (input.annualReportId) {
      const r = await repo.annualReport(tx, a.orgId, input.annualReportId);
      if (!r) throw invalid([{ field: 'annualReportId', message: 'Choose one of your organisation’s annual reports' }]);
      return { record_type: 'annual_report' as const, record_id: r.id, defaultLabel: `Annual report ${financialYearLabel(r.year)}` };
    }
    return { url: input.url ?? null, defaultLabel: input.url ?? '' };
  }

  /** The current sheet rows of a review (for export and the PDF). */
  function sheetRows(view: { framework: { keyAreas: { id: string; name: string }[] }; standards: ReviewedStandardView[] }): SheetRow[] {
    const area = (id: string) => view.framework.keyAreas.find((k) => k.id === id)?.name ?? id;
    return view.standards.map((s) => ({
      number: s.number,
      keyArea: area(s.keyArea),
      headline: s.headline,
      rating: s.rating,
      comments: s.comments,
      evidence: s.evidence.map(
        (e): EvidenceLine => ({
          kind: e.kind,
          label: e.label,
          target: e.url ?? (e.record ? e.href : e.document ? `document: ${e.document.fileName}` : null),
        }),
      ),
    }));
  }

  return {
    // ---- frameworks (the standards library) ----

    /** Loads a framework file's text as a new framework version (administrators). Versions are never replaced. */
    async loadFramework(actor: Actor | null, source: string) {
      const a = authorize(actor, 'standards.load');
      const result = checkFramework(source);
      if (!result.ok)
        throw invalid(
          result.problems.map((p) => ({ field: 'file', message: `line ${p.line}, column ${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}` })),
          'The framework file is not valid',
        );
      const fw = result.framework;
      return inScope(db, { all: true }, async (tx) => {
        if (await repo.frameworkByVersion(tx, fw.id, fw.version)) throw conflict('file', `Version ${fw.version} of ${fw.name} is already loaded.`);
        const { id } = await repo.insertFramework(tx, {
          framework_id: fw.id,
          version: fw.version,
          name: fw.name,
          content: fw,
          loaded_by: a.kind === 'user' ? a.userId : null,
        });
        await audit(tx, a, { action: 'standards.load', objectType: 'standards_framework', objectId: id, detail: { framework: fw.id, version: fw.version } });
        return { id, frameworkId: fw.id, version: fw.version, name: fw.name, standards: fw.standards.length };
      });
    },

    /** The loaded framework versions, with how many standards each has and how many reviews use it. */
    async frameworks(actor: Actor | null) {
      authorize(actor, 'standards.read');
      return inScope(db, { all: true }, async (tx) => {
        const [rows, counts] = await Promise.all([repo.frameworks(tx), repo.reviewCounts(tx)]);
        const full = await Promise.all(rows.map((r) => repo.framework(tx, r.id)));
        return rows.map((r, i) => ({
          id: r.id,
          frameworkId: r.framework_id,
          version: r.version,
          name: r.name,
          standards: frameworkSchema.parse(full[i]?.content).standards.length,
          reviews: Number(counts.find((c) => c.framework_version_id === r.id)?.n ?? 0),
          loadedAt: r.loaded_at.toISOString(),
        }));
      });
    },

    /** One framework version in full: key areas, standards, criteria and evidence lists. */
    async framework(actor: Actor | null, id: string) {
      authorize(actor, 'standards.read');
      return inScope(db, { all: true }, async (tx) => {
        const row = await repo.framework(tx, id);
        if (!row) throw notFound('framework');
        return { id: row.id, loadedAt: row.loaded_at.toISOString(), framework: frameworkSchema.parse(row.content) };
      });
    },

    // ---- reviews ----

    /** The organisation's reviews, newest year first, with their status and how many checks flag each. */
    async list(actor: Actor | null, orgId?: string) {
      const a = acting(actor, 'review.read', orgId);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const rows = await repo.reviews(tx, a.orgId);
        const out = [];
        for (const r of rows) {
          const { view } = await loadReview(tx, a, r.id);
          out.push({
            id: r.id,
            year: r.year,
            status: r.status as Status,
            version: r.version,
            framework: r.framework,
            frameworkVersion: r.framework_version,
            flags: view.flags.length,
          });
        }
        return out;
      });
    },

    /**
     * 002 §3.10–3.13: drafts ready for the SMD's sign-off (every standard rated), for their home page. Only for
     * someone who may sign off for the organisation they act for; nobody else is asked. Reads the drafts only.
     */
    async readyToSign(actor: Actor | null) {
      if (actor?.kind !== 'user' || !actor.orgId || !can(actor, 'review.sign', actor.orgId)) return [];
      const a = acting(actor, 'review.sign');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const ready = [];
        for (const r of (await repo.reviews(tx, a.orgId)).filter((x) => x.status === 'draft'))
          if ((await loadReview(tx, a, r.id)).view.progress.toRate === 0) ready.push({ id: r.id, year: r.year });
        return ready;
      });
    },

    /** Starts the organisation's self review for a year against a framework version. One per year. */
    async start(actor: Actor | null, raw: unknown) {
      const a = acting(actor, 'review.edit');
      const input = parse(startInput, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const fw = await repo.framework(tx, input.frameworkVersionId);
        if (!fw) throw invalid([{ field: 'frameworkVersionId', message: 'Choose a framework' }]);
        if (await repo.reviewForYear(tx, a.orgId, input.year)) throw conflict('year', `There is already a self review for ${financialYearLabel(input.year)}.`);
        const { id } = await repo.insertReview(tx, { org_id: a.orgId, framework_version_id: fw.id, year: input.year, created_by: a.userId });
        await repo.insertEvent(tx, { org_id: a.orgId, review_id: id, version: 1, kind: 'started', actor_id: a.userId });
        await reviewAudit(tx, a, 'review.start', id, { year: input.year, framework: fw.framework_id, version: fw.version });
        return { id };
      });
    },

    /**
     * A review with its framework, each standard's rating, comments and evidence, the roll-up, progress, flags,
     * Warden's suggestions, the status history and the signed versions.
     */
    async get(actor: Actor | null, id: string, orgId?: string) {
      const a = acting(actor, 'review.read', orgId);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const { view, framework } = await loadReview(tx, a, id);
        const [suggestions, events, versions, annualReports] = await Promise.all([
          suggestionsFor(
            tx,
            a.orgId,
            framework,
            view.year,
            view.standards.map((s) => ({ number: s.number, suggestion: s.suggestion })),
          ),
          repo.events(tx, id),
          repo.versions(tx, id),
          repo.annualReports(tx, a.orgId),
        ]);
        return {
          ...view,
          suggestions: suggestions.map(({ suggestion: _s, ...rest }) => rest),
          history: events.map((e) => ({ version: e.version, kind: e.kind, reason: e.reason, at: e.at.toISOString(), by: e.actor })),
          versions: versions.map((v) => ({
            version: v.version,
            signedAt: v.signed_at.toISOString(),
            signedBy: v.signed_by_name,
            submittedAt: v.submitted_at?.toISOString() ?? null,
            reopenedAt: v.reopened_at?.toISOString() ?? null,
            reopenReason: v.reopen_reason,
          })),
          annualReports: annualReports.map((r) => ({
            id: r.id,
            year: r.year,
            label: `Annual report ${financialYearLabel(r.year)}${r.status === 'signed' ? ' (signed off)' : ''}`,
          })),
        };
      });
    },

    /**
     * Rates one standard (or clears its rating) with comments. Amber is refused where the standard says it does
     * not apply. A rating that differs from Warden's suggestion is an override, recorded as such in the audit.
     */
    async rate(actor: Actor | null, id: string, number: string, raw: unknown) {
      const a = acting(actor, 'review.edit');
      const input = parse(rateInput, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const review = await reviewRow(tx, a, id, true);
        assertDraft(review);
        const { framework } = await frameworkOf(tx, review.framework_version_id);
        const s = standardOf(framework, number);
        if (input.rating === 'amber' && !amberApplies(s))
          throw invalid([{ field: 'rating', message: `Amber does not apply to standard ${s.number}: it is either met (green) or not (red).` }]);
        // Editing the comments of an accepted suggestion keeps it accepted; a different rating is the reviewer's own.
        const accepted = (await repo.ratings(tx, id)).find((r) => r.standard_number === s.number)?.suggestion as { rating?: string } | null | undefined;
        await repo.upsertRating(tx, {
          org_id: a.orgId,
          review_id: id,
          standard_number: s.number,
          rating: input.rating ?? null,
          comments: input.comments,
          suggestion: accepted && accepted.rating === input.rating ? JSON.stringify(accepted) : null,
          updated_by: a.userId,
        });
        const suggested = (await suggestionsFor(tx, a.orgId, framework, review.year, [])).filter((x) => x.standard === s.number && x.rating);
        const overrides = suggested.filter((x) => x.rating !== (input.rating ?? null)).map((x) => ({ suggester: x.suggester, suggested: x.rating }));
        await repo.touchReview(tx, a.orgId, id);
        await reviewAudit(tx, a, 'review.rate', id, { standard: s.number, rating: input.rating ?? null, ...(overrides.length ? { overrides } : {}) });
      });
    },

    /** Accepts Warden's suggestion for a standard in one step: its rating, its reason in the comments, its evidence. */
    async acceptSuggestion(actor: Actor | null, id: string, number: string, raw: unknown) {
      const a = acting(actor, 'review.edit');
      const input = parse(acceptSuggestionInput, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const review = await reviewRow(tx, a, id, true);
        assertDraft(review);
        const { framework } = await frameworkOf(tx, review.framework_version_id);
        const s = standardOf(framework, number);
        const suggester = deps.suggesters.for(framework.id, s.number).find((x) => x.id === input.suggester);
        if (!suggester) throw invalid([{ field: 'suggester', message: `Warden has no such suggestion for standard ${s.number}` }]);
        const suggestion = await suggester.suggest(tx, { orgId: a.orgId, year: review.year, now: now() });
        if (!suggestion?.rating) throw invalid([{ field: 'suggester', message: `Warden has no rating to suggest for standard ${s.number} now` }]);
        if (suggestion.rating === 'amber' && !amberApplies(s)) throw invalid([{ field: 'suggester', message: `Amber does not apply to standard ${s.number}` }]);
        const current = (await repo.ratings(tx, id)).find((r) => r.standard_number === s.number);
        const comments = current?.comments?.includes(suggestion.reason)
          ? current.comments
          : [current?.comments?.trim(), suggestion.reason].filter(Boolean).join('\n\n');
        await repo.upsertRating(tx, {
          org_id: a.orgId,
          review_id: id,
          standard_number: s.number,
          rating: suggestion.rating,
          comments: comments.slice(0, 10_000),
          suggestion: JSON.stringify({ suggester: suggester.id, rating: suggestion.rating, reason: suggestion.reason }),
          updated_by: a.userId,
        });
        let evidenceId: string | null = null;
        const e = suggestion.evidence;
        if (e) {
          const existing = (await repo.evidence(tx, id)).filter((x) => x.standard_number === s.number);
          const same = existing.some((x) => (e.record ? x.record_id === e.record.id : x.label === e.label));
          if (!same)
            evidenceId = (
              await repo.insertEvidence(tx, {
                org_id: a.orgId,
                review_id: id,
                standard_number: s.number,
                kind: e.kind,
                label: e.label.slice(0, 500),
                url: e.record ? null : (e.url ?? null),
                record_type: e.record?.type ?? null,
                record_id: e.record?.id ?? null,
                added_by: a.userId,
              })
            ).id;
        }
        await repo.touchReview(tx, a.orgId, id);
        await reviewAudit(tx, a, 'review.suggestion_accept', id, {
          standard: s.number,
          suggester: suggester.id,
          rating: suggestion.rating,
          reason: suggestion.reason,
          evidence: evidenceId,
        });
        return { rating: suggestion.rating, reason: suggestion.reason };
      });
    },

    /** Warden's suggestions for the review's standards, with whether each was accepted as it stands. */
    async suggestions(actor: Actor | null, id: string) {
      const a = acting(actor, 'review.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const { view, framework } = await loadReview(tx, a, id);
        const list = await suggestionsFor(
          tx,
          a.orgId,
          framework,
          view.year,
          view.standards.map((s) => ({ number: s.number, suggestion: s.suggestion })),
        );
        return list.map(({ suggestion: _s, ...rest }) => rest);
      });
    },

    /**
     * Adds a piece of evidence (an output or an outcome) to a standard: a description, optionally with a link, a
     * case of the organisation (by reference) or one of its annual reports.
     */
    async addEvidence(actor: Actor | null, id: string, number: string, raw: unknown) {
      const a = acting(actor, 'review.edit');
      const input = parse(evidenceInput, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const review = await reviewRow(tx, a, id, true);
        assertDraft(review);
        const { framework } = await frameworkOf(tx, review.framework_version_id);
        const s = standardOf(framework, number);
        const target = await evidenceTarget(tx, a, input);
        const row = await repo.insertEvidence(tx, {
          org_id: a.orgId,
          review_id: id,
          standard_number: s.number,
          kind: input.kind,
          label: input.label ?? target.defaultLabel,
          url: 'url' in target ? target.url : null,
          record_type: 'record_type' in target ? target.record_type : null,
          record_id: 'record_id' in target ? target.record_id : null,
          added_by: a.userId,
        });
        await repo.touchReview(tx, a.orgId, id);
        await reviewAudit(tx, a, 'review.evidence_add', id, {
          standard: s.number,
          kind: input.kind,
          evidence: row.id,
          ...('record_type' in target ? { record: { type: target.record_type, id: target.record_id } } : {}),
        });
        return { id: row.id };
      });
    },

    /**
     * Uploads a document as evidence (PDF, Word, Excel, PNG or JPEG, under 10 MB, recognised by its content as
     * well as its name), stored outside the web root under the evidence's id.
     */
    async uploadEvidence(actor: Actor | null, id: string, number: string, file: Upload | null, raw: unknown) {
      const a = acting(actor, 'review.edit');
      const checked = checkUpload(file, EVIDENCE_KINDS, MAX_EVIDENCE_BYTES);
      const problems: FieldError[] = [];
      let input: { kind: 'output' | 'outcome'; label?: string } | null = null;
      try {
        input = parse(documentInput, raw);
      } catch (err) {
        if (err instanceof AppError) problems.push(...err.fields);
        else throw err;
      }
      if ('error' in checked) problems.push({ field: 'file', message: checked.error });
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const review = await reviewRow(tx, a, id, true);
        assertDraft(review);
        const { framework } = await frameworkOf(tx, review.framework_version_id);
        const s = standardOf(framework, number);
        if (problems.length || !input || 'error' in checked) throw invalid(problems);
        const evidenceId = randomUUID();
        await deps.files.save(a.orgId, evidenceId, checked.data);
        try {
          const hash = sha256(checked.data);
          await repo.insertEvidence(tx, {
            id: evidenceId,
            org_id: a.orgId,
            review_id: id,
            standard_number: s.number,
            kind: input.kind,
            label: input.label ?? checked.fileName,
            file_name: checked.fileName,
            content_type: checked.contentType,
            size_bytes: checked.data.length,
            sha256: hash,
            added_by: a.userId,
          });
          await repo.touchReview(tx, a.orgId, id);
          await reviewAudit(tx, a, 'review.evidence_upload', id, {
            standard: s.number,
            kind: input.kind,
            evidence: evidenceId,
            contentType: checked.contentType,
            size: checked.data.length,
            sha256: hash,
          });
        } catch (err) {
          await deps.files.discard(a.orgId, evidenceId);
          throw err;
        }
        return { id: evidenceId };
      });
    },

    /** Takes a piece of evidence out of a draft. It is marked, not deleted: a signed version may list it. */
    async removeEvidence(actor: Actor | null, id: string, evidenceId: string) {
      const a = acting(actor, 'review.edit');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const review = await reviewRow(tx, a, id, true);
        assertDraft(review);
        const e = await repo.evidenceItem(tx, a.orgId, id, evidenceId);
        if (!e || e.removed_at) throw notFound('evidence');
        await repo.removeEvidence(tx, a.orgId, evidenceId, a.userId);
        await repo.touchReview(tx, a.orgId, id);
        await reviewAudit(tx, a, 'review.evidence_remove', id, { standard: e.standard_number, evidence: evidenceId });
        return { standard: e.standard_number };
      });
    },

    /** An evidence document, to those who may read the organisation's review; the download is audited. */
    async downloadEvidence(actor: Actor | null, id: string, evidenceId: string) {
      const a = acting(actor, 'review.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        await reviewRow(tx, a, id);
        const e = await repo.evidenceItem(tx, a.orgId, id, evidenceId);
        if (!e?.file_name || !e.content_type) throw notFound('document');
        const data = await deps.files.read(a.orgId, e.id);
        await reviewAudit(tx, a, 'review.evidence_download', id, { standard: e.standard_number, evidence: e.id });
        return { fileName: e.file_name, contentType: e.content_type, data };
      });
    },

    // ---- sign-off, submission, reopening (issue 5 item 5) ----

    /**
     * The Security Management Director signs the review off by entering a current code from their authenticator
     * app (features/identity: no replay). Every standard must be rated (or marked not applicable). The review as
     * it stands is frozen as a version with its hash, and the review is locked.
     */
    async signOff(actor: Actor | null, id: string, raw: unknown, meta: { ip?: string; requestId?: string } = {}) {
      const a = acting(actor, 'review.sign');
      const before = await inScope(db, { orgId: a.orgId }, (tx) => loadReview(tx, a, id));
      assertDraft(before.review);
      if (before.view.progress.toRate > 0)
        throw invalid([
          {
            field: 'code',
            message: `Rate every standard before signing off: ${before.view.progress.toRate} still to rate (${before.view.standards
              .filter((s) => s.rating === null)
              .map((s) => s.number)
              .join(', ')})`,
          },
        ]);
      await deps.identity.confirmSecondFactor(a.actor, raw, { ...meta, purpose: `self review ${id} sign-off` });
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const { review, view, fwRow } = await loadReview(tx, a, id, true);
        assertDraft(review);
        if (view.progress.toRate > 0) throw invalid([{ field: 'code', message: 'Rate every standard before signing off' }]);
        const org = await repo.organisation(tx, a.orgId);
        const signer = { id: a.userId ?? '', name: (await repo.userName(tx, a.userId)) ?? '' };
        const { text, sha256: hash } = reviewSnapshot({
          organisation: { id: a.orgId, code: org?.code ?? '', name: org?.name ?? '' },
          reviewId: id,
          year: review.year,
          version: review.version,
          frameworkVersionId: fwRow.id,
          framework: view.framework,
          state: view,
          signedBy: signer,
          signedAt: now(),
        });
        await repo.insertVersion(tx, {
          org_id: a.orgId,
          review_id: id,
          version: review.version,
          year: review.year,
          content: text,
          content_sha256: hash,
          signed_by: signer.id,
        });
        await repo.setStatus(tx, a.orgId, id, { status: 'signed' });
        await repo.insertEvent(tx, { org_id: a.orgId, review_id: id, version: review.version, kind: 'signed', actor_id: a.userId });
        await reviewAudit(tx, a, 'review.sign', id, { version: review.version, sha256: hash, overall: view.rollUp.overall.rating, secondFactor: 'totp' });
        return { version: review.version, sha256: hash };
      });
    },

    /**
     * Submits the signed version to the organisation's commissioner(s) and the national body (002 §3.9–3.10,
     * std 1.6–1.7). From then on they can read that version; they never see a draft.
     */
    async submit(actor: Actor | null, id: string) {
      const a = acting(actor, 'review.submit');
      const done = await inScope(db, { orgId: a.orgId }, async (tx) => {
        const review = await reviewRow(tx, a, id, true);
        if (review.status === 'draft')
          throw conflict('form', 'Only a signed-off self review can be submitted: the Security Management Director signs it off first.');
        if (review.status === 'submitted') throw conflict('form', `Version ${review.version} has already been submitted.`);
        const v = await repo.version(tx, a.orgId, id, review.version);
        if (!v) throw new AppError('not_found', 500, 'Signed version missing', 'The signed version of this review is missing.');
        // those whose commissioning covers the review's year: a link from a later year reads none of it (002 std 1.7)
        const commissioners = await commissioningRepository.commissionersOf(tx, a.orgId, review.year);
        const national = await repo.organisationsOfTypes(tx, ['national_body']);
        const recipients = [
          ...commissioners.map((c) => ({ kind: 'commissioner', orgId: c.id, code: c.code, name: c.name })),
          ...national.map((n) => ({ kind: 'national_body', orgId: n.id, code: n.code, name: n.name })),
          ...(national.length ? [] : [{ kind: 'national_body', orgId: null, code: null, name: 'National quality assessors' }]),
        ];
        await repo.markSubmitted(tx, a.orgId, v.id, a.userId, JSON.stringify(recipients));
        await repo.setStatus(tx, a.orgId, id, { status: 'submitted' });
        await repo.insertEvent(tx, { org_id: a.orgId, review_id: id, version: review.version, kind: 'submitted', actor_id: a.userId });
        await reviewAudit(tx, a, 'review.submit', id, { version: review.version, recipients: recipients.map((r) => r.orgId ?? r.name) });
        const provider = await repo.organisation(tx, a.orgId);
        return {
          result: { version: review.version, recipients: recipients.map((r) => r.name) },
          notice: {
            provider: provider?.name ?? 'A provider',
            year: review.year,
            version: review.version,
            versionId: v.id,
            commissionerIds: commissioners.map((c) => c.id),
          },
        };
      });
      // 002 std 1.6–1.7, §3.9: those it went to are told it is theirs to read (the provider and year only)
      const n = done.notice;
      const year = financialYearLabel(n.year);
      tellOverseers(db, deps, {
        commissionerIds: n.commissionerIds,
        assessors: true,
        subject: `Self review submitted: ${n.provider}, ${year}`,
        lines: [`${n.provider} has submitted version ${n.version} of its self review against the security management standards for ${year}.`],
        path: `/oversight/self-reviews/${n.versionId}`,
      });
      return done.result;
    },

    /**
     * Reopens a signed or submitted review, with a reason, as the next version (a draft). The signed version is
     * kept unchanged, and a submitted one stays visible to the commissioners until a newer one is submitted.
     */
    async reopen(actor: Actor | null, id: string, raw: unknown) {
      const a = acting(actor, 'review.reopen');
      const input = parse(reopenInput, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const review = await reviewRow(tx, a, id, true);
        if (review.status === 'draft') throw conflict('reason', 'This self review is a draft already: there is nothing to reopen.');
        const v = await repo.version(tx, a.orgId, id, review.version);
        if (!v) throw new AppError('not_found', 500, 'Signed version missing', 'The signed version of this review is missing.');
        await repo.markReopened(tx, a.orgId, v.id, a.userId, input.reason);
        const next = review.version + 1;
        await repo.setStatus(tx, a.orgId, id, { status: 'draft', version: next });
        await repo.insertEvent(tx, { org_id: a.orgId, review_id: id, version: next, kind: 'reopened', reason: input.reason, actor_id: a.userId });
        await reviewAudit(tx, a, 'review.reopen', id, { from: review.version, to: next, reason: input.reason });
        return { version: next };
      });
    },

    /** A signed version as it was signed, with a check that it still matches the hash taken then. */
    async version(actor: Actor | null, id: string, version: number) {
      const a = acting(actor, 'review.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        await reviewRow(tx, a, id);
        const v = Number.isInteger(version) ? await repo.version(tx, a.orgId, id, version) : undefined;
        if (!v) throw notFound('version');
        const content = v.content as ReviewSnapshot;
        return {
          ...content,
          signedAt: v.signed_at.toISOString(),
          submittedAt: v.submitted_at?.toISOString() ?? null,
          recipients: (v.recipients ?? []) as { kind: string; name: string }[],
          reopenedAt: v.reopened_at?.toISOString() ?? null,
          reopenReason: v.reopen_reason,
          sha256: v.content_sha256,
          integrity: sha256(canonicalJson(v.content)) === v.content_sha256,
        };
      });
    },

    // ---- comparison and export (issue 5 item 7) ----

    /** This year's ratings beside last year's, per standard, key area and overall. */
    async compare(actor: Actor | null, id: string) {
      const a = acting(actor, 'review.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const { view } = await loadReview(tx, a, id);
        const prevRow = await repo.reviewForYear(tx, a.orgId, view.year - 1);
        const prev = prevRow ? (await loadReview(tx, a, prevRow.id)).view : null;
        // Standards are matched by number within the same framework; another framework's numbers mean other things.
        const comparable = !!prev && prev.framework.id === view.framework.id;
        const before = (n: string) => (comparable ? (prev?.standards.find((s) => s.number === n)?.rating ?? null) : null);
        return {
          id: view.id,
          year: view.year,
          yearLabel: view.yearLabel,
          previousYear: view.year - 1,
          previousYearLabel: financialYearLabel(view.year - 1),
          previous: prev ? { id: prev.id, framework: `${prev.framework.name}, ${prev.framework.version}`, status: prev.status } : null,
          comparable,
          framework: view.framework,
          standards: view.standards.map((s) => ({
            number: s.number,
            keyArea: s.keyArea,
            headline: s.headline,
            rating: s.rating,
            previous: before(s.number),
            trend: trend(s.rating, before(s.number)),
          })),
          keyAreas: view.framework.keyAreas.map((k) => {
            const nowR = view.rollUp.keyAreas[k.id]?.rating ?? null;
            const prevR = comparable ? (prev?.rollUp.keyAreas[k.id]?.rating ?? null) : null;
            return { id: k.id, name: k.name, rating: nowR, previous: prevR, trend: trend(nowR, prevR) };
          }),
          overall: {
            rating: view.rollUp.overall.rating,
            previous: prev ? prev.rollUp.overall.rating : null,
            trend: trend(view.rollUp.overall.rating, prev?.rollUp.overall.rating),
          },
        };
      });
    },

    /** The review as an XLSX workbook (one row per standard) or a PDF document. */
    async exportReview(actor: Actor | null, id: string, rawQuery: unknown, orgId?: string) {
      const a = acting(actor, 'review.read', orgId);
      const { format } = parse(exportQuery, rawQuery ?? {});
      const data = await inScope(db, { orgId: a.orgId }, async (tx) => {
        const { view } = await loadReview(tx, a, id);
        const org = await repo.organisation(tx, a.orgId);
        const versions = await repo.versions(tx, id);
        const last = versions.at(-1);
        await reviewAudit(tx, a, 'review.export', id, { format });
        return { view, org, last };
      });
      const { view, org, last } = data;
      const about: [string, string][] = [
        ['Organisation', `${org?.name ?? ''} (${org?.code ?? ''})`],
        ['Financial year', view.yearLabel],
        ['Standards', `${view.framework.name}, version ${view.framework.version}`],
        ['Status', `${view.statusText}, version ${view.version}`],
        ...(last && view.status !== 'draft' ? ([['Signed off', `${last.signed_by_name}, ${longDate(last.signed_at)}`]] as [string, string][]) : []),
        ['Overall rating', view.rollUp.overall.rating ? RATING_TEXT[view.rollUp.overall.rating] : 'Not rated yet'],
        ['Exported', now().toISOString()],
      ];
      const rows = sheetRows(view);
      const base = `self-review-${org?.code ?? 'org'}-${view.year}-v${view.version}`;
      if (format === 'xlsx')
        return {
          fileName: `${base}.xlsx`,
          contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          body: await reviewWorkbook(about, rows),
        };
      const area = (kid: string) => view.framework.keyAreas.find((k) => k.id === kid)?.name ?? kid;
      const pdf = await renderPdf(
        reviewPdf({
          title: `Self review ${view.yearLabel}: ${org?.name ?? ''}`,
          about,
          rollUp: [
            ...view.framework.keyAreas.map((k) => {
              const r = view.rollUp.keyAreas[k.id];
              return {
                name: k.name,
                rating: r?.rating ?? null,
                note: r ? [`${r.rated} rated, ${r.toRate} to rate, ${r.notApplicable} not applicable`, ...r.reasons].join(' ') : '',
              };
            }),
            { name: 'Overall', rating: view.rollUp.overall.rating, note: view.rollUp.overall.reasons.join(' ') },
          ],
          flags: view.flags.map((f) => f.message),
          keyAreas: view.framework.keyAreas.map((k) => ({ id: k.id, name: area(k.id) })),
          rows,
        }),
      );
      return { fileName: `${base}.pdf`, contentType: 'application/pdf', body: pdf };
    },

    /**
     * Imports a previous year's review from a workbook in the export's layout, as a draft against the chosen
     * framework version. Every row is checked first; any problem is reported by row and column and nothing is
     * written.
     */
    async importReview(actor: Actor | null, file: Upload | null, raw: unknown, orgId?: string) {
      const a = acting(actor, 'review.edit', orgId);
      const problems: FieldError[] = [];
      let input: { year: number; frameworkVersionId: string } | null = null;
      try {
        input = parse(importInput, raw);
      } catch (err) {
        if (err instanceof AppError) problems.push(...err.fields);
        else throw err;
      }
      const checked = checkUpload(file, ['xlsx'], MAX_IMPORT_BYTES);
      if ('error' in checked) problems.push({ field: 'file', message: checked.error });
      if (problems.length || !input || 'error' in checked) throw invalid(problems);
      const sheet = await readReviewWorkbook(checked.data);
      if (!sheet.ok)
        throw invalid(
          sheet.problems.slice(0, 50).map((message) => ({ field: 'file', message })),
          'The workbook cannot be imported',
        );
      const { year, frameworkVersionId } = input;
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const fwRow = await repo.framework(tx, frameworkVersionId);
        if (!fwRow) throw invalid([{ field: 'frameworkVersionId', message: 'Choose the standards the review was made against' }]);
        const framework = frameworkSchema.parse(fwRow.content);
        if (await repo.reviewForYear(tx, a.orgId, year)) throw conflict('year', `There is already a self review for ${financialYearLabel(year)}.`);
        const rowProblems: string[] = [];
        const seen = new Map<string, number>();
        for (const r of sheet.rows) {
          const s = framework.standards.find((x) => x.number === r.number);
          if (!s) rowProblems.push(`Row ${r.line}, Standard: ${r.number} is not a standard of ${framework.name}, ${framework.version}`);
          else if (r.rating === 'amber' && !amberApplies(s)) rowProblems.push(`Row ${r.line}, Rating: amber does not apply to standard ${r.number}`);
          if (seen.has(r.number)) rowProblems.push(`Row ${r.line}, Standard: ${r.number} is already on row ${seen.get(r.number)}`);
          else seen.set(r.number, r.line);
        }
        if (rowProblems.length)
          throw invalid(
            rowProblems.slice(0, 50).map((message) => ({ field: 'file', message })),
            'The workbook cannot be imported',
          );
        const { id } = await repo.insertReview(tx, { org_id: a.orgId, framework_version_id: fwRow.id, year, created_by: a.userId });
        let evidence = 0;
        for (const r of sheet.rows) {
          await repo.upsertRating(tx, {
            org_id: a.orgId,
            review_id: id,
            standard_number: r.number,
            rating: r.rating,
            comments: r.comments,
            suggestion: null,
            updated_by: a.userId,
          });
          for (const e of r.evidence) {
            await repo.insertEvidence(tx, {
              org_id: a.orgId,
              review_id: id,
              standard_number: r.number,
              kind: e.kind,
              label: e.label,
              url: e.target ?? null,
              added_by: a.userId,
            });
            evidence++;
          }
        }
        await repo.insertEvent(tx, { org_id: a.orgId, review_id: id, version: 1, kind: 'imported', actor_id: a.userId });
        await reviewAudit(tx, a, 'review.import', id, {
          year,
          framework: framework.id,
          version: framework.version,
          file: checked.fileName,
          sha256: sha256(checked.data),
          standards: sheet.rows.length,
          evidence,
        });
        return { id, standards: sheet.rows.length, evidence };
      });
    },

    // ---- oversight (issue 5 item 6; 002 std 1.6, 1.7) ----

    /**
     * Submitted self reviews for oversight: a commissioner sees those of the providers it commissions (from the
     * year the arrangement began), the national assessor those of every organisation. One table per framework
     * version: providers × key areas with ratings, flags and the trend against the previous year's submitted
     * review. Drafts and signed but unsubmitted versions are never included (the database refuses them too).
     */
    async oversight(actor: Actor | null, rawQuery: unknown) {
      const a = authorize(actor, 'review.oversee');
      const q = parse(oversightQuery, rawQuery ?? {});
      const national = a.kind === 'system' || a.globalRoles.includes('national_assessor');
      const commissionerOrg = a.kind === 'user' ? a.orgId : null;
      if (!national && !commissionerOrg) throw forbidden('Act for your commissioning organisation first.');
      return inScope(db, national ? { all: true } : { orgId: commissionerOrg as string }, async (tx) => {
        const providers = national ? null : await commissioningRepository.providersOf(tx, commissionerOrg as string);
        const providerIds = providers?.map((p) => p.id) ?? null;
        const years = await repo.submittedYears(tx, providerIds);
        const year = q.year ?? years[0] ?? null;
        if (year === null)
          return { year, yearLabel: null, years, groups: [], notSubmitted: (providers ?? []).map((p) => ({ id: p.id, code: p.code, name: p.name })) };
        const links = new Map((providers ?? []).map((p) => [p.id, p]));
        const inArrangement = (orgId: string, y: number) => national || coversYear(links.get(orgId), y);
        const rows = (await repo.submitted(tx, providerIds, [year, year - 1])).filter((r) => inArrangement(r.org_id, r.year));
        const current = rows.filter((r) => r.year === year);
        const groups = new Map<string, { framework: ReviewSnapshot['framework']; rows: OversightRow[] }>();
        for (const r of current) {
          const c = r.content as ReviewSnapshot;
          const p = rows.find((x) => x.org_id === r.org_id && x.year === year - 1)?.content as ReviewSnapshot | undefined;
          const same = !!p && p.framework.id === c.framework.id;
          const cell = (rating: Rating | null, before: Rating | null | undefined) => ({
            rating,
            previous: same ? (before ?? null) : null,
            trend: same ? trend(rating, before) : null,
          });
          const key = c.framework.versionId;
          if (!groups.has(key)) groups.set(key, { framework: c.framework, rows: [] });
          groups.get(key)?.rows.push({
            versionId: r.id,
            organisation: { id: r.org_id, code: r.org_code, name: r.org_name },
            version: r.version,
            submittedAt: r.submitted_at?.toISOString() ?? null,
            keyAreas: Object.fromEntries(
              c.framework.keyAreas.map((k) => [k.id, cell(c.rollUp.keyAreas[k.id]?.rating ?? null, p?.rollUp.keyAreas[k.id]?.rating)]),
            ),
            overall: cell(c.rollUp.overall.rating, p?.rollUp.overall.rating),
            flags: c.flags.length,
            hasPrevious: !!p,
          });
        }
        const submittedOrgs = new Set(current.map((r) => r.org_id));
        const expected = providers
          ? providers.filter((p) => inArrangement(p.id, year)).map((p) => ({ id: p.id, code: p.code, name: p.name }))
          : (await repo.organisationsOfTypes(tx, [...PROVIDER_TYPES, 'commissioner'])).map((o) => ({ id: o.id, code: o.code, name: o.name }));
        return {
          year,
          yearLabel: financialYearLabel(year),
          years,
          groups: [...groups.values()],
          notSubmitted: expected.filter((o) => !submittedOrgs.has(o.id)),
        };
      });
    },

    /** One submitted version, for a commissioner of its organisation or the national assessor. */
    async oversightVersion(actor: Actor | null, versionId: string) {
      const a = authorize(actor, 'review.oversee');
      const national = a.kind === 'system' || a.globalRoles.includes('national_assessor');
      const commissionerOrg = a.kind === 'user' ? a.orgId : null;
      if (!national && !commissionerOrg) throw forbidden('Act for your commissioning organisation first.');
      return inScope(db, national ? { all: true } : { orgId: commissionerOrg as string }, async (tx) => {
        const v = await repo.submittedVersion(tx, versionId);
        if (!v) throw notFound('self review');
        if (!national) {
          const link = (await commissioningRepository.providersOf(tx, commissionerOrg as string)).find((p) => p.id === v.org_id);
          if (!coversYear(link, v.year)) throw notFound('self review');
        }
        const content = v.content as ReviewSnapshot;
        return {
          ...content,
          // Commissioners and assessors read evidence as listed; documents and Warden records stay with the organisation.
          standards: content.standards.map((s) => ({
            ...s,
            evidence: s.evidence.map((e) => ({ ...e, href: e.url && /^https?:/.test(e.url) ? e.url : null })),
          })),
          versionId: v.id,
          submittedAt: v.submitted_at?.toISOString() ?? null,
          sha256: v.content_sha256,
          integrity: sha256(canonicalJson(v.content)) === v.content_sha256,
        };
      });
    },
  };
}

export type SelfReviewService = ReturnType<typeof selfReviewService>;
