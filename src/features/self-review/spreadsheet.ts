/**
 * A self review as a spreadsheet (issue 5 item 7): exported one row per standard — number, key area, headline,
 * rating, comments, evidence list — and read back from the same layout to import a previous year's review (the
 * Self Review Tool was a spreadsheet: 002 §3.13). Cells are written as text, never formulas; text a spreadsheet
 * would run as a formula is escaped with a leading quote (OWASP CSV injection), which reading removes again.
 */
import ExcelJS from 'exceljs';
import { escapeFormula } from '../../platform/csv.ts';
import { unzippedSize } from '../../platform/files.ts';

export const SHEET = 'Standards';
export const ABOUT_SHEET = 'About';
export const HEADER = ['Standard', 'Key area', 'Headline', 'Rating', 'Comments', 'Evidence'] as const;

/** Largest a workbook may be once unpacked: a review is a few dozen rows, its export about 20 kB. */
export const MAX_UNPACKED_BYTES = 20 * 1024 * 1024;

export const RATING_TEXT = { red: 'Red', amber: 'Amber', green: 'Green', not_applicable: 'Not applicable' } as const;
export type RatingValue = keyof typeof RATING_TEXT;

export type EvidenceLine = { kind: 'output' | 'outcome'; label: string; target?: string | null };
export type SheetRow = { number: string; keyArea: string; headline: string; rating: RatingValue | null; comments: string; evidence: EvidenceLine[] };

/** "Outcome: Timeliness audit (https://…)": one line of the evidence cell. */
export const evidenceLine = (e: EvidenceLine) => `${e.kind === 'outcome' ? 'Outcome' : 'Output'}: ${e.label}${e.target ? ` (${e.target})` : ''}`;

/** Builds the workbook: the standards sheet, and an "About" sheet saying whose review it is and in what state. */
export async function reviewWorkbook(about: [string, string][], rows: SheetRow[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Warden';
  const ws = wb.addWorksheet(SHEET);
  ws.addRow([...HEADER]).font = { bold: true };
  for (const r of rows)
    ws.addRow([r.number, r.keyArea, r.headline, r.rating ? RATING_TEXT[r.rating] : '', r.comments, r.evidence.map(evidenceLine).join('\n')].map(escapeFormula));
  ws.columns = [{ width: 10 }, { width: 22 }, { width: 60 }, { width: 14 }, { width: 60 }, { width: 60 }];
  for (const c of [3, 5, 6]) ws.getColumn(c).alignment = { wrapText: true, vertical: 'top' };
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  const info = wb.addWorksheet(ABOUT_SHEET);
  for (const [k, v] of about) info.addRow([escapeFormula(k), escapeFormula(v)]);
  info.columns = [{ width: 24 }, { width: 60 }];
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A cell escaped on export (a leading quote before =, +, -, @, tab, CR) reads back as typed. */
const unescapeFormula = (s: string) => (/^'[=+\-@\t\r]/.test(s) ? s.slice(1) : s);

const cellText = (row: ExcelJS.Row, col: number) => unescapeFormula((row.getCell(col).text ?? '').toString()).trim();

const RATING_BY_TEXT = new Map<string, RatingValue>(Object.entries(RATING_TEXT).map(([k, v]) => [v.toLowerCase(), k as RatingValue]));

/**
 * Reads a workbook in the export's layout. Returns its rows with their row numbers, or problems that each name
 * the row (and column) they are on. Checks the layout and the values' forms only; whether each standard exists
 * in the framework is for the caller.
 */
export async function readReviewWorkbook(data: Buffer): Promise<{ ok: true; rows: (SheetRow & { line: number })[] } | { ok: false; problems: string[] }> {
  // ExcelJS unpacks the whole archive in memory: a small file that unpacks to gigabytes must not reach it.
  const unpacked = unzippedSize(data, MAX_UNPACKED_BYTES);
  if (!unpacked) return { ok: false, problems: ['The file could not be read as an Excel workbook (.xlsx)'] };
  if ('tooLarge' in unpacked)
    return { ok: false, problems: [`The workbook is too large: unpacked, it must be smaller than ${MAX_UNPACKED_BYTES / 1024 / 1024} MB`] };
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(data as unknown as ArrayBuffer);
  } catch {
    return { ok: false, problems: ['The file could not be read as an Excel workbook (.xlsx)'] };
  }
  const ws = wb.getWorksheet(SHEET) ?? wb.worksheets[0];
  if (!ws) return { ok: false, problems: ['The workbook has no sheets'] };
  const header = HEADER.map((_, i) => cellText(ws.getRow(1), i + 1).toLowerCase());
  const wanted = HEADER.map((h) => h.toLowerCase());
  if (header.join('|') !== wanted.join('|'))
    return { ok: false, problems: [`Row 1 of sheet "${ws.name}" must be the headings ${HEADER.join(', ')} (the layout Warden exports)`] };
  const problems: string[] = [];
  const rows: (SheetRow & { line: number })[] = [];
  // Values only: a formula cell would be imported as whatever result the file claims for it (which need not be
  // what the formula gives), so it is refused, not read.
  const formulas = (row: ExcelJS.Row, line: number) => {
    const found: string[] = [];
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      if (cell.type === ExcelJS.ValueType.Formula)
        found.push(`Row ${line}, ${HEADER[col - 1] ?? `column ${col}`}: the cell holds a formula; enter the value itself (Warden imports values only)`);
    });
    return found;
  };
  ws.eachRow({ includeEmpty: false }, (row, line) => {
    const inFormulas = formulas(row, line);
    if (inFormulas.length) {
      problems.push(...inFormulas);
      return;
    }
    if (line === 1) return;
    const cells = HEADER.map((_, i) => cellText(row, i + 1));
    if (cells.every((c) => c === '')) return;
    const [number = '', keyArea = '', headline = '', ratingText = '', comments = '', evidenceText = ''] = cells;
    const at = (col: string) => `Row ${line}, ${col}`;
    if (!/^\d+(?:\.\d+)*$/.test(number)) problems.push(`${at('Standard')}: "${number}" is not a standard number such as 1.1`);
    let rating: RatingValue | null = null;
    if (ratingText !== '') {
      const r = RATING_BY_TEXT.get(ratingText.toLowerCase());
      if (r) rating = r;
      else problems.push(`${at('Rating')}: "${ratingText}" is not Red, Amber, Green or Not applicable (leave it empty for not rated)`);
    }
    if (comments.length > 10_000) problems.push(`${at('Comments')}: comments must be 10,000 characters or fewer`);
    const evidence: EvidenceLine[] = [];
    for (const [i, text] of evidenceText
      .split(/\r?\n/)
      .map((l) => l.trim())
      .entries()) {
      if (!text) continue;
      const m = /^(output|outcome)\s*:\s*(.+?)(?:\s+\((https?:\/\/\S+|\/\S*)\))?$/i.exec(text);
      if (!m?.[1] || !m[2]) {
        problems.push(`${at('Evidence')}, line ${i + 1}: start each piece of evidence with "Output:" or "Outcome:"`);
        continue;
      }
      if (m[2].length > 500) problems.push(`${at('Evidence')}, line ${i + 1}: keep each description to 500 characters`);
      evidence.push({ kind: m[1].toLowerCase() as 'output' | 'outcome', label: m[2], target: m[3] ?? null });
    }
    rows.push({ line, number, keyArea, headline, rating, comments, evidence });
  });
  if (problems.length) return { ok: false, problems };
  if (rows.length === 0) return { ok: false, problems: [`Sheet "${ws.name}" has no standards below its headings`] };
  return { ok: true, rows };
}
