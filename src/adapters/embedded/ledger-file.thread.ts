/**
 * The ledger file's helper thread (REC-PERF-1): reads `workerData.path` with the one ledger reader
 * (src/recon/run/ledger-file.ts readLedgerFileColumns: readLedgerFile's validation, PCI-3 masking
 * and faults, its rows gathered as columns) while the run's thread reads the statements, and sends
 * the file back as those columns
 * (./ledger-file-transfer.ts), or the reader's failure. Started by ./recon-ledger-source.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readLedgerFileColumns } from '../../recon/run/ledger-file';
import { encodeLedgerFailure, ledgerFileMessage } from './ledger-file-transfer';

const { path } = workerData as { path: string };

// Read straight into columns (REC-PERF-1): no object per entry is kept here, nor encoded afterwards.
readLedgerFileColumns(path).then(
  (file) => {
    const { message, transfer } = ledgerFileMessage(file);
    parentPort!.postMessage(message, transfer);
  },
  (error: unknown) => parentPort!.postMessage(encodeLedgerFailure(error)),
);
