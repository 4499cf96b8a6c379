/**
 * Reconciliation (REC-1): the shared shapes between statement parsers, the ledger
 * side, the matching engine and the run store. Pure types: no I/O.
 *
 * Amounts are signed decimal strings from the ACCOUNT's point of view: positive = money in
 * (a CRDT entry on the statement), negative = money out (DBIT). Never floats.
 */

export type StatementFormat = 'camt.052' | 'camt.053' | 'camt.054' | 'mt940' | 'mt942' | 'bai2' | 'csv';

/** Where a line came from, for error messages and audit ("file X line 12" / "element Ntry[3]"). */
export interface SourcePosition {
  file: string;
  /** 1-based line number (text formats). */
  line?: number;
  /** XPath-like element path (XML formats), e.g. "Document/BkToCstmrStmt/Stmt[1]/Ntry[3]". */
  element?: string;
}

/** One statement line, normalised. */
export interface StatementLine {
  /** Deterministic id: `<file content hash, 12 hex>:<statement index>:<line index>`. */
  statementLineId: string;
  format: StatementFormat;
  statementId: string;
  /** The account as the statement identifies it (IBAN, or the bank's account number). */
  accountId: string;
  currency: string;
  /** Signed exact decimal string with the currency's precision: + credit, - debit. */
  amount: string;
  /** YYYY-MM-DD, or null when the format gives none. */
  bookingDate: string | null;
  valueDate: string | null;
  endToEndId?: string;
  /** AcctSvcrRef in camt, the bank reference in MT940 :61:, the bank reference in BAI2 16. */
  bankReference?: string;
  customerReference?: string;
  remittanceInformation?: string;
  counterparty?: string;
  /** Bank transaction code (camt BkTxCd, MT940 transaction type, BAI2 type code). */
  typeCode?: string;
  /** BOOK / PDNG / INFO (camt Sts), or the format's equivalent. */
  status?: string;
  /** Number of underlying items when the line is a batch booking (camt NbOfTxs / TxDtls count). */
  batchItemCount?: number;
  /**
   * REC-IN-6: set on the item lines of a batch booking split into its items (camt TxDtls that sum to
   * the entry): the batch's own reference (the entry's AcctSvcrRef, else PmtInfId/MsgId) and the
   * item's place in it. Every item of one batch carries the same batchReference.
   */
  batchReference?: string;
  batchItem?: { index: number; of: number };
  /** REC-IN-6: why a batch booking with item details was kept whole (items do not sum, no amounts…). */
  batchFault?: string;
  /**
   * REC-MT940-8: bank-specific fields (MT940 `:NS:` and the like) kept as raw text, in file order,
   * never folded into the field before them. Masked like any free text (PCI-3).
   */
  otherFields?: { tag: string; text: string; line?: number }[];
  position: SourcePosition;
}

/** REC-IN-4/5: why a statement line is reported but never matched. */
export type ExclusionReason = 'PENDING' | 'FOREIGN_CURRENCY';

/** Opening + movements = closing, per statement (where the format carries balances). */
export interface BalanceProof {
  statementId: string;
  accountId: string;
  currency: string;
  opening: string;
  movements: string;
  closing: string;
  /** closing - (opening + movements); "0.00" when the statement proves. */
  difference: string;
  ok: boolean;
  /**
   * Set when the proof cannot hold for a reason other than arithmetic, e.g. a balance in another
   * currency than the statement's (then `ok` is false and the amounts are face values).
   */
  fault?: string;
}

export interface ParsedStatement {
  statementId: string;
  accountId: string;
  currency: string;
  lines: StatementLine[];
  balance?: BalanceProof;
}

export interface ParsedStatementFile {
  file: string;
  format: StatementFormat;
  /** SHA-256 of the file's bytes: re-uploads are detected by it. */
  contentHash: string;
  statements: ParsedStatement[];
}

/** A syntax fault at a 1-based line of a text the caller names (XML tokenizer, CSV reader). */
export class LineSyntaxError extends Error {
  override name = 'LineSyntaxError';
  constructor(
    readonly line: number,
    readonly fault: string,
  ) {
    super(`line ${line}: ${fault}`);
  }
}

/** A problem with the input, naming the file and the line or element. Always quarantines the file. */
export class StatementParseError extends Error {
  override name = 'StatementParseError';
  constructor(
    readonly position: SourcePosition,
    readonly fault: string,
  ) {
    super(`${position.file}${position.line !== undefined ? `:${position.line}` : ''}${position.element ? ` (${position.element})` : ''}: ${fault}`);
  }
}

/** The ledger side: a CSV or NDJSON ledger file, or the posting pipeline's state. */
export interface LedgerEntry {
  entryId: string;
  accountId: string;
  currency: string;
  /** Signed decimal string from the account's point of view: + money in. */
  amount: string;
  bookingDate: string;
  valueDate: string;
  reference: string;
  description: string;
}

/** Why an item is left unmatched: the one list (the workbench's filters read it too). */
export const EXCEPTION_REASONS = ['UNMATCHED', 'AMOUNT_MISMATCH', 'DUPLICATE', 'SPLIT_INCOMPLETE', 'STALE'] as const;
export type ExceptionReason = (typeof EXCEPTION_REASONS)[number];

export interface Match {
  matchId: string;
  ruleId: string;
  /** 0..1, four decimals. */
  confidence: number;
  status: 'confirmed' | 'proposed';
  statementLineIds: string[];
  ledgerEntryIds: string[];
}

export interface UnmatchedItem {
  side: 'statement' | 'ledger';
  id: string;
  reason: ExceptionReason;
  /** Days between the item's booking date and the run's as-of date. */
  ageDays: number;
  /** The nearest candidate on the other side, when there is one (e.g. for AMOUNT_MISMATCH). */
  candidateId?: string;
  detail?: string;
  /**
   * REC-CASE-1: a key shared by the exceptions that belong together and are worked as one case
   * (a batch booking's statement line and its ledger items, or several statement lines and their
   * one ledger entry). Absent for an exception that stands alone.
   */
  group?: string;
}

export interface MatchResult {
  matches: Match[];
  unmatched: UnmatchedItem[];
}
