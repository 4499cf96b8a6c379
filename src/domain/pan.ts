/**
 * PCI: a raw card number (PAN) must never enter storage, events, logs or outputs (PCI-3). This
 * module decides what is a card number. Two kinds of evidence, chosen by the caller per field:
 *
 * 'text' evidence (PCI-1; the default): free text such as input lines, notes, narratives, log
 * lines and error messages. 13–19 digits that pass Luhn are a card number when they are
 *   - one run of digits;
 *   - a whole-group window of a chain: digit groups joined by 1–3 separator characters, any run
 *     of consecutive whole groups holding 13–19 digits (so `4111 1111 1111 1111 12 25`, with an
 *     expiry after it, or `0042 4111 1111 1111 1111`, with digits before it, is caught);
 *   - any 13–19-digit window inside an unseparated run longer than 19 digits.
 *   A separator is a space, tab, `.`, `/`, `_`, `,`, `-`, a dash or hyphen (U+2010–U+2015, minus
 *   U+2212), a no-break, figure, thin or other Unicode space (U+00A0, U+2000–U+200A, U+202F,
 *   U+3000) or the full-width `,` `-` `.` `/` `_`. A colon is not one: timestamps never join.
 *   Digits are any Unicode decimal digit (\p{Nd}: ASCII, full-width U+FF10–FF19, Arabic-Indic,
 *   Devanagari, mathematical digits outside the BMP, …). A run of 13–19 digits that fails Luhn as
 *   a whole is not searched for windows: a reference number of 17 digits is not a card number
 *   because some 16 of its digits pass Luhn.
 *
 * 'identifier' evidence (PCI-2): identifier fields (account ids, bank references, end-to-end ids,
 * ledger entry ids) hold Luhn-valid references that are not card numbers. The number is a digit
 * run, or groups joined by single characters the way card numbers are printed (one space,
 * no-break space, hyphen or dash; `4111 1111 1111 1111`, `4111-1111-1111-1111`). `/`, `.`, `,`,
 * `_`, tabs and longer gaps separate numbers here: `VISA/004211/406110004211` is three parts, not
 * an 18-digit number. A number is a card number only when, taken whole, it is standalone (no
 * letter or digit right before its first digit or right after its last), holds 13–19 digits,
 * passes Luhn, and its prefix and length fit a card scheme:
 *
 *   | scheme     | prefixes                 | lengths        |
 *   |------------|--------------------------|----------------|
 *   | Visa       | 4                        | 13, 16, 19     |
 *   | Mastercard | 51–55, 2221–2720         | 16             |
 *   | Amex       | 34, 37                   | 15             |
 *   | Discover   | 6011, 644–649, 65        | 16–19          |
 *   | JCB        | 3528–3589                | 16–19          |
 *   | Diners     | 36, 38, 300–305          | 14–19          |
 *   | UnionPay   | 62                       | 16–19          |
 *   | Maestro    | 50, 56–69                | 13–19 (12 is below PCI-1's floor) |
 *
 * 'narrative' evidence (REC-PAN-1): a bank statement's free text (remittance information,
 * counterparty names, MT940 `:86:` and bank-specific fields), where Luhn-valid bank references and
 * account numbers are common and are data. As 'text' evidence, but a card number must be a
 * whole-group window (delimited: never digits inside a longer unseparated run, so account numbers
 * of 20+ digits are kept) that also starts in a card issuer range (inIssuerRange, any length
 * 13–19) or is grouped as cards are printed (4-4-4-4, 4-4-4-4-3, 4-6-5, …). A text that names a
 * card (CARD_CONTEXT: card, Karte, carte, a scheme, PAN, CVV, …) is judged with 'text' evidence.
 *
 * Escapes (PCI-1): a text holding JSON escapes is judged as it decodes, valid JSON or not: its
 * first decoding (`\uXXXX`, surrogate pairs, `\t`, `\/`, `\\`, …: what a JSON reader sees, so
 * every encoding of the same value is judged alike, ING-5) and, in case that is JSON again, up to
 * two more. `"\u0034\u0031…"` and `"4111\t1111…"` are caught; the hex digits of an escape are
 * never digits of the text. Redaction removes the whole escaped span.
 *
 * Redaction replaces each found span with PAN_REDACTION: the whole-group window (separators
 * inside it included), the whole run over 19 digits that holds one, the whole escaped span.
 *
 * Cost: one allocation-free pass over the code units first rules out text without a chain of 13
 * digits (nearly every statement line and posting line; REC-PAN-1's fast path, hasChainOf13).
 * Otherwise one pass with O(1) work per character; a Luhn check of any window is O(1)
 * from prefix sums by parity, and at most 7 windows end at any digit (19 at a group end). Text
 * with escapes is scanned once per decoded level (at most three).
 */

