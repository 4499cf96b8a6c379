/**
 * A labelled reconciliation data set: statement lines + ledger entries + the ground truth
 * (which rows belong together, and the expected reason of every row that should stay unmatched).
 *
 * Deterministic: a seeded PRNG (mulberry32), no Math.random, no clock. The same options give
 * byte-identical rows. Used by the matching tests (20–50k rows) and `npm run bench:recon` (1M + 1M).
 *
 * Scenario mix (by default, per scenario drawn):
 *   exact-reference     ledger reference = statement end-to-end id / bank ref / customer ref
 *                       (sometimes in other case or with spaces), same amount, dates a few days apart
 *   amount-date         no shared reference, same amount, dates within 0..2 days
 *   tolerance           no shared reference, a fee deducted or FX rounding (within 0.50 / 0.5%)
 *   reference-tolerance same reference, a fee deducted
 *   batch               one statement batch booking (reference BATCH…, batchItemCount) vs 2..10
 *                       ledger items referenced BATCH…-001…
 *   split               2..4 statement lines (end-to-end id SPLIT…/1…) vs one ledger entry SPLIT…
 *   batch-by-amount     one unreferenced statement line vs 2..3 ledger items booked the same day
 *   duplicate-statement an exact-reference pair whose statement line appears twice
 *   duplicate-ledger    an exact-reference pair whose ledger entry was recorded twice
 *   amount-mismatch     same reference, amounts 3–15% apart (both rows AMOUNT_MISMATCH)
 *   split-incomplete    a batch booking with one of its ledger items missing (SPLIT_INCOMPLETE)
 *   shared-batch        REC-MATCH-1: one statement batch booking (a payment-run id PAYRUN… as end-to-end
 *                       id, customer or bank reference) vs 2..12 ledger items that all carry that very
 *                       reference; sometimes every item has the same amount (a payroll of equal pay)
 *   shared-split        REC-MATCH-1: 2..6 statement lines sharing one reference vs the one ledger entry
 *                       with it: the items of a split camt batch (bank reference + batchReference, each
 *                       with its own end-to-end id) or lines with the same customer reference
 *   shared-batch-incomplete / shared-split-incomplete
 *                       the same with a near miss: an item missing, an extra item, or the sum off by
 *                       one minor unit. Every row is SPLIT_INCOMPLETE and they share one case group
 *                       (REC-CASE-1; TruthException.group labels it)
 *   noise               unmatched rows on either side (UNMATCHED, or STALE when old)
 * Both sides are then padded with noise to the exact requested counts.
 */
import type { ExceptionReason, LedgerEntry, StatementLine } from '../types';
import { CURRENCY_EXPONENTS } from '../../domain/money';

export type TruthKind = 'exact-reference' | 'amount-date' | 'tolerance' | 'reference-tolerance' | 'batch' | 'split' | 'batch-by-amount' | 'shared-batch' | 'shared-split';

export interface TruthMatch {
  kind: TruthKind;
  statementLineIds: string[];
  ledgerEntryIds: string[];
}

export interface TruthException {
  side: 'statement' | 'ledger';
  id: string;
  reason: ExceptionReason;
  /**
   * REC-CASE-1: a label shared by the expected exceptions that form one case (the generator's own
   * label, not the matcher's key): they must all get the same `group`, and no other row may.
   */
  group?: string;
}

export interface LabelledSet {
  asOf: string;
  statementLines: StatementLine[];
  ledgerEntries: LedgerEntry[];
  truth: TruthMatch[];
  exceptions: TruthException[];
}

export type Scenario =
  TruthKind | 'duplicate-statement' | 'duplicate-ledger' | 'amount-mismatch' | 'split-incomplete' | 'shared-batch-incomplete' | 'shared-split-incomplete' | 'noise-statement' | 'noise-ledger';

