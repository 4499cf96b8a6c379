/**
 * ADJ-1: a workbench resolution that changes money posts one balanced adjusting entry, with its
 * own posting record, linked to the case and its history, exactly once however often it is
 * submitted. Over ports: the ledger (LedgerStore, idempotent by sequence id, and RecordedSequences),
 * the posting-record sink (PostingOutbox, idempotent by record id), the case store (conditional on
 * the case's version) and the ledger account resolver.
 *
 * Order: ledger, then posting record, then the case and its history event. The adjustment's id
 * (so its sequence and record) derives from the case and the approved proposal, so:
 *   - approving twice: the second finds the case WRITTEN_OFF and is refused before any write;
 *   - approving concurrently: both write the same sequence (the ledger keeps one), one case save
 *     wins; the other finds the case booked with this very adjustment and answers with it;
 *   - a crash between the ledger write and the case save: the case is still PENDING_APPROVAL with
 *     the same proposal; approving again writes the same sequence (nothing new) and saves the case;
 *   - a rejection of a proposal whose adjustment the ledger holds (an approval that did not finish)
 *     is refused: approving completes it; a proposal rejected while its approval was booking has
 *     its adjustment reversed (the reversal's id derives from the adjustment: once).
 * Reopening a case whose resolution booked an adjustment reverses it (same order, same ids rule).
 *
 * NOTIFY-1, never lost: an approved write-off's `workbench.write-off-approved` is published after
 * its booking (ledger + posting record) and BEFORE the case save, like the posting record: its id
 * derives from the adjustment, so a crash or a failed publish before the save leaves the case
 * PENDING_APPROVAL and approving again books nothing new and publishes the same event (kept once
 * by the outbox, delivered once by the notifier); once the case is saved, the event is out. A
 * publish that fails fails the approval (nothing is saved; approve again). The one case where the
 * event is out and the booking does not stand: a proposal rejected in the instant its approval was
 * booking; the approval's booking is then reversed (its reversal's posting record says so).
 */
import {
  type Adjustment,
  type AdjustmentAccounts,
  type AdjustmentApproval,
  type AdjustmentRef,
  AdjustmentError,
  adjustmentFromRef,
  adjustmentIdFor,
  adjustmentRef,
  adjustmentSequenceId,
  buildAdjustment,
  buildReversal,
} from '../../domain/adjustment';
import type { LedgerAccountResolver, LedgerStore, PostingOutbox, RecordedSequences } from '../../ports';
import type { OutwardEventPublisher } from '../../notify/outward';
import { writeOffApprovedEvent } from '../../notify/outward';
import { type Actor, applyCaseAction, type CaseAction, type CaseEvent, type ExceptionCase, WorkbenchError } from '../../recon/workbench/cases';
import { CaseVersionConflict, type WorkbenchStore } from '../../recon/workbench/ports';

export interface PostAdjustmentDeps {
  ledger: LedgerStore;
  records: PostingOutbox;
  cases: Pick<WorkbenchStore, 'save'>;
}

export interface PostAdjustmentInput {
  adjustment: Adjustment;
  /** The case as the resolution leaves it (version + 1), naming the adjustment. */
  next: ExceptionCase;
  /** Its history event, naming the adjustment. */
  event: CaseEvent;
  /** NOTIFY-1: announces the booking (idempotent), after the posting record and before the case save. */
  announce?: () => Promise<void>;
}

/**
 * Records the adjustment's legs (idempotent by its sequence id), its posting record (idempotent by
 * record id), then the case and its history event (conditional on the version: CaseVersionConflict
 * otherwise). Returns whether this call recorded the legs (false: recorded before).
 */
export async function postAdjustment(deps: PostAdjustmentDeps, input: PostAdjustmentInput): Promise<{ recorded: boolean }> {
  const { adjustment } = input;
  const result = await deps.ledger.recordPostings([{ sequenceId: adjustment.sequenceId, authorizationId: adjustment.adjustmentId, legs: adjustment.legs }]);
  await deps.records.writeBatch([adjustment.record]);
  await input.announce?.();
  await deps.cases.save(input.next, input.event);
  return { recorded: result.newSequences.includes(adjustment.sequenceId) };
}

/** Books an adjustment that no case save follows (a compensating reversal). */
async function bookOnly(deps: Omit<PostAdjustmentDeps, 'cases'>, adjustment: Adjustment): Promise<void> {
  await deps.ledger.recordPostings([{ sequenceId: adjustment.sequenceId, authorizationId: adjustment.adjustmentId, legs: adjustment.legs }]);
  await deps.records.writeBatch([adjustment.record]);
}

