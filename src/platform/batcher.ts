/**
 * Sends work that arrives together to the database together, without waiting for it to arrive.
 *
 * Items are queued by key. A key with nothing in flight sends its queue at once (a lone request is never held
 * back); while a call for a key runs, items for that key wait and go together in the next call, up to `max`
 * at a time. Under load the calls grow to match it: each costs one round trip, one statement and one COMMIT
 * whatever its size. Different keys run independently.
 *
 * `run(key, items)` answers one result per item, in order. When a call with several items throws, each of them
 * is tried again alone (`run(key, [item])`), so one item's failure is that item's only; a call with one item
 * rejects that item's promise with the error.
 */
export function createBatcher<I, O>(run: (key: string, items: I[]) => Promise<O[]>, options: { max?: number } = {}) {
  const max = options.max ?? 64;
  type Waiting = { item: I; resolve: (o: O) => void; reject: (e: unknown) => void };
  const queues = new Map<string, Waiting[]>();
  const busy = new Set<string>();

  /**
   * Runs one call. The next call for the key is sent before this one's items are answered: answering runs each
   * item's request on to its response (serialising, writing to its socket), which would otherwise keep the
   * database idle for this key in between.
   */
  async function send(key: string, batch: Waiting[], next: () => void): Promise<void> {
    let out: O[];
    try {
      out = await run(
        key,
        batch.map((w) => w.item),
      );
      if (out.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${out.length} results`);
    } catch (err) {
      if (batch.length === 1) {
        next();
        (batch[0] as Waiting).reject(err);
      } else {
        await Promise.all(batch.map((w) => send(key, [w], () => {})));
        next();
      }
      return;
    }
    next();
    setImmediate(() => {
      batch.forEach((w, i) => {
        w.resolve(out[i] as O);
      });
    });
  }

  function drain(key: string): void {
    const queue = queues.get(key);
    if (!queue?.length) {
      queues.delete(key);
      busy.delete(key);
      return;
    }
    busy.add(key);
    const batch = queue.splice(0, max);
    void send(key, batch, () => drain(key));
  }

  return {
    /** Resolves with the item's result once the call that carried it has returned. */
    submit(key: string, item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        const queue = queues.get(key) ?? [];
        queue.push({ item, resolve, reject });
        queues.set(key, queue);
        if (!busy.has(key)) drain(key);
      });
    },
  };
}
