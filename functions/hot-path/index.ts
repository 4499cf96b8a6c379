/**
 * AWS Lambda entry point of hot-path (fused topology, FUSE-1: SQS ← the Pipe's authorisations and
 * the rule payments-to-hot-path's re-driven events). Each of the six stages gets the adapters its
 * own function would (src/adapters/aws/wiring.ts); only outward events are put on the bus
 * (FUSE-2). Logic: ./hot-path.ts, src/use-cases/hot-path/run-hot-path.ts.
 */
import { createHotPathHandler } from './hot-path';
import { createDedupStage } from '../dedup/dedup';
import { createStandardiseStage } from '../standardise/standardise';
import { createEnrichStage } from '../enrich/enrich';
import { createRulesStage } from '../rules/rules';
import { createPostingStage } from '../posting/posting';
import { createAssemblerStage } from '../assembler/assembler';
import { compileRuleSet } from '../../src/domain/rules';
import ruleSetDocument from '../../config/rules/card-posting.v1.json';
import { FUSED_CONSUMER } from '../../src/routes';
import { assemblerAdapters, awsContext, dedupAdapters, enrichAdapters, parkExhausted, postingAdapters, rulesAdapters, standardiseAdapters } from '../../src/adapters/aws/wiring';

const context = awsContext(FUSED_CONSUMER);

export const handler = createHotPathHandler({
  stages: {
    dedup: createDedupStage(dedupAdapters(context)),
    standardise: createStandardiseStage(standardiseAdapters(context)),
    enrich: createEnrichStage(enrichAdapters(context)),
    rules: createRulesStage({ ruleSet: compileRuleSet(ruleSetDocument), ...rulesAdapters(context) }),
    posting: createPostingStage(postingAdapters(context)),
    assembler: createAssemblerStage(assemblerAdapters(context)),
  },
  publisher: context.publisher,
  logger: context.logger,
}).use(parkExhausted(context, FUSED_CONSUMER));