export interface WorkbenchLedgerDeps {
  ledger: LedgerStore & RecordedSequences;
  records: PostingOutbox;
  accounts: LedgerAccountResolver;
  /** The write-off and suspense accounts per currency, when configuration names them. */
  adjustmentAccounts?: AdjustmentAccounts;
  /**
   * NOTIFY-1: told `workbench.write-off-approved` once an approved write-off is booked, before its
   * case is saved (see the module comment; its id derives from the adjustment: a concurrent or
   * repeated approval is the same event).
   */
  outward?: OutwardEventPublisher;
}

/** The announcement of a booked write-off (undefined when no outward publisher is wired). */
function writeOffAnnouncement(deps: WorkbenchLedgerDeps, caseId: string, ref: AdjustmentRef, action: CaseAction, actor: Actor, at: string): (() => Promise<void>) | undefined {
  const outward = deps.outward;
  if (!outward) return undefined;
  const note = action.type === 'approve-write-off' ? action.note : undefined;
  const event = writeOffApprovedEvent({
    caseId,
    adjustmentId: ref.adjustmentId,
    amount: { value: ref.amount.replace(/^[-+]/, ''), currency: ref.currency },
    approvedBy: actor.user,
    ...(note !== undefined ? { note } : {}),
    at,
  });
  return () => outward.publish(event);
}

export type CaseStoreForAdjustments = Pick<WorkbenchStore, 'get' | 'save'>;

/** The actions whose outcome the ledger takes part in. */
export function movesMoney(current: ExceptionCase, action: CaseAction): boolean {
  if (action.type === 'approve-write-off' || action.type === 'reject-write-off') return true;
  return action.type === 'reopen' && current.resolution?.adjustment !== undefined;
}

const MAX_ATTEMPTS = 3;

function approvalOf(current: ExceptionCase): AdjustmentApproval {
  const proposal = current.writeOff;
  if (!proposal) throw new WorkbenchError('CONFLICT', `case ${current.caseId} has no write-off proposal`);
  return { proposedBy: proposal.proposedBy, proposedAt: proposal.at, ...(proposal.version !== undefined ? { proposalVersion: proposal.version } : {}) };
}

function sameProposal(a: ExceptionCase | undefined, b: ExceptionCase): boolean {
  return (
    a?.status === 'PENDING_APPROVAL' &&
    a.writeOff?.proposedBy === b.writeOff?.proposedBy &&
    a.writeOff?.at === b.writeOff?.at &&
    a.writeOff?.target === b.writeOff?.target &&
    a.writeOff?.version === b.writeOff?.version
  );
}

function booking(error: unknown, caseId: string): unknown {
  return error instanceof AdjustmentError ? new WorkbenchError('INVALID', `${error.message}; nothing was booked and case ${caseId} was not changed`) : error;
}

async function approve(
  deps: WorkbenchLedgerDeps,
  cases: CaseStoreForAdjustments,
  current: ExceptionCase,
  action: CaseAction,
  actor: Actor,
  at: string,
  expectedVersion: number,
  attempt: number,
): Promise<{ case: ExceptionCase; event: CaseEvent }> {
  const decided = applyCaseAction(current, action, actor, at, expectedVersion);
  const approval = approvalOf(current);
  const target = current.writeOff?.target ?? 'WRITE_OFF';
  const account = await deps.accounts.ledgerAccount(current.accountId);
  if (!account)
    throw new WorkbenchError('INVALID', `account ${current.accountId} of case ${current.caseId} is not a ledger account (not in reference data); nothing was booked and the case was not changed`);
  let adjustment: Adjustment | undefined;
  try {
    adjustment = buildAdjustment({
      case: current,
      target,
      approval,
      ledgerAccountId: account.accountId,
      ledgerAccountCurrency: account.currency,
      ...(deps.adjustmentAccounts ? { accounts: deps.adjustmentAccounts } : {}),
    });
  } catch (error) {
    throw booking(error, current.caseId);
  }
  if (!adjustment) {
    // Nothing changes money: the case's sides are equal.
    const event = { ...decided.event, detail: `${decided.event.detail ?? ''}; nothing to book: the difference is zero` };
    await cases.save(decided.next, event);
    return { case: decided.next, event };
  }
  const ref = adjustmentRef(adjustment, approval);
  const next: ExceptionCase = { ...decided.next, resolution: { ...decided.next.resolution!, adjustment: ref } };
  const event: CaseEvent = {
    ...decided.event,
    adjustmentId: adjustment.adjustmentId,
    detail: `${decided.event.detail ?? ''}; booked as ${adjustment.adjustmentId}: ${ref.amount} ${ref.currency} on ${ref.accountId} against ${ref.contraAccountId} (posting record ${ref.recordId})`,
  };
  const announce = writeOffAnnouncement(deps, current.caseId, ref, action, actor, at);
  try {
    await postAdjustment({ ...deps, cases }, { adjustment, next, event, ...(announce ? { announce } : {}) });
  } catch (error) {
    if (!(error instanceof CaseVersionConflict)) throw error;
    const fresh = await cases.get(current.caseId);
    // A concurrent submission of the same approval won: the same adjustment, booked (and announced) once.
    if (fresh?.resolution?.adjustment?.adjustmentId === adjustment.adjustmentId) return { case: fresh, event };
    // Someone commented or assigned meanwhile: the proposal stands; the approval completes on the new version.
    if (fresh && sameProposal(fresh, current) && attempt < MAX_ATTEMPTS) return approve(deps, cases, fresh, action, actor, at, fresh.version, attempt + 1);
    // The proposal is gone (rejected, cleared): what was booked for it is taken back, once.
    const reversal = buildReversal(adjustment, at);
    await bookOnly(deps, reversal);
    throw new WorkbenchError(
      'CONFLICT',
      `case ${current.caseId} changed while the write-off was being booked (now ${fresh?.status ?? 'gone'}); its booking ${adjustment.adjustmentId} was reversed as ${reversal.adjustmentId}. Reload the case and try again`,
    );
  }
  return { case: next, event };
}

