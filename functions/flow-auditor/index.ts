/**
 * AWS Lambda entry point of the flow auditor (EventBridge Scheduler, FLOW-1..3). Reads the stage
 * tables through the AWS flow facts (src/adapters/aws/flow-facts.ts), repairs onto the bus, and
 * writes its figures as EMF lines on stdout (CloudWatch turns them into the metrics the alarm
 * watches). Logic: ./flow-auditor.ts; contract: ./config.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { createFlowAuditorHandler } from './flow-auditor';
import { FLOW_AUDITOR_FUNCTION, readFlowAuditorConfig } from './config';
import { DynamoFlowFacts } from '../../src/adapters/aws/flow-facts';
import { EventBridgePublisher } from '../../src/adapters/aws/event-publisher';
import { systemClock } from '../../src/adapters/aws/wiring';
import { createLogger } from '../../src/lambda/logger';

const config = readFlowAuditorConfig();

const eventBus = new EventBridgePublisher({ client: new EventBridgeClient({}), busName: config.eventBusName });
// One object reads the facts and repairs: a repair rebuilds events from the ingestions the read found.
const flow = new DynamoFlowFacts({
  client: new DynamoDBClient({}),
  s3: new S3Client({}),
  transactionsTable: config.tables.transactions,
  rulesStateTable: config.tables.rulesState,
  authorisationsTable: config.tables.authorisations,
  dedupTable: config.tables.dedup,
  ledgerTable: config.tables.ledger,
  ingestBucket: config.ingestBucket,
  parkedPrefix: config.runtime.parkedPrefix,
  now: () => systemClock.now(),
  publisher: eventBus,
});

export const handler = createFlowAuditorHandler({
  facts: flow,
  repairer: flow,
  clock: systemClock,
  config: { stuckAfterMs: config.stuckAfterMs, windowMs: config.windowMs, repair: config.repair, environment: config.environment },
  logger: createLogger({ service: 'ledgerline', function: FLOW_AUDITOR_FUNCTION }),
  emit: (line) => process.stdout.write(`${line}\n`),
});
