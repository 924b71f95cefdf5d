import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Rating } from '../../domain/rag.ts';
import { can } from '../../platform/access/policy.ts';
import { notFound, unauthenticated } from '../../platform/errors.ts';
import { idParam, submitForm } from '../../platform/forms.ts';
import type { selfReviewService } from './service.ts';

export type SelfReviewService = ReturnType<typeof selfReviewService>;
type Review = Awaited<ReturnType<SelfReviewService['get']>>;

const RATING_TEXT: Record<string, string> = { red: 'Red', amber: 'Amber', green: 'Green', not_applicable: 'Not applicable' };
const TAG_CLASS: Record<string, string> = { red: 'nhsuk-tag--red', amber: 'nhsuk-tag--orange', green: 'nhsuk-tag--green', not_applicable: 'nhsuk-tag--grey' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const tagHtml = (r: Rating | 'not_applicable' | null) =>
  r ? `<strong class="nhsuk-tag ${TAG_CLASS[r]}">${RATING_TEXT[r]}</strong>` : '<strong class="nhsuk-tag nhsuk-tag--white">Not rated</strong>';
const yearText = (y: number) => `${y}/${String((y + 1) % 100).padStart(2, '0')}`;
const list = (xs: string[]) => `<ul>${xs.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`;

function numberParam(req: FastifyRequest): string {
  const n = (req.params as Record<string, string>).number ?? '';
  if (!/^\d+(?:\.\d+)*$/.test(n)) throw notFound('standard');
  return n;
}

/** Self review pages (`/self-reviews…`): the list and start form, the review with its roll-up, and each standard. */
export async function selfReviewRoutes(app: FastifyInstance, service: SelfReviewService): Promise<void> {
  const actorOf = (req: FastifyRequest) => {
    if (!req.actor) throw unauthenticated();
    return req.actor;
  };
  const hide = { schema: { hide: true } };

  const listContext = async (req: FastifyRequest) => {
    const actor = actorOf(req);
    const [reviews, frameworks] = await Promise.all([service.list(actor), service.frameworks(actor)]);
    return {
      title: 'Self reviews',
      mayEdit: can(actor, 'review.edit'),
      frameworkItems: frameworks.map((f) => ({ value: f.id, text: `${f.name}, ${f.version}` })),
      rows: reviews.map((r) => [
        { html: `<a href="/self-reviews/${r.id}">${yearText(r.year)}</a>` },
        { text: `${r.framework}, ${r.version}` },
        { text: 'Draft' },
      ]),
    };
  };

  app.get('/self-reviews', hide, async (req, reply) => reply.page('self-review/views/list.njk', { ...(await listContext(req)), values: {} }));

  app.post('/self-reviews', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => `/self-reviews/${(await service.start(actorOf(req), body)).id}`,
      async () => ({ template: 'self-review/views/list.njk', context: await listContext(req) }),
    ),
  );

  app.get('/self-reviews/:id', hide, async (req, reply) => {
    const review = await service.get(actorOf(req), idParam(req));
    const area = (id: string) => review.framework.keyAreas.find((a) => a.id === id)?.name ?? id;
    return reply.page('self-review/views/show.njk', {
      title: `Self review ${yearText(review.year)}`,
      review,
      yearText: yearText(review.year),
      rollUpRows: [
        ...review.framework.keyAreas.map((a) => {
          const r = review.rollUp.keyAreas[a.id]!;
          return [{ text: a.name }, { html: tagHtml(r.rating) }, { text: `${r.rated} rated, ${r.toRate} to rate, ${r.notApplicable} not applicable` }];
        }),
        [{ html: '<strong>Overall</strong>' }, { html: tagHtml(review.rollUp.overall.rating) }, { text: review.rollUp.overall.reasons.join(' ') || '' }],
      ],
      areas: review.framework.keyAreas.map((a) => ({
        name: a.name,
        rows: review.standards
          .filter((s) => s.keyArea === a.id)
          .map((s) => [
            { html: `<a href="/self-reviews/${review.id}/standards/${s.number}">${esc(s.number)}</a>` },
            { text: s.headline },
            { html: tagHtml(s.rating) },
            { text: String(s.evidence.length) },
          ]),
      })),
      flags: review.flags.map((f) => ({ ...f, area: area(f.keyArea) })),
    });
  });

  const standardContext = async (req: FastifyRequest, values?: Record<string, unknown>) => {
    const actor = actorOf(req);
    const review: Review = await service.get(actor, idParam(req));
    const number = numberParam(req);
    const s = review.standards.find((x) => x.number === number);
    if (!s) throw notFound('standard');
    const v = values ?? { rating: s.rating ?? '', comments: s.comments };
    const amber = s.criteria.amber;
    // 002 ch. 4: the criteria for each rating are shown beside the choice.
    const ratingItems = [
      { value: 'green', text: 'Green: organisation meets the standard', hint: { html: list(s.criteria.green) }, checked: v.rating === 'green' },
      ...(Array.isArray(amber)
        ? [{ value: 'amber', text: 'Amber: organisation partially meets the standard', hint: { html: list(amber) }, checked: v.rating === 'amber' }]
        : []),
      { value: 'red', text: 'Red: organisation does not meet the standard', hint: { html: list(s.criteria.red) }, checked: v.rating === 'red' },
      { divider: 'or' },
      { value: 'not_applicable', text: 'Not applicable to this organisation', checked: v.rating === 'not_applicable' },
    ];
    return {
      title: `Standard ${s.number}`,
      review,
      yearText: yearText(review.year),
      standard: s,
      keyArea: review.framework.keyAreas.find((a) => a.id === s.keyArea)?.name ?? s.keyArea,
      amberNote: Array.isArray(amber) ? null : amber.text,
      ratingItems,
      values: v,
      mayEdit: can(actor, 'review.edit'),
      flags: review.flags.filter((f) => f.standard === s.number),
      evidenceItems: s.guidance.flatMap((e) => (typeof e === 'string' ? [e] : [`${e.text} ${e.items.join('; ')}`])),
      recorded: s.evidence.map((e) => [
        { text: e.kind === 'outcome' ? 'Outcome' : 'Output' },
        { html: e.url ? `<a href="${esc(e.url)}">${esc(e.label)}</a>` : esc(e.label) },
      ]),
    };
  };

  app.get('/self-reviews/:id/standards/:number', hide, async (req, reply) => reply.page('self-review/views/standard.njk', await standardContext(req)));

  app.post('/self-reviews/:id/standards/:number', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => {
        await service.rate(actorOf(req), idParam(req), numberParam(req), body);
        return `/self-reviews/${idParam(req)}`;
      },
      async (values) => ({ template: 'self-review/views/standard.njk', context: await standardContext(req, values) }),
    ),
  );

  app.post('/self-reviews/:id/standards/:number/evidence', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => {
        await service.addEvidence(actorOf(req), idParam(req), numberParam(req), body);
        return `/self-reviews/${idParam(req)}/standards/${numberParam(req)}`;
      },
      async () => ({ template: 'self-review/views/standard.njk', context: await standardContext(req) }),
    ),
  );
}
