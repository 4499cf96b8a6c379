/**
 * The MT940/MT942 parser's fast paths (REC-PERF-1) change nothing it reports: on generated files
 * of every layout it reads (SWIFT blocks, SOH/ETX framing, ABN AMRO / ING / Rabobank wrappers,
 * :86: continuation lines and several :86: per entry, blank entry dates, 30 February, a final
 * message without "-", bank-specific :NS: fields, MT942 with its sums, card numbers in every
 * field, non-ASCII text), fed in any chunking, and on the same files broken at random, it emits
 * the same statement lines (same fields, same key order), the same summaries, the same messages
 * (parseMt940Text) and the same errors (fault and line) as the parser it replaced
 * (support/reference-mt940.ts, with the finishing step of its time, support/reference-common.ts).
 */
import * as fc from 'fast-check';
import type { StatementSink } from '../../../src/recon/parsers/common';
import { Mt940Parser, parseMt940Text } from '../../../src/recon/parsers/mt940';
import { StatementParseError } from '../../../src/recon/types';
import type { StatementSink as ReferenceSink } from './support/reference-common';
import { Mt940Parser as ReferenceParser, parseMt940Text as referenceText } from './support/reference-mt940';
import { split } from './support/chunks';

type Outcome = { out: string; error?: { position: unknown; fault: string } };

/** Undefined-valued keys are kept (as a marker), so a missing field and an undefined one differ, and key order counts. */
function show(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v === undefined ? '<undefined>' : typeof v === 'bigint' ? `${v}n` : v));
}

function run(action: (events: unknown[]) => void): Outcome {
  const events: unknown[] = [];
  try {
    action(events);
    return { out: show(events) };
  } catch (error) {
    if (error instanceof StatementParseError) return { out: show(events), error: { position: error.position, fault: error.fault } };
    throw error;
  }
}

function streamed(make: (sink: StatementSink & ReferenceSink) => { push(text: string): void; end(): void }, chunks: string[]): Outcome {
  return run((events) => {
    const parser = make({ line: (index, line) => events.push(['line', index, line]), statement: (summary) => events.push(['statement', summary]) });
    for (const chunk of chunks) parser.push(chunk);
    parser.end();
  });
}

const CTX = { file: 'stmt.sta', hashPrefix: '0123456789ab', format: 'mt940' as const };

function compare(text: string, cuts: number[]): void {
  for (const chunks of [[text], split(text, cuts)]) {
    const actual = streamed((sink) => new Mt940Parser(CTX, sink, {}, 3), chunks);
    const expected = streamed((sink) => new ReferenceParser(CTX, sink, {}, 3), chunks);
    expect(actual).toEqual(expected);
  }
  const messages = run((events) => events.push(...parseMt940Text(text, 'x.sta')));
  expect(messages).toEqual(run((events) => events.push(...referenceText(text, 'x.sta'))));
}

// ---------------------------------------------------------------------------------------------
// Generated statements (mostly valid: each invalid choice is a rare alternative)

function mostly<T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 60, arbitrary: valid }, { weight: 1, arbitrary: invalid });
}

const PAN = ['4111111111111111', '4111-1111-1111-1111', '5500-0000-0000-0004', '378282246310005'];
/** At most 16 characters (the :20:, :21: and :61: reference bounds), some of them card numbers. */
const reference = mostly(
  fc.oneof(
    fc.constantFrom('NONREF', 'REF1', 'INV-2024-001', 'EREF+E2E7', 'KREF+K1', '1234567890123456', 'A/B C', '4111111111111111', '378282246310005'),
    fc.stringMatching(/^[A-Z0-9][A-Z0-9.-]{0,15}$/),
  ),
  fc.constantFrom('', '4111 1111 1111 1111', 'ABCDEFGHIJKLMNOPQRSTU'),
);
const word = fc.oneof(
  fc.constantFrom('Invoice 42', 'Zahlung', 'Müller GmbH', 'Überweisung €', 'card 4111 1111 1111 1111', 'NOTPROVIDED', 'Counterparty 0339', '  padded  ', 'MTLG:hello', ''),
  fc.constantFrom(...PAN),
  fc.stringMatching(/^[A-Za-z0-9 ./+-]{0,20}$/),
);
const sepaKey = fc.constantFrom('EREF+', 'KREF+', 'MREF+', 'SVWZ+', 'CRED+', 'ABWA+', 'IBAN+', 'BIC+', 'XXXX:', '');
/** Subfield codes: the ones read, others, and what Number() reads as 0 or a small number (blank, one digit, "-0"). */
const subfield = fc
  .tuple(fc.constantFrom('00', '10', '20', '21', '22', '23', '29', '30', '31', '32', '33', '34', '60', '63', '99', '2X', '', ' 0', '0 ', '-0', '2', ' 2', '1.'), sepaKey, word)
  .map(([code, key, text]) => `?${code}${code.startsWith('2') || code.startsWith('6') ? key : ''}${text}`);
