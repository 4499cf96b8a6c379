/**
 * rules: consumes `payment.enriched` (edge enriched-to-rules), emits `payment.rules-decided` (the
 * enriched data plus the decision). Domain: src/domain/rules.ts; rule set:
 * config/rules (v2 on AWS: src/adapters/aws/wiring.ts). The product comes with the enriched payment (POST-3).
 *
 * Idempotent: the first decision for a transaction is stored, and a re-delivery re-emits it
 * (same event id, no second velocity count).
 */
import type { LedgerEvent, RulesDecision } from '../../src/domain/events';
import { EventTypes, nextEvent } from '../../src/domain/events';
import type { CompiledRuleSet } from '../../src/domain/rules';
import { buildFacts, evaluateRules, fraudReasons } from '../../src/domain/rules';
import { computeFraudFeatures, DEFAULT_FRAUD_WINDOWS, neutralFraudFeatures, type FraudFeatures, type FraudWindows } from '../../src/domain/fraud';
import type { CardHistoryStore, FraudModel } from '../../src/ports/fraud';
import { toMinorUnits } from '../../src/domain/money';
import type { Clock, DecisionStore, EventPublisher, TransactionStateStore, VelocityStore } from '../../src/ports';
import { completeIfTracked } from '../../src/domain/transaction-state';
import type { SqsHandler } from '../../src/lambda/sqs-consumer';
import { stageHandler, type Stage } from '../../src/lambda/stage';
import { inLaneOrder, velocityLanes } from '../../src/domain/order-lanes';
import type { Logger } from '../../src/lambda/logger';

export const RULES_SOURCE = 'ledgerline.rules';

/** Default velocity window: payments per card in the last hour (by transmission time). */
export const DEFAULT_VELOCITY_WINDOW_MS = 60 * 60 * 1000;

export interface RulesDeps {
  ruleSet: CompiledRuleSet;
  velocity: VelocityStore;
  decisions: DecisionStore;
  clock: Clock;
  velocityWindowMs?: number;
  /** When given, a decline or review ends a tracked (re-driven) transaction as COMPLETED. */
  transactions?: TransactionStateStore;
  logger?: Logger;
  /** FRAUD-1: when given, the rules see the card's and the merchant's fraud features; else neutral ones. */
  fraud?: FraudDeps;
}

export interface FraudDeps {
  history: CardHistoryStore;
  /** Merchant id to risk score 0..100 (reference data). */
  merchantRisk: ReadonlyMap<string, number>;
  windows?: FraudWindows;
  /** Optional model endpoint; its score is fraud.modelScorePermille (-1 without one). */
  model?: FraudModel;
}

export function createRulesStage(deps: RulesDeps): Stage<'payment.enriched'> {
  const windowMs = deps.velocityWindowMs ?? DEFAULT_VELOCITY_WINDOW_MS;
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) throw new RangeError(`velocity window ${windowMs} ms must be a positive integer`);

  async function decide(event: LedgerEvent<'payment.enriched'>): Promise<RulesDecision> {
    const { data, correlationId } = event;
    const previous = await deps.decisions.get(correlationId);
    if (previous) return previous;
    const at = Date.parse(data.authorisation.transmittedAt);
    if (Number.isNaN(at)) throw new RangeError(`transmittedAt "${data.authorisation.transmittedAt}" is not a timestamp`);
    const velocityCount = await deps.velocity.record(data.authorisation.panToken, correlationId, at, windowMs);
    const features = deps.fraud ? await fraudFeatures(deps.fraud, event, at) : neutralFraudFeatures();
    const facts = buildFacts(data, velocityCount, features);
    const evaluated = evaluateRules(deps.ruleSet, facts);
    const reasons = fraudReasons(deps.ruleSet, evaluated, facts);
    // FRAUD-1: a hold names the feature and its value (features only: no card number, PCI-3),
    // carried on the decision so the payment's status and its review notification show it.
    const decision: RulesDecision = reasons.length > 0 ? { ...evaluated, reasons } : evaluated;
    if (reasons.length > 0) deps.logger?.info('rules fraud reasons', { correlationId, reasons });
    return deps.decisions.putIfAbsent(correlationId, decision);
  }

  return {
    name: 'rules',
    accepts: [EventTypes.enriched],
    // CHAOS-1: in card order: after a payment fails, later payments of its card in the batch are
    // held and retried after it, so velocity never counts a card's payments out of order.
    run: inLaneOrder(velocityLanes, async function applyRules(event: LedgerEvent<'payment.enriched'>): Promise<readonly LedgerEvent[]> {
      const decision = await decide(event);
      deps.logger?.debug('rules decided', {
        correlationId: event.correlationId,
        outcome: decision.outcome,
        firedRules: decision.firedRules,
        ruleSetVersion: decision.ruleSetVersion,
      });
      if (decision.outcome !== 'approve' && deps.transactions) await completeIfTracked(deps.transactions, event.correlationId, deps.clock.now());
      return [nextEvent(event, EventTypes.rulesDecided, RULES_SOURCE, { ...event.data, decision }, deps.clock.now().toISOString())];
    }),
  };
}

/**
 * FRAUD-1: the features from the card's history as of the payment's event time. The history
 * insert is idempotent and only earlier payments (event time, then id) count, so a retry or
 * a re-delivery computes the same features (CHAOS-1).
 */
async function fraudFeatures(fraud: FraudDeps, event: LedgerEvent<'payment.enriched'>, at: number): Promise<FraudFeatures> {
  const { enrichment, authorisation } = event.data;
  const windows = fraud.windows ?? DEFAULT_FRAUD_WINDOWS;
  const payment = {
    transactionId: event.correlationId,
    atEpochMs: at,
    amountMinor: toMinorUnits(enrichment.accountAmount.value, enrichment.accountAmount.currency),
    merchantCountry: enrichment.merchant.country,
    merchantId: enrichment.merchant.id,
  };
  const windowMs = Math.max(windows.baselineWindowMs, windows.hopWindowMs);
  const history = await fraud.history.recordAndRead(authorisation.panToken, payment, windowMs);
  const features = computeFraudFeatures(payment, history, windows, fraud.merchantRisk);
  if (!fraud.model) return features;
  const { modelScorePermille: _none, ...modelFeatures } = features;
  const score = await fraud.model.score({
    transactionId: payment.transactionId,
    amountMinor: payment.amountMinor,
    currency: enrichment.accountAmount.currency,
    mcc: enrichment.merchant.mcc,
    merchantCountry: payment.merchantCountry,
    features: modelFeatures,
  });
  return computeFraudFeatures(payment, history, windows, fraud.merchantRisk, score);
}

export function createRulesHandler(deps: RulesDeps & { publisher: EventPublisher }): SqsHandler {
  return stageHandler(createRulesStage(deps), deps.publisher, deps.logger);
}
