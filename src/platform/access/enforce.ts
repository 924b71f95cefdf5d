import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, organisationRequired, unauthenticated } from '../errors.ts';
import { can } from './policy.ts';
import type { Actor } from './roles.ts';
import { ROUTE_ACCESS } from './routes.ts';

/** The declared access rule for the route a request matched (HEAD is answered by the GET route). */
export function routeAccess(req: FastifyRequest) {
  const url = req.routeOptions.url;
  if (url === undefined) return undefined;
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  return ROUTE_ACCESS[`${method} ${url}`];
}

/**
 * Whether someone signed in without an organisation chosen (a role in several, or one granted since signing in)
 * would be allowed what `allowed` asks once acting for one of theirs: then they are sent to choose one, rather
 * than told they have no permission.
 */
export function allowedOnceChosen(req: FastifyRequest, allowed: (actor: Actor) => boolean): boolean {
  const actor = req.actor;
  return actor?.kind === 'user' && actor.orgId === null && !!req.memberships?.some((m) => allowed({ ...actor, ...m }));
}

/**
 * Enforces routes.ts at the edge, before the body is even read: anonymous callers get 401 and callers without
 * the declared role get 403, so neither learns anything about the route's input rules, and neither can make the
 * server receive and parse an upload (up to 20 MB) first. It runs as an onRequest hook registered after the one
 * that finds the actor, when the route and its parameters are known and the body is still unread. The services
 * check again (defence in depth, and they are also called from the CLI). A route with no declared rule is
 * refused: new routes fail closed until someone writes down who may use them.
 */
export function enforceRouteAccess(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.url === undefined) return; // the 404 handler
    const access = routeAccess(req);
    if (!access) throw forbidden('This page has no declared access rule.');
    if ('public' in access) return;
    const actor = req.actor;
    if (!actor) throw unauthenticated();
    if ('signedIn' in access) return;
    const orgId = access.org === 'id' ? (req.params as Record<string, string>).id : undefined;
    if (can(actor, access.action, orgId)) return;
    // Signed in without an organisation chosen (someone with roles in several), following a link: say to choose
    // one when a role there would allow this, rather than "no permission".
    if (allowedOnceChosen(req, (a) => can(a, access.action, orgId))) throw organisationRequired();
    throw forbidden();
  });
}
