import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testDatabase } from '../test/db.ts';
import { organisation, uniqueCode } from '../test/factories.ts';
import { main } from './cli.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const db = await testDatabase();
const work = await mkdtemp(join(tmpdir(), 'warden-cli-'));
after(() => rm(work, { recursive: true, force: true }));

/** Runs `warden …` in this process against the test database, capturing what it prints. */
async function warden(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env: { DATABASE_URL: db.url, WARDEN_DATA_DIR: work } });
  return { code, out, err };
}

/** Runs `node bin/warden.js …` as a separate process, as `npx warden …` does. */
async function wardenProcess(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [join(root, 'bin', 'warden.js'), ...argv], {
    cwd: root,
    env: { ...process.env, WARDEN_DATA_DIR: work, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearTimeout(timer);
  return { code, out, err };
}

async function csv(name: string, text: string) {
  const file = join(work, name);
  await writeFile(file, text);
  return file;
}

const count = async (table: 'organisations' | 'staff_headcounts') =>
  Number(
    (
      await db.owner
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('warden command line', () => {
  test('--help prints the usage with every command and exits 0', async () => {
    const r = await warden('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /^Usage: warden <command>/m);
    for (const c of ['start', 'demo', 'migrate', 'import']) assert.match(r.out, new RegExp(`^ {2}warden ${c}\\b`, 'm'));
  });

  test('every command listed has --help: it prints the usage and exits 0 without touching the database', async () => {
    const commands = [...(await warden('--help')).out.matchAll(/^ {2}warden ([a-z-]+)/gm)].map((m) => m[1] as string);
    assert.ok(commands.length >= 4, commands.join(' '));
    for (const command of commands) {
      let out = '';
      const code = await main([command, '--help'], { out: (t) => (out += t), err: assert.fail, env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
      assert.equal(code, 0, command);
      assert.match(out, new RegExp(`^Usage: warden ${command}\\b`));
      assert.ok(out.split('\n').length > 2, `${command} --help explains the command`);
    }
  });

  test('no command prints the usage and exits 2', async () => {
    const r = await warden();
    assert.equal(r.code, 2);
    assert.match(r.err, /Usage: warden <command>/);
  });

  test('an unknown command is named and exits 2', async () => {
    const r = await warden('frobnicate');
    assert.equal(r.code, 2);
    assert.match(r.err, /Unknown command "frobnicate"/);
    assert.match(r.err, /Usage: warden <command>/);
  });

  test('the installed `warden` program passes the exit status on: 0 for --help, 2 for an unknown command', async () => {
    const help = await wardenProcess(['migrate', '--help']);
    assert.equal(help.code, 0, help.err);
    assert.match(help.out, /^Usage: warden migrate/);
    const unknown = await wardenProcess(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /Unknown command "frobnicate"/);
  });

  test('warden start on a port already in use exits 1 with the reason, and does not hang on its open database', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const { port } = busy.address() as AddressInfo;
      const started = Date.now();
      const r = await wardenProcess(['start'], { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /^warden start failed: listen EADDRINUSE/m);
      assert.ok(Date.now() - started < 55_000, 'exits by itself');
    } finally {
      busy.close();
    }
  });

  test('warden migrate reports an up-to-date database, and --status lists the Platform migration as applied', async () => {
    const up = await warden('migrate');
    assert.equal(up.code, 0, up.err);
    assert.match(up.out, /The database is up to date/);
    const status = await warden('migrate', '--status');
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /^applied \d{4}-\d\d-\d\dT[\d:.]+Z {2}20261124000000-Platform$/m);
    assert.doesNotMatch(status.out, /^pending/m);
  });

  test('a command that fails on its database exits 1 with a one-line reason and no stack trace', async () => {
    let err = '';
    const code = await main(['migrate', '--status'], {
      out: () => {},
      err: (t) => (err += t),
      env: { DATABASE_URL: 'postgres://nobody:wrong@127.0.0.1:1/none' },
    });
    assert.equal(code, 1);
    assert.match(err, /^warden migrate failed: /);
    assert.doesNotMatch(err, /\n\s+at /);
  });

  test('warden import organisations creates and updates organisations with their headcounts', async () => {
    const existing = await organisation(db.owner, { name: 'Old Name NHS Trust', type: 'acute' });
    const [a, b] = [uniqueCode(), uniqueCode()];
    const file = await csv(
      'good.csv',
      [
        'code,name,type,financial_year,headcount',
        `${a},Eastbrook Hospitals NHS Trust,acute,2026,5120`,
        `${b.toLowerCase()},"Westmoor Mental Health NHS Trust, North",mental_health,,`,
        `${existing.code},New Name NHS Trust,community,2025,812`,
      ].join('\r\n'),
    );
    const r = await warden('import', 'organisations', file);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /2 created, 1 updated/);
    const rows = await db.owner.selectFrom('organisations').select(['id', 'code', 'name', 'type']).where('code', 'in', [a, b, existing.code]).execute();
    const byCode = new Map(rows.map((o) => [o.code, o]));
    assert.equal(byCode.get(a)?.name, 'Eastbrook Hospitals NHS Trust');
    assert.equal(byCode.get(b)?.name, 'Westmoor Mental Health NHS Trust, North');
    assert.equal(byCode.get(b)?.type, 'mental_health');
    assert.deepEqual(byCode.get(existing.code), { ...existing, name: 'New Name NHS Trust', type: 'community' });
    const headcounts = await db.owner
      .selectFrom('staff_headcounts')
      .select(['org_id', 'financial_year', 'headcount'])
      .where(
        'org_id',
        'in',
        rows.map((o) => o.id),
      )
      .orderBy('headcount')
      .execute();
    assert.deepEqual(headcounts, [
      { org_id: existing.id, financial_year: 2025, headcount: 812 },
      { org_id: byCode.get(a)?.id, financial_year: 2026, headcount: 5120 },
    ]);
    const audited = await db.owner
      .selectFrom('audit_events')
      .select('action')
      .where('detail', '@>', JSON.stringify({ via: 'import' }))
      .execute();
    assert.equal(audited.length, 3);
  });

  test('warden import organisations rejects a bad file with line-numbered messages, exits 1 and writes nothing', async () => {
    const existing = await organisation(db.owner);
    const good = uniqueCode();
    const file = await csv(
      'bad.csv',
      [
        'code,name,type,financial_year,headcount',
        `${good},Fine NHS Trust,acute,2026,100`,
        `${uniqueCode()},Hospice,hospice,,`,
        `R!,Bad Code Trust,acute,,`,
        `${existing.code},Renamed,acute,2026,-4`,
        `${good},Twice NHS Trust,acute,,`,
      ].join('\n'),
    );
    const [orgs, headcounts] = [await count('organisations'), await count('staff_headcounts')];
    const r = await warden('import', 'organisations', file);
    assert.equal(r.code, 1);
    assert.match(r.err, /The file was not imported: 4 problem\(s\) found/);
    assert.match(r.err, /^ {2}- line 3, type: Select the type of organisation$/m);
    assert.match(r.err, /^ {2}- line 4, code: Organisation code must be 3 to 5 letters or numbers/m);
    assert.match(r.err, /^ {2}- line 5, headcount: /m);
    assert.match(r.err, new RegExp(`^ {2}- line 6, code: ${good} is already on line 2$`, 'm'));
    assert.doesNotMatch(r.err, /\n\s+at /);
    assert.equal(await count('organisations'), orgs);
    assert.equal(await count('staff_headcounts'), headcounts);
    const unchanged = await db.owner.selectFrom('organisations').select('name').where('id', '=', existing.id).executeTakeFirstOrThrow();
    assert.equal(unchanged.name, existing.name);
  });

  test('warden import without a file prints its usage and exits 2; a missing file exits 1', async () => {
    const none = await warden('import', 'organisations');
    assert.equal(none.code, 2);
    assert.match(none.err, /Usage: warden import organisations FILE\.csv/);
    const missing = await warden('import', 'organisations', join(work, 'no-such-file.csv'));
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^warden import failed: .*no-such-file\.csv/);
  });
});
