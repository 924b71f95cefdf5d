import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';
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
  const intervalMs = options.intervalMs ?? SEAL_INTERVAL_MS;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    running = auditRepository
      .seal(db, { wait: false })
      .catch((err) => options.onError?.(err))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  timer.unref?.();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
