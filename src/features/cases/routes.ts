import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { longDate } from '../../domain/dates.ts';
import { CATEGORY_DEFINITIONS, formatPence, INCIDENT_CATEGORIES, OVERDUE_AFTER_DAYS } from '../../domain/incidents.ts';
import { AppError, type FieldError } from '../../platform/errors.ts';
import { actorOf, formBody, idParam, validatedByService } from '../../platform/forms.ts';
import { acceptUploads, uploadOf } from '../../platform/uploads.ts';
import { escapeHtml } from '../../platform/views.ts';
import { summaryRows, whenText } from '../incidents/present.ts';
import {
  correction,
  investigation,
  LOG_KIND_LABELS,
  LOG_KINDS,
  logEntry,
  noSanction,
  REDRESS_ROUTE_LABELS,
  REDRESS_ROUTES,
  redress,
  SANCTION_KIND_LABELS,
  SANCTIONS,
  SEVERITIES,
  SEVERITY_LABELS,
  sanction,
  settings,
  statusChange,
  support,
  triage,
} from './schema.ts';
import { type CasesService, londonDay, MAX_ATTACHMENT_BYTES } from './service.ts';

/**
 * Case management pages (`/cases/:id`, `/cases/overdue`) and the `/api/v1/cases/...` API. Every form on the case
 * page posts to its own route and, on bad input, the case page is shown again with the error summary (400).
 */
