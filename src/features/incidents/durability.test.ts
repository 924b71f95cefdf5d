import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { organisation, user } from '../../../test/factories.ts';
import { openDatabase } from '../../db/database.ts';
import { freePort } from '../../db/embedded.ts';
import { verifyAuditChain } from '../audit/verify.ts';
import { tokensService } from '../tokens/service.ts';

/**
 * Durability (issue 4, "Proof"): incident submissions are sent concurrently to the real server (`warden start`,
 * embedded PostgreSQL, the default deployment) while it is killed with SIGKILL and restarted several times.
 * Each kill takes out the Node process AND the PostgreSQL server with all its backends at once (SIGKILL to the
 * postmaster's process group), as a power cut would: nothing gets to flush or shut down. Unacknowledged requests
 * are retried after restart with the same Idempotency-Key, as a client should. Afterwards every reference that
 * was acknowledged exists exactly once, with the key it was acknowledged for, no key made two incidents, and the
 * audit trail verifies.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = mkdtempSync(join(tmpdir(), 'warden-durability-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env: NodeJS.ProcessEnv = { ...process.env, WARDEN_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
// No DATABASE_URL: the server runs its own embedded PostgreSQL under WARDEN_DATA_DIR, as deployed by default.
delete env.DATABASE_URL;
delete env.WARDEN_BASE_URL;

let server: ChildProcess | undefined;

/** Starts `warden start` and waits until it answers. */
async function start(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'bin/warden.js'), 'start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`warden start exited (${child.exitCode}): ${output.slice(-2000)}`);
    if (output.includes('Warden is running')) break;
    if (Date.now() > deadline) throw new Error(`warden start did not come up within 30 s: ${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  server = child;
  return child;
}

const pgDir = join(dataDir, 'postgres', 'pg');
const postmaster = () => {
  const lines = readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n');
  return { pid: Number(lines[0]), port: Number(lines[3]) };
};

/** Power loss: SIGKILL Warden, and SIGKILL the PostgreSQL server's whole process group (postmaster and backends). */
async function crash(child: ChildProcess) {
  const { pid } = postmaster();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
  await exited;
  // Wait until every PostgreSQL process is gone, so the next start finds the data directory as a power cut left it.
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(-pid, 0);
      await new Promise((r) => setTimeout(r, 25));
    } catch {
      return;
    }
  }
}

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

const report = (n: number) =>
  JSON.stringify({
    category: 'physical_assault',
    occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
    locationKind: 'community',
    communityAddress: '12 Mill Lane, Testville',
    affected: [{ type: 'staff', name: 'Sam Carter', staffRole: 'Paramedic' }],
    assailants: [{ type: 'patient', description: 'Tall, grey coat' }],
    injured: false,
    medicalFactors: 'no',
    aggravatingFactors: [],
    policeInvolved: false,
    narrative: `Durability report number ${n}: the patient pushed the paramedic.`,
  });

test('acknowledged submissions survive SIGKILL of Warden and PostgreSQL, and retries never duplicate', { timeout: 120_000 }, async () => {
  // First run: migrate, then seed an organisation, a reporter and the reporter's API token through the database.
  let child = await start();
  const password = readFileSync(join(dataDir, 'postgres', 'credentials'), 'utf8').trim();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${postmaster().port}/warden`;
  let token: string;
  {
    const owner = openDatabase(url, { poolSize: 1 });
    const app = openDatabase(url, { asAppRole: true, poolSize: 1 });
    try {
      const org = await organisation(owner, { code: 'RDU', name: 'Durability NHS Trust' });
      const reporter = await user(owner, { roles: [[org.id, 'reporter']] });
      const actor = {
        kind: 'user' as const,
        userId: reporter.id,
        name: reporter.name,
        email: reporter.email,
        orgId: org.id,
        roles: ['reporter' as const],
        globalRoles: [],
      };
      ({ token } = await tokensService(app).createPersonal(actor, { name: 'Durability test', role: 'reporter', expiresIn: '30' }));
    } finally {
      await app.destroy();
      await owner.destroy();
    }
  }

  const bodies = new Map<string, string>();
  const acknowledged = new Map<string, string>(); // idempotency key → reference
  const pending: string[] = [];
  let made = 0;
  let replays = 0;
  let unacknowledged = 0;
  const send = async (key: string) => {
    const res = await fetch(`${base}/api/v1/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
      body: bodies.get(key) as string,
    });
    const text = await res.text();
    if (res.status !== 201 && res.status !== 200) throw new Error(`${res.status} ${text.slice(0, 200)}`);
    const reference = (JSON.parse(text) as { reference?: string }).reference;
    assert.match(reference ?? '', /^RDU-\d{4}-\d{6}$/);
    const before = acknowledged.get(key);
    if (before) assert.equal(reference, before, `key ${key} was acknowledged as ${before}, now as ${reference}`);
    if (res.status === 200) replays++;
    acknowledged.set(key, reference as string);
  };
  /** 32 clients: each sends unacknowledged keys first (retries), then new reports, until `stop` says so. */
  const clients = (stop: () => boolean, newReports: boolean) =>
    Promise.all(
      Array.from({ length: 32 }, async () => {
        while (!stop()) {
          let key = pending.shift();
          if (!key) {
            if (!newReports) return;
            key = randomUUID();
            bodies.set(key, report(made++));
          }
          try {
            await send(key);
          } catch (err) {
            if (err instanceof assert.AssertionError) throw err;
            unacknowledged++;
            pending.push(key); // no acknowledgement: connection refused or reset, or an error during the crash
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      }),
    );

  const ROUNDS = 4;
  for (let round = 0; round < ROUNDS; round++) {
    let killed = false;
    const load = clients(() => killed, true);
    // Kill mid-stream: once this round has had some acknowledgements, at a random moment after.
    const before = acknowledged.size;
    const roundStart = Date.now();
    while (acknowledged.size < before + 12 && Date.now() - roundStart < 15_000) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, Math.random() * 400));
    await crash(child);
    killed = true;
    await load;
    // Requests in flight at the kill are unacknowledged whatever happened to them: the clients retry them.
    child = await start();
    // Also replay some acknowledged keys: the same reference must come back, and nothing new be made.
    for (const key of [...acknowledged.keys()].slice(0, 5)) await send(key);
  }
  // Last run: retry everything still unacknowledged until it is.
  await clients(() => pending.length === 0, false);
  assert.equal(pending.length, 0);

  const owner = openDatabase(url.replace(/:\d+\/warden$/, `:${postmaster().port}/warden`), { poolSize: 1 });
  try {
    const rows = await owner.selectFrom('incidents').select(['reference', 'idempotency_key']).execute();
    const byReference = new Map(rows.map((r) => [r.reference, r.idempotency_key]));
    assert.ok(acknowledged.size >= ROUNDS * 12, `only ${acknowledged.size} submissions were acknowledged`);
    for (const [key, reference] of acknowledged)
      assert.equal(byReference.get(reference), key, `acknowledged ${reference} (key ${key}) is missing or has another key`);
    assert.equal(byReference.size, rows.length, 'a reference was stored twice');
    assert.equal(new Set(rows.map((r) => r.idempotency_key)).size, rows.length, 'an idempotency key made two incidents');
    // Every key sent was acknowledged in the end, so every stored incident is one of them: no strays either.
    assert.equal(rows.length, acknowledged.size);
    assert.ok(replays >= 1);
    assert.ok(unacknowledged >= ROUNDS, `the kills caught only ${unacknowledged} requests in flight`);
    // The audit trail written through the crashes seals and verifies.
    const audit = await verifyAuditChain(owner);
    assert.deepEqual(audit.problems, []);
    assert.ok(audit.count >= rows.length);
  } finally {
    await owner.destroy();
  }
});
