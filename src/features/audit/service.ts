import type { Database, Tx } from '../../db/database.ts';
import { parseReference } from '../../domain/incidents.ts';
import { redactAuditDetail, seesPersonalData } from '../../domain/personal-data.ts';
import { authorize, POLICY } from '../../platform/access/policy.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { forbidden } from '../../platform/errors.ts';
import { inScope, type Scope } from '../../platform/tenancy.ts';
import { parse } from '../../platform/validation.ts';
import { auditRepository as repo } from './repository.ts';
import { AUDIT_PAGE_SIZE, type AuditEventOut, type AuditSearch, auditSearch } from './schema.ts';

/** True when the actor searches every organisation's events (a deployment-wide administrator, or the CLI). */
function searchesEveryOrganisation(actor: Actor): boolean {
  return actor.kind === 'system' || POLICY['audit.search'].any.some((r) => actor.globalRoles.includes(r));
}

/**
 * What an object filter stands for: the object ids (the text given, and for a case named by id or reference both
 * its id and its reference, so "RXX-2026-000123" finds the events recorded against the case's id), and the case
 * references that older export events list in their detail (issue 4 §14).
 */
async function objectOf(tx: Tx, object: string, orgId: string | undefined): Promise<{ objectIds: string[]; references: string[] }> {
  const isReference = parseReference(object) !== null;
  const cases = await repo.incidentByObject(tx, object, orgId, !isReference);
  return {
    objectIds: [...new Set([object, ...cases.flatMap((c) => [c.id, c.reference])])],
    references: [...new Set([...(isReference ? [object] : []), ...cases.map((c) => c.reference)])],
  };
}

/** The audit trail, read side (SPEC: a tamper-evident trail of every read of sensitive data and every change). */
export function auditService(db: Database) {
  return {
    /** What the search form offers the actor: an organisation filter only for deployment-wide searchers. */
    async filterOptions(actor: Actor) {
      authorize(actor, 'audit.search');
      const wide = searchesEveryOrganisation(actor);
      return { wide, organisations: wide ? await inScope(db, { all: true }, (tx) => repo.organisations(tx)) : [] };
    },

    /**
     * One page of audit events matching the filters, newest first. Organisation administrators and security
     * specialists see only events of their acting organisation; deployment-wide administrators see every
     * organisation's and may filter by one. The search is itself audited, in the same transaction as the read.
     */
    async search(actor: Actor, raw: unknown) {
      authorize(actor, 'audit.search');
      const filters: AuditSearch = parse(auditSearch, raw);
      const wide = searchesEveryOrganisation(actor);
      // Naming another organisation is refused (403, audited), not silently narrowed to the actor's own.
      if (filters.org) authorize(actor, 'audit.search', filters.org);
      const acting = actor.kind === 'user' ? actor.orgId : null;
      const orgId = wide ? filters.org : (acting ?? undefined);
      if (!wide && !orgId) throw forbidden(); // `authorize` already requires an acting organisation for `own`
      const scope: Scope = wide ? { all: true } : { orgId: orgId as string };
      return inScope(db, scope, async (tx) => {
        const offset = (filters.page - 1) * AUDIT_PAGE_SIZE;
        const object = filters.object ? await objectOf(tx, filters.object, orgId) : {};
        const rows = await repo.search(tx, { ...filters, orgId, ...object }, AUDIT_PAGE_SIZE, offset);
        const hasNext = rows.length > AUDIT_PAGE_SIZE;
        // issue 4 §14: free text about a case (the investigation) only to those who see the case's personal data:
        // the security specialist of the event's organisation, not an administrator
        const seesPersonal = (eventOrg: string | null) =>
          actor.kind === 'user' && !!eventOrg && eventOrg === actor.orgId && seesPersonalData({ roles: actor.roles });
        const events: AuditEventOut[] = rows.slice(0, AUDIT_PAGE_SIZE).map((r) => ({
          seq: r.seq,
          at: r.at.toISOString(),
          actor: r.actor_id ? { id: r.actor_id, name: r.actor_name, email: r.actor_email } : null,
          organisation: r.org_id ? { id: r.org_id, name: r.org_name } : null,
          action: r.action,
          objectType: r.object_type,
          objectId: r.object_id,
          outcome: r.outcome as AuditEventOut['outcome'],
          requestId: r.request_id,
          detail: seesPersonal(r.org_id) ? r.detail : redactAuditDetail(r.detail),
        }));
        const organisations = wide ? await repo.organisations(tx) : [];
        const { page, ...criteria } = filters;
        await audit(tx, actor, {
          action: 'audit.search',
          orgId: orgId ?? acting,
          objectType: 'audit_trail',
          detail: { criteria, page, results: events.length },
        });
        return { filters, wide, organisations, page, pageSize: AUDIT_PAGE_SIZE, hasNext, events };
      });
    },
  };
}

export type AuditService = ReturnType<typeof auditService>;
