/**
 * Runs `work` again and again in the background: first after `firstAfterMs` (default `intervalMs`), then
 * `intervalMs` after each run has ended, so runs never overlap. A run that fails goes to `onError` and the next
 * comes as usual. The timer does not keep the process alive. Returns a function that stops the repetition and
 * waits for a run under way. Used by `warden start` for the audit sealer and the overdue-case escalation.
 */
export function repeat(
  work: () => Promise<unknown>,
  options: { intervalMs: number; firstAfterMs?: number; onError?: (err: unknown) => void },
): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number) => {
    timer = setTimeout(tick, ms);
    timer.unref?.();
  };
  function tick() {
    if (stopped) return;
    running = work()
      .catch((err) => options.onError?.(err))
      .finally(() => {
        if (!stopped) schedule(options.intervalMs);
      });
  }
  schedule(options.firstAfterMs ?? options.intervalMs);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