export type PanEvidence = 'text' | 'identifier' | 'narrative';

/** What a redacted card number is replaced with: no digit of it survives. */
export const PAN_REDACTION = '[REDACTED-PAN]';

const MIN_PAN = 13;
const MAX_PAN = 19;
const MAX_GAP = 3;

/** True when the ASCII digit string passes the Luhn check. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * True when `length` digits starting with `head` (the first four digits as a number) fit a card
 * scheme of the table above (PCI-2).
 */
function fitsSchemeHead(head: number, length: number): boolean {
  const d1 = Math.floor(head / 1000);
  const d2 = Math.floor(head / 100);
  const d3 = Math.floor(head / 10);
  if (d1 === 4) return length === 13 || length === 16 || length === 19;
  if (length === 16 && ((d2 >= 51 && d2 <= 55) || (head >= 2221 && head <= 2720))) return true;
  if (length === 15 && (d2 === 34 || d2 === 37)) return true;
  const long = length >= 16 && length <= MAX_PAN;
  if (long && (head === 6011 || (d3 >= 644 && d3 <= 649) || d2 === 65 || (head >= 3528 && head <= 3589) || d2 === 62)) return true;
  if (length >= 14 && length <= MAX_PAN && (d2 === 36 || d2 === 38 || (d3 >= 300 && d3 <= 305))) return true;
  return length >= MIN_PAN && length <= MAX_PAN && (d2 === 50 || (d2 >= 56 && d2 <= 69));
}

// ---------------------------------------------------------------------------
// Characters

let bmpDigits: Int8Array | undefined; // BMP code unit → decimal digit value, or -1
let astralDigitRuns: Int32Array | undefined; // [start, end] pairs of astral \p{Nd} runs

const DECIMAL_DIGIT = /\p{Nd}/u;

/** Unicode keeps decimal digits in contiguous runs of ten, 0 to 9 (a stability guarantee). */
function buildBmpDigits(): Int8Array {
  const table = new Int8Array(0x10000).fill(-1);
  let runStart = -1;
  for (let code = 0x80; code < 0x10000; code += 1) {
    if (code < 0xd800 || code > 0xdfff ? DECIMAL_DIGIT.test(String.fromCharCode(code)) : false) {
      if (runStart < 0) runStart = code;
      table[code] = (code - runStart) % 10;
    } else runStart = -1;
  }
  for (let code = 48; code <= 57; code += 1) table[code] = code - 48;
  return table;
}

function buildAstralDigitRuns(): Int32Array {
  const runs: number[] = [];
  let runStart = -1;
  for (let code = 0x10000; code <= 0x20000; code += 1) {
    if (code < 0x20000 && DECIMAL_DIGIT.test(String.fromCodePoint(code))) {
      if (runStart < 0) runStart = code;
    } else if (runStart >= 0) {
      runs.push(runStart, code - 1);
      runStart = -1;
    }
  }
  return Int32Array.from(runs);
}

/**
 * The digit value of the non-ASCII character at `i` (code unit `c`): 0–9 for a BMP digit, 10–19
 * for a digit outside the BMP (a surrogate pair: value + 10), or -1.
 */
function unicodeDigit(text: string, i: number, c: number): number {
  if (c >= 0xd800 && c <= 0xdbff) {
    const point = text.codePointAt(i) as number;
    if (point < 0x10000) return -1;
    astralDigitRuns ??= buildAstralDigitRuns();
    for (let r = 0; r < astralDigitRuns.length; r += 2) {
      const start = astralDigitRuns[r] as number;
      if (point >= start && point <= (astralDigitRuns[r + 1] as number)) return ((point - start) % 10) + 10;
    }
    return -1;
  }
  bmpDigits ??= buildBmpDigits();
  return bmpDigits[c] as number;
}

