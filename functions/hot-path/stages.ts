/**
 * The fused hot path's six stages over the AWS adapters (FUSE-1), as the `hot-path`, `authorise`
 * (MODE-4) and `ingest-batch` (MODE-2) functions all run them: one definition, so the three modes
 * post with the same stages, rule set and adapters (MODE-5).
 */
import { createDedupStage } from '../dedup/dedup';
import { createStandardiseStage } from '../standardise/standardise';
import { createEnrichStage } from '../enrich/enrich';
import { createRulesStage } from '../rules/rules';
import { createPostingStage } from '../posting/posting';
import { createAssemblerStage } from '../assembler/assembler';
import type { HotPathStages } from '../../src/use-cases/hot-path/run-hot-path';
import { assemblerAdapters, dedupAdapters, enrichAdapters, postingAdapters, rulesAdapters, standardiseAdapters, type AwsContext } from '../../src/adapters/aws/wiring';

export function fusedStages(context: AwsContext): HotPathStages {
  return {
    dedup: createDedupStage(dedupAdapters(context)),
    standardise: createStandardiseStage(standardiseAdapters(context)),
    enrich: createEnrichStage(enrichAdapters(context)),
    rules: createRulesStage(rulesAdapters(context)),
    posting: createPostingStage(postingAdapters(context)),
    assembler: createAssemblerStage(assemblerAdapters(context)),
  };
}
