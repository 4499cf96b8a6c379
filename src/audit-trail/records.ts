/**
 * What each recorded thing becomes in the audit trail (AUDIT-1), pure and written once: the
 * embedded feed (src/adapters/embedded/audit-source.ts) and the DynamoDB Streams handler
 * (functions/audit-stream/) both build their records here, so a payment's ledger change, its
 * lifecycle events, its transaction states and a case's workbench actions have the same source
 * ids, types, subjects and payloads whichever runtime recorded them.
 *
 * | source            | source id                                   | event type                          |
 * |-------------------|---------------------------------------------|-------------------------------------|
 * | ledger            | `ledger:<sequenceId>`                       | `ledger.sequence-recorded`          |
 * | lifecycle         | `event:<event id>`                          | the event's type (`posting.completed`, …) |
 * | transaction-state | `transaction:<transactionId>:v<version>`    | `transaction.<STATUS>`              |
 * | transaction-state | `flow:<journal key>`                        | `flow.<kind>` (FLOW-1 journal, AWS) |
 * | workbench         | `workbench:<caseId>:v<version>`             | `workbench.<action>` (a case event) |
 * | workbench         | `workbench:<caseId>:case:v<version>`        | `workbench.case-state` (the case after that version) |
 */
import type { LedgerEvent } from '../domain/events';
import type { TransactionState } from '../ports';
import type { CaseEvent, ExceptionCase } from '../recon/workbench/cases';
import { partitionOf, type PartitionedRecord } from './chain';
import { auditRecord, type AuditRecord } from './row';

/** One leg as the audit keeps it: exact amounts (decimal string + ISO 4217), the leg type where the store knows it. */
export interface AuditLeg {
  legId: string;
  accountId: string;
  direction: 'DEBIT' | 'CREDIT';
  amount: { value: string; currency: string };
  valueDate: string;
  legType?: string;
  narrative?: string;
  authorizationId?: string;
}

export interface AuditSequence {
  sequenceId: string;
  authorizationId: string;
  legs: readonly AuditLeg[];
}

const place = (record: AuditRecord, entityKey: string): PartitionedRecord => ({ partition: partitionOf(record, entityKey), record });

/** ADJ-1: the leg types an adjustment books (the workbench's, not posting's). */
const ADJUSTMENT_LEG_TYPES = new Set(['WRITE_OFF', 'SUSPENSE', 'ADJUSTED_ACCOUNT']);

/**
 * A recorded posting sequence (LEDGER-1: legs are written once, whole). `recordedAt`: when the
 * store wrote it, where it says (a stream record's creation time); else the value date.
 */
export function ledgerSequenceRecord(sequence: AuditSequence, position: string | number, recordedAt?: string | number | Date): PartitionedRecord {
  const first = sequence.legs[0];
  const adjustment = sequence.legs.some((leg) => leg.legType !== undefined && ADJUSTMENT_LEG_TYPES.has(leg.legType));
  const record = auditRecord({
    source: 'ledger',
    sourceId: `ledger:${sequence.sequenceId}`,
    sourcePosition: position,
    eventType: 'ledger.sequence-recorded',
    occurredAt: recordedAt ?? `${first?.valueDate ?? '1970-01-01'}T00:00:00.000Z`,
    actor: adjustment ? 'ledgerline.workbench' : 'ledgerline.posting',
    subjectIds: [sequence.sequenceId, sequence.authorizationId, ...sequence.legs.map((leg) => leg.accountId)],
    payload: {
      sequenceId: sequence.sequenceId,
      authorizationId: sequence.authorizationId,
      legs: sequence.legs.map((leg) => ({ ...leg, amount: { value: leg.amount.value, currency: leg.amount.currency } })),
    },
  });
  return place(record, sequence.authorizationId);
}

/** The ids a lifecycle event is about: its transaction, authorisation and sequence. */
function eventSubjects(event: LedgerEvent): string[] {
  const data = event.data as unknown as Record<string, unknown>;
  const authorisation = data.authorisation as { authorizationId?: string } | undefined;
  const ids = [event.correlationId, authorisation?.authorizationId, data.authorizationId, data.sequenceId];
  return ids.filter((id): id is string => typeof id === 'string');
}

