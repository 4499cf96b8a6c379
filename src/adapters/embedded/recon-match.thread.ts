/**
 * The matcher's helper thread (REC-PERF-1, ./recon-match.ts): compiles the run's rule set as soon as
 * it starts (while the run's thread parses the statements), then matches each range of partitions
 * it is sent with the one partition loop (src/recon/matching/partition.ts matchEncoded) and sends
 * back their results as columns, or the first fault it met.
 *
 * Messages: in  workerData { ruleSet: JSON }; { type: 'match', partitions: EncodedPartitions }
 *           out { type: 'match-results', results: EncodedResults } | { type: 'match-fault', name, message }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { matchEncoded } from '../../recon/matching/partition';
import { resultsTransferOf, type EncodedPartitions } from '../../recon/matching/partition-codec';
import { compileRuleSet, type CompiledRuleSet } from '../../recon/matching/rules';
import { faultAnswer } from './recon-match';

let ruleSetText = (workerData as { ruleSet: string }).ruleSet;
let compiled: CompiledRuleSet | undefined;
try {
  compiled = compileRuleSet(JSON.parse(ruleSetText));
} catch {
  // The run's thread compiles the same rule set first and reports its fault.
}

parentPort!.on('message', (message: { type: 'match'; partitions: EncodedPartitions }) => {
  try {
    const { partitions } = message;
    if (compiled === undefined || partitions.ruleSet !== ruleSetText) {
      compiled = compileRuleSet(JSON.parse(partitions.ruleSet));
      ruleSetText = partitions.ruleSet;
    }
    const results = matchEncoded(partitions, compiled);
    parentPort!.postMessage({ type: 'match-results', results }, resultsTransferOf(results));
  } catch (error) {
    parentPort!.postMessage(faultAnswer(error));
  }
});
