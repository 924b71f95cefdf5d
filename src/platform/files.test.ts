import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { checkUpload, fileStore, kindsText, unzippedSize } from './files.ts';

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(40)]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40)]);
const zip = (parts: string[]) => Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), ...parts.map((p) => Buffer.from(`${p}\0`, 'latin1'))]);
const DOCX = zip(['[Content_Types].xml', 'word/document.xml']);
const XLSX = zip(['[Content_Types].xml', 'xl/workbook.xml']);
const up = (fileName: string, data: Buffer, truncated = false) => ({ fileName, data, truncated });

describe('uploaded files are recognised by their content as well as their name', () => {
  test('PDF, Word, Excel and PNG files whose content matches their name are accepted, with the right type', () => {
    const all = ['pdf', 'docx', 'xlsx', 'png', 'jpeg'] as const;
    const ok = (f: ReturnType<typeof checkUpload>) => ('error' in f ? f.error : f.contentType);
    assert.equal(ok(checkUpload(up('minutes.pdf', PDF), all, 1000)), 'application/pdf');
    assert.equal(ok(checkUpload(up('Minutes.DOCX', DOCX), all, 1000)), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    assert.equal(ok(checkUpload(up('figures.xlsx', XLSX), all, 1000)), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.equal(ok(checkUpload(up('photo.png', PNG), all, 1000)), 'image/png');
  });

  test('a file whose content is not what its name says, an unknown kind, an empty or too large file are refused', () => {
    const kinds = ['pdf', 'docx'] as const;
    assert.deepEqual(checkUpload(up('report.pdf', PNG), kinds, 1000), { error: "The file's content is not a PDF file" });
    assert.deepEqual(checkUpload(up('report.docx', XLSX), kinds, 1000), { error: "The file's content is not a Word (.docx) file" });
    assert.deepEqual(checkUpload(up('script.html', PDF), kinds, 1000), { error: 'The file must be a PDF or Word (.docx) file' });
    assert.deepEqual(checkUpload(up('empty.pdf', Buffer.alloc(0)), kinds, 1000), { error: 'Select a file to upload' });
    assert.deepEqual(checkUpload(null, kinds, 1000), { error: 'Select a file to upload' });
    assert.deepEqual(checkUpload(up('big.pdf', PDF, true), kinds, 2 * 1024 * 1024), { error: 'The file must be smaller than 2 MB' });
    assert.equal(kindsText(['pdf', 'docx', 'png']), 'PDF, Word (.docx) or PNG');
  });

  test('the name kept is only the last part, printable and without quotes', () => {
    const f = checkUpload(up('..\\..\\evil"name\u00e9.pdf', PDF), ['pdf'], 1000);
    assert.ok(!('error' in f));
    assert.equal(f.fileName, 'evil_name_.pdf');
  });
});

const root = await mkdtemp(join(tmpdir(), 'warden-files-'));
after(() => rm(root, { recursive: true, force: true }));

describe('the file store', () => {
  const store = fileStore(root);

  test('keeps files under the organisation, owner-only, never overwriting, and only by UUID', async () => {
    const org = randomUUID();
    const id = randomUUID();
    await store.save(org, id, PDF);
    assert.deepEqual(await store.read(org, id), PDF);
    assert.equal((await stat(join(root, org, id))).mode & 0o777, 0o600);
    await assert.rejects(store.save(org, id, PNG), /EEXIST/);
    assert.throws(() => store.read(org, '../../etc/passwd'), /UUID/);
    await store.discard(org, id);
    await assert.rejects(store.read(org, id), /ENOENT/);
  });
});

/** A ZIP archive of deflated entries, written by hand so its declared sizes can lie. */
function zipOf(entries: { name: string; data: Buffer; declaredSize?: number }[]) {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'latin1');
    const body = deflateRawSync(e.data);
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

describe('the unpacked size of an Office file (ZIP) is measured by inflating it, not by what it declares', () => {
  test('a small archive is measured', () => {
    assert.deepEqual(
      unzippedSize(
        zipOf([
          { name: 'a.xml', data: Buffer.alloc(1000, 'a') },
          { name: 'b.xml', data: Buffer.alloc(24, 'b') },
        ]),
        10_000,
      ),
      { size: 1024 },
    );
  });

  test('an archive that unpacks past the limit is too large, even when its headers claim tiny sizes', () => {
    const bomb = zipOf([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(50 * 1024 * 1024), declaredSize: 10 }]);
    assert.ok(bomb.length < 100 * 1024);
    assert.deepEqual(unzippedSize(bomb, 20 * 1024 * 1024), { tooLarge: true });
    assert.deepEqual(unzippedSize(zipOf(Array.from({ length: 5 }, (_, i) => ({ name: `${i}`, data: Buffer.alloc(1) }))), 1000, 4), { tooLarge: true });
  });

  test('what is not a readable ZIP archive is null', () => {
    assert.equal(unzippedSize(Buffer.from('PK\x03\x04 not really'), 1000), null);
    assert.equal(unzippedSize(Buffer.alloc(0), 1000), null);
    const cut = zipOf([{ name: 'a.xml', data: Buffer.alloc(1000, 'a') }]);
    assert.equal(unzippedSize(Buffer.concat([cut.subarray(0, 20), cut.subarray(40)]), 10_000), null);
  });
});
