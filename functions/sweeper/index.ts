/** AWS Lambda entry point of the sweeper (EventBridge Scheduler). Logic: ./sweeper.ts, src/domain/sweeper.ts. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createSweeperHandler } from './sweeper';
import { DEFAULT_SWEEPER_CONFIG } from '../../src/domain/sweeper';
import { awsContext } from '../../src/adapters/aws/wiring';
import { SqsQueueRedriver, StepFunctionsRedriver } from '../../src/adapters/aws/redrivers';

const context = awsContext('sweeper');
const { redriveStateMachineArn, redriveQueueUrl } = context.config;

export const handler = createSweeperHandler({
  transactions: context.transactions,
  redriver: redriveStateMachineArn
    ? new StepFunctionsRedriver({ client: new SFNClient({}), stateMachineArn: redriveStateMachineArn })
    : new SqsQueueRedriver({ client: new SQSClient({}), queueUrl: redriveQueueUrl! }),
  publisher: context.publisher,
  clock: context.clock,
  config: DEFAULT_SWEEPER_CONFIG,
  logger: context.logger,
});
