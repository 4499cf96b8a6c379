/**
 * FR6 reference data as a set to load into a store: the checks the files must pass before any
 * of them is written, and the records in load order, each with the file and line it came from.
 *
 * Pure (no I/O). The loader (src/adapters/aws/reference-data-loader.ts) reads the files; the
 * embedded adapter's parser (src/adapters/embedded/reference-data.ts: headers, cell counts,
 * statuses) turns them into records, so both runtimes read the same files the same way; this
 * module adds what a load must refuse on top of that:
 *
 * - text: a UTF-8 byte-order mark, a carriage return (CRLF), bytes that are not UTF-8, and a card
 *   number in any CSV cell or JSON line (PCI-1 'text' evidence, cell by cell as the generator
 *   checks it; a manifest's SHA-256 digests are identifiers, PCI-2; PCI-3: the fault names the
 *   file, line and column, never the value);
 * - JSON files: one array of objects, each strict JSON (no duplicate member names: the rule of
 *   src/domain/strict-json.ts);
 * - records: the JSON Schema definitions of schemas/common.schema.json (ids, card token format,
 *   network, currency code, money, MCC, country), known ISO 4217 currencies and exact amounts and
 *   rates (src/domain/money.ts), no duplicate keys (an account id in both account files too), and
 *   no dangling reference (card → account, merchant → settlement account, account → product);
 * - the manifest: version, effective date, a SHA-256 for every file that matches it, and counts
 *   that match the records.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import common from '../../schemas/common.schema.json';
import type { AccountRecord, CardRecord, FxRateRecord, MerchantRecord, ProductRecord } from '../ports';
import { isKnownCurrency, parseRate, toMinorUnits } from './money';
import { containsPan } from './pan';
import { strictJsonFault } from './strict-json';

export type ReferenceRecordKind = 'card' | 'account' | 'merchant' | 'product' | 'fx';

export type ReferenceFileName = 'products.json' | 'fx-rates.json' | 'settlement-accounts.csv' | 'accounts.csv' | 'merchants.csv' | 'cards.csv';

export interface ReferenceFile {
  file: ReferenceFileName;
  kind: ReferenceRecordKind;
  format: 'csv' | 'json';
  /** The manifest's `counts` key for this file. */
  countKey: string;
}

/**
 * The files of a set, in load order: what a record refers to is loaded before it (products before
 * accounts, settlement accounts before merchants, accounts before cards).
 */
export const REFERENCE_FILES: readonly ReferenceFile[] = Object.freeze([
  { file: 'products.json', kind: 'product', format: 'json', countKey: 'products' },
  { file: 'fx-rates.json', kind: 'fx', format: 'json', countKey: 'fxRates' },
  { file: 'settlement-accounts.csv', kind: 'account', format: 'csv', countKey: 'settlementAccounts' },
  { file: 'accounts.csv', kind: 'account', format: 'csv', countKey: 'accounts' },
  { file: 'merchants.csv', kind: 'merchant', format: 'csv', countKey: 'merchants' },
  { file: 'cards.csv', kind: 'card', format: 'csv', countKey: 'cards' },
]);

export const REFERENCE_MANIFEST_FILE = 'manifest.json';

/** One reason to refuse a set: the file, the line when there is one, and the fault. */
export interface ReferenceDataProblem {
  file: string;
  line?: number;
  fault: string;
}

export function formatProblem(problem: ReferenceDataProblem): string {
  return `${problem.file}${problem.line !== undefined ? ` line ${problem.line}` : ''}: ${problem.fault}`;
}

/** The records of a set as the embedded adapter parsed them (a merchant carries its city too). */
export interface ReferenceRecords {
  products: readonly ProductRecord[];
  fxRates: readonly FxRateRecord[];
  settlementAccounts: readonly AccountRecord[];
  accounts: readonly AccountRecord[];
  merchants: readonly MerchantRecord[];
  cards: readonly CardRecord[];
}

type RecordOfKind = CardRecord | AccountRecord | MerchantRecord | ProductRecord | FxRateRecord;

/** A record to load, with where it came from. */
export interface SourcedRecord {
  kind: ReferenceRecordKind;
  record: RecordOfKind;
  file: ReferenceFileName;
  line: number;
}

// ---------------------------------------------------------------------------
// Text

const BYTE_ORDER_MARK = '\uFEFF';
/**
 * A JSON line holding one member whose value is a SHA-256 digest (the manifest's `files`): an
 * identifier (PCI-2), since a random digest has digit runs that pass Luhn as free text would.
 */
