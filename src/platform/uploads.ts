import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Upload } from './files.ts';

type Part = { type: 'field'; value: unknown } | { type: 'file'; filename: string; _buf: Buffer | null; file: { truncated: boolean } };

/**
 * Accepts multipart/form-data (file uploads) on the routes of the plugin it is registered in. Form fields are
 * flattened onto the body, so forms with a file read like any other form and the CSRF check finds `_csrf`. A file
 * over `maxBytes` arrives truncated, for the service to refuse with a message rather than a bare 413.
 */
export async function acceptUploads(app: FastifyInstance, maxBytes: number): Promise<void> {
  await app.register(multipart, {
    attachFieldsToBody: true,
    throwFileSizeLimit: false,
    limits: { fileSize: maxBytes, files: 1, fields: 12, parts: 14, fieldSize: 10_000 },
  });
  app.addHook('preValidation', async (req) => {
    if (!req.isMultipart() || !req.body || typeof req.body !== 'object') return;
    const flat: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(req.body as Record<string, Part>)) flat[k] = v && typeof v === 'object' && v.type === 'field' ? v.value : v;
    req.body = flat;
  });
}

/** The uploaded file in a flattened multipart body, or null when none was sent. */
export function uploadOf(body: Record<string, unknown>, field = 'file'): Upload | null {
  const f = body[field] as Part | undefined;
  if (!f || typeof f !== 'object' || f.type !== 'file') return null;
  return { fileName: f.filename, data: f._buf ?? Buffer.alloc(0), truncated: f.file.truncated };
}

/** Only the string fields of a form body (a file field is not a value to show again). */
export function formValues(body: Record<string, unknown>): Record<string, string> {
  const { _csrf, ...rest } = body;
  return Object.fromEntries(Object.entries(rest).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** Sends a stored file for download: never rendered by the browser, never sniffed. */
export function sendDownload(reply: FastifyReply, f: { fileName: string; contentType: string; data: Buffer }) {
  const ascii = f.fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return reply
    .header('content-type', f.contentType)
    .header('content-disposition', `attachment; filename="${ascii}"`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .send(f.data);
}
