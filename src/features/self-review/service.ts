import type { Database } from '../../db/database.ts';
import { type RatedStandard, rollUpReview } from '../../domain/rag.ts';
import { assessorChecks } from '../../domain/self-review-checks.ts';
import { authorize } from '../../platform/access/policy.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { AppError, conflict, forbidden, invalid, notFound } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { checkFramework } from '../../standards/load.ts';
import { amberApplies, type Framework, frameworkSchema } from '../../standards/schema.ts';
import { selfReviewRepository as repo } from './repository.ts';
import { evidenceInput, rateInput, startInput } from './schema.ts';

type Member = Extract<Actor, { kind: 'user' }> & { orgId: string };
const actorUserId = (a: Actor) => (a.kind === 'user' ? a.userId : null);

/**
 * Standards frameworks as data and the self review (SPEC C5; 002 §3.9–3.13, ch. 4). Administrators load framework
 * versions; the LSMS and SMD rate each standard of their organisation's review for a year, with comments and
 * evidence; the board reads it. The review shows the roll-up (src/domain/rag.ts) and the assessor's checks
 * (src/domain/self-review-checks.ts). Every change is audited.
 */
export function selfReviewService(db: Database) {
  const member = (actor: Actor | null, action: 'review.edit' | 'review.read'): Member => {
    const a = authorize(actor, action, actor?.kind === 'user' ? actor.orgId : undefined);
    if (a.kind !== 'user' || !a.orgId) throw forbidden('A self review belongs to an organisation: act for one first.');
    return a as Member;
  };
  const standardOf = (fw: Framework, number: string) => {
    const s = fw.standards.find((x) => x.number === number);
    if (!s) throw notFound('standard');
    return s;
  };

  return {
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
        const { id } = await repo.insertFramework(tx, { framework_id: fw.id, version: fw.version, name: fw.name, content: fw, loaded_by: actorUserId(a) });
        await audit(tx, a, { action: 'standards.load', objectType: 'standards_framework', objectId: id, detail: { framework: fw.id, version: fw.version } });
        return { id, frameworkId: fw.id, version: fw.version, name: fw.name, standards: fw.standards.length };
      });
    },

    /** The loaded framework versions, for choosing one when starting a review. */
    async frameworks(actor: Actor | null) {
      authorize(actor, 'review.read', actor?.kind === 'user' ? actor.orgId : undefined);
      return inScope(db, { all: true }, (tx) => repo.frameworks(tx));
    },

    /** The acting organisation's reviews, newest year first. */
    async list(actor: Actor | null) {
      const a = member(actor, 'review.read');
      return inScope(db, { orgId: a.orgId }, (tx) => repo.reviews(tx, a.orgId));
    },

    /** Starts the organisation's self review for a year against a framework version. One per year. */
    async start(actor: Actor | null, raw: unknown) {
      const a = member(actor, 'review.edit');
      const input = parse(startInput, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const fw = await repo.framework(tx, input.frameworkVersionId);
        if (!fw) throw invalid([{ field: 'frameworkVersionId', message: 'Choose a framework' }]);
        if (await repo.reviewForYear(tx, a.orgId, input.year))
          throw conflict('year', `There is already a self review for ${input.year}/${(input.year + 1) % 100}.`);
        const { id } = await repo.insertReview(tx, { org_id: a.orgId, framework_version_id: fw.id, year: input.year, created_by: a.userId });
        await audit(tx, a, {
          action: 'review.start',
          orgId: a.orgId,
          objectType: 'self_review',
          objectId: id,
          detail: { year: input.year, framework: fw.framework_id, version: fw.version },
        });
        return { id };
      });
    },

    /** A review with its framework, each standard's rating, comments and evidence, the roll-up, progress and flags. */
    async get(actor: Actor | null, id: string) {
      const a = member(actor, 'review.read');
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const review = await repo.review(tx, a.orgId, id);
        if (!review) throw notFound('self review');
        const fwRow = await repo.framework(tx, review.framework_version_id);
        if (!fwRow) throw new AppError('not_found', 500, 'Framework missing', 'The framework this review was made against is missing.');
        const framework = frameworkSchema.parse(fwRow.content);
        const [ratings, evidence] = await Promise.all([repo.ratings(tx, id), repo.evidence(tx, id)]);
        const standards = framework.standards.map((s) => {
          const r = ratings.find((x) => x.standard_number === s.number);
          return {
            ...s,
            amberApplies: amberApplies(s),
            /** The framework's guidance/evidence list; `evidence` below is what the organisation recorded. */
            guidance: s.evidence,
            rating: r?.rating ?? null,
            comments: r?.comments ?? '',
            evidence: evidence.filter((e) => e.standard_number === s.number).map((e) => ({ id: e.id, kind: e.kind, label: e.label, url: e.url })),
          };
        });
        const rated: RatedStandard[] = standards.map((s) => ({ number: s.number, keyArea: s.keyArea, weight: s.weight, rating: s.rating }));
        const rollUp = rollUpReview(framework.keyAreas, rated);
        const flags = assessorChecks(standards, framework.keyAreas, rollUp.keyAreas);
        const done = standards.filter((s) => s.rating !== null).length;
        return {
          id: review.id,
          year: review.year,
          status: review.status,
          updatedAt: review.updated_at,
          framework: {
            id: framework.id,
            name: framework.name,
            version: framework.version,
            ratingDefinitions: framework.ratingDefinitions,
            keyAreas: framework.keyAreas,
          },
          standards,
          rollUp,
          flags,
          progress: { rated: done, toRate: standards.length - done, total: standards.length },
        };
      });
    },

    /** Rates one standard (or clears its rating) with comments. Amber is refused where the standard says it does not apply. */
    async rate(actor: Actor | null, id: string, number: string, raw: unknown) {
      const a = member(actor, 'review.edit');
      const input = parse(rateInput, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const review = await repo.review(tx, a.orgId, id);
        if (!review) throw notFound('self review');
        const fwRow = await repo.framework(tx, review.framework_version_id);
        const s = standardOf(frameworkSchema.parse(fwRow?.content), number);
        if (input.rating === 'amber' && !amberApplies(s))
          throw invalid([{ field: 'rating', message: `Amber does not apply to standard ${s.number}: it is either met (green) or not (red).` }]);
        await repo.upsertRating(tx, {
          org_id: a.orgId,
          review_id: id,
          standard_number: s.number,
          rating: input.rating ?? null,
          comments: input.comments,
          updated_by: a.userId,
        });
        await repo.touchReview(tx, a.orgId, id);
        await audit(tx, a, {
          action: 'review.rate',
          orgId: a.orgId,
          objectType: 'self_review',
          objectId: id,
          detail: { standard: s.number, rating: input.rating ?? null },
        });
      });
    },

    /** Adds a piece of evidence (an output or an outcome) to a standard in a review. */
    async addEvidence(actor: Actor | null, id: string, number: string, raw: unknown) {
      const a = member(actor, 'review.edit');
      const input = parse(evidenceInput, raw);
      return inScope(db, { orgId: a.orgId }, async (tx) => {
        const review = await repo.review(tx, a.orgId, id);
        if (!review) throw notFound('self review');
        const fwRow = await repo.framework(tx, review.framework_version_id);
        const s = standardOf(frameworkSchema.parse(fwRow?.content), number);
        const row = await repo.insertEvidence(tx, {
          org_id: a.orgId,
          review_id: id,
          standard_number: s.number,
          kind: input.kind,
          label: input.label,
          url: input.url ?? null,
          added_by: a.userId,
        });
        await repo.touchReview(tx, a.orgId, id);
        await audit(tx, a, {
          action: 'review.evidence_add',
          orgId: a.orgId,
          objectType: 'self_review',
          objectId: id,
          detail: { standard: s.number, kind: input.kind, evidence: row.id },
        });
        return { id: row.id };
      });
    },
  };
}
