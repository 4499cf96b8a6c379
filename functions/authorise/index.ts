/**
 * AWS Lambda entry point of authorise (MODE-4: the payments API's synchronous call). It runs the
 * fused hot path, so it is wired exactly as `hot-path` is (functions/hot-path/index.ts): the same
 * stages over the same AWS adapters (src/adapters/aws/wiring.ts) and the same configuration
 * contract; each authorisation is recorded in the flow journal first (FLOW-1), and its answer claimed
 * there once it settles (MODE-4). Logic: ./authorise.ts.
 */
import { createAuthoriseHandler } from './authorise';
import { fusedStages } from '../hot-path/stages';
import { FUSED_CONSUMER } from '../../src/routes';
import { awsContext, flowJournal } from '../../src/adapters/aws/wiring';

// The hot path's configuration (tables, bus, outbox bucket): authorise needs exactly what hot-path reads.
const context = awsContext(FUSED_CONSUMER, 'authorise');
const journal = flowJournal(context);

export const handler = createAuthoriseHandler({
  stages: fusedStages(context),
  journal,
  answers: journal,
  publisher: context.publisher,
  clock: context.clock,
  logger: context.logger,
});
