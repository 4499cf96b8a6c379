/** AWS Lambda entry point of rules (SQS ← rule enriched-to-rules). Logic: ./rules.ts; rule set bundled from config/rules. */
import { createRulesHandler } from './rules';
import { compileRuleSet } from '../../src/domain/rules';
import ruleSetDocument from '../../config/rules/card-posting.v1.json';
import { awsContext, lazyReferenceData, parkExhausted } from '../../src/adapters/aws/wiring';
import { DynamoDecisionStore, DynamoVelocityStore } from '../../src/adapters/aws/dynamo-rules-state';

const context = awsContext('rules');
const rulesState = { client: context.dynamo, tableName: context.table('rulesState') };

export const handler = createRulesHandler({
  ruleSet: compileRuleSet(ruleSetDocument),
  referenceData: lazyReferenceData(context),
  velocity: new DynamoVelocityStore(rulesState),
  decisions: new DynamoDecisionStore(rulesState),
  transactions: context.transactions,
  publisher: context.publisher,
  clock: context.clock,
  logger: context.logger,
}).use(parkExhausted(context, 'rules'));
