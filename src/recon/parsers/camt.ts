/**
 * ISO 20022 bank-to-customer cash management: camt.053 (statement, BkToCstmrStmt/Stmt),
 * camt.052 (account report, BkToCstmrAcctRpt/Rpt) and camt.054 (debit/credit notification,
 * BkToCstmrDbtCdtNtfctn/Ntfctn), versions 001.01 to 001.08 (CAMT_VERSIONS; any other version is
 * rejected, REC-IN-3); the type and version come from the Document namespace
 * (urn:iso:std:iso:20022:tech:xsd:camt.05x.001.NN).
 *
 * Streaming: the XML is tokenized chunk by chunk; only one child of a statement (one Ntry, one
 * Bal, the Acct...) is held as a small tree at a time, and each Ntry becomes one StatementLine as
 * soon as its closing tag is read.
 *
 * Mapping (per Ntry): Amt + CdtDbtInd → signed amount (CRDT +, DBIT -; with RvslInd the indicator
 * already gives the booking's direction); BookgDt/ValDt (Dt or DtTm: the calendar date as
 * written); Ntry AcctSvcrRef → bankReference; TxDtls/Refs EndToEndId → endToEndId (NOTPROVIDED is
 * no id), InstrId / MsgId / PmtInfId → customerReference (for a batch: the Btch PmtInfId/MsgId);
 * RmtInf Ustrd + Strd (creditor reference, referred document numbers, additional info) →
 * remittanceInformation; counterparty = the debtor's name for a credit, the creditor's for a debit
 * (v2 Nm or v8 Pty/Nm, then agent name/BIC, then the account); BkTxCd Domn/Cd/Fmly/Cd/SubFmlyCd
 * ("PMNT/RCDT/DMCT") or Prtry/Cd → typeCode; Sts (text, or Cd/Prtry from 001.07 on) → status;
 * NtryDtls/Btch/NbOfTxs or several TxDtls → batchItemCount.
 *
 * Batch entries (REC-1): an entry with several TxDtls becomes one line per TxDtls when every item
 * has an amount in the entry's currency (TxDtls/Amt, else AmtDtls/TxAmt/Amt; its CdtDbtInd, else
 * the entry's), NbOfTxs (when given) counts them, and the signed items sum to the entry: each line
 * has the item's amount, EndToEndId, references, remittance and counterparty, the entry's dates,
 * status and type, and batchReference (the entry's AcctSvcrRef, else the batch PmtInfId/MsgId) +
 * batchItem. Otherwise the entry stays one line with batchItemCount and batchFault saying why.
 *
 * Balance proof per statement: opening = OPBD (else PRCD), closing = CLBD, movements = the booked
 * entries (status BOOK or no status; PDNG/INFO entries do not move the booked balance) in the
 * statement's currency; booked entries in another currency are left out and named in the fault.
 *
 * Bounds (REC-IN-1): every element's text by its ISO 20022 type (CAMT_TEXT, else
 * CAMT_TEXT_DEFAULT), enforced by the tokenizer as the text arrives; at most CAMT_NODES_PER_CHILD
 * elements are held for one statement child, a batch entry's TxDtls counting one at a time (each
 * is reduced to a small item when it closes; at most CAMT_BATCH_ITEMS are kept). Identifiers are
 * masked with maskIdentifier, free text with maskText (PCI-2, PCI-3).
 */
import { StatementParseError, type SourcePosition, type StatementFormat, type StatementLine } from '../types';
import {
  balanceProof,
  bounded,
  checkCurrency,
  decimalToMinor,
  fail,
  finishLine,
  finishSummary,
  formatMinor,
  isoDatePart,
  maskIdentifier,
  statementLineId,
  type ParseContext,
  type StatementSink,
  type TextParser,
} from './common';
import { CAMT_NODES_PER_CHILD as NODES_PER_CHILD, CAMT_TEXT, CAMT_TEXT_DEFAULT as TEXT_DEFAULT, CAMT_VERSIONS, LINE_FIELDS } from './limits';
import { XmlSyntaxError, XmlTokenizer, type XmlHandler } from './xml';

export type CamtMessageType = 'camt.052' | 'camt.053' | 'camt.054';

export interface CamtVersion {
  type: CamtMessageType;
  /** e.g. "001.02" */
  version: string;
  namespace: string;
}

const NAMESPACE = /^urn:iso:std:iso:20022:tech:xsd:(camt\.05[234])\.(\d{3}\.\d{2})$/;

/** camt message type and version from a Document namespace URI (any version: see isSupportedCamtVersion). */
export function camtVersionFromNamespace(namespace: string): CamtVersion | undefined {
  const match = NAMESPACE.exec(namespace.trim());
  if (!match) return undefined;
  return { type: match[1] as CamtMessageType, version: match[2]!, namespace: namespace.trim() };
}

