/**
 * A statement's identity (REC-OUT-2): what makes a re-sent statement the same statement, however
 * its file is encoded. Pure (no storage): the local registry (./registry.ts) and the AWS normalise
 * step's identity claims both key on it.
 */
import { createHash } from 'node:crypto';
import { statementRowsOf, type StatementOfRows } from '../statement-rows';
import type { ParsedStatement, StatementFormat } from '../types';

/** One statement by identity: what makes a re-sent statement the same statement. */
export interface StatementIdentity {
  /** SHA-256 (hex) of the identity fields: the registry key. */
  key: string;
  format: StatementFormat;
  accountId: string;
  statementId: string;
  /** `<first date>..<last date>` of the statement's lines (booking, else value date); empty without dates. */
  period: string;
}

/** Formats whose statement id is made up by the parser (no id in the file): their lines' content is part of the identity. */
const SYNTHETIC_STATEMENT_IDS: ReadonlySet<StatementFormat> = new Set(['csv']);

/**
 * A statement's identity (REC-OUT-2): its format, account, statement id (camt Stmt/Rpt/Ntfctn Id;
 * MT940/942 :20: reference with the :28C: statement/sequence number; BAI2 account, as-of date and
 * group/account ordinal) and period (the first and last date of its lines). A CSV statement has
 * no id of its own, so its identity also covers its lines' normalised content (amounts, dates,
 * references): the same export re-encoded is the same statement, a new export of the same days
 * is not. Computed from the parsed statement, never from the bytes, so every re-encoding of a
 * file gives the same identities.
 */
export function statementIdentity(format: StatementFormat, statement: ParsedStatement | StatementOfRows): StatementIdentity {
  // REC-PERF-1: the lines are read by row and field (a large file's are columns, not objects).
  const rows = 'rows' in statement ? statement.rows : statementRowsOf(statement.lines);
  let first = '';
  let last = '';
  for (let row = 0; row < rows.length; row += 1) {
    const date = rows.bookingDate(row) ?? rows.valueDate(row);
    if (!date) continue;
    if (first === '' || date < first) first = date;
    if (last === '' || date > last) last = date;
  }
  const period = first ? `${first}..${last}` : '';
  const hash = createHash('sha256').update(JSON.stringify([format, statement.accountId, statement.currency, statement.statementId, period]));
  if (SYNTHETIC_STATEMENT_IDS.has(format)) {
    for (let row = 0; row < rows.length; row += 1) {
      hash.update(
        `\n${JSON.stringify([
          rows.amount(row),
          rows.bookingDate(row),
          rows.valueDate(row),
          rows.endToEndId(row) ?? '',
          rows.bankReference(row) ?? '',
          rows.customerReference(row) ?? '',
          rows.remittanceInformation(row) ?? '',
          rows.counterparty(row) ?? '',
        ])}`,
      );
    }
  }
  return { key: hash.digest('hex'), format, accountId: statement.accountId, statementId: statement.statementId, period };
}
