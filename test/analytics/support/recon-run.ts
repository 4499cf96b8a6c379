/**
 * A real reconciliation run on the AWS path (normalise → match per chunk → summarise, the steps of
 * src/recon/run/aws/steps.ts over an in-memory S3), over generated input built to stress the
 * Redshift load: many currencies (exponents 0, 2 and 3), negative amounts, amounts at the limit a
 * run can carry (the matcher's exact range, ±(2^53 - 1) minor units; DECIMAL(38,6)'s own limit is
 * tested through the CSV writer in load.test.ts), text cells with quotes, commas, line breaks, formula starts and multi-byte UTF-8, and a
 * ledger entry id at the ledger reader's 1000-character bound in 3-byte characters.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromMinorUnits, toMinorUnits } from '../../../src/domain/money';
import { collectRun, matchStep, normaliseStep, summariseStep, type RunConfig, type SummariseResult } from '../../../src/recon/run/aws/steps';
import { canonicalResult } from '../../../src/recon/run/results';
import type { LedgerEntry, MatchResult, StatementLine } from '../../../src/recon/types';
import { FakeS3 } from '../../recon/aws/fake-s3';

export const INGEST = 'ledgerline-test-ingest';
export const ANALYTICS = 'ledgerline-test-analytics';

/** Deterministic PRNG (mulberry32): the same seed, the same run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'PLN', 'JPY', 'KRW', 'ISK', 'BHD', 'KWD', 'JOD', 'OMR', 'TND', 'HUF'] as const;

/** Account ids: plain, with a comma and quotes, a formula start, multi-byte characters. */
const ACCOUNT_SHAPES = [(i: number) => `ACC-${i}`, (i: number) => `GB,"${i}"`, (i: number) => `=ACC${i}`, (i: number) => `Zürich-€-${i}`, (i: number) => `-AC ${i}`, (i: number) => `@DE ${i}`];

/** Reference cells that the CSV writer must quote or neutralise. */
const REFERENCE_SHAPES = [
  (n: number) => `REF${n}`,
  (n: number) => `REF,${n}`,
  (n: number) => `R"${n}"Q`,
  (n: number) => `=HYPERLINK(${n})`,
  (n: number) => `+${n}REF`,
  (n: number) => `Ref ${n} — Überweisung`,
  (n: number) => `'${n}quoted`,
  (n: number) => `multi\nline ${n}`,
];