/** REC-IN-3: only the versions in CAMT_VERSIONS (listed in docs/reconciliation.md) are read. */
export function isSupportedCamtVersion(version: CamtVersion): boolean {
  return CAMT_VERSIONS.includes(version.version);
}

const MESSAGE_ROOT: Record<CamtMessageType, { root: string; statement: string }> = {
  'camt.053': { root: 'BkToCstmrStmt', statement: 'Stmt' },
  'camt.052': { root: 'BkToCstmrAcctRpt', statement: 'Rpt' },
  'camt.054': { root: 'BkToCstmrDbtCdtNtfctn', statement: 'Ntfctn' },
};

/** A small element tree for one statement child. */
export interface XNode {
  name: string;
  attrs: Record<string, string> | undefined;
  children: XNode[];
  text: string;
}

/**
 * Statement-child subtrees the mapping never reads (addresses, agents, charges, amount details,
 * transaction summaries…): skipped while streaming instead of being built.
 */
const UNUSED = new Set([
  'PstlAdr',
  'CtctDtls',
  'RltdAgts',
  'AmtDtls',
  'Chrgs',
  'Intrst',
  'Tax',
  'RltdDts',
  'RltdPric',
  'RltdQties',
  'FinInstrmId',
  'CorpActn',
  'SfkpgAcct',
  'CshDpst',
  'CardTx',
  'Purp',
  'RltdRmtInf',
  'TechInptChanl',
  'TxsSummry',
  'Ownr',
  'Svcr',
  'FrToDt',
  'AddtlInfInd',
  'SplmtryData',
  'RtrInf',
  'CdtLine',
  'Avlbty',
  'NtryRef',
  'RptgSrc',
]);

/** Shared empty child list (replaced on the first child): most nodes are leaves. */
const NO_CHILDREN: XNode[] = [];

function child(node: XNode | undefined, name: string): XNode | undefined {
  if (!node) return undefined;
  const list = node.children;
  for (let i = 0; i < list.length; i++) if (list[i]!.name === name) return list[i];
  return undefined;
}

/** Follows a path of child names (up to three: no array per call). */
function at(node: XNode | undefined, a: string, b?: string, c?: string): XNode | undefined {
  let current = child(node, a);
  if (b !== undefined) current = child(current, b);
  if (c !== undefined) current = child(current, c);
  return current;
}

function textOf(node: XNode | undefined): string | undefined {
  if (!node) return undefined;
  const value = node.text.trim();
  return value.length > 0 ? value : undefined;
}

function textAt(node: XNode | undefined, a: string, b?: string, c?: string): string | undefined {
  return textOf(at(node, a, b, c));
}

interface OpenStatement {
  index: number;
  /** 1-based, within the message: Stmt[n]. */
  ordinal: number;
  path: string;
  id?: string;
  accountId?: string;
  accountCurrency?: string;
  opening?: { minor: bigint; currency: string; code: string; text: string; element: string };
  closing?: { minor: bigint; currency: string; text: string; element: string };
  lineCount: number;
  entryOrdinal: number;
  balOrdinal: number;
  firstLineCurrency?: string;
  /** Booked movements by currency: only the statement's currency is in the proof (REC-1). */
  movements: Map<string, { minor: bigint; count: number; first: string }>;
}

/** Entries in a parser's memo of dates or currencies (a file with more distinct ones starts over). */
const MEMO_LIMIT = 4096;

/** At most this many TxDtls of one batch entry are split into lines (more: the entry stays whole, flagged). */
export const CAMT_BATCH_ITEMS = 10_000;

/** What one TxDtls of a batch entry gives its own line. */
interface BatchItem extends Pick<StatementLine, 'endToEndId' | 'bankReference' | 'customerReference' | 'remittanceInformation' | 'counterparty' | 'typeCode'> {
  /** TxDtls/Amt (001.03+) and AmtDtls/TxAmt/Amt, as written. */
  amounts: { text: string; currency: string | undefined }[];
  indicator: string | undefined;
}

/** CAMT_TEXT as a Map: looked up for every element name (a miss on a frozen object walks its prototype). */
const TEXT_LIMITS: ReadonlyMap<string, number> = new Map(Object.entries(CAMT_TEXT));
/** Read once: an imported binding may be a getter call on every use, and these are read per element. */
const CAMT_TEXT_DEFAULT = TEXT_DEFAULT;
const CAMT_NODES_PER_CHILD = NODES_PER_CHILD;

