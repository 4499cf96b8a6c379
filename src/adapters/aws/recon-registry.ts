/**
 * The AWS RunRegistry of a reconciliation run (ports/reconciliation.ts): claims in the ingest
 * bucket (REC-OUT-2), written with conditional puts so that two runs of the same content (or of
 * the same statements in other bytes) never both reconcile it; and the ledger entries each
 * committed run matched (REC-RUN-1), so that a later run leaves them out of its scope.
 *
 *   results/registry/<sha256>.json                a content claim {runId, contentHash, source, claimedAt}
 *   results/registry/statements/<identity>.json   a statement identity claim, naming its content claim
 *   results/registry/ledger/<account>/runs/<runId>.json   the entries a run matched in one ledger account
 *   results/registry/ledger/<account>/<seq>.json  the account's chain of runs {runId}: 00000000, 00000001, …
 *   results/registry/runs/<runId>.json            the run's matched-ledger commit {runId, contentKeys, …}
 *
 * (<account> is the first 32 hex digits of the account id's SHA-256.)
 *
 * An identity claim counts while the content claim it names is held by the same run: the
 * workflow releases a failed run's content claim, and its identity claims lapse with it.
 * commit() claims the content, then each statement; a concurrent run that claimed first wins
 * (ClaimLostError naming it) and this run's content claim is released again.
 *
 * Matched ledger entries (summarise's commit): one object per account and run, each linked into
 * the account's chain with a conditional put at the first free sequence number, then — last —
 * the run's commit object. Entries count only while that commit object exists AND the run still
 * holds its content claims: a crash before the commit object leaves objects nothing reads as
 * committed (a retry rewrites the same objects and finds its own links), and a run the workflow
 * fails later lapses with its released claim, as its identity claims do. One object per account
 * (not per entry) keeps a 1M-entry run to one PUT per account; a later run reads only the chains
 * of the accounts in its scope. S3 rather than DynamoDB: the claims this commit must agree with
 * are S3 objects, and a conditional put is the one atomic step both need.
 */
import { createHash } from 'node:crypto';
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

/** Where the registry lives in the ingest bucket unless REGISTRY_PREFIX says otherwise. */
export const DEFAULT_REGISTRY_PREFIX = 'results/registry/';

/** How many accounts' chains are read or written at once. */
const ACCOUNT_CONCURRENCY = 16;

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface S3ClaimRegistryOptions {
  bucket: string;
  /** Default DEFAULT_REGISTRY_PREFIX. */
  prefix?: string;
  /** This run: its own claims (a retried step) do not count as someone else's. */
  runId: string;
  /** The statement object, recorded in the content claim. */
  source: ObjectRef;
  now?: () => Date;
}

export interface S3ClaimRegistry extends RunRegistry {
  contentKey(contentHash: string): string;
  /** The prefix of the registry's objects (the run manifest records it for summarise). */
  prefix: string;
}

