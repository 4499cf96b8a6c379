/**
 * A ledger file's entries as the message its helper thread sends (REC-PERF-1): the entries pushed
 * through the reader's own column builder (LedgerColumnsBuilder), so tests can hold the columns and
 * the objects equal without reading a file.
 */
import { ledgerFileMessage, type LedgerFileMessage } from '../../src/adapters/embedded/ledger-file-transfer';
import { LedgerColumnsBuilder } from '../../src/recon/ledger-rows';
import type { LedgerFile } from '../../src/recon/run/ledger-file';

export function encodeLedgerFile(file: LedgerFile, options: { pieceChars?: number } = {}): { message: LedgerFileMessage; transfer: ArrayBuffer[] } {
  const builder = new LedgerColumnsBuilder();
  for (const entry of file.entries) builder.push(entry);
  return ledgerFileMessage({ path: file.path, format: file.format, contentHash: file.contentHash, length: builder.length, columns: builder.finish(options.pieceChars) });
}