async function reject(
  deps: WorkbenchLedgerDeps,
  cases: CaseStoreForAdjustments,
  current: ExceptionCase,
  action: CaseAction,
  actor: Actor,
  at: string,
  expectedVersion: number,
): Promise<{ case: ExceptionCase; event: CaseEvent }> {
  const decided = applyCaseAction(current, action, actor, at, expectedVersion);
  const adjustmentId = adjustmentIdFor(current.caseId, approvalOf(current));
  if (await deps.ledger.hasSequence(adjustmentSequenceId(adjustmentId))) {
    throw new WorkbenchError(
      'CONFLICT',
      `case ${current.caseId}: this write-off was approved and booked as ${adjustmentId}, but the approval did not finish; approve it to complete it (then reopen the case to reverse the booking if it was wrong)`,
    );
  }
  await cases.save(decided.next, decided.event);
  return { case: decided.next, event: decided.event };
}

async function reopen(
  deps: WorkbenchLedgerDeps,
  cases: CaseStoreForAdjustments,
  current: ExceptionCase,
  action: CaseAction,
  actor: Actor,
  at: string,
  expectedVersion: number,
  attempt: number,
): Promise<{ case: ExceptionCase; event: CaseEvent }> {
  const decided = applyCaseAction(current, action, actor, at, expectedVersion);
  const ref = current.resolution!.adjustment!;
  let reversal: Adjustment;
  try {
    reversal = buildReversal(adjustmentFromRef(current.caseId, ref), at);
  } catch (error) {
    throw booking(error, current.caseId);
  }
  const event: CaseEvent = {
    ...decided.event,
    adjustmentId: reversal.adjustmentId,
    detail: `${decided.event.detail ? `${decided.event.detail}; ` : ''}booking ${ref.adjustmentId} reversed as ${reversal.adjustmentId} (posting record ${reversal.record.recordId})`,
  };
  try {
    await postAdjustment({ ...deps, cases }, { adjustment: reversal, next: decided.next, event });
    return { case: decided.next, event };
  } catch (error) {
    if (!(error instanceof CaseVersionConflict)) throw error;
    const fresh = await cases.get(current.caseId);
    // Commented meanwhile: the booking stands; the reopen completes on the new version (the reversal is the same one).
    if (fresh?.resolution?.adjustment?.adjustmentId === ref.adjustmentId && attempt < MAX_ATTEMPTS) return reopen(deps, cases, fresh, action, actor, at, fresh.version, attempt + 1);
    throw new WorkbenchError('CONFLICT', `case ${current.caseId} was changed by someone else a moment ago; reload it to see the change and try again`);
  }
}

/**
 * Decides and saves an action that moves money (movesMoney): approving a write-off books its
 * adjustment, rejecting one checks nothing was booked for it, reopening a booked case reverses
 * its adjustment. Refusals are WorkbenchErrors naming the case and the fault.
 */
export async function actOnLedger(
  deps: WorkbenchLedgerDeps,
  cases: CaseStoreForAdjustments,
  current: ExceptionCase,
  action: CaseAction,
  actor: Actor,
  at: string,
  expectedVersion: number,
): Promise<{ case: ExceptionCase; event: CaseEvent }> {
  switch (action.type) {
    case 'approve-write-off':
      return approve(deps, cases, current, action, actor, at, expectedVersion, 1);
    case 'reject-write-off':
      return reject(deps, cases, current, action, actor, at, expectedVersion);
    case 'reopen':
      return reopen(deps, cases, current, action, actor, at, expectedVersion, 1);
    default:
      throw new Error(`action ${action.type} moves no money`);
  }
}