const ASCII_SEPARATOR = new Uint8Array(0x100);
for (const c of [0x09, 0x20, 0x2c, 0x2d, 0x2e, 0x2f, 0x5f, 0xa0]) ASCII_SEPARATOR[c] = 1;

/** PCI-1's separators (see the header). */
function isSeparator(c: number): boolean {
  if (c < 0x100) return ASCII_SEPARATOR[c] === 1;
  return (c >= 0x2000 && c <= 0x200a) || (c >= 0x2010 && c <= 0x2015) || c === 0x202f || c === 0x2212 || c === 0x3000 || c === 0xff0c || c === 0xff0d || c === 0xff0e || c === 0xff0f || c === 0xff3f;
}

/** PCI-2's joiners: one space, hyphen or dash between the groups of a printed card number. */
function isJoiner(c: number): boolean {
  return c === 0x20 || c === 0x2d || c === 0xa0 || (c >= 0x2010 && c <= 0x2015) || c === 0x2212 || c === 0x202f;
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}\p{M}]/u;

/** True when the character ending just before `end` (or starting at `start`) is a letter or digit. */
function letterOrDigitAt(text: string, index: number, before: boolean): boolean {
  if (index < 0 || index >= text.length) return false;
  const c = text.charCodeAt(index);
  if (c < 0x80) {
    const lower = c | 0x20;
    return (c >= 48 && c <= 57) || (lower >= 97 && lower <= 122);
  }
  let at = index;
  if (before && c >= 0xdc00 && c <= 0xdfff && index > 0) at = index - 1;
  const point = text.codePointAt(at) as number;
  return LETTER_OR_DIGIT.test(String.fromCodePoint(point));
}

// ---------------------------------------------------------------------------
// The finder

const RING = 32; // more than the 21 prefix sums and 20 group starts a window can reach back to
const MASK = RING - 1;
const DOUBLED = Uint8Array.of(0, 2, 4, 6, 8, 1, 3, 5, 7, 9);
/** (a + b) % 10 for a in 0..9, b in 0..9, at a * 10 + b. */
const ADD_MOD10 = Uint8Array.from({ length: 100 }, (_, ab) => (Math.floor(ab / 10) + (ab % 10)) % 10);

/** Text index of each chain digit (a ring buffer by chain digit index). */
const digitAt = new Int32Array(RING);
/**
 * Luhn prefix sums (mod 10) by parity: `evenRight[k]` sums digits 0..k-1 with odd indices doubled
 * (right for a window ending at an even index), `oddRight[k]` with even indices doubled.
 */
const evenRight = new Uint8Array(RING);
const oddRight = new Uint8Array(RING);
/** Chain digit index where each group of the chain starts (by group number). */
const groupFirst = new Int32Array(RING);

/** True when chain digits s..e (inclusive, at most 19 back) pass Luhn. */
function luhnWindow(s: number, e: number): boolean {
  const sums = (e & 1) === 0 ? evenRight : oddRight;
  return sums[(e + 1) & MASK] === sums[s & MASK];
}

/**
 * At the end of a group (last chain digit k-1): the first digit index of a whole-group window
 * passing Luhn (the earliest such when `all`, else any), or -1.
 */
function wholeGroupWindow(k: number, groups: number, all: boolean, narrative: string | undefined): number {
  const e = k - 1;
  const oldest = Math.max(0, groups - RING);
  let first = -1;
  for (let g = groups - 1; g >= oldest; g -= 1) {
    const s = groupFirst[g & MASK] as number;
    const length = k - s;
    if (length > MAX_PAN) break;
    if (length >= MIN_PAN && luhnWindow(s, e) && (narrative === undefined || inIssuerRange(headAt(narrative, s)) || cardGrouping(g, groups, k))) {
      if (!all) return s;
      first = s;
    }
  }
  return first;
}

/** Inside a run longer than 19 digits: a window ending at chain digit k-1 (or, at the 20th digit, any earlier one) passing Luhn. */
function longRunWindow(k: number, groupLength: number): boolean {
  const groupStart = k - groupLength;
  const lastEnd = k - 1;
  const firstEnd = groupLength === MAX_PAN + 1 ? groupStart + MIN_PAN - 1 : lastEnd;
  for (let e = firstEnd; e <= lastEnd; e += 1) {
    for (let length = MIN_PAN; length <= MAX_PAN; length += 1) {
      const s = e - length + 1;
      if (s < groupStart) break;
      if (luhnWindow(s, e)) return true;
    }
  }
  return false;
}

