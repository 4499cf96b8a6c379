/**
 * The exceptions workbench, pure: finance works the exceptions and proposed matches of a
 * reconciliation run as CASES. Each case has a status, a version (optimistic locking, as in
 * SWEEP-1) and an append-only history of events (who, when, what, from → to).
 *
 * Lifecycle:
 *   OPEN ──resolve──▶ RESOLVED            (matched manually, timing difference, bank error, duplicate confirmed)
 *   OPEN ──propose-write-off──▶ PENDING_APPROVAL ──approve-write-off (another person, approver)──▶ WRITTEN_OFF
 *                                                 └─reject-write-off──▶ OPEN
 *   OPEN (proposed match) ──confirm-match──▶ RESOLVED (MATCH_CONFIRMED) | ──reject-match──▶ OPEN (an exception again)
 *   RESOLVED / WRITTEN_OFF ──reopen──▶ OPEN
 *   OPEN / PENDING_APPROVAL ──(a later run no longer reports it)──▶ CLEARED   (system, on import)
 *   CLEARED ──(a later run reports it again)──▶ OPEN                          (system, on import)
 *   comment and assign change no status.
 *
 * Roles: viewer reads; reconciler acts; approver also approves write-offs (never their own: four eyes).
 *
 * PCI-3: nothing a person types may carry a card number. Every field of a requested action (note,
 * assignee, ledger entry ids, anything else) is checked under free-text evidence (PCI-1: any
 * separator, digit script or escape) and refused with a 422 that names the field and never echoes
 * it; applyCaseAction checks the action again, so no caller or store can skip it. Cases raised
 * from a run are masked as well (identifiers under identifier evidence, the detail as free text).
 */
import { containsPan, type PanEvidence, redactPans } from '../../domain/pan';
import { dayNumber } from '../matching/rows';
import { formatConfidence, idCompare } from '../run/results';
import { EXCEPTION_REASONS, type ExceptionReason, type LedgerEntry, type Match, type MatchResult, type StatementLine, type UnmatchedItem } from '../types';
import { isDecimal, subtractAmounts, sumAmounts } from './amounts';
import type { RunStats } from './dashboard';
import { ADJUSTMENT_TARGETS, type AdjustmentRef, type AdjustmentTarget } from '../../domain/adjustment';

export type CaseKind = 'exception' | 'proposed-match';
export type CaseStatus = 'OPEN' | 'PENDING_APPROVAL' | 'RESOLVED' | 'WRITTEN_OFF' | 'CLEARED';
export const CASE_STATUSES: readonly CaseStatus[] = ['OPEN', 'PENDING_APPROVAL', 'RESOLVED', 'WRITTEN_OFF', 'CLEARED'];
/** What a case is about: an exception's reason (EXCEPTION_REASONS) or PROPOSED_MATCH. */
export const CASE_REASONS: readonly string[] = [...EXCEPTION_REASONS, 'PROPOSED_MATCH'];
export type Role = 'viewer' | 'reconciler' | 'approver';
export const ROLES: readonly Role[] = ['viewer', 'reconciler', 'approver'];

export type ResolutionKind = 'MATCHED_MANUALLY' | 'TIMING_DIFFERENCE' | 'BANK_ERROR' | 'DUPLICATE_CONFIRMED' | 'MATCH_CONFIRMED' | 'WRITTEN_OFF';
/** The resolutions a person picks with `resolve` (the others come from their own actions). */
export const RESOLVE_KINDS = ['MATCHED_MANUALLY', 'TIMING_DIFFERENCE', 'BANK_ERROR', 'DUPLICATE_CONFIRMED'] as const;

export interface Actor {
  /**
   * Who acts, as the identity provider identifies them: the verified ID token's `sub` (never a
   * display name). Recorded in the history and compared by four eyes.
   */
  user: string;
  /** How to show them (the token's `name` or `email`); never compared. */
  name?: string;
  roles: readonly Role[];
}

export interface Resolution {
  kind: ResolutionKind;
  note: string;
  /** MATCHED_MANUALLY: the ledger entries the person matched. */
  ledgerEntryIds?: string[];
  by: string;
  at: string;
  /** ADJ-1: the adjusting entry the resolution booked (an approved write-off or suspense booking). */
  adjustment?: AdjustmentRef;
  /**
   * REC-MATCH-1: every case one match action resolved, this one included (sorted), when it resolved
   * more than one (a line matched with other cases' entries): undo takes them back together (WB-1).
   */
  matchedCases?: string[];
}

export interface ExceptionCase {
  /**
   * `exception:<side>:<item id>`, `group:<case group>` (REC-CASE-1) or `match:<matchId>`: stable
   * across runs of the same inputs.
   */
  caseId: string;
  kind: CaseKind;
  /** The latest run that reported it. */
  runId: string;
  /** YYYY-MM-DD: that run's as-of date (the case's age counts to it; its item's date is asOf - ageDays). */
  asOf?: string;
  side: 'statement' | 'ledger' | 'both';
  /** One of CASE_REASONS: an ExceptionReason (UNMATCHED, AMOUNT_MISMATCH, …) or PROPOSED_MATCH. */
  reason: string;
  accountId: string;
  currency: string;
  /** Signed decimal string, exact (never a float). */
  amount: string;
  ageDays: number;
  statementLineId?: string;
  bankReference?: string;
  /** The ledger side: the candidate entry of an exception, the entries of a proposed match. */
  ledgerEntryIds: string[];
  ruleId?: string;
  /** Proposed matches: four decimals, as in matches.csv. */
  confidence?: string;
  detail?: string;
  /** REC-CASE-1: the case group a grouped case was raised for (its exceptions share it). */
  group?: string;
  /** REC-CASE-1: every exception of a grouped case, statement side first. */
  members?: CaseMember[];
  /** REC-CASE-1: a grouped case's sums per currency: statement side, ledger side, and statement - ledger. */
  totals?: CaseTotals[];
  status: CaseStatus;
  assignee?: string;
  resolution?: Resolution;
  /** The last resolution taken back by `undo` (cleared when the case is resolved again). */
  undone?: { kind: ResolutionKind; by: string; at: string; undoneBy: string; undoneAt: string };
  /** PENDING_APPROVAL: who proposed the write-off and why. */
  writeOff?: { proposedBy: string; note: string; at: string; target?: AdjustmentTarget; /** ADJ-1: the case version the proposal made (its adjustment's id derives from it). */ version?: number };
  version: number;
  updatedAt: string;
}

