import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { longDate } from '../../domain/dates.ts';
import { can } from '../../platform/access/policy.ts';
import { AppError, invalid } from '../../platform/errors.ts';
import { actorOf, formBody, idParam, validatedByService } from '../../platform/forms.ts';
import { acceptUploads, uploadOf } from '../../platform/uploads.ts';
import { esc, list } from './present.ts';
import { frameworkListOut } from './schema.ts';
import type { SelfReviewService } from './service.ts';

/** Largest framework file accepted: the commissioners' standards are about 100 kB. */
const MAX_FRAMEWORK_BYTES = 1024 * 1024;

/**
 * The standards library (`/standards`): the framework versions loaded, each readable in full, and for
 * administrators a form to load a new version from a framework file (the format of src/standards/schema.ts)
 * without any change to the code. `/api/v1/standards-frameworks` does the same for programs.
 */
export async function standardsRoutes(app: FastifyInstance, service: SelfReviewService): Promise<void> {
  await acceptUploads(app, MAX_FRAMEWORK_BYTES);
  const hide = { schema: { hide: true } };

  const listContext = async (req: FastifyRequest) => {
    const actor = actorOf(req);
    const frameworks = await service.frameworks(actor);
    return {
      title: 'Standards',
      mayLoad: can(actor, 'standards.load'),
      rows: frameworks.map((f) => [
        { html: `<a href="/standards/${f.id}">${esc(f.name)}</a>` },
        { text: f.version },
        { text: String(f.standards) },
        { text: String(f.reviews) },
        { text: longDate(f.loadedAt) },
      ]),
    };
  };

  app.get('/standards', hide, async (req, reply) => reply.page('self-review/views/standards.njk', await listContext(req)));

  app.post('/standards', hide, async (req, reply) => {
    const body = formBody(req);
    try {
      const file = uploadOf(body);
      const text = file && !file.truncated ? file.data.toString('utf8') : null;
      if (!text)
        throw invalid([{ field: 'file', message: file?.truncated ? 'The file must be smaller than 1 MB' : 'Select a framework file (.json) to load' }]);
      const loaded = await service.loadFramework(actorOf(req), text);
      return reply.redirect(`/standards/${loaded.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && (err.id === 'validation' || err.id === 'conflict'))
        return reply.page('self-review/views/standards.njk', { ...(await listContext(req)), errors: err.fields }, 400);
      throw err;
    }
  });

  app.get('/standards/:id', hide, async (req, reply) => {
    const { id, loadedAt, framework } = await service.framework(actorOf(req), idParam(req));
    return reply.page('self-review/views/framework.njk', {
      title: `${framework.name}, ${framework.version}`,
      id,
      loadedAt,
      framework,
      areas: framework.keyAreas.map((a) => ({
        name: a.name,
        standards: framework.standards
          .filter((s) => s.keyArea === a.id)
          .map((s) => ({
            ...s,
            criteriaRows: [
              { key: { text: 'Green: meets the standard' }, value: { html: list(s.criteria.green) } },
              {
                key: { text: 'Amber: partially meets the standard' },
                value: { html: Array.isArray(s.criteria.amber) ? list(s.criteria.amber) : esc(s.criteria.amber.text) },
              },
              { key: { text: 'Red: does not meet the standard' }, value: { html: list(s.criteria.red) } },
              { key: { text: 'Weight' }, value: { text: s.weight > 1 ? `${s.weight} (weighted: 002 §3.48–3.49)` : '1 (not weighted)' } },
            ],
            evidenceItems: s.evidence.map((e) => (typeof e === 'string' ? e : `${e.text} ${e.items.join('; ')}`)),
          })),
      })),
    });
  });

  // ---- JSON API ----
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['standards'];
  api.get(
    '/api/v1/standards-frameworks',
    { schema: { tags, summary: 'The standards framework versions loaded', response: { 200: frameworkListOut } } },
    async (req) => service.frameworks(actorOf(req)),
  );
  api.get(
    '/api/v1/standards-frameworks/:id',
    {
      schema: {
        tags,
        summary: 'One framework version in full (the framework file as loaded)',
        params: z.object({ id: z.string() }),
        response: { 200: z.object({ id: z.string(), loadedAt: z.string(), framework: z.looseObject({}) }) },
      },
    },
    async (req) => service.framework(actorOf(req), idParam(req)),
  );
  api.post(
    '/api/v1/standards-frameworks',
    {
      ...validatedByService,
      schema: {
        tags,
        summary: 'Load a new framework version (administrators)',
        description:
          '`file`: the text of a framework file (src/standards/schema.ts). Problems are reported per line and column of that text. A version already loaded is a 409.',
        body: z.object({ file: z.string() }),
        response: { 201: z.object({ id: z.string(), frameworkId: z.string(), version: z.string(), name: z.string(), standards: z.number() }) },
      },
    },
    async (req, reply) => {
      const body = (req.body ?? {}) as { file?: unknown };
      return reply.code(201).send(await service.loadFramework(actorOf(req), typeof body.file === 'string' ? body.file : ''));
    },
  );
}
