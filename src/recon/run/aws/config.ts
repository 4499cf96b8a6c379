/**
 * Environment contract of the reconciliation Lambdas (REC-2). Most of their configuration
 * travels in the state machine input (buckets from the ASL placeholders, the run configuration
 * from Parameter Store); the environment holds only what the workflow cannot pass.
 *
 *   reconcile-trigger    RECONCILIATION_STATE_MACHINE_ARN (required)
 *   reconcile-normalise  QUARANTINE_PREFIX (default "quarantine/"), REGISTRY_PREFIX (default "results/registry/");
 *                        LEDGER_TABLE (the posting ledger, for a run configured with `ledger: {journal: true}`)
 *   reconcile-match      (none)
 *   reconcile-summarise  (none)
 *   reconcile-cases      WORKBENCH_TABLE (required): the DynamoDB workbench table the run's cases are imported into;
 *                        EVENT_BUS_NAME (required): the bus the committed run is announced on (NOTIFY-1, reconciliation.completed)
 */
export type ReconFunctionName = 'reconcile-trigger' | 'reconcile-normalise' | 'reconcile-match' | 'reconcile-summarise' | 'reconcile-cases';

export const RECON_FUNCTION_ENVIRONMENT: Readonly<Record<ReconFunctionName, { required: readonly string[]; optional: readonly string[] }>> = Object.freeze({
  'reconcile-trigger': { required: ['RECONCILIATION_STATE_MACHINE_ARN'], optional: [] },
  'reconcile-normalise': { required: [], optional: ['QUARANTINE_PREFIX', 'REGISTRY_PREFIX', 'LEDGER_TABLE'] },
  'reconcile-match': { required: [], optional: [] },
  'reconcile-summarise': { required: [], optional: [] },
  'reconcile-cases': { required: ['WORKBENCH_TABLE', 'EVENT_BUS_NAME'], optional: [] },
});

export interface ReconFunctionConfig {
  stateMachineArn?: string;
  quarantinePrefix: string;
  registryPrefix: string;
  /** reconcile-cases only. */
  workbenchTableName?: string;
  /** reconcile-normalise: the posting ledger table (LEDGER_TABLE), when runs reconcile against the journal. */
  ledgerTableName?: string;
  /** reconcile-cases: the event bus committed runs are announced on (NOTIFY-1). */
  eventBusName?: string;
}

function withSlash(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Reads and checks the function's variables once (cold start); names every missing one. */
export function readReconFunctionConfig(name: ReconFunctionName, env: Readonly<Record<string, string | undefined>> = process.env): ReconFunctionConfig {
  const value = (variable: string): string | undefined => (env[variable]?.trim() ? env[variable]!.trim() : undefined);
  const missing = RECON_FUNCTION_ENVIRONMENT[name].required.filter((variable) => value(variable) === undefined);
  if (missing.length > 0) throw new Error(`function ${name}: missing environment variables: ${missing.join(', ')}`);
  const arn = value('RECONCILIATION_STATE_MACHINE_ARN');
  if (arn !== undefined && !/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/.test(arn)) {
    throw new Error(`function ${name}: invalid environment variables: RECONCILIATION_STATE_MACHINE_ARN is not a state machine ARN`);
  }
  return {
    stateMachineArn: arn,
    quarantinePrefix: withSlash(value('QUARANTINE_PREFIX') ?? 'quarantine/'),
    registryPrefix: withSlash(value('REGISTRY_PREFIX') ?? 'results/registry/'),
    workbenchTableName: value('WORKBENCH_TABLE'),
    ledgerTableName: value('LEDGER_TABLE'),
    eventBusName: value('EVENT_BUS_NAME'),
  };
}
