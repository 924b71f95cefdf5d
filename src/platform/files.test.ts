import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkUpload, fileStore, kindsText } from './files.ts';

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
