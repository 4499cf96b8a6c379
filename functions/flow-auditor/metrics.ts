/**
 * The flow auditor's CloudWatch metrics (FLOW-3), defined once: the function emits them (EMF) and
 * the alarm (stacks/lib/flow-auditor.ts) watches FLOW_STUCK_UNREPAIRED. Namespace as in
 * src/lambda/metrics.ts.
 */
export const FLOW_METRICS_NAMESPACE = 'Ledgerline';

export const FLOW_METRICS = {
  /** Payments stuck when the audit ran (FLOW-2). */
  stuck: { metricName: 'FlowStuckPayments', unit: 'Count' },
  /** Stuck and not put right by the repair: the alarm's metric (FLOW-3). */
  stuckUnrepaired: { metricName: 'FlowStuckUnrepaired', unit: 'Count' },
  /** Events re-emitted by the repair. */
  repaired: { metricName: 'FlowRepairedPayments', unit: 'Count' },
  /** Balance equations that do not hold, plus orphan facts (FLOW-1). */
  unbalanced: { metricName: 'FlowUnbalanced', unit: 'Count' },
  /** Payments in flight, not yet past the threshold. */
  inFlight: { metricName: 'FlowInFlightPayments', unit: 'Count' },
  /** Payments ingested in the audited window. */
  ingested: { metricName: 'FlowIngestedPayments', unit: 'Count' },
} as const;

export type FlowMetricKey = keyof typeof FLOW_METRICS;