/** A lifecycle event that crossed the bus (REPLAY-1's archive keeps the outward ones). */
export function lifecycleEventRecord(event: LedgerEvent, position: string | number): PartitionedRecord {
  const record = auditRecord({
    source: 'lifecycle',
    sourceId: `event:${event.id}`,
    sourcePosition: position,
    eventType: event.type,
    occurredAt: event.occurredAt,
    actor: event.source,
    subjectIds: eventSubjects(event),
    payload: event,
  });
  return place(record, event.correlationId);
}

/** A transaction's state after one write (SWEEP-1): one record per version. */
export function transactionStateRecord(state: TransactionState, position?: string | number): PartitionedRecord {
  const record = auditRecord({
    source: 'transaction-state',
    sourceId: `transaction:${state.transactionId}:v${state.version}`,
    sourcePosition: position ?? `v${state.version}`,
    eventType: `transaction.${state.status}`,
    occurredAt: state.updatedAt,
    actor: state.stage ? `ledgerline.${state.stage}` : 'ledgerline',
    subjectIds: [state.transactionId, state.authorizationId],
    payload: {
      transactionId: state.transactionId,
      authorizationId: state.authorizationId,
      status: state.status,
      stage: state.stage,
      attempts: state.attempts,
      lastError: state.lastError,
      version: state.version,
      updatedAt: state.updatedAt,
      // The event waiting to be re-driven, by id and type (its content is the lifecycle's record).
      pendingEvent: state.pendingEvent ? { id: state.pendingEvent.id, type: state.pendingEvent.type } : undefined,
    },
  });
  return place(record, state.transactionId);
}

/** A fact of the flow journal (FLOW-1, AWS: `FLOW#<kind>#<id>` items of the transactions table). */
export function flowFactRecord(key: string, item: Record<string, unknown>, position: string | number, recordedAt: string | number | Date): PartitionedRecord {
  const kind = typeof item.kind === 'string' ? item.kind : (key.split('#')[1] ?? 'fact').toLowerCase();
  const correlationId = typeof item.correlationId === 'string' ? item.correlationId : undefined;
  const authorizationId = typeof item.authorizationId === 'string' ? item.authorizationId : undefined;
  const record = auditRecord({
    source: 'transaction-state',
    sourceId: `flow:${key}`,
    sourcePosition: position,
    eventType: `flow.${kind}`,
    occurredAt: typeof item.ingestedAt === 'string' ? item.ingestedAt : recordedAt,
    actor: 'ledgerline.flow',
    subjectIds: [correlationId, authorizationId],
    payload: item,
  });
  return place(record, correlationId ?? authorizationId ?? key);
}

/** A workbench action (a case event: who did what to which case, when). */
export function workbenchEventRecord(event: CaseEvent, position?: string | number): PartitionedRecord {
  const record = auditRecord({
    source: 'workbench',
    sourceId: `workbench:${event.caseId}:v${event.version}`,
    sourcePosition: position ?? `v${event.version}`,
    eventType: `workbench.${event.action}`,
    occurredAt: event.at,
    actor: event.actor,
    subjectIds: [event.caseId, event.adjustmentId],
    payload: event,
  });
  return place(record, event.caseId);
}

/** A case as one of its versions left it (amount, currency, status, assignee, write-off): what the actions acted on. */
export function workbenchCaseRecord(c: ExceptionCase, position?: string | number): PartitionedRecord {
  const record = auditRecord({
    source: 'workbench',
    sourceId: `workbench:${c.caseId}:case:v${c.version}`,
    sourcePosition: position ?? `v${c.version}`,
    eventType: 'workbench.case-state',
    occurredAt: c.updatedAt,
    actor: c.writeOff?.proposedBy ?? c.assignee ?? 'ledgerline',
    subjectIds: [c.caseId, c.accountId, c.statementLineId, ...c.ledgerEntryIds],
    payload: {
      caseId: c.caseId,
      version: c.version,
      kind: c.kind,
      runId: c.runId,
      status: c.status,
      reason: c.reason,
      accountId: c.accountId,
      currency: c.currency,
      amount: c.amount,
      assignee: c.assignee,
      resolution: c.resolution,
      writeOff: c.writeOff,
      totals: c.totals,
      ledgerEntryIds: c.ledgerEntryIds,
      updatedAt: c.updatedAt,
    },
  });
  return place(record, c.caseId);
}
