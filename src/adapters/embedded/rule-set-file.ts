/**
 * Loads a rule-set file (config/rules/*.json) and compiles it. File I/O stays out of the
 * domain: `compileRuleSet` does the validation and CEL parsing.
 */
import { readFileSync } from 'node:fs';
import { compileRuleSet, RuleSetError, type CompiledRuleSet } from '../../domain/rules';
import { DEFAULT_RULE_SET_PATH } from '../../rule-sets';

/** The rule set the posting flow runs by default, embedded and on AWS (src/rule-sets.ts). */
export { DEFAULT_RULE_SET_PATH };

/** Reads, validates and compiles a rule-set file; errors name the file (and the rule, when one is at fault). */
export function loadRuleSetFile(filePath: string = DEFAULT_RULE_SET_PATH): CompiledRuleSet {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new RuleSetError([`${filePath}: cannot read: ${error instanceof Error ? error.message : String(error)}`]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new RuleSetError([`${filePath}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  try {
    return compileRuleSet(doc);
  } catch (error) {
    if (error instanceof RuleSetError) {
      throw new RuleSetError(
        error.problems.map((problem) => `${filePath}: ${problem}`),
        error.ruleId,
      );
    }
    throw error;
  }
}