/** At a group's end: records (in `spans`) and reports a card number ending there (text evidence). */
function groupEnd(k: number, groups: number, longRunHit: boolean, groupStart: number, lastEnd: number, spans: number[] | undefined, narrative: string | undefined): boolean {
  if (longRunHit) {
    // The whole run is redacted: no part of a run holding a card number is kept.
    if (spans) spans.push(groupStart, lastEnd);
    return true;
  }
  if (k < MIN_PAN) return false;
  const s = wholeGroupWindow(k, groups, spans !== undefined, narrative);
  if (s < 0) return false;
  if (spans) spans.push(digitAt[s & MASK] as number, lastEnd);
  return true;
}

/**
 * REC-PAN-1: the issuer ranges of the card schemes, whatever the length (13–19): Visa 4;
 * Mastercard 51–55, 2221–2720; Amex 34, 37; Discover 6011, 644–649, 65; JCB 3528–3589; Diners
 * 300–305, 36, 38–39; UnionPay 62; Maestro 50, 56–69. (`head`: the first four digits.)
 */
export function inIssuerRange(head: number): boolean {
  const d1 = Math.floor(head / 1000);
  const d2 = Math.floor(head / 100);
  const d3 = Math.floor(head / 10);
  if (d1 === 4 || d1 === 5 || d1 === 6) return true; // Visa; Maestro 50, 56–59, Mastercard 51–55; Discover, UnionPay, Maestro 60–69
  if (d1 === 2) return head >= 2221 && head <= 2720;
  if (d1 === 3) return d2 === 34 || d2 === 37 || d2 === 36 || d2 === 38 || d2 === 39 || (d3 >= 300 && d3 <= 305) || (head >= 3528 && head <= 3589);
  return false;
}

/**
 * REC-PAN-1: digits grouped the way cards print them: groups of four with a shorter last group
 * (4-4-4-4, 4-4-4-4-3, 4-4-4-1), or Amex/Diners 4-6-5 and 4-6-4. The window is groups
 * `first`..`groups`-1 of the chain, ending at chain digit `k`-1.
 */
function cardGrouping(first: number, groups: number, k: number): boolean {
  const count = groups - first;
  if (count < 3) return false;
  const lengthOf = (g: number): number => (g + 1 < groups ? (groupFirst[(g + 1) & MASK] as number) : k) - (groupFirst[g & MASK] as number);
  if (count === 3 && lengthOf(first) === 4 && lengthOf(first + 1) === 6 && (lengthOf(first + 2) === 5 || lengthOf(first + 2) === 4)) return true;
  for (let g = first; g < groups - 1; g += 1) if (lengthOf(g) !== 4) return false;
  return lengthOf(groups - 1) <= 4;
}

/** The first four digits of the chain window starting at chain digit `s`, as a number. */
function headAt(text: string, s: number): number {
  let head = 0;
  for (let j = 0; j < 4; j += 1) {
    const i = digitAt[(s + j) & MASK] as number;
    const c = text.charCodeAt(i);
    let v = c - 48;
    if (v < 0 || v > 9) v = unicodeDigit(text, i, c) % 10;
    head = head * 10 + v;
  }
  return head;
}

/** At a chain's end: records and reports a standalone scheme-shaped card number (identifier evidence). */
function chainEnd(text: string, k: number, head: number, chainStart: number, lastEnd: number, spans: number[] | undefined): boolean {
  if (k < MIN_PAN || k > MAX_PAN) return false;
  if (!luhnWindow(0, k - 1) || !fitsSchemeHead(head, k)) return false;
  if (letterOrDigitAt(text, chainStart - 1, true) || letterOrDigitAt(text, lastEnd, false)) return false;
  if (spans) spans.push(chainStart, lastEnd);
  return true;
}

/**
 * The precise pass over text[from, to): windows, Luhn, schemes. Without `spans`, returns at the
 * first card number; with it, pushes every card number's [start, end) text range (unmerged).
 */
