/**
 * One shared generator of card-number (PAN) spellings, for every PCI test (PCI-1, PCI-2, PCI-3):
 * the posting guard, the reconciliation parsers, the workbench, the logs. Every entry point gets
 * the same spellings, and the same helper scans what it stored afterwards.
 *
 * PANs
 *   luhnComplete(body)          body + its Luhn check digit (a valid PAN from any 12–18 digit body)
 *   CARD_SCHEMES                the card-scheme table (prefix ranges, lengths) PCI-2 uses
 *   SAMPLE_PANS                 fixed scheme-shaped PANs, every length 13–19 (13-digit Visa `4…`,
 *                               15-digit Amex, 16, 17, 18, 19-digit Visa …)
 *   cardPanArb(lengths?)        fast-check: a Luhn-valid PAN whose prefix and length fit a scheme
 *   luhnDigitsArb(min?, max?)   fast-check: any Luhn-valid ASCII digit string (PCI-1 needs no scheme)
 *
 * Spellings (the same PAN written the ways people and systems write it)
 *   PAN_SEPARATORS              group separators: space, double space, tab, `-`, ` - `, `.`, `/`,
 *                               `_`, `,`, no-break space, en dash, em dash …
 *   DIGIT_ZEROS                 the zero of each digit script used: ASCII, full-width (U+FF10),
 *                               Arabic-Indic, Devanagari, Bengali, Thai, Myanmar, Osmanya and
 *                               mathematical bold (both outside the BMP) …
 *   spellPan(pan, options)      one spelling, chosen by SpellingOptions (digits, groups, separator,
 *                               `\u` escapes of none/some/all digits, context)
 *   CONTEXTS                    bare, prose, expiry after it (`4111 1111 1111 1111 12 25`), digits
 *                               before it, inside a longer unseparated run, a CSV cell, XML text, a
 *                               JSON string, a line that is not valid JSON
 *   panSpellingArb(panArb?)     fast-check: a PanSpelling { pan, text, form } over all of the above
 *   panSpellingList(pans?)      the deterministic list: every context × digit script × separator ×
 *                               escape form for each PAN (default SAMPLE_PANS)
 *
 * Scanning (for state directories, databases, logs, outputs after a run)
 *   containsDigitsOf(haystack, pan, options?)   true when a string or Buffer holds the PAN's
 *                               digits in any form above: as written and with JSON escapes decoded
 *                               one to three levels deep (JSON inside JSON), XML character
 *                               references and %3X decoded, every Unicode decimal digit read as ASCII,
 *                               and joining digits across gaps of up to `maxGap` (default 3)
 *                               characters that are neither letters nor digits. Buffers are also
 *                               searched for the PAN as a big- and little-endian 64-bit integer, and
 *                               gzip data is inflated first.
 *   filesContainingDigitsOf(root, pans)         every file under `root` (recursively) holding one of
 *                               the PANs, as { file, pan }. Columnar stores that compress strings
 *                               (DuckDB, Parquet) can hide digits from a byte scan: read them back
 *                               through their own reader and scan the rows too.
 *
 * The false-positive side (numbers that must stay visible)
 *   NON_CARD_SAMPLES            fixed bank references, IBANs, dates, amounts, invoice numbers, …
 *   nonCardNumberArb()          fast-check: the same kinds, generated. Every one is visible under
 *                               identifier evidence (PCI-2); those with `plainTextSafe` (no chain of
 *                               13 or more digits) are visible under text evidence (PCI-1) too.
 */