/** One exception of a grouped case (REC-CASE-1), masked like the case (PCI-3). */
export interface CaseMember {
  side: 'statement' | 'ledger';
  id: string;
  reason: string;
  ageDays: number;
  accountId: string;
  currency: string;
  /** Signed exact decimal string ('' when the run did not know the item). */
  amount: string;
  /** The statement line: the member itself, or a ledger member's candidate line. */
  statementLineId?: string;
  bankReference?: string;
  /** The nearest candidate on the other side. */
  candidateId?: string;
  detail?: string;
}

export interface CaseTotals {
  currency: string;
  statement: string;
  ledger: string;
  /** statement - ledger. */
  difference: string;
}

export type CaseAction =
  | { type: 'comment'; note: string }
  | { type: 'assign'; assignee: string }
  | {
      type: 'resolve';
      resolution: (typeof RESOLVE_KINDS)[number];
      note: string;
      ledgerEntryIds?: string[];
      /** Every case the same match action resolves, this one included: the match's (candidates.ts), never read from a request. */
      matchedCases?: readonly string[];
    }
  | { type: 'confirm-match'; note?: string }
  | { type: 'reject-match'; note: string }
  | { type: 'propose-write-off'; note: string; target?: AdjustmentTarget }
  | { type: 'approve-write-off'; note?: string }
  | { type: 'reject-write-off'; note: string }
  | { type: 'reopen'; note: string }
  /**
   * Takes a resolution back while its period is open: the case is OPEN again as before it, and a
   * booked adjustment is reversed (ADJ-1). `closedThrough` ("YYYY-MM", the last closed month) is the
   * caller's (the period calendar), never read from a request.
   */
  | {
      type: 'undo';
      note: string;
      closedThrough?: string;
      /** The other cases undone in the same action (a match that resolved them together): the caller's, never read from a request. */
      undoneWith?: readonly string[];
    };
export type CaseActionType = CaseAction['type'];
export const CASE_ACTION_TYPES: readonly CaseActionType[] = [
  'comment',
  'assign',
  'resolve',
  'confirm-match',
  'reject-match',
  'propose-write-off',
  'approve-write-off',
  'reject-write-off',
  'reopen',
  'undo',
];

/** One line of a case's history. `import` / `clear` are the system's (a run raised or cleared it). */
export interface CaseEvent {
  caseId: string;
  /** The case version this event produced (1 = raised). */
  version: number;
  action: CaseActionType | 'import' | 'clear';
  actor: string;
  at: string;
  from?: CaseStatus;
  to: CaseStatus;
  note?: string;
  detail?: string;
  /** ADJ-1: the adjustment this event booked or reversed. */
  adjustmentId?: string;
  /** WB-BULK-1: the bulk job that made this change (a retried chunk finds it and does not apply the action again). */
  bulkJobId?: string;
}

export type WorkbenchErrorCode = 'INVALID' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'CARD_NUMBER' | 'UNAVAILABLE';

/** A refused request, with the HTTP status it maps to. */
export class WorkbenchError extends Error {
  override name = 'WorkbenchError';
  constructor(
    readonly code: WorkbenchErrorCode,
    message: string,
  ) {
    super(message);
  }
  get httpStatus(): number {
    return { INVALID: 400, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, CARD_NUMBER: 422, UNAVAILABLE: 503 }[this.code];
  }
}

export const SYSTEM_ACTOR = 'ledgerline';
export const MAX_NOTE_LENGTH = 2000;
const USER_PATTERN = /^[A-Za-z0-9._%+@-]{1,254}$/;
const ENTRY_ID_PATTERN = /^[^\s,]{1,200}$/;

// ---------------------------------------------------------------------------
// Card numbers (PCI-3): refused wherever a person types, never echoed.

/** The refusal of an input that carries a card number: names the field, quotes nothing of it. */
export function cardNumberRefusal(field: string): WorkbenchError {
  return new WorkbenchError('CARD_NUMBER', `field "${field}" contains what looks like a card number (PAN); it was not saved. Never type or paste card numbers into the workbench`);
}

/**
 * Throws a 422 naming the first field whose text carries a card number: under free-text evidence
 * (PCI-1) for what a person types into an action; under identifier evidence (PCI-2) for a filter
 * or a path that names identifiers (an IBAN holds a long digit run and is no card number).
 */
export function refuseCardNumbers(fields: Readonly<Record<string, unknown>>, except: readonly string[] = [], evidence: PanEvidence = 'text'): void {
  for (const [field, value] of Object.entries(fields)) {
    if (except.includes(field)) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if ((typeof item === 'string' || typeof item === 'number' || typeof item === 'bigint') && containsPan(String(item), evidence)) throw cardNumberRefusal(field);
    }
    // A member name is typed too.
    if (containsPan(field, evidence)) throw cardNumberRefusal('(a field name)');
  }
}

/** The fields an action stores, by name. */
function actionText(action: CaseAction): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if ('note' in action && action.note !== undefined) fields.note = action.note;
  if (action.type === 'assign') fields.assignee = action.assignee;
  if (action.type === 'resolve' && action.ledgerEntryIds) fields.ledgerEntryIds = action.ledgerEntryIds;
  return fields;
}

// ---------------------------------------------------------------------------
// Parsing a requested action (form or JSON body): every fault names the field.