function scanChains(text: string, from: number, to: number, identifier: boolean, spans: number[] | undefined, narrative = false): boolean {
  const n = to;
  let found = false;
  let inChain = false;
  let k = 0; // digits in the chain
  let groups = 0; // groups in the chain
  let groupLength = 0; // digits in the current group; 0 once a separator follows it
  let gap = 0; // separator characters since the last digit
  let head = 0; // the chain's first four digits (identifier evidence)
  let chainStart = 0; // text index of the chain's first digit
  let groupStart = 0; // text index of the current group's first digit
  let lastEnd = 0; // text index just after the chain's last digit
  let longRunHit = false; // the current group is a run over 19 digits holding a card number

  for (let i = from; i < n; i += 1) {
    const c = text.charCodeAt(i);
    let v = c - 48;
    if (v < 0 || v > 9) {
      v = c < 0x660 ? -1 : unicodeDigit(text, i, c);
      if (v < 0) {
        if (!inChain) continue;
        if (groupLength > 0) {
          if (!identifier && groupEnd(k, groups, longRunHit, groupStart, lastEnd, spans, narrative ? text : undefined)) {
            if (!spans) return true;
            found = true;
          }
          groupLength = 0;
          longRunHit = false;
        }
        if (identifier ? gap === 0 && isJoiner(c) : gap < MAX_GAP && isSeparator(c)) {
          gap += 1;
          continue;
        }
        inChain = false;
        if (identifier && chainEnd(text, k, head, chainStart, lastEnd, spans)) {
          if (!spans) return true;
          found = true;
        }
        continue;
      }
    }
    let width = 1;
    if (v > 9) {
      v -= 10;
      width = 2;
    }
    if (!inChain) {
      inChain = true;
      k = 0;
      groups = 0;
      head = 0;
      chainStart = i;
      evenRight[0] = 0;
      oddRight[0] = 0;
    }
    if (groupLength === 0) {
      groupFirst[groups & MASK] = k;
      groups += 1;
      groupStart = i;
    }
    gap = 0;
    const slot = k & MASK;
    const next = (k + 1) & MASK;
    digitAt[slot] = i;
    const doubled = DOUBLED[v] as number;
    if ((k & 1) === 0) {
      evenRight[next] = ADD_MOD10[(evenRight[slot] as number) * 10 + v] as number;
      oddRight[next] = ADD_MOD10[(oddRight[slot] as number) * 10 + doubled] as number;
    } else {
      evenRight[next] = ADD_MOD10[(evenRight[slot] as number) * 10 + doubled] as number;
      oddRight[next] = ADD_MOD10[(oddRight[slot] as number) * 10 + v] as number;
    }
    if (k < 4) head = head * 10 + v;
    k += 1;
    groupLength += 1;
    i += width - 1;
    lastEnd = i + 1;
    if (groupLength > MAX_PAN && !identifier && !narrative && !longRunHit && longRunWindow(k, groupLength)) {
      if (!spans) return true;
      longRunHit = true;
      found = true;
    }
  }
  if (inChain) {
    if (groupLength > 0 && !identifier && groupEnd(k, groups, longRunHit, groupStart, lastEnd, spans, narrative ? text : undefined)) found = true;
    if (identifier && chainEnd(text, k, head, chainStart, lastEnd, spans)) found = true;
  }
  return found;
}

/**
 * The fast pass: finds chains (digit groups joined by up to three separators) and hands only those
 * with 13 or more digits to the precise pass. Almost every chain in a posting line is shorter.
 */
function scan(text: string, identifier: boolean, spans: number[] | undefined, narrative = false): boolean {
  if (!hasChainOf13(text, false)) return false;
  const n = text.length;
  let found = false;
  let digits = 0; // digits in the current chain; 0 outside a chain
  let gap = 0;
  let chainStart = 0;
  let lastEnd = 0;
  for (let i = 0; i < n; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 0) chainStart = i;
      digits += 1;
      gap = 0;
      lastEnd = i + 1;
      continue;
    }
    if (c >= 0x660) {
      const v = unicodeDigit(text, i, c);
      if (v >= 0) {
        if (digits === 0) chainStart = i;
        digits += 1;
        gap = 0;
        if (v > 9) i += 1;
        lastEnd = i + 1;
        continue;
      }
    }
    if (digits === 0) continue;
    if (identifier ? gap === 0 && isJoiner(c) : gap < MAX_GAP && isSeparator(c)) {
      gap += 1;
      continue;
    }
    if (digits >= MIN_PAN && scanChains(text, chainStart, lastEnd, identifier, spans, narrative)) {
      if (!spans) return true;
      found = true;
    }
    digits = 0;
  }
  if (digits >= MIN_PAN && scanChains(text, chainStart, lastEnd, identifier, spans, narrative)) found = true;
  return found;
}

