import { repeat } from '../../platform/repeat.ts';
import type { CasesService } from './service.ts';

/** How often `warden start` looks for overdue investigations to escalate, and how long after starting it first does. */
export const ESCALATION_INTERVAL_MS = 60 * 60_000;
export const ESCALATION_FIRST_AFTER_MS = 60_000;

/**
 * Escalates overdue managers' investigations on a timer (`002 std 4.1`, issue 4 item 6), so that a Warden started
 * with `warden start` e-mails the assignee and the security specialists without anyone setting up cron. Each case
 * is escalated once per due date (or per repeat interval) whatever the run, and runs of several processes never
 * overlap (`escalateOverdue` takes an advisory lock). A failed run is reported and tried again at the next tick.
 * Returns a function that stops the timer and waits for a run under way.
 */
export function startEscalationSchedule(
  cases: CasesService,
  options: {
    intervalMs?: number;
    firstAfterMs?: number;
    onRun?: (result: Awaited<ReturnType<CasesService['escalateOverdue']>>) => void;
    onError?: (err: unknown) => void;
  } = {},
) {
  return repeat(async () => options.onRun?.(await cases.escalateOverdue(new Date())), {
    intervalMs: options.intervalMs ?? ESCALATION_INTERVAL_MS,
    firstAfterMs: options.firstAfterMs ?? ESCALATION_FIRST_AFTER_MS,
    onError: options.onError,
  });
}
