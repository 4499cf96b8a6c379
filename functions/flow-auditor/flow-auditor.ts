/**
 * flow-auditor: runs on a schedule (EventBridge Scheduler; the rate from configuration) and audits
 * the flow of the last window (FLOW-1, FLOW-2), repairs what is stuck when configured to (FLOW-3),
 * and publishes the figures as CloudWatch EMF metrics (./metrics.ts). The alarm on
 * FlowStuckUnrepaired (stacks/lib/flow-auditor.ts) is what "could not be repaired" raises.
 * Logic: src/use-cases/audit-flow/audit-flow.ts over the FlowFactsReader / FlowRepairer ports.
 */
import middy from '@middy/core';
import type { Clock } from '../../src/ports';
import type { FlowFactsReader, FlowRepairer } from '../../src/ports/flow';
import type { Logger } from '../../src/lambda/logger';
import { silentLogger } from '../../src/lambda/logger';
import { runAuditFlow } from '../../src/use-cases/audit-flow/audit-flow';
import type { FlowMetricKey } from './metrics';
import { FLOW_METRICS, FLOW_METRICS_NAMESPACE } from './metrics';

export interface FlowAuditorConfig {
  /** In flight longer than this is stuck. */
  stuckAfterMs: number;
  /** The window audited: payments ingested in [now - windowMs, now). */
  windowMs: number;
  /** Re-emit what is stuck (otherwise only report it). */
  repair: boolean;
  /** The EMF dimension value. */
  environment: string;
}

export interface FlowAuditorDeps {
  facts: FlowFactsReader;
  repairer?: FlowRepairer;
  clock: Clock;
  config: FlowAuditorConfig;
  logger?: Logger;
  /** Where the EMF line goes (stdout on Lambda: CloudWatch Logs turns it into metrics). */
  emit: (line: string) => void;
}

export type FlowAuditorFigures = Record<FlowMetricKey, number>;

/** One CloudWatch embedded-metric-format line carrying every flow figure. */
export function flowMetricsLine(figures: FlowAuditorFigures, at: Date, environment: string): string {
  const keys = Object.keys(FLOW_METRICS) as FlowMetricKey[];
  return JSON.stringify({
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [{ Namespace: FLOW_METRICS_NAMESPACE, Dimensions: [['Environment']], Metrics: keys.map((key) => ({ Name: FLOW_METRICS[key].metricName, Unit: FLOW_METRICS[key].unit })) }],
    },
    Environment: environment,
    ...Object.fromEntries(keys.map((key) => [FLOW_METRICS[key].metricName, figures[key]])),
  });
}

export function createFlowAuditorHandler(deps: FlowAuditorDeps): middy.MiddyfiedHandler<unknown, FlowAuditorFigures> {
  const logger = deps.logger ?? silentLogger;
  const { config } = deps;
  if (!Number.isSafeInteger(config.windowMs) || config.windowMs <= 0) throw new RangeError(`flow-auditor: window ${config.windowMs} ms must be a positive whole number`);
  return middy<unknown, FlowAuditorFigures>().handler(async function auditTheFlow() {
    const now = deps.clock.now();
    const result = await runAuditFlow(
      { facts: deps.facts, repairer: deps.repairer, clock: deps.clock },
      // The re-emitted events reach the hot path through its queue, after this invocation's second read.
      {
        window: { from: new Date(now.getTime() - config.windowMs), to: now },
        stuckAfterMs: config.stuckAfterMs,
        repair: config.repair,
        reemittedInFlight: true,
        onProgress: (message) => logger.info(message),
      },
    );
    const final = result.repair?.after ?? result.audit;
    const figures: FlowAuditorFigures = {
      stuck: result.audit.stuck.length,
      stuckUnrepaired: result.unrepaired,
      repaired: result.repair?.reemitted ?? 0,
      unbalanced: final.equations.filter((equation) => !equation.holds).length + final.orphans.length,
      inFlight: final.inFlight,
      ingested: final.boundaries.ingested.count,
    };
    deps.emit(flowMetricsLine(figures, now, config.environment));
    for (const payment of final.stuck.slice(0, 100))
      logger.warn('payment stuck and not repaired', {
        authorizationId: payment.authorizationId,
        transactionId: payment.transactionId,
        stoppedAt: payment.stoppedAt,
        missing: payment.missing,
        since: payment.since,
      });
    for (const failed of result.repair?.unrepairable ?? []) logger.error('stuck payment could not be rebuilt', { authorizationId: failed.authorizationId, reason: failed.reason });
    logger.info('flow audit finished', { ...figures });
    return figures;
  });
}