/** A few codes only, so that repeats (two ?31, ?32 and ?33, a keyword continued) are common. */
const denseSubfield = fc
  .tuple(fc.constantFrom('20', '21', '22', '31', '31', '32', '33'), fc.constantFrom('EREF+', 'KREF+', 'SVWZ+', 'MREF+', 'MTLG:', '', ''), word)
  .map(([code, key, text]) => `?${code}${code.startsWith('2') ? key : ''}${text}`);
/** A :86: field's lines (one field; several lines = continuation). */
const details = fc.oneof(
  fc.array(denseSubfield, { maxLength: 6 }).map((parts) => [`166${parts.join('')}`]),
  fc
    .tuple(fc.constantFrom('166', '805', '20', ' 166', '1x6'), fc.array(subfield, { maxLength: 7 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom('', '', '', '?', '?2', '??'))
    .map(([code, parts, pieces, end]) => {
      const text = `${code}${parts.join('')}${end}`;
      const size = Math.ceil(text.length / pieces) || 1;
      const lines: string[] = [];
      for (let at = 0; at < text.length; at += size) lines.push(text.slice(at, at + size));
      return lines.length > 0 ? lines : [text];
    }),
  fc.array(word, { minLength: 1, maxLength: 3 }).map((lines) => (lines[0] === '' ? ['x', ...lines.slice(1)] : lines)),
);

type Currency = 'EUR' | 'JPY' | 'KWD';
const DECIMALS: Record<Currency, number> = { EUR: 2, JPY: 0, KWD: 3 };
const year = mostly(fc.constantFrom('24', '25', '23', '00', '99'), fc.constantFrom('2x', '4'));
const monthDay = mostly(fc.constantFrom('0102', '0101', '1231', '0228', '0229', '0230', '0615', '0710', '1201', '0601', '0131'), fc.constantFrom('0231', '1301', '0600', '0000'));
const entryDate = fc.oneof(fc.constantFrom('', '    ', '  '), monthDay);
const mark = mostly(fc.constantFrom('C', 'D', 'RC', 'RD'), fc.constantFrom('X', 'R'));
function amountIn(currency: Currency): fc.Arbitrary<string> {
  const decimals = DECIMALS[currency];
  return mostly(
    fc
      .tuple(fc.oneof(fc.constantFrom(0, 0, 1, 10), fc.integer({ min: 0, max: 9_999_999 })), fc.integer({ min: 0, max: decimals }), fc.oneof(fc.constant(0), fc.nat()), fc.boolean())
      .map(([whole, places, digits, zeros]) => {
        const fraction = String(digits).padStart(places, '0').slice(0, places);
        return `${zeros ? '00' : ''}${whole},${fraction}`;
      }),
    fc.constantFrom('12,3456', '1', ',5', '1.00', '', '9999999999999999,9', '1,,0'),
  );
}
const type = mostly(fc.constantFrom('NTRF', 'NMSC', 'FCHK', 'S101', 'N0AB'), fc.constantFrom('NTR', 'XTRF', 'Ntrf'));
function l61(currency: Currency): fc.Arbitrary<string[]> {
  return fc
    .tuple(year, monthDay, entryDate, mark, fc.constantFrom('', '', 'R'), amountIn(currency), type, reference, fc.option(reference, { nil: undefined }), fc.option(word, { nil: undefined, freq: 4 }))
    .map(([yy, valueDay, entry, m, funds, amt, t, customer, bank, supplementary]) => {
      const first = `${yy}${valueDay}${entry}${m}${funds}${amt}${t}${customer}${bank === undefined ? '' : `//${bank}`}`;
      return supplementary === undefined || supplementary === '' ? [first] : [first, supplementary];
    });
}
const other = fc.tuple(fc.constantFrom('NS', 'AB'), word).map(([tag, text]) => `:${tag}:${text}`);
function entry(currency: Currency): fc.Arbitrary<string[]> {
  return fc
    .tuple(
      l61(currency),
      fc.oneof({ weight: 6, arbitrary: fc.array(details, { minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: fc.array(details, { maxLength: 3 }) }),
      fc.array(other, { maxLength: 1 }),
    )
    .map(([lines61, fields86, others]) => [`:61:${lines61[0]}`, ...lines61.slice(1), ...others, ...fields86.flatMap((lines) => [`:86:${lines[0]}`, ...lines.slice(1)])]);
}
/** Balance dates have no 30 February convention. */
const balanceDay = mostly(fc.constantFrom('0102', '0101', '1231', '0228', '0615'), fc.constantFrom('0230', '1301'));
function balance(currency: Currency): fc.Arbitrary<string> {
  return fc
    .tuple(mostly(fc.constantFrom('C', 'D'), fc.constant('X')), year, balanceDay, mostly(fc.constant(currency), fc.constantFrom('EUR', 'USD', 'XXQ')), amountIn(currency))
    .map(([m, yy, md, c, amt]) => `${m}${yy}${md}${c}${amt}`);
}
const currency = fc.constantFrom<Currency>('EUR', 'EUR', 'JPY', 'KWD');

const mt940Message = currency.chain((c) =>
  fc
    .record({
      ref: reference,
      related: fc.option(reference, { nil: undefined }),
      account: mostly(fc.oneof(fc.constantFrom('DE89370400440532013000', 'NL91ABNA0417164300', '123456789'), fc.constantFrom(...PAN)), fc.constant('')),
      number: mostly(fc.constantFrom('1/1', '00012/001', '5'), fc.constant('123456')),
      numberTag: fc.constantFrom('28C', '28C', '28'),
      opening: balance(c),
      openingTag: fc.constantFrom('60F', '60M'),
      entries: fc.array(entry(c), { maxLength: 5 }),
      closing: balance(c),
      closingTag: fc.constantFrom('62F', '62F', '62M'),
      available: fc.option(balance(c), { nil: undefined }),
      info: fc.option(details, { nil: undefined }),
      others: fc.array(other, { maxLength: 1 }),
    })
    .map((p) => {
      const lines = [`:20:${p.ref}`];
      if (p.related !== undefined) lines.push(`:21:${p.related}`);
      lines.push(`:25:${p.account}`, p.numberTag === '28' ? ':28:5' : `:28C:${p.number}`, ...p.others, `:${p.openingTag}:${p.opening}`);
      for (const e of p.entries) lines.push(...e);
      lines.push(`:${p.closingTag}:${p.closing}`);
      if (p.available !== undefined) lines.push(`:64:${p.available}`);
      if (p.info) lines.push(`:86:${p.info[0]}`, ...p.info.slice(1));
      return lines;
    }),
);

const mt942Message = fc
  .record({
    ref: reference,
    account: fc.constantFrom('DE89370400440532013000', '4111111111111111'),
    floor: fc.constantFrom('EURC1,00', 'EUR0,', 'EURD5,00'),
    secondFloor: fc.boolean(),
    dateTime: mostly(fc.constant('2401021200+0100'), fc.constantFrom('2413011200+0100', '240102120')),
    entries: fc.array(entry('EUR'), { maxLength: 4 }),
    sums: fc.constantFrom('none', 'none', 'debit', 'both', 'credit', 'wrong'),
    info: fc.option(details, { nil: undefined }),
  })
  .map((p) => {
    const lines = [`:20:${p.ref}`, `:25:${p.account}`, ':28C:1/1', `:34F:${p.floor}`];
    if (p.secondFloor) lines.push(`:34F:${p.floor.slice(0, 3)}C9,00`);
    lines.push(`:13D:${p.dateTime}`);
    for (const e of p.entries) lines.push(...e);
    if (p.sums === 'debit' || p.sums === 'both') lines.push(':90D:0EUR0,00');
    if (p.sums === 'credit' || p.sums === 'both') lines.push(':90C:0EUR0,00');
    if (p.sums === 'wrong') lines.push(':90C:1EURX');
    if (p.info) lines.push(`:86:${p.info[0]}`, ...p.info.slice(1));
    return lines;
  });

/** A message in one of the wrappers the parser reads, with its terminator (or none). */
const wrapped = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: mt940Message }, { weight: 1, arbitrary: mt942Message }),
    fc.constantFrom('plain', 'plain', 'swift', 'swift-trailer', 'abn', 'ing', 'rabobank', 'soh'),
    fc.constantFrom('-', '-', '-', '', '-XXX', '- '),
  )
  .map(([lines, wrapper, end]) => {
    const type = lines.some((line) => line.startsWith(':34F:')) ? '942' : '940';
    const terminated = end === '' ? lines : [...lines, end];
    switch (wrapper) {
      case 'swift':
        return [`{1:F01BANKDEFFAXXX0000000000}{2:I${type}BANKDEFFXXXXN}{4:`, ...lines, '-}'];
      case 'swift-trailer':
        return [`{1:F01BANKDEFFAXXX0000000000}{2:O${type}1200240102BANKDEFFAXXX00000000002401021200N}{3:{108:X}}{4:`, ...lines, '-}{5:{CHK:123456789ABC}}'];
      case 'abn':
        return ['ABNANL2A', type, 'ABNANL2A', ...terminated];
      case 'ing':
        return ['0000 01INGBNL2AXXXX00001', `${type} 00`, ...terminated];
      case 'rabobank':
        return [`:${type}:`, ...terminated];
      case 'soh':
        return [`\u0001${terminated[0]}`, ...terminated.slice(1, -1), `${terminated[terminated.length - 1]}\u0003`];
      default:
        return terminated;
    }
  });

const file = fc
  .tuple(fc.array(wrapped, { minLength: 1, maxLength: 2 }), fc.constantFrom('\n', '\r\n'), fc.constantFrom('', '\n'), fc.boolean())
  .map(([messages, eol, blank, finalEol]) => messages.map((lines) => lines.join(eol)).join(`${eol}${blank}`) + (finalEol ? eol : ''));

/** The file broken at a few places: a character dropped, changed or inserted, a line doubled. */
const broken = fc.tuple(file, fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', ':', '\n', 'A', '9', ',', '?', '\u0002', ' ', 'dup')), { minLength: 1, maxLength: 3 })).map(([text, edits]) => {
  let out = text;
  for (const [at, edit] of edits) {
    const i = at % (out.length + 1);
    if (edit === 'drop') out = out.slice(0, i) + out.slice(i + 1);
    else if (edit === 'dup') {
      const start = out.lastIndexOf('\n', i - 1) + 1;
      const end = out.indexOf('\n', i);
      const line = out.slice(start, end === -1 ? out.length : end + 1);
      out = out.slice(0, start) + line + out.slice(start);
    } else out = out.slice(0, i) + edit + out.slice(i);
  }
  return out;
});

