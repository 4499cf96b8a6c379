/**
 * ADJ-1: the adjusting entry of a workbench resolution that changes money, pure.
 *
 * A case's difference (statement side minus ledger side, per currency, exact) is booked on the
 * ledger account the case reconciles, against the account the resolution names:
 *   - an approved write-off: the write-off expense account of the currency (`WRITEOFF-<CCY>`);
 *   - a bank error booked to suspense: the suspense account of the currency (`SUSPENSE-<CCY>`),
 *     where it waits for the bank's correction.
 * Two legs per currency, each balancing: the adjusted account moves by the difference (credit when
 * positive, debit when negative: the ledger's sign convention, credit +, as a statement line's),
 * the contra account takes the opposite side. So the ledger comes to agree with the bank.
 *
 * The adjustment's id derives from the case id and the approval it books (the write-off proposal
 * that was approved: who proposed it and when), never from who approved it or when: a second
 * submission of the same approval, concurrent or after a crash, is the same adjustment, the same
 * ledger sequence and the same posting record (FR8 format, record id `PR-<sequenceId>`). A
 * reversal (the case reopened after its adjustment was booked) derives from the adjustment it
 * reverses, so each adjustment is reversed at most once.
 */
import { createHash } from 'node:crypto';
import type { LegType, PostingLeg } from './events';
import { deterministicId } from './events';
import { currencyExponent, money, MoneyError } from './money';
import { assertBalanced } from './posting';
import { assembleSequence, LEG_TYPE_CODES } from './posting-record';
import type { PostingRecord } from '../ports';

/** What the resolution books the difference to. */
export type AdjustmentTarget = 'WRITE_OFF' | 'SUSPENSE';
export const ADJUSTMENT_TARGETS: readonly AdjustmentTarget[] = ['WRITE_OFF', 'SUSPENSE'];

/** The role of an adjustment leg, and its posting-record leg type code (docs/posting-record-format.md). */
export type AdjustmentLegType = 'WRITE_OFF' | 'SUSPENSE' | 'ADJUSTED_ACCOUNT';
export const ADJUSTMENT_LEG_TYPE_CODES: Readonly<Record<AdjustmentLegType, string>> = {
  WRITE_OFF: LEG_TYPE_CODES.WRITE_OFF,
  SUSPENSE: LEG_TYPE_CODES.SUSPENSE,
  ADJUSTED_ACCOUNT: LEG_TYPE_CODES.ADJUSTED_ACCOUNT,
};

export const writeOffAccount = (currency: string): string => `WRITEOFF-${currency}`;
export const suspenseAccount = (currency: string): string => `SUSPENSE-${currency}`;

/** The contra accounts: by convention per currency, or as configuration names them (currency → account). */
export interface AdjustmentAccounts {
  writeOff?: Readonly<Record<string, string>>;
  suspense?: Readonly<Record<string, string>>;
}

export function contraAccount(target: AdjustmentTarget, currency: string, accounts: AdjustmentAccounts = {}): string {
  if (target === 'WRITE_OFF') return accounts.writeOff?.[currency] ?? writeOffAccount(currency);
  return accounts.suspense?.[currency] ?? suspenseAccount(currency);
}

export class AdjustmentError extends Error {
  override name = 'AdjustmentError';
}

/** What a case contributes to its adjustment (the fields of ExceptionCase the entry reads). */
export interface AdjustedCase {
  caseId: string;
  side: 'statement' | 'ledger' | 'both';
  accountId: string;
  currency: string;
  /** Signed exact decimal. */
  amount: string;
  /** REC-CASE-1: a grouped case's per-currency sums; `difference` = statement - ledger. */
  totals?: readonly { currency: string; difference: string }[];
}

/** Minor units of a signed decimal in `currency`, exact: surplus trailing zeros are accepted, surplus digits are not. */
export function exactMinor(amount: string, currency: string, what: string): bigint {
  const exponent = currencyExponent(currency);
  const match = /^([+-])?([0-9]+)(?:\.([0-9]*))?$/.exec(amount);
  if (!match) throw new AdjustmentError(`${what}: amount "${amount}" is not a decimal`);
  const [, sign, whole = '0', fraction = ''] = match;
  if (/[1-9]/.test(fraction.slice(exponent))) throw new AdjustmentError(`${what}: amount "${amount}" has more decimals than ${currency} allows (${exponent})`);
  const minor = BigInt(whole + fraction.slice(0, exponent).padEnd(exponent, '0'));
  return sign === '-' ? -minor : minor;
}

