/**
 * The benchmarks' load generator, run in a worker thread so that the clients' own work (HTTP requests and
 * responses, PostgreSQL protocol) does not take the event loop of the server being measured, as real clients on
 * other machines would not. Plain JavaScript: it needs nothing of Warden's.
 *
 * Message in: { kind: 'http', address, path, headers: [...one set per client group], body, clients, seconds }
 *          or { kind: 'http-get', address, path, clients, seconds }  (expects 200)
 *          or { kind: 'pg', url, sql, params, clients, seconds }
 * Message out: { done, failures, elapsed, latencies (sorted, ms), firstError }
 */
import { randomUUID } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import pg from 'pg';

async function load(clients, seconds, once) {
  const latencies = [];
  let failures = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        if (await once(c)) latencies.push(performance.now() - t0);
        else failures++;
      }
    }),
  );
  return { done: latencies.length, failures, elapsed: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

parentPort.on('message', async (job) => {
  let firstError = '';
  if (job.kind === 'http-get') {
    const get = async () => {
      const res = await fetch(`${job.address}${job.path}`);
      await res.arrayBuffer();
      return res.status === 200;
    };
    await load(job.clients, job.warmup, get);
    parentPort.postMessage({ ...(await load(job.clients, job.seconds, get)), firstError });
  } else if (job.kind === 'http') {
    const submit = async (client) => {
      const headers = { ...job.headers[client % job.headers.length], 'idempotency-key': randomUUID() };
      const res = await fetch(`${job.address}${job.path}`, { method: 'POST', headers, body: job.body });
      const text = await res.text();
      if (res.status !== 201 && !firstError) firstError = `${res.status} ${text.slice(0, 300)}`;
      return res.status === 201;
    };
    await load(job.clients, job.warmup, submit);
    parentPort.postMessage({ ...(await load(job.clients, job.seconds, submit)), firstError });
  } else {
    const conns = await Promise.all(
      Array.from({ length: job.clients }, async () => {
        const c = new pg.Client(job.url);
        await c.connect();
        return c;
      }),
    );
    const insert = async (i) => {
      await conns[i].query(job.sql, job.params);
      return true;
    };
    await load(job.clients, job.warmup, insert);
    const result = await load(job.clients, job.seconds, insert);
    await Promise.all(conns.map((c) => c.end()));
    parentPort.postMessage({ ...result, firstError });
  }
});
