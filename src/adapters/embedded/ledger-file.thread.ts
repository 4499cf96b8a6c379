/**
 * The ledger file's helper thread (REC-PERF-1): reads `workerData.path` with the one ledger reader
 * (src/recon/run/ledger-file.ts readLedgerFile: the same validation, PCI-3 masking and faults)
 * while the run's thread reads the statements, and sends the file back as columns
 * (./ledger-file-transfer.ts), or the reader's failure. Started by ./recon-ledger-source.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readLedgerFile } from '../../recon/run/ledger-file';
import { encodeLedgerFailure, encodeLedgerFile } from './ledger-file-transfer';

const { path } = workerData as { path: string };

readLedgerFile(path).then(
  (file) => {
    const { message, transfer } = encodeLedgerFile(file);
    parentPort!.postMessage(message, transfer);
  },
  (error: unknown) => parentPort!.postMessage(encodeLedgerFailure(error)),
);
