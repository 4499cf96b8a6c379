/**
 * The AWS RunRegistry of a reconciliation run (ports/reconciliation.ts): claims in the ingest
 * bucket (REC-OUT-2), written with conditional puts so that two runs of the same content (or of
 * the same statements in other bytes) never both reconcile it.
 *
 *   results/registry/<sha256>.json                a content claim {runId, contentHash, source, claimedAt}
 *   results/registry/statements/<identity>.json   a statement identity claim, naming its content claim
 *
 * An identity claim counts while the content claim it names is held by the same run: the
 * workflow releases a failed run's content claim, and its identity claims lapse with it.
 * commit() claims the content, then each statement; a concurrent run that claimed first wins
 * (ClaimLostError naming it) and this run's content claim is released again.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { RunRecord, RunRegistry } from '../../ports/reconciliation';
import type { ObjectRef } from '../../recon/run/aws/objects';
import { deleteObject, readText, writeObject, writeOnce } from './recon-s3';

/** Another run holds the claim: this run's statement is a re-upload. */
export class ClaimLostError extends Error {
  override name = 'ClaimLostError';
  constructor(readonly firstRunId: string | null) {
    super(`already claimed by run ${firstRunId ?? '(unknown)'}`);
  }
}

export interface S3ClaimRegistryOptions {
  bucket: string;
  /** Default results/registry/. */
  prefix?: string;
  /** This run: its own claims (a retried step) do not count as someone else's. */
  runId: string;
  /** The statement object, recorded in the content claim. */
  source: ObjectRef;
  now?: () => Date;
}

export interface S3ClaimRegistry extends RunRegistry {
  contentKey(contentHash: string): string;
}

export function s3ClaimRegistry(s3: S3Client, options: S3ClaimRegistryOptions): S3ClaimRegistry {
  const prefix = options.prefix ?? 'results/registry/';
  const contentKey = (contentHash: string): string => `${prefix}${contentHash}.json`;
  const identityKey = (key: string): string => `${prefix}statements/${key}.json`;
  const owner = async (key: string): Promise<string | undefined> => {
    const text = await readText(s3, options.bucket, key);
    return text ? (JSON.parse(text) as { runId?: string }).runId : undefined;
  };
  const claimedBy = async (key: string): Promise<string | undefined> => {
    const text = await readText(s3, options.bucket, identityKey(key));
    if (!text) return undefined;
    const claim = JSON.parse(text) as { runId?: string; registryKey?: string };
    if (!claim.runId || claim.runId === options.runId || !claim.registryKey) return undefined;
    return (await owner(claim.registryKey)) === claim.runId ? claim.runId : undefined;
  };
  let staged: RunRecord | undefined;
  let claimed: string | undefined;
  return {
    location: `s3://${options.bucket}/${prefix}`,
    contentKey,
    async lookupContent(contentHash) {
      const runId = await owner(contentKey(contentHash));
      return runId && runId !== options.runId ? { contentHash, runId } : undefined;
    },
    async lookupStatement(key) {
      const runId = await claimedBy(key);
      return runId ? { key, runId } : undefined;
    },
    // Ledger entries matched by earlier runs are not recorded on AWS yet: every run sees the whole ledger in scope.
    reconciledLedgerKeys: async () => new Set<string>(),
    runIds: async () => null,
    runCount: async () => 0,
    async stage(run) {
      staged = run;
    },
    async commit() {
      const run = staged;
      if (!run) return;
      for (const file of run.files) {
        const key = contentKey(file.contentHash);
        const claim = `${JSON.stringify({ runId: run.runId, contentHash: file.contentHash, source: { bucket: options.source.bucket, key: options.source.key, versionId: options.source.versionId ?? null }, claimedAt: (options.now?.() ?? new Date()).toISOString() })}\n`;
        if ((await writeOnce(s3, options.bucket, key, claim, 'application/json')) === 'already-written') {
          const holder = await owner(key);
          if (holder !== run.runId) throw new ClaimLostError(holder ?? null);
        }
        claimed = key;
        for (const identity of run.statements.filter((statement) => statement.contentHash === file.contentHash)) {
          const body = `${JSON.stringify({ runId: run.runId, registryKey: key, contentHash: file.contentHash, accountId: identity.accountId, statementId: identity.statementId, period: identity.period })}\n`;
          if ((await writeOnce(s3, options.bucket, identityKey(identity.key), body, 'application/json')) === 'written') continue;
          const holder = await claimedBy(identity.key);
          if (holder !== undefined) {
            await deleteObject(s3, options.bucket, key);
            claimed = undefined;
            throw new ClaimLostError(holder);
          }
          // A lapsed claim (its run failed) or this run's own (a retry): this run's now.
          await writeObject(s3, options.bucket, identityKey(identity.key), body, 'application/json');
        }
      }
      staged = undefined;
      claimed = undefined;
    },
    async rollback() {
      staged = undefined;
      if (claimed) await deleteObject(s3, options.bucket, claimed);
      claimed = undefined;
    },
  };
}
