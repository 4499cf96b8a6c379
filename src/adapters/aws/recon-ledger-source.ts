/**
 * The AWS ledger sources of a reconciliation run (ports/reconciliation.ts LedgerSource).
 *
 * - The ledger export object (RunConfig `ledger: {bucket, key}`): CSV or NDJSON in the format of
 *   `ledgerline reconcile --ledger` (src/recon/run/ledger-file.ts), read when first needed (a
 *   re-upload needs no ledger). It defines its own accounts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ReconcileConfigError, type LedgerSource } from '../../ports/reconciliation';
import type { ObjectRef } from '../../recon/run/aws/objects';
import { readLedgerFile, type LedgerFile } from '../../recon/run/ledger-file';
import { downloadObject, s3Uri } from './recon-s3';

/** The ledger export object as the ledger source; a bad export is a configuration error naming the object. */
export function s3LedgerExportSource(s3: S3Client, ref: ObjectRef, options: { tmpDir?: string } = {}): LedgerSource {
  const uri = s3Uri(ref.bucket, ref.key);
  let loading: Promise<{ file: LedgerFile; accounts: Set<string> }> | undefined;
  const load = () =>
    (loading ??= (async () => {
      const work = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'recon-ledger-'));
      const path = join(work, `ledger-${basename(ref.key) || 'export'}`);
      try {
        await downloadObject(s3, ref, path);
        const file = await readLedgerFile(path);
        return { file, accounts: new Set(file.entries.map((entry) => entry.accountId)) };
      } catch (error) {
        const message = error instanceof Error ? error.message.split(path).join(uri) : String(error);
        throw new ReconcileConfigError(`ledger export: ${message}`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    })());
  return {
    kind: 'file',
    source: uri,
    knows: async (accountId) => (await load()).accounts.has(accountId),
    unknownAccountFault: (accountId) => `account ${accountId} is not in the ledger`,
    unknownAccountScope: () => `the ledger ${uri}`,
    entries: async (accounts) => (await load()).file.entries.filter((entry) => accounts.has(entry.accountId)),
    digest: async (accounts) => `${(await load()).file.contentHash}:${[...accounts].sort().join(',')}`,
  };
}