const csvCell = (text: string): string => (/[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text);

/** The matcher's exact range (src/recon/matching/rows.ts): |minor units| <= 2^53 - 1. Larger amounts fail the run at the match step. */
export const MAX_MINOR = BigInt(Number.MAX_SAFE_INTEGER);

function amountOf(rand: () => number, currency: string, extreme: boolean): string {
  const negative = rand() < 0.5;
  const minor = extreme ? MAX_MINOR : BigInt(1 + Math.floor(rand() * 10 ** 7)) * (rand() < 0.2 ? 1_000_003n : 1n);
  return fromMinorUnits(negative ? -minor : minor, currency);
}

export interface GeneratedInput {
  statementCsv: string;
  ledgerNdjson: string;
  /** Source amounts by id (statement line ids are assigned by the reader; keyed by bank reference there). */
  ledger: LedgerEntry[];
}

/**
 * Statement lines and ledger entries per account/currency: matched by bank reference, amount
 * mismatches on the same reference, statement-only and ledger-only rows, and the extremes.
 */
export function generateInput(seed: number, linesPerAccount = 6): GeneratedInput {
  const rand = random(seed);
  const statementRows = ['account,currency,amount,booking_date,value_date,end_to_end_id,bank_reference,customer_reference,description,counterparty'];
  const ledger: LedgerEntry[] = [];
  let n = 0;
  CURRENCIES.forEach((currency, c) => {
    const accountId = ACCOUNT_SHAPES[c % ACCOUNT_SHAPES.length]!(c);
    for (let k = 0; k < linesPerAccount; k += 1) {
      n += 1;
      const day = String(1 + Math.floor(rand() * 27)).padStart(2, '0');
      const date = `2026-01-${day}`;
      const reference = REFERENCE_SHAPES[n % REFERENCE_SHAPES.length]!(n);
      const amount = amountOf(rand, currency, k === 0);
      const kind = k % 4; // 0 matched, 1 amount mismatch, 2 statement only, 3 matched
      const description = `Payment ${n}, "quoted", ${currency}\nsecond line`;
      statementRows.push([accountId, currency, amount, date, date, '', reference, '', description, `Counterparty ${n}`].map(csvCell).join(','));
      const entryId = n % 5 === 0 ? `L,"${n}"\nnext=${n}` : n % 7 === 0 ? `@L-${n}` : `L-${n}`;
      if (kind === 0 || kind === 3) ledger.push({ entryId, accountId, currency, amount, bookingDate: date, valueDate: date, reference, description: `ledger ${n}` });
      if (kind === 1) {
        const minor = toMinorUnits(amount.replace(/^-/, ''), currency);
        const off = fromMinorUnits((minor * 105n) / 100n + 1n, currency);
        ledger.push({ entryId, accountId, currency, amount: amount.startsWith('-') ? `-${off}` : off, bookingDate: date, valueDate: date, reference, description: `mismatch ${n}` });
      }
    }
    // A ledger-only entry at the matcher's limit (the first one with a 1000-character id of 3-byte characters).
    n += 1;
    ledger.push({
      entryId: c === 0 ? '€'.repeat(1000) : `ONLY-${n}`,
      accountId,
      currency,
      amount: amountOf(rand, currency, true),
      bookingDate: '2026-01-02',
      valueDate: '2026-01-02',
      reference: `NOPE-${n}`,
      description: 'only in the ledger',
    });
  });
  return { statementCsv: `${statementRows.join('\n')}\n`, ledgerNdjson: ledger.map((entry) => `${JSON.stringify(entry)}\n`).join(''), ledger };
}

export interface RunOnAws {
  s3: FakeS3;
  runId: string;
  summarised: SummariseResult;
  lines: StatementLine[];
  entries: LedgerEntry[];
  /** The merged, canonical match result the load files were written from. */
  result: MatchResult;
  /** The reader the load emulation needs: an s3:// URI → the object's text. */
  readObject: (uri: string) => Promise<string>;
}

/** Runs normalise → match (every chunk) → summarise for `input`, as the workflow does. */
export async function runOnAws(input: GeneratedInput, runId: string, dir: string, s3 = new FakeS3()): Promise<RunOnAws> {
  mkdirSync(dir, { recursive: true });
  const config: RunConfig = { ruleSet: 'default', profile: 'generic-signed', ledger: { bucket: INGEST, key: 'ledger/export.ndjson' }, partitionRows: 20, maxPartitions: 8 };
  const key = `incoming/statements/${runId}.csv`;
  s3.put(INGEST, key, input.statementCsv);
  s3.put(INGEST, 'ledger/export.ndjson', input.ledgerNdjson);
  // The step's scratch directory exists, as Lambda's /tmp does.
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const ctx = { s3: s3.client, tmpDir: join(dir, 'tmp'), now: () => new Date('2026-02-01T00:00:00Z') };
  const normalised = await normaliseStep(ctx, { bucket: INGEST, key, versionId: 'v1', runId, analyticsBucket: ANALYTICS, config });
  if (normalised.duplicate) throw new Error(`run ${runId}: normalise reported a re-upload of run ${normalised.firstRunId}`);
  for (const partition of normalised.partitions) await matchStep(ctx, { runId, analyticsBucket: ANALYTICS, config, partition });
  const summarised = await summariseStep(ctx, { runId, analyticsBucket: ANALYTICS, config });
  const collected = await collectRun(ctx, ANALYTICS, runId);
  const readObject = async (uri: string): Promise<string> => {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    const text = match ? s3.text(match[1]!, match[2]!) : undefined;
    if (text === undefined) throw new Error(`S3 object ${uri} does not exist`);
    return text;
  };
  return { s3, runId, summarised, lines: collected.lines, entries: collected.entries, result: canonicalResult(collected.result), readObject };
}