// ---------------------------------------------------------------------------
// Escapes

/**
 * A view of the text a card number is looked for in. A decoded view keeps, per escape it decoded,
 * where the escape's one code unit sits in the view (`at`) and which range of the source it came
 * from (`from`, `to`): memory grows with the escapes, not with the text.
 */
interface View {
  text: string;
  at?: Int32Array;
  from?: Int32Array;
  to?: Int32Array;
  /** How many escapes `at`, `from` and `to` hold. */
  escapes?: number;
  /** The view this one decoded (absent: the raw text). */
  source?: View;
}

const SHORT_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', b: '\b', f: '\f', '/': '/', '"': '"', '\\': '\\' };
/** JSON inside JSON inside JSON is as deep as escapes are decoded. */
const ESCAPE_LEVELS = 3;

/** The value of a hex digit's code unit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** The code unit of the four hex digits at `i`, or -1. */
function hex4(text: string, i: number): number {
  const a = hexValue(text.charCodeAt(i));
  const b = hexValue(text.charCodeAt(i + 1));
  const c = hexValue(text.charCodeAt(i + 2));
  const d = hexValue(text.charCodeAt(i + 3));
  return a < 0 || b < 0 || c < 0 || d < 0 ? -1 : (a << 12) | (b << 8) | (c << 4) | d;
}

/**
 * One level of JSON string escapes decoded (`\uXXXX`, `\t`, `\\`, …; anything else after a
 * backslash is kept as it is), with where each escape sat, or undefined when there is none.
 */
function decodeEscapes(source: View): View | undefined {
  const text = source.text;
  let slash = text.indexOf('\\');
  if (slash < 0) return undefined;
  const n = text.length;
  let backslashes = 0;
  for (let i = slash; i >= 0; i = text.indexOf('\\', i + 1)) backslashes += 1;
  const at = new Int32Array(backslashes);
  const from = new Int32Array(backslashes);
  const to = new Int32Array(backslashes);
  let escapes = 0;
  const parts: string[] = [];
  let copied = 0; // source text before this is in `parts`
  let length = 0; // code units in `parts`
  while (slash >= 0 && slash + 1 < n) {
    const next = text[slash + 1] as string;
    let replacement: string | undefined;
    let rawEnd = slash + 2;
    if (next === 'u') {
      const unit = slash + 5 < n ? hex4(text, slash + 2) : -1;
      if (unit >= 0) {
        replacement = String.fromCharCode(unit);
        rawEnd = slash + 6;
      }
    } else replacement = SHORT_ESCAPES[next];
    if (replacement === undefined) {
      slash = text.indexOf('\\', slash + 1);
      continue;
    }
    length += slash - copied;
    at[escapes] = length;
    from[escapes] = slash;
    to[escapes] = rawEnd;
    escapes += 1;
    length += 1;
    if (slash > copied) parts.push(text.slice(copied, slash));
    parts.push(replacement);
    copied = rawEnd;
    slash = text.indexOf('\\', copied);
  }
  if (copied === 0) return undefined;
  parts.push(text.slice(copied));
  const decoded = parts.join('');
  return { text: decoded, at, from, to, escapes, source };
}

