import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { memberOf, testApp } from '../../../test/app.ts';
import { caseInvestigation, incident, organisation, site, user } from '../../../test/factories.ts';
import { PERSONAL_FIELDS, personalFieldsFor, redactIncident, roleMaySeePersonalData } from '../../domain/personal-data.ts';
import type { Actor } from '../../platform/access/roles.ts';
import { parseCsv } from '../../platform/csv.ts';
import { AppError } from '../../platform/errors.ts';
import { casesListService } from './service.ts';

const t = await testApp();
const db = t.db.owner;
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

const auditEvents = (action: string, orgId: string) =>
  db
    .selectFrom('audit_events')
    .select(['object_id', 'object_type', 'detail', 'actor_id', 'request_id'])
    .where('action', '=', action)
    .where('org_id', '=', orgId)
    .orderBy('id')
    .execute();

// Known data: three cases in organisation A (two sites, one named like a formula), one in organisation B.
const orgA = await organisation(db);
const orgB = await organisation(db);
const north = await site(db, { orgId: orgA.id, name: 'North Hospital' });
const evil = await site(db, { orgId: orgA.id, name: '+Evil site' });
const assault = await incident(db, {
  orgId: orgA.id,
  siteId: north.id,
  category: 'physical_assault',
  status: 'reported',
  occurredAt: daysAgo(41),
  reportedAt: daysAgo(40),
  narrative: 'The patient punched the nurse with a clenched fist near the pharmacy.',
  crimeReference: 'CR/2026/77',
  policeAttended: true,
  medicalFactors: 'yes',
  people: [
    { involvement: 'affected', type: 'staff', name: 'Nora Nightingale' },
    { involvement: 'assailant', type: 'patient', name: 'Alex Smith', dateOfBirth: '1980-03-27' },
  ],
});
await db
  .updateTable('incidents')
  .set({ location_detail: 'Bay 4, beside bed 12', injured: true, injury_description: 'Bruised cheek' })
  .where('id', '=', assault.id)
  .execute();
const theft = await incident(db, {
  orgId: orgA.id,
  siteId: evil.id,
  category: 'theft',
  status: 'closed',
  occurredAt: daysAgo(61),
  reportedAt: daysAgo(60),
  narrative: 'A laptop was stolen from the ward office overnight.',
});
const abuse = await incident(db, {
  orgId: orgA.id,
  siteId: north.id,
  category: 'non_physical_assault',
  status: 'triaged',
  occurredAt: daysAgo(3),
  reportedAt: daysAgo(2),
  narrative: '@SUM(1+1) a visitor shouted abuse at the receptionist',
  late: true,
});
const elsewhere = await incident(db, { orgId: orgB.id, narrative: 'The patient punched a porter.' });

const lsms = await memberOf(t, 'security_specialist', orgA);
const smd = await memberOf(t, 'smd', orgA);