import * as fc from 'fast-check';
import { gunzipSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// ---------------------------------------------------------------------------
// PANs

/** `body` followed by the Luhn check digit that makes the whole pass. */
export function luhnComplete(body: string): string {
  let sum = 0;
  let double = true; // the rightmost body digit is doubled once the check digit follows it
  for (let i = body.length - 1; i >= 0; i -= 1) {
    let digit = body.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

/** True when the ASCII digit string passes Luhn (an independent copy; the guard has its own). */
export function luhnValid(digits: string): boolean {
  return digits.length > 1 && luhnComplete(digits.slice(0, -1)) === digits;
}

export interface CardScheme {
  scheme: string;
  /** Inclusive prefix ranges, as equal-length digit strings. */
  prefixes: ReadonlyArray<readonly [string, string]>;
  lengths: readonly number[];
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** PCI-2's card-scheme table (prefix ranges and lengths). Maestro's 12-digit numbers are below PCI-1's 13. */
export const CARD_SCHEMES: readonly CardScheme[] = [
  { scheme: 'visa', prefixes: [['4', '4']], lengths: [13, 16, 19] },
  {
    scheme: 'mastercard',
    prefixes: [
      ['51', '55'],
      ['2221', '2720'],
    ],
    lengths: [16],
  },
  {
    scheme: 'amex',
    prefixes: [
      ['34', '34'],
      ['37', '37'],
    ],
    lengths: [15],
  },
  {
    scheme: 'discover',
    prefixes: [
      ['6011', '6011'],
      ['644', '649'],
      ['65', '65'],
    ],
    lengths: range(16, 19),
  },
  { scheme: 'jcb', prefixes: [['3528', '3589']], lengths: range(16, 19) },
  {
    scheme: 'diners',
    prefixes: [
      ['36', '36'],
      ['38', '38'],
      ['300', '305'],
    ],
    lengths: range(14, 19),
  },
  { scheme: 'unionpay', prefixes: [['62', '62']], lengths: range(16, 19) },
  {
    scheme: 'maestro',
    prefixes: [
      ['50', '50'],
      ['56', '69'],
    ],
    lengths: range(13, 19),
  },
];

const fill = (prefix: string, length: number, digit = '0'): string => luhnComplete(prefix + digit.repeat(length - 1 - prefix.length));

/** Fixed scheme-shaped PANs covering every length 13–19 (the well-known test numbers among them). */
export const SAMPLE_PANS: readonly string[] = [
  '4222222222222', // 13-digit Visa
  fill('36', 14, '1'), // 14-digit Diners
  '378282246310005', // 15-digit Amex
  '4111111111111111', // 16-digit Visa
  '5555555555554444', // Mastercard
  '2223000048400011', // Mastercard 2-series
  '6011111111111117', // Discover
  fill('6011', 17, '3'), // 17-digit Discover
  fill('3528', 18, '7'), // 18-digit JCB
  fill('4', 19, '1'), // 19-digit Visa
  fill('50', 13, '2'), // 13-digit Maestro
];

/** A Luhn-valid PAN whose prefix and length fit a card scheme (PCI-2 evidence), 13–19 digits. */
export function cardPanArb(lengths: readonly number[] = range(13, 19)): fc.Arbitrary<string> {
  const choices = CARD_SCHEMES.flatMap((scheme) =>
    scheme.lengths.filter((length) => lengths.includes(length)).flatMap((length) => scheme.prefixes.map(([lo, hi]) => ({ lo: Number(lo), hi: Number(hi), width: lo.length, length }))),
  );
  if (choices.length === 0) throw new Error(`no card scheme has a length in ${lengths.join(',')}`);
  return fc
    .constantFrom(...choices)
    .chain(({ lo, hi, width, length }) =>
      fc
        .tuple(fc.integer({ min: lo, max: hi }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length - 1 - width, maxLength: length - 1 - width }))
        .map(([prefix, rest]) => luhnComplete(String(prefix).padStart(width, '0') + rest.join(''))),
    );
}

/** Any Luhn-valid ASCII digit string of `min`–`max` digits (PCI-1 evidence needs no scheme). */
export function luhnDigitsArb(min = 13, max = 19): fc.Arbitrary<string> {
  return fc.integer({ min, max }).chain((length) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length - 1, maxLength: length - 1 }).map((digits) => luhnComplete(digits.join(''))));
}

// ---------------------------------------------------------------------------
// Spellings

/** Separators between digit groups (PCI-1: up to three characters). */
export const PAN_SEPARATORS: readonly string[] = [' ', '  ', '\t', '-', ' - ', '.', '/', '_', ',', '\u00a0', '\u2013', '\u2014', ', ', ' / ', '--', ' \u2013 '];

/** The zero of each digit script used (digits are zero + 0..9). Two lie outside the BMP. */
export const DIGIT_ZEROS: readonly number[] = [0x30, 0xff10, 0x0660, 0x06f0, 0x0966, 0x09e6, 0x0e50, 0x1040, 0x104a0, 0x1d7ce];

export type DigitForm = 'ascii' | 'fullwidth' | 'mixed' | { zero: number };
export type EscapeForm = 'none' | 'all' | 'some';
export type SpellingContext = 'bare' | 'prose' | 'expiryAfter' | 'digitsBefore' | 'longRun' | 'csv' | 'xml' | 'json' | 'jsonInvalid';

export const CONTEXTS: readonly SpellingContext[] = ['bare', 'prose', 'expiryAfter', 'digitsBefore', 'longRun', 'csv', 'xml', 'json', 'jsonInvalid'];

export interface SpellingOptions {
  /** Digit script; 'mixed' cycles through DIGIT_ZEROS digit by digit. Default ascii. */
  digits?: DigitForm;
  /** Group sizes summing to the PAN's length; absent: one run. */
  groups?: readonly number[];
  /** Separator(s) between groups, cycled. Default one space. */
  separator?: string | readonly string[];
  /** `\uXXXX` escapes of no, every other, or every digit. Default none. */
  escape?: EscapeForm;
  /** Escape the separators as `\uXXXX` too (a JSON writer escapes a tab as `\t`; this is the long form). */
  escapeSeparators?: boolean;
  /** Upper-case hex in escapes. */
  upperHex?: boolean;
  /** Where the PAN sits. Default bare. 'longRun' needs one run (no groups). */
  context?: SpellingContext;
}

export interface PanSpelling {
  /** The PAN's ASCII digits. */
  pan: string;
  /** The text that carries it. */
  text: string;
  /** A short description of the spelling, for failure messages. */
  form: string;
}

interface Unit {
  char: string;
  escape: boolean;
}

function escapeOf(char: string, upper: boolean): string {
  let out = '';
  for (let i = 0; i < char.length; i += 1) {
    const hex = char.charCodeAt(i).toString(16).padStart(4, '0');
    out += `\\u${upper ? hex.toUpperCase() : hex}`;
  }
  return out;
}

function digitChar(value: number, form: DigitForm, index: number): string {
  let zero: number;
  if (form === 'ascii') zero = 0x30;
  else if (form === 'fullwidth') zero = 0xff10;
  else if (form === 'mixed') zero = DIGIT_ZEROS[index % DIGIT_ZEROS.length] as number;
  else zero = form.zero;
  return String.fromCodePoint(zero + value);
}

const JSON_SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function renderRaw(units: readonly Unit[], upper: boolean): string {
  return units.map((unit) => (unit.escape ? escapeOf(unit.char, upper) : unit.char)).join('');
}

function renderJsonString(units: readonly Unit[], upper: boolean): string {
  return units
    .map((unit) => {
      if (unit.escape) return escapeOf(unit.char, upper);
      const short = JSON_SHORT[unit.char];
      if (short) return short;
      return unit.char.charCodeAt(0) < 0x20 ? escapeOf(unit.char, upper) : unit.char;
    })
    .join('');
}

const xmlText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One spelling of `pan` (ASCII digits) as described by `options`. */
export function spellPan(pan: string, options: SpellingOptions = {}): string {
  const digits = options.digits ?? 'ascii';
  const separators = typeof options.separator === 'string' ? [options.separator] : (options.separator ?? [' ']);
  const escape = options.escape ?? 'none';
  const context = options.context ?? 'bare';
  const upper = options.upperHex ?? false;
  if (context === 'longRun' && options.groups && options.groups.length > 1) throw new Error('a longer unseparated run needs the PAN as one run');
  const groups = options.groups ?? [pan.length];
  if (groups.reduce((a, b) => a + b, 0) !== pan.length || groups.some((size) => size < 1)) throw new Error(`groups ${groups.join('-')} do not cover ${pan.length} digits`);
  const firstSeparator = separators[0] ?? ' ';

  const units: Unit[] = [];
  const pushDigits = (ascii: string, offset: number): void => {
    for (let i = 0; i < ascii.length; i += 1) {
      const index = offset + i;
      units.push({ char: digitChar(ascii.charCodeAt(i) - 48, digits, index), escape: escape === 'all' || (escape === 'some' && index % 2 === 0) });
    }
  };
  const pushSeparator = (separator: string): void => {
    for (const char of separator) units.push({ char, escape: options.escapeSeparators === true });
  };

  if (context === 'digitsBefore') {
    pushDigits('0042', 100);
    pushSeparator(firstSeparator);
  }
  if (context === 'longRun') pushDigits('98765', 100);
  let at = 0;
  groups.forEach((size, g) => {
    if (g > 0) pushSeparator(separators[(g - 1) % separators.length] ?? ' ');
    pushDigits(pan.slice(at, at + size), at);
    at += size;
  });
  if (context === 'longRun') pushDigits('0123', 200);
  if (context === 'expiryAfter') {
    pushSeparator(firstSeparator);
    pushDigits('12', 300);
    pushSeparator(firstSeparator);
    pushDigits('25', 302);
  }

  switch (context) {
    case 'json':
      return `{"id":"N-1","note":"${renderJsonString(units, upper)}","amount":"12.50"}`;
    case 'jsonInvalid':
      return `{"id":"N-1","note":"${renderRaw(units, upper)}",,"amount":12.50`;
    case 'csv':
      return `id,amount,note\r\n17,12.50,"${renderRaw(units, upper).replace(/"/g, '""')}"\r\n`;
    case 'xml':
      return `<Ntry><Amt Ccy="GBP">12.50</Amt><AddtlNtryInf>${xmlText(renderRaw(units, upper))}</AddtlNtryInf></Ntry>`;
    case 'prose':
      return `Customer called about card ${renderRaw(units, upper)} yesterday; case A7 reopened.`;
    default:
      return renderRaw(units, upper);
  }
}

const describeDigits = (form: DigitForm): string => (typeof form === 'string' ? form : `U+${form.zero.toString(16).toUpperCase()}`);
const describeSeparator = (separator: string | readonly string[]): string => JSON.stringify(separator);

function spelling(pan: string, options: SpellingOptions): PanSpelling {
  const form = [
    options.context ?? 'bare',
    describeDigits(options.digits ?? 'ascii'),
    options.groups ? `groups ${options.groups.join('-')} by ${describeSeparator(options.separator ?? ' ')}` : 'one run',
    `escape ${options.escape ?? 'none'}${options.escapeSeparators ? '+separators' : ''}`,
  ].join(', ');
  return { pan, text: spellPan(pan, options), form };
}

/** Groups of four, the last one shorter (how most PANs are printed); Amex 4-6-5. */
function standardGroups(length: number): number[] {
  if (length === 15) return [4, 6, 5];
  const groups: number[] = [];
  for (let left = length; left > 0; left -= 4) groups.push(Math.min(4, left));
  return groups;
}

/** Random group sizes (1–7 digits each) covering `length`. */
function groupsArb(length: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: length }).map((sizes) => {
    const groups: number[] = [];
    let left = length;
    for (const size of sizes) {
      if (left === 0) break;
      const take = Math.min(size, left);
      groups.push(take);
      left -= take;
    }
    if (left > 0) groups.push(left);
    return groups;
  });
}