/** The index in `view.source` where code unit `i` of `view` starts (`end`: the index after it ends). */
function sourceIndex(view: View, i: number, end: boolean): number {
  const at = view.at as Int32Array;
  // The last escape at or before i (binary search).
  let lo = 0;
  let hi = (view.escapes as number) - 1;
  let k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((at[mid] as number) <= i) {
      k = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (k < 0) return end ? i + 1 : i;
  if (at[k] === i) return end ? ((view.to as Int32Array)[k] as number) : ((view.from as Int32Array)[k] as number);
  const index = ((view.to as Int32Array)[k] as number) + (i - (at[k] as number) - 1);
  return end ? index + 1 : index;
}

/** The raw text range a view's [start, end) came from. */
function rawRange(view: View, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  for (let at: View | undefined = view; at?.at; at = at.source) {
    s = sourceIndex(at, s, false);
    e = sourceIndex(at, e - 1, true);
  }
  return [s, e];
}

/**
 * The views a card number is looked for in (PCI-1). Text without escapes is its own view. Text
 * with escapes is judged as it decodes, not as written: its first decoding (the value a JSON
 * reader sees, so every encoding of the same value is judged alike) and, in case that is JSON
 * again, up to two more. The hex digits of an escape are never digits of the text.
 */
function viewsOf(text: string): View[] {
  const views: View[] = [];
  let current: View = { text };
  for (let level = 0; level < ESCAPE_LEVELS; level += 1) {
    const decoded = decodeEscapes(current);
    if (!decoded) break;
    views.push(decoded);
    current = decoded;
  }
  if (views.length === 0) views.push({ text });
  return views;
}

/** Widens a view's [start, end) so that it never cuts one of the view's own `\uXXXX` or `\t`-style escapes in two. */
function alignToEscapes(text: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  for (let j = s - 1; j >= Math.max(0, s - 5); j -= 1) {
    if (text.charCodeAt(j) === 0x5c) {
      if (text[j + 1] === 'u' ? s < j + 6 : s < j + 2) s = j;
      break;
    }
  }
  for (let j = e - 1; j >= Math.max(0, e - 6); j -= 1) {
    if (text.charCodeAt(j) === 0x5c) {
      const escapeEnd = text[j + 1] === 'u' ? j + 6 : j + 2;
      if (escapeEnd > e && escapeEnd <= text.length) e = escapeEnd;
      break;
    }
  }
  return [s, e];
}

/**
 * REC-PAN-1: words that say a number nearby is a card's (card, Karte, carte, tarjeta, kaart,
 * karta, the schemes' names, PAN, CC no). Free text of a statement that has one is judged with
 * text evidence (PCI-1); without one, with narrative evidence.
 */
const CARD_CONTEXT =
  /(?:card|kart[ea]?|carte|tarjeta|kaart|visa|master\s?card|maestro|amex|american\s?express|discover|jcb|diners|union\s?pay|\bpan\b|\bcc\s?(?:no|nr|num)|cvv|cvc|expir|exp\.?\s?date)/i;

/** How `evidence` judges `text`: [identifier-style chains, narrative's issuer or grouping test]. */
function modeOf(text: string, evidence: PanEvidence): [boolean, boolean] {
  if (evidence === 'text') return [false, false];
  if (evidence === 'identifier') return [true, false];
  // The mask itself ("[REDACTED-PAN]") is no card word: redaction stays idempotent.
  const words = text.includes(PAN_REDACTION) ? text.split(PAN_REDACTION).join(' ') : text;
  return CARD_CONTEXT.test(words) ? [false, false] : [false, true];
}

/**
 * The common case, cheaply (REC-PAN-1, PCI-1): true when `text` has a chain of 13 digits (digit
 * groups joined by up to three separators, as `scan` reads chains under every evidence: a superset
 * of what identifier evidence joins). One pass over the code units, no allocation and no regular
 * expression; it stops at the 13th digit of a chain. Any Unicode decimal digit counts. A text with
 * a backslash may spell digits in JSON escapes (`\u0034`): it has a chain when it has 13 ASCII
 * digits or any character at or above U+0660, as a digit's escape does, wherever they sit.
 */
function hasChainOf13(text: string, escapes: boolean): boolean {
  const n = text.length;
  // 13 digits take 13 code units at least, as written and as any escape decodes (a decoding is shorter).
  if (n < MIN_PAN) return false;
  let digits = 0; // digits in the current chain
  let gap = 0; // separators since its last digit
  for (let i = 0; i < n; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits >= MIN_PAN) return true;
      gap = 0;
      continue;
    }
    if (c === 0x5c && escapes) return escapedDigits(text);
    if (c >= 0x660) {
      const v = unicodeDigit(text, i, c);
      if (v >= 0) {
        if (++digits >= MIN_PAN) return true;
        gap = 0;
        if (v > 9) i += 1;
        continue;
      }
    }
    if (digits > 0 && gap < MAX_GAP && isSeparator(c)) gap += 1;
    else digits = 0;
  }
  return false;
}

/** Escaped text: 13 ASCII digits (escape hex digits included) or a character at or above U+0660. */
function escapedDigits(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits >= MIN_PAN) return true;
    } else if (c >= 0x660) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// The API

