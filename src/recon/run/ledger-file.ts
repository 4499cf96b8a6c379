/**
 * The ledger side of a reconciliation run, and the ledger file.
 *
 * A ledger file is CSV with a header, or NDJSON (detected from the first non-blank character),
 * with at least entryId, accountId, currency, amount, bookingDate, valueDate, reference,
 * description. Every row is validated; a bad row is a BadInputError naming the file, the line
 * and the field. Amounts are signed decimal strings (+ = money in), canonicalised to the
 * currency's exponent; more decimals than the currency allows is an error. The file defines its
 * own accounts (no reference-data lookup). The posting pipeline's state: ./ledger-state.ts.
 *
 * PCI-3: card numbers never get past the reader. Identifiers (entryId, accountId, reference) are
 * masked under identifier evidence (PCI-2: a Luhn-valid bank reference stays visible), the
 * description under free-text evidence (PCI-1); error messages quote nothing that holds one.
 * No native modules here: the Lambdas bundle this file.
 */
import { boundedLines, LineTooLongError } from './bounded-lines';
import { CSV_LIMITS } from '../parsers/limits';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { fromMinorUnits, isKnownCurrency, MoneyError, toMinorUnits } from '../../domain/money';
import { containsPan, redactPans } from '../../domain/pan';
import type { LedgerEntry } from '../types';
import { BadInputError, type BadInputKind } from './errors';
import { csvRecords, CsvSyntaxError } from './csv';

export const LEDGER_FIELDS = ['entryId', 'accountId', 'currency', 'amount', 'bookingDate', 'valueDate', 'reference', 'description'] as const;
type LedgerField = (typeof LEDGER_FIELDS)[number];