export function s3ClaimRegistry(s3: S3Client, options: S3ClaimRegistryOptions): S3ClaimRegistry {
  const prefix = options.prefix ?? DEFAULT_REGISTRY_PREFIX;
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
  const accountKey = (accountId: string): string => `${prefix}ledger/${createHash('sha256').update(accountId).digest('hex').slice(0, 32)}/`;
  const linkKey = (accountId: string, seq: number): string => `${accountKey(accountId)}${String(seq).padStart(8, '0')}.json`;
  const entriesKey = (accountId: string, runId: string): string => `${accountKey(accountId)}runs/${runId}.json`;
  const commitKey = (runId: string): string => `${prefix}runs/${runId}.json`;
  const parsed = <T>(text: string, key: string): T => {
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`s3://${options.bucket}/${key}: not JSON (${(error as Error).message})`, { cause: error });
    }
  };
  const linkOf = (text: string, key: string): string => {
    const runId = parsed<{ runId?: unknown }>(text, key).runId;
    if (typeof runId !== 'string' || runId === '') throw new Error(`s3://${options.bucket}/${key}: a ledger chain link without a runId`);
    return runId;
  };
  /** The runs linked into an account's chain, in order (the chain has no holes: links are only ever added at the first free number). */
  const chain = async (accountId: string): Promise<string[]> => {
    const runIds: string[] = [];
    for (let seq = 0; ; seq++) {
      const key = linkKey(accountId, seq);
      const text = await readText(s3, options.bucket, key);
      if (text === undefined) return runIds;
      runIds.push(linkOf(text, key));
    }
  };
  // A run's matched entries count while its commit object exists and it still holds every content claim it names.
  const committed = new Map<string, Promise<boolean>>();
  const isCommitted = (runId: string): Promise<boolean> => {
    let known = committed.get(runId);
    if (!known) {
      known = (async () => {
        const text = await readText(s3, options.bucket, commitKey(runId));
        if (text === undefined) return false;
        const contentKeys = parsed<{ contentKeys?: unknown }>(text, commitKey(runId)).contentKeys;
        if (!Array.isArray(contentKeys) || contentKeys.length === 0) throw new Error(`s3://${options.bucket}/${commitKey(runId)}: a run commit without contentKeys`);
        for (const key of contentKeys) if ((await owner(String(key))) !== runId) return false;
        return true;
      })();
      committed.set(runId, known);
    }
    return known;
  };
  /** Writes the run's entries of one account, then links them into the account's chain (once, however often retried). */
  const recordAccount = async (runId: string, accountId: string, entryIds: readonly string[]): Promise<void> => {
    await writeObject(s3, options.bucket, entriesKey(accountId, runId), `${JSON.stringify({ runId, accountId, entryIds })}\n`, 'application/json');
    const link = `${JSON.stringify({ runId })}\n`;
    for (let seq = 0; ; seq++) {
      const key = linkKey(accountId, seq);
      const text = await readText(s3, options.bucket, key);
      if (text !== undefined) {
        if (linkOf(text, key) === runId) return;
        continue;
      }
      if ((await writeOnce(s3, options.bucket, key, link, 'application/json')) === 'written') return;
      seq--; // another run took this number meanwhile: look at it again (it may be this run's own, from a concurrent retry)
    }
  };
  const recordMatchedLedger = async (run: RunRecord): Promise<void> => {
    const byAccount = new Map<string, string[]>();
    for (const { accountId, entryId } of run.matchedLedger) {
      const ids = byAccount.get(accountId);
      if (ids) ids.push(entryId);
      else byAccount.set(accountId, [entryId]);
    }
    await eachLimited([...byAccount.keys()].sort(), ACCOUNT_CONCURRENCY, (accountId) => recordAccount(run.runId, accountId, byAccount.get(accountId)!));
    // Last: the commit object that makes them count.
    const body = `${JSON.stringify({ runId: run.runId, contentKeys: run.files.map((file) => contentKey(file.contentHash)), accounts: byAccount.size, matchedLedger: run.matchedLedger.length, committedAt: (options.now?.() ?? new Date()).toISOString() })}\n`;
    await writeOnce(s3, options.bucket, commitKey(run.runId), body, 'application/json');
  };
  let staged: RunRecord | undefined;
  let claimed: string | undefined;
  return {
    location: `s3://${options.bucket}/${prefix}`,
    contentKey,
    prefix,
    async lookupContent(contentHash) {
      const runId = await owner(contentKey(contentHash));
      return runId && runId !== options.runId ? { contentHash, runId } : undefined;
    },
    async lookupStatement(key) {
      const runId = await claimedBy(key);
      return runId ? { key, runId } : undefined;
    },
    async reconciledLedgerKeys(accountIds) {
      const keys = new Set<string>();
      await eachLimited([...accountIds].sort(), ACCOUNT_CONCURRENCY, async (accountId) => {
        for (const runId of await chain(accountId)) {
          if (runId === options.runId || !(await isCommitted(runId))) continue;
          const key = entriesKey(accountId, runId);
          const text = await readText(s3, options.bucket, key);
          if (text === undefined) throw new Error(`s3://${options.bucket}/${key}: run ${runId} is committed but its matched entries of this account are missing`);
          const entryIds = parsed<{ entryIds?: unknown }>(text, key).entryIds;
          if (!Array.isArray(entryIds)) throw new Error(`s3://${options.bucket}/${key}: matched entries without entryIds`);
          for (const entryId of entryIds) keys.add(`${accountId}\u0000${String(entryId)}`);
        }
      });
      return keys;
    },
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
        } else {
          // Only a claim this commit made is released by rollback(): one an earlier step made stays for the workflow's failure path.
          claimed = key;
        }
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
      // The run's claims are held: its matched ledger entries (summarise's commit; normalise has none yet).
      if (run.matchedLedger.length > 0) await recordMatchedLedger(run);
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
