import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from './access/roles.ts';
import { AppError, notFound, unauthenticated } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id that is not a UUID names nothing: 404, as for an id that does not exist. */
export function idParam(req: FastifyRequest, name = 'id'): string {
  const value = (req.params as Record<string, string>)[name];
  if (!value || !UUID.test(value)) throw notFound();
  return value;
}

/** The signed-in actor of a request; 401 when there is none (route access normally refused it already). */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw unauthenticated();
  return req.actor;
}

/**
 * Route option for an API write whose service validates the input itself, after checking access (so an anonymous
 * or unauthorised caller gets 401/403, not a list of field errors): the route's Zod schemas then only document the
 * request in OpenAPI, and the body reaches the handler as sent, parsed once, by the service.
 */
export const validatedByService = { validatorCompiler: () => (value: unknown) => ({ value }) };

export function formBody(req: FastifyRequest): Record<string, unknown> {
  return (req.body ?? {}) as Record<string, unknown>;
}

/**
 * Runs a form submission: on success redirects (post/redirect/get); on bad input or a conflict re-renders the
 * form with an error summary, the values given, and status 400. Nothing is written on failure.
 */
export async function submitForm(
  req: FastifyRequest,
  reply: FastifyReply,
  action: (body: Record<string, unknown>) => Promise<string>,
  rerender: (values: Record<string, unknown>) => Promise<{ template: string; context: Record<string, unknown> }>,
): Promise<FastifyReply> {
  const body = formBody(req);
  try {
    return reply.redirect(await action(body), 303);
  } catch (err) {
    if (err instanceof AppError && (err.id === 'validation' || err.id === 'conflict')) {
      const { _csrf, ...values } = body;
      const { template, context } = await rerender(values);
      return reply.page(template, { ...context, values, errors: err.fields }, 400);
    }
    throw err;
  }
}
