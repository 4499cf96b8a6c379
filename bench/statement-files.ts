/**
 * Statement files for the benchmarks (bench:recon-cli, bench:parse): the labelled generator's
 * lines written as real camt.053.001.08 and MT940 files, one statement per account and currency,
 * with balances that add up. Not shipped; not a test.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { CURRENCY_EXPONENTS } from '../src/domain/money';
import type { LabelledSet } from '../src/recon/matching';
import type { StatementLine } from '../src/recon/types';

/** Buffered file writer: strings gathered into ~4 MB writes. */
export class Out {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  put(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size > 1 << 22) this.flush();
  }
  flush(): void {
    if (this.parts.length > 0) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export interface Statement {
  accountId: string;
  currency: string;
  lines: StatementLine[];
}

/** The labelled set's lines grouped into one statement per account and currency, in line-id order. */
export function statementsOf(set: LabelledSet): Statement[] {
  const byKey = new Map<string, Statement>();
  for (const line of set.statementLines) {
    const key = `${line.accountId} ${line.currency}`;
    let statement = byKey.get(key);
    if (!statement) byKey.set(key, (statement = { accountId: line.accountId, currency: line.currency, lines: [] }));
    statement.lines.push(line);
  }
  return [...byKey.values()];
}

/** Exact sum of decimal strings of one currency, in minor units. */
function minor(amount: string, exponent: number): bigint {
  const negative = amount.startsWith('-');
  const [whole, fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
  const value = BigInt(whole!) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  return negative ? -value : value;
}

function decimal(value: bigint, exponent: number, separator = '.'): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(exponent + 1, '0');
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}${separator}${digits.slice(-exponent)}`;
  return negative ? `-${text}` : text;
}

const OPENING = 1_000_000n;

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** camt.053.001.08: one Stmt per account and currency, OPBD/CLBD balances, one Ntry per line. */
export function writeCamt(path: string, statements: readonly Statement[], asOf: string): void {
  const out = new Out(path);
  out.put('<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n<BkToCstmrStmt>\n');
  out.put(`<GrpHdr><MsgId>BENCH-${asOf}</MsgId><CreDtTm>${asOf}T18:00:00</CreDtTm></GrpHdr>\n`);
  statements.forEach((statement, index) => {
    const exponent = CURRENCY_EXPONENTS[statement.currency]!;
    const opening = OPENING * 10n ** BigInt(exponent);
    let closing = opening;
    for (const line of statement.lines) closing += minor(line.amount, exponent);
    const balance = (code: string, value: bigint): string =>
      `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="${statement.currency}">${decimal(value < 0n ? -value : value, exponent)}</Amt><CdtDbtInd>${value < 0n ? 'DBIT' : 'CRDT'}</CdtDbtInd><Dt><Dt>${asOf}</Dt></Dt></Bal>\n`;
    out.put(`<Stmt>\n<Id>BENCH-${index + 1}</Id>\n<ElctrncSeqNb>${index + 1}</ElctrncSeqNb>\n<CreDtTm>${asOf}T18:00:00</CreDtTm>\n`);
    out.put(`<Acct><Id><Othr><Id>${statement.accountId}</Id></Othr></Id><Ccy>${statement.currency}</Ccy></Acct>\n`);
    out.put(balance('OPBD', opening));
    out.put(balance('CLBD', closing));
    for (const line of statement.lines) {
      const debit = line.amount.startsWith('-');
      const refs = (line.endToEndId ? `<EndToEndId>${xml(line.endToEndId)}</EndToEndId>` : '') + (line.customerReference ? `<InstrId>${xml(line.customerReference)}</InstrId>` : '');
      out.put(
        `<Ntry><Amt Ccy="${line.currency}">${debit ? line.amount.slice(1) : line.amount}</Amt><CdtDbtInd>${debit ? 'DBIT' : 'CRDT'}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>` +
          `<BookgDt><Dt>${line.bookingDate}</Dt></BookgDt><ValDt><Dt>${line.valueDate}</Dt></ValDt>` +
          (line.bankReference ? `<AcctSvcrRef>${xml(line.bankReference)}</AcctSvcrRef>` : '') +
          `<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>` +
          `<NtryDtls>${line.batchItemCount !== undefined ? `<Btch><NbOfTxs>${line.batchItemCount}</NbOfTxs></Btch>` : ''}` +
          `<TxDtls>${refs ? `<Refs>${refs}</Refs>` : ''}<RltdPties><${debit ? 'Cdtr' : 'Dbtr'}><Pty><Nm>Counterparty ${line.accountId.slice(-4)}</Nm></Pty></${debit ? 'Cdtr' : 'Dbtr'}></RltdPties>` +
          `<RmtInf><Ustrd>Payment ${line.endToEndId ?? line.customerReference ?? line.bankReference ?? ''}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n`,
      );
    }
    out.put('</Stmt>\n');
  });
  out.put('</BkToCstmrStmt>\n</Document>\n');
  out.close();
}

const yymmdd = (date: string): string => date.slice(2, 4) + date.slice(5, 7) + date.slice(8, 10);

/** MT940: one message per account and currency (:60F:/:62F: adding up), :61: + a structured :86: per line. */
export function writeMt940(path: string, statements: readonly Statement[], asOf: string): void {
  const out = new Out(path);
  statements.forEach((statement, index) => {
    const exponent = CURRENCY_EXPONENTS[statement.currency]!;
    const opening = OPENING * 10n ** BigInt(exponent);
    let closing = opening;
    for (const line of statement.lines) closing += minor(line.amount, exponent);
    const balance = (value: bigint): string => `${value < 0n ? 'D' : 'C'}${yymmdd(asOf)}${statement.currency}${decimal(value < 0n ? -value : value, exponent, ',')}${exponent === 0 ? ',' : ''}`;
    out.put(`:20:BENCH${index + 1}\n:25:${statement.accountId}\n:28C:${index + 1}/1\n:60F:${balance(opening)}\n`);
    for (const line of statement.lines) {
      const debit = line.amount.startsWith('-');
      const amount = decimal(minor(debit ? line.amount.slice(1) : line.amount, exponent), exponent, ',') + (exponent === 0 ? ',' : '');
      const own = line.customerReference ?? 'NONREF';
      out.put(`:61:${yymmdd(line.valueDate!)}${line.bookingDate!.slice(5, 7)}${line.bookingDate!.slice(8, 10)}${debit ? 'D' : 'C'}${amount}NTRF${own}//${line.bankReference ?? ''}\n`);
      const eref = line.endToEndId && line.endToEndId !== 'NOTPROVIDED' ? `?20EREF+${line.endToEndId}` : '';
      out.put(`:86:166?00GUTSCHRIFT${eref}?21SVWZ+Payment ${line.accountId.slice(-6)}?32Counterparty ${line.accountId.slice(-4)}\n`);
    }
    out.put(`:62F:${balance(closing)}\n-\n`);
  });
  out.close();
}
