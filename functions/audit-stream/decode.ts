/**
 * A DynamoDB Streams record (NEW_IMAGE) of the ledger, transactions or workbench table, read as
 * the audit record it is (AUDIT-1). The records are built by src/audit-trail/records.ts, as the
 * embedded feed builds them, so both runtimes give a change the same source id.
 *
 * - ledger: a journal item `SEQ#<sequenceId>` is one recorded sequence; balance items are sums of
 *   journal items (derived, not copied);
 * - transactions: a transaction's state after each write (one record per version); a flow
 *   journal item `FLOW#…` (FLOW-1) is a fact of the flow;
 * - workbench: a history item `EVENT#<version>` is an action; the case item `CASE` is the case as
 *   that version left it; run markers and run statistics are not actions (not copied).
 * REMOVE records (none of these tables deletes what the audit copies) are skipped.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { sequenceFromLedgerItem } from '../../src/adapters/aws/dynamo-ledger-store';
import { TABLES, WORKBENCH_INDEXES, WORKBENCH_KEYS } from '../../src/adapters/aws/tables';
import type { PartitionedRecord } from '../../src/audit-trail/chain';
import { flowFactRecord, ledgerSequenceRecord, transactionStateRecord, workbenchCaseRecord, workbenchEventRecord } from '../../src/audit-trail/records';
import type { LedgerEvent } from '../../src/domain/events';
import type { TransactionState } from '../../src/ports';
import type { CaseEvent, ExceptionCase } from '../../src/recon/workbench/cases';

/** The physical names of the tables whose streams feed the audit. */
export interface AuditedTables {
  ledger: string;
  transactions: string;
  workbench: string;
}

export class StreamRecordError extends Error {
  override name = 'StreamRecordError';
}

/** The table a stream record came from: `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`. */
export function tableOfArn(arn: string | undefined): string | undefined {
  return arn === undefined ? undefined : /:table\/([^/]+)\/stream\//.exec(arn)?.[1];
}

const TRANSACTION_KEY = TABLES.transactions.partitionKey.name;
const WORKBENCH_PK = TABLES.workbench.partitionKey.name;
const WORKBENCH_SK = TABLES.workbench.sortKey!.name;
/** The table's key and index attributes (never case fields: the audit copies the case, not how it is indexed); `caseId` is a field and an index key both. */
const WORKBENCH_KEY_ATTRIBUTES = [...new Set([WORKBENCH_PK, WORKBENCH_SK, ...Object.values(WORKBENCH_INDEXES).flatMap((index) => [index.partitionKey, index.sortKey])])].filter(
  (attribute) => attribute !== 'caseId',
);

/** The audit record of a stream record; undefined when it is not one the audit copies. Throws naming the record when it cannot be read. */
export function auditRecordOfStream(record: DynamoDBRecord, tables: AuditedTables): PartitionedRecord | undefined {
  const position = record.dynamodb?.SequenceNumber;
  const where = `stream record ${position ?? record.eventID ?? '?'}`;
  if (record.eventName === 'REMOVE') return undefined;
  const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
  if (!image) throw new StreamRecordError(`${where}: no NewImage (the stream's view type must be NEW_IMAGE or NEW_AND_OLD_IMAGES)`);
  if (position === undefined) throw new StreamRecordError(`${where}: no SequenceNumber`);
  const createdSeconds = record.dynamodb?.ApproximateCreationDateTime;
  const recordedAt = createdSeconds !== undefined ? Math.round(createdSeconds * 1000) : undefined;
  const table = tableOfArn(record.eventSourceARN);
  try {
    if (table === tables.ledger) {
      const sequence = sequenceFromLedgerItem(image);
      if (!sequence) return undefined;
      return ledgerSequenceRecord(
        {
          sequenceId: sequence.sequenceId,
          authorizationId: sequence.authorizationId,
          legs: sequence.legs.map((leg) => ({
            legId: leg.legId,
            accountId: leg.accountId,
            direction: leg.direction,
            amount: leg.amount,
            valueDate: leg.valueDate,
            legType: leg.legType,
            narrative: leg.narrative,
            authorizationId: leg.authorizationId,
          })),
        },
        position,
        recordedAt,
      );
    }
    if (table === tables.transactions) {
      const item = unmarshall(image);
      const key = String(item[TRANSACTION_KEY] ?? '');
      if (key === '') throw new StreamRecordError(`${where}: no ${TRANSACTION_KEY}`);
      if (key.startsWith('FLOW#')) return flowFactRecord(key, item, position, recordedAt ?? Date.now());
      const state: TransactionState = {
        transactionId: key,
        authorizationId: String(item.authorizationId ?? ''),
        status: item.status as TransactionState['status'],
        attempts: Number(item.attempts ?? 0),
        version: Number(item.version ?? 0),
        updatedAt: String(item.updatedAt ?? ''),
        ...(typeof item.stage === 'string' ? { stage: item.stage } : {}),
        ...(typeof item.lastError === 'string' ? { lastError: item.lastError } : {}),
        ...(typeof item.pendingEvent === 'string' ? { pendingEvent: JSON.parse(item.pendingEvent) as LedgerEvent } : {}),
      };
      return transactionStateRecord(state, position);
    }
    if (table === tables.workbench) {
      const item = unmarshall(image);
      const sk = String(item[WORKBENCH_SK] ?? '');
      for (const attribute of WORKBENCH_KEY_ATTRIBUTES) delete item[attribute];
      if (sk === WORKBENCH_KEYS.caseSort) return workbenchCaseRecord(item as ExceptionCase, position);
      if (sk.startsWith(WORKBENCH_KEYS.eventSortPrefix)) return workbenchEventRecord(item as CaseEvent, position);
      return undefined;
    }
  } catch (error) {
    if (error instanceof StreamRecordError) throw error;
    throw new StreamRecordError(`${where} of table ${table}: ${(error as Error).message}`);
  }
  throw new StreamRecordError(`${where}: table ${table ?? '(no eventSourceARN)'} is not one the audit reads (${tables.ledger}, ${tables.transactions}, ${tables.workbench})`);
}
