/** AWS Lambda entry point of rules (staged topology: SQS ← rule enriched-to-rules). Logic: ./rules.ts; rule set bundled from config/rules. */
import { createRulesHandler } from './rules';
import { compileRuleSet } from '../../src/domain/rules';
import ruleSetDocument from '../../config/rules/card-posting.v1.json';
import { awsContext, parkExhausted, rulesAdapters } from '../../src/adapters/aws/wiring';

const context = awsContext('rules');

export const handler = createRulesHandler({ ruleSet: compileRuleSet(ruleSetDocument), ...rulesAdapters(context), publisher: context.publisher }).use(parkExhausted(context, 'rules'));
