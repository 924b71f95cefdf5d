/**
 * Uploaded files: what a file is (recognised by its first bytes as well as its name, never by what the browser
 * says), and where it is kept (under the data directory, outside the web root, one folder per organisation, named
 * by a random id so nothing in the name can reach a path). Used by the self review's evidence and the annual
 * report; case attachments keep their own, stricter list (photos and PDF) in features/cases.
 */
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type FileKind = 'pdf' | 'png' | 'jpeg' | 'docx' | 'xlsx';

const PK = [0x50, 0x4b, 0x03, 0x04];

/** Office Open XML files are ZIP archives; which one it is shows in the names of the parts it holds. */
const hasPart = (data: Buffer, name: string) => data.includes(Buffer.from(name, 'latin1'));

const KINDS: Record<FileKind, { type: string; extensions: string[]; label: string; is: (data: Buffer) => boolean }> = {
  pdf: { type: 'application/pdf', extensions: ['.pdf'], label: 'PDF', is: (d) => d.subarray(0, 5).equals(Buffer.from('%PDF-', 'latin1')) },
  png: {
    type: 'image/png',
    extensions: ['.png'],
    label: 'PNG',
    is: (d) => d.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  jpeg: { type: 'image/jpeg', extensions: ['.jpg', '.jpeg'], label: 'JPEG', is: (d) => d[0] === 0xff && d[1] === 0xd8 && d[2] === 0xff },
  docx: {
    type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    extensions: ['.docx'],
    label: 'Word (.docx)',
    is: (d) => PK.every((b, i) => d[i] === b) && hasPart(d, '[Content_Types].xml') && hasPart(d, 'word/'),
  },
  xlsx: {
    type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    extensions: ['.xlsx'],
    label: 'Excel (.xlsx)',
    is: (d) => PK.every((b, i) => d[i] === b) && hasPart(d, '[Content_Types].xml') && hasPart(d, 'xl/'),
  },
};

/** "PDF, Word (.docx) or PNG" for messages. */
export function kindsText(allowed: readonly FileKind[]): string {
  const labels = allowed.map((k) => KINDS[k].label);
  return labels.length > 1 ? `${labels.slice(0, -1).join(', ')} or ${labels.at(-1)}` : (labels[0] ?? '');
}

export type Upload = { fileName: string; data: Buffer; truncated: boolean };
export type CheckedUpload = { fileName: string; data: Buffer; contentType: string; kind: FileKind };

/**
 * Checks an upload: present, within `maxBytes`, one of the `allowed` kinds by name, and its content really of that
 * kind. Returns the checked file (with a file name made safe to show and to put in a header) or the message to
 * show against the file field.
 */
export function checkUpload(file: Upload | null, allowed: readonly FileKind[], maxBytes: number): CheckedUpload | { error: string } {
  if (!file?.fileName || file.data.length === 0) return { error: 'Select a file to upload' };
  if (file.truncated || file.data.length > maxBytes) return { error: `The file must be smaller than ${Math.round(maxBytes / 1024 / 1024)} MB` };
  const lower = file.fileName.toLowerCase();
  const byName = allowed.find((k) => KINDS[k].extensions.some((e) => lower.endsWith(e)));
  if (!byName) return { error: `The file must be a ${kindsText(allowed)} file` };
  if (!KINDS[byName].is(file.data)) return { error: `The file's content is not a ${KINDS[byName].label} file` };
  const fileName =
    file.fileName
      .replace(/^.*[\\/]/, '')
      .replace(/[^\x20-\x7e]/g, '_')
      .replace(/["\\]/g, '_')
      .slice(-200) || `document${KINDS[byName].extensions[0]}`;
  return { fileName, data: file.data, contentType: KINDS[byName].type, kind: byName };
}

/** Files of one kind of record, kept under `root/<org id>/<file id>` with owner-only permissions. */
export function fileStore(root: string) {
  const path = (orgId: string, id: string) => {
    if (!/^[0-9a-f-]{36}$/i.test(orgId) || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('file ids are UUIDs');
    return join(root, orgId, id);
  };
  return {
    /** Writes a new file; never overwrites one. */
    async save(orgId: string, id: string, data: Buffer) {
      await mkdir(join(root, orgId), { recursive: true, mode: 0o700 });
      await writeFile(path(orgId, id), data, { mode: 0o600, flag: 'wx' });
    },
    read: (orgId: string, id: string) => readFile(path(orgId, id)),
    /** Removes a file whose record was not written (the transaction failed). */
    discard: (orgId: string, id: string) => unlink(path(orgId, id)).catch(() => {}),
  };
}
export type FileStore = ReturnType<typeof fileStore>;