/**
 * True when `text` holds a card number under the given evidence: PCI-1 'text' (the default),
 * PCI-2 'identifier', or REC-PAN-1 'narrative' (a bank statement's free text: remittance,
 * counterparty, bank-specific fields). Narrative evidence: a chain of digits joined by single
 * spaces, hyphens or dashes, taken whole and standalone, of 13–19 digits passing Luhn, is a card
 * number when it starts in a card issuer range (inIssuerRange, any length) or is grouped as
 * cards print (4-4-4-4…, 4-6-5); when the text has a card word (CARD_CONTEXT) it is judged with
 * text evidence instead. Bank references (ING's 17-digit `1518…`, account numbers of 20+ digits,
 * letter-prefixed ids) are kept.
 */
export function containsPan(text: string, evidence: PanEvidence = 'text'): boolean {
  if (!hasChainOf13(text, true)) return false;
  const [identifier, narrative] = modeOf(text, evidence);
  if (text.indexOf('\\') < 0) return scan(text, identifier, undefined, narrative);
  return viewsOf(text).some((view) => scan(view.text, identifier, undefined, narrative));
}

/** Every card number's [start, end) range in `text`, merged and in order (escaped ones cover their whole escapes). */
export function panSpans(text: string, evidence: PanEvidence = 'text'): Array<[number, number]> {
  if (!hasChainOf13(text, true)) return [];
  const [identifier, narrative] = modeOf(text, evidence);
  const spans: Array<[number, number]> = [];
  for (const view of text.indexOf('\\') < 0 ? [{ text } as View] : viewsOf(text)) {
    const flat: number[] = [];
    scan(view.text, identifier, flat, narrative);
    for (let j = 0; j < flat.length; j += 2) {
      if (!view.at) {
        spans.push([flat[j] as number, flat[j + 1] as number]);
        continue;
      }
      const [start, end] = alignToEscapes(view.text, flat[j] as number, flat[j + 1] as number);
      spans.push(rawRange(view, start, end));
    }
  }
  if (spans.length === 0) return [];
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Array<[number, number]> = [spans[0] as [number, number]];
  for (let j = 1; j < spans.length; j += 1) {
    const span = spans[j] as [number, number];
    const last = merged[merged.length - 1] as [number, number];
    if (span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push(span);
  }
  return merged;
}

/**
 * Replaces every card number `containsPan` would find with PAN_REDACTION, keeping no digit of it
 * (and, for an escaped one, none of its escapes). Idempotent: the result holds no card number.
 */
export function redactPans(text: string, evidence: PanEvidence = 'text'): string {
  if (!hasChainOf13(text, true)) return text;
  let current = text;
  // One pass nearly always suffices; digits left either side of a redaction can (rarely) make a
  // new chain, so repeat until none is found. Every pass removes at least 13 digits.
  for (;;) {
    const spans = panSpans(current, evidence);
    if (spans.length === 0) return current;
    let out = '';
    let at = 0;
    for (const [start, end] of spans) {
      out += current.slice(at, start) + PAN_REDACTION;
      at = end;
    }
    current = out + current.slice(at);
  }
}

interface Frame {
  value: unknown;
  parent: Frame | undefined;
  segment: string;
}

function pathOf(frame: Frame): string {
  const segments: string[] = [];
  for (let at: Frame | undefined = frame; at; at = at.parent) segments.push(at.segment);
  return segments.reverse().join('');
}

/**
 * Scans every string, number and member name inside a parsed value, depth-first in document order.
 * Returns the JSON path of the first that holds a card number (never its value), or undefined.
 * Iterative (an explicit stack), so any nesting depth is fine; a value seen twice is scanned once.
 */
export function findPan(value: unknown, path = '$', evidence: PanEvidence = 'text'): string | undefined {
  const stack: Frame[] = [{ value, parent: undefined, segment: path }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const current = frame.value;
    if (typeof current === 'string') {
      if (containsPan(current, evidence)) return pathOf(frame);
      continue;
    }
    if (typeof current === 'number' || typeof current === 'bigint') {
      if (containsPan(String(current), evidence)) return pathOf(frame);
      continue;
    }
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i -= 1) stack.push({ value: current[i] as unknown, parent: frame, segment: `[${i}]` });
      continue;
    }
    const entries = Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, child] = entries[i] as [string, unknown];
      stack.push({ value: child, parent: frame, segment: `.${key}` });
      stack.push({ value: key, parent: frame, segment: '{key}' });
    }
  }
  return undefined;
}