export interface LedgerSide {
  kind: 'file' | 'state';
  /** The ledger file path or the state directory, as given. */
  source: string;
  /** Whether a statement account is known to this ledger side. */
  knows(accountId: string): boolean;
  /** "is not in the ledger <file>" / "is not in reference data". */
  unknownAccountFault(accountId: string): string;
  /** The entries to reconcile against statements of `statementAccounts`, in a stable order. */
  entries(statementAccounts: ReadonlySet<string>): LedgerEntry[];
  /** SHA-256 of the ledger input in scope (part of the run id). */
  digest(statementAccounts: ReadonlySet<string>): string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SIGNED_DECIMAL = /^([+-])?(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
const MAX_TEXT = 1000;

export function isIsoDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A signed decimal string in `currency`, canonicalised to the currency's exponent ("+12.5" → "12.50"). */
export function canonicalAmount(text: string, currency: string): string {
  const match = SIGNED_DECIMAL.exec(text);
  if (!match) throw new MoneyError(`"${text}" is not a signed decimal amount (e.g. -12.30)`);
  const unsigned = match[3] === undefined ? match[2]! : `${match[2]}.${match[3]}`;
  const minor = toMinorUnits(unsigned, currency);
  return fromMinorUnits(match[1] === '-' ? -minor : minor, currency);
}

class RowFault extends Error {
  constructor(
    readonly field: string,
    readonly fault: string,
    readonly kind: BadInputKind = 'invalid-row',
  ) {
    super(fault);
  }
}

function validateRow(values: Partial<Record<LedgerField, unknown>>): LedgerEntry {
  const text = (field: LedgerField, required: boolean): string => {
    const value = values[field];
    if (value === undefined || value === null) {
      if (required) throw new RowFault(field, 'is missing');
      return '';
    }
    if (typeof value !== 'string') throw new RowFault(field, `must be a string, got ${typeof value === 'number' ? `the JSON number ${String(value)} (amounts are decimal strings)` : typeof value}`);
    if (required && value.trim() === '') throw new RowFault(field, 'is empty');
    if (value.length > MAX_TEXT) throw new RowFault(field, `is longer than ${MAX_TEXT} characters`);
    return value;
  };
  const entryId = text('entryId', true).trim();
  const accountId = text('accountId', true).trim();
  // PCI-3: a card number as the account is refused, not masked: masked, every such account would look alike.
  if (containsPan(accountId, 'identifier')) throw new RowFault('accountId', 'is a card number (PCI-3); an account id or IBAN is expected');
  const currency = text('currency', true).trim();
  if (!isKnownCurrency(currency)) throw new RowFault('currency', `"${currency}" is not a known ISO 4217 currency`);
  const rawAmount = text('amount', true).trim();
  let amount: string;
  try {
    amount = canonicalAmount(rawAmount, currency);
  } catch (error) {
    const message = (error as Error).message;
    throw new RowFault('amount', message, /decimal places/.test(message) ? 'precision' : 'invalid-row');
  }
  const bookingDate = text('bookingDate', true).trim();
  if (!isIsoDate(bookingDate)) throw new RowFault('bookingDate', `"${bookingDate}" is not a date YYYY-MM-DD`);
  const valueDate = text('valueDate', true).trim();
  if (!isIsoDate(valueDate)) throw new RowFault('valueDate', `"${valueDate}" is not a date YYYY-MM-DD`);
  return { entryId, accountId, currency, amount, bookingDate, valueDate, reference: text('reference', false).trim(), description: text('description', false) };
}

/** PCI-3: a ledger entry's identifiers masked under identifier evidence, its description under free-text evidence. */
export function maskLedgerEntry(entry: LedgerEntry): LedgerEntry {
  return {
    ...entry,
    entryId: redactPans(entry.entryId, 'identifier'),
    accountId: redactPans(entry.accountId, 'identifier'),
    reference: redactPans(entry.reference, 'identifier'),
    description: redactPans(entry.description),
  };
}

/** REC-IN-1: a ledger line is bounded like a CSV statement line, refused before it is built. */
async function* physicalLines(path: string, hash: ReturnType<typeof createHash>): AsyncGenerator<string> {
  try {
    yield* boundedLines(path, CSV_LIMITS.line, (chunk) => hash.update(chunk));
  } catch (error) {
    if (error instanceof LineTooLongError) throw new BadInputError(path, { file: path, line: error.line }, `line is longer than ${error.limit} characters`, 'malformed');
    throw error;
  }
}

export interface LedgerFile {
  path: string;
  format: 'csv' | 'ndjson';
  contentHash: string;
  entries: LedgerEntry[];
}

/** Reads and validates a ledger file (streamed; every row checked). */
export async function readLedgerFile(path: string): Promise<LedgerFile> {
  if (!existsSync(path)) throw new BadInputError(path, { file: path }, 'ledger file does not exist', 'malformed');
  if (statSync(path).isDirectory()) throw new BadInputError(path, { file: path }, 'ledger path is a directory, expected a CSV or NDJSON file', 'malformed');
  const hash = createHash('sha256');
  const entries: LedgerEntry[] = [];
  const seen = new Map<string, number>();
  // A fault may quote a value (`"1.234" has 3 decimal places`): never one holding a card number (PCI-3).
  const fail = (line: number, field: string | undefined, fault: string, kind: BadInputKind = 'invalid-row'): never => {
    throw new BadInputError(path, { file: path, line }, redactPans(field ? `field "${field}" ${fault}` : fault), kind);
  };
  const masked = new Set<string>();
  const accept = (entry: LedgerEntry, line: number): void => {
    const key = `${entry.accountId}\u0000${entry.entryId}`;
    const first = seen.get(key);
    if (first !== undefined) fail(line, 'entryId', `"${entry.entryId}" repeats the entry at line ${first} of account ${entry.accountId}`);
    seen.set(key, line);
    // PCI-3: masked here; two ids masked alike stay two entries (the later one named by its line).
    let safe = maskLedgerEntry(entry);
    if (masked.has(`${safe.accountId}\u0000${safe.entryId}`)) safe = { ...safe, entryId: `${safe.entryId}#line${line}` };
    masked.add(`${safe.accountId}\u0000${safe.entryId}`);
    entries.push(safe);
  };
  const lines = physicalLines(path, hash);
  // Peek the first non-blank line to choose the format (manual next(): a for-await break would close the generator).
  const buffered: string[] = [];
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    buffered.push(next.value);
    if (next.value.trim() !== '') break;
  }
  const firstLine = buffered.find((line) => line.trim() !== '');
  if (firstLine === undefined) fail(1, undefined, 'the ledger file is empty (expected a CSV header or NDJSON objects)', 'malformed');
  const format: 'csv' | 'ndjson' = firstLine!.trimStart().startsWith('{') ? 'ndjson' : 'csv';
  async function* all(): AsyncGenerator<string> {
    yield* buffered;
    yield* lines;
  }
  if (format === 'ndjson') {
    let lineNo = 0;
    for await (const line of all()) {
      lineNo += 1;
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        // Node's JSON.parse message quotes the start of the line: only the position is kept.
        const at = /position \d+/.exec((error as Error).message)?.[0];
        fail(
          lineNo,
          undefined,
          `is not a JSON object (invalid JSON${at ? ` at ${at}` : ''})${line.trimEnd().endsWith('}') ? '' : '; truncated line?'}`,
          line.trimEnd().endsWith('}') ? 'malformed' : 'truncated',
        );
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) fail(lineNo, undefined, 'is not a JSON object', 'malformed');
      try {
        accept(validateRow(parsed as Record<string, unknown>), lineNo);
      } catch (error) {
        if (error instanceof RowFault) fail(lineNo, error.field, error.fault, error.kind);
        throw error;
      }
    }
  } else {
    let header: string[] | undefined;
    let columns: Record<LedgerField, number> | undefined;
    try {
      for await (const record of csvRecords(all())) {
        if (!header) {
          header = record.cells.map((cell) => cell.trim());
          const missing = LEDGER_FIELDS.filter((field) => !header!.includes(field) && field !== 'reference' && field !== 'description');
          if (missing.length > 0) fail(record.line, undefined, `the CSV header lacks column(s) ${missing.join(', ')} (needs ${LEDGER_FIELDS.join(',')})`, 'malformed');
          columns = Object.fromEntries(LEDGER_FIELDS.map((field) => [field, header!.indexOf(field)])) as Record<LedgerField, number>;
          continue;
        }
        if (record.cells.length !== header.length)
          fail(
            record.line,
            undefined,
            `has ${record.cells.length} cells, the header has ${header.length}${record.cells.length < header.length ? ' (truncated row?)' : ''}`,
            record.cells.length < header.length ? 'truncated' : 'malformed',
          );
        const values: Partial<Record<LedgerField, string>> = {};
        for (const field of LEDGER_FIELDS) {
          const index = columns![field];
          if (index >= 0) values[field] = record.cells[index];
        }
        try {
          accept(validateRow(values), record.line);
        } catch (error) {
          if (error instanceof RowFault) fail(record.line, error.field, error.fault, error.kind);
          throw error;
        }
      }
    } catch (error) {
      if (error instanceof CsvSyntaxError) fail(error.line, undefined, error.fault, /never closed/.test(error.fault) ? 'truncated' : 'malformed');
      throw error;
    }
  }
  return { path, format, contentHash: hash.digest('hex'), entries };
}

/** A ledger file as the ledger side: it defines its own accounts. */
export async function ledgerFileSide(path: string): Promise<LedgerSide & { file: LedgerFile }> {
  const file = await readLedgerFile(path);
  const accounts = new Set(file.entries.map((entry) => entry.accountId));
  return {
    kind: 'file',
    source: path,
    file,
    knows: (accountId) => accounts.has(accountId),
    unknownAccountFault: (accountId) => `account ${accountId} is not in the ledger ${path}`,
    // In scope: the accounts the run's statements cover (other accounts wait for their own statements).
    entries: (statementAccounts) => file.entries.filter((entry) => statementAccounts.has(entry.accountId)),
    digest: (statementAccounts) => `${file.contentHash}:${[...statementAccounts].sort().join(',')}`,
  };
}