describe('Mt940Parser against the reference parser', () => {
  it('the same lines, summaries, messages and errors for any generated file in any chunking', () => {
    fc.assert(
      fc.property(file, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => compare(text, cuts)),
      { numRuns: 400 },
    );
  });

  it('the same for the generated files broken at random (errors: same fault, same line)', () => {
    fc.assert(
      fc.property(broken, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => compare(text, cuts)),
      { numRuns: 400 },
    );
  });

  it('sums of many large amounts stay exact past 2^53 (movements, debit and credit sums), as the reference has them', () => {
    // 14-digit amounts in a currency without decimals: 100 credits, then 100 debits, so the running
    // sums pass 2^53 while the closing balance stays within SWIFT's 15 characters.
    const amounts = Array.from({ length: 200 }, (_, i) => `${i < 100 ? 'C' : 'D'}${String(99_999_999_999_999 - i * 7_777_777)},`);
    let closing = 0n;
    for (const a of amounts) closing += (a[0] === 'D' ? -1n : 1n) * BigInt(a.slice(1, -1));
    const entries = amounts.map((a, i) => `:61:2401020102${a}NTRFREF${i}//B${i}`);
    const close = `${closing < 0n ? 'D' : 'C'}240102JPY${(closing < 0n ? -closing : closing).toString()},`;
    const text = [':20:BIG', ':25:ACCOUNT', ':28C:1/1', ':60F:C240101JPY0,', ...entries, `:62F:${close}`, '-'].join('\n');
    compare(text, [5000, 100_000]);
    const summaries: unknown[] = [];
    const parser = new Mt940Parser(CTX, { line: () => undefined, statement: (summary) => summaries.push(summary) });
    parser.push(text);
    parser.end();
    expect(summaries).toMatchObject([{ balance: { ok: true, movements: closing.toString(), closing: closing.toString() } }]);
    // MT942: its :90D:/:90C: sums (15 characters at most) are compared with sums far past 2^53.
    const report = [':20:BIG', ':25:ACCOUNT', ':28C:1/1', ':34F:JPY0,', ':13D:2401021200+0100', ...entries];
    compare([...report, ':90D:100JPY99999999999999,', '-'].join('\n'), [777]);
    compare([...report, '-'].join('\n'), []);
  });

  it('the generator reaches both outcomes: statements that parse with lines, and errors', () => {
    const samples = fc.sample(file, { numRuns: 300, seed: 7 });
    const outcomes = samples.map((text) => streamed((sink) => new Mt940Parser(CTX, sink), [text]));
    expect(outcomes.filter((o) => o.error === undefined && o.out.includes('"line"')).length).toBeGreaterThan(30);
    expect(outcomes.filter((o) => o.error !== undefined).length).toBeGreaterThan(30);
  });
});
