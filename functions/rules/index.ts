/** AWS Lambda entry point of rules (staged topology: SQS ← rule enriched-to-rules). Logic: ./rules.ts; rule set and adapters: rulesAdapters (src/adapters/aws/wiring.ts). */
import { createRulesHandler } from './rules';
import { awsContext, parkExhausted, rulesAdapters } from '../../src/adapters/aws/wiring';

const context = awsContext('rules');

export const handler = createRulesHandler({ ...rulesAdapters(context), publisher: context.publisher }).use(parkExhausted(context, 'rules'));
