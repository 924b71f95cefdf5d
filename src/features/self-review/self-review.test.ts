import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { testApp } from '../../../test/app.ts';
import { organisation, user } from '../../../test/factories.ts';
import { main } from '../../cli.ts';
import type { Actor, Role } from '../../platform/access/roles.ts';
import { AppError } from '../../platform/errors.ts';
import { inScope } from '../../platform/tenancy.ts';
import { BUNDLED_FRAMEWORKS } from '../../standards/load.ts';

const t = await testApp();
const db = t.db;
const service = t.services.selfReview;
const orgA = await organisation(db.owner);
const orgB = await organisation(db.owner);

async function actor(role: Role, orgId: string | null, global = false): Promise<Actor> {
  const u = await user(db.owner, { roles: [[global ? null : orgId, role]] });
  return { kind: 'user', userId: u.id, name: 'Test', email: u.email, orgId, roles: global ? [] : [role], globalRoles: global ? [role] : [] };
}
const admin = await actor('administrator', null, true);
const lsms = await actor('security_specialist', orgA.id);
const smd = await actor('smd', orgA.id);
const board = await actor('board_viewer', orgA.id);
const reporter = await actor('reporter', orgA.id);
const lsmsB = await actor('security_specialist', orgB.id);

const rejects = async (p: Promise<unknown>, id: string, message?: RegExp) =>
  assert.rejects(p, (e: unknown) => e instanceof AppError && e.id === id && (!message || message.test(JSON.stringify([e.message, e.fields]))));
const audits = async (action: string) =>
  Number(
    (
      await db.owner
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('action', '=', action)
        .executeTakeFirstOrThrow()
    ).n,
  );

const text = await readFile(BUNDLED_FRAMEWORKS[0]!, 'utf8');
const loaded = await service.loadFramework(admin, text);

describe('standards frameworks in the database', () => {
  test('an administrator loads a framework version; it cannot be loaded twice; others cannot load', async () => {
    assert.equal(loaded.standards, 14);
    assert.equal(loaded.version, '2017-18');
    await rejects(service.loadFramework(admin, text), 'conflict');
    await rejects(service.loadFramework(lsms, text.replace('"2017-18"', '"2018-19"')), 'forbidden');
    await rejects(
      service.loadFramework(admin, text.replace('"weight": 1,', '"weight": "heavy",')),
      'validation',
      /line \d+, column \d+: standards\[0\]\.weight/,
    );
    const next = await service.loadFramework(admin, text.replace('"version": "2017-18"', '"version": "2018-19"'));
    assert.deepEqual(
      (await service.frameworks(lsms)).map((f) => f.version),
      ['2017-18', '2018-19'],
    );
    assert.notEqual(next.id, loaded.id);
    assert.equal(await audits('standards.load'), 2);
  });
});

describe('warden standards load FILE', () => {
  test('loads a valid framework file as a new version, refuses one already loaded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-standards-'));
    try {
      const file = join(dir, 'next.json');
      await writeFile(file, text.replace('"version": "2017-18"', '"version": "2019-20"'));
      const run = async (f: string) => {
        let out = '';
        let err = '';
        const code = await main(['standards', 'load', f], { out: (t) => (out += t), err: (t) => (err += t), env: { DATABASE_URL: db.url } });
        return { code, out, err };
      };
      const first = await run(file);
      assert.equal(first.code, 0, first.err);
      assert.match(first.out, /Loaded NHS Protect standards for commissioners: security management, version 2019-20: 14 standards/);
      const again = await run(file);
      assert.equal(again.code, 1);
      assert.match(again.err, /already loaded/);
      assert.ok((await service.frameworks(lsms)).some((f) => f.version === '2019-20'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('self review', () => {
  let reviewId = '';

  test('the LSMS starts a review for a year; one per organisation per year', async () => {
    reviewId = (await service.start(lsms, { year: '2026', frameworkVersionId: loaded.id })).id;
    await rejects(service.start(smd, { year: 2026, frameworkVersionId: loaded.id }), 'conflict');
    await rejects(service.start(board, { year: 2027, frameworkVersionId: loaded.id }), 'forbidden');
    await rejects(service.start(lsms, { year: 'soon', frameworkVersionId: loaded.id }), 'validation', /Enter a year/);
    const review = await service.get(board, reviewId);
    assert.equal(review.standards.length, 14);
    assert.deepEqual(review.progress, { rated: 0, toRate: 14, total: 14 });
    assert.equal(review.rollUp.overall.rating, null);
  });

  test('rating standards moves the roll-up and the progress, and each change is audited', async () => {
    await service.rate(lsms, reviewId, '4.1', { rating: 'green', comments: 'All cases closed within target; audit of timeliness in Q3.' });
    await service.addEvidence(lsms, reviewId, '4.1', { kind: 'outcome', label: 'Timeliness audit report', url: '/cases?overdue=1' });
    await service.rate(smd, reviewId, '4.2', { rating: 'red', comments: '' });
    let review = await service.get(board, reviewId);
    assert.deepEqual(review.progress, { rated: 2, toRate: 12, total: 14 });
    assert.equal(review.rollUp.keyAreas['hold-to-account']!.rating, 'amber');
    assert.equal(review.rollUp.overall.rating, 'amber');
    await service.rate(smd, reviewId, '4.2', { rating: 'green', comments: 'Sanctions policy evaluated in January.' });
    review = await service.get(board, reviewId);
    assert.equal(review.rollUp.keyAreas['hold-to-account']!.rating, 'green');
    const s41 = review.standards.find((s) => s.number === '4.1')!;
    assert.deepEqual(
      s41.evidence.map((e) => [e.kind, e.label, e.url]),
      [['outcome', 'Timeliness audit report', '/cases?overdue=1']],
    );
    assert.equal(await audits('review.rate'), 3);
    assert.equal(await audits('review.evidence_add'), 1);
  });

  test('the assessor checks flag ratings their evidence does not support (002 §3.16, §3.19)', async () => {
    const review = await service.get(lsms, reviewId);
    // 4.2 is green with comments but no evidence of outcomes; 4.1 is supported.
    assert.deepEqual(
      review.flags.map((f) => `${f.standard}:${f.code}`),
      ['4.2:green_without_outcomes'],
    );
  });

  test('amber is refused where the standard says it is not applicable (1.1, 1.3, 1.5)', async () => {
    await rejects(service.rate(lsms, reviewId, '1.3', { rating: 'amber', comments: 'x' }), 'validation', /Amber does not apply to standard 1\.3/);
    await rejects(service.rate(lsms, reviewId, '9.9', { rating: 'red' }), 'not_found');
    await rejects(service.addEvidence(lsms, reviewId, '4.1', { kind: 'output', label: 'x', url: 'javascript:alert(1)' }), 'validation', /https:\/\//);
  });

  test('a review is invisible and unchangeable outside its organisation, and to roles without access', async () => {
    await rejects(service.get(lsmsB, reviewId), 'not_found');
    await rejects(service.rate(lsmsB, reviewId, '4.1', { rating: 'red' }), 'not_found');
    await rejects(service.get(reporter, reviewId), 'forbidden');
    await rejects(service.rate(board, reviewId, '4.1', { rating: 'red' }), 'forbidden');
    assert.deepEqual(await service.list(lsmsB), []);
    assert.equal((await service.list(board)).length, 1);
    // Row-level security: organisation B's scope sees none of A's ratings even without a filter.
    const seen = await inScope(db.app, { orgId: orgB.id }, (tx) => tx.selectFrom('self_review_ratings').selectAll().execute());
    assert.equal(seen.length, 0);
  });
});