/** Parses camt.052/053/054 text pushed chunk by chunk into the sink. */
export class CamtParser implements TextParser, XmlHandler {
  private readonly tokenizer = new XmlTokenizer(this, true);
  private depth = 0;
  private version: CamtVersion | undefined;
  private rootName = '';
  private statementName = '';
  private statementOrdinal = 0;
  private current: OpenStatement | undefined;
  /** Stack of nodes being built for the current statement child (depth >= 4). */
  private readonly nodes: XNode[] = [];
  /** > 0 inside a subtree nobody reads (UNUSED): not built, only its nesting counted. */
  private skipping = 0;
  private statementIndex: number;
  /** Elements built for the current statement child (bounded by CAMT_NODES_PER_CHILD). */
  private childNodes = 0;
  /** TxDtls seen in the current statement child. */
  private txDtls = 0;
  /** childNodes when the current TxDtls opened: a reduced item gives its elements back. */
  private txStartNodes = 0;
  /** The current entry's TxDtls, each reduced to what its own line needs (REC-1: batch items). */
  private items: BatchItem[] = [];
  /**
   * The entry's first TxDtls (closed) and its direction as it was then: reduced to a BatchItem only
   * if a second one follows (most entries have one, read from the tree as the entry's own line).
   */
  private firstTx: { tx: XNode; indicator: string | undefined } | undefined;
  /** Dates as written → as read (valid ones only: a bad one fails each time it is read). */
  private readonly dates = new Map<string, string>();
  /** Currency codes checked valid, each kept as one string. */
  private readonly currencies = new Map<string, string>();

  constructor(
    private readonly ctx: ParseContext,
    private readonly sink: StatementSink,
    /** The statement index to start from (0 for a whole file). */
    firstStatementIndex = 0,
  ) {
    this.statementIndex = firstStatementIndex;
  }

  /** The camt type and version found in the Document namespace (after the root opened). */
  get detected(): CamtVersion | undefined {
    return this.version;
  }

  push(text: string): void {
    this.guard(() => this.tokenizer.push(text));
  }

  end(): void {
    this.guard(() => this.tokenizer.end());
  }

  line(): number {
    return this.tokenizer.line();
  }

