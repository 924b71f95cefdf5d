import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { type TestDatabase, testDatabase } from '../../../test/db.ts';
import { main } from '../../cli.ts';
import type { Database } from '../../db/database.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { systemActor } from '../../platform/access/roles.ts';
import { audit } from '../../platform/audit.ts';
import { inScope } from '../../platform/tenancy.ts';
import { auditRepository } from './repository.ts';
import { auditEventHash, type ChainProblemKind, parseHead, verifyAuditChain, verifyAuditCommand } from './verify.ts';

const someone = (orgId: string | null): Actor => ({
  kind: 'user',
  userId: randomUUID(),
  name: 'Ada Example',
  email: 'ada@test.nhs.uk',
  orgId,
  roles: ['security_specialist'],
  globalRoles: [],
  requestId: `req-${randomUUID()}`,
});

/** Appends `n` events through the application role, as the running service does. Details vary so bytes matter. */
async function writeEvents(db: TestDatabase, n: number) {
  const org = randomUUID();
  for (let i = 0; i < n; i++) {
    await inScope(db.app, { all: true }, (tx) =>
      audit(tx, i % 3 === 0 ? systemActor : someone(org), {
        action: i % 2 ? 'site.update' : 'incident.read',
        orgId: i % 4 === 0 ? null : org,
        objectType: i % 5 === 0 ? undefined : 'site',
        objectId: i % 5 === 0 ? undefined : `obj|${i}`,
        outcome: i % 7 === 3 ? 'denied' : 'success',
        detail: { i, name: 'Zoë “quoted” | pipe \\ back', amount: 1.5, nested: { list: [1, 'two', null, { deep: true }] }, empty: {} },
      }),
    );
  }
}

/** A fresh database with a chain of `n` events, sealed (as `warden start` does every 200 ms). */
async function chain(n = 8) {
  const db = await testDatabase();
  await writeEvents(db, n);
  await auditRepository.seal(db.owner);
  return db;
}

/** Tampers as an attacker with the owner's rights would: switch the append-only triggers off, change rows, switch back. */
async function tamper(owner: Database, statements: ReturnType<typeof sql>[]) {
  await owner.transaction().execute(async (tx) => {
    await sql`ALTER TABLE audit_events DISABLE TRIGGER USER`.execute(tx);
    for (const s of statements) await s.execute(tx);
    await sql`ALTER TABLE audit_events ENABLE TRIGGER USER`.execute(tx);
  });
}

const kinds = (r: { problems: { kind: ChainProblemKind; seq: number }[] }) => r.problems.map((p) => `${p.kind}@${p.seq}`);

