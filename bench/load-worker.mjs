/**
 * The benchmarks' load generator, run in a worker thread so that the clients' own work (HTTP requests and
 * responses, PostgreSQL protocol) does not take the event loop of the server being measured, as real clients on
 * other machines would not. Plain JavaScript: it needs nothing of Warden's.
 *
 * Message in: { kind: 'http', address, path, headers: [...one set per client group], body, clients, seconds }
 *          or { kind: 'http-get', address, path, clients, seconds }  (expects 200)
 *          or { kind: 'pg', url, sql, params, clients, seconds }
 * Message out: { done, failures, elapsed, latencies (sorted, ms), firstError }
 *
 * HTTP clients are plain keep-alive HTTP/1.1 over one socket each, as load tools like wrk are: `fetch` cost this
 * thread about a third of a core at 700 requests/s, CPU the server and PostgreSQL then lacked on a 2-core machine.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { parentPort } from 'node:worker_threads';
import pg from 'pg';

/**
 * One keep-alive HTTP/1.1 connection. `send(head, body)` writes a request and resolves with the response's status
 * and body text; responses must carry Content-Length (Fastify's JSON responses do). Reconnects if the server
 * closes the connection between requests.
 */
function connection(address) {
  const { hostname, port } = new URL(address);
  let socket;
  let pending = null;
  let buffer = Buffer.alloc(0);
  const open = () => {
    socket = connect({ host: hostname, port: Number(port), noDelay: true });
    socket.on('data', (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0 || !pending) return;
      const head = buffer.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      const body = buffer.toString('utf8', end + 4, end + 4 + length);
      buffer = buffer.subarray(end + 4 + length);
      const done = pending;
      pending = null;
      done.resolve({ status: Number(head.slice(9, 12)), body });
    });
    const fail = (err) => {
      socket = undefined;
      buffer = Buffer.alloc(0);
      if (pending) pending.reject(err ?? new Error('connection closed'));
      pending = null;
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  };
  return {
    send(head, body = '') {
      if (!socket) open();
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        socket.write(body ? head + body : head);
      });
    },
    close: () => socket?.end(),
  };
}

/** The request head for `method path`, with the given headers and a body of `length` bytes. */
function requestHead(address, method, path, headers, length) {
  const { host } = new URL(address);
  const lines = [`${method} ${path} HTTP/1.1`, `host: ${host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (method !== 'GET') lines.push(`content-length: ${length}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

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
  if (job.kind === 'http-get' || job.kind === 'http') {
    const conns = Array.from({ length: job.clients }, () => connection(job.address));
    const getHead = requestHead(job.address, 'GET', job.path, {}, 0);
    const length = job.body === undefined ? 0 : Buffer.byteLength(job.body);
    const once =
      job.kind === 'http-get'
        ? async (client) => (await conns[client].send(getHead)).status === 200
        : async (client) => {
            const headers = { ...job.headers[client % job.headers.length], 'idempotency-key': randomUUID() };
            const res = await conns[client].send(requestHead(job.address, 'POST', job.path, headers, length), job.body);
            if (res.status !== 201 && !firstError) firstError = `${res.status} ${res.body.slice(0, 300)}`;
            return res.status === 201;
          };
    await load(job.clients, job.warmup, once);
    const result = await load(job.clients, job.seconds, once);
    for (const c of conns) c.close();
    parentPort.postMessage({ ...result, firstError });
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