type Page = { total: number; hasNext: boolean; personalData: boolean; cases: { reference: string; overdue: boolean; late: boolean; personal?: unknown }[] };
const api = async (client: typeof lsms.client, query: string) => {
  const res = await client.get(`/api/v1/cases${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Page;
};
const refs = (p: Page) => p.cases.map((c) => c.reference);

describe('case list filters and search', () => {
  test('the security specialist sees every case of the acting organisation, newest reported first, and never another organisation’s', async () => {
    const page = await api(lsms.client, '');
    assert.deepEqual(refs(page), [abuse.reference, assault.reference, theft.reference]);
    assert.equal(page.total, 3);
    assert.ok(!refs(page).includes(elsewhere.reference));
    const oldest = await api(lsms.client, '?sort=oldest');
    assert.deepEqual(refs(oldest), [theft.reference, assault.reference, abuse.reference]);
  });

  test('status, category and site filters narrow the list', async () => {
    assert.deepEqual(refs(await api(lsms.client, '?status=closed')), [theft.reference]);
    assert.deepEqual(refs(await api(lsms.client, '?category=physical_assault')), [assault.reference]);
    assert.deepEqual(refs(await api(lsms.client, `?site=${north.id}`)), [abuse.reference, assault.reference]);
  });

  test('overdue lists open cases reported more than 30 days ago, not closed ones', async () => {
    const page = await api(lsms.client, '?overdue=1');
    assert.deepEqual(refs(page), [assault.reference]);
    assert.equal(page.cases[0]?.overdue, true);
  });

  test("003 §7.5: investigating lists open cases whose manager's investigation is assigned and not completed; a bad value changes nothing", async () => {
    const org = await organisation(db);
    const specialist = await memberOf(t, 'security_specialist', org);
    const at = async (status: 'under_investigation' | 'awaiting_decision' | 'closed' | 'triaged', completedAt: Date | null | 'none') => {
      const c = await incident(db, { orgId: org.id, status });
      if (completedAt !== 'none') await caseInvestigation(db, { orgId: org.id, incidentId: c.id, dueOn: '2099-01-01', completedAt });
      return c;
    };
    const toDo = await at('under_investigation', null);
    await at('awaiting_decision', new Date()); // completed
    await at('closed', null); // closed without completing it: no longer anyone's work
    await at('triaged', 'none'); // none assigned
    assert.deepEqual(refs(await api(specialist.client, '?investigating=1')), [toDo.reference]);
    assert.equal((await api(specialist.client, '?investigating=0')).total, 4);
    const bad = await specialist.client.get('/api/v1/cases?investigating=maybe');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Investigation not completed must be 1/);
    const page = await specialist.client.get('/cases?investigating=1');
    assert.match(page.body, /name="investigating" type="checkbox" value="1" checked/);
  });

  test('the date range bounds the date the incident occurred, inclusive', async () => {
    assert.deepEqual(refs(await api(lsms.client, `?from=${isoDay(daysAgo(45))}&to=${isoDay(daysAgo(35))}`)), [assault.reference]);
    assert.deepEqual(refs(await api(lsms.client, `?from=${isoDay(daysAgo(3))}`)), [abuse.reference]);
  });

  test('full-text search finds narratives by word stem and phrase, and excludes words with a minus', async () => {
    assert.deepEqual(refs(await api(lsms.client, '?q=punch')), [assault.reference]);
    assert.deepEqual(refs(await api(lsms.client, `?q=${encodeURIComponent('"clenched fist"')}`)), [assault.reference]);
    assert.deepEqual(refs(await api(lsms.client, `?q=${encodeURIComponent('stolen laptops')}`)), [theft.reference]);
    assert.deepEqual(refs(await api(lsms.client, `?q=${encodeURIComponent('patient -pharmacy')}`)), []);
    assert.deepEqual(refs(await api(lsms.client, `?q=punched&category=theft`)), []);
  });

  test('the list is paginated 50 at a time', async () => {
    const org = await organisation(db);
    const s = await site(db, { orgId: org.id });
    const reporter = await user(db, { roles: [[org.id, 'reporter']] });
    for (let i = 0; i < 52; i++) await incident(db, { orgId: org.id, siteId: s.id, reportedBy: reporter.id, reportedAt: daysAgo(i) });
    const { client } = await memberOf(t, 'security_specialist', org);
    const first = await api(client, '');
    assert.equal(first.cases.length, 50);
    assert.equal(first.total, 52);
    assert.equal(first.hasNext, true);
    const second = await api(client, '?page=2');
    assert.equal(second.cases.length, 2);
    assert.equal(second.hasNext, false);
    const html = await client.get('/cases?page=1');
    assert.match(html.body, /href="\/cases\?page=2"/);
    // Issue 4 item 13: past the end, the real total and a way back.
    const past = await api(client, '?page=5');
    assert.deepEqual([past.total, past.cases.length, past.hasNext], [52, 0, false]);
    const pastHtml = await client.get('/cases?page=5&sort=oldest');
    assert.equal(pastHtml.statusCode, 200);
    assert.match(
      pastHtml.body,
      /There are no cases on page 5\. 52 cases match these filters, on 2 pages\. <a href="\/cases\?sort=oldest&amp;page=2">Go to page 2<\/a>/,
    );
  });

  test('the page is a GET form with labelled filters, a captioned table and links to the cases', async () => {
    const res = await lsms.client.get(`/cases?category=physical_assault`);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<form method="get" action="\/cases"/);
    for (const id of ['q', 'status', 'category', 'site', 'from', 'to', 'sort']) assert.match(res.body, new RegExp(`<label[^>]*for="${id}"`));
    assert.match(res.body, /<caption[^>]*>\s*Cases 1 to 1 of 1/);
    assert.match(res.body, new RegExp(`href="/cases/${assault.id}">${assault.reference}<`));
    assert.match(res.body, /href="\/cases\/export\?category=physical_assault&amp;format=csv"/);
  });

  test('bad filters show an error summary on the page (400) and a problem in the API (400)', async () => {
    const page = await lsms.client.get('/cases?status=lost&from=2026-13-01&site=nope&page=0');
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /There is a problem/);
    assert.match(page.body, /Select a status from the list/);
    assert.match(page.body, /Date from must be a real date/);
    assert.match(page.body, /Select a site from the list/);
    const res = await lsms.client.get(`/api/v1/cases?from=${isoDay(daysAgo(1))}&to=${isoDay(daysAgo(5))}`);
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /Date to must be the same as or after date from/);
    assert.equal((await lsms.client.get(`/api/v1/cases?q=${'x'.repeat(201)}`)).statusCode, 400);
  });
});

describe('who sees which cases and which personal data', () => {
  test('the security specialist sees personal data, and each case whose personal data is read is audited', async () => {
    const before = (await auditEvents('incident.read_personal', orgA.id)).length;
    const page = await api(lsms.client, '?category=physical_assault');
    assert.equal(page.personalData, true);
    const personal = page.cases[0]?.personal as {
      affected: { name: string }[];
      assailants: { name: string; dateOfBirth: string }[];
      crimeReference: string;
      narrative: string;
    };
    assert.equal(personal.assailants[0]?.name, 'Alex Smith');
    assert.equal(personal.assailants[0]?.dateOfBirth, '1980-03-27');
    assert.equal(personal.crimeReference, 'CR/2026/77');
    assert.match(personal.narrative, /clenched fist/);
    const events = await auditEvents('incident.read_personal', orgA.id);
    assert.equal(events.length, before + 1);
    assert.ok(events.some((e) => e.object_id === assault.id && e.actor_id === lsms.user.id));
    const html = await lsms.client.get('/cases?q=pharmacy');
    assert.match(html.body, /clenched fist/);
    assert.match(
      html.body,
      new RegExp(`<td class="[^"]*warden-nowrap[^"]*"[^>]*>[\\s\\S]*?<a href="/cases/${assault.id}">${assault.reference}</a>`),
      'the reference is kept on one line',
    );
  });

  test('the SMD sees case facts without identities, narratives or police details, and no personal read is audited', async () => {
    const before = (await auditEvents('incident.read_personal', orgA.id)).length;
    const page = await api(smd.client, '');
    assert.deepEqual(refs(page), [abuse.reference, assault.reference, theft.reference]);
    assert.equal(page.personalData, false);
    assert.ok(page.cases.every((c) => c.personal === undefined));
    const raw = JSON.stringify(page);
    for (const secret of ['Alex Smith', 'Nora', '1980-03-27', 'CR/2026/77', 'clenched']) assert.ok(!raw.includes(secret), secret);
    const html = await smd.client.get('/cases');
    assert.equal(html.statusCode, 200);
    assert.ok(!html.body.includes('clenched'));
    assert.equal((await auditEvents('incident.read_personal', orgA.id)).length, before);
  });

  test('a reporter, a board member, a commissioner and anonymous callers cannot list or export cases', async () => {
    for (const role of ['reporter', 'board_viewer', 'commissioner', 'administrator'] as const) {
      const { client } = await memberOf(t, role, orgA);
      for (const url of ['/cases', '/api/v1/cases', '/cases/export?format=csv']) assert.equal((await client.get(url)).statusCode, 403, `${role} ${url}`);
    }
    const anon = await t.app.inject({ method: 'GET', url: '/api/v1/cases' });
    assert.equal(anon.statusCode, 401);
  });

  test('a security specialist of another organisation sees only that organisation’s cases', async () => {
    const { client } = await memberOf(t, 'security_specialist', orgB);
    assert.deepEqual(refs(await api(client, '')), [elsewhere.reference]);
  });

  test('the rule in one place: who sees which personal fields', () => {
    assert.equal(personalFieldsFor({ roles: ['security_specialist'] }).size, PERSONAL_FIELDS.length);
    assert.equal(personalFieldsFor({ roles: ['manager'] }).size, 0);
    assert.equal(personalFieldsFor({ roles: ['manager'], isAssignedManager: true }).size, PERSONAL_FIELDS.length);
    assert.equal(personalFieldsFor({ roles: ['reporter'], isReporter: true }).size, PERSONAL_FIELDS.length);
    for (const role of ['smd', 'board_viewer', 'commissioner', 'national_assessor', 'administrator'] as const)
      assert.equal(personalFieldsFor({ roles: [role] }).size, 0, role);
    assert.equal(roleMaySeePersonalData(['smd', 'board_viewer']), false);
    const redacted = redactIncident(
      {
        affected: [{ name: 'A', dateOfBirth: '1990-01-01', description: 'd', staffRole: 'Nurse' }],
        assailants: [{ name: 'B', dateOfBirth: null, description: 'tall' }],
        police: { officerName: 'PC', officerNumber: '1', station: 'S', crimeReference: 'CR', cadNumber: 'C' },
        narrative: 'text',
        witnesses: 'W',
      },
      new Set(),
    );
    assert.deepEqual(redacted, {
      affected: [{ name: null, dateOfBirth: null, description: null, staffRole: null }],
      assailants: [{ name: null, dateOfBirth: null, description: null, staffRole: null }],
      police: { officerName: null, officerNumber: null, station: null, crimeReference: null, cadNumber: null },
      narrative: null,
      witnesses: null,
    });
  });
});

describe('exports', () => {
  const csvOf = async (client: typeof lsms.client, query: string) => {
    const res = await client.get(`/cases/export?format=csv${query}`);
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /text\/csv/);
    assert.match(String(res.headers['content-disposition']), /attachment; filename="cases-\d{4}-\d{2}-\d{2}\.csv"/);
    return parseCsv(res.body).map((r) => r.cells);
  };
  const xlsxOf = async (client: typeof lsms.client, query: string) => {
    const res = await client.get(`/cases/export?format=xlsx${query}`);
    assert.equal(res.statusCode, 200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    assert.ok(ws);
    const rows: { value: unknown; type: number }[][] = [];
    ws.eachRow((row) => {
      const cells: { value: unknown; type: number }[] = [];
      row.eachCell({ includeEmpty: true }, (c) => cells.push({ value: c.value, type: c.type }));
      rows.push(cells);
    });
    return rows;
  };

  test('the SMD’s CSV holds the filtered cases’ facts and no personal data, with formula-like cells escaped', async () => {
    const [header, ...rows] = await csvOf(smd.client, '');
    assert.deepEqual(header, [
      'Reference',
      'Occurred (UK time)',
      'Reported (UK time)',
      'Category',
      'Status',
      'Site',
      'Department',
      'Reported late',
      'Overdue',
      'Medical factors',
      'Police attended',
    ]);
    assert.deepEqual(
      rows.map((r) => r[0]),
      [abuse.reference, assault.reference, theft.reference],
    );
    const theftRow = rows.find((r) => r[0] === theft.reference);
    assert.equal(theftRow?.[5], "'+Evil site");
    const assaultRow = rows.find((r) => r[0] === assault.reference);
    assert.deepEqual(assaultRow?.slice(3), ['Physical assault', 'Reported', 'North Hospital', '', 'No', 'Yes', 'Yes, medical factors contributed', 'Yes']);
    const text = rows.flat().join('|');
    for (const secret of ['Alex Smith', 'Nora', '1980-03-27', 'CR/2026/77', 'clenched', 'SUM', 'Bay 4', 'Bruised']) assert.ok(!text.includes(secret), secret);
  });

  test('the export follows the filters', async () => {
    const [, ...rows] = await csvOf(smd.client, '&status=closed');
    assert.deepEqual(
      rows.map((r) => r[0]),
      [theft.reference],
    );
  });

  test('the security specialist’s CSV adds people, crime reference, place, injuries and narrative, escaped, and the export and the personal read are audited', async () => {
    const exportsBefore = (await auditEvents('case.export', orgA.id)).length;
    const [header, ...rows] = await csvOf(lsms.client, '');
    assert.deepEqual(header?.slice(11), ['Crime reference', 'People affected', 'Assailants', 'Place', 'Injuries', 'What happened']);
    const assaultRow = rows.find((r) => r[0] === assault.reference);
    assert.equal(assaultRow?.[11], 'CR/2026/77');
    assert.equal(assaultRow?.[12], 'Nora Nightingale');
    assert.equal(assaultRow?.[13], 'Alex Smith, born 1980-03-27');
    assert.deepEqual(assaultRow?.slice(14, 16), ['Bay 4, beside bed 12', 'Bruised cheek'], 'place and injuries (issue 4 §14)');
    assert.equal(rows.find((r) => r[0] === abuse.reference)?.[16], "'@SUM(1+1) a visitor shouted abuse at the receptionist");
    const exports = await auditEvents('case.export', orgA.id);
    assert.equal(exports.length, exportsBefore + 1);
    assert.equal((exports.at(-1)?.detail as { personalData?: boolean } | undefined)?.personalData, true);
  });

  test('issue 4 item 14: an export with personal data is audited per case, in the trail an auditor searches by case', async () => {
    const readsBefore = (await auditEvents('incident.read_personal', orgA.id)).length;
    await csvOf(lsms.client, '');
    const [exported] = (await auditEvents('case.export', orgA.id)).slice(-1);
    const reads = (await auditEvents('incident.read_personal', orgA.id)).slice(readsBefore);
    // One event per exported case, naming it as its object, tied to the export by the request id.
    assert.deepEqual(reads.map((e) => e.object_id).sort(), [abuse.id, assault.id, theft.id].sort());
    for (const e of reads) {
      assert.equal(e.object_type, 'incident');
      assert.equal(e.actor_id, lsms.user.id);
      assert.equal(e.request_id, exported?.request_id);
      assert.equal((e.detail as { via: string }).via, 'export_csv');
    }
    assert.equal((reads.find((e) => e.object_id === assault.id)?.detail as { reference?: string } | undefined)?.reference, assault.reference);
    // The audit trail search (features/audit) finds the export's read of this case's personal data.
    const res = await lsms.client.get(`/api/v1/audit-events?action=incident.read_personal&object=${assault.id}`);
    assert.equal(res.statusCode, 200, res.body);
    const found = (res.json() as { events: { objectId: string | null; detail: { via?: string } }[] }).events;
    assert.ok(
      found.some((e) => e.objectId === assault.id && e.detail.via === 'export_csv'),
      'the search by case finds the export',
    );
  });

  test('the SMD’s export (no personal data) writes no personal read', async () => {
    const before = (await auditEvents('incident.read_personal', orgA.id)).length;
    await csvOf(smd.client, '');
    assert.equal((await auditEvents('incident.read_personal', orgA.id)).length, before);
  });

  test('XLSX exports hold the same rows as text, with formula-like cells escaped and no formulas', async () => {
    const smdRows = await xlsxOf(smd.client, '');
    assert.equal(smdRows.length, 4);
    assert.equal(smdRows[0]?.length, 11);
    const flat = smdRows.flat();
    assert.ok(flat.every((c) => c.type !== ExcelJS.ValueType.Formula));
    assert.ok(flat.some((c) => c.value === "'+Evil site"));
    assert.ok(!flat.some((c) => String(c.value).includes('Alex Smith')));
    const lsmsRows = await xlsxOf(lsms.client, '');
    assert.equal(lsmsRows[0]?.length, 17, 'eleven facts and six personal columns');
    const all = lsmsRows.flat();
    assert.ok(all.some((c) => c.value === "'@SUM(1+1) a visitor shouted abuse at the receptionist"));
    assert.ok(all.some((c) => c.value === 'Alex Smith, born 1980-03-27'));
    assert.ok(all.every((c) => c.type !== ExcelJS.ValueType.Formula));
  });

  test('a bad format or filter is refused with 400 and nothing is audited as exported', async () => {
    const before = (await auditEvents('case.export', orgA.id)).length;
    assert.equal((await smd.client.get('/cases/export?format=pdf')).statusCode, 400);
    assert.equal((await smd.client.get('/cases/export?format=csv&status=lost')).statusCode, 400);
    assert.equal((await auditEvents('case.export', orgA.id)).length, before);
  });

  test('issue 4 item 13: a bad export link shows the list page with an error summary naming the bad field', async () => {
    const format = await lsms.client.get('/cases/export?format=pdf&status=closed');
    assert.equal(format.statusCode, 400);
    assert.match(String(format.headers['content-type']), /text\/html/);
    assert.match(format.body, /There is a problem/);
    assert.match(format.body, /href="#format">\s*Download format must be CSV or XLSX/);
    assert.match(format.body, /<form method="get" action="\/cases"/);
    // The list it came from, with its filters kept.
    assert.match(format.body, new RegExp(`href="/cases/${theft.id}"`));
    assert.ok(!format.body.includes(`href="/cases/${assault.id}"`), 'the list keeps the filters');
    const to = await lsms.client.get('/cases/export?format=csv&to=2026-13-01');
    assert.equal(to.statusCode, 400);
    assert.match(to.body, /href="#to">\s*Date to must be a real date/);
    assert.match(to.body, /value="2026-13-01"/);
  });

  test('issue 4 item 13: an export matching more cases than the limit is refused with a message to narrow the filters, never cut short', async () => {
    const service = casesListService(t.db.app, { exportLimit: 2 });
    const actor: Actor = {
      kind: 'user',
      userId: lsms.user.id,
      name: 'L',
      email: 'l@example.test',
      orgId: orgA.id,
      roles: ['security_specialist'],
      globalRoles: [],
    };
    const before = (await auditEvents('case.export', orgA.id)).length;
    await assert.rejects(
      () => service.export(actor, { format: 'csv' }),
      (err: unknown) => {
        assert.ok(err instanceof AppError, String(err));
        assert.equal(err.status, 400);
        assert.equal(err.fields[0]?.field, 'filters');
        assert.match(err.fields[0]?.message ?? '', /^3 cases match these filters, more than the 2 an export can hold: narrow the filters/);
        return true;
      },
    );
    assert.equal((await auditEvents('case.export', orgA.id)).length, before);
    const narrowed = await service.export(actor, { format: 'csv', status: 'closed' });
    assert.equal(narrowed.count, 1);
  });

  test('issue 4 item 13: an integration exports with a bearer token from /api/v1/cases/export, audited as on the page', async () => {
    const tokenOf = async (client: typeof lsms.client, role: string) => {
      const res = await client.json('POST', '/api/v1/api-tokens/personal', { name: 'Export script', role, expiresIn: '30' });
      assert.equal(res.statusCode, 201, res.body);
      return (res.json() as { token: string }).token;
    };
    const bearer = (token: string, url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    const token = await tokenOf(lsms.client, 'security_specialist');
    const exportsBefore = (await auditEvents('case.export', orgA.id)).length;
    const readsBefore = (await auditEvents('incident.read_personal', orgA.id)).length;
    const csv = await bearer(token, '/api/v1/cases/export?format=csv&category=physical_assault');
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /attachment; filename="cases-\d{4}-\d{2}-\d{2}\.csv"/);
    const [header, ...rows] = parseCsv(csv.body).map((r) => r.cells);
    assert.equal(header?.[16], 'What happened');
    assert.deepEqual(
      rows.map((r) => r[0]),
      [assault.reference],
    );
    const exports = await auditEvents('case.export', orgA.id);
    assert.equal(exports.length, exportsBefore + 1);
    const reads = (await auditEvents('incident.read_personal', orgA.id)).slice(readsBefore);
    assert.deepEqual(
      reads.map((e) => e.object_id),
      [assault.id],
    );
    const xlsx = await bearer(token, '/api/v1/cases/export?format=xlsx');
    assert.equal(xlsx.statusCode, 200);
    assert.match(String(xlsx.headers['content-type']), /spreadsheetml/);
    // Bad input: a problem naming the field; the same access rules as the page.
    const bad = await bearer(token, '/api/v1/cases/export?format=pdf');
    assert.equal(bad.statusCode, 400);
    assert.match(String(bad.headers['content-type']), /application\/problem\+json/);
    assert.equal((bad.json() as { errors: { field: string }[] }).errors[0]?.field, 'format');
    const { client: managerClient } = await memberOf(t, 'manager', orgA);
    assert.equal((await bearer(await tokenOf(managerClient, 'manager'), '/api/v1/cases/export?format=csv')).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/cases/export?format=csv' })).statusCode, 401);
    const smdCsv = await bearer(await tokenOf(smd.client, 'smd'), '/api/v1/cases/export');
    assert.equal(smdCsv.statusCode, 200);
    assert.ok(!smdCsv.body.includes('Alex Smith'), 'no personal data for the SMD');
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, { get?: { responses: Record<string, { content?: object }> } }>;
    };
    assert.deepEqual(Object.keys(doc.paths['/api/v1/cases/export']?.get?.responses['200']?.content ?? {}).sort(), [
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'text/csv',
    ]);
  });

  test('a manager may list but not export', async () => {
    const { client } = await memberOf(t, 'manager', orgA);
    assert.equal((await client.get('/cases/export?format=csv')).statusCode, 403);
  });
});

describe('narrative search only for roles that read narratives (issue 4 item 14)', () => {
  test('the SMD gets no search box, and a search is refused with a clear 400 on the page, the API and both exports; an assigned manager may search', async () => {
    const page = await smd.client.get('/cases');
    assert.equal(page.statusCode, 200);
    assert.ok(!page.body.includes('id="q"'), 'no search box for the SMD');
    assert.match((await lsms.client.get('/cases')).body, /id="q"/);

    const refused = /Searching what happened is only for roles that may read the narratives/;
    const html = await smd.client.get('/cases?q=Alex');
    assert.equal(html.statusCode, 400);
    assert.match(html.body, refused);
    // No search box to point at: the summary points at the filters form.
    assert.match(html.body, /href="#filters">\s*Searching what happened/);
    assert.match(html.body, /<form method="get" action="\/cases" id="filters"/);
    assert.ok(!html.body.includes(assault.reference), 'no search results for the SMD');
    const res = await smd.client.get('/api/v1/cases?q=Alex');
    assert.equal(res.statusCode, 400);
    const problem = res.json() as { errors: { field: string; message: string }[] };
    assert.equal(problem.errors[0]?.field, 'q');
    assert.match(problem.errors[0]?.message ?? '', refused);
    const before = (await auditEvents('case.export', orgA.id)).length;
    const exp = await smd.client.get('/cases/export?format=csv&q=Alex');
    assert.equal(exp.statusCode, 400);
    assert.match(exp.body, refused);
    assert.equal((await smd.client.get('/api/v1/cases/export?format=csv&q=Alex')).statusCode, 400);
    assert.equal((await auditEvents('case.export', orgA.id)).length, before);
    // A manager reads the narratives of the cases assigned to them, so may search those.
    const { user: m, client } = await memberOf(t, 'manager', orgA);
    await db.updateTable('incidents').set({ assigned_manager_id: m.id }).where('id', '=', assault.id).execute();
    assert.deepEqual(refs(await api(client, '?q=fist')), [assault.reference]);
    assert.match((await client.get('/cases')).body, /id="q"/);
    await db.updateTable('incidents').set({ assigned_manager_id: null }).where('id', '=', assault.id).execute();
  });
});

describe('managers', () => {
  test('a manager sees only the cases whose investigation is assigned to them, with their personal data', async () => {
    const { user: m, client } = await memberOf(t, 'manager', orgA);
    assert.deepEqual(refs(await api(client, '')), []);
    await db.updateTable('incidents').set({ assigned_manager_id: m.id }).where('id', '=', assault.id).execute();
    const page = await api(client, '');
    assert.deepEqual(refs(page), [assault.reference]);
    assert.equal(page.personalData, true);
    assert.match(JSON.stringify(page.cases[0]?.personal), /Alex Smith/);
    const html = await client.get('/cases');
    assert.match(html.body, /You see the cases whose investigation you are assigned/);
    await db.updateTable('incidents').set({ assigned_manager_id: null }).where('id', '=', assault.id).execute();
  });
});

describe('overdue with investigation due dates', () => {
  test('once an investigation due date is set, it decides whether an open case is overdue', async () => {
    const org = await organisation(db);
    const { client } = await memberOf(t, 'security_specialist', org);
    const pastDue = await incident(db, { orgId: org.id, status: 'under_investigation', reportedAt: daysAgo(5) });
    const notYetDue = await incident(db, { orgId: org.id, status: 'under_investigation', reportedAt: daysAgo(50) });
    await db
      .updateTable('incidents')
      .set({ investigation_due_on: isoDay(daysAgo(2)) })
      .where('id', '=', pastDue.id)
      .execute();
    await db
      .updateTable('incidents')
      .set({ investigation_due_on: isoDay(daysAgo(-10)) })
      .where('id', '=', notYetDue.id)
      .execute();
    const page = await api(client, '?overdue=1');
    assert.deepEqual(refs(page), [pastDue.reference]);
    const all = await api(client, '');
    assert.equal(all.cases.find((c) => c.reference === notYetDue.reference)?.overdue, false);
  });

  test('002 std 4.1: a completed investigation is not overdue work, in the filter and the flag, as on /cases/overdue', async () => {
    const org = await organisation(db);
    const { client } = await memberOf(t, 'security_specialist', org);
    const done = await incident(db, { orgId: org.id, status: 'under_investigation', reportedAt: daysAgo(40) });
    const open = await incident(db, { orgId: org.id, status: 'under_investigation', reportedAt: daysAgo(41) });
    for (const [c, completedAt] of [
      [done, daysAgo(1)],
      [open, null],
    ] as const) {
      await caseInvestigation(db, { orgId: org.id, incidentId: c.id, dueOn: isoDay(daysAgo(10)), completedAt });
      await db
        .updateTable('incidents')
        .set({ investigation_due_on: isoDay(daysAgo(10)) })
        .where('id', '=', c.id)
        .execute();
    }
    assert.deepEqual(refs(await api(client, '?overdue=1')), [open.reference]);
    const all = await api(client, '');
    assert.equal(all.cases.find((c) => c.reference === done.reference)?.overdue, false);
    assert.equal(all.cases.find((c) => c.reference === open.reference)?.overdue, true);
  });
});

describe('the query string as documented (issue 4 item 13)', () => {
  type Param = { in: string; name: string; required?: boolean; schema?: { enum?: string[] } };
  const doc = async () =>
    (await t.app.inject({ url: '/api/v1/openapi.json' })).json() as { paths: Record<string, { get?: { description?: string; parameters?: Param[] } }> };

  test('overdue is optional, documented with the values accepted, and anything else is refused naming the field', async () => {
    const d = await doc();
    for (const path of ['/api/v1/cases', '/api/v1/cases/export']) {
      const overdue = d.paths[path]?.get?.parameters?.find((p) => p.in === 'query' && p.name === 'overdue');
      assert.ok(overdue, path);
      assert.notEqual(overdue.required, true, path);
      assert.deepEqual([...(overdue.schema?.enum ?? [])].sort(), ['0', '1', 'false', 'true'], path);
    }
    const res = await lsms.client.get('/api/v1/cases?overdue=yes');
    assert.equal(res.statusCode, 400);
    const problem = res.json() as { errors: { field: string; message: string }[] };
    assert.equal(problem.errors[0]?.field, 'overdue');
    assert.match(problem.errors[0]?.message ?? '', /Overdue must be 1/);
    assert.deepEqual(refs(await api(lsms.client, '?overdue=true')), [assault.reference]);
    assert.equal((await api(lsms.client, '?overdue=0')).total, 3);
    const page = await lsms.client.get('/cases?overdue=yes');
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /Overdue must be 1/);
  });

  test('the description of overdue says what the code does: due date first, completed investigations left out', async () => {
    const text = (await doc()).paths['/api/v1/cases']?.get?.description ?? '';
    assert.ok(!/open and reported more than 30 days ago/.test(text), text);
    assert.match(text, /investigation is not completed and is past its due date or, while no due date is set, reported more than 30 days ago/);
  });
});
