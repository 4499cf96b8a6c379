/**
 * ADJ-1 on AWS: the workbench's ledger is the posting ledger (DynamoDB TABLES.ledger, the same
 * journal and balance items the posting stage writes, so the adjustment is recorded once by its
 * sequence id), its posting record goes to the core-banking outbox in the ingest bucket (one
 * object per batch, keyed by its record ids), and a case's account resolves through reference
 * data (TABLES.reference) by account id, after the reconciliation's own statement-account map
 * (e.g. an IBAN → ledger account id, as the journal ledger source reads it), when it has one.
 * NOTIFY-1: an approved write-off is announced through `outward` (the event bus:
 * src/adapters/aws/notify-outward.ts), after its booking and before its case is saved.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AdjustmentAccounts } from '../../domain/adjustment';
import type { LedgerAccountResolver } from '../../ports';
import type { OutwardEventPublisher } from '../../notify/outward';
import type { WorkbenchLedgerDeps } from '../../use-cases/post-adjustment/post-adjustment';
import { DynamoLedgerStore } from './dynamo-ledger-store';
import { DynamoReferenceData } from './dynamo-reference-data';
import { S3PostingOutbox } from './s3-stores';

export interface AwsWorkbenchLedgerOptions {
  dynamo: DynamoDBClient;
  s3: S3Client;
  ledgerTable: string;
  referenceTable: string;
  /** The ingest bucket, which holds the core-banking outbox. */
  outboxBucket: string;
  /** Default "outbox/postings/" (the assembler's). */
  outboxPrefix?: string;
  /** A pinned reference data version; otherwise the table's current one. */
  referenceDataVersion?: string;
  hotAccountShards?: Readonly<Record<string, number>>;
  adjustmentAccounts?: AdjustmentAccounts;
  /** The reconciliation configuration's `accounts`: statement account (e.g. an IBAN) → ledger account id. */
  statementAccounts?: Readonly<Record<string, string>>;
  /** NOTIFY-1: where approved write-offs are announced. */
  outward?: OutwardEventPublisher;
}

/** Reference data's accounts by id, opened on first use (a failed open is tried again next time). */
export function referenceDataAccountResolver(open: () => Promise<Pick<DynamoReferenceData, 'account'>>, statementAccounts: Readonly<Record<string, string>> = {}): LedgerAccountResolver {
  let opened: Promise<Pick<DynamoReferenceData, 'account'>> | undefined;
  return {
    async ledgerAccount(accountId) {
      const attempt = (opened ??= open());
      attempt.catch(() => {
        if (opened === attempt) opened = undefined;
      });
      const ledgerAccountId = Object.prototype.hasOwnProperty.call(statementAccounts, accountId) ? statementAccounts[accountId]! : accountId;
      const account = await (await attempt).account(ledgerAccountId);
      return account ? { accountId: account.accountId, currency: account.currency } : undefined;
    },
  };
}

export function awsWorkbenchLedger(options: AwsWorkbenchLedgerOptions): WorkbenchLedgerDeps {
  return {
    ledger: new DynamoLedgerStore({ client: options.dynamo, tableName: options.ledgerTable, ...(options.hotAccountShards ? { hotAccountShards: options.hotAccountShards } : {}) }),
    records: new S3PostingOutbox({ client: options.s3, bucket: options.outboxBucket, ...(options.outboxPrefix ? { prefix: options.outboxPrefix } : {}) }),
    accounts: referenceDataAccountResolver(
      () => DynamoReferenceData.open({ client: options.dynamo, tableName: options.referenceTable, ...(options.referenceDataVersion ? { version: options.referenceDataVersion } : {}) }),
      options.statementAccounts,
    ),
    ...(options.adjustmentAccounts ? { adjustmentAccounts: options.adjustmentAccounts } : {}),
    ...(options.outward ? { outward: options.outward } : {}),
  };
}
