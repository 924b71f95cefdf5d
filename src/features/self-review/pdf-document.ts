/**
 * A self review as a PDF document (issue 5 item 7): who and what, the key-area and overall ratings, the assessor's
 * checks, then every standard with its rating, comments and evidence. Text only (no images or links fetched).
 */
import type { Content } from 'pdfmake';
import type { PdfDocument } from '../../platform/pdf.ts';
import { RATING_TEXT, type SheetRow } from './spreadsheet.ts';

const COLOURS: Record<string, string> = { red: '#d5281b', amber: '#ffb81c', green: '#007f3b', not_applicable: '#768692' };

const ratingCell = (r: string | null): Content =>
  r
    ? { text: RATING_TEXT[r as keyof typeof RATING_TEXT] ?? r, bold: true, color: r === 'amber' ? '#212b32' : '#ffffff', fillColor: COLOURS[r] }
    : { text: 'Not rated', italics: true };

export type PdfReview = {
  title: string;
  about: [string, string][];
  rollUp: { name: string; rating: string | null; note: string }[];
  flags: string[];
  keyAreas: { id: string; name: string }[];
  rows: SheetRow[];
};

export function reviewPdf(r: PdfReview): PdfDocument {
  const content: Content[] = [
    { text: r.title, style: 'h1' },
    { table: { widths: [140, '*'], body: r.about.map(([k, v]) => [{ text: k, bold: true }, v]) }, layout: 'lightHorizontalLines', margin: [0, 0, 0, 12] },
    { text: 'Ratings by key area (002 §3.38, §3.48–3.49)', style: 'h2' },
    {
      table: {
        headerRows: 1,
        widths: ['*', 70, '*'],
        body: [
          [
            { text: 'Key area', bold: true },
            { text: 'Rating', bold: true },
            { text: 'Notes', bold: true },
          ],
          ...r.rollUp.map((x) => [x.name, ratingCell(x.rating), x.note]),
        ],
      },
      layout: 'lightHorizontalLines',
      margin: [0, 0, 0, 12],
    },
  ];
  if (r.flags.length) content.push({ text: 'Checks an assessor would make (002 §3.16, §3.19)', style: 'h2' }, { ul: r.flags, margin: [0, 0, 0, 12] });
  for (const area of r.keyAreas) {
    const rows = r.rows.filter((s) => s.keyArea === area.name);
    if (!rows.length) continue;
    content.push({ text: area.name, style: 'h2' });
    for (const s of rows)
      content.push({
        unbreakable: false,
        table: {
          widths: [40, '*', 70],
          body: [
            [{ text: s.number, bold: true }, { text: s.headline }, ratingCell(s.rating)],
            [{ text: 'Comments', colSpan: 1, italics: true }, { text: s.comments || 'None', colSpan: 2 }, {}],
            [
              { text: 'Evidence', italics: true },
              {
                text: s.evidence.length ? s.evidence.map((e) => `${e.kind === 'outcome' ? 'Outcome' : 'Output'}: ${e.label}`).join('\n') : 'None recorded',
                colSpan: 2,
              },
              {},
            ],
          ],
        },
        margin: [0, 0, 0, 8],
      });
  }
  return {
    info: { title: r.title, creator: 'Warden', producer: 'Warden' },
    pageSize: 'A4',
    pageMargins: [40, 40, 40, 50],
    footer: (page: number, pages: number) => ({ text: `${r.title} – page ${page} of ${pages}`, alignment: 'center', fontSize: 8, margin: [0, 20, 0, 0] }),
    content,
    styles: { h1: { fontSize: 18, bold: true, margin: [0, 0, 0, 10] }, h2: { fontSize: 13, bold: true, margin: [0, 8, 0, 6] } },
  };
}