const HEX_DIGEST_MEMBER = /^\s*"[^"]*"\s*:\s*"[0-9a-f]{64}",?\s*$/;
const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * What is wrong with a file's text as such (before any parsing): a byte-order mark, a carriage
 * return, undecodable bytes (`text` decoded with replacement characters), a card number
 * (PCI-1/PCI-3: located, never shown; a CSV cell by cell, any other file line by line).
 */
export function textProblems(file: string, text: string, format: 'csv' | 'json'): ReferenceDataProblem[] {
  const problems: ReferenceDataProblem[] = [];
  if (text.startsWith(BYTE_ORDER_MARK)) problems.push({ file, line: 1, fault: 'starts with a UTF-8 byte-order mark; save the file without one' });
  const lines = text.split('\n');
  let header: string[] | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const number = i + 1;
    if (line.includes('\r')) problems.push({ file, line: number, fault: 'has a carriage return (CRLF line ending); reference files use LF line endings' });
    if (line.includes(REPLACEMENT_CHARACTER)) problems.push({ file, line: number, fault: 'is not valid UTF-8' });
    if (format === 'csv') {
      // PCI-1 joins digit groups across a comma, so a line is judged cell by cell (as the generator does).
      const cells = line.split(',');
      if (i === 0) header = cells;
      cells.forEach((cell, column) => {
        if (containsPan(cell)) {
          const name = i > 0 && header && header[column] !== undefined && !containsPan(header[column] as string) ? ` (${header[column] as string})` : '';
          problems.push({ file, line: number, fault: `column ${column + 1}${name} holds a card number; only card tokens may be stored (PCI-3: value withheld)` });
        }
      });
    } else if (containsPan(line, HEX_DIGEST_MEMBER.test(line) ? 'identifier' : 'text')) {
      problems.push({ file, line: number, fault: 'holds a card number; only card tokens may be stored (PCI-3: value withheld)' });
    }
  }
  return problems;
}

interface ArrayElement {
  /** 1-based line where the element starts. */
  line: number;
  start: number;
  end: number;
}

/**
 * The top-level elements of a JSON array text (which JSON.parse accepted), with the line each
 * starts on: one pass, tracking strings and depth.
 */
function arrayElements(text: string): ArrayElement[] {
  const elements: ArrayElement[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let current: ArrayElement | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (c === '\n') line += 1;
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (depth === 1 && (c === ',' || c === ']')) {
      if (current) {
        current.end = i;
        elements.push(current);
        current = undefined;
      }
      if (c === ']') depth -= 1;
      continue;
    }
    if (depth === 1 && !current) current = { line, start: i, end: i };
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth += 1;
    else if (c === ']' || c === '}') depth -= 1;
  }
  return elements;
}

/** What is wrong with a JSON records file: anything but an array of objects, each strict JSON. */
export function jsonArrayProblems(file: string, text: string): ReferenceDataProblem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return [{ file, fault: `is not JSON: ${(error as Error).message}` }];
  }
  if (!Array.isArray(parsed)) return [{ file, fault: 'is not a JSON array of records' }];
  const problems: ReferenceDataProblem[] = [];
  const elements = arrayElements(text);
  parsed.forEach((value: unknown, index) => {
    const element = elements[index];
    const line = element?.line;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ file, line, fault: `element ${index + 1} is not a JSON object` });
      return;
    }
    // ING-1's rule for a record: JSON.parse would keep a repeated member's last value silently.
    const fault = element ? strictJsonFault(text.slice(element.start, element.end), value) : undefined;
    if (fault) problems.push({ file, line, fault: `element ${index + 1}: ${fault.reason}` });
  });
  return problems;
}

/**
 * The line each record of a file starts on, in file order: for CSV every non-empty line after the
 * header (the embedded parser skips empty lines the same way), for JSON each array element.
 */
export function recordLines(text: string, format: 'csv' | 'json'): number[] {
  if (format === 'json') return arrayElements(text).map((element) => element.line);
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (i > 0 && line.replace(/\r$/, '').length > 0) lines.push(i + 1);
  });
  return lines;
}

// ---------------------------------------------------------------------------
// Records

const COMMON = `${common.$id}#/definitions`;
const ref = (pointer: string): object => ({ $ref: `${COMMON}/${pointer}` });
const nonEmpty = (maxLength = 140): object => ({ type: 'string', minLength: 1, maxLength });

