import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { longDate } from '../../domain/dates.ts';
import { can } from '../../platform/access/policy.ts';
import { AppError } from '../../platform/errors.ts';
import { actorOf, formBody, idParam, submitForm, validatedByService } from '../../platform/forms.ts';
import { acceptUploads, formValues, sendDownload, uploadOf } from '../../platform/uploads.ts';
import { escapeHtml as esc } from '../../platform/views.ts';
import {
  type AnnualReportOut,
  annualReportCreate,
  annualReportDetailOut,
  annualReportDetails,
  annualReportOut,
  annualReportOverseenOut,
  annualReportOversightOut,
  annualReportReopen,
  BOARD_DECISION_LABELS,
  BOARD_DECISIONS,
} from './schema.ts';
import { type AnnualReportsService, MAX_REPORT_BYTES } from './service.ts';

const signOffText = (r: AnnualReportOut) => (r.status === 'signed' ? `Signed off by ${r.signedBy ?? ''} on ${longDate(r.signedAt)}` : 'Not signed off');

/** The report's record as summary-list rows; its document is downloaded from `documentHref`. */
const detailRows = (r: AnnualReportOut, documentHref: string) => [
  { key: { text: 'Financial year' }, value: { text: r.yearLabel } },
  { key: { text: 'Presented to the Board' }, value: { text: longDate(r.presentedOn) || 'Not yet' } },
  { key: { text: 'Board’s decision' }, value: { text: r.boardDecision ? BOARD_DECISION_LABELS[r.boardDecision] : 'Not recorded' } },
  { key: { text: 'Board minute' }, value: { text: r.boardMinute ?? 'None' } },
  { key: { text: 'Summary' }, value: { text: r.summary || 'None' } },
  { key: { text: 'Document' }, value: r.document ? { html: `<a href="${documentHref}">${esc(r.document.fileName)}</a>` } : { text: 'None' } },
  { key: { text: 'Sign-off' }, value: { text: signOffText(r) } },
];

/**
 * Annual report pages (`/annual-reports…`) and `/api/v1/annual-reports…` (002 std 1.5), and a commissioner's view
 * of its providers' signed reports (`/oversight/annual-reports…`, 002 std 1.6, 1.7).
 */