  textLimit(name: string): number {
    return TEXT_LIMITS.get(name) ?? CAMT_TEXT_DEFAULT;
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (error instanceof XmlSyntaxError) {
        const open = this.tokenizer.openElements();
        fail({ file: this.ctx.file, line: error.line, element: open.length > 0 ? open.join('/') : undefined }, `malformed XML: ${error.fault}`);
      }
      if (error instanceof StatementParseError) {
        if (error.position.line !== undefined) throw error;
        throw new StatementParseError({ ...error.position, line: this.tokenizer.line() }, error.fault);
      }
      // REC-IN-2: nothing but the typed error leaves the reader (the original's text may hold content).
      const open = this.tokenizer.openElements();
      fail(
        { file: this.ctx.file, line: this.tokenizer.line(), element: open.length > 0 ? open.join('/') : undefined },
        `the camt reader failed here (${(error as Error | undefined)?.name ?? 'error'})`,
      );
    }
  }

  private pos(element: string): SourcePosition {
    return { file: this.ctx.file, element };
  }

  // XmlHandler -------------------------------------------------------------------------------

  open(name: string, attrs: Record<string, string> | undefined, qname: string): void {
    if (this.skipping > 0) {
      this.skipping++;
      return;
    }
    const depth = ++this.depth;
    if (depth >= 4 && this.current) {
      if (UNUSED.has(name) && !(name === 'AmtDtls' && this.nodes[this.nodes.length - 1]?.name === 'TxDtls')) {
        this.depth--;
        this.skipping = 1;
        return;
      }
      this.node(name, attrs, depth);
      return;
    }
    if (depth === 1) {
      this.openDocument(name, attrs, qname);
      return;
    }
    if (depth === 2) {
      const expected = MESSAGE_ROOT[this.version!.type].root;
      if (name !== expected && name !== `${expected}V01`) {
        fail(this.pos(`Document/${name}`), `a ${this.version!.type} Document must contain <${expected}>, found <${name}>`);
      }
      this.rootName = name;
      return;
    }
    if (depth === 3) {
      if (name === this.statementName) {
        this.statementOrdinal++;
        this.current = {
          index: this.statementIndex++,
          ordinal: this.statementOrdinal,
          path: `Document/${this.rootName}/${name}[${this.statementOrdinal}]`,
          lineCount: 0,
          entryOrdinal: 0,
          balOrdinal: 0,
          movements: new Map(),
        };
      } else if (name !== 'GrpHdr' && name !== 'SplmtryData') {
        fail(this.pos(`Document/${this.rootName}/${name}`), `unexpected <${name}> in <${this.rootName}>`);
      }
      return;
    }
  }

  /** Builds the element `name` (at `depth` >= 4) into the current statement child's tree. */
  private node(name: string, attrs: Record<string, string> | undefined, depth: number): void {
    if (depth === 4) {
      this.childNodes = 0;
      this.txDtls = 0;
      this.items = [];
      this.firstTx = undefined;
    }
    const parent = this.nodes[this.nodes.length - 1];
    if (name === 'TxDtls' && parent?.name === 'NtryDtls' && depth === 6) {
      // A batch's items are each reduced to a BatchItem when they close (see close()), so only
      // one TxDtls tree is held at a time; the 1st stays whole while it may be the only one.
      if (++this.txDtls === 2) {
        // A batch: the first item is reduced now (it was kept whole while it might be the only one).
        if (this.firstTx) this.batchItem(this.firstTx.tx, this.firstTx.indicator, false);
        this.firstTx = undefined;
        this.dropFirstTxDtls();
      }
      if (this.txDtls > CAMT_BATCH_ITEMS) {
        this.depth--;
        this.skipping = 1;
        return;
      }
      this.txStartNodes = this.childNodes;
    }
    if (++this.childNodes > CAMT_NODES_PER_CHILD) {
      fail(this.pos(this.nodePath(name)), `<${this.nodes[0]?.name ?? name}> holds more than ${CAMT_NODES_PER_CHILD} elements`);
    }
    const node: XNode = { name, attrs, children: NO_CHILDREN, text: '' };
    if (parent) {
      if (parent.children === NO_CHILDREN) parent.children = [node];
      else parent.children.push(node);
    }
    this.nodes.push(node);
  }

  /** Empties the first TxDtls of the current entry once a second one shows it is a batch. */
  private dropFirstTxDtls(): void {
    const ntry = this.nodes[0];
    if (!ntry) return;
    for (const details of ntry.children) {
      if (details.name !== 'NtryDtls') continue;
      for (const tx of details.children) if (tx.name === 'TxDtls') tx.children = NO_CHILDREN;
    }
  }

  /**
   * Reduces a closed TxDtls to a BatchItem. From the 2nd item on (`detach`), its tree is detached
   * at once and its elements no longer count toward CAMT_NODES_PER_CHILD: a batch of any size holds
   * one TxDtls tree and CAMT_BATCH_ITEMS small items at most. The 1st, reduced when the 2nd opens,
   * stays in the tree (emptied) and counted.
   */
  private batchItem(tx: XNode, indicator: string | undefined, detach: boolean): void {
    const refs = child(tx, 'Refs');
    let endToEndId = textAt(refs, 'EndToEndId');
    if (endToEndId === 'NOTPROVIDED') endToEndId = undefined;
    const amounts: { text: string; currency: string | undefined }[] = [];
    for (const node of [child(tx, 'Amt'), at(tx, 'AmtDtls', 'TxAmt', 'Amt')]) {
      if (node) amounts.push({ text: node.text.trim(), currency: node.attrs?.Ccy });
    }
    const item: BatchItem = {
      amounts,
      indicator,
      endToEndId,
      bankReference: textAt(refs, 'AcctSvcrRef'),
      customerReference: textAt(refs, 'InstrId') ?? textAt(refs, 'MsgId') ?? textAt(refs, 'PmtInfId'),
      remittanceInformation: remittance(child(tx, 'RmtInf')) ?? textAt(tx, 'AddtlTxInf'),
      counterparty: counterpartyOf(child(tx, 'RltdPties'), indicator === 'DBIT' ? -1n : 1n),
      typeCode: bankTransactionCode(child(tx, 'BkTxCd')),
    };
    this.items.push(item);
    if (detach) {
      const details = this.nodes[this.nodes.length - 1]!;
      details.children = details.children.filter((c) => c !== tx);
      this.childNodes = this.txStartNodes;
    }
  }

  /** The element path of a node being built (for errors). */
  private nodePath(name: string): string {
    return [this.current!.path, ...this.nodes.map((n) => n.name), name].join('/');
  }

  text(text: string): void {
    if (this.skipping > 0) return;
    const node = this.nodes[this.nodes.length - 1];
    if (node) node.text += text;
  }

  close(name: string): void {
    if (this.skipping > 0) {
      this.skipping--;
      return;
    }
    const depth = this.depth--;
    if (depth >= 4 && this.current) {
      const node = this.nodes.pop()!;
      if (depth === 6 && node.name === 'TxDtls' && this.nodes[this.nodes.length - 1]?.name === 'NtryDtls') {
        // Its direction: its own CdtDbtInd, else the entry's (as far as the entry has been read).
        const indicator = textAt(node, 'CdtDbtInd') ?? textAt(this.nodes[0], 'CdtDbtInd');
        if (this.txDtls === 1) this.firstTx = { tx: node, indicator };
        else this.batchItem(node, indicator, true);
      }
      if (depth === 4) this.statementChild(node);
      return;
    }
    if (depth === 3 && name === this.statementName && this.current) {
      this.finishStatement(this.current);
      this.current = undefined;
      return;
    }
    if (depth === 2 && this.statementOrdinal === 0) {
      const element = `Document/${this.rootName}`;
      fail(this.pos(element), `<${this.rootName}> contains no <${this.statementName}>: a ${this.version!.type} message must carry at least one`);
    }
  }

  // ------------------------------------------------------------------------------------------

  private openDocument(name: string, attrs: Record<string, string> | undefined, qname: string): void {
    if (name !== 'Document') fail(this.pos(qname), `the root element is <${qname}>, not an ISO 20022 <Document>`);
    const colon = qname.indexOf(':');
    const namespace = attrs?.[colon === -1 ? 'xmlns' : `xmlns:${qname.slice(0, colon)}`];
    if (!namespace) fail(this.pos('Document'), 'the Document has no namespace: cannot tell the camt message type and version');
    const version = camtVersionFromNamespace(namespace);
    if (!version) fail(this.pos('Document'), 'the Document namespace is not that of a camt.052, camt.053 or camt.054 message');
    if (!isSupportedCamtVersion(version)) {
      // The type and version matched \d{3}\.\d{2}: safe to name.
      fail(
        this.pos('Document'),
        `${version.type}.${version.version} is not a supported camt version (supported: ${version.type}.${CAMT_VERSIONS[0]} to ${version.type}.${CAMT_VERSIONS[CAMT_VERSIONS.length - 1]})`,
      );
    }
    this.version = version;
    this.statementName = MESSAGE_ROOT[version.type].statement;
  }

  private statementChild(node: XNode): void {
    const stmt = this.current!;
    switch (node.name) {
      case 'Id':
        stmt.id = textOf(node);
        break;
      case 'Acct':
        this.account(stmt, node);
        break;
      case 'Bal':
        stmt.balOrdinal++;
        this.balance(stmt, node, `${stmt.path}/Bal[${stmt.balOrdinal}]`);
        break;
      case 'Ntry':
        stmt.entryOrdinal++;
        // One flat string (a join): the line keeps a copy of it, and copying a concatenation flattens it first.
        this.entry(stmt, node, [stmt.path, '/Ntry[', stmt.entryOrdinal, ']'].join(''));
        break;
      default:
        break;
    }
  }

  private account(stmt: OpenStatement, acct: XNode): void {
    const id = child(acct, 'Id');
    const accountId = textAt(id, 'IBAN') ?? textAt(id, 'Othr', 'Id') ?? textAt(id, 'PrtryAcct', 'Id') ?? textAt(id, 'BBAN') ?? textAt(id, 'UPIC') ?? textAt(id, 'DmstAcct', 'Id');
    if (!accountId) fail(this.pos(`${stmt.path}/Acct/Id`), 'the account has no identification (IBAN or Othr/Id)');
    stmt.accountId = accountId;
    const ccy = textAt(acct, 'Ccy');
    if (ccy) stmt.accountCurrency = checkCurrency(ccy, this.pos(`${stmt.path}/Acct/Ccy`));
  }

  private amount(node: XNode | undefined, element: string): { minor: bigint; currency: string; text: string } {
    if (!node) fail(this.pos(element), 'missing <Amt>');
    const ccy = node.attrs?.Ccy;
    if (!ccy) fail(this.pos(element), '<Amt> has no Ccy attribute');
    // The code as first checked: one string per currency for every line that carries it.
    let currency = this.currencies.get(ccy);
    if (currency === undefined) {
      currency = checkCurrency(ccy, this.pos(element));
      if (this.currencies.size < MEMO_LIMIT) this.currencies.set(currency, currency);
    }
    const text = node.text.trim();
    if (text.startsWith('-') || text.startsWith('+')) fail(this.pos(element), 'amount must be unsigned: the sign is CdtDbtInd');
    return { minor: decimalToMinor(text, currency, this.pos(element), this.ctx.trailingZeros), currency, text };
  }

  private sign(node: XNode, element: string): 1n | -1n {
    const indicator = textAt(node, 'CdtDbtInd');
    if (indicator === 'CRDT') return 1n;
    if (indicator === 'DBIT') return -1n;
    fail(this.pos(`${element}/CdtDbtInd`), indicator === undefined ? 'missing CdtDbtInd' : 'CdtDbtInd is neither CRDT nor DBIT');
  }

  private balance(stmt: OpenStatement, bal: XNode, element: string): void {
    const tp = child(bal, 'Tp');
    const code = textAt(tp, 'CdOrPrtry', 'Cd') ?? textAt(tp, 'Cd');
    if (code !== 'OPBD' && code !== 'PRCD' && code !== 'CLBD') return;
    const amount = this.amount(child(bal, 'Amt'), `${element}/Amt`);
    const minor = amount.minor * this.sign(bal, element);
    if (code === 'CLBD') {
      if (!stmt.closing) stmt.closing = { minor, currency: amount.currency, text: amount.text, element };
      return;
    }
    // OPBD wins over PRCD (they should be equal; the opening booked balance is the primary one).
    if (!stmt.opening || (stmt.opening.code === 'PRCD' && code === 'OPBD')) {
      stmt.opening = { minor, currency: amount.currency, code, text: amount.text, element };
    }
  }

  private entry(stmt: OpenStatement, ntry: XNode, element: string): void {
    if (stmt.id === undefined) fail(this.pos(stmt.path), `<${this.statementName}> has no <Id> before its entries`);
    if (stmt.accountId === undefined) fail(this.pos(stmt.path), `<${this.statementName}> has no <Acct> before its entries`);
    const amount = this.amount(child(ntry, 'Amt'), `${element}/Amt`);
    const sign = this.sign(ntry, element);
    const signed = amount.minor * sign;

    const sts = child(ntry, 'Sts');
    const status = textAt(sts, 'Cd') ?? textAt(sts, 'Prtry') ?? textOf(sts);
    const bookingDate = this.date(child(ntry, 'BookgDt'), element, 'BookgDt');
    const valueDate = this.date(child(ntry, 'ValDt'), element, 'ValDt');

    // The batches (Ntry/Btch, then each NtryDtls/Btch) with the count they give, and the first TxDtls.
    const txCount = this.txDtls;
    let batchCount: number | undefined;
    let batch = child(ntry, 'Btch');
    let firstTx: XNode | undefined;
    if (batch) batchCount = this.nbOfTxs(batch, element, batchCount);
    for (const d of ntry.children) {
      if (d.name !== 'NtryDtls') continue;
      for (const c of d.children) {
        if (c.name === 'TxDtls') firstTx ??= c;
        else if (c.name === 'Btch') {
          batch ??= c;
          batchCount = this.nbOfTxs(c, element, batchCount);
        }
      }
    }
    if (batchCount === undefined && txCount > 1) batchCount = txCount;

    const tx = txCount === 1 ? firstTx : undefined;
    const refs = child(tx, 'Refs');
    let endToEndId = textAt(refs, 'EndToEndId');
    if (endToEndId === 'NOTPROVIDED') endToEndId = undefined;
    const bankReference = textAt(ntry, 'AcctSvcrRef') ?? textAt(refs, 'AcctSvcrRef');
    const customerReference = textAt(refs, 'InstrId') ?? textAt(refs, 'MsgId') ?? textAt(refs, 'PmtInfId') ?? textAt(batch, 'PmtInfId') ?? textAt(batch, 'MsgId');

    const remittanceInformation = remittance(child(tx, 'RmtInf')) ?? textAt(tx, 'AddtlTxInf') ?? textAt(ntry, 'AddtlNtryInf');
    const counterparty = tx ? counterpartyOf(child(tx, 'RltdPties'), sign) : undefined;
    const typeCode = bankTransactionCode(child(ntry, 'BkTxCd')) ?? bankTransactionCode(child(tx, 'BkTxCd'));

    stmt.firstLineCurrency ??= amount.currency;
    if (status === undefined || status === 'BOOK') {
      const moved = stmt.movements.get(amount.currency);
      if (moved) {
        moved.minor += signed;
        moved.count++;
      } else stmt.movements.set(amount.currency, { minor: signed, count: 1, first: element });
    }

    // REC-1: a batch whose TxDtls items sum to the entry becomes one line per item; otherwise the
    // entry stays whole, flagged with why it was not split.
    let batchFault: string | undefined;
    if (txCount > 1) {
      const split = this.splitBatch(amount.currency, signed, txCount, batchCount, element);
      if (Array.isArray(split)) {
        const batchReference = bankReference ?? textAt(batch, 'PmtInfId') ?? textAt(batch, 'MsgId');
        split.forEach(({ item, minor }, k) => {
          const position = { file: this.ctx.file, element: `${element}/NtryDtls/TxDtls[${k + 1}]` };
          const itemLine: StatementLine = {
            statementLineId: statementLineId(this.ctx, stmt.index, stmt.lineCount),
            format: this.version!.type as StatementFormat,
            statementId: stmt.id!,
            accountId: stmt.accountId!,
            currency: amount.currency,
            amount: formatMinor(minor, amount.currency),
            bookingDate: bookingDate ?? null,
            valueDate: valueDate ?? null,
            endToEndId: item.endToEndId,
            bankReference: item.bankReference ?? bankReference,
            customerReference: item.customerReference ?? textAt(batch, 'PmtInfId') ?? textAt(batch, 'MsgId'),
            remittanceInformation: item.remittanceInformation,
            counterparty: item.counterparty,
            typeCode: item.typeCode ?? typeCode,
            status,
            batchItemCount: undefined,
            batchReference: batchReference === undefined ? undefined : maskIdentifier(bounded(batchReference, LINE_FIELDS.bankReference!, position, 'batchReference')),
            batchItem: { index: k + 1, of: split.length },
            batchFault: undefined,
            otherFields: undefined,
            position,
          };
          stmt.lineCount++;
          this.sink.line(stmt.index, finishLine(itemLine));
        });
        return;
      }
      batchFault = split;
    }

    // Every field present (absent ones undefined): one shape for every line finishLine reads.
    const line: StatementLine = {
      statementLineId: statementLineId(this.ctx, stmt.index, stmt.lineCount),
      format: this.version!.type as StatementFormat,
      statementId: stmt.id,
      accountId: stmt.accountId,
      currency: amount.currency,
      amount: formatMinor(signed, amount.currency),
      bookingDate: bookingDate ?? null,
      valueDate: valueDate ?? null,
      endToEndId,
      bankReference,
      customerReference,
      remittanceInformation,
      counterparty,
      typeCode,
      status,
      batchItemCount: batchCount,
      batchReference: undefined,
      batchItem: undefined,
      batchFault,
      otherFields: undefined,
      position: { file: this.ctx.file, element },
    };
    stmt.lineCount++;
    this.sink.line(stmt.index, finishLine(line));
  }

  /** `count` plus the batch's NbOfTxs, when it has one. */
  private nbOfTxs(batch: XNode, element: string, count: number | undefined): number | undefined {
    const nb = textAt(batch, 'NbOfTxs');
    if (nb === undefined) return count;
    if (!/^[0-9]{1,15}$/.test(nb)) fail(this.pos(`${element}/NtryDtls/Btch/NbOfTxs`), 'NbOfTxs is not a number');
    return (count ?? 0) + Number(nb);
  }

  /**
   * The items of a batch entry with their signed amounts in the entry's currency, when there is
   * one TxDtls per transaction the bank counts and their amounts sum to the entry; otherwise why not.
   */
  private splitBatch(currency: string, signed: bigint, txCount: number, batchCount: number | undefined, element: string): { item: BatchItem; minor: bigint }[] | string {
    if (txCount > CAMT_BATCH_ITEMS) return `${txCount} TxDtls: more than ${CAMT_BATCH_ITEMS} items are not split`;
    if (batchCount !== undefined && batchCount !== txCount) return `NbOfTxs is ${batchCount} but the entry lists ${txCount} TxDtls`;
    const out: { item: BatchItem; minor: bigint }[] = [];
    let sum = 0n;
    for (const [k, item] of this.items.entries()) {
      const amount = item.amounts.find((a) => a.currency === currency);
      if (!amount) return `TxDtls[${k + 1}] has no amount in ${currency}`;
      if (item.indicator !== 'CRDT' && item.indicator !== 'DBIT') return `TxDtls[${k + 1}] has no CdtDbtInd`;
      let minor: bigint;
      try {
        if (amount.text.startsWith('-') || amount.text.startsWith('+')) throw new Error('signed');
        minor = decimalToMinor(amount.text, currency, this.pos(`${element}/NtryDtls/TxDtls[${k + 1}]`), this.ctx.trailingZeros);
      } catch {
        return `TxDtls[${k + 1}] amount is not a ${currency} amount`;
      }
      if (item.indicator === 'DBIT') minor = -minor;
      sum += minor;
      out.push({ item, minor });
    }
    if (sum !== signed) return `the ${txCount} TxDtls sum to ${formatMinor(sum, currency)} ${currency}, the entry is ${formatMinor(signed, currency)} ${currency}`;
    return out;
  }

  /** The date of `parent`/`part` (its element path is built only for an error). */
  private date(node: XNode | undefined, parent: string, part: 'BookgDt' | 'ValDt'): string | undefined {
    if (!node) return undefined;
    const dt = textAt(node, 'Dt');
    if (dt !== undefined) return this.datePart(dt, parent, part, 'Dt');
    const dtTm = textAt(node, 'DtTm');
    if (dtTm !== undefined) return this.datePart(dtTm, parent, part, 'DtTm');
    fail(this.pos(`${parent}/${part}`), 'date has neither <Dt> nor <DtTm>');
  }

  /** isoDatePart of a date as written, remembered: a statement's entries share a few dates. */
  private datePart(text: string, parent: string, part: string, name: 'Dt' | 'DtTm'): string {
    let date = this.dates.get(text);
    if (date === undefined) {
      date = isoDatePart(text, this.pos(`${parent}/${part}/${name}`));
      if (this.dates.size >= MEMO_LIMIT) this.dates.clear();
      this.dates.set(text, date);
    }
    return date;
  }

  private finishStatement(stmt: OpenStatement): void {
    if (stmt.id === undefined) fail(this.pos(stmt.path), `<${this.statementName}> has no <Id>`);
    if (stmt.accountId === undefined) fail(this.pos(stmt.path), `<${this.statementName}> has no <Acct>`);
    const currency = stmt.accountCurrency ?? stmt.opening?.currency ?? stmt.closing?.currency ?? stmt.firstLineCurrency ?? '';
    let balance;
    if (stmt.opening && stmt.closing && currency) {
      const faults: string[] = [];
      const faceValue = (b: { minor: bigint; currency: string; text: string; element: string }, label: string): bigint => {
        if (b.currency === currency) return b.minor;
        faults.push(`${label} balance (${b.element}) is in ${b.currency}, the statement in ${currency}`);
        try {
          return decimalToMinor(b.text, currency, this.pos(b.element), this.ctx.trailingZeros) * (b.minor < 0n ? -1n : 1n);
        } catch {
          return 0n;
        }
      };
      const opening = faceValue(stmt.opening, stmt.opening.code);
      const closing = faceValue(stmt.closing, 'CLBD');
      // A booked entry in another currency cannot be added at face value: the proof counts the
      // statement's currency only and names what it left out (the run keeps such lines out of matching).
      for (const [c, moved] of [...stmt.movements.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (c === currency) continue;
        faults.push(
          `${moved.count} booked entr${moved.count === 1 ? 'y' : 'ies'} in ${c} (first ${moved.first}, total ${formatMinor(moved.minor, c)} ${c}) left out of the movements: the statement is in ${currency}`,
        );
      }
      const movements = stmt.movements.get(currency)?.minor ?? 0n;
      balance = balanceProof(stmt.id, stmt.accountId, currency, opening, movements, closing, faults.length > 0 ? faults.join('; ') : undefined);
    }
    this.sink.statement(
      finishSummary({
        index: stmt.index,
        statementId: stmt.id,
        accountId: stmt.accountId,
        currency,
        lineCount: stmt.lineCount,
        ...(balance ? { balance } : {}),
      }),
    );
  }
}