/** One schema per record kind, built from schemas/common.schema.json's definitions. */
const RECORD_SCHEMAS: Readonly<Record<ReferenceRecordKind, object>> = {
  card: {
    type: 'object',
    additionalProperties: false,
    required: ['panToken', 'accountId', 'network', 'status'],
    properties: { panToken: ref('authorisation/properties/panToken'), accountId: ref('id'), network: ref('authorisation/properties/network'), status: { type: 'string' } },
  },
  account: {
    type: 'object',
    additionalProperties: false,
    required: ['accountId', 'iban', 'sortCode', 'branch', 'holderName', 'productType', 'status', 'currency'],
    properties: {
      accountId: ref('id'),
      iban: { type: 'string', pattern: '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$' },
      sortCode: nonEmpty(32),
      branch: nonEmpty(),
      holderName: nonEmpty(),
      productType: ref('id'),
      status: { type: 'string' },
      currency: ref('currency'),
    },
  },
  merchant: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'name', 'mcc', 'category', 'country', 'city', 'currency', 'settlementAccountId'],
    properties: {
      id: ref('id'),
      name: ref('merchant/properties/name'),
      mcc: ref('merchant/properties/mcc'),
      category: nonEmpty(),
      country: ref('merchant/properties/country'),
      city: nonEmpty(),
      currency: ref('currency'),
      settlementAccountId: ref('id'),
    },
  },
  product: {
    type: 'object',
    additionalProperties: false,
    required: ['productType', 'name', 'perTransactionLimit', 'fxFeeBasisPoints', 'velocityLimit', 'foreignTransactionsAllowed'],
    properties: {
      productType: ref('id'),
      name: nonEmpty(),
      perTransactionLimit: ref('money'),
      fxFeeBasisPoints: { type: 'integer', minimum: 0, maximum: 10_000 },
      velocityLimit: { type: 'integer', minimum: 1 },
      foreignTransactionsAllowed: { type: 'boolean' },
    },
  },
  fx: {
    type: 'object',
    additionalProperties: false,
    required: ['from', 'to', 'rate'],
    properties: { from: ref('currency'), to: ref('currency'), rate: { type: 'string' } },
  },
};

const MANIFEST_SCHEMA = {
  type: 'object',
  required: ['version', 'effectiveDate', 'files'],
  properties: {
    version: ref('id'),
    effectiveDate: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
    files: {
      type: 'object',
      required: REFERENCE_FILES.map((f) => f.file),
      additionalProperties: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    },
    counts: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
  },
};

let validators: { records: Record<ReferenceRecordKind, ValidateFunction>; manifest: ValidateFunction } | undefined;

