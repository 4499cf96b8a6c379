/**
 * rules: consumes `payment.enriched` (edge enriched-to-rules), emits `payment.rules-decided` (the
 * enriched data plus the decision). Domain: src/domain/rules.ts; rule set:
 * config/rules/card-posting.v1.json. The product comes with the enriched payment (POST-3).
 *
 * Idempotent: the first decision for a transaction is stored, and a re-delivery re-emits it
 * (same event id, no second velocity count).
 */
import type { LedgerEvent, RulesDecision } from '../../src/domain/events';
import { EventTypes, nextEvent } from '../../src/domain/events';
import type { CompiledRuleSet } from '../../src/domain/rules';
import { buildFacts, evaluateRules } from '../../src/domain/rules';
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
    const decision = evaluateRules(deps.ruleSet, buildFacts(data, velocityCount));
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

export function createRulesHandler(deps: RulesDeps & { publisher: EventPublisher }): SqsHandler {
  return stageHandler(createRulesStage(deps), deps.publisher, deps.logger);
}
