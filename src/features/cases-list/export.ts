import ExcelJS from 'exceljs';
import { escapeFormula, toCsv } from '../../platform/csv.ts';

/**
 * A table as a CSV (UTF-8 with BOM, so spreadsheets read accents) or an XLSX workbook with one sheet. XLSX cells
 * are written as plain strings (never formulas), escaped by the same rule as CSV (`escapeFormula`).
 */
export async function toSpreadsheet(format: 'csv' | 'xlsx', sheet: string, header: string[], rows: string[][]) {
  if (format === 'csv') return { contentType: 'text/csv; charset=utf-8', body: Buffer.from(`\uFEFF${toCsv(header, rows)}`, 'utf8') };
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Warden';
  const ws = wb.addWorksheet(sheet);
  ws.addRow(header.map(escapeFormula)).font = { bold: true };
  for (const r of rows) ws.addRow(r.map((c) => escapeFormula(c)));
  ws.columns.forEach((c) => {
    c.width = 18;
  });
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  const body = Buffer.from(await wb.xlsx.writeBuffer());
  return { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', body };
}