function text(body: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const value = body[field];
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    if (required) throw new WorkbenchError('INVALID', `field "${field}" is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new WorkbenchError('INVALID', `field "${field}" must be text`);
  const trimmed = value.trim();
  if (containsPan(trimmed)) throw cardNumberRefusal(field);
  if (field === 'note' && trimmed.length > MAX_NOTE_LENGTH) throw new WorkbenchError('INVALID', `field "note" is ${trimmed.length} characters; at most ${MAX_NOTE_LENGTH}`);
  return trimmed;
}

function entryIds(body: Record<string, unknown>): string[] | undefined {
  const value = body.ledgerEntryIds;
  if (value === undefined || value === null || value === '') return undefined;
  const list = typeof value === 'string' ? value.split(/[\s,]+/).filter((id) => id.length > 0) : value;
  if (!Array.isArray(list) || list.some((id) => typeof id !== 'string' || !ENTRY_ID_PATTERN.test(id))) {
    throw new WorkbenchError('INVALID', 'field "ledgerEntryIds" must be ledger entry ids separated by commas or spaces');
  }
  return [...new Set(list as string[])];
}

/** Reads an action from a request body (form fields or JSON); throws WorkbenchError naming the field. */
export function parseCaseAction(body: unknown): CaseAction {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new WorkbenchError('INVALID', 'the request body must be an object of fields');
  const fields = body as Record<string, unknown>;
  // Before anything reads (or quotes) a field. The CSRF token is ours (hex), checked elsewhere.
  refuseCardNumbers(fields, ['csrf']);
  const type = fields.type;
  if (typeof type !== 'string' || !(CASE_ACTION_TYPES as readonly string[]).includes(type)) {
    throw new WorkbenchError('INVALID', `field "type" must be one of ${CASE_ACTION_TYPES.join(', ')}; got ${JSON.stringify(type ?? null)}`);
  }
  switch (type as CaseActionType) {
    case 'propose-write-off': {
      const note = text(fields, 'note', true)!;
      const target = fields.target;
      if (target === undefined || target === null || target === '') return { type: 'propose-write-off', note };
      if (typeof target !== 'string' || !(ADJUSTMENT_TARGETS as readonly string[]).includes(target)) {
        throw new WorkbenchError(
          'INVALID',
          `field "target" must be one of ${ADJUSTMENT_TARGETS.join(', ')} (WRITE_OFF: the write-off account; SUSPENSE: a bank error, to suspense); got ${JSON.stringify(target)}`,
        );
      }
      return { type: 'propose-write-off', note, target: target as AdjustmentTarget };
    }
    case 'comment':
    case 'reject-match':
    case 'reject-write-off':
    case 'reopen':
      return { type: type as 'comment', note: text(fields, 'note', true)! };
    case 'undo':
      return { type: 'undo', note: text(fields, 'note', false) ?? 'undo' };
    case 'confirm-match':
    case 'approve-write-off': {
      const note = text(fields, 'note', false);
      return note === undefined ? { type: type as 'confirm-match' } : { type: type as 'confirm-match', note };
    }
    case 'assign': {
      const assignee = text(fields, 'assignee', true)!;
      if (!USER_PATTERN.test(assignee)) throw new WorkbenchError('INVALID', `field "assignee" "${assignee}" is not a user name or email`);
      return { type: 'assign', assignee };
    }
    case 'resolve': {
      const resolution = fields.resolution;
      if (typeof resolution !== 'string' || !(RESOLVE_KINDS as readonly string[]).includes(resolution)) {
        throw new WorkbenchError('INVALID', `field "resolution" must be one of ${RESOLVE_KINDS.join(', ')}; got ${JSON.stringify(resolution ?? null)}`);
      }
      const note = text(fields, 'note', true)!;
      const ids = entryIds(fields);
      if (resolution === 'MATCHED_MANUALLY' && !ids) throw new WorkbenchError('INVALID', 'field "ledgerEntryIds" is required to resolve as MATCHED_MANUALLY');
      return { type: 'resolve', resolution: resolution as (typeof RESOLVE_KINDS)[number], note, ...(ids ? { ledgerEntryIds: ids } : {}) };
    }
  }
}

/** Reads the expected version a request carries (the version the person saw). */
export function parseExpectedVersion(value: unknown): number {
  const number = typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number.parseInt(value, 10) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) {
    throw new WorkbenchError('INVALID', `field "expectedVersion" must be the case version you saw (a positive integer); got ${JSON.stringify(value ?? null)}`);
  }
  return number;
}

// ---------------------------------------------------------------------------
// Deciding an action

function requireRole(actor: Actor, role: Role, what: string): void {
  const allowed = role === 'reconciler' ? actor.roles.includes('reconciler') || actor.roles.includes('approver') : actor.roles.includes(role);
  if (!allowed) throw new WorkbenchError('FORBIDDEN', `${actor.user} may not ${what}: it needs the ${role} role (you have ${actor.roles.join(', ') || 'no role'})`);
}

function requireStatus(current: ExceptionCase, allowed: readonly CaseStatus[], what: string): void {
  if (!allowed.includes(current.status)) {
    throw new WorkbenchError('CONFLICT', `case ${current.caseId} is ${current.status}; ${what} needs ${allowed.join(' or ')}`);
  }
}

/** What `actor` may do to `current` now (drives the UI's buttons; applyCaseAction enforces the same). */
export function allowedActions(current: ExceptionCase, actor: Actor): CaseActionType[] {
  const probes: CaseAction[] = [
    { type: 'comment', note: 'x' },
    { type: 'assign', assignee: actor.user },
    { type: 'resolve', resolution: 'TIMING_DIFFERENCE', note: 'x' },
    { type: 'confirm-match' },
    { type: 'reject-match', note: 'x' },
    { type: 'propose-write-off', note: 'x' },
    { type: 'approve-write-off' },
    { type: 'reject-write-off', note: 'x' },
    { type: 'reopen', note: 'x' },
    { type: 'undo', note: 'x' },
  ];
  return probes
    .filter((probe) => {
      try {
        applyCaseAction(current, probe, actor, current.updatedAt, current.version);
        return true;
      } catch {
        return false;
      }
    })
    .map((probe) => probe.type);
}

/**
 * Applies one action for one person. `expectedVersion` is the version the person saw: if the
 * case has moved on since, the action is refused (CONFLICT) rather than applied to a state they
 * never saw. Returns the next case (version + 1) and its history event; the store writes both
 * atomically, conditional on the version.
 */
export function applyCaseAction(current: ExceptionCase, action: CaseAction, actor: Actor, at: string, expectedVersion: number): { next: ExceptionCase; event: CaseEvent } {
  refuseCardNumbers(actionText(action));
  if (expectedVersion !== current.version) {
    throw new WorkbenchError('CONFLICT', `case ${current.caseId} changed since you opened it (version ${expectedVersion}, now ${current.version}); reload it and try again`);
  }
  let next: ExceptionCase = { ...current, version: current.version + 1, updatedAt: at };
  let note: string | undefined;
  let detail: string | undefined;
  switch (action.type) {
    case 'comment':
      requireRole(actor, 'reconciler', 'comment on a case');
      note = action.note;
      break;
    case 'assign':
      requireRole(actor, 'reconciler', 'assign a case');
      requireStatus(current, ['OPEN', 'PENDING_APPROVAL'], 'assigning');
      next = { ...next, assignee: action.assignee };
      detail = `assigned to ${action.assignee}${current.assignee ? ` (was ${current.assignee})` : ''}`;
      break;
    case 'resolve': {
      requireRole(actor, 'reconciler', 'resolve a case');
      requireStatus(current, ['OPEN'], 'resolving');
      if (current.kind !== 'exception') throw new WorkbenchError('CONFLICT', `case ${current.caseId} is a proposed match: confirm or reject it`);
      const { writeOff: _writeOff, ...rest } = next;
      // REC-MATCH-1: one match resolving several cases records them all (this one included), so undo finds them.
      const matchedCases = action.matchedCases && action.matchedCases.some((id) => id !== current.caseId) ? [...new Set([current.caseId, ...action.matchedCases])].sort() : undefined;
      next = {
        ...rest,
        status: 'RESOLVED',
        resolution: {
          kind: action.resolution,
          note: action.note,
          ...(action.ledgerEntryIds ? { ledgerEntryIds: action.ledgerEntryIds } : {}),
          by: actor.user,
          at,
          ...(matchedCases ? { matchedCases } : {}),
        },
      };
      note = action.note;
      detail = action.ledgerEntryIds ? `${action.resolution}: ${action.ledgerEntryIds.join(', ')}` : action.resolution;
      if (matchedCases) detail += `; one match with case ${matchedCases.filter((id) => id !== current.caseId).join(', case ')}`;
      break;
    }
    case 'confirm-match':
      requireRole(actor, 'reconciler', 'confirm a match');
      requireStatus(current, ['OPEN'], 'confirming');
      if (current.kind !== 'proposed-match') throw new WorkbenchError('CONFLICT', `case ${current.caseId} is not a proposed match`);
      next = { ...next, status: 'RESOLVED', resolution: { kind: 'MATCH_CONFIRMED', note: action.note ?? '', ledgerEntryIds: current.ledgerEntryIds, by: actor.user, at } };
      note = action.note;
      detail = `confirmed ${current.ruleId ?? 'match'} at confidence ${current.confidence ?? '?'}`;
      break;
    case 'reject-match':
      requireRole(actor, 'reconciler', 'reject a match');
      requireStatus(current, ['OPEN'], 'rejecting');
      if (current.kind !== 'proposed-match') throw new WorkbenchError('CONFLICT', `case ${current.caseId} is not a proposed match`);
      next = { ...next, kind: 'exception', reason: 'UNMATCHED' };
      note = action.note;
      detail = `rejected ${current.ruleId ?? 'match'}; the items are an exception now`;
      break;
    case 'propose-write-off':
      requireRole(actor, 'reconciler', 'propose a write-off');
      requireStatus(current, ['OPEN'], 'proposing a write-off');
      if (current.kind !== 'exception') throw new WorkbenchError('CONFLICT', `case ${current.caseId} is a proposed match: confirm or reject it`);
      next = {
        ...next,
        status: 'PENDING_APPROVAL',
        writeOff: { proposedBy: actor.user, note: action.note, at, ...(action.target && action.target !== 'WRITE_OFF' ? { target: action.target } : {}), version: next.version },
      };
      note = action.note;
      detail = action.target === 'SUSPENSE' ? `booking of ${current.amount} ${current.currency} to suspense (bank error) proposed` : `write-off of ${current.amount} ${current.currency} proposed`;
      break;
    case 'approve-write-off': {
      requireRole(actor, 'approver', 'approve a write-off');
      requireStatus(current, ['PENDING_APPROVAL'], 'approving');
      const proposal = current.writeOff!;
      if (proposal.proposedBy === actor.user) throw new WorkbenchError('FORBIDDEN', `${actor.user} proposed this write-off and may not approve it too (four eyes)`);
      const { writeOff: _writeOff, ...rest } = next;
      next = { ...rest, status: 'WRITTEN_OFF', resolution: { kind: proposal.target === 'SUSPENSE' ? 'BANK_ERROR' : 'WRITTEN_OFF', note: proposal.note, by: actor.user, at } };
      note = action.note;
      detail = `write-off of ${current.amount} ${current.currency} proposed by ${proposal.proposedBy}, approved by ${actor.user}`;
      break;
    }
    case 'reject-write-off': {
      requireRole(actor, 'approver', 'reject a write-off');
      requireStatus(current, ['PENDING_APPROVAL'], 'rejecting a write-off');
      const { writeOff: _writeOff, ...rest } = next;
      next = { ...rest, status: 'OPEN' };
      note = action.note;
      detail = `write-off proposed by ${current.writeOff?.proposedBy ?? '?'} rejected`;
      break;
    }
    case 'reopen': {
      requireRole(actor, 'reconciler', 'reopen a case');
      requireStatus(current, ['RESOLVED', 'WRITTEN_OFF'], 'reopening');
      const { resolution: _resolution, ...rest } = next;
      next = { ...rest, status: 'OPEN' };
      note = action.note;
      break;
    }
    case 'undo': {
      requireRole(actor, 'reconciler', 'undo a resolution');
      const resolution = current.resolution;
      if (!resolution || (current.status !== 'RESOLVED' && current.status !== 'WRITTEN_OFF')) {
        const before = current.undone;
        throw new WorkbenchError(
          'CONFLICT',
          before
            ? `case ${current.caseId} has nothing to undo: its resolution ${before.kind} was already undone by ${before.undoneBy} at ${before.undoneAt}, and it is ${current.status} now`
            : `case ${current.caseId} is ${current.status}: there is no resolution to undo (undo needs RESOLVED or WRITTEN_OFF)`,
        );
      }
      const period = resolution.at.slice(0, 7);
      if (action.closedThrough !== undefined && period <= action.closedThrough) {
        throw new WorkbenchError(
          'CONFLICT',
          `case ${current.caseId}: its resolution of ${resolution.at.slice(0, 10)} is in period ${period}, which is closed (closed through ${action.closedThrough}); a closed period is not changed: correct it in the open period instead`,
        );
      }
      const { resolution: _resolution, ...rest } = next;
      next = { ...rest, status: 'OPEN', undone: { kind: resolution.kind, by: resolution.by, at: resolution.at, undoneBy: actor.user, undoneAt: at } };
      note = action.note;
      detail = `undid ${resolution.kind} of ${resolution.by} (${resolution.at})${resolution.ledgerEntryIds?.length ? `: ${resolution.ledgerEntryIds.join(', ')}` : ''}`;
      if (action.undoneWith?.length) detail += `; undone with case ${action.undoneWith.join(', case ')} (one match, one undo)`;
      break;
    }
  }
  // Resolved again: what was undone before is history (the events keep it).
  if (next.status !== 'OPEN' && next.status !== current.status && next.undone) {
    const { undone: _undone, ...rest } = next;
    next = rest;
  }
  const event: CaseEvent = {
    caseId: current.caseId,
    version: next.version,
    action: action.type,
    actor: actor.user,
    at,
    from: current.status,
    to: next.status,
    ...(note ? { note } : {}),
    ...(detail ? { detail } : {}),
  };
  return { next, event };
}

// ---------------------------------------------------------------------------
// Importing a run's results

/** One row of a run's exceptions.csv (the columns the reconcile command writes; `group` when the file has that column). */
export interface ExceptionRow {
  side: 'statement' | 'ledger';
  id: string;
  reason: string;
  ageDays: string;
  statementLineId: string;
  bankReference: string;
  ledgerEntryId: string;
  accountId: string;
  currency: string;
  amount: string;
  detail: string;
  group?: string;
}

/** One row of a run's matches.csv. */
export interface MatchRow {
  matchId: string;
  statementLineId: string;
  bankReference: string;
  ledgerEntryId: string;
  ruleId: string;
  confidence: string;
  status: string;
}

/** The account, currency, amount and age of a statement line on the run's as-of date. */
export interface StatementLineFacts {
  accountId: string;
  currency: string;
  amount: string;
  ageDays: number;
}

/** What the case builder reads of a statement line. */
export type CaseStatementLine = Pick<StatementLine, 'statementLineId' | 'accountId' | 'currency' | 'amount' | 'bookingDate' | 'valueDate' | 'bankReference'>;
/** What the case builder reads of a ledger entry. */
export type CaseLedgerEntry = Pick<LedgerEntry, 'entryId' | 'accountId' | 'currency' | 'amount'>;

/** The run's statement lines and ledger entries by id (the run's own data: nothing is read back from its files). */
export interface RunLookups {
  statementLine(id: string): CaseStatementLine | undefined;
  ledgerEntry(id: string): CaseLedgerEntry | undefined;
}

/**
 * The one age rule of a statement line (as the matcher ages an exception): days from its booking
 * date, else its value date, to the run's as-of date; 0 without either (or with a date that is
 * not a calendar date).
 */
export function statementLineFacts(line: Pick<StatementLine, 'accountId' | 'currency' | 'amount' | 'bookingDate' | 'valueDate'>, asOf: string): StatementLineFacts {
  const date = line.bookingDate ?? line.valueDate;
  const age = date === null ? Number.NaN : dayNumber(asOf) - dayNumber(date);
  return { accountId: line.accountId, currency: line.currency, amount: line.amount, ageDays: Number.isSafeInteger(age) ? age : 0 };
}

/** PCI-3: identifiers under identifier evidence (an IBAN is no card number), free text under text evidence. */
const maskId = (value: string): string => redactPans(value, 'identifier');
const maskText = (value: string): string => redactPans(value);

/** PCI-3 masks of the account ids of one run's cases: a run has few accounts, each masked once (REC-PERF-1). */
class AccountMasks {
  private readonly masks = new Map<string, string>();
  of(accountId: string): string {
    let masked = this.masks.get(accountId);
    if (masked === undefined) {
      masked = maskId(accountId);
      if (this.masks.size < 100_000) this.masks.set(accountId, masked);
    }
    return masked;
  }
}

/** One exception of a run, as a case shows it (masked, PCI-3). */
function memberOf(item: UnmatchedItem, lookups: RunLookups, accounts: AccountMasks): CaseMember {
  // Built by assignment, not spreads: a big run has 10^5–10^6 exceptions (bench:workbench).
  const id = maskId(item.id);
  const candidateId = item.candidateId ? maskId(item.candidateId) : '';
  let member: CaseMember;
  let bankReference: string | undefined;
  if (item.side === 'statement') {
    const line = lookups.statementLine(item.id);
    member = {
      side: 'statement',
      id,
      reason: item.reason,
      ageDays: item.ageDays,
      accountId: accounts.of(line?.accountId ?? ''),
      currency: line?.currency ?? '',
      amount: line?.amount ?? '',
      statementLineId: id,
    };
    bankReference = line?.bankReference;
  } else {
    const entry = lookups.ledgerEntry(item.id);
    member = { side: 'ledger', id, reason: item.reason, ageDays: item.ageDays, accountId: accounts.of(entry?.accountId ?? ''), currency: entry?.currency ?? '', amount: entry?.amount ?? '' };
    if (candidateId) member.statementLineId = candidateId;
    bankReference = item.candidateId ? lookups.statementLine(item.candidateId)?.bankReference : undefined;
  }
  if (bankReference) member.bankReference = maskId(bankReference);
  if (candidateId) member.candidateId = candidateId;
  if (item.detail) {
    const detail = maskText(item.detail);
    if (detail) member.detail = detail;
  }
  return member;
}

/** A lone exception's case. */
function loneCase(member: CaseMember, runId: string, asOf: string, at: string): ExceptionCase {
  const c: ExceptionCase = {
    caseId: `exception:${member.side}:${member.id}`,
    kind: 'exception',
    runId,
    asOf,
    side: member.side,
    reason: member.reason,
    accountId: member.accountId,
    currency: member.currency,
    amount: member.amount,
    ageDays: member.ageDays,
    ledgerEntryIds: member.side === 'ledger' ? [member.id] : member.candidateId ? [member.candidateId] : [],
    status: 'OPEN',
    version: 1,
    updatedAt: at,
  };
  if (member.statementLineId) c.statementLineId = member.statementLineId;
  if (member.bankReference) c.bankReference = member.bankReference;
  if (member.detail) c.detail = member.detail;
  return c;
}

/** REC-CASE-1: per currency of its members, the statement side's sum, the ledger side's and their difference (exact). */
export function caseTotals(members: readonly CaseMember[]): CaseTotals[] {
  const byCurrency = new Map<string, { statement: string[]; ledger: string[] }>();
  for (const member of members) {
    if (!isDecimal(member.amount)) continue;
    let sides = byCurrency.get(member.currency);
    if (!sides) byCurrency.set(member.currency, (sides = { statement: [], ledger: [] }));
    sides[member.side].push(member.amount);
  }
  return [...byCurrency.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, sides]) => {
      const statement = sumAmounts(sides.statement, currency);
      const ledger = sumAmounts(sides.ledger, currency);
      return { currency, statement, ledger, difference: subtractAmounts(statement, ledger, currency) };
    });
}

/** Statement members first, then by id (the results files' order). */
function memberOrder(a: CaseMember, b: CaseMember): number {
  if (a.side !== b.side) return a.side === 'statement' ? -1 : 1;
  return idCompare(a.id, b.id);
}

/** REC-CASE-1: the one case of the exceptions that share a group. */
function groupCase(group: string, members: CaseMember[], runId: string, asOf: string, at: string): ExceptionCase {
  const sorted = [...members].sort(memberOrder);
  const first = sorted[0]!;
  const sides = new Set(sorted.map((member) => member.side));
  const totals = caseTotals(sorted);
  const own = totals.find((total) => total.currency === first.currency);
  const statementCount = sorted.filter((member) => member.side === 'statement').length;
  const ledgerEntryIds = [...new Set(sorted.flatMap((member) => (member.side === 'ledger' ? [member.id] : member.candidateId ? [member.candidateId] : [])))];
  const statementLineId = sorted.find((member) => member.statementLineId)?.statementLineId;
  const bankReference = sorted.find((member) => member.bankReference)?.bankReference;
  return {
    caseId: `group:${group}`,
    kind: 'exception',
    runId,
    asOf,
    side: sides.size === 2 ? 'both' : first.side,
    reason: first.reason,
    accountId: first.accountId,
    currency: first.currency,
    amount: own ? (statementCount > 0 ? own.statement : own.ledger) : first.amount,
    ageDays: Math.max(...sorted.map((member) => member.ageDays)),
    ...(statementLineId ? { statementLineId } : {}),
    ...(bankReference ? { bankReference } : {}),
    ledgerEntryIds,
    detail: `${sorted.length} exceptions worked as one case: ${statementCount} statement, ${sorted.length - statementCount} ledger`,
    group,
    members: sorted,
    totals,
    status: 'OPEN',
    version: 1,
    updatedAt: at,
  };
}

/**
 * Pure, the one case builder (REC-CASE-1): the cases a run's match result reports. Exceptions that
 * share a `group` are one case (`group:<group>`) listing every member with per-side totals; a lone
 * exception is one case (`exception:<side>:<id>`); a PROPOSED match is one case (`match:<matchId>`);
 * confirmed matches are no case. Every exception is in exactly one case.
 */
export function casesFromResult(run: { runId: string; asOf: string; at: string }, result: MatchResult, lookups: RunLookups): ExceptionCase[] {
  return [...caseStream(run, result, lookups)];
}

/** The (masked) group an exception's case is keyed by; undefined for an exception that stands alone (its own case). */
function caseGroupOf(item: UnmatchedItem): string | undefined {
  return item.group === undefined || item.group === '' ? undefined : maskId(item.group);
}

/** How many cases caseStream yields for `result`, without building them: its lone exceptions, its distinct (masked) groups, its proposed matches. */
export function caseCount(result: MatchResult): number {
  let count = 0;
  const groups = new Set<string>();
  for (const item of result.unmatched) {
    const group = caseGroupOf(item);
    if (group === undefined) count += 1;
    else groups.add(group);
  }
  for (const match of result.matches) if (match.status === 'proposed') count += 1;
  return count + groups.size;
}

/**
 * The run's cases one at a time, in casesFromResult's order: its lone exceptions, its groups, its
 * proposed matches. REC-PERF-1: a case sink that hands them on in batches holds none of them.
 */
export function* caseStream(run: { runId: string; asOf: string; at: string }, result: MatchResult, lookups: RunLookups): Generator<ExceptionCase> {
  const { runId, asOf, at } = run;
  const groups = new Map<string, CaseMember[]>();
  const accounts = new AccountMasks();
  for (const item of result.unmatched) {
    const member = memberOf(item, lookups, accounts);
    const group = caseGroupOf(item);
    if (group === undefined) {
      yield loneCase(member, runId, asOf, at);
      continue;
    }
    const members = groups.get(group);
    if (members) members.push(member);
    else groups.set(group, [member]);
  }
  for (const [group, members] of groups) yield groupCase(group, members, runId, asOf, at);
  for (const match of result.matches) {
    if (match.status !== 'proposed') continue;
    yield proposedMatchCase(match, runId, asOf, at, lookups, accounts);
  }
}

/** The masked ledger entry ids of a match, each once, in order (most matches name one). */
function maskedEntryIds(ids: readonly string[]): string[] {
  if (ids.length === 1) return [maskId(ids[0]!)];
  return [...new Set(ids.map(maskId))];
}

/**
 * A proposed match's case. Built by assignment in the case's field order (REC-PERF-1: a big run
 * has 10^4–10^5 of them), the optional fields in their places.
 */
function proposedMatchCase(match: Match, runId: string, asOf: string, at: string, lookups: RunLookups, accounts: AccountMasks): ExceptionCase {
  const ids = match.statementLineIds;
  const first = ids.length > 0 ? lookups.statementLine(ids[0]!) : undefined;
  const facts = first ? statementLineFacts(first, asOf) : undefined;
  let amount = facts?.amount ?? '';
  if (ids.length > 1 && first) {
    // Several lines of one currency, each with a decimal amount: their sum.
    const amounts: string[] = [];
    for (const lineId of ids) {
      const line = lineId === ids[0] ? first : lookups.statementLine(lineId);
      if (line === undefined || line.currency !== first.currency || !isDecimal(line.amount)) break;
      amounts.push(line.amount);
    }
    if (amounts.length === ids.length) amount = sumAmounts(amounts, first.currency);
  }
  const c = {
    caseId: `match:${maskId(match.matchId)}`,
    kind: 'proposed-match',
    runId,
    asOf,
    side: 'both',
    reason: 'PROPOSED_MATCH',
    accountId: accounts.of(facts?.accountId ?? ''),
    currency: facts?.currency ?? '',
    amount,
    ageDays: facts?.ageDays ?? 0,
  } as ExceptionCase;
  const statementLineId = ids[0];
  if (statementLineId !== undefined) c.statementLineId = maskId(statementLineId);
  const bankReference = first?.bankReference;
  if (bankReference) c.bankReference = maskId(bankReference);
  c.ledgerEntryIds = maskedEntryIds(match.ledgerEntryIds);
  c.ruleId = match.ruleId;
  c.confidence = formatConfidence(match.confidence);
  c.status = 'OPEN';
  c.version = 1;
  c.updatedAt = at;
  return c;
}

/**
 * A run's results files read back as the result they were written from (for run directories
 * written before the workbench got the result itself): the exceptions and matches, the ledger
 * entries the exception rows describe, and the bank references and amounts the rows name.
 */
export function resultFromRows(
  exceptions: readonly ExceptionRow[],
  matches: readonly MatchRow[],
): { result: MatchResult; statementLines: Map<string, CaseStatementLine>; ledgerEntries: Map<string, CaseLedgerEntry> } {
  const statementLines = new Map<string, CaseStatementLine>();
  const ledgerEntries = new Map<string, CaseLedgerEntry>();
  const references = new Map<string, string>();
  const unmatched: UnmatchedItem[] = [];
  for (const row of exceptions) {
    const ageDays = Number.parseInt(row.ageDays, 10);
    const candidateId = row.side === 'statement' ? row.ledgerEntryId : row.statementLineId;
    const item: UnmatchedItem = { side: row.side, id: row.id, reason: row.reason as ExceptionReason, ageDays: Number.isSafeInteger(ageDays) ? ageDays : 0 };
    if (candidateId) item.candidateId = candidateId;
    if (row.detail) item.detail = row.detail;
    if (row.group) item.group = row.group;
    unmatched.push(item);
    if (row.side === 'statement') {
      statementLines.set(row.id, { statementLineId: row.id, accountId: row.accountId, currency: row.currency, amount: row.amount, bookingDate: null, valueDate: null });
      if (row.bankReference) references.set(row.id, row.bankReference);
    } else {
      ledgerEntries.set(row.id, { entryId: row.id, accountId: row.accountId, currency: row.currency, amount: row.amount });
      if (row.bankReference && row.statementLineId) references.set(row.statementLineId, row.bankReference);
    }
  }
  const byMatch = new Map<string, Match>();
  for (const row of matches) {
    let match = byMatch.get(row.matchId);
    if (!match) {
      const confidence = Number(row.confidence);
      match = {
        matchId: row.matchId,
        ruleId: row.ruleId,
        confidence: Number.isFinite(confidence) ? confidence : 0,
        status: row.status === 'proposed' ? 'proposed' : 'confirmed',
        statementLineIds: [],
        ledgerEntryIds: [],
      };
      byMatch.set(row.matchId, match);
    }
    if (row.statementLineId && !match.statementLineIds.includes(row.statementLineId)) match.statementLineIds.push(row.statementLineId);
    if (row.ledgerEntryId && !match.ledgerEntryIds.includes(row.ledgerEntryId)) match.ledgerEntryIds.push(row.ledgerEntryId);
    if (row.bankReference && row.statementLineId) references.set(row.statementLineId, row.bankReference);
  }
  for (const [lineId, bankReference] of references) {
    const line = statementLines.get(lineId);
    // The lines here are this function's own objects: completed in place.
    if (line) line.bankReference = bankReference;
    else statementLines.set(lineId, { statementLineId: lineId, accountId: '', currency: '', amount: '', bookingDate: null, valueDate: null, bankReference });
  }
  return { result: { matches: [...byMatch.values()], unmatched }, statementLines, ledgerEntries };
}

/**
 * Lookups over the run's own statement lines (dates, amounts) completed by what its result rows
 * name (bank references, ledger entries): the read-back paths (run directories, cases.json from
 * CSV rows) build the same lookups the in-process run hands over.
 */
export function rowLookups(
  lines: (id: string) => CaseStatementLine | undefined,
  rows: { statementLines: ReadonlyMap<string, CaseStatementLine>; ledgerEntries: ReadonlyMap<string, CaseLedgerEntry> },
): RunLookups {
  return {
    statementLine: (id) => {
      const line = lines(id);
      const fromRows = rows.statementLines.get(id);
      if (!line) return fromRows;
      return fromRows?.bankReference && !line.bankReference ? { ...line, bankReference: fromRows.bankReference } : line;
    },
    ledgerEntry: (id) => rows.ledgerEntries.get(id),
  };
}

export interface ImportPlan {
  /** New cases (version 1), each with its `import` event. */
  raised: { next: ExceptionCase; event: CaseEvent }[];
  /**
   * Known cases the run still reports: their run id and age follow the latest run, and a grouped
   * case's members (with its totals, amount, ledger entries and detail) follow the group as the run
   * reports it (REC-CASE-1). No version change, no event.
   */
  refreshed: ExceptionCase[];
  /** CLEARED cases the run reports again: OPEN again, with an `import` event (the bank reports them once more). */
  reopened: { next: ExceptionCase; event: CaseEvent }[];
  /** OPEN / PENDING_APPROVAL cases the run no longer reports: CLEARED by the system. */
  cleared: { next: ExceptionCase; event: CaseEvent }[];
  /** REC-DASH-1: the run's statistics, kept with the import (absent for a cases file written before them). */
  stats?: RunStats;
}

/** What of a grouped case follows the group as the latest run reports it (REC-CASE-1); nothing for other cases. */
function groupFacts(c: ExceptionCase): Partial<ExceptionCase> {
  if (!c.members) return {};
  return { members: c.members, totals: c.totals ?? [], amount: c.amount, ledgerEntryIds: c.ledgerEntryIds, ...(c.detail !== undefined ? { detail: c.detail } : {}) };
}

/** The as-of date of the run that reports the case now (the age counts to it). */
function asOfOf(c: ExceptionCase): Partial<ExceptionCase> {
  return c.asOf ? { asOf: c.asOf } : {};
}

function groupChanged(previous: ExceptionCase, incoming: ExceptionCase): boolean {
  if (!incoming.members) return false;
  return JSON.stringify(previous.members) !== JSON.stringify(incoming.members) || JSON.stringify(previous.totals) !== JSON.stringify(incoming.totals);
}

/**
 * Pure: how a run's cases change the workbench. A case is never lost: worked cases (RESOLVED,
 * WRITTEN_OFF) stay as they are; a case a later run no longer reports is CLEARED, not deleted.
 * Only cases of the accounts the run covered (its statements' accounts) are cleared: a run says
 * nothing about other accounts.
 */
export function planImport(existing: readonly ExceptionCase[], incoming: readonly ExceptionCase[], run: { runId: string; coveredAccounts: ReadonlySet<string> }, at: string): ImportPlan {
  const { runId, coveredAccounts: accounts } = run;
  const plan: ImportPlan = { raised: [], refreshed: [], reopened: [], cleared: [] };
  // A first import of the accounts (REC-PERF-1): every case is new, nothing to look up or clear.
  const known = existing.length > 0 ? new Map(existing.map((c) => [c.caseId, c])) : undefined;
  for (const c of incoming) {
    const previous = known?.get(c.caseId);
    if (!previous) {
      plan.raised.push({ next: c, event: { caseId: c.caseId, version: 1, action: 'import', actor: SYSTEM_ACTOR, at, to: 'OPEN', detail: `raised by run ${runId}: ${c.reason}` } });
    } else if (previous.status === 'CLEARED') {
      const next: ExceptionCase = { ...previous, ...groupFacts(c), ...asOfOf(c), status: 'OPEN', runId, ageDays: c.ageDays, version: previous.version + 1, updatedAt: at };
      plan.reopened.push({
        next,
        event: { caseId: c.caseId, version: next.version, action: 'import', actor: SYSTEM_ACTOR, at, from: 'CLEARED', to: 'OPEN', detail: `reported again by run ${runId}: ${c.reason}` },
      });
    } else if (previous.runId !== runId || previous.ageDays !== c.ageDays || groupChanged(previous, c)) {
      plan.refreshed.push({ ...previous, ...groupFacts(c), ...asOfOf(c), runId, ageDays: c.ageDays });
    }
  }
  if (existing.length === 0) return plan;
  const reported = new Set<string>();
  for (const c of incoming) reported.add(c.caseId);
  for (const c of existing) {
    if (reported.has(c.caseId) || c.runId === runId || !accounts.has(c.accountId)) continue;
    if (c.status !== 'OPEN' && c.status !== 'PENDING_APPROVAL') continue;
    const { writeOff: _writeOff, ...rest } = c;
    const next: ExceptionCase = { ...rest, status: 'CLEARED', runId, version: c.version + 1, updatedAt: at };
    plan.cleared.push({
      next,
      event: { caseId: c.caseId, version: next.version, action: 'clear', actor: SYSTEM_ACTOR, at, from: c.status, to: 'CLEARED', detail: `run ${runId} no longer reports it` },
    });
  }
  return plan;
}
