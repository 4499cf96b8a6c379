/**
 * FR7: an approved payment becomes a balanced double-entry posting sequence.
 *
 * Domestic (account currency = transaction currency), 2 legs:
 *   1 DEBIT  customer account                 amount
 *   2 CREDIT merchant settlement account      amount
 * Cross-currency, 4 legs (+2 when there is a foreign-transaction fee):
 *   1 DEBIT  customer account                 converted amount   (account ccy)
 *   2 CREDIT FX position, account ccy         converted amount   (account ccy)
 *   3 DEBIT  FX position, transaction ccy     transaction amount (transaction ccy)
 *   4 CREDIT merchant settlement account      transaction amount (transaction ccy)
 *   5 DEBIT  customer account                 fee                (account ccy)
 *   6 CREDIT FX fee income, account ccy       fee                (account ccy)
 * Every sequence balances per currency: sum(debits) = sum(credits).
 */
import type { LegDirection, LegType, PostingLeg, RulesDecidedData } from './events';
import type { Money } from './money';
import { deterministicId, timeOfId, timeOrderedId } from './events';
import { minorOf } from './money';

export const fxPositionAccount = (currency: string): string => `FXPOS-${currency}`;
export const fxFeeIncomeAccount = (currency: string): string => `FXFEE-${currency}`;

/** Time-ordered like its transaction's id, so the legs table appends (see timeOrderedId). */
export function sequenceIdFor(correlationId: string): string {
  const at = timeOfId(correlationId);
  return at === undefined ? deterministicId('posting.sequence', correlationId) : timeOrderedId(at, 'posting.sequence', correlationId);
}

interface LegSpec {
  legType: LegType;
  accountId: string;
  direction: LegDirection;
  amount: Money;
}

export class PostingError extends Error {
  override name = 'PostingError';
}

export function buildPostingLegs(correlationId: string, data: RulesDecidedData): PostingLeg[] {
  if (data.decision.outcome !== 'approve') throw new PostingError(`payment ${data.authorisation.authorizationId} is not approved (${data.decision.outcome})`);
  const { authorisation, enrichment } = data;
  const customer = enrichment.account.accountId;
  const merchant = enrichment.merchant.settlementAccountId;
  const specs: LegSpec[] = [];
  const conversion = enrichment.conversion;
  if (!conversion) {
    if (enrichment.accountAmount.currency !== authorisation.amount.currency) {
      throw new PostingError(`payment ${authorisation.authorizationId}: currencies differ but no conversion was enriched`);
    }
    specs.push(
      { legType: 'CUSTOMER_DEBIT', accountId: customer, direction: 'DEBIT', amount: enrichment.accountAmount },
      { legType: 'MERCHANT_SETTLEMENT_CREDIT', accountId: merchant, direction: 'CREDIT', amount: authorisation.amount },
    );
  } else {
    const accountCcy = conversion.converted.currency;
    const txnCcy = conversion.source.currency;
    specs.push(
      { legType: 'CUSTOMER_DEBIT', accountId: customer, direction: 'DEBIT', amount: conversion.converted },
      { legType: 'FX_POSITION_CREDIT', accountId: fxPositionAccount(accountCcy), direction: 'CREDIT', amount: conversion.converted },
      { legType: 'FX_POSITION_DEBIT', accountId: fxPositionAccount(txnCcy), direction: 'DEBIT', amount: conversion.source },
      { legType: 'MERCHANT_SETTLEMENT_CREDIT', accountId: merchant, direction: 'CREDIT', amount: conversion.source },
    );
    if (minorOf(conversion.fee) > 0n) {
      specs.push(
        { legType: 'FX_FEE_DEBIT', accountId: customer, direction: 'DEBIT', amount: conversion.fee },
        { legType: 'FX_FEE_INCOME_CREDIT', accountId: fxFeeIncomeAccount(accountCcy), direction: 'CREDIT', amount: conversion.fee },
      );
    }
  }
  const sequenceId = sequenceIdFor(correlationId);
  const valueDate = authorisation.transmittedAt.slice(0, 10);
  const narrative = enrichment.description.slice(0, 140);
  const legs = specs.map((spec, index) => ({
    legId: `${sequenceId}:${index + 1}`,
    sequenceId,
    legIndex: index + 1,
    legCount: specs.length,
    legType: spec.legType,
    accountId: spec.accountId,
    direction: spec.direction,
    amount: spec.amount,
    valueDate,
    narrative,
    authorizationId: authorisation.authorizationId,
  }));
  assertBalanced(legs);
  return legs;
}

/** Signed minor units of a leg from the account's point of view: credit +, debit −. */
export function signedMinor(leg: Pick<PostingLeg, 'direction' | 'amount'>): bigint {
  const minor = minorOf(leg.amount);
  return leg.direction === 'CREDIT' ? minor : -minor;
}

/** Per currency, credits minus debits (signedMinor: a credit counts positive); empty when balanced. */
export function imbalance(legs: readonly Pick<PostingLeg, 'direction' | 'amount'>[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const leg of legs) totals.set(leg.amount.currency, (totals.get(leg.amount.currency) ?? 0n) + signedMinor(leg));
  for (const [currency, total] of totals) if (total === 0n) totals.delete(currency);
  return totals;
}

export function assertBalanced(legs: readonly PostingLeg[]): void {
  const off = imbalance(legs);
  if (off.size > 0) {
    const detail = [...off].map(([ccy, minor]) => `${ccy} ${minor}`).join(', ');
    throw new PostingError(`posting sequence ${legs[0]?.sequenceId ?? '?'} does not balance: ${detail}`);
  }
}