export async function caseRoutes(app: FastifyInstance, service: CasesService): Promise<void> {
  // Multipart only for this plugin's routes (attachments); fields are flattened so the CSRF check sees `_csrf`.
  await acceptUploads(app, MAX_ATTACHMENT_BYTES);

  const hide = { schema: { hide: true } };

  const radios = <T extends string>(keys: readonly T[], labels: Record<T, string>, value: unknown) =>
    keys.map((k) => ({ value: k, text: labels[k], checked: value === k }));

  async function renderCase(
    req: FastifyRequest,
    reply: FastifyReply,
    id: string,
    extra: { values?: Record<string, unknown>; errors?: unknown } = {},
    code = 200,
  ) {
    const c = await service.get(actorOf(req), id);
    const values: Record<string, unknown> = extra.values ?? {};
    const v = (k: string, fallback: unknown = '') => (values[k] === undefined ? fallback : values[k]);
    return reply.page(
      'cases/views/show.njk',
      {
        title: `Case ${c.reference}`,
        c,
        values,
        errors: extra.errors,
        // the incidents presenter, with what this viewer may not see marked as hidden
        reportRows: caseReportRows(c),
        lessonRows: c.lessons.map((l) => [
          { text: l.closedAt ? whenText(l.closedAt) : 'Not recorded' },
          { text: l.statusLabel ?? 'Closed' },
          { text: l.by ?? 'Not recorded' },
          { text: l.lessonsLearned },
        ]),
        noSanctionRecorded: c.noSanction ? `${whenText(c.noSanction.at)} by ${c.noSanction.by}` : '',
        markerDecided: c.markerDecision ? `${whenText(c.markerDecision.at)} by ${c.markerDecision.by}` : '',
        earlierInvestigationRows: c.earlierInvestigations.map((x) => [
          { text: x.managerName },
          { text: longDate(x.dueOn) },
          { text: x.completedAt ? `Completed ${whenText(x.completedAt)}${x.findings ? `: ${x.findings}` : ''}` : 'Not completed' },
          { text: `${whenText(x.replacedAt)}, ${x.replacedBy}: ${x.reason}` },
        ]),
        earlierAdviceRows: c.earlierNoSanction.map((x) => [
          { text: whenText(x.at) },
          { text: x.by },
          { text: x.adviceFrom ?? '' },
          { text: x.advice ?? '' },
          { text: x.reasons },
        ]),
        history: c.history.map((h) => [{ text: whenText(h.at) }, { text: h.toLabel }, { text: h.by }, { text: h.reason ?? '' }]),
        versions: c.versions.map((x) => [
          { text: String(x.version) },
          { text: whenText(x.changedAt) },
          { text: x.by },
          { text: x.reason },
          { text: [x.categoryLabel, c.personalData ? x.narrative : 'What happened: hidden, personal data'].filter(Boolean).join(': ') },
        ]),
        logRows: c.log.map((l) => [
          { text: longDate(l.occurredOn) },
          { text: l.kindLabel },
          {
            text: c.personalData
              ? [
                  l.text,
                  l.crimeReference && `Crime reference: ${l.crimeReference}`,
                  l.officer && `Officer: ${l.officer}`,
                  l.cpsDecision && `CPS decision: ${l.cpsDecision}`,
                ]
                  .filter(Boolean)
                  .join(' · ')
              : 'Hidden: personal data',
          },
          { text: l.by },
        ]),
        sanctionRows: c.sanctions.map((s) => [
          { text: longDate(s.decidedOn) },
          { text: `${SANCTION_KIND_LABELS[s.kind as keyof typeof SANCTION_KIND_LABELS]}: ${s.label}` },
          { text: s.outcome },
          { text: `${s.publicise ? 'Publicise' : 'Do not publicise'}: ${s.publicityReason}` },
        ]),
        redressText: c.redress
          ? `${c.redress.routeLabel}. Sought ${c.redress.soughtPence === null ? 'not given' : formatPence(c.redress.soughtPence)}, recovered ${c.redress.recoveredPence === null ? 'not given' : formatPence(c.redress.recoveredPence)}.`
          : null,
        transitionItems: c.allowedTransitions.map((t) => ({ value: t, text: statusText[t], checked: v('to') === t })),
        categoryItems: INCIDENT_CATEGORIES.map((k) => ({ value: k, text: CATEGORY_DEFINITIONS[k].label, checked: v('category', c.category) === k })),
        severityItems: radios(SEVERITIES, SEVERITY_LABELS, v('severity', c.severity)),
        managerItems: [
          { value: '', text: 'Select a manager' },
          ...c.managers.map((m) => ({ value: m.id, text: m.name, selected: v('managerId', c.investigation?.managerId) === m.id })),
        ],
        logKindItems: radios(LOG_KINDS, LOG_KIND_LABELS, v('kind')),
        sanctionItems: [
          { value: '', text: 'Select a sanction' },
          ...Object.entries(SANCTIONS).map(([k, s]) => ({ value: k, text: `${SANCTION_KIND_LABELS[s.kind]}: ${s.label}`, selected: v('sanction') === k })),
        ],
        publiciseItems: radios(['yes', 'no'] as const, { yes: 'Yes, publicise it', no: 'No' }, v('publicise')),
        routeItems: radios(REDRESS_ROUTES, REDRESS_ROUTE_LABELS, v('route', c.redress?.route)),
        takenUpItems: radios(
          ['yes', 'no'] as const,
          { yes: 'Yes', no: 'No' },
          v('supportTakenUp', c.support.supportTakenUp === null ? '' : c.support.supportTakenUp ? 'yes' : 'no'),
        ),
        pounds: (p: number | null | undefined) => (p === null || p === undefined ? '' : (p / 100).toFixed(2)),
      },
      code,
    );
  }
  /**
   * The report as the case page shows it: the incidents presenter, with what this viewer may not see marked as
   * hidden, the shift row worded for the LSMS, and whether (and why) the report was late (`003 §2.2.3.7`).
   */
  function caseReportRows(c: Awaited<ReturnType<CasesService['get']>>) {
    const rows = summaryRows({ ...c.report, narrative: c.report.narrative ?? 'Hidden: personal data' } as Parameters<typeof summaryRows>[0]);
    const out: typeof rows = [];
    for (const r of rows) {
      out.push(r.key.text === 'Your shift ends' ? { ...r, key: { text: "Reporter's shift ends" } } : r);
      if (r.key.text === 'When it happened')
        out.push({
          key: { text: 'Reported late' },
          value: { text: c.report.late ? `Yes: ${c.report.lateReason ?? 'reason not recorded'}` : 'No' },
        });
    }
    return out;
  }
  const statusText: Record<string, string> = {
    under_investigation: 'Under investigation',
    awaiting_decision: 'Awaiting sanction or redress decision',
    closed: 'Closed',
    closed_nfa: 'Closed – no further action',
  };

  app.get('/cases/:id', hide, async (req, reply) => renderCase(req, reply, idParam(req)));

  /** A form on the case page: run it, then back to the case (post/redirect/get), or the page again with errors. */
  const form = (path: string, anchor: string, run: (req: FastifyRequest, id: string, body: Record<string, unknown>) => Promise<unknown>) =>
    app.post(`/cases/:id/${path}`, hide, async (req, reply) => {
      const id = idParam(req);
      const body = formBody(req);
      try {
        await run(req, id, body);
        return reply.redirect(`/cases/${id}#${anchor}`, 303);
      } catch (err) {
        if (err instanceof AppError && err.id === 'validation') {
          const { _csrf, ...values } = body;
          return renderCase(
            req,
            reply,
            id,
            { values: Object.fromEntries(Object.entries(values).filter(([, x]) => typeof x === 'string')), errors: err.fields },
            400,
          );
        }
        throw err;
      }
    });
  form('status', 'status', (req, id, body) => service.changeStatus(actorOf(req), id, body));
  form('triage', 'triage', (req, id, body) => service.triage(actorOf(req), id, body));
  form('correction', 'report', (req, id, body) => service.correct(actorOf(req), id, body));
  form('investigation', 'investigation', (req, id, body) => service.recordInvestigation(actorOf(req), id, body));
  form('log', 'log', (req, id, body) => service.addLogEntry(actorOf(req), id, body));
  form('sanctions', 'sanctions', (req, id, body) => service.addSanction(actorOf(req), id, body));
  form('no-sanction', 'sanctions', (req, id, body) => service.recordNoSanction(actorOf(req), id, body));
  form('redress', 'redress', (req, id, body) => service.recordRedress(actorOf(req), id, body));
  form('support', 'support', (req, id, body) => service.recordSupport(actorOf(req), id, body));
  form('attachments', 'attachments', (req, id, body) => service.uploadAttachment(actorOf(req), id, uploadOf(body), body));

  app.get('/cases/:id/attachments/:attachmentId', hide, async (req, reply) => sendAttachment(req, reply));

  /** The overdue page: investigations past their due date, and (for the security team) cases with none assigned. */
  async function overduePage(req: FastifyRequest, reply: FastifyReply, form?: { values: Record<string, unknown>; errors: FieldError[] }) {
    const actor = actorOf(req);
    const [rows, unassigned, s] = await Promise.all([service.overdue(actor), service.unassignedOverdue(actor), service.settings(actor)]);
    const caseLink = (r: { id: string; reference: string }) => ({ html: `<a href="/cases/${r.id}">${escapeHtml(r.reference)}</a>` });
    const escalated = (at: Date | null) => ({ text: at ? whenText(at) : 'Not yet' });
    return reply.page(
      'cases/views/overdue.njk',
      {
        title: 'Overdue investigations',
        rows: rows.map((r) => [caseLink(r), { text: r.categoryLabel }, { text: r.managerName }, { text: longDate(r.dueOn) }, escalated(r.lastEscalatedAt)]),
        unassigned: unassigned.map((r) => [
          caseLink(r),
          { text: r.categoryLabel },
          { text: r.statusLabel },
          { text: londonDay(r.reportedAt) },
          escalated(r.lastEscalatedAt),
        ]),
        seesUnassigned: service.seesAllCases(actor),
        overdueDays: OVERDUE_AFTER_DAYS,
        values: form?.values ?? {
          investigationDays: String(s.investigationDays),
          escalationRepeatDays: s.escalationRepeatDays ? String(s.escalationRepeatDays) : '',
        },
        errors: form?.errors,
        canManage: actor?.kind === 'user' && actor.roles.includes('security_specialist'),
      },
      form ? 400 : 200,
    );
  }
  app.get('/cases/overdue', hide, overduePage);
  app.post('/cases/settings', hide, async (req, reply) => {
    const body = formBody(req);
    try {
      await service.updateSettings(actorOf(req), body);
      return reply.redirect('/cases/overdue', 303);
    } catch (err) {
      if (!(err instanceof AppError && err.id === 'validation')) throw err;
      const { _csrf, ...values } = body;
      return overduePage(req, reply, { values, errors: err.fields });
    }
  });

  async function sendAttachment(req: FastifyRequest, reply: FastifyReply) {
    const f = await service.downloadAttachment(actorOf(req), idParam(req), idParam(req, 'attachmentId'));
    const ascii = f.fileName.replace(/["\\]/g, '_');
    return reply
      .header('content-type', f.contentType)
      .header('content-disposition', `attachment; filename="${ascii}"`)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .send(f.data);
  }

  // ---- JSON API ----------------------------------------------------------------------------------------
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['cases'];
  const params = z.object({ id: z.string() });
  const anyOut = z.looseObject({});
  // The body schema documents the request; the service validates it after checking access (401/403 first).
  const write = (path: string, summary: string, body: z.ZodType, run: (req: FastifyRequest, id: string, input: unknown) => Promise<unknown>) =>
    api.post(
      `/api/v1/cases/:id/${path}`,
      {
        ...validatedByService,
        schema: { tags, summary, params, body, response: { 200: anyOut } },
      },
      async (req) => (await run(req, idParam(req), req.body ?? {})) as Record<string, unknown>,
    );

  api.get(
    '/api/v1/cases/overdue',
    { schema: { tags, summary: "Manager's investigations past their due date", response: { 200: z.array(anyOut) } } },
    async (req) => service.overdue(actorOf(req)),
  );
  api.get(
    '/api/v1/cases/overdue-unassigned',
    {
      schema: {
        tags,
        summary: `Open cases with no manager's investigation assigned ${OVERDUE_AFTER_DAYS} days after they were reported (security team and SMD; empty for managers)`,
        response: { 200: z.array(anyOut) },
      },
    },
    async (req) => service.unassignedOverdue(actorOf(req)),
  );
  api.get('/api/v1/cases/settings', { schema: { tags, summary: 'Case settings of your organisation', response: { 200: anyOut } } }, async (req) =>
    service.settings(actorOf(req)),
  );
  api.put(
    '/api/v1/cases/settings',
    {
      ...validatedByService,
      schema: { tags, summary: "Set the days allowed for a manager's investigation and the escalation repeat", body: settings, response: { 200: anyOut } },
    },
    async (req) => service.updateSettings(actorOf(req), req.body ?? {}),
  );
  api.get(
    '/api/v1/cases/:id',
    { schema: { tags, summary: 'A case in full, with personal data as your role allows (the read is audited)', params, response: { 200: anyOut } } },
    async (req) => service.get(actorOf(req), idParam(req)),
  );
  write('status', 'Change the status (closing needs lessons learned and a sanction or the no-sanction advice)', statusChange, (req, id, b) =>
    service.changeStatus(actorOf(req), id, b),
  );
  write('triage', 'Triage: category, severity, manager and due date', triage, (req, id, b) => service.triage(actorOf(req), id, b));
  write('corrections', 'Correct the narrative (the previous version is kept)', correction, (req, id, b) => service.correct(actorOf(req), id, b));
  write('investigation', "Record or complete the manager's investigation (assigned manager)", investigation, (req, id, b) =>
    service.recordInvestigation(actorOf(req), id, b),
  );
  write('log', 'Append to the investigation log', logEntry, (req, id, b) => service.addLogEntry(actorOf(req), id, b));
  write('sanctions', 'Record a sanction with its publicity decision', sanction, (req, id, b) => service.addSanction(actorOf(req), id, b));
  write('no-sanction', 'Record the advice and reasons where no sanction is applied', noSanction, (req, id, b) => service.recordNoSanction(actorOf(req), id, b));
  write('redress', 'Record redress (a number is pence)', redress, (req, id, b) => service.recordRedress(actorOf(req), id, b));
  write('support', 'Record victim support and feedback to the reporter', support, (req, id, b) => service.recordSupport(actorOf(req), id, b));
  api.post(
    '/api/v1/cases/:id/attachments',
    {
      schema: {
        tags,
        summary: 'Upload a photo (JPEG, PNG) or PDF document, under 10 MB, as multipart/form-data field `file` (optional `description`)',
        consumes: ['multipart/form-data'],
        params,
        response: { 201: z.object({ id: z.string() }) },
      },
    },
    async (req, reply) => {
      const body = formBody(req);
      return reply.code(201).send(await service.uploadAttachment(actorOf(req), idParam(req), uploadOf(body), body));
    },
  );
  api.get(
    '/api/v1/cases/:id/attachments/:attachmentId',
    { schema: { tags, summary: 'Download an attachment (the download is audited)', params: z.object({ id: z.string(), attachmentId: z.string() }) } },
    async (req, reply) => sendAttachment(req, reply),
  );
}