const digitFormArb: fc.Arbitrary<DigitForm> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<DigitForm>('ascii') },
  { weight: 2, arbitrary: fc.constant<DigitForm>('fullwidth') },
  { weight: 1, arbitrary: fc.constant<DigitForm>('mixed') },
  { weight: 2, arbitrary: fc.constantFrom(...DIGIT_ZEROS).map((zero): DigitForm => ({ zero })) },
);

/**
 * Generated spellings of generated PANs (default: scheme-shaped card PANs of every length 13–19).
 * Every spelling is one PCI-1 must catch.
 */
export function panSpellingArb(panArb: fc.Arbitrary<string> = cardPanArb()): fc.Arbitrary<PanSpelling> {
  return panArb.chain((pan) =>
    fc
      .record({
        digits: digitFormArb,
        grouping: fc.oneof(fc.constant<'run'>('run'), fc.constant<'standard'>('standard'), groupsArb(pan.length)),
        separator: fc.oneof(fc.constantFrom(...PAN_SEPARATORS), fc.array(fc.constantFrom(...PAN_SEPARATORS), { minLength: 2, maxLength: 4 })),
        escape: fc.constantFrom<EscapeForm>('none', 'none', 'some', 'all'),
        escapeSeparators: fc.boolean(),
        upperHex: fc.boolean(),
        context: fc.constantFrom(...CONTEXTS),
      })
      .map(({ digits, grouping, separator, escape, escapeSeparators, upperHex, context }) => {
        const groups = grouping === 'run' || context === 'longRun' ? undefined : grouping === 'standard' ? standardGroups(pan.length) : grouping;
        return spelling(pan, { digits, groups, separator, escape, escapeSeparators, upperHex, context });
      }),
  );
}

