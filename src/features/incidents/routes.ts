import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LATE_RULE_TEXT, MEDICAL_FACTORS_DEFINITION } from '../../domain/incidents.ts';
import { AppError } from '../../platform/errors.ts';
import { actorOf, formBody, idParam, validatedByService } from '../../platform/forms.ts';
import { formContext, summaryRows, whenText } from './present.ts';
import { draftValues, type FormValues, incidentDetailOut, incidentDraftInput, incidentDraftOut, incidentInput, incidentSummaryOut } from './schema.ts';
import type { IncidentsService } from './service.ts';

const FORM = 'incidents/views/report-form.njk';

/**
 * Incident reporting pages (`/incidents/new`, check your answers, confirmation, `/incidents/mine`) and the
 * `/api/v1/incidents` API. Routes parse, call one service method, and render.
 */
export async function incidentRoutes(app: FastifyInstance, service: IncidentsService): Promise<void> {
  const hide = { schema: { hide: true } };

  const renderForm = async (req: FastifyRequest, values: FormValues, extra: { affected?: boolean; assailants?: boolean } = {}) => {
    const options = await service.formOptions(actorOf(req));
    return {
      title: 'Report an incident',
      values,
      ...formContext(values, options, extra),
      hasSites: options.sites.length > 0,
      lateRule: LATE_RULE_TEXT,
      medicalDefinition: MEDICAL_FACTORS_DEFINITION,
    };
  };

  // ---- pages -------------------------------------------------------------------------------------------
  app.get('/incidents/new', hide, async (req, reply) => {
    const actor = actorOf(req);
    const draft = await service.draft(actor);
    const values: FormValues = draft?.values ?? { idempotencyKey: randomUUID() };
    const saved = (req.query as Record<string, string>).saved === '1';
    return reply.page(FORM, { ...(await renderForm(req, values)), draftSavedAt: draft?.savedAt, justSaved: saved && !!draft });
  });

  app.post('/incidents/new', hide, async (req, reply) => {
    const actor = actorOf(req);
    const body = formBody(req);
    const action = typeof body.action === 'string' ? body.action : 'check';
    if (action === 'add-affected' || action === 'add-assailant') {
      // Adding a person slot without JavaScript: the same form again, one slot longer. Nothing is written.
      const values = draftValues(body);
      values.idempotencyKey = typeof body.idempotencyKey === 'string' ? body.idempotencyKey : randomUUID();
      const anchor = action === 'add-affected' ? 'affected' : 'assailants';
      return reply.page(FORM, await renderForm(req, values, { [anchor]: true }));
    }
    try {
      if (action === 'draft') {
        await service.saveDraft(actor, body, { complete: false });
        return reply.redirect('/incidents/new?saved=1', 303);
      }
      const saved = await service.saveDraft(actor, body, { complete: true });
      // these answers were already sent with this form's key: that report is the answer, not a second one
      if ('sent' in saved) return reply.redirect(`/incidents/mine/${saved.sent.id}/confirmation`, 303);
      return reply.redirect('/incidents/new/check', 303);
    } catch (err) {
      if (err instanceof AppError && err.id === 'validation') {
        const values = draftValues(body);
        values.idempotencyKey = typeof body.idempotencyKey === 'string' ? body.idempotencyKey : randomUUID();
        return reply.page(FORM, { ...(await renderForm(req, values)), errors: err.fields }, 400);
      }
      throw err;
    }
  });

  app.post('/incidents/new/discard', hide, async (req, reply) => {
    await service.discardDraft(actorOf(req));
    return reply.redirect('/incidents/new', 303);
  });

  app.get('/incidents/new/check', hide, async (req, reply) => {
    const review = await service.review(actorOf(req));
    if (!review) return reply.redirect('/incidents/new', 303);
    return reply.page('incidents/views/check.njk', {
      title: 'Check your answers before sending your report',
      rows: summaryRows(review.report, '/incidents/new'),
      idempotencyKey: review.idempotencyKey,
      fingerprint: review.fingerprint,
      sentBefore: review.sentBefore,
      changed: (req.query as Record<string, string>).changed === '1',
      late: review.lateness.late,
      deadline: whenText(review.lateness.deadline),
      lateRule: LATE_RULE_TEXT,
    });
  });

  app.post('/incidents/new/submit', hide, async (req, reply) => {
    const actor = actorOf(req);
    try {
      const body = formBody(req);
      const result = await service.submitDraft(actor, body.idempotencyKey, body.reviewed);
      if ('stale' in result) return reply.redirect(result.changed ? '/incidents/new/check?changed=1' : '/incidents/new/check', 303);
      return reply.redirect(`/incidents/mine/${result.incident.id}/confirmation`, 303);
    } catch (err) {
      // The draft stopped being a valid report (for example the site was removed): back to the form to fix it.
      if (err instanceof AppError && err.id === 'validation') return reply.redirect('/incidents/new', 303);
      throw err;
    }
  });

  app.get('/incidents/mine/:id/confirmation', hide, async (req, reply) => {
    const c = await service.confirmation(actorOf(req), idParam(req));
    return reply.page('incidents/views/confirmation.njk', { title: 'Report sent', ...c });
  });

  app.get('/incidents/mine', hide, async (req, reply) => {
    const actor = actorOf(req);
    const [incidents, draft] = await Promise.all([service.listMine(actor), service.draft(actor).catch(() => null)]);
    return reply.page('incidents/views/mine.njk', {
      title: 'Your incident reports',
      draftSavedAt: draft?.savedAt,
      rows: incidents.map((i) => [
        { html: `<a href="/incidents/mine/${i.id}">${i.reference}</a>` },
        { text: i.categoryLabel },
        { text: whenText(i.occurredAt) },
        { text: i.statusLabel + (i.late ? ' (reported late)' : '') },
      ]),
    });
  });

  /** What the reporter is told of the warning marker they asked for (003 §3.2.11; 000 §7.2.6). */
  const MARKER_ANSWERS = {
    not_asked: null,
    waiting: 'The security team has not decided yet',
    placed: 'A warning marker has been placed, so colleagues are warned before they go there',
    not_needed: 'The security team decided that no marker is needed. Ask them if you want to know why.',
    not_placed: 'No marker was placed before the case was closed. Ask the security team if you think one is still needed.',
  } as const;

  app.get('/incidents/mine/:id', hide, async (req, reply) => {
    const incident = await service.getMine(actorOf(req), idParam(req));
    return reply.page('incidents/views/show.njk', {
      title: `Report ${incident.reference}`,
      incident,
      reportedAt: whenText(incident.reportedAt),
      correctedAt: incident.correctedAt ? whenText(incident.correctedAt) : null,
      rows: summaryRows(incident),
      history: incident.history.map((h) => ({ at: whenText(h.at), label: h.statusLabel })),
      markerAnswer: MARKER_ANSWERS[incident.markerAnswer],
    });
  });

  // ---- JSON API ----------------------------------------------------------------------------------------
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['incidents'];

  api.post(
    '/api/v1/incidents',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Report an incident',
        description:
          'Send an `Idempotency-Key` header (e.g. a UUID) to make retries safe: the same key returns the incident already created (200) instead of ' +
          'creating another; a new key creates one (201). The same key with a different report is refused (409).',
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: incidentInput,
        response: { 200: incidentSummaryOut, 201: incidentSummaryOut },
      },
    },
    async (req, reply) => {
      const result = await service.submit(actorOf(req), req.body, req.headers['idempotency-key']);
      return reply
        .code(result.created ? 201 : 200)
        .header('location', `/api/v1/incidents/${result.incident.id}`)
        .send(result.incident);
    },
  );
  api.get(
    '/api/v1/incidents/mine',
    { schema: { tags, summary: 'Your own incident reports, newest first', response: { 200: z.array(incidentSummaryOut) } } },
    async (req) => service.listMine(actorOf(req)),
  );
  api.get(
    '/api/v1/incidents/:id',
    {
      schema: {
        tags,
        summary: 'One of your own incident reports, in full, as you sent it (the read is audited)',
        description:
          'The report fields are as the reporter sent them, even after the security team corrected the report; `corrected` and `correctedAt` say ' +
          'whether and when it was corrected.',
        params: z.object({ id: z.string() }),
        response: { 200: incidentDetailOut },
      },
    },
    async (req) => service.getMine(actorOf(req), idParam(req)),
  );

  // ---- drafts through the JSON API (issue 4 item 15) -----------------------------------------------------
  const draftTags = ['incident drafts'];
  const draftId = z.object({ id: z.string() });
  api.get(
    '/api/v1/incident-drafts',
    {
      schema: {
        tags: draftTags,
        summary: 'Your unsent drafts, most recently saved first',
        description: 'Drafts made through the API; the report form keeps its own draft. A service token has no drafts (403).',
        response: { 200: z.array(incidentDraftOut) },
      },
    },
    async (req) => service.listApiDrafts(actorOf(req)),
  );
  api.post(
    '/api/v1/incident-drafts',
    {
      ...validatedByService,
      schema: {
        tags: draftTags,
        summary: 'Start a draft report',
        description:
          'Any of the report’s fields (as POST /api/v1/incidents takes them), even none. Each value given is checked (400 naming the field); ' +
          '`problems` lists what stops the draft being sent yet.',
        body: incidentDraftInput,
        response: { 201: incidentDraftOut },
      },
    },
    async (req, reply) => {
      const d = await service.createApiDraft(actorOf(req), req.body);
      return reply.code(201).header('location', `/api/v1/incident-drafts/${d.id}`).send(d);
    },
  );
  api.get(
    '/api/v1/incident-drafts/:id',
    { schema: { tags: draftTags, summary: 'One of your drafts (anyone else’s is not found)', params: draftId, response: { 200: incidentDraftOut } } },
    async (req) => service.getApiDraft(actorOf(req), idParam(req)),
  );
  api.put(
    '/api/v1/incident-drafts/:id',
    {
      ...validatedByService,
      schema: {
        tags: draftTags,
        summary: 'Save a draft: its fields become those sent',
        params: draftId,
        body: incidentDraftInput,
        response: { 200: incidentDraftOut },
      },
    },
    async (req) => service.saveApiDraft(actorOf(req), idParam(req), req.body),
  );
  api.delete('/api/v1/incident-drafts/:id', { schema: { tags: draftTags, summary: 'Delete a draft (204)', params: draftId } }, async (req, reply) => {
    await service.deleteApiDraft(actorOf(req), idParam(req));
    return reply.code(204).send();
  });
  api.post(
    '/api/v1/incident-drafts/:id/submit',
    {
      ...validatedByService,
      schema: {
        tags: draftTags,
        summary: 'Send a draft as a report',
        description:
          'Idempotent as POST /api/v1/incidents: the key is the `Idempotency-Key` header, or else the draft’s id. The first success creates the ' +
          'incident (201) and deletes the draft; a retry returns the same incident (200); the same key with a different report is refused (409). ' +
          'An incomplete draft is refused (400, each problem by field) and kept.',
        params: draftId,
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        response: { 200: incidentSummaryOut, 201: incidentSummaryOut },
      },
    },
    async (req, reply) => {
      const result = await service.submitApiDraft(actorOf(req), idParam(req), req.headers['idempotency-key']);
      return reply
        .code(result.created ? 201 : 200)
        .header('location', `/api/v1/incidents/${result.incident.id}`)
        .send(result.incident);
    },
  );
}
