import type { Tx } from '../../db/database.ts';
import { type PersonalField, personalFieldsFor, type Viewer } from '../../domain/personal-data.ts';
import type { Actor, Role } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';

/**
 * The viewer an actor is for a case of organisation `orgId`: roles held there (deployment-wide roles never see
 * identities), and the actor's relation to the case.
 */
export function viewerFor(actor: Actor, orgId: string, relation: { submitter?: string | null; assignedManagerId?: string | null } = {}): Viewer {
  if (actor.kind !== 'user' || actor.orgId !== orgId) return { roles: [] };
  return {
    roles: actor.roles as Role[],
    isReporter: !!relation.submitter && relation.submitter === actor.userId,
    isAssignedManager: !!relation.assignedManagerId && relation.assignedManagerId === actor.userId,
  };
}

/**
 * For the case page (src/features/cases): which personal fields `actor` may see in the case, and — when any —
 * the `incident.read_personal` audit record of the read, in the caller's transaction. Call it in the same
 * transaction that reads the case, then pass the fields to `redactIncident` (src/domain/personal-data.ts).
 */
export async function personalAccess(
  tx: Tx,
  actor: Actor,
  incident: { id: string; orgId: string; reference: string; submitter?: string | null; assignedManagerId?: string | null },
  via = 'case',
): Promise<ReadonlySet<PersonalField>> {
  const fields = personalFieldsFor(viewerFor(actor, incident.orgId, incident));
  if (fields.size > 0) await auditPersonalRead(tx, actor, incident.orgId, [{ id: incident.id, reference: incident.reference }], [...fields], via);
  return fields;
}

/** One `incident.read_personal` record per case read, naming the fields and where they were shown. */
export async function auditPersonalRead(
  tx: Tx,
  actor: Actor,
  orgId: string,
  incidents: { id: string; reference: string }[],
  fields: PersonalField[],
  via: string,
): Promise<void> {
  for (const i of incidents)
    await audit(tx, actor, {
      action: 'incident.read_personal',
      orgId,
      objectType: 'incident',
      objectId: i.id,
      detail: { reference: i.reference, fields, via },
    });
}
