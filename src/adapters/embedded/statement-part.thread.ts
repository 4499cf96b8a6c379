/**
 * A statement file's second part on a helper thread (REC-PERF-1): parses `workerData.plan` from its
 * cut to the file's end with the one parser (src/recon/parsers/parts.ts parseSecondPart) while the
 * run's thread parses the first part, and sends the lines back as columns
 * (src/recon/parsers/part-transfer.ts), or that it failed (the run's thread then reads the file
 * whole, which names the fault). Started by ./statement-part.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseSecondPart, type SplitPlan } from '../../recon/parsers/parts';
import { SecondPartWriter, type StatementPartFailure } from '../../recon/parsers/part-transfer';

const { plan } = workerData as { plan: SplitPlan };
const writer = new SecondPartWriter();

parseSecondPart(plan, writer).then(
  (state) => {
    let encoded;
    try {
      encoded = writer.finish(state);
    } catch {
      parentPort!.postMessage({ type: 'statement-part-failure' } satisfies StatementPartFailure);
      return;
    }
    parentPort!.postMessage(encoded.message, encoded.transfer);
  },
  () => parentPort!.postMessage({ type: 'statement-part-failure' } satisfies StatementPartFailure),
);