/**
 * The case's difference per currency, statement side minus ledger side, in minor units (zero
 * differences left out): a statement-side exception is its amount (the bank moved it, the ledger
 * did not), a ledger-side one its negation (the ledger booked it, the bank did not), a grouped
 * case its totals' differences.
 */
export function caseDifferences(adjusted: AdjustedCase): Map<string, bigint> {
  const differences = new Map<string, bigint>();
  const add = (currency: string, minor: bigint): void => {
    const total = (differences.get(currency) ?? 0n) + minor;
    if (total === 0n) differences.delete(currency);
    else differences.set(currency, total);
  };
  const what = `case ${adjusted.caseId}`;
  try {
    if (adjusted.totals && adjusted.totals.length > 0) {
      for (const total of adjusted.totals) add(total.currency, exactMinor(total.difference, total.currency, what));
    } else if (adjusted.side === 'statement') {
      add(adjusted.currency, exactMinor(adjusted.amount, adjusted.currency, what));
    } else if (adjusted.side === 'ledger') {
      add(adjusted.currency, -exactMinor(adjusted.amount, adjusted.currency, what));
    } else {
      throw new AdjustmentError(`${what} has items on both sides but no totals: its difference is not known`);
    }
  } catch (error) {
    if (error instanceof MoneyError) throw new AdjustmentError(`${what}: ${error.message}`);
    throw error;
  }
  return differences;
}

/** The approval an adjustment books: stable across submissions of it (never who approved it, nor when). */
export interface AdjustmentApproval {
  /** Who proposed the booking. */
  proposedBy: string;
  /** When it was proposed (ISO 8601): its value date is this date, whenever the approval lands. */
  proposedAt: string;
  /** The case version the proposal made: a later proposal of the same case is another approval, whoever makes it and when. */
  proposalVersion?: number;
}

export interface AdjustmentInput {
  case: AdjustedCase;
  target: AdjustmentTarget;
  approval: AdjustmentApproval;
  /** The ledger account the case's account is (reference data resolves an IBAN to it). */
  ledgerAccountId: string;
  /** The ledger account's currency, when known: the difference must be in it. */
  ledgerAccountCurrency?: string;
  accounts?: AdjustmentAccounts;
}

export interface Adjustment {
  /** `ADJ-` + 24 hex digits: the adjustment's name in the case history and the legs' reference. */
  adjustmentId: string;
  caseId: string;
  target: AdjustmentTarget;
  /** The adjustment this one reverses (a reversal only). */
  reverses?: string;
  sequenceId: string;
  legs: PostingLeg[];
  record: PostingRecord;
}

const ID_HEX = 24;

/** `ADJ-<24 hex>` from the case id and the approval. */
export function adjustmentIdFor(caseId: string, approval: AdjustmentApproval): string {
  const parts = ['adjustment', caseId, approval.proposedBy, approval.proposedAt, ...(approval.proposalVersion !== undefined ? [String(approval.proposalVersion)] : [])];
  return `ADJ-${createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, ID_HEX)}`;
}

/**
 * Whether a ledger leg's reference (its authorisation id) names an adjustment rather than a payment:
 * readers that account for payments (the flow audit) leave adjustments out by it.
 */
export function isAdjustmentReference(reference: string | null | undefined): boolean {
  return typeof reference === 'string' && /^ADJ-[0-9a-f]{24}$/.test(reference);
}

/** The reversal of an adjustment: one per adjustment. */
export function reversalIdFor(adjustmentId: string): string {
  return `ADJ-${createHash('sha256').update(['reversal', adjustmentId].join('\u001f')).digest('hex').slice(0, ID_HEX)}`;
}

export const adjustmentSequenceId = (adjustmentId: string): string => deterministicId('adjustment.sequence', adjustmentId);

const NARRATIVE_LENGTH = 140;

interface LegSpec {
  role: AdjustmentLegType;
  accountId: string;
  direction: 'DEBIT' | 'CREDIT';
  minor: bigint;
  currency: string;
}

/**
 * The leg type a ledger leg carries. The payment leg types (events.ts LegType) name payment roles
 * only: an adjustment leg carries its own role, and its posting record line its own code.
 */
const asLegType = (role: AdjustmentLegType): LegType => role as unknown as LegType;

