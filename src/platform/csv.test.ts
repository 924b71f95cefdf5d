import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeFormula, parseCsv, toCsv } from './csv.ts';

describe('CSV and spreadsheet cells (issue 4 item 13: formula-like cells escaped)', () => {
  test('a cell a spreadsheet would run as a formula gets a leading quote', () => {
    for (const cell of ['=1+1', '+44 20 7946 0000', '-1+2', '-A1', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("http://x")', '-'])
      assert.equal(escapeFormula(cell), `'${cell}`, JSON.stringify(cell));
  });

  test('a plain negative number is left as a number, so a fall reads as a figure, not as text', () => {
    for (const cell of ['-5', '-5.0', '-0.1', '-1234']) assert.equal(escapeFormula(cell), cell);
    assert.deepEqual(parseCsv(toCsv(['Year', 'Change'], [['2025/26', '-5.0']]))[1]?.cells, ['2025/26', '-5.0']);
  });

  test('ordinary text and numbers are unchanged; quotes, commas and line ends are quoted by RFC 4180', () => {
    for (const cell of ['North site', '12', '0.5', 'A&E', "O'Brien"]) assert.equal(escapeFormula(cell), cell);
    const csv = toCsv(['a', 'b'], [['say "hi", then', 'two\nlines']]);
    assert.equal(csv, 'a,b\r\n"say ""hi"", then","two\nlines"\r\n');
    assert.deepEqual(parseCsv(csv)[1]?.cells, ['say "hi", then', 'two\nlines']);
  });
});
