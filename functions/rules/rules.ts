/**
 * rules: consumes `payment.enriched`, emits `payment.rules-decided` (the enriched data plus
 * the decision). Domain: src/domain/rules.ts; rule set: config/rules/card-posting.v1.json.
 *
 * Idempotent: the first decision for a transaction is stored, and a re-delivery re-emits it
 * (same event id, no second velocity count).
 */
import type { LedgerEvent, RulesDecision } from '../../src/domain/events';
import { EventTypes, nextEvent } from '../../src/domain/events';
import type { CompiledRuleSet } from '../../src/domain/rules';
import { buildFacts, evaluateRules } from '../../src/domain/rules';
import type { Clock, DecisionStore, EventPublisher, ReferenceData, TransactionStateStore, VelocityStore } from '../../src/ports';
import { markCompleted } from '../../src/domain/transaction-state';
import { createSqsConsumer, type SqsHandler } from '../../src/lambda/sqs-consumer';
import { publishPerEvent } from '../../src/lambda/publish';
import type { Logger } from '../../src/lambda/logger';

export const RULES_SOURCE = 'ledgerline.rules';

/** Default velocity window: payments per card in the last hour (by transmission time). */
export const DEFAULT_VELOCITY_WINDOW_MS = 60 * 60 * 1000;

export interface RulesDeps {
  ruleSet: CompiledRuleSet;
  referenceData: ReferenceData;
  velocity: VelocityStore;
  decisions: DecisionStore;
  publisher: EventPublisher;
  clock: Clock;
  velocityWindowMs?: number;
  /** When given, a decline or review ends the transaction's posting flow (COMPLETED). */
  transactions?: TransactionStateStore;
  logger?: Logger;
}

/** A product the enriched account names is not in reference data: the record fails (never a silent approve). */
export class UnknownProductError extends Error {
  override name = 'UnknownProductError';
}

export function createRulesHandler(deps: RulesDeps): SqsHandler {
  const windowMs = deps.velocityWindowMs ?? DEFAULT_VELOCITY_WINDOW_MS;
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) throw new RangeError(`velocity window ${windowMs} ms must be a positive integer`);

  async function decide(event: LedgerEvent<'payment.enriched'>): Promise<RulesDecision> {
    const { data, correlationId } = event;
    const previous = await deps.decisions.get(correlationId);
    if (previous) return previous;

    const productType = data.enrichment.account.productType;
    const product = await deps.referenceData.product(productType);
    if (!product) {
      throw new UnknownProductError(`product "${productType}" of account ${data.enrichment.account.accountId} is not in reference data ${deps.referenceData.version}`);
    }
    const at = Date.parse(data.authorisation.transmittedAt);
    if (Number.isNaN(at)) throw new RangeError(`transmittedAt "${data.authorisation.transmittedAt}" is not a timestamp`);
    const velocityCount = await deps.velocity.record(data.authorisation.panToken, correlationId, at, windowMs);
    const decision = evaluateRules(deps.ruleSet, buildFacts(data, product, velocityCount));
    return deps.decisions.putIfAbsent(correlationId, decision);
  }

  return createSqsConsumer({
    name: 'rules',
    accepts: [EventTypes.enriched],
    logger: deps.logger,
    processBatch: (events) =>
      publishPerEvent(deps.publisher, events, async function applyRules(event) {
        const decision = await decide(event);
        deps.logger?.debug('rules decided', {
          correlationId: event.correlationId,
          outcome: decision.outcome,
          firedRules: decision.firedRules,
          ruleSetVersion: decision.ruleSetVersion,
        });
        if (decision.outcome !== 'approve' && deps.transactions) {
          await markCompleted(deps.transactions, event.correlationId, event.data.authorisation.authorizationId, deps.clock.now());
        }
        return [nextEvent(event, EventTypes.rulesDecided, RULES_SOURCE, { ...event.data, decision }, deps.clock.now().toISOString())];
      }),
  });
}
