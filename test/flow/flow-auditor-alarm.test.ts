/** The flow auditor's alarm definition (FLOW-3, OPS-2): the metric the function emits, its runbook page. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowMetricsLine } from '../../functions/flow-auditor/flow-auditor';
import { FLOW_STUCK_ALARM_ID, flowStuckAlarm } from '../../stacks/lib/flow-auditor';

describe('flow-stuck alarm', () => {
  it('watches the metric the function emits, with the function’s dimensions', () => {
    const alarm = flowStuckAlarm('prod');
    const line = JSON.parse(flowMetricsLine({ stuck: 3, stuckUnrepaired: 2, repaired: 1, unbalanced: 0, inFlight: 0, ingested: 9 }, new Date(0), 'prod'));
    const directive = line._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe(alarm.namespace);
    expect(directive.Metrics.map((m: { Name: string }) => m.Name)).toContain(alarm.metricName);
    expect(directive.Dimensions).toEqual([Object.keys(alarm.dimensions)]);
    expect(line[alarm.metricName]).toBe(2);
    expect(line.Environment).toBe(alarm.dimensions.Environment);
    expect(alarm.threshold).toBe(0);
  });

  it('links a runbook page that names the alarm and says what it means, what to look at, what to run', () => {
    const alarm = flowStuckAlarm('dev');
    const page = join(__dirname, '..', '..', 'docs', 'runbooks', `${alarm.runbook}.md`);
    expect(existsSync(page)).toBe(true);
    const text = readFileSync(page, 'utf8');
    expect([...text.matchAll(/^## (.+)$/gm)].map((m) => m[1])).toEqual(['What it means', 'What to look at', 'What to run']);
    expect(text).toContain(`\`<env>-${FLOW_STUCK_ALARM_ID}\``);
  });

  it('refuses a period CloudWatch would not take', () => {
    for (const bad of [0, 30, 61, 90.5, Number.NaN]) expect(() => flowStuckAlarm('dev', bad)).toThrow(/period .* whole number of minutes/);
    expect(flowStuckAlarm('dev', 3600).period).toBe(3600);
  });
});