function legsOf(adjustmentId: string, specs: readonly LegSpec[], valueDate: string, narrative: string): { sequenceId: string; legs: PostingLeg[] } {
  const sequenceId = adjustmentSequenceId(adjustmentId);
  const legs = specs.map((spec, index) => ({
    legId: `${sequenceId}:${index + 1}`,
    sequenceId,
    legIndex: index + 1,
    legCount: specs.length,
    legType: asLegType(spec.role),
    accountId: spec.accountId,
    direction: spec.direction,
    amount: money(spec.minor, spec.currency),
    valueDate,
    narrative: narrative.slice(0, NARRATIVE_LENGTH),
    authorizationId: adjustmentId,
  }));
  assertBalanced(legs);
  return { sequenceId, legs };
}

/** The role code of an adjustment leg, or undefined for a payment leg. */
export function adjustmentLegCode(legType: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(ADJUSTMENT_LEG_TYPE_CODES, legType) ? ADJUSTMENT_LEG_TYPE_CODES[legType as AdjustmentLegType] : undefined;
}

/** The adjustment leg type of a posting-record code, or undefined. */
export function adjustmentLegTypeOfCode(code: string): LegType | undefined {
  const found = (Object.entries(ADJUSTMENT_LEG_TYPE_CODES) as [AdjustmentLegType, string][]).find(([, known]) => known === code);
  return found ? asLegType(found[0]) : undefined;
}

/**
 * The adjustment's posting record in the payment's format (FR8): the one line formatter and
 * assembler, with each line's leg type code the adjustment leg's own.
 */
export function adjustmentRecord(legs: readonly PostingLeg[]): PostingRecord {
  const assembled = assembleSequence(legs);
  if (!assembled.complete) throw new AdjustmentError(`adjustment sequence ${legs[0]?.sequenceId ?? '?'} is incomplete (${assembled.have} of ${assembled.need} legs)`);
  return assembled.record;
}

/** ISO date (YYYY-MM-DD) of an ISO 8601 instant, checked. */
function dateOf(instant: string, what: string): string {
  const date = instant.slice(0, 10);
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw new AdjustmentError(`${what} "${instant}" is not an ISO 8601 instant`);
  return date;
}

/**
 * The adjusting entry of a resolution, or undefined when the case's difference is zero (nothing
 * changes money). Throws AdjustmentError naming the case and the fault: a difference in several
 * currencies, or in another currency than the ledger account's, cannot be booked on it.
 */
export function buildAdjustment(input: AdjustmentInput): Adjustment | undefined {
  const { case: adjusted, target, approval, ledgerAccountId } = input;
  if (!ADJUSTMENT_TARGETS.includes(target)) throw new AdjustmentError(`case ${adjusted.caseId}: unknown adjustment target ${String(target)}`);
  if (ledgerAccountId.trim() === '') throw new AdjustmentError(`case ${adjusted.caseId}: no ledger account to book the adjustment on`);
  const differences = caseDifferences(adjusted);
  if (differences.size === 0) return undefined;
  if (differences.size > 1) throw new AdjustmentError(`case ${adjusted.caseId}: its difference is in several currencies (${[...differences.keys()].join(', ')}); one ledger account cannot take it`);
  const [currency, difference] = [...differences][0]!;
  if (input.ledgerAccountCurrency !== undefined && input.ledgerAccountCurrency !== currency) {
    throw new AdjustmentError(`case ${adjusted.caseId}: its difference is in ${currency} but ledger account ${ledgerAccountId} is in ${input.ledgerAccountCurrency}`);
  }
  const adjustmentId = adjustmentIdFor(adjusted.caseId, approval);
  const contra = contraAccount(target, currency, input.accounts);
  if (contra === ledgerAccountId)
    throw new AdjustmentError(`case ${adjusted.caseId}: the adjusted account ${ledgerAccountId} is the ${target === 'WRITE_OFF' ? 'write-off' : 'suspense'} account itself`);
  const magnitude = difference < 0n ? -difference : difference;
  const onAccount: 'DEBIT' | 'CREDIT' = difference > 0n ? 'CREDIT' : 'DEBIT';
  const specs: LegSpec[] = [
    { role: 'ADJUSTED_ACCOUNT', accountId: ledgerAccountId, direction: onAccount, minor: magnitude, currency },
    { role: target, accountId: contra, direction: onAccount === 'CREDIT' ? 'DEBIT' : 'CREDIT', minor: magnitude, currency },
  ];
  const narrative = `${target === 'WRITE_OFF' ? 'WRITE-OFF' : 'BANK ERROR TO SUSPENSE'} ${adjustmentId}`;
  const { sequenceId, legs } = legsOf(adjustmentId, specs, dateOf(approval.proposedAt, `case ${adjusted.caseId}: the proposal time`), narrative);
  return { adjustmentId, caseId: adjusted.caseId, target, sequenceId, legs, record: adjustmentRecord(legs) };
}

