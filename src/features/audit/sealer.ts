import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { repeat } from '../../platform/repeat.ts';
import { auditRepository } from './repository.ts';

/** How often `warden start` seals new audit events into the chain. */
export const SEAL_INTERVAL_MS = 200;

/**
 * Seals committed audit events into the hash chain every `intervalMs` (see the AuditSealing migration): audited
 * transactions commit without waiting for one another, and their events join the chain a moment later. Runs
 * never overlap; a run that finds another sealer holding the chain's lock returns at once. A failed run is
 * reported and retried at the next tick. Returns a function that stops the timer and waits for a run under way.
 */
export function startAuditSealer(db: Kysely<DB>, options: { intervalMs?: number; onError?: (err: unknown) => void } = {}) {
  return repeat(() => auditRepository.seal(db, { wait: false }), { intervalMs: options.intervalMs ?? SEAL_INTERVAL_MS, onError: options.onError });
}
