/**
 * AWS Lambda entry point of hot-path (fused topology, FUSE-1: SQS ← the Pipe's authorisations and
 * the rule payments-to-hot-path's re-driven events). Each of the six stages gets the adapters its
 * own function would (src/adapters/aws/wiring.ts); only outward events are put on the bus
 * (FUSE-2). Logic: ./hot-path.ts, src/use-cases/hot-path/run-hot-path.ts.
 */
import { createHotPathHandler } from './hot-path';
import { fusedStages } from './stages';
import { FUSED_CONSUMER } from '../../src/routes';
import { awsContext, parkExhausted } from '../../src/adapters/aws/wiring';

const context = awsContext(FUSED_CONSUMER);

export const handler = createHotPathHandler({
  stages: fusedStages(context),
  publisher: context.publisher,
  logger: context.logger,
}).use(parkExhausted(context, FUSED_CONSUMER));