export async function annualReportRoutes(app: FastifyInstance, service: AnnualReportsService): Promise<void> {
  await acceptUploads(app, MAX_REPORT_BYTES);
  const hide = { schema: { hide: true } };
  const meta = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id });

  const listContext = async (req: FastifyRequest) => {
    const actor = actorOf(req);
    const reports = await service.list(actor);
    return {
      title: 'Annual reports',
      mayEdit: can(actor, 'annual_report.edit'),
      rows: reports.map((r) => [
        { html: `<a href="/annual-reports/${r.id}">${r.yearLabel}</a>` },
        { text: longDate(r.presentedOn) || 'Not yet' },
        { text: r.boardDecision ? BOARD_DECISION_LABELS[r.boardDecision] : 'Not recorded' },
        { text: r.status === 'signed' ? `Signed off by ${r.signedBy ?? ''}` : 'Draft' },
      ]),
    };
  };
  app.get('/annual-reports', hide, async (req, reply) => reply.page('annual-reports/views/list.njk', { ...(await listContext(req)), values: {} }));
  app.post('/annual-reports', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => `/annual-reports/${(await service.create(actorOf(req), body)).id}`,
      async () => ({ template: 'annual-reports/views/list.njk', context: await listContext(req) }),
    ),
  );

  const showContext = async (req: FastifyRequest, values?: Record<string, unknown>) => {
    const actor = actorOf(req);
    const r = await service.get(actor, idParam(req));
    const v = values ?? { presentedOn: r.presentedOn ?? '', boardDecision: r.boardDecision ?? '', boardMinute: r.boardMinute ?? '', summary: r.summary };
    const draft = r.status === 'draft';
    return {
      title: `Annual report ${r.yearLabel}`,
      r,
      values: v,
      mayEdit: draft && can(actor, 'annual_report.edit'),
      maySign: draft && can(actor, 'annual_report.sign'),
      mayReopen: !draft && can(actor, 'annual_report.sign'),
      reopenRows: r.reopenings.map((o) => [
        { text: longDate(o.reopenedAt) },
        { text: o.reopenedBy ?? '' },
        { text: o.reason },
        {
          text: [
            `Signed off by ${o.signedBy ?? ''} on ${longDate(o.signedAt)}`,
            o.presentedOn ? `presented ${longDate(o.presentedOn)}` : null,
            o.boardDecision ? BOARD_DECISION_LABELS[o.boardDecision].toLowerCase() : null,
            o.documentName ? `document ${o.documentName}` : null,
          ]
            .filter(Boolean)
            .join(', '),
        },
      ]),
      decisionItems: BOARD_DECISIONS.map((d) => ({ value: d, text: BOARD_DECISION_LABELS[d], checked: v.boardDecision === d })),
      rows: detailRows(r, `/annual-reports/${r.id}/document`),
    };
  };
  const showWithErrors = async (req: FastifyRequest, body: Record<string, unknown>, err: AppError, mapField: (f: string) => string = (f) => f) => ({
    ...(await showContext(req, { ...formValues(body) })),
    errors: err.fields.map((f) => ({ ...f, field: mapField(f.field) })),
  });

  app.get('/annual-reports/:id', hide, async (req, reply) => reply.page('annual-reports/views/show.njk', await showContext(req)));
  app.post('/annual-reports/:id', hide, async (req, reply) => {
    const body = formBody(req);
    try {
      await service.update(actorOf(req), idParam(req), body);
      return reply.redirect(`/annual-reports/${idParam(req)}`, 303);
    } catch (err) {
      if (!(err instanceof AppError && (err.id === 'validation' || err.id === 'conflict'))) throw err;
      return reply.page('annual-reports/views/show.njk', await showWithErrors(req, body, err), 400);
    }
  });
  app.post('/annual-reports/:id/document', hide, async (req, reply) => {
    const body = formBody(req);
    try {
      await service.uploadDocument(actorOf(req), idParam(req), uploadOf(body));
      return reply.redirect(`/annual-reports/${idParam(req)}`, 303);
    } catch (err) {
      if (!(err instanceof AppError && (err.id === 'validation' || err.id === 'conflict'))) throw err;
      return reply.page('annual-reports/views/show.njk', await showWithErrors(req, {}, err), 400);
    }
  });
  app.get('/annual-reports/:id/document', hide, async (req, reply) => sendDownload(reply, await service.downloadDocument(actorOf(req), idParam(req))));

  app.get('/oversight/annual-reports', hide, async (req, reply) => {
    const providers = await service.oversight(actorOf(req));
    return reply.page('annual-reports/views/oversight.njk', {
      title: 'Providers’ annual reports',
      providers: providers.map((p) => ({
        name: p.organisation.name,
        code: p.organisation.code,
        rows: p.reports.map((r) => [
          { html: `<a href="/oversight/annual-reports/${r.id}">${r.yearLabel}<span class="nhsuk-u-visually-hidden">, ${esc(p.organisation.name)}</span></a>` },
          { text: longDate(r.presentedOn) },
          { text: r.boardDecision ? BOARD_DECISION_LABELS[r.boardDecision] : '' },
          { text: signOffText(r) },
        ]),
      })),
    });
  });
  app.get('/oversight/annual-reports/:id', hide, async (req, reply) => {
    const { organisation, report } = await service.oversightGet(actorOf(req), idParam(req));
    return reply.page('annual-reports/views/oversight-show.njk', {
      title: `Annual report ${report.yearLabel}, ${organisation.name}`,
      organisation,
      r: report,
      rows: detailRows(report, `/oversight/annual-reports/${report.id}/document`),
    });
  });
  app.get('/oversight/annual-reports/:id/document', hide, async (req, reply) =>
    sendDownload(reply, await service.oversightDocument(actorOf(req), idParam(req))),
  );
  app.post('/annual-reports/:id/reopen', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => `/annual-reports/${(await service.reopen(actorOf(req), idParam(req), body)).id}`,
      async (values) => ({ template: 'annual-reports/views/show.njk', context: await showContext(req, values) }),
    ),
  );
  app.post('/annual-reports/:id/sign-off', hide, async (req, reply) => {
    const body = formBody(req);
    try {
      await service.signOff(actorOf(req), idParam(req), body, meta(req));
      return reply.redirect(`/annual-reports/${idParam(req)}`, 303);
    } catch (err) {
      if (!(err instanceof AppError && (err.id === 'validation' || err.id === 'conflict'))) throw err;
      return reply.page(
        'annual-reports/views/show.njk',
        await showWithErrors(req, {}, err, (f) => (f === 'presentedOn' || f === 'boardDecision' ? f : 'code')),
        400,
      );
    }
  });

  // ---- JSON API ----
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['annual-reports'];
  const params = z.object({ id: z.string() });
  api.get(
    '/api/v1/annual-reports',
    { schema: { tags, summary: 'Your organisation’s annual reports to the Board', response: { 200: z.array(annualReportOut) } } },
    async (req) => service.list(actorOf(req)),
  );
  api.post(
    '/api/v1/annual-reports',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Start the annual report record for a financial year',
        body: annualReportCreate,
        response: { 201: z.object({ id: z.string() }) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.create(actorOf(req), req.body)),
  );
  api.get(
    '/api/v1/annual-reports/:id',
    { schema: { tags, summary: 'One annual report, with any earlier sign-offs that were reopened', params, response: { 200: annualReportDetailOut } } },
    async (req) => service.get(actorOf(req), idParam(req)),
  );
  api.post(
    '/api/v1/annual-reports/:id/reopen',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Reopen a signed report to correct it (Security Management Director), with the reason',
        description:
          'The report as signed is kept with the reason and shown in `reopenings`; the report is a draft again, out of its ' +
          'commissioners’ sight until it is signed off anew. 409 for a draft.',
        params,
        body: annualReportReopen,
        response: { 200: annualReportOut },
      },
    },
    async (req) => service.reopen(actorOf(req), idParam(req), req.body),
  );
  api.put(
    '/api/v1/annual-reports/:id',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Record when it went to the Board, the decision, minute and summary (drafts only)',
        params,
        body: annualReportDetails,
        response: { 200: annualReportOut },
      },
    },
    async (req) => service.update(actorOf(req), idParam(req), req.body),
  );
  api.post(
    '/api/v1/annual-reports/:id/document',
    {
      schema: {
        tags,
        summary: 'Attach the report (multipart field `file`: PDF or Word, under 20 MB)',
        consumes: ['multipart/form-data'],
        params,
        response: { 201: z.object({ fileName: z.string() }) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.uploadDocument(actorOf(req), idParam(req), uploadOf(formBody(req)))),
  );
  api.get('/api/v1/annual-reports/:id/document', { schema: { tags, summary: 'Download the report’s document (audited)', params } }, async (req, reply) =>
    sendDownload(reply, await service.downloadDocument(actorOf(req), idParam(req))),
  );
  const oversightTags = ['oversight'];
  api.get(
    '/api/v1/oversight/annual-reports',
    {
      schema: {
        tags: oversightTags,
        summary: 'Signed annual reports of the providers you commission',
        description: 'Commissioners: each provider they commission, with its signed annual reports to the Board (002 std 1.6, 1.7). Never drafts.',
        response: { 200: annualReportOversightOut },
      },
    },
    async (req) => service.oversight(actorOf(req)),
  );
  api.get(
    '/api/v1/oversight/annual-reports/:id',
    { schema: { tags: oversightTags, summary: 'One signed annual report of a provider you commission', params, response: { 200: annualReportOverseenOut } } },
    async (req) => service.oversightGet(actorOf(req), idParam(req)),
  );
  api.get(
    '/api/v1/oversight/annual-reports/:id/document',
    { schema: { tags: oversightTags, summary: 'Download a provider’s signed annual report document (audited)', params } },
    async (req, reply) => sendDownload(reply, await service.oversightDocument(actorOf(req), idParam(req))),
  );
  api.post(
    '/api/v1/annual-reports/:id/sign-off',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Sign the report off (Security Management Director) with a current authenticator code',
        params,
        body: z.object({ code: z.string() }),
        response: { 200: annualReportOut },
      },
    },
    async (req) => service.signOff(actorOf(req), idParam(req), req.body, meta(req)),
  );
}