/** RmtInf → one string: Ustrd lines, then Strd creditor references, document numbers, additional info. */
function remittance(rmtInf: XNode | undefined): string | undefined {
  if (!rmtInf) return undefined;
  const parts: string[] = [];
  for (const u of rmtInf.children) {
    if (u.name !== 'Ustrd') continue;
    const t = textOf(u);
    if (t) parts.push(t);
  }
  for (const s of rmtInf.children) {
    if (s.name !== 'Strd') continue;
    for (const doc of s.children) {
      if (doc.name !== 'RfrdDocInf') continue;
      const nb = textAt(doc, 'Nb');
      if (nb) parts.push(nb);
    }
    const ref = textAt(s, 'CdtrRefInf', 'Ref');
    if (ref) parts.push(ref);
    for (const a of s.children) {
      if (a.name !== 'AddtlRmtInf') continue;
      const t = textOf(a);
      if (t) parts.push(t);
    }
  }
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : parts.join(' ');
}

function partyName(party: XNode | undefined): string | undefined {
  if (!party) return undefined;
  return textAt(party, 'Nm') ?? textAt(party, 'Pty', 'Nm') ?? textAt(party, 'Agt', 'FinInstnId', 'Nm') ?? textAt(party, 'Agt', 'FinInstnId', 'BICFI') ?? textAt(party, 'Agt', 'FinInstnId', 'BIC');
}

