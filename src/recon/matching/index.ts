/**
 * The reconciliation matching engine: one matcher implementation, used embedded (`matchAll`)
 * and at scale (a Lambda per partition calling `matchPartition` on a deserialised partition).
 */
export { matchPartition, matchIdFor, asOfDayNumber, type PartitionInput } from './engine';
export { partitionKey, parsePartitionKey, partitionInputs, mergeResults, matchAll, serialisePartition, deserialisePartition } from './partition';
export {
  compileRuleSet,
  defaultRuleSet,
  parseRuleSet,
  validateRuleSet,
  RuleSetError,
  MAX_AMOUNT_GROUP_SIZE,
  type RuleSet,
  type MatchingRule,
  type ExactReferenceRule,
  type AmountDateRule,
  type ToleranceRule,
  type GroupRule,
  type ToleranceConfig,
  type ReferenceField,
  type DateField,
  type CompiledRuleSet,
} from './rules';
export { MatchInputError, normaliseReference, dayNumber } from './rows';
export { generateLabelledSet, prng, DEFAULT_MIX, type LabelledSet, type TruthMatch, type TruthException, type TruthKind, type Scenario, type GenerateOptions } from './generate';
export { evaluate, assertEachRowOnce, type Evaluation, type RuleScore } from './evaluate';
export { caseGroupKey } from './case-groups';
