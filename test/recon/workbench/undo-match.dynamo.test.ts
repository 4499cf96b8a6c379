/**
 * WB-1 / REC-MATCH-1: the undo-of-a-match contract (undo-match-contract.ts) through the app over the
 * DynamoDB store (DynamoWorkbenchStore on dynalite with the rehearsal's TransactWriteItems): an undo
 * reopens every case of the match in one transaction, and the partner's rows are candidates again.
 */
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { WorkbenchStandIn } from '../../adapters/aws/support/workbench-standin';
import { undoMatchContract } from './undo-match-contract';

const table = new WorkbenchStandIn();

beforeAll(async () => {
  await table.start();
}, 60_000);

afterAll(async () => {
  await table.stop();
});

undoMatchContract(
  'the DynamoDB store',
  async () => {
    await table.clear();
    return new DynamoWorkbenchStore({ client: table.client, tableName: table.tableName });
  },
  // The SQLite run (undo-match.property.test.ts) explores 60 sequences; here the same contract against DynamoDB's conditions, fewer (dynalite is slow).
  { runs: 5, maxSteps: 10 },
);