export const DEFAULT_MIX: Readonly<Record<Scenario, number>> = {
  'exact-reference': 50,
  'amount-date': 25,
  tolerance: 5,
  'reference-tolerance': 2,
  batch: 1,
  split: 3,
  'batch-by-amount': 0.4,
  'duplicate-statement': 0.5,
  'duplicate-ledger': 0.5,
  'amount-mismatch': 0.5,
  'split-incomplete': 0.2,
  // Batches use more ledger rows, splits more statement lines: weighted so both sides fill evenly.
  'shared-batch': 0.6,
  'shared-split': 1.2,
  'shared-batch-incomplete': 0.1,
  'shared-split-incomplete': 0.2,
  'noise-statement': 1,
  'noise-ledger': 0.8,
};

export interface GenerateOptions {
  seed: number;
  /** Exact number of statement lines. */
  statementLines: number;
  /** Exact number of ledger entries (default: statementLines). */
  ledgerEntries?: number;
  /** Accounts (default: one per ~2,500 statement lines, at least 2); ~10% also hold a second currency. */
  accounts?: number;
  /** As-of date of the run (default 2025-06-30). Rows are booked within `days` before it. */
  asOf?: string;
  days?: number;
  /** Relative weights of the scenarios (missing ones keep their default). */
  mix?: Partial<Record<Scenario, number>>;
  /** Stale age used to label old unmatched rows (default 30, as in default.rules.json). */
  staleAfterDays?: number;
}

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function civil(day: number): string {
  // Howard Hinnant's civil_from_days.
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function dayOf(date: string): number {
  const [y, m, d] = date.split('-').map((part) => Number.parseInt(part, 10)) as [number, number, number];
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

const POWERS = [1, 10, 100, 1000, 10000];

/** Integer minor units → decimal string (integers only; exact below 2^53). */
function formatMinor(minor: number, exponent: number): string {
  const negative = minor < 0;
  const abs = negative ? -minor : minor;
  if (exponent === 0) return (negative ? '-' : '') + String(abs);
  const unit = POWERS[exponent]!;
  const whole = Math.floor(abs / unit);
  const fraction = String(abs - whole * unit).padStart(exponent, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

interface Partition {
  accountId: string;
  currency: string;
  exponent: number;
  statementId: string;
  file: string;
  fileHash: string;
  lineCount: number;
}

/** Generates a labelled set. Deterministic in `options`. */
export function generateLabelledSet(options: GenerateOptions): LabelledSet {
  const random = prng(options.seed);
  const targetS = options.statementLines;
  const targetL = options.ledgerEntries ?? targetS;
  const asOf = options.asOf ?? '2025-06-30';
  const asOfDay = dayOf(asOf);
  const span = options.days ?? 45;
  const staleAfter = options.staleAfterDays ?? 30;
  const accountCount = options.accounts ?? Math.max(2, Math.round(targetS / 2500));

  const int = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
  const token = (length: number): string => {
    let text = '';
    for (let i = 0; i < length; i += 1) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
    return text;
  };
  const hex = (length: number): string => {
    let text = '';
    for (let i = 0; i < length; i += 1) text += '0123456789abcdef'[Math.floor(random() * 16)];
    return text;
  };

  // Accounts and partitions.
  const currencies = ['EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'USD', 'USD', 'GBP', 'GBP', 'GBP', 'JPY'];
  const partitions: Partition[] = [];
  for (let a = 0; a < accountCount; a += 1) {
    const accountId = `GB${String(10 + (a % 90))}LEDG${String(a).padStart(6, '0')}`;
    const primary = currencies[Math.floor(random() * currencies.length)]!;
    const held = [primary];
    if (random() < 0.1) held.push(primary === 'USD' ? 'EUR' : 'USD');
    for (const currency of held) {
      const fileHash = hex(12);
      partitions.push({
        accountId,
        currency,
        exponent: CURRENCY_EXPONENTS[currency]!,
        statementId: `STMT-${accountId}-${currency}`,
        file: `statement-${accountId}-${currency}.xml`,
        fileHash,
        lineCount: 0,
      });
    }
  }

  // Dates: precomputed strings for the whole range (shared, not one string per row).
  const firstDay = asOfDay - span - 10;
  const dates: string[] = [];
  for (let d = firstDay; d <= asOfDay + 10; d += 1) dates.push(civil(d));
  const dateOf = (day: number): string => dates[Math.min(dates.length - 1, Math.max(0, day - firstDay))]!;

  const statementLines: StatementLine[] = [];
  const ledgerEntries: LedgerEntry[] = [];
  const truth: TruthMatch[] = [];
  const exceptions: TruthException[] = [];
  let ledgerSeq = 0;

  /** Log-uniform magnitude between low and high major units, in minor units. */
  const magnitude = (p: Partition, low: number, high: number): number => {
    const major = Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low)));
    const scale = p.exponent === 0 ? 150 : 1; // JPY amounts are about 150x larger
    return Math.max(1, Math.round(major * scale * POWERS[p.exponent]!));
  };
  const signed = (value: number, credit: boolean): number => (credit ? value : -value);

  interface LineSpec {
    amount: number;
    day: number;
    valueOffset?: number;
    endToEndId?: string;
    bankReference?: string;
    customerReference?: string;
    batchItemCount?: number;
    batchReference?: string;
    batchItem?: { index: number; of: number };
  }
  const statementLine = (p: Partition, spec: LineSpec): StatementLine => {
    const index = p.lineCount;
    p.lineCount += 1;
    const line: StatementLine = {
      statementLineId: `${p.fileHash}:0:${index}`,
      format: 'camt.053',
      statementId: p.statementId,
      accountId: p.accountId,
      currency: p.currency,
      amount: formatMinor(spec.amount, p.exponent),
      bookingDate: dateOf(spec.day),
      valueDate: dateOf(spec.day + (spec.valueOffset ?? 0)),
      bankReference: spec.bankReference ?? `BR${token(10)}`,
      status: 'BOOK',
      position: { file: p.file, element: `Document/BkToCstmrStmt/Stmt[1]/Ntry[${index + 1}]` },
    };
    if (spec.endToEndId !== undefined) line.endToEndId = spec.endToEndId;
    if (spec.customerReference !== undefined) line.customerReference = spec.customerReference;
    if (spec.batchItemCount !== undefined) line.batchItemCount = spec.batchItemCount;
    if (spec.batchReference !== undefined) line.batchReference = spec.batchReference;
    if (spec.batchItem !== undefined) line.batchItem = spec.batchItem;
    statementLines.push(line);
    return line;
  };
  const ledgerEntry = (p: Partition, amount: number, day: number, reference: string, description: string): LedgerEntry => {
    ledgerSeq += 1;
    const entry: LedgerEntry = {
      entryId: `LE${String(ledgerSeq).padStart(9, '0')}`,
      accountId: p.accountId,
      currency: p.currency,
      amount: formatMinor(amount, p.exponent),
      bookingDate: dateOf(day),
      valueDate: dateOf(day),
      reference,
      description,
    };
    ledgerEntries.push(entry);
    return entry;
  };
  const copyStatement = (p: Partition, line: StatementLine): StatementLine => {
    const index = p.lineCount;
    p.lineCount += 1;
    const copy: StatementLine = { ...line, statementLineId: `${p.fileHash}:0:${index}`, position: { file: p.file, element: `Document/BkToCstmrStmt/Stmt[1]/Ntry[${index + 1}]` } };
    statementLines.push(copy);
    return copy;
  };
  const copyLedger = (entry: LedgerEntry): LedgerEntry => {
    ledgerSeq += 1;
    const copy = { ...entry, entryId: `LE${String(ledgerSeq).padStart(9, '0')}` };
    ledgerEntries.push(copy);
    return copy;
  };
  const reasonByAge = (day: number): ExceptionReason => (asOfDay - day > staleAfter ? 'STALE' : 'UNMATCHED');
  /** A reference as a ledger clerk might have typed it: sometimes lower case or with spaces. */
  const retyped = (reference: string): string => {
    const r = random();
    if (r < 0.05) return reference.toLowerCase();
    if (r < 0.1) return `${reference.slice(0, 4)} ${reference.slice(4)} `;
    return reference;
  };
  const recentDay = (): number => asOfDay - int(3, Math.min(span, staleAfter - 6));

  /** Exact-reference pair; returns the rows. */
  const exactReference = (p: Partition): { line: StatementLine; entry: LedgerEntry } => {
    const credit = random() < 0.6;
    const amount = signed(magnitude(p, 1, 50_000), credit);
    const day = recentDay();
    const which = random();
    let line: StatementLine;
    let reference: string;
    if (which < 0.6) {
      reference = `E2E${token(12)}`;
      line = statementLine(p, { amount, day, valueOffset: int(0, 1), endToEndId: reference });
    } else if (which < 0.8) {
      line = statementLine(p, { amount, day, valueOffset: int(0, 1) });
      reference = line.bankReference!;
    } else {
      reference = `INV${token(4)}${int(100000, 999999)}`;
      line = statementLine(p, { amount, day, valueOffset: int(0, 1), endToEndId: 'NOTPROVIDED', customerReference: reference });
    }
    const entry = ledgerEntry(p, amount, day - int(0, 4), retyped(reference), credit ? 'customer receipt' : 'supplier payment');
    return { line, entry };
  };

  let caseSeq = 0;
  /** Expected SPLIT_INCOMPLETE exceptions that form one case. */
  const expectCase = (lines: readonly StatementLine[], entries: readonly LedgerEntry[]): void => {
    caseSeq += 1;
    const group = `case-${caseSeq}`;
    for (const line of lines) exceptions.push({ side: 'statement', id: line.statementLineId, reason: 'SPLIT_INCOMPLETE', group });
    for (const entry of entries) exceptions.push({ side: 'ledger', id: entry.entryId, reason: 'SPLIT_INCOMPLETE', group });
  };
  type NearMiss = 'missing' | 'extra' | 'cent';
  const nearMiss = (): NearMiss => (['missing', 'extra', 'cent'] as const)[int(0, 2)]!;
  /** Amounts of the parts of a batch or split: random, or (sometimes) all equal. */
  const partAmounts = (p: Partition, count: number, credit: boolean): number[] => {
    const amounts: number[] = [];
    const equal = random() < 0.3 ? magnitude(p, 50, 5_000) : 0;
    for (let i = 0; i < count; i += 1) amounts.push(signed(equal || magnitude(p, 5, 5_000), credit));
    return amounts;
  };

  /** REC-MATCH-1: a batch booking whose ledger items all carry the booking's own reference. */
  const sharedBatch = (p: Partition, miss: NearMiss | null): void => {
    const count = miss === 'missing' ? int(3, 8) : int(2, 12);
    const credit = random() < 0.4;
    const day = recentDay();
    const run = `PAYRUN${token(8)}`;
    const amounts = partAmounts(p, count, credit);
    let total = amounts.reduce((sum, value) => sum + value, 0);
    if (miss === 'cent') total += random() < 0.5 ? 1 : -1;
    const spec: LineSpec = { amount: total, day, valueOffset: int(0, 1) };
    const where = random();
    if (where < 0.4) spec.endToEndId = run;
    else if (where < 0.7) spec.customerReference = run;
    else spec.bankReference = run;
    if (random() < 0.6) spec.batchItemCount = count;
    const line = statementLine(p, spec);
    const skip = miss === 'missing' ? int(0, count - 1) : -1;
    const items: LedgerEntry[] = [];
    for (let i = 0; i < count; i += 1) if (i !== skip) items.push(ledgerEntry(p, amounts[i]!, day - int(0, 1), retyped(run), credit ? 'collection run item' : 'payment run item'));
    // An extra item: the same reference, the same sign, smaller than any item (so it could be one).
    if (miss === 'extra') items.push(ledgerEntry(p, signed(int(1, Math.min(...amounts.map(Math.abs))), credit), day, run, 'payment run item'));
    if (miss === null) truth.push({ kind: 'shared-batch', statementLineIds: [line.statementLineId], ledgerEntryIds: items.map((entry) => entry.entryId) });
    else expectCase([line], items);
  };

  /** REC-MATCH-1: several statement lines sharing one reference against the one ledger entry with it. */
  const sharedSplit = (p: Partition, miss: NearMiss | null): void => {
    const count = miss === 'missing' ? int(3, 6) : int(2, 6);
    const credit = random() < 0.6;
    const day = recentDay();
    const camt = random() < 0.6;
    const reference = camt ? `ACSV${token(10)}` : `REMIT${token(8)}`;
    const amounts = partAmounts(p, count, credit);
    let total = amounts.reduce((sum, value) => sum + value, 0);
    if (miss === 'cent') total += random() < 0.5 ? 1 : -1;
    if (miss === 'extra') amounts.push(signed(int(1, Math.min(...amounts.map(Math.abs))), credit));
    const skip = miss === 'missing' ? int(0, count - 1) : -1;
    const lines: StatementLine[] = [];
    amounts.forEach((amount, i) => {
      if (i === skip) return;
      // A split camt batch: every item carries the entry's bank reference and its batchReference.
      const spec: LineSpec = camt
        ? { amount, day, bankReference: reference, batchReference: reference, batchItem: { index: i + 1, of: amounts.length }, endToEndId: `ITEM${token(10)}` }
        : { amount, day: day + int(0, 1), customerReference: reference };
      lines.push(statementLine(p, spec));
    });
    const entry = ledgerEntry(p, total, day, retyped(reference), credit ? 'receipts settled together' : 'payment settled in parts');
    if (miss === null) truth.push({ kind: 'shared-split', statementLineIds: lines.map((line) => line.statementLineId), ledgerEntryIds: [entry.entryId] });
    else expectCase(lines, [entry]);
  };

  const scenarios = Object.entries({ ...DEFAULT_MIX, ...(options.mix ?? {}) }) as Array<[Scenario, number]>;
  const totalWeight = scenarios.reduce((sum, [, weight]) => sum + weight, 0);
  const pick = (): Scenario => {
    let r = random() * totalWeight;
    for (const [scenario, weight] of scenarios) {
      r -= weight;
      if (r < 0) return scenario;
    }
    return 'exact-reference';
  };

  const noiseStatement = (p: Partition): void => {
    const day = asOfDay - int(1, span);
    const line = statementLine(p, { amount: signed(magnitude(p, 1, 20_000), random() < 0.5), day, valueOffset: int(0, 1), endToEndId: `NZ${token(12)}` });
    exceptions.push({ side: 'statement', id: line.statementLineId, reason: reasonByAge(day) });
  };
  const noiseLedger = (p: Partition): void => {
    const day = asOfDay - int(1, span);
    const entry = ledgerEntry(p, signed(magnitude(p, 1, 20_000), random() < 0.5), day, `NL${token(12)}`, 'unreconciled posting');
    exceptions.push({ side: 'ledger', id: entry.entryId, reason: reasonByAge(day) });
  };

  while (statementLines.length < targetS && ledgerEntries.length < targetL) {
    const p = partitions[Math.floor(random() * partitions.length)]!;
    const roomS = targetS - statementLines.length;
    const roomL = targetL - ledgerEntries.length;
    let scenario = pick();
    // Multi-row scenarios only when both sides have room; otherwise a plain pair.
    if (roomS < 6 || roomL < 14) scenario = 'exact-reference';
    switch (scenario) {
      case 'exact-reference': {
        const { line, entry } = exactReference(p);
        truth.push({ kind: 'exact-reference', statementLineIds: [line.statementLineId], ledgerEntryIds: [entry.entryId] });
        break;
      }
      case 'amount-date': {
        const credit = random() < 0.6;
        const amount = signed(magnitude(p, 1, 50_000), credit);
        const day = recentDay();
        const line = statementLine(p, { amount, day, valueOffset: int(0, 2) });
        const entry = ledgerEntry(p, amount, day + int(-1, 2), `POS${token(10)}`, credit ? 'card settlement' : 'direct debit');
        truth.push({ kind: 'amount-date', statementLineIds: [line.statementLineId], ledgerEntryIds: [entry.entryId] });
        break;
      }
      case 'tolerance':
      case 'reference-tolerance': {
        const credit = random() < 0.7;
        const gross = magnitude(p, 20, 20_000);
        // A fee deducted (within 0.50, or within 0.4% on larger amounts), or FX rounding of a few minor units.
        const absoluteMax = p.exponent === 0 ? 50 : 5 * POWERS[p.exponent - 1]!; // 0.50, or 50 JPY
        const r = random();
        const fee = r < 0.4 ? int(1, absoluteMax) : r < 0.8 ? Math.max(1, Math.floor((gross * int(1, 40)) / 10_000)) : int(1, 3);
        const ledgerAmount = signed(gross, credit);
        const statementAmount = signed(gross - fee, credit);
        const day = recentDay();
        let line: StatementLine;
        let reference: string;
        if (scenario === 'reference-tolerance') {
          reference = `E2E${token(12)}`;
          line = statementLine(p, { amount: statementAmount, day, valueOffset: int(0, 1), endToEndId: reference });
        } else {
          reference = `FX${token(10)}`;
          line = statementLine(p, { amount: statementAmount, day, valueOffset: int(0, 1) });
        }
        const entry = ledgerEntry(p, ledgerAmount, day + int(-1, 1), reference, 'FX payment');
        truth.push({ kind: scenario, statementLineIds: [line.statementLineId], ledgerEntryIds: [entry.entryId] });
        break;
      }
      case 'batch':
      case 'split-incomplete': {
        const items = scenario === 'batch' ? int(2, 10) : int(3, 6);
        const credit = random() < 0.5;
        const day = recentDay();
        const batch = `BATCH${token(8)}`;
        const amounts: number[] = [];
        for (let i = 0; i < items; i += 1) amounts.push(signed(magnitude(p, 5, 5_000), credit));
        const total = amounts.reduce((sum, value) => sum + value, 0);
        const where = random();
        const spec: LineSpec = { amount: total, day, valueOffset: int(0, 1) };
        if (where < 0.5) spec.endToEndId = batch;
        else if (where < 0.8) spec.customerReference = batch;
        else spec.bankReference = batch;
        if (scenario === 'split-incomplete' || random() < 0.7) spec.batchItemCount = items;
        const line = statementLine(p, spec);
        const missing = scenario === 'split-incomplete' ? int(0, items - 1) : -1;
        const ids: string[] = [];
        for (let i = 0; i < items; i += 1) {
          if (i === missing) continue;
          const entry = ledgerEntry(p, amounts[i]!, day - int(0, 1), `${batch}-${String(i + 1).padStart(3, '0')}`, credit ? 'card batch item' : 'payroll item');
          ids.push(entry.entryId);
        }
        if (scenario === 'batch') {
          truth.push({ kind: 'batch', statementLineIds: [line.statementLineId], ledgerEntryIds: ids });
        } else {
          exceptions.push({ side: 'statement', id: line.statementLineId, reason: 'SPLIT_INCOMPLETE' });
          for (const id of ids) exceptions.push({ side: 'ledger', id, reason: 'SPLIT_INCOMPLETE' });
        }
        break;
      }
      case 'split': {
        const parts = int(2, 4);
        const credit = random() < 0.6;
        const day = recentDay();
        const reference = `SPLIT${token(8)}`;
        const ids: string[] = [];
        let total = 0;
        for (let i = 0; i < parts; i += 1) {
          const amount = signed(magnitude(p, 5, 10_000), credit);
          total += amount;
          ids.push(statementLine(p, { amount, day: day + int(0, 2), endToEndId: `${reference}/${i + 1}` }).statementLineId);
        }
        const entry = ledgerEntry(p, total, day, retyped(reference), 'invoice paid in instalments');
        truth.push({ kind: 'split', statementLineIds: ids, ledgerEntryIds: [entry.entryId] });
        break;
      }
      case 'batch-by-amount': {
        const items = int(2, 3);
        const credit = random() < 0.5;
        const day = recentDay();
        const ids: string[] = [];
        let total = 0;
        for (let i = 0; i < items; i += 1) {
          const amount = signed(magnitude(p, 5, 5_000), credit);
          total += amount;
          ids.push(ledgerEntry(p, amount, day, `TILL${token(10)}`, 'till takings').entryId);
        }
        const line = statementLine(p, { amount: total, day, valueOffset: 0 });
        truth.push({ kind: 'batch-by-amount', statementLineIds: [line.statementLineId], ledgerEntryIds: ids });
        break;
      }
      case 'duplicate-statement': {
        const { line, entry } = exactReference(p);
        const copy = copyStatement(p, line);
        // The original is the one with the smaller id (the matcher's canonical tie-break).
        const [original, duplicate] = line.statementLineId < copy.statementLineId ? [line, copy] : [copy, line];
        truth.push({ kind: 'exact-reference', statementLineIds: [original.statementLineId], ledgerEntryIds: [entry.entryId] });
        exceptions.push({ side: 'statement', id: duplicate.statementLineId, reason: 'DUPLICATE' });
        break;
      }
      case 'duplicate-ledger': {
        const { line, entry } = exactReference(p);
        const copy = copyLedger(entry);
        const [original, duplicate] = entry.entryId < copy.entryId ? [entry, copy] : [copy, entry];
        truth.push({ kind: 'exact-reference', statementLineIds: [line.statementLineId], ledgerEntryIds: [original.entryId] });
        exceptions.push({ side: 'ledger', id: duplicate.entryId, reason: 'DUPLICATE' });
        break;
      }
      case 'amount-mismatch': {
        const credit = random() < 0.6;
        const amount = magnitude(p, 50, 20_000);
        const other = Math.round(amount * (1 + (random() < 0.5 ? -1 : 1) * (0.03 + random() * 0.12)));
        const day = recentDay();
        const reference = `E2E${token(12)}`;
        const line = statementLine(p, { amount: signed(amount, credit), day, endToEndId: reference });
        const entry = ledgerEntry(p, signed(other, credit), day, reference, 'customer receipt');
        exceptions.push({ side: 'statement', id: line.statementLineId, reason: 'AMOUNT_MISMATCH' });
        exceptions.push({ side: 'ledger', id: entry.entryId, reason: 'AMOUNT_MISMATCH' });
        break;
      }
      case 'shared-batch':
        sharedBatch(p, null);
        break;
      case 'shared-batch-incomplete':
        sharedBatch(p, nearMiss());
        break;
      case 'shared-split':
        sharedSplit(p, null);
        break;
      case 'shared-split-incomplete':
        sharedSplit(p, nearMiss());
        break;
      case 'noise-statement':
        noiseStatement(p);
        break;
      case 'noise-ledger':
        noiseLedger(p);
        break;
    }
  }
  while (statementLines.length < targetS) noiseStatement(partitions[Math.floor(random() * partitions.length)]!);
  while (ledgerEntries.length < targetL) noiseLedger(partitions[Math.floor(random() * partitions.length)]!);
  return { asOf, statementLines, ledgerEntries, truth, exceptions };
}