/** The reversal of a booked adjustment: its legs with debit and credit swapped, valued on `at`'s date. */
export function buildReversal(original: Pick<Adjustment, 'adjustmentId' | 'caseId' | 'target' | 'legs'>, at: string): Adjustment {
  const adjustmentId = reversalIdFor(original.adjustmentId);
  const specs: LegSpec[] = [...original.legs]
    .sort((a, b) => a.legIndex - b.legIndex)
    .map((leg) => ({
      role: (adjustmentLegCode(leg.legType) ? leg.legType : 'ADJUSTED_ACCOUNT') as AdjustmentLegType,
      accountId: leg.accountId,
      direction: leg.direction === 'DEBIT' ? 'CREDIT' : 'DEBIT',
      minor: exactMinor(leg.amount.value, leg.amount.currency, `adjustment ${original.adjustmentId}`),
      currency: leg.amount.currency,
    }));
  const { sequenceId, legs } = legsOf(adjustmentId, specs, dateOf(at, `reversal of ${original.adjustmentId}: the time`), `REVERSAL OF ${original.adjustmentId}`);
  return { adjustmentId, caseId: original.caseId, target: original.target, reverses: original.adjustmentId, sequenceId, legs, record: adjustmentRecord(legs) };
}

/** What the case keeps of a booked adjustment (its history names it; a reopen reverses it). */
export interface AdjustmentRef {
  adjustmentId: string;
  target: AdjustmentTarget;
  sequenceId: string;
  recordId: string;
  accountId: string;
  contraAccountId: string;
  currency: string;
  /** Signed: what the adjusted account moved by (credit +). */
  amount: string;
  /** The proposal it books (its id's source). */
  proposedBy: string;
  proposedAt: string;
  proposalVersion?: number;
}

export function adjustmentRef(adjustment: Adjustment, approval: AdjustmentApproval): AdjustmentRef {
  const [onAccount, contra] = adjustment.legs;
  const signed = onAccount!.direction === 'CREDIT' ? onAccount!.amount.value : `-${onAccount!.amount.value}`;
  return {
    adjustmentId: adjustment.adjustmentId,
    target: adjustment.target,
    sequenceId: adjustment.sequenceId,
    recordId: adjustment.record.recordId,
    accountId: onAccount!.accountId,
    contraAccountId: contra!.accountId,
    currency: onAccount!.amount.currency,
    amount: signed,
    proposedBy: approval.proposedBy,
    proposedAt: approval.proposedAt,
    ...(approval.proposalVersion !== undefined ? { proposalVersion: approval.proposalVersion } : {}),
  };
}

/** Rebuilds the legs of a booked adjustment from what the case kept (to reverse it). */
export function adjustmentFromRef(caseId: string, ref: AdjustmentRef): Adjustment {
  const minor = exactMinor(ref.amount, ref.currency, `adjustment ${ref.adjustmentId}`);
  const magnitude = minor < 0n ? -minor : minor;
  const onAccount: 'DEBIT' | 'CREDIT' = minor > 0n ? 'CREDIT' : 'DEBIT';
  const specs: LegSpec[] = [
    { role: 'ADJUSTED_ACCOUNT', accountId: ref.accountId, direction: onAccount, minor: magnitude, currency: ref.currency },
    { role: ref.target, accountId: ref.contraAccountId, direction: onAccount === 'CREDIT' ? 'DEBIT' : 'CREDIT', minor: magnitude, currency: ref.currency },
  ];
  const narrative = `${ref.target === 'WRITE_OFF' ? 'WRITE-OFF' : 'BANK ERROR TO SUSPENSE'} ${ref.adjustmentId}`;
  const { sequenceId, legs } = legsOf(ref.adjustmentId, specs, dateOf(ref.proposedAt, `adjustment ${ref.adjustmentId}: the proposal time`), narrative);
  return { adjustmentId: ref.adjustmentId, caseId, target: ref.target, sequenceId, legs, record: adjustmentRecord(legs) };
}
