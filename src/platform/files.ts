/**
 * Uploaded files: what a file is (recognised by its first bytes as well as its name, never by what the browser
 * says), and where it is kept (under the data directory, outside the web root, one folder per organisation, named
 * by a random id so nothing in the name can reach a path). Used by the self review's evidence and the annual
 * report; case attachments keep their own, stricter list (photos and PDF) in features/cases.
 */
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

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

/**
 * How large a ZIP archive (an Office file) is once unpacked, found by inflating every entry its central directory
 * lists (the sizes its headers declare may lie) and stopping as soon as the total passes `limit`. A parser such as
 * ExcelJS unpacks the whole archive in memory, so a 2 MB upload that unpacks to gigabytes (a "zip bomb") must be
 * refused before it is parsed. `tooLarge` past the limit (or past `maxEntries` entries); `null` when the data is
 * not a ZIP archive this can read (ZIP64, encryption and unusual compression methods included).
 */
export function unzippedSize(data: Buffer, limit: number, maxEntries = 1000): { size: number } | { tooLarge: true } | null {
  const u16 = (at: number) => (at >= 0 && at + 2 <= data.length ? data.readUInt16LE(at) : -1);
  const u32 = (at: number) => (at >= 0 && at + 4 <= data.length ? data.readUInt32LE(at) : -1);
  let end = -1;
  for (let at = data.length - 22; at >= Math.max(0, data.length - 22 - 0xffff); at--)
    if (u32(at) === 0x06054b50) {
      end = at;
      break;
    }
  if (end < 0) return null;
  const entries = u16(end + 10);
  if (entries > maxEntries) return { tooLarge: true };
  let at = u32(end + 16);
  let total = 0;
  for (let i = 0; i < entries; i++) {
    if (u32(at) !== 0x02014b50) return null;
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const compressed = u32(at + 20);
    const local = u32(at + 42);
    at += 46 + u16(at + 28) + u16(at + 30) + u16(at + 32);
    if (flags & 1 || compressed === 0xffffffff || local === 0xffffffff || u32(local) !== 0x04034b50) return null;
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + compressed > data.length) return null;
    const body = data.subarray(start, start + compressed);
    if (method === 0) total += body.length;
    else if (method === 8) {
      try {
        total += inflateRawSync(body, { maxOutputLength: limit - total + 1 }).length;
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return { tooLarge: true };
        return null;
      }
    } else return null;
    if (total > limit) return { tooLarge: true };
  }
  return { size: total };
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
