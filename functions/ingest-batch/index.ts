/**
 * AWS Lambda entry point of ingest-batch (MODE-2): the EventBridge rule on the ingest bucket's
 * batch prefix invokes it with each "Object Created" event. It runs the fused hot path, wired
 * exactly as `hot-path` is (the same stages over the same AWS adapters, src/adapters/aws/wiring.ts),
 * records each file in the S3 registry (./s3-registry.ts) and each ingestion in the flow journal
 * (FLOW-1). Logic: ./ingest-batch.ts; contract: ./config.ts.
 */
import { createIngestBatchHandler } from './ingest-batch';
import { INGEST_BATCH_FUNCTION, readIngestBatchConfig } from './config';
import { S3FileRegistry } from './s3-registry';
import { fusedStages } from '../hot-path/stages';
import { FUSED_CONSUMER } from '../../src/routes';
import { readBytes } from '../../src/adapters/aws/recon-s3';
import { awsContext, flowJournal } from '../../src/adapters/aws/wiring';
import { requireSetting } from '../../src/adapters/aws/runtime-config';

const config = readIngestBatchConfig();
const context = awsContext(FUSED_CONSUMER, INGEST_BATCH_FUNCTION);

export const handler = createIngestBatchHandler({
  source: config.source,
  readObject: (bucket, key) => readBytes(context.s3, { bucket, key }),
  registry: new S3FileRegistry({ client: context.s3, bucket: requireSetting(context.config.ingestBucket, 'INGEST_BUCKET'), prefix: config.registryPrefix }),
  stages: fusedStages(context),
  journal: flowJournal(context),
  publisher: context.publisher,
  clock: context.clock,
  logger: context.logger,
});
