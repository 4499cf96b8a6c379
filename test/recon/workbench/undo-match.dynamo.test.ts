/**
 * WB-1 / REC-MATCH-1: the undo-of-a-match contract (undo-match-contract.ts) through the app over the
 * DynamoDB store (DynamoWorkbenchStore on dynalite with the rehearsal's TransactWriteItems): an undo
 * reopens every case of the match in one transaction, and the partner's rows are candidates again.
 */
import { useWorkbenchTable } from '../../adapters/aws/support/workbench-standin';
import { undoMatchContract } from './undo-match-contract';

const { freshStore } = useWorkbenchTable();

undoMatchContract(
  'the DynamoDB store',
  freshStore,
  // The SQLite run (undo-match.property.test.ts) explores 60 sequences; here the same contract against DynamoDB's conditions, fewer (dynalite is slow).
  { runs: 5, maxSteps: 10 },
);
