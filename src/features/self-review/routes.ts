import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { longDate } from '../../domain/dates.ts';
import { can } from '../../platform/access/policy.ts';
import { AppError, type FieldError, notFound } from '../../platform/errors.ts';
import { actorOf, formBody, idParam, submitForm, validatedByService } from '../../platform/forms.ts';
import { acceptUploads, formValues, sendDownload, uploadOf } from '../../platform/uploads.ts';
import { financialYearLabel } from '../organisations/schema.ts';
import { esc, evidenceHtml, list, RATING_TEXT, STATUS_TAG, tagHtml, trendText } from './present.ts';
import {
  acceptSuggestionInput,
  compareOut,
  evidenceInput,
  exportQuery,
  rateInput,
  reopenInput,
  reviewListOut,
  reviewOut,
  startInput,
  suggestionsOut,
  versionOut,
} from './schema.ts';
import { MAX_EVIDENCE_BYTES, type SelfReviewService } from './service.ts';

type Review = Awaited<ReturnType<SelfReviewService['get']>>;

const HISTORY_TEXT: Record<string, string> = {
  started: 'Started',
  imported: 'Imported from a workbook',
  signed: 'Signed off',
  submitted: 'Submitted',
  reopened: 'Reopened',
};

function numberParam(req: FastifyRequest): string {
  const n = (req.params as Record<string, string>).number ?? '';
  if (!/^\d+(?:\.\d+)*$/.test(n)) throw notFound('standard');
  return n;
}
function versionParam(req: FastifyRequest): number {
  const v = (req.params as Record<string, string>).version ?? '';
  if (!/^\d{1,6}$/.test(v)) throw notFound('version');
  return Number(v);
}

/**
 * Self review pages (`/self-reviews…`) and `/api/v1/self-reviews…`: the list with the start and import forms; the
 * review with its roll-up, flags, status history and signed versions; each standard with its criteria, rating,
 * Warden's suggestion and evidence; sign-off, submission and reopening; the year-on-year comparison; exports.
 */