function accountOf(acct: XNode | undefined): string | undefined {
  return textAt(acct, 'Id', 'IBAN') ?? textAt(acct, 'Id', 'Othr', 'Id');
}

/** The other side: for a credit (money in) the debtor, for a debit the creditor. */
function counterpartyOf(parties: XNode | undefined, sign: 1n | -1n): string | undefined {
  if (!parties) return undefined;
  if (sign > 0n) {
    return partyName(child(parties, 'Dbtr')) ?? partyName(child(parties, 'UltmtDbtr')) ?? accountOf(child(parties, 'DbtrAcct'));
  }
  return partyName(child(parties, 'Cdtr')) ?? partyName(child(parties, 'UltmtCdtr')) ?? accountOf(child(parties, 'CdtrAcct'));
}

function bankTransactionCode(bkTxCd: XNode | undefined): string | undefined {
  if (!bkTxCd) return undefined;
  const domain = child(bkTxCd, 'Domn');
  const domainCode = textAt(domain, 'Cd');
  if (domainCode) {
    const family = textAt(domain, 'Fmly', 'Cd');
    const sub = textAt(domain, 'Fmly', 'SubFmlyCd');
    if (family !== undefined && sub !== undefined) return [domainCode, family, sub].join('/');
    return [domainCode, family, sub].filter((p) => p !== undefined).join('/');
  }
  return textAt(bkTxCd, 'Prtry', 'Cd');
}