/**
 * The deterministic list: for each PAN, every context in ASCII, every separator in groups of four,
 * every digit script, the escape forms and a few mixed-separator groupings.
 */
export function panSpellingList(pans: readonly string[] = SAMPLE_PANS): PanSpelling[] {
  const out: PanSpelling[] = [];
  for (const pan of pans) {
    const groups = standardGroups(pan.length);
    for (const context of CONTEXTS) {
      out.push(spelling(pan, { context }));
      if (context !== 'longRun') out.push(spelling(pan, { context, groups }));
      out.push(spelling(pan, { context, escape: 'all' }));
    }
    for (const separator of PAN_SEPARATORS) {
      out.push(spelling(pan, { groups, separator }));
      out.push(spelling(pan, { groups, separator, context: 'expiryAfter' }));
      out.push(spelling(pan, { groups, separator, context: 'digitsBefore' }));
    }
    for (const zero of DIGIT_ZEROS) {
      out.push(spelling(pan, { digits: { zero } }));
      out.push(spelling(pan, { digits: { zero }, groups, separator: '\u00a0', context: 'prose' }));
    }
    out.push(spelling(pan, { digits: 'mixed', groups, separator: ['.', ' - ', '/'] }));
    out.push(spelling(pan, { digits: 'fullwidth', groups, separator: '\u3000', context: 'expiryAfter' }));
    out.push(spelling(pan, { escape: 'some', context: 'jsonInvalid' }));
    out.push(spelling(pan, { escape: 'all', groups, separator: '\t', escapeSeparators: true, context: 'jsonInvalid' }));
    out.push(spelling(pan, { escape: 'some', digits: 'fullwidth', upperHex: true, context: 'json' }));
    out.push(spelling(pan, { groups, separator: '\t', context: 'json' }));
    out.push(spelling(pan, { groups: [1, ...Array.from({ length: pan.length - 1 }, () => 1)].slice(0, pan.length), separator: ' ' }));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Scanning

let ndZero: Int32Array | undefined; // BMP code unit → digit value, or -1

function digitValueTable(): Int32Array {
  if (ndZero) return ndZero;
  const table = new Int32Array(0x10000).fill(-1);
  let runStart = -1;
  for (let code = 0; code < 0x10000; code += 1) {
    if (code >= 0xd800 && code <= 0xdfff) {
      runStart = -1;
      continue;
    }
    if (/\p{Nd}/u.test(String.fromCharCode(code))) {
      if (runStart < 0) runStart = code;
      table[code] = (code - runStart) % 10;
    } else runStart = -1;
  }
  ndZero = table;
  return table;
}

const astralDigitRuns: Array<readonly [number, number]> = [];
let astralReady = false;

function astralDigitValue(codePoint: number): number {
  if (!astralReady) {
    let runStart = -1;
    for (let code = 0x10000; code < 0x20000; code += 1) {
      if (/\p{Nd}/u.test(String.fromCodePoint(code))) {
        if (runStart < 0) runStart = code;
      } else if (runStart >= 0) {
        astralDigitRuns.push([runStart, code - 1]);
        runStart = -1;
      }
    }
    astralReady = true;
  }
  for (const [start, end] of astralDigitRuns) if (codePoint >= start && codePoint <= end) return (codePoint - start) % 10;
  return -1;
}

const JSON_UNESCAPE: Record<string, string> = { t: '\t', n: '\n', r: '\r', b: '\b', f: '\f', '/': '/', '"': '"', '\\': '\\' };

/** One level of JSON escapes (`\uXXXX`, `\t`, `\\` …) decoded. */
export function decodeJsonEscapes(text: string): string {
  return text.replace(/\\(?:u([0-9a-fA-F]{4})|([tnrbf/"\\]))/g, (_, hex: string | undefined, short: string | undefined) =>
    hex ? String.fromCharCode(parseInt(hex, 16)) : (JSON_UNESCAPE[short as string] ?? ''),
  );
}

/**
 * Decodes (with `decodeJson`) one level of JSON escapes, and `&#NN;`, `&#xHH;` and `%3X`, and maps
 * every Unicode decimal digit to ASCII.
 */
export function normaliseDigits(text: string, decodeJson = true): string {
  const decoded = (decodeJson ? decodeJsonEscapes(text) : text)
    .replace(/&#(?:x([0-9a-fA-F]+)|([0-9]+));/g, (whole, hex: string | undefined, dec: string | undefined) => {
      const code = hex ? parseInt(hex, 16) : Number(dec);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    })
    .replace(/%3([0-9])/g, '$1');
  const table = digitValueTable();
  // Pieces joined once (a character at a time would make a megabyte file a million-piece string).
  const pieces: string[] = [];
  let ascii = 0; // start of the current run of ASCII characters, copied as one slice
  for (let i = 0; i < decoded.length; i += 1) {
    const code = decoded.charCodeAt(i);
    if (code < 0x80) continue;
    if (ascii < i) pieces.push(decoded.slice(ascii, i));
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < decoded.length) {
      const point = decoded.codePointAt(i) as number;
      const value = astralDigitValue(point);
      pieces.push(value >= 0 ? String(value) : decoded.slice(i, i + 2));
      i += 1;
    } else {
      const value = table[code] as number;
      pieces.push(value >= 0 ? String(value) : (decoded[i] as string));
    }
    ascii = i + 1;
  }
  if (ascii < decoded.length) pieces.push(decoded.slice(ascii));
  return pieces.join('');
}

export interface ContainsDigitsOptions {
  /** Longest gap (characters that are neither letters nor digits) still joining two digits. Default 3. */
  maxGap?: number;
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

const ESCAPE = /\\(?:u[0-9a-fA-F]{4}|[tnrbf/"\\])/;

/**
 * The digit chains of a normalised text: runs of digits joined across at most `maxGap` characters
 * that are neither letters nor digits, each chain ended by a non-digit (so no PAN spans two).
 */
function digitChains(normal: string, maxGap: number): string {
  const chains: string[] = [];
  let chunk = '';
  let gap = 0;
  for (let i = 0; i < normal.length; i += 1) {
    const code = normal.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      chunk += normal[i];
      gap = 0;
      continue;
    }
    gap += 1;
    const lower = code | 32;
    const breaks = code < 0x80 ? lower >= 97 && lower <= 122 : LETTER_OR_DIGIT.test(normal[i] as string);
    if (gap > maxGap || breaks) {
      if (chunk.length > 0) chains.push(chunk);
      chunk = '';
    }
  }
  if (chunk.length > 0) chains.push(chunk);
  return chains.join('|');
}

/**
 * The digit chains of a text as written, and decoded once, twice and three times (JSON inside
 * JSON): a PAN is in the text when it is inside one of them.
 */
function textChains(text: string, maxGap: number): string[] {
  const levels: string[] = [];
  let level = text;
  for (let depth = 0; depth < 4; depth += 1) {
    levels.push(digitChains(normaliseDigits(level, false), maxGap));
    if (!ESCAPE.test(level)) break;
    level = decodeJsonEscapes(level);
  }
  return levels;
}

function bufferHoldsInteger(buffer: Buffer, pan: string): boolean {
  const value = BigInt(pan);
  if (value >= 1n << 63n) return false;
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(value);
  if (buffer.includes(bytes)) return true;
  bytes.writeBigInt64LE(value);
  return buffer.includes(bytes);
}

/**
 * A test of one haystack for any number of PANs: the decoding and digit chains (the costly part on a
 * database file) are worked out once, then each PAN is a substring search. Same answers as
 * `containsDigitsOf(haystack, pan)` for every PAN.
 */
export function digitsScanner(haystack: string | Buffer, options: ContainsDigitsOptions = {}): (pan: string) => boolean {
  const maxGap = options.maxGap ?? 3;
  if (typeof haystack === 'string') {
    const levels = textChains(haystack, maxGap);
    return (pan) => levels.some((chains) => chains.includes(pan));
  }
  const levels: string[] = [];
  if (haystack.length > 2 && haystack[0] === 0x1f && haystack[1] === 0x8b) {
    try {
      levels.push(...textChains(gunzipSync(haystack).toString('utf8'), maxGap));
    } catch {
      // not gzip after all: scan the bytes as they are
    }
  }
  levels.push(...textChains(haystack.toString('utf8'), maxGap));
  return (pan) =>
    bufferHoldsInteger(haystack, pan) ||
    levels.some((chains) => chains.includes(pan)) ||
    // UTF-16 text (a database can store it so): every other byte is zero for ASCII digits.
    haystack.includes(Buffer.from(pan, 'utf16le')) ||
    haystack.includes(Buffer.from(pan, 'utf16le').subarray(1));
}

/**
 * True when `haystack` holds the PAN's digits in any spelling this module produces (and XML
 * character references, %-escapes, gzip, 64-bit integers in a Buffer), joined across small
 * non-alphanumeric gaps. For many PANs in one haystack, `digitsScanner` decodes it once.
 */
export function containsDigitsOf(haystack: string | Buffer, pan: string, options: ContainsDigitsOptions = {}): boolean {
  return digitsScanner(haystack, options)(pan);
}

/** Every file under `root` (recursively) holding one of `pans`, as { file, pan }. */
export function filesContainingDigitsOf(root: string, pans: readonly string[], options: ContainsDigitsOptions = {}): Array<{ file: string; pan: string }> {
  const hits: Array<{ file: string; pan: string }> = [];
  const pending = [root];
  while (pending.length > 0) {
    const path = pending.pop() as string;
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) continue;
    if (stats.isDirectory()) {
      for (const entry of readdirSync(path)) pending.push(join(path, entry));
      continue;
    }
    if (!stats.isFile()) continue;
    const holds = digitsScanner(readFileSync(path), options);
    for (const pan of pans) if (holds(pan)) hits.push({ file: path, pan });
  }
  return hits;
}

// ---------------------------------------------------------------------------
// The false-positive side

export type NonCardKind = 'luhn-reference' | 'long-reference' | 'short-reference' | 'iban' | 'date' | 'timestamp' | 'amount' | 'invoice';

export interface NonCardNumber {
  text: string;
  kind: NonCardKind;
  /** No chain of 13+ digits: visible under text evidence (PCI-1) too, not only identifier evidence (PCI-2). */
  plainTextSafe: boolean;
}

/** ISO 13616 check digits for a country code and BBAN. */
export function ibanOf(country: string, bban: string): string {
  const numeric = `${bban}${country}00`.replace(/[A-Z]/g, (letter) => String(letter.charCodeAt(0) - 55));
  let remainder = 0;
  for (const char of numeric) remainder = (remainder * 10 + Number(char)) % 97;
  return `${country}${String(98 - remainder).padStart(2, '0')}${bban}`;
}

/**
 * Prefixes (with lengths) that no card scheme uses: first digit 0, 1, 7, 8 or 9; a `4` of a length
 * Visa does not issue; 51–55 not 16 long; 2-, 3- prefixes outside the scheme ranges.
 */
const NON_CARD_PREFIXES: ReadonlyArray<{ lo: number; hi: number; width: number; lengths: readonly number[] }> = [
  { lo: 0, hi: 1, width: 1, lengths: range(13, 19) },
  { lo: 7, hi: 9, width: 1, lengths: range(13, 19) },
  { lo: 4, hi: 4, width: 1, lengths: [14, 15, 17, 18] },
  { lo: 51, hi: 55, width: 2, lengths: [13, 14, 15, 17, 18, 19] },
  { lo: 20, hi: 21, width: 2, lengths: range(13, 19) },
  { lo: 2721, hi: 2999, width: 4, lengths: range(13, 19) },
  { lo: 2200, hi: 2220, width: 4, lengths: range(13, 19) },
  { lo: 31, hi: 33, width: 2, lengths: range(13, 19) },
  { lo: 306, hi: 309, width: 3, lengths: range(13, 19) },
  { lo: 3500, hi: 3527, width: 4, lengths: range(13, 19) },
  { lo: 3590, hi: 3599, width: 4, lengths: range(13, 19) },
  { lo: 39, hi: 39, width: 2, lengths: range(13, 19) },
  { lo: 34, hi: 34, width: 2, lengths: [13, 14, 16, 17, 18, 19] },
];

/** Fixed numbers that must stay visible (see NonCardNumber.plainTextSafe for which evidence). */
export const NON_CARD_SAMPLES: readonly NonCardNumber[] = [
  { text: luhnComplete('100000000000'), kind: 'luhn-reference', plainTextSafe: false }, // 13 digits, prefix 1
  { text: luhnComplete('41111111111111'), kind: 'luhn-reference', plainTextSafe: false }, // 15-digit `4`: not a Visa length
  { text: luhnComplete('5100000000000'), kind: 'luhn-reference', plainTextSafe: false }, // 14-digit 51: not a Mastercard length
  { text: luhnComplete('900000000000000000'), kind: 'luhn-reference', plainTextSafe: false }, // 19 digits, prefix 9
  { text: luhnComplete('7'.repeat(16)), kind: 'luhn-reference', plainTextSafe: false },
  { text: `${luhnComplete('4111111111111111111')}`, kind: 'long-reference', plainTextSafe: false }, // 20 digits
  { text: '00000000000000000000000042', kind: 'long-reference', plainTextSafe: false },
  { text: '630500099976', kind: 'short-reference', plainTextSafe: true },
  { text: luhnComplete('41111111111'), kind: 'short-reference', plainTextSafe: true }, // 12 digits passing Luhn
  { text: ibanOf('GB', 'NWBK60161331926819'), kind: 'iban', plainTextSafe: false },
  { text: ibanOf('DE', '370400440532013000'), kind: 'iban', plainTextSafe: false },
  { text: '2026-11-01', kind: 'date', plainTextSafe: true },
  { text: '01/11/2026', kind: 'date', plainTextSafe: true },
  { text: '2026-11-01T12:34:56.789Z', kind: 'timestamp', plainTextSafe: true },
  { text: '2026-11-01 12:34:56.789', kind: 'timestamp', plainTextSafe: true },
  { text: '2026-11-01 23:59:59.999+01:00', kind: 'timestamp', plainTextSafe: true },
  { text: '1,234,567.89', kind: 'amount', plainTextSafe: true },
  { text: '-98 765 432,10 EUR', kind: 'amount', plainTextSafe: true },
  { text: 'INV-2026-000123', kind: 'invoice', plainTextSafe: true },
];

const digitsArb = (length: number): fc.Arbitrary<string> => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length, maxLength: length }).map((d) => d.join(''));
const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** Generated numbers that must stay visible; see NonCardNumber.plainTextSafe. */
export function nonCardNumberArb(): fc.Arbitrary<NonCardNumber> {
  const luhnReference = fc
    .constantFrom(...NON_CARD_PREFIXES)
    .chain(({ lo, hi, width, lengths }) =>
      fc.tuple(fc.integer({ min: lo, max: hi }), fc.constantFrom(...lengths)).chain(([prefix, length]) => digitsArb(length - 1 - width).map((rest) => luhnComplete(pad(prefix, width) + rest))),
    )
    .map((text): NonCardNumber => ({ text, kind: 'luhn-reference', plainTextSafe: false }));
  const longReference = fc
    .integer({ min: 20, max: 32 })
    .chain(digitsArb)
    .map((text): NonCardNumber => ({ text, kind: 'long-reference', plainTextSafe: false }));
  const shortReference = fc
    .integer({ min: 1, max: 12 })
    .chain(digitsArb)
    .map((text): NonCardNumber => ({ text, kind: 'short-reference', plainTextSafe: true }));
  const iban = fc
    .tuple(fc.constantFrom('GB', 'DE', 'FR', 'NL', 'IE'), fc.stringMatching(/^[A-Z]{4}$/), digitsArb(14))
    .map(([country, bank, account]) => ({ text: ibanOf(country, bank + account), kind: 'iban' as const, plainTextSafe: false }));
  const date = fc
    .tuple(fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), fc.constantFrom('-', '/', '.', ' '))
    .map(([y, m, d, sep]): NonCardNumber => ({ text: sep === '-' ? `${y}-${pad(m, 2)}-${pad(d, 2)}` : `${pad(d, 2)}${sep}${pad(m, 2)}${sep}${y}`, kind: 'date', plainTextSafe: true }));
  // Colons never join digit groups (PCI-1), so a full timestamp with milliseconds stays visible.
  const timestamp = fc
    .tuple(
      fc.integer({ min: 2000, max: 2099 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 999 }),
      fc.constantFrom('T', ' '),
      fc.constantFrom('Z', '+01:00', '-05:30', ''),
    )
    .map(([y, mo, d, h, mi, s, ms, t, zone]): NonCardNumber => ({
      text: `${y}-${pad(mo, 2)}-${pad(d, 2)}${t}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}${zone}`,
      kind: 'timestamp',
      plainTextSafe: true,
    }));
  const amount = fc
    .tuple(fc.bigInt({ min: 0n, max: 9_999_999_999n }), fc.integer({ min: 0, max: 99 }), fc.constantFrom([',', '.'], [' ', ','], ['.', ','], ['', '.']))
    .map(([units, cents, [thousands, decimal]]): NonCardNumber => ({
      text: `${units.toString().replace(/\B(?=(\d{3})+(?!\d))/g, thousands)}${decimal}${pad(cents, 2)}`,
      kind: 'amount',
      plainTextSafe: true,
    }));
  const invoice = fc
    .tuple(fc.constantFrom('INV-', 'PO ', 'Rechnung Nr. '), fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 0, max: 999_999 }), fc.constantFrom('-', '/', ' '))
    .map(([tag, year, n, sep]): NonCardNumber => ({ text: `${tag}${year}${sep}${pad(n, 6)}`, kind: 'invoice', plainTextSafe: true }));
  return fc.oneof(luhnReference, longReference, shortReference, iban, date, timestamp, amount, invoice);
}