export async function selfReviewRoutes(app: FastifyInstance, service: SelfReviewService): Promise<void> {
  await acceptUploads(app, MAX_EVIDENCE_BYTES);
  const hide = { schema: { hide: true } };
  const meta = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id });

  // ---- list, start, import ----
  const listContext = async (req: FastifyRequest) => {
    const actor = actorOf(req);
    const [reviews, frameworks] = await Promise.all([service.list(actor), service.frameworks(actor)]);
    return {
      title: 'Self reviews',
      mayEdit: can(actor, 'review.edit'),
      frameworkItems: frameworks.map((f) => ({ value: f.id, text: `${f.name}, ${f.version}` })),
      rows: reviews.map((r) => [
        { html: `<a href="/self-reviews/${r.id}">${financialYearLabel(r.year)}</a>` },
        { text: `${r.framework}, ${r.frameworkVersion}` },
        {
          html: `<strong class="nhsuk-tag ${STATUS_TAG[r.status]}">${r.status === 'draft' ? 'Draft' : r.status === 'signed' ? 'Signed off' : 'Submitted'}</strong> version ${r.version}`,
        },
        { text: r.flags ? `${r.flags} flagged` : 'None' },
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

  app.post('/self-reviews/import', hide, async (req, reply) => {
    const body = formBody(req);
    try {
      const r = await service.importReview(actorOf(req), uploadOf(body), body);
      return reply.redirect(`/self-reviews/${r.id}`, 303);
    } catch (err) {
      if (!(err instanceof AppError && (err.id === 'validation' || err.id === 'conflict'))) throw err;
      // The import form's fields are named apart from the start form's, because both share the page.
      const fields = err.fields.map((f) => ({ ...f, field: f.field === 'file' ? 'file' : `import-${f.field}` }));
      const values = formValues(body);
      return reply.page(
        'self-review/views/list.njk',
        { ...(await listContext(req)), values: {}, importValues: values, errors: fields, importProblems: err.fields.filter((f) => f.field === 'file') },
        400,
      );
    }
  });

  // ---- the review ----
  app.get('/self-reviews/:id', hide, async (req, reply) => {
    const actor = actorOf(req);
    const review = await service.get(actor, idParam(req));
    return reply.page('self-review/views/show.njk', { ...reviewContext(review), ...mayDo(actor, review) });
  });

  const mayDo = (actor: NonNullable<FastifyRequest['actor']>, review: Review) => ({
    mayEdit: can(actor, 'review.edit') && review.status === 'draft',
    maySign: can(actor, 'review.sign') && review.status === 'draft',
    maySubmit: can(actor, 'review.submit') && review.status === 'signed',
    mayReopen: can(actor, 'review.reopen') && review.status !== 'draft',
  });

  function reviewContext(review: Review) {
    const area = (id: string) => review.framework.keyAreas.find((a) => a.id === id)?.name ?? id;
    return {
      title: `Self review ${review.yearLabel}`,
      review,
      previousYearLabel: financialYearLabel(review.year - 1),
      statusTag: STATUS_TAG[review.status],
      rollUpRows: [
        ...review.framework.keyAreas.map((a) => {
          const r = review.rollUp.keyAreas[a.id];
          return [
            { text: a.name },
            { html: tagHtml(r?.rating) },
            { text: r ? [`${r.rated} rated, ${r.toRate} to rate, ${r.notApplicable} not applicable.`, ...r.reasons].join(' ') : '' },
          ];
        }),
        [{ html: '<strong>Overall</strong>' }, { html: tagHtml(review.rollUp.overall.rating) }, { text: review.rollUp.overall.reasons.join(' ') || '' }],
      ],
      areas: review.framework.keyAreas.map((a) => ({
        name: a.name,
        rows: review.standards
          .filter((s) => s.keyArea === a.id)
          .map((s) => [
            { html: `<a href="/self-reviews/${review.id}/standards/${esc(s.number)}">${esc(s.number)}</a>` },
            { text: s.headline },
            { html: tagHtml(s.rating) },
            { text: String(s.evidence.length) },
          ]),
      })),
      flags: review.flags.map((f) => ({ ...f, area: area(f.keyArea) })),
      historyRows: review.history.map((h) => [
        { text: String(h.version) },
        { text: HISTORY_TEXT[h.kind] ?? h.kind },
        { text: h.by ?? 'Warden' },
        { text: new Date(h.at).toLocaleString('en-GB', { timeZone: 'Europe/London', dateStyle: 'medium', timeStyle: 'short' }) },
        { text: h.reason ?? '' },
      ]),
      versionRows: review.versions.map((v) => [
        { html: `<a href="/self-reviews/${review.id}/versions/${v.version}">Version ${v.version}</a>` },
        { text: `${v.signedBy}, ${longDate(v.signedAt)}` },
        { text: v.submittedAt ? `Submitted ${longDate(v.submittedAt)}` : 'Not submitted' },
        { text: v.reopenedAt ? `Reopened ${longDate(v.reopenedAt)}: ${v.reopenReason}` : '' },
      ]),
    };
  }

  // ---- one standard ----
  const standardContext = async (req: FastifyRequest, values?: Record<string, unknown>) => {
    const actor = actorOf(req);
    const review: Review = await service.get(actor, idParam(req));
    const number = numberParam(req);
    const s = review.standards.find((x) => x.number === number);
    if (!s) throw notFound('standard');
    // The rating form shows what is stored unless it was the form sent back with errors.
    const v: Record<string, unknown> = { rating: s.rating ?? '', comments: s.comments, ...(values ?? {}) };
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
    const { mayEdit } = mayDo(actor, review);
    return {
      title: `Standard ${s.number}`,
      review,
      standard: s,
      keyArea: review.framework.keyAreas.find((a) => a.id === s.keyArea)?.name ?? s.keyArea,
      amberNote: Array.isArray(amber) ? null : amber.text,
      ratingItems,
      values: v,
      mayEdit,
      flags: review.flags.filter((f) => f.standard === s.number),
      suggestions: review.suggestions
        .filter((x) => x.standard === s.number)
        .map((x) => ({ ...x, ratingText: x.rating ? RATING_TEXT[x.rating] : null, differs: !!x.rating && x.rating !== s.rating })),
      acceptedFrom: s.suggestion ? `${RATING_TEXT[s.suggestion.rating]}, accepted from Warden’s suggestion: ${s.suggestion.reason}` : null,
      evidenceItems: s.guidance.flatMap((e) => (typeof e === 'string' ? [e] : [`${e.text} ${e.items.join('; ')}`])),
      recorded: s.evidence.map((e) => ({ ...e, html: evidenceHtml(e), kindText: e.kind === 'outcome' ? 'Outcome' : 'Output' })),
      annualReportItems: [
        { value: '', text: 'None' },
        ...review.annualReports.map((r) => ({ value: r.id, text: r.label, selected: v.annualReportId === r.id })),
      ],
    };
  };

  const standardPage = (req: FastifyRequest, reply: FastifyReply, values: Record<string, unknown> | undefined, errors: FieldError[]) =>
    standardContext(req, values).then((context) => reply.page('self-review/views/standard.njk', { ...context, errors }, 400));

  app.get('/self-reviews/:id/standards/:number', hide, async (req, reply) => reply.page('self-review/views/standard.njk', await standardContext(req)));

  /** A form on the standard page: run it, then back (post/redirect/get), or the page again with its errors. */
  const standardForm = (path: string, run: (req: FastifyRequest, body: Record<string, unknown>) => Promise<string>, fieldMap: Record<string, string> = {}) =>
    app.post(`/self-reviews/:id/standards/:number${path}`, hide, async (req, reply) => {
      const body = formBody(req);
      try {
        return reply.redirect(await run(req, body), 303);
      } catch (err) {
        if (!(err instanceof AppError && (err.id === 'validation' || err.id === 'conflict'))) throw err;
        const values = formValues(body);
        return standardPage(
          req,
          reply,
          values,
          err.fields.map((f) => ({ ...f, field: fieldMap[f.field] ?? f.field })),
        );
      }
    });
  const back = (req: FastifyRequest, anchor = '') => `/self-reviews/${idParam(req)}/standards/${numberParam(req)}${anchor}`;

  standardForm('', async (req, body) => {
    await service.rate(actorOf(req), idParam(req), numberParam(req), body);
    return `/self-reviews/${idParam(req)}`;
  });
  standardForm('/evidence', async (req, body) => {
    await service.addEvidence(actorOf(req), idParam(req), numberParam(req), body);
    return back(req, '#evidence');
  });
  standardForm(
    '/documents',
    async (req, body) => {
      await service.uploadEvidence(actorOf(req), idParam(req), numberParam(req), uploadOf(body), { kind: body.docKind, label: body.docLabel });
      return back(req, '#evidence');
    },
    { kind: 'docKind', label: 'docLabel' },
  );
  standardForm('/suggestion', async (req, body) => {
    await service.acceptSuggestion(actorOf(req), idParam(req), numberParam(req), body);
    return back(req);
  });

  app.post('/self-reviews/:id/evidence/:evidenceId/remove', hide, async (req, reply) => {
    const r = await service.removeEvidence(actorOf(req), idParam(req), idParam(req, 'evidenceId'));
    return reply.redirect(`/self-reviews/${idParam(req)}/standards/${r.standard}#evidence`, 303);
  });

  app.get('/self-reviews/:id/evidence/:evidenceId/file', hide, async (req, reply) =>
    sendDownload(reply, await service.downloadEvidence(actorOf(req), idParam(req), idParam(req, 'evidenceId'))),
  );

  // ---- sign-off, submission, reopening ----
  const signOffContext = async (req: FastifyRequest) => {
    const review = await service.get(actorOf(req), idParam(req));
    return { ...reviewContext(review), title: `Sign off the self review ${review.yearLabel}`, values: {} };
  };
  app.get('/self-reviews/:id/sign-off', hide, async (req, reply) => reply.page('self-review/views/sign-off.njk', await signOffContext(req)));
  app.post('/self-reviews/:id/sign-off', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => {
        await service.signOff(actorOf(req), idParam(req), body, meta(req));
        return `/self-reviews/${idParam(req)}`;
      },
      async () => ({ template: 'self-review/views/sign-off.njk', context: await signOffContext(req) }),
    ),
  );

  app.post('/self-reviews/:id/submit', hide, async (req, reply) => {
    try {
      await service.submit(actorOf(req), idParam(req));
      return reply.redirect(`/self-reviews/${idParam(req)}`, 303);
    } catch (err) {
      if (!(err instanceof AppError && err.id === 'conflict')) throw err;
      const actor = actorOf(req);
      const review = await service.get(actor, idParam(req));
      return reply.page('self-review/views/show.njk', { ...reviewContext(review), ...mayDo(actor, review), errors: err.fields }, 400);
    }
  });

  const reopenContext = async (req: FastifyRequest) => {
    const review = await service.get(actorOf(req), idParam(req));
    return { title: `Reopen the self review ${review.yearLabel}`, review };
  };
  app.get('/self-reviews/:id/reopen', hide, async (req, reply) => reply.page('self-review/views/reopen.njk', { ...(await reopenContext(req)), values: {} }));
  app.post('/self-reviews/:id/reopen', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => {
        await service.reopen(actorOf(req), idParam(req), body);
        return `/self-reviews/${idParam(req)}`;
      },
      async () => ({ template: 'self-review/views/reopen.njk', context: await reopenContext(req) }),
    ),
  );

  app.get('/self-reviews/:id/versions/:version', hide, async (req, reply) => {
    const v = await service.version(actorOf(req), idParam(req), versionParam(req));
    return reply.page('self-review/views/version.njk', {
      title: `Self review ${financialYearLabel(v.year)}, version ${v.version}`,
      v,
      backHref: `/self-reviews/${idParam(req)}`,
      ...snapshotContext(v),
    });
  });

  app.get('/self-reviews/:id/compare', hide, async (req, reply) => {
    const c = await service.compare(actorOf(req), idParam(req));
    const prevLabel = c.previousYearLabel;
    const area = (id: string) => c.framework.keyAreas.find((a) => a.id === id)?.name ?? id;
    return reply.page('self-review/views/compare.njk', {
      title: `Self review ${c.yearLabel} compared with ${prevLabel}`,
      c,
      areaRows: [
        ...c.keyAreas.map((k) => [
          { text: k.name },
          { html: tagHtml(k.rating) },
          { html: tagHtml(k.previous) },
          { text: trendText(k.trend, k.previous, prevLabel) },
        ]),
        [
          { html: '<strong>Overall</strong>' },
          { html: tagHtml(c.overall.rating) },
          { html: tagHtml(c.overall.previous) },
          { text: trendText(c.overall.trend, c.overall.previous, prevLabel) },
        ],
      ],
      standardRows: c.standards.map((s) => [
        { html: `<a href="/self-reviews/${c.id}/standards/${esc(s.number)}">${esc(s.number)}</a>` },
        { text: area(s.keyArea) },
        { html: tagHtml(s.rating) },
        { html: tagHtml(s.previous) },
        { text: trendText(s.trend, s.previous, prevLabel) },
      ]),
    });
  });

  app.get('/self-reviews/:id/export', hide, async (req, reply) => {
    const f = await service.exportReview(actorOf(req), idParam(req), req.query);
    return sendDownload(reply, { fileName: f.fileName, contentType: f.contentType, data: f.body });
  });

  // ---- JSON API ----
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['self-review'];
  const params = z.object({ id: z.string() });
  const stdParams = z.object({ id: z.string(), number: z.string() });
  const ok = z.looseObject({});
  const rawBody = (req: FastifyRequest) => req.body ?? {};

  api.get(
    '/api/v1/self-reviews',
    { schema: { tags, summary: 'Your organisation’s self reviews, newest year first', response: { 200: reviewListOut } } },
    async (req) => service.list(actorOf(req)),
  );
  api.post(
    '/api/v1/self-reviews',
    {
      ...validatedByService,
      schema: { tags, summary: 'Start the self review for a financial year', body: startInput, response: { 201: z.object({ id: z.string() }) } },
    },
    async (req, reply) => reply.code(201).send(await service.start(actorOf(req), rawBody(req))),
  );
  api.post(
    '/api/v1/self-reviews/import',
    {
      schema: {
        tags,
        summary: 'Import a previous year’s review from a workbook in the export layout (multipart: file, year, frameworkVersionId)',
        description: 'Every row is checked first; problems are reported by row and column and nothing is written.',
        consumes: ['multipart/form-data'],
        response: { 201: z.object({ id: z.string(), standards: z.number(), evidence: z.number() }) },
      },
    },
    async (req, reply) => {
      const body = formBody(req);
      return reply.code(201).send(await service.importReview(actorOf(req), uploadOf(body), body));
    },
  );
  api.get(
    '/api/v1/self-reviews/:id',
    { schema: { tags, summary: 'A self review: ratings, comments, evidence, roll-up, flags, suggestions, history', params, response: { 200: reviewOut } } },
    async (req) => service.get(actorOf(req), idParam(req)),
  );
  api.put(
    '/api/v1/self-reviews/:id/standards/:number',
    {
      ...validatedByService,
      schema: { tags, summary: 'Rate a standard (drafts only)', params: stdParams, body: rateInput, response: { 200: z.object({ ok: z.literal(true) }) } },
    },
    async (req) => {
      await service.rate(actorOf(req), idParam(req), numberParam(req), rawBody(req));
      return { ok: true as const };
    },
  );
  api.post(
    '/api/v1/self-reviews/:id/standards/:number/evidence',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Add evidence to a standard: a description with a link, a case reference or an annual report',
        params: stdParams,
        body: evidenceInput,
        response: { 201: z.object({ id: z.string() }) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.addEvidence(actorOf(req), idParam(req), numberParam(req), rawBody(req))),
  );
  api.post(
    '/api/v1/self-reviews/:id/standards/:number/documents',
    {
      schema: {
        tags,
        summary: 'Upload a document as evidence (multipart: file, kind, label); PDF, Word, Excel, PNG or JPEG under 10 MB',
        consumes: ['multipart/form-data'],
        params: stdParams,
        response: { 201: z.object({ id: z.string() }) },
      },
    },
    async (req, reply) => {
      const body = formBody(req);
      return reply.code(201).send(await service.uploadEvidence(actorOf(req), idParam(req), numberParam(req), uploadOf(body), body));
    },
  );
  api.get(
    '/api/v1/self-reviews/:id/suggestions',
    { schema: { tags, summary: 'Ratings Warden suggests from its own data, with their reasons', params, response: { 200: suggestionsOut } } },
    async (req) => service.suggestions(actorOf(req), idParam(req)),
  );
  api.post(
    '/api/v1/self-reviews/:id/standards/:number/suggestion',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Accept Warden’s suggested rating for a standard',
        params: stdParams,
        body: acceptSuggestionInput,
        response: { 200: z.object({ rating: z.string(), reason: z.string() }) },
      },
    },
    async (req) => service.acceptSuggestion(actorOf(req), idParam(req), numberParam(req), rawBody(req)),
  );
  api.delete(
    '/api/v1/self-reviews/:id/evidence/:evidenceId',
    {
      schema: {
        tags,
        summary: 'Take evidence out of a draft (it is kept, marked removed)',
        params: z.object({ id: z.string(), evidenceId: z.string() }),
        response: { 200: z.object({ standard: z.string() }) },
      },
    },
    async (req) => service.removeEvidence(actorOf(req), idParam(req), idParam(req, 'evidenceId')),
  );
  api.get(
    '/api/v1/self-reviews/:id/evidence/:evidenceId/file',
    { schema: { tags, summary: 'Download an evidence document (audited)', params: z.object({ id: z.string(), evidenceId: z.string() }) } },
    async (req, reply) => sendDownload(reply, await service.downloadEvidence(actorOf(req), idParam(req), idParam(req, 'evidenceId'))),
  );
  api.post(
    '/api/v1/self-reviews/:id/sign-off',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Sign the review off (Security Management Director) with a current code from your authenticator app',
        params,
        body: z.object({ code: z.string() }),
        response: { 200: z.object({ version: z.number(), sha256: z.string() }) },
      },
    },
    async (req) => service.signOff(actorOf(req), idParam(req), rawBody(req), meta(req)),
  );
  api.post(
    '/api/v1/self-reviews/:id/submit',
    {
      schema: {
        tags,
        summary: 'Submit the signed review to the commissioner(s) and the national body',
        params,
        response: { 200: z.object({ version: z.number(), recipients: z.array(z.string()) }) },
      },
    },
    async (req) => service.submit(actorOf(req), idParam(req)),
  );
  api.post(
    '/api/v1/self-reviews/:id/reopen',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Reopen a signed review with a reason, as a new version',
        params,
        body: reopenInput,
        response: { 200: z.object({ version: z.number() }) },
      },
    },
    async (req) => service.reopen(actorOf(req), idParam(req), rawBody(req)),
  );
  api.get(
    '/api/v1/self-reviews/:id/versions/:version',
    {
      schema: {
        tags,
        summary: 'A signed version as signed, with an integrity check of its hash',
        params: z.object({ id: z.string(), version: z.string() }),
        response: { 200: versionOut },
      },
    },
    async (req) => service.version(actorOf(req), idParam(req), versionParam(req)),
  );
  api.get(
    '/api/v1/self-reviews/:id/compare',
    { schema: { tags, summary: 'This year’s ratings beside the previous year’s, per standard and key area', params, response: { 200: compareOut } } },
    async (req) => service.compare(actorOf(req), idParam(req)),
  );
  api.get(
    '/api/v1/self-reviews/:id/export',
    {
      schema: { tags, summary: 'Export the review: format=xlsx (one row per standard) or format=pdf', params, querystring: exportQuery, response: { 200: ok } },
    },
    async (req, reply) => {
      const f = await service.exportReview(actorOf(req), idParam(req), req.query);
      return sendDownload(reply, { fileName: f.fileName, contentType: f.contentType, data: f.body });
    },
  );
}