/** Compiled on first use (a Lambda that never loads reference data never pays for it). */
function compiled(): NonNullable<typeof validators> {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true });
    addFormats(ajv, { mode: 'fast', formats: ['date-time', 'date'] });
    ajv.addSchema(common);
    const records = Object.fromEntries(Object.entries(RECORD_SCHEMAS).map(([kind, schema]) => [kind, ajv.compile(schema)])) as Record<ReferenceRecordKind, ValidateFunction>;
    validators = { records, manifest: ajv.compile(MANIFEST_SCHEMA) };
  }
  return validators;
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const where = error.instancePath ? `field ${error.instancePath.slice(1).replace(/\//g, '.')}` : 'record';
    if (error.keyword === 'additionalProperties') return `${where}: unexpected field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
    if (error.keyword === 'required') return `${where}: missing field "${(error.params as { missingProperty: string }).missingProperty}"`;
    return `${where}: ${error.message ?? error.keyword}`;
  });
}

/** The records of a set in load order, each with its file and line (`lines`: recordLines of each file). */
export function sourcedRecords(records: ReferenceRecords, lines: Readonly<Record<ReferenceFileName, readonly number[]>>): SourcedRecord[] {
  const byFile: Record<ReferenceFileName, readonly RecordOfKind[]> = {
    'products.json': records.products,
    'fx-rates.json': records.fxRates,
    'settlement-accounts.csv': records.settlementAccounts,
    'accounts.csv': records.accounts,
    'merchants.csv': records.merchants,
    'cards.csv': records.cards,
  };
  const sourced: SourcedRecord[] = [];
  for (const { file, kind } of REFERENCE_FILES) {
    const list = byFile[file];
    const fileLines = lines[file];
    if (fileLines.length !== list.length) throw new Error(`${file}: ${list.length} records parsed but ${fileLines.length} record lines found`);
    list.forEach((record, index) => sourced.push({ kind, record, file, line: fileLines[index] as number }));
  }
  return sourced;
}

/** The identity of a record within its kind (what a store keys it by). */
export function recordIdentity(kind: ReferenceRecordKind, record: RecordOfKind): string {
  switch (kind) {
    case 'card':
      return (record as CardRecord).panToken;
    case 'account':
      return (record as AccountRecord).accountId;
    case 'merchant':
      return (record as MerchantRecord).id;
    case 'product':
      return (record as ProductRecord).productType;
    default:
      return `${(record as FxRateRecord).from}>${(record as FxRateRecord).to}`;
  }
}

const IDENTITY_FIELD: Readonly<Record<ReferenceRecordKind, string>> = { card: 'panToken', account: 'accountId', merchant: 'id', product: 'productType', fx: 'from>to pair' };

/** Every fault of the records: schema, currencies, amounts, rates, duplicate keys, dangling references. */
export function recordProblems(records: readonly SourcedRecord[]): ReferenceDataProblem[] {
  const { records: schemas } = compiled();
  const problems: ReferenceDataProblem[] = [];
  const seen = new Map<string, SourcedRecord>();
  const products = new Set<string>();
  const customerAccounts = new Set<string>();
  const settlementAccounts = new Set<string>();
  for (const sourced of records) {
    const { kind, record, file, line } = sourced;
    const at = (fault: string): void => {
      problems.push({ file, line, fault });
    };
    const valid = schemas[kind](record);
    if (!valid) for (const fault of describe(schemas[kind].errors)) at(fault);
    for (const field of ['currency', 'from', 'to'] as const) {
      const code = (record as unknown as Record<string, unknown>)[field];
      if (typeof code === 'string' && /^[A-Z]{3}$/.test(code) && !isKnownCurrency(code)) at(`field ${field}: unknown ISO 4217 currency "${code}"`);
    }
    if (kind === 'product' && valid) {
      const limit = (record as ProductRecord).perTransactionLimit;
      if (isKnownCurrency(limit.currency)) {
        try {
          if (toMinorUnits(limit.value, limit.currency) <= 0n) at(`field perTransactionLimit.value: must be greater than zero`);
        } catch (error) {
          at(`field perTransactionLimit.value: ${(error as Error).message}`);
        }
      }
    }
    if (kind === 'fx' && valid) {
      const fx = record as FxRateRecord;
      if (fx.from === fx.to) at(`from and to are both ${fx.from}`);
      try {
        parseRate(fx.rate);
      } catch (error) {
        at(`field rate: ${(error as Error).message}`);
      }
    }
    const identity = recordIdentity(kind, record);
    const key = `${kind}\u0000${identity}`;
    const first = seen.get(key);
    if (first) at(`duplicate ${IDENTITY_FIELD[kind]} "${identity}" (first at ${first.file} line ${first.line})`);
    else seen.set(key, sourced);
    if (kind === 'product') products.add(identity);
    if (file === 'accounts.csv') customerAccounts.add(identity);
    if (file === 'settlement-accounts.csv') settlementAccounts.add(identity);
  }
  for (const { kind, record, file, line } of records) {
    if (file === 'accounts.csv' && !products.has((record as AccountRecord).productType)) {
      problems.push({ file, line, fault: `productType "${(record as AccountRecord).productType}" is not in products.json` });
    }
    if (kind === 'card' && !customerAccounts.has((record as CardRecord).accountId)) {
      problems.push({ file, line, fault: `accountId "${(record as CardRecord).accountId}" is not in accounts.csv` });
    }
    if (kind === 'merchant' && !settlementAccounts.has((record as MerchantRecord).settlementAccountId)) {
      problems.push({ file, line, fault: `settlementAccountId "${(record as MerchantRecord).settlementAccountId}" is not in settlement-accounts.csv` });
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Manifest

export interface ReferenceManifestFields {
  version: string;
  effectiveDate: string;
}

/**
 * What is wrong with the manifest given the files' SHA-256 (hex) and the records' counts per
 * file: a version and a real effective date, a matching hash for every file, matching counts.
 */
export function manifestProblems(manifest: unknown, hashes: Readonly<Record<ReferenceFileName, string>>, counts: Readonly<Record<ReferenceFileName, number>>): ReferenceDataProblem[] {
  const file = REFERENCE_MANIFEST_FILE;
  const { manifest: validate } = compiled();
  if (!validate(manifest)) return describe(validate.errors).map((fault) => ({ file, fault }));
  const problems: ReferenceDataProblem[] = [];
  const fields = manifest as ReferenceManifestFields & { files: Record<string, string>; counts?: Record<string, number> };
  const date = new Date(`${fields.effectiveDate}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== fields.effectiveDate) problems.push({ file, fault: `effectiveDate "${fields.effectiveDate}" is not a real date` });
  for (const { file: name, countKey } of REFERENCE_FILES) {
    const expected = fields.files[name];
    if (expected !== hashes[name]) problems.push({ file, fault: `files.${name}: SHA-256 ${expected ?? '(none)'} does not match the file's ${hashes[name]} (regenerate the manifest)` });
    const count = fields.counts?.[countKey];
    if (count !== undefined && count !== counts[name]) problems.push({ file, fault: `counts.${countKey} is ${count} but ${name} holds ${counts[name]} records` });
  }
  return problems;
}
