import type { Tx } from '../db/database.ts';
import { type Actor, actorId } from './access/roles.ts';

export type AuditEntry = {
  action: string;
  orgId?: string | null;
  objectType?: string;
  objectId?: string | null;
  outcome?: 'success' | 'denied' | 'failure';
  detail?: Record<string, unknown>;
};

/**
 * Appends to the audit trail inside the caller's transaction, so the record and the change commit or roll back
 * together. The database assigns the sequence number, time and hash chain (see the Platform migration).
 */
export async function audit(tx: Tx, actor: Actor | null, entry: AuditEntry): Promise<void> {
  const record = auditRecord(actor, entry);
  await tx
    .insertInto('audit_events')
    .values({
      ...record,
      detail: JSON.stringify(record.detail),
      // Filled by the chain trigger; typed as required because the columns are NOT NULL.
      prev_hash: '',
      hash: '',
    } as never)
    .execute();
}

/**
 * The columns of an audit event as `audit()` writes them. For a statement that writes its own audit event in
 * SQL (the incident intake function), so that what an event holds is decided here only.
 */
export function auditRecord(actor: Actor | null, entry: AuditEntry) {
  return {
    actor_id: actor ? actorId(actor) : null,
    org_id: entry.orgId ?? null,
    action: entry.action,
    object_type: entry.objectType ?? null,
    object_id: entry.objectId ?? null,
    outcome: entry.outcome ?? 'success',
    request_id: actor?.requestId ?? null,
    detail: { ...(actor?.kind === 'system' ? { via: 'cli' } : {}), ...(entry.detail ?? {}) } as Record<string, unknown>,
  };
}
