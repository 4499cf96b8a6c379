/**
 * The flow auditor's alarm (FLOW-3): "stuck and not repaired". The scheduled function
 * (functions/flow-auditor/) publishes FlowStuckUnrepaired after each audit; the alarm fires when
 * it is above 0, and its runbook page is docs/runbooks/flow-stuck-payments.md (OPS-2).
 *
 * The definition is plain data for the observability stack's `alarm(id, props)` helper, so the
 * alarm takes the stack's topic, actions and missing-data treatment like every other one:
 *
 *   const flow = flowStuckAlarm(config.name);
 *   alarm(flow.id, flow);
 */
import { FLOW_METRICS, FLOW_METRICS_NAMESPACE } from '../../functions/flow-auditor/metrics';

export const FLOW_STUCK_ALARM_ID = 'flow-stuck-unrepaired';
export const FLOW_STUCK_RUNBOOK = 'flow-stuck-payments' as const;

export interface FlowStuckAlarm {
  id: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: string;
  period: number;
  threshold: number;
  evaluationPeriods: number;
  runbook: typeof FLOW_STUCK_RUNBOOK;
}

/**
 * One alarm per environment: the largest count of stuck-and-unrepaired payments an audit reported
 * in the period, above 0. `periodSeconds` should cover one schedule interval of the auditor, so a
 * period never falls between two audits.
 */
export function flowStuckAlarm(environment: string, periodSeconds = 900): FlowStuckAlarm {
  if (!Number.isSafeInteger(periodSeconds) || periodSeconds < 60 || periodSeconds % 60 !== 0) {
    throw new RangeError(`flow-stuck alarm period ${periodSeconds} s must be a whole number of minutes (CloudWatch periods above 60 s are multiples of 60)`);
  }
  return {
    id: FLOW_STUCK_ALARM_ID,
    description: 'Payments stuck in the posting flow that the flow auditor could not repair (FLOW-3)',
    namespace: FLOW_METRICS_NAMESPACE,
    metricName: FLOW_METRICS.stuckUnrepaired.metricName,
    dimensions: { Environment: environment },
    statistic: 'Maximum',
    period: periodSeconds,
    threshold: 0,
    evaluationPeriods: 1,
    runbook: FLOW_STUCK_RUNBOOK,
  };
}
