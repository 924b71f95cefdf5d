import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { longDate } from '../../domain/dates.ts';
import { MARKER_SUBJECT_LABELS, MARKER_SUBJECTS, REVIEW_DECISION_LABELS, REVIEW_DECISIONS } from '../../domain/markers.ts';
import { can } from '../../platform/access/policy.ts';
import { actorOf, idParam, submitForm, validatedByService } from '../../platform/forms.ts';
import { escapeHtml as esc } from '../../platform/views.ts';
import { whenText } from '../incidents/present.ts';
import { markerDetailOut, markerInput, markerListQuery, markerOut, markerRequestOut, requestDecisionInput, reviewInput } from './schema.ts';
import type { MarkerOut, MarkersService } from './service.ts';

const DECISION_TEXT: Record<string, string> = { created: 'Placed', kept: 'Kept', varied: 'Varied', removed: 'Removed' };

function subject(m: MarkerOut): string {
  if (m.subjectKind === 'address') return m.address ?? '';
  return [m.personName, m.personDateOfBirth ? `born ${longDate(m.personDateOfBirth)}` : null, m.personDescription].filter(Boolean).join(', ');
}

/** Warning marker pages (`/markers…`) and `/api/v1/markers…`. */
export async function markerRoutes(app: FastifyInstance, service: MarkersService): Promise<void> {
  const hide = { schema: { hide: true } };

  const formContext = (values: Record<string, unknown> = {}) => ({
    title: 'Place a warning marker',
    latest: service.latestReviewDate(),
    subjectItems: MARKER_SUBJECTS.map((s) => ({ value: s, text: MARKER_SUBJECT_LABELS[s], checked: values.subjectKind === s })),
  });
  const reviewContext = async (req: FastifyRequest, values: Record<string, unknown> = {}) => {
    const marker = await service.get(actorOf(req), idParam(req));
    return {
      title: 'Review a warning marker',
      marker,
      subject: subject(marker),
      latest: service.latestReviewDate(),
      values: { risk: marker.risk, handlingAdvice: marker.handlingAdvice, ...values },
      decisionItems: REVIEW_DECISIONS.map((d) => ({ value: d, text: REVIEW_DECISION_LABELS[d], checked: values.decision === d })),
    };
  };

  app.get('/markers', hide, async (req, reply) => {
    const actor = actorOf(req);
    const { due, markers } = await service.list(actor, req.query);
    const requests = due ? [] : await service.requests(actor);
    return reply.page('markers/views/list.njk', {
      title: due ? 'Warning markers due for review' : 'Warning markers',
      due,
      mayManage: can(actor, 'marker.manage'),
      requests: requests.map((r) => [
        { html: `<a href="/cases/${r.id}">${esc(r.reference)}</a>` },
        { text: r.categoryLabel },
        { text: whenText(r.reportedAt) },
        {
          html:
            `<a href="/markers/new?incident=${encodeURIComponent(r.reference)}">Place a marker<span class="nhsuk-u-visually-hidden"> for case ${esc(r.reference)}</span></a>` +
            `<br><a href="/cases/${r.id}/marker-request/decline">No marker needed<span class="nhsuk-u-visually-hidden"> for case ${esc(r.reference)}</span></a>`,
        },
      ]),
      rows: markers.map((m) => [
        { html: `<a href="/markers/${m.id}">${esc(subject(m) || 'Marker')}</a>` },
        { text: MARKER_SUBJECT_LABELS[m.subjectKind] },
        { text: m.risk },
        { text: m.status === 'removed' ? 'Removed' : `${longDate(m.reviewDue)}${m.due ? ' (due)' : ''}` },
      ]),
    });
  });

  app.get('/markers/new', hide, async (req, reply) => {
    actorOf(req);
    // Only the security specialist gets here (routes.ts); the service checks again on submission.
    const q = (req.query ?? {}) as Record<string, unknown>;
    const values = typeof q.incident === 'string' ? { incidents: q.incident } : {};
    return reply.page('markers/views/form.njk', { ...formContext(values), values });
  });

  app.post('/markers', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => `/markers/${(await service.create(actorOf(req), body)).id}`,
      async (values) => ({ template: 'markers/views/form.njk', context: formContext(values) }),
    ),
  );

  app.get('/markers/:id', hide, async (req, reply) => {
    const actor = actorOf(req);
    const marker = await service.get(actor, idParam(req));
    return reply.page('markers/views/show.njk', {
      title: 'Warning marker',
      marker,
      subject: subject(marker),
      subjectLabel: MARKER_SUBJECT_LABELS[marker.subjectKind],
      mayManage: can(actor, 'marker.manage') && marker.status === 'active',
      trail: marker.reviews.map((r) => [
        { text: longDate(r.decidedOn) },
        { text: DECISION_TEXT[r.decision] ?? r.decision },
        { text: r.reason },
        { text: r.reviewer ?? '' },
        { text: longDate(r.nextReviewDue) || '–' },
      ]),
    });
  });

  app.get('/markers/:id/review', hide, async (req, reply) => reply.page('markers/views/review.njk', await reviewContext(req)));

  app.post('/markers/:id/review', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => {
        const r = await service.review(actorOf(req), idParam(req), body);
        return `/markers/${r.id}`;
      },
      async (values) => ({ template: 'markers/views/review.njk', context: await reviewContext(req, values) }),
    ),
  );

  // 003 §3.2.11: the other answer to a reporter's request — no marker is needed, and why
  const declineContext = async (req: FastifyRequest) => ({
    title: 'Decide that no warning marker is needed',
    request: await service.request(actorOf(req), idParam(req)),
  });
  app.get('/cases/:id/marker-request/decline', hide, async (req, reply) =>
    reply.page('markers/views/decline.njk', { ...(await declineContext(req)), values: {} }),
  );
  app.post('/cases/:id/marker-request/decline', hide, async (req, reply) =>
    submitForm(
      req,
      reply,
      async (body) => `/cases/${(await service.declineRequest(actorOf(req), idParam(req), body)).id}#markers`,
      async () => ({ template: 'markers/views/decline.njk', context: await declineContext(req) }),
    ),
  );

  // ---- JSON API ----------------------------------------------------------------------------------------
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['markers'];
  const params = z.object({ id: z.string() });
  api.get(
    '/api/v1/markers',
    {
      schema: {
        tags,
        summary: 'Warning markers of the acting organisation',
        description: '`due=1`: only live markers whose review date has come. The read is audited.',
        querystring: markerListQuery,
        response: { 200: z.array(markerOut) },
      },
    },
    async (req) => (await service.list(actorOf(req), req.query)).markers,
  );
  api.post(
    '/api/v1/markers',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Place a warning marker',
        description:
          'Security specialists only. `incidents`: references of the incidents that justify it (at least one, of your organisation). ' +
          '`reviewDue`: required, after today and at most 12 months ahead (003 §2.2.3.9, §3.2.11).',
        body: markerInput,
        response: { 201: z.object({ id: z.uuid() }) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.create(actorOf(req), req.body)),
  );
  api.get(
    '/api/v1/markers/requests',
    {
      schema: {
        tags,
        summary: 'Open cases whose reporter asked for a warning marker, not yet answered',
        description:
          'Security specialists only. A request is answered by placing a marker for the case or by ' +
          '`POST /api/v1/cases/{id}/marker-request/decline` (003 §2.2.3.9, §3.2.11). Oldest first; references and types only.',
        response: { 200: z.array(markerRequestOut) },
      },
    },
    async (req) => service.requests(actorOf(req)),
  );
  api.post(
    '/api/v1/cases/:id/marker-request/decline',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Decide that the warning marker a reporter asked for is not needed, and why',
        description:
          'Security specialists only. The case must be open, its reporter must have asked for a marker, and the request must not be ' +
          'answered yet (409 otherwise). Recorded once, never changed; a marker can still be placed later.',
        params,
        body: requestDecisionInput,
        response: { 201: z.object({ id: z.uuid(), reference: z.string(), decidedAt: z.date() }) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.declineRequest(actorOf(req), idParam(req), req.body)),
  );
  api.get(
    '/api/v1/markers/:id',
    { schema: { tags, summary: 'One warning marker with its incidents and decision trail (audited)', params, response: { 200: markerDetailOut } } },
    async (req) => service.get(actorOf(req), idParam(req)),
  );
  api.post(
    '/api/v1/markers/:id/reviews',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Review a warning marker: keep, vary or remove it',
        params,
        body: reviewInput,
        response: { 201: z.object({ id: z.uuid(), decision: z.enum(REVIEW_DECISIONS) }) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.review(actorOf(req), idParam(req), req.body)),
  );
}
