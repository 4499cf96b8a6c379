/** The AWS adapters of the ports (SDK v3). Table definitions: tables.ts; environment: runtime-config.ts. */
export { DynamoDedupStore } from './dynamo-dedup-store';
export { DynamoTransactionStateStore } from './dynamo-transaction-state-store';
export { DynamoLedgerStore } from './dynamo-ledger-store';
export { DynamoVelocityStore, DynamoDecisionStore } from './dynamo-rules-state';
export { DynamoReferenceData, referenceItem, referenceVersionItem } from './dynamo-reference-data';
export { EventBridgePublisher } from './event-publisher';
export { S3ParkedDuplicateStore, S3PostingOutbox } from './s3-stores';
export { StepFunctionsRedriver, SqsQueueRedriver, executionNameFor } from './redrivers';
export { isTransientAwsError, toStoreError } from './errors';
export * from './tables';
export * from './runtime-config';
export { DynamoFlowJournal, DynamoFlowFacts, parkedEventId } from './flow-facts';
