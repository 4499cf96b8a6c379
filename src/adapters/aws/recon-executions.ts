/**
 * Starting a reconciliation workflow execution (Step Functions StartExecution), named
 * deterministically by the caller: a name already used answers 'already-started' (a repeated
 * notification of the same object version starts nothing new).
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { awsCall, errorName } from './errors';

export { SFNClient };

export type StartOutcome = { outcome: 'started'; executionArn?: string } | { outcome: 'already-started' };

export async function startExecution(sfn: SFNClient, stateMachineArn: string, name: string, input: unknown): Promise<StartOutcome> {
  try {
    const response = await awsCall('Step Functions StartExecution', () => sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })));
    return { outcome: 'started', executionArn: response.executionArn };
  } catch (error) {
    if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
    return { outcome: 'already-started' };
  }
}