/** Rows for a frozen version (shared with the oversight pages). */
export function snapshotContext(v: {
  framework: { keyAreas: { id: string; name: string }[] };
  rollUp: {
    keyAreas: Record<string, { rating: 'red' | 'amber' | 'green' | null; reasons: string[] } | undefined>;
    overall: { rating: 'red' | 'amber' | 'green' | null; reasons: string[] };
  };
  standards: {
    number: string;
    keyArea: string;
    headline: string;
    rating: 'red' | 'amber' | 'green' | 'not_applicable' | null;
    comments: string;
    evidence: { kind: string; label: string; href: string | null; document?: { fileName: string } | null; record?: { type: string } | null }[];
  }[];
  flags: { message: string }[];
}) {
  return {
    rollUpRows: [
      ...v.framework.keyAreas.map((a) => [
        { text: a.name },
        { html: tagHtml(v.rollUp.keyAreas[a.id]?.rating) },
        { text: v.rollUp.keyAreas[a.id]?.reasons.join(' ') ?? '' },
      ]),
      [{ html: '<strong>Overall</strong>' }, { html: tagHtml(v.rollUp.overall.rating) }, { text: v.rollUp.overall.reasons.join(' ') }],
    ],
    areas: v.framework.keyAreas.map((a) => ({
      name: a.name,
      standards: v.standards
        .filter((s) => s.keyArea === a.id)
        .map((s) => ({
          ...s,
          rows: [
            { key: { text: 'Rating' }, value: { html: tagHtml(s.rating) } },
            { key: { text: 'Comments' }, value: { text: s.comments || 'None' } },
            {
              key: { text: 'Evidence' },
              value: {
                html: s.evidence.length
                  ? `<ul>${s.evidence.map((e) => `<li>${e.kind === 'outcome' ? 'Outcome' : 'Output'}: ${evidenceHtml(e)}</li>`).join('')}</ul>`
                  : 'None recorded',
              },
            },
          ],
        })),
    })),
    flagMessages: v.flags.map((f) => f.message),
  };
}
