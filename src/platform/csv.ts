/**
 * CSV in and out (RFC 4180). Output escapes cells that a spreadsheet would run as a formula (OWASP: CSV
 * injection): a cell starting with =, +, -, @, tab or carriage return is prefixed with a single quote.
 */

/** Parses CSV text into rows of cells, with the 1-based line number each row starts on. */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const src = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.some((c) => c.trim() !== '')) rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      line++;
      rowLine = line;
    } else cell += ch;
  }
  cells.push(cell);
  if (cells.some((c) => c.trim() !== '')) rows.push({ line: rowLine, cells });
  return rows;
}

/** Parses CSV with a header row into records keyed by lower-cased, trimmed header names. */
export function parseCsvRecords(text: string): { line: number; record: Record<string, string> }[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  const keys = header.cells.map((h) => h.trim().toLowerCase().replace(/\s+/g, '_'));
  return rows.map((r) => ({
    line: r.line,
    record: Object.fromEntries(keys.map((k, i) => [k, (r.cells[i] ?? '').trim()])),
  }));
}

/**
 * OWASP CSV injection: a cell that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
 * return) gets a leading single quote. A plain number such as `-5.0` (a fall in a year-on-year change) is read
 * as that number, not as a formula, so it is left as it is: quoting it would turn the figure into text.
 */
export function escapeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) && !/^-\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
}

function escapeCell(value: unknown): string {
  const s = escapeFormula(value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes rows as CSV with CRLF line ends, escaping formula-like cells. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(escapeCell).join(',')).join('\r\n') + '\r\n';
}
