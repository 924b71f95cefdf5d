/**
 * PDF documents with pdfmake (DESIGN.md: documents). The fonts are the Roboto files shipped inside the pdfmake
 * package, read once into pdfmake's in-memory file system; pdfmake may then fetch nothing: every URL and every
 * local file is denied, so a document definition built from user data cannot make the server read a file or call
 * out to the network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pdfmake from 'pdfmake';

const require = createRequire(import.meta.url);
const FONTS = { normal: 'Roboto-Regular.ttf', bold: 'Roboto-Medium.ttf', italics: 'Roboto-Italic.ttf', bolditalics: 'Roboto-MediumItalic.ttf' };

/** A pdfmake document definition. */
export type PdfDocument = Parameters<typeof pdfmake.createPdf>[0];

let configured = false;

function configure() {
  if (configured) return;
  const dir = join(dirname(require.resolve('pdfmake/package.json')), 'fonts', 'Roboto');
  // pdfmake's server build keeps a virtual file system (untyped in @types/pdfmake); fonts found there are never
  // read from disk, so the local access policy below can refuse everything.
  const vfs = (pdfmake as unknown as { virtualfs: { writeFileSync(name: string, data: Buffer): void } }).virtualfs;
  for (const file of Object.values(FONTS)) vfs.writeFileSync(file, readFileSync(join(dir, file)));
  pdfmake.setFonts({ Roboto: FONTS });
  pdfmake.setUrlAccessPolicy(() => false);
  pdfmake.setLocalAccessPolicy(() => false);
  configured = true;
}

/** Renders a document definition to PDF bytes. Images must be given as data: URLs. */
export async function renderPdf(doc: PdfDocument): Promise<Buffer> {
  configure();
  return (await pdfmake.createPdf({ defaultStyle: { font: 'Roboto', fontSize: 10 }, ...doc }).getBuffer()) as Buffer;
}
