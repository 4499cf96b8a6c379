/**
 * FR8: the bank's core-banking posting input record. Documented in docs/posting-record-format.md.
 *
 * One fixed-width line of 185 ASCII characters per leg; a record is the legCount lines of one
 * complete sequence, in leg order, each ending in "\n". Numeric fields are right-aligned and
 * zero-padded, text fields left-aligned and space-padded.
 */
import type { LegType, PostingLeg } from './events';
import { minorOf } from './money';
import type { PostingRecord } from '../ports';
import { assertBalanced, PostingError } from './posting';

export const LEG_TYPE_CODES: Readonly<Record<LegType, string>> = {
  CUSTOMER_DEBIT: 'CDEB',
  MERCHANT_SETTLEMENT_CREDIT: 'MCRD',
  FX_POSITION_CREDIT: 'FXPC',
  FX_POSITION_DEBIT: 'FXPD',
  FX_FEE_DEBIT: 'FEED',
  FX_FEE_INCOME_CREDIT: 'FEEI',
  // ADJ-1: workbench adjustments (an approved write-off, a bank error booked to suspense).
  WRITE_OFF: 'WOFF',
  SUSPENSE: 'SUSP',
  ADJUSTED_ACCOUNT: 'ADJA',
};

/** [name, start (1-based), length] */
export const POSTING_RECORD_LAYOUT = [
  ['recordType', 1, 2],
  ['sequenceId', 3, 36],
  ['legIndex', 39, 2],
  ['legCount', 41, 2],
  ['legTypeCode', 43, 4],
  ['accountId', 47, 34],
  ['debitCredit', 81, 1],
  ['amountMinor', 82, 18],
  ['currency', 100, 3],
  ['valueDate', 103, 8],
  ['authorizationId', 111, 35],
  ['narrative', 146, 40],
] as const;
export const POSTING_RECORD_WIDTH = 185;

function text(value: string, width: number): string {
  const ascii = value.toUpperCase().replace(/[^\x20-\x7E]/g, '?');
  if (ascii.length > width) return ascii.slice(0, width);
  return ascii.padEnd(width, ' ');
}

function digits(value: bigint | number, width: number, field: string): string {
  const rendered = value.toString();
  if (rendered.length > width || rendered.startsWith('-')) throw new PostingError(`${field} ${rendered} does not fit ${width} digits`);
  return rendered.padStart(width, '0');
}

export function formatLegLine(leg: PostingLeg): string {
  const line =
    'PL' +
    text(leg.sequenceId, 36) +
    digits(leg.legIndex, 2, 'legIndex') +
    digits(leg.legCount, 2, 'legCount') +
    LEG_TYPE_CODES[leg.legType] +
    text(leg.accountId, 34) +
    (leg.direction === 'DEBIT' ? 'D' : 'C') +
    digits(minorOf(leg.amount), 18, 'amount') +
    leg.amount.currency +
    leg.valueDate.replace(/-/g, '') +
    text(leg.authorizationId, 35) +
    text(leg.narrative, 40);
  if (line.length !== POSTING_RECORD_WIDTH) throw new PostingError(`posting line is ${line.length} characters, expected ${POSTING_RECORD_WIDTH}`);
  return line;
}

export type AssemblyResult = { complete: false; have: number; need: number } | { complete: true; record: PostingRecord };

/** Emits the posting record only when every leg 1..legCount of the sequence is present and it balances. */
export function assembleSequence(legs: readonly PostingLeg[]): AssemblyResult {
  const first = legs[0];
  if (!first) return { complete: false, have: 0, need: 0 };
  const byIndex = new Map<number, PostingLeg>();
  for (const leg of legs) {
    if (leg.sequenceId !== first.sequenceId || leg.legCount !== first.legCount) {
      throw new PostingError(`leg ${leg.legId} disagrees with sequence ${first.sequenceId} on its id or leg count`);
    }
    byIndex.set(leg.legIndex, leg);
  }
  if (byIndex.size < first.legCount) return { complete: false, have: byIndex.size, need: first.legCount };
  const ordered = [...byIndex.values()].sort((a, b) => a.legIndex - b.legIndex);
  assertBalanced(ordered);
  return {
    complete: true,
    record: {
      recordId: `PR-${first.sequenceId}`,
      sequenceId: first.sequenceId,
      content: ordered.map((leg) => `${formatLegLine(leg)}\n`).join(''),
    },
  };
}

export interface ParsedPostingLine {
  recordType: string;
  sequenceId: string;
  legIndex: number;
  legCount: number;
  legTypeCode: string;
  accountId: string;
  debitCredit: 'D' | 'C';
  amountMinor: bigint;
  currency: string;
  valueDate: string;
  authorizationId: string;
  narrative: string;
}

/** Reads posting lines back (used by tests and by reconciliation of the outbox). */
export function parsePostingLines(content: string): ParsedPostingLine[] {
  return content
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line, index) => {
      if (line.length !== POSTING_RECORD_WIDTH) throw new PostingError(`posting line ${index + 1} is ${line.length} characters, expected ${POSTING_RECORD_WIDTH}`);
      const field = (name: (typeof POSTING_RECORD_LAYOUT)[number][0]): string => {
        const spec = POSTING_RECORD_LAYOUT.find(([n]) => n === name)!;
        return line.slice(spec[1] - 1, spec[1] - 1 + spec[2]);
      };
      return {
        recordType: field('recordType'),
        sequenceId: field('sequenceId').trimEnd(),
        legIndex: Number(field('legIndex')),
        legCount: Number(field('legCount')),
        legTypeCode: field('legTypeCode'),
        accountId: field('accountId').trimEnd(),
        debitCredit: field('debitCredit') as 'D' | 'C',
        amountMinor: BigInt(field('amountMinor')),
        currency: field('currency'),
        valueDate: field('valueDate'),
        authorizationId: field('authorizationId').trimEnd(),
        narrative: field('narrative').trimEnd(),
      };
    });
}