describe('audit chain verification', () => {
  test('the TypeScript hash equals the database hash for every event, byte for byte', async () => {
    const db = await chain(12);
    const rows = await auditRepository.chainBatch(db.owner, 0, 100);
    const fromSql = await sql<{ seq: number; h: string }>`select e.seq, warden_audit_hash(e) as h from audit_events e order by seq`.execute(db.owner);
    assert.equal(rows.length, 12);
    for (const [i, row] of rows.entries()) {
      assert.equal(auditEventHash(row), fromSql.rows[i]?.h, `event ${row.seq}`);
      assert.equal(auditEventHash(row), row.hash, `event ${row.seq}`);
    }
    // The bytes hashed include a non-ASCII detail and microsecond UTC time.
    assert.match(rows[1]?.detail_text ?? '', /Zoë/);
    assert.match(rows[0]?.at_text ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  test('a clean chain verifies, reports its head, and verifies again against that head', async () => {
    const db = await chain(8);
    const r = await verifyAuditChain(db.owner);
    assert.deepEqual(kinds(r), []);
    assert.equal(r.ok, true);
    assert.equal(r.count, 8);
    const last = await db.owner.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq', 'desc').executeTakeFirstOrThrow();
    assert.deepEqual(r.head, { seq: 8, hash: last.hash });
    // Later appends extend the chain; the head recorded earlier still matches.
    await writeEvents(db, 3);
    const again = await verifyAuditChain(db.owner, { expectedHead: r.head ?? undefined });
    assert.equal(again.ok, true);
    assert.equal(again.count, 11);
  });

  test('verification streams in batches: batch boundaries change nothing', async () => {
    const db = await testDatabase();
    // 3,001 events through the real chain trigger, in one statement.
    await sql`insert into audit_events (action, outcome, detail, prev_hash, hash)
              select 'bulk.event', 'success', jsonb_build_object('n', g), '', '' from generate_series(1, 3001) g`.execute(db.owner);
    for (const batchSize of [7, 1000, 3000, 3001, 5000]) {
      const r = await verifyAuditChain(db.owner, { batchSize });
      assert.equal(r.ok, true, `batch ${batchSize}: ${kinds(r).join(', ')}`);
      assert.equal(r.count, 3001);
      assert.equal(r.head?.seq, 3001);
    }
    await tamper(db.owner, [sql`update audit_events set detail = '{"n": 0}' where seq = 2000`]);
    for (const batchSize of [7, 1000, 1999, 2000]) assert.deepEqual(kinds(await verifyAuditChain(db.owner, { batchSize })), ['hash_mismatch@2000']);
  });

  test("editing an event's action is detected at that event", async () => {
    const db = await chain();
    await tamper(db.owner, [sql`update audit_events set action = 'nothing.happened' where seq = 4`]);
    const r = await verifyAuditChain(db.owner);
    assert.equal(r.ok, false);
    assert.deepEqual(kinds(r), ['hash_mismatch@4']);
    assert.match(r.problems[0]?.message ?? '', /event 4 \(nothing\.happened\) has been altered/);
  });

  test("editing an event's detail, outcome or time is detected at that event", async () => {
    const db = await chain();
    await tamper(db.owner, [
      sql`update audit_events set detail = detail || '{"i": 99}' where seq = 2`,
      sql`update audit_events set outcome = 'success' where seq = 4`,
      sql`update audit_events set at = at - interval '1 microsecond' where seq = 6`,
    ]);
    assert.deepEqual(kinds(await verifyAuditChain(db.owner)), ['hash_mismatch@2', 'hash_mismatch@4', 'hash_mismatch@6']);
  });

  test('editing an event and recomputing its own hash breaks the link from the next event', async () => {
    const db = await chain();
    await tamper(db.owner, [
      sql`update audit_events set action = 'nothing.happened' where seq = 5`,
      sql`update audit_events e set hash = warden_audit_hash(e) where seq = 5`,
    ]);
    const r = await verifyAuditChain(db.owner);
    // The content no longer matches the hash taken at insert either.
    assert.deepEqual(kinds(r), ['content_mismatch@5', 'broken_link@6']);
    assert.match(r.problems[1]?.message ?? '', /event 6 does not follow event 5/);
  });

  test('deleting an event in the middle is detected as a gap', async () => {
    const db = await chain();
    await tamper(db.owner, [sql`delete from audit_events where seq = 3`]);
    const r = await verifyAuditChain(db.owner);
    assert.deepEqual(kinds(r), ['gap@3']);
    assert.match(r.problems[0]?.message ?? '', /event 3 is missing/);
  });

  test('deleting the first event is detected', async () => {
    const db = await chain();
    await tamper(db.owner, [sql`delete from audit_events where seq = 1`]);
    assert.deepEqual(kinds(await verifyAuditChain(db.owner)), ['gap@1']);
  });

  test('reordering two events (swapping their positions) is detected', async () => {
    const db = await chain();
    await tamper(db.owner, [
      sql`update audit_events set seq = -1 where seq = 3`,
      sql`update audit_events set seq = 3 where seq = 5`,
      sql`update audit_events set seq = 5 where seq = -1`,
    ]);
    const r = await verifyAuditChain(db.owner);
    assert.equal(r.ok, false);
    // Both moved events hash differently at their new positions, and the chain no longer links around them.
    for (const k of ['hash_mismatch@3', 'hash_mismatch@5', 'broken_link@3', 'broken_link@4', 'broken_link@5', 'broken_link@6'])
      assert.ok(kinds(r).includes(k), `${k} in ${kinds(r).join(', ')}`);
  });

  test('truncating the tail looks intact on its own, and is detected against the head recorded earlier', async () => {
    const db = await chain(8);
    const recorded = (await verifyAuditChain(db.owner)).head;
    assert.ok(recorded);
    await tamper(db.owner, [sql`delete from audit_events where seq > 5`]);
    const alone = await verifyAuditChain(db.owner);
    assert.equal(alone.ok, true, 'a truncated tail is a valid, shorter chain');
    assert.equal(alone.head?.seq, 5);
    const r = await verifyAuditChain(db.owner, { expectedHead: recorded });
    assert.equal(r.ok, false);
    assert.deepEqual(kinds(r), ['missing_head@8']);
    assert.match(r.problems[0]?.message ?? '', /no longer exists: the trail now ends at event 5/);
  });

  test('truncating the tail and appending new events in its place is detected against the recorded head', async () => {
    const db = await chain(8);
    const recorded = (await verifyAuditChain(db.owner)).head ?? undefined;
    await tamper(db.owner, [sql`delete from audit_events where seq > 5`]);
    await writeEvents(db, 4); // the sealer carries on from event 5: a self-consistent rewrite
    assert.equal((await verifyAuditChain(db.owner)).ok, true);
    assert.deepEqual(kinds(await verifyAuditChain(db.owner, { expectedHead: recorded })), ['head_mismatch@8']);
  });

  test('truncating everything is detected against the recorded head', async () => {
    const db = await chain(8);
    const recorded = (await verifyAuditChain(db.owner)).head ?? undefined;
    await tamper(db.owner, [sql`delete from audit_events`]);
    const alone = await verifyAuditChain(db.owner);
    assert.deepEqual({ ok: alone.ok, count: alone.count, head: alone.head }, { ok: true, count: 0, head: null });
    const r = await verifyAuditChain(db.owner, { expectedHead: recorded });
    assert.deepEqual(kinds(r), ['missing_head@8']);
    assert.match(r.problems[0]?.message ?? '', /trail now ends at no event at all/);
  });

  test('problems beyond the limit are counted, not listed', async () => {
    const db = await chain(8);
    await tamper(db.owner, [sql`update audit_events set action = 'x'`]);
    const r = await verifyAuditChain(db.owner, { maxProblems: 3 });
    assert.equal(r.ok, false);
    assert.equal(r.problems.length, 3);
    assert.equal(r.moreProblems, 5);
  });
});

describe('the audit trail is append-only in the database', () => {
  test('the application role cannot update, delete or truncate events', async () => {
    const db = await chain(3);
    const attempts = [sql`update audit_events set action = 'x' where seq = 1`, sql`delete from audit_events where seq = 1`, sql`truncate audit_events`];
    for (const attempt of attempts)
      await assert.rejects(
        inScope(db.app, { all: true }, (tx) => attempt.execute(tx)),
        /permission denied|append-only/,
      );
    assert.equal((await verifyAuditChain(db.owner)).count, 3);
  });

  test('the owner is refused too, unless the triggers are switched off first', async () => {
    const db = await chain(3);
    await assert.rejects(sql`update audit_events set action = 'x' where seq = 1`.execute(db.owner), /append-only: UPDATE is not allowed/);
    await assert.rejects(sql`delete from audit_events where seq = 1`.execute(db.owner), /append-only: DELETE is not allowed/);
    await assert.rejects(sql`truncate audit_events`.execute(db.owner), /append-only: TRUNCATE is not allowed/);
    const r = await verifyAuditChain(db.owner);
    assert.equal(r.ok, true);
    assert.equal(r.count, 3);
  });

  test('an inserted event cannot choose its own position, time or hash', async () => {
    const db = await chain(3);
    await inScope(db.app, { all: true }, (tx) =>
      tx
        .insertInto('audit_events')
        .values({ seq: 1, at: new Date(0), action: 'forged', outcome: 'success', detail: '{}', prev_hash: 'f'.repeat(64), hash: 'f'.repeat(64) } as never)
        .execute(),
    );
    const unsealed = await db.owner.selectFrom('audit_events').select(['seq', 'prev_hash', 'hash']).where('action', '=', 'forged').executeTakeFirstOrThrow();
    assert.deepEqual(unsealed, { seq: null, prev_hash: null, hash: null });
    await auditRepository.seal(db.owner);
    const forged = await db.owner.selectFrom('audit_events').select(['seq', 'at', 'hash']).where('action', '=', 'forged').executeTakeFirstOrThrow();
    assert.equal(forged.seq, 4);
    assert.notEqual(forged.hash, 'f'.repeat(64));
    assert.ok(forged.at.getTime() > Date.now() - 60_000);
    assert.equal((await verifyAuditChain(db.owner)).ok, true);
  });
});

describe('sealing: events are written unsealed and chained after commit', () => {
  test('verification seals committed events first, in the order they were written', async () => {
    const db = await testDatabase();
    await writeEvents(db, 5);
    const before = await db.owner.selectFrom('audit_events').select('seq').execute();
    assert.deepEqual(
      before.map((r) => r.seq),
      [null, null, null, null, null],
    );
    const r = await verifyAuditChain(db.owner);
    assert.deepEqual(kinds(r), []);
    assert.deepEqual({ sealed: r.sealed, count: r.count, unsealed: r.unsealed }, { sealed: 5, count: 5, unsealed: 0 });
    const rows = await db.owner.selectFrom('audit_events').select(['id', 'seq']).orderBy('id').execute();
    assert.deepEqual(
      rows.map((x) => x.seq),
      [1, 2, 3, 4, 5],
    );
    // Sealing again changes nothing; new events continue the chain.
    assert.equal(await auditRepository.seal(db.owner), 0);
    await writeEvents(db, 2);
    const again = await verifyAuditChain(db.owner, { expectedHead: r.head ?? undefined });
    assert.deepEqual({ ok: again.ok, sealed: again.sealed, count: again.count }, { ok: true, sealed: 2, count: 7 });
  });

  test('audited transactions do not wait for each other: an open one does not block another, and is sealed once committed', async () => {
    const db = await chain(2);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const insertedP = new Promise<void>((r) => (inserted = r));
    const slow = inScope(db.app, { all: true }, async (tx) => {
      await audit(tx, systemActor, { action: 'slow.one' });
      inserted();
      await held;
    });
    await insertedP;
    // Before sealing, the old trigger's lock would make this wait for `slow` to commit.
    const quick = inScope(db.app, { all: true }, (tx) => audit(tx, systemActor, { action: 'quick.one' }));
    const outcome = await Promise.race([quick.then(() => 'committed'), new Promise((r) => setTimeout(() => r('blocked'), 2000))]);
    assert.equal(outcome, 'committed');
    // The sealer sees only committed events: the open transaction's event waits for the next run.
    assert.equal(await auditRepository.seal(db.owner), 1);
    release();
    await slow;
    assert.equal(await auditRepository.seal(db.owner), 1);
    const r = await verifyAuditChain(db.owner);
    assert.deepEqual({ ok: r.ok, count: r.count }, { ok: true, count: 4 });
    const order = await db.owner.selectFrom('audit_events').select(['action']).where('seq', '>', 2).orderBy('seq').execute();
    assert.deepEqual(
      order.map((x) => x.action),
      ['quick.one', 'slow.one'],
    );
  });

  test('an unsealed event altered before sealing is detected by its content hash, before and after sealing', async () => {
    const db = await chain(3);
    await writeEvents(db, 2);
    await tamper(db.owner, [sql`update audit_events set action = 'nothing.happened' where id = (select max(id) from audit_events)`]);
    const before = await verifyAuditChain(db.owner, { seal: false });
    assert.equal(before.ok, false);
    assert.deepEqual(
      before.problems.map((p) => p.kind),
      ['content_mismatch'],
    );
    assert.match(before.problems[0]?.message ?? '', /unsealed event id \d+ \(nothing\.happened\) has been altered/);
    // Sealing chains the altered content, but the hash taken at insert still tells.
    const after = await verifyAuditChain(db.owner);
    assert.deepEqual(kinds(after), ['content_mismatch@5']);
  });

  test('an event left unsealed past the grace period is reported', async () => {
    const db = await chain(2);
    await writeEvents(db, 1);
    const r = await verifyAuditChain(db.owner, { seal: false, unsealedGraceSeconds: -1 });
    assert.deepEqual(
      r.problems.map((p) => p.kind),
      ['unsealed'],
    );
    assert.equal((await verifyAuditChain(db.owner, { seal: false })).ok, true, 'a moment-old unsealed event is normal');
  });

  test('only a correct one-time seal may update an event: no re-sealing, no forged seal, no other column', async () => {
    const db = await chain(2);
    await writeEvents(db, 1);
    const id = (await db.owner.selectFrom('audit_events').select('id').where('seq', 'is', null).executeTakeFirstOrThrow()).id;
    const sealing = (statement: ReturnType<typeof sql>) =>
      db.owner.transaction().execute(async (tx) => {
        await sql`select set_config('warden.audit_sealing', 'on', true)`.execute(tx);
        await statement.execute(tx);
      });
    const last = await db.owner.selectFrom('audit_events').select('hash').where('seq', '=', 2).executeTakeFirstOrThrow();
    // A wrong hash, a wrong link, a gap, an extra column changed, and plain updates outside the sealer: refused.
    for (const attempt of [
      sql`update audit_events set seq = 3, prev_hash = ${last.hash}, hash = ${'f'.repeat(64)} where id = ${id}`,
      sql`update audit_events e set seq = 3, prev_hash = ${'e'.repeat(64)}, hash = warden_audit_hash((e.id, 3, e.at, e.actor_id, e.org_id, e.action, e.object_type, e.object_id, e.outcome, e.request_id, e.detail, ${'e'.repeat(64)}, null, e.row_hash)::audit_events) where id = ${id}`,
      sql`update audit_events e set seq = 9, prev_hash = ${last.hash}, hash = warden_audit_hash((e.id, 9, e.at, e.actor_id, e.org_id, e.action, e.object_type, e.object_id, e.outcome, e.request_id, e.detail, ${last.hash}, null, e.row_hash)::audit_events) where id = ${id}`,
      sql`update audit_events set action = 'x' where id = ${id}`,
      sql`update audit_events set seq = null, prev_hash = null, hash = null where seq = 2`,
    ])
      await assert.rejects(sealing(attempt), /append-only: UPDATE is not allowed/);
    await assert.rejects(sql`update audit_events set action = 'x' where id = ${id}`.execute(db.owner), /append-only: UPDATE is not allowed/);
    // The application role may run the sealer, but not update events itself.
    await assert.rejects(
      inScope(db.app, { all: true }, (tx) => sql`update audit_events set action = 'x' where id = ${id}`.execute(tx)),
      /permission denied|append-only/,
    );
    assert.equal(await auditRepository.seal(db.app), 1);
    assert.equal((await verifyAuditChain(db.owner)).ok, true);
  });
  test('a seal is checked as a whole statement: one wrong event among several leaves all of them unsealed', async () => {
    const db = await chain(2);
    await writeEvents(db, 2);
    const [first, second] = (await db.owner.selectFrom('audit_events').select('id').where('seq', 'is', null).orderBy('id').execute()).map((r) => r.id);
    const last = await db.owner.selectFrom('audit_events').select('hash').where('seq', '=', 2).executeTakeFirstOrThrow();
    // The first event sealed correctly after seq 2, the second with a forged link and hash.
    const statement = sql`update audit_events e set seq = case when e.id = ${first} then 3 else 4 end,
      prev_hash = case when e.id = ${first} then ${last.hash} else ${'d'.repeat(64)} end,
      hash = case when e.id = ${first}
        then warden_audit_hash((e.id, 3, e.at, e.actor_id, e.org_id, e.action, e.object_type, e.object_id, e.outcome, e.request_id, e.detail, ${last.hash}, null, e.row_hash)::audit_events)
        else ${'d'.repeat(64)} end
      where e.id in (${first}, ${second})`;
    await assert.rejects(
      db.owner.transaction().execute(async (tx) => {
        await sql`select set_config('warden.audit_sealing', 'on', true)`.execute(tx);
        await statement.execute(tx);
      }),
      new RegExp(`append-only: UPDATE is not allowed \\(event id ${second} `),
    );
    const unsealed = await db.owner.selectFrom('audit_events').select('id').where('seq', 'is', null).orderBy('id').execute();
    assert.deepEqual(
      unsealed.map((r) => r.id),
      [first, second],
    );
    // The sealer seals both in one statement, each linked to the one before.
    assert.equal(await auditRepository.seal(db.owner), 2);
    const r = await verifyAuditChain(db.owner);
    assert.equal(r.ok, true);
    assert.equal(r.count, 4);
  });
});

describe('warden verify-audit', () => {
  const run = async (db: Database, args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await verifyAuditCommand(db, args, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  test('prints the head and exits 0 on an intact trail; exits 1 with each problem on a broken one', async () => {
    const db = await chain(6);
    const ok = await run(db.owner, []);
    assert.equal(ok.code, 0);
    const m = /^audit trail OK: 6 events, head (6:[0-9a-f]{64})$/.exec(ok.out);
    assert.ok(m?.[1], ok.out);
    assert.equal((await run(db.owner, ['--head', m[1]])).code, 0);
    assert.equal((await run(db.owner, [`--head=${m[1]}`])).code, 0);

    await tamper(db.owner, [sql`delete from audit_events where seq = 2`, sql`delete from audit_events where seq = 6`]);
    const broken = await run(db.owner, ['--head', m[1]]);
    assert.equal(broken.code, 1);
    assert.match(broken.err, /^gap at event 2: event 2 is missing$/m);
    assert.match(broken.err, /^missing_head at event 6: /m);
    assert.match(broken.err, /audit trail BROKEN: 2 problems in 4 events, head 5:/);
  });

  test('refuses a malformed head with exit status 2', async () => {
    const db = await chain(1);
    for (const args of [['--head', 'nonsense'], ['--head'], ['--head', '0:'.padEnd(66, 'a')], ['--frobnicate']]) {
      const r = await run(db.owner, args);
      assert.equal(r.code, 2, args.join(' '));
      assert.notEqual(r.err, '');
    }
  });

  test('runs from the command line against a database, as `warden verify-audit`', async () => {
    const db = await chain(4);
    const warden = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env: { DATABASE_URL: db.url } });
      return { code, out, err };
    };
    const help = await warden('verify-audit', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: warden verify-audit \[--head SEQ:HASH\]/);
    const ok = await warden('verify-audit');
    assert.equal(ok.code, 0, ok.err);
    const head = /head (4:[0-9a-f]{64})$/m.exec(ok.out)?.[1];
    assert.ok(head, ok.out);
    await tamper(db.owner, [sql`delete from audit_events where seq = 4`]);
    assert.equal((await warden('verify-audit')).code, 0, 'a truncated tail alone looks intact');
    const broken = await warden('verify-audit', '--head', head);
    assert.equal(broken.code, 1);
    assert.match(broken.err, /^missing_head at event 4: /m);
  });

  test('parses SEQ:HASH heads', () => {
    const hash = 'AB'.repeat(32);
    assert.deepEqual(parseHead(`12:${hash}`), { seq: 12, hash: hash.toLowerCase() });
    assert.equal(parseHead(`12:${hash.slice(2)}`), undefined);
    assert.equal(parseHead(`0:${hash}`), undefined);
    assert.equal(parseHead('x:y'), undefined);
  });
});
