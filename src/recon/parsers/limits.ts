/**
 * REC-IN-1: the length bound of every statement field, per format, in characters of decoded text.
 * A longer field rejects the file with a StatementParseError naming the file, the line (or the
 * element) and the field, never its content (PCI-3). The streaming readers refuse an over-long
 * line, text node, tag or field as soon as its length passes the bound, without first building
 * the whole string, so a hostile file costs at most one bound plus one read chunk of memory.
 *
 * These tables are the single definition: the readers enforce them, the boundary tests iterate
 * over them, and docs/reconciliation.md ("Statement readers") lists them.
 */

// ---------------------------------------------------------------------------------------------
// camt.052 / camt.053 / camt.054 (XML)

/**
 * Text of a camt element, by local name: the ISO 20022 type of the element in the supported
 * schemas (Max35Text, Max140Text, ...). Measured after surrounding whitespace is trimmed.
 * Elements not listed get CAMT_TEXT_DEFAULT.
 */
export const CAMT_TEXT: Readonly<Record<string, number>> = Object.freeze({
  // Identifiers and references (Max35Text unless noted)
  MsgId: 35,
  Id: 35,
  AcctSvcrRef: 35,
  EndToEndId: 35,
  InstrId: 35,
  PmtInfId: 35,
  TxId: 35,
  MndtId: 35,
  ChqNb: 35,
  ClrSysRef: 35,
  Nb: 35,
  Ref: 35,
  Prtry: 35,
  Issr: 35,
  Cd: 35,
  IBAN: 34,
  BBAN: 30,
  UPIC: 17,
  BIC: 11,
  BICFI: 11,
  AnyBIC: 11,
  UETR: 36,
  // Codes and values
  Ccy: 3,
  CdtDbtInd: 4,
  Sts: 4,
  SubFmlyCd: 4,
  RvslInd: 5,
  /** ActiveOrHistoricCurrencyAndAmount: 18 digits (totalDigits) and the decimal point. */
  Amt: 19,
  Dt: 10,
  DtTm: 35,
  CreDtTm: 35,
  NbOfTxs: 15,
  ElctrncSeqNb: 18,
  LglSeqNb: 18,
  // Names and free text
  Nm: 140,
  Ustrd: 140,
  AddtlRmtInf: 140,
  AddtlTxInf: 500,
  AddtlNtryInf: 500,
  AddtlStmtInf: 500,
  AddtlInf: 500,
});

/** Any other element's text: Max2048Text, the longest text type in the supported camt schemas. */
export const CAMT_TEXT_DEFAULT = 2048;

/** Whitespace around a value (not counted in its bound) may add at most this many characters. */
export const XML_WHITESPACE_SLACK = 1024;

export const XML_LIMITS = Object.freeze({
  /** A start or end tag with its attributes (and so every attribute value). */
  tag: 4096,
  /** A comment, processing instruction or the XML declaration. */
  comment: 65536,
  /** Element nesting (the supported camt messages nest about 12 deep). */
  depth: 64,
});

/** Elements held as a tree for one statement child (an Ntry, a Bal, the Acct...); a batch's 2nd+ TxDtls are counted, not built. */
export const CAMT_NODES_PER_CHILD = 10000;

/** The camt versions accepted (REC-IN-3): 001.01 to 001.08 of camt.052, camt.053 and camt.054. */
export const CAMT_VERSIONS: readonly string[] = Object.freeze(['001.01', '001.02', '001.03', '001.04', '001.05', '001.06', '001.07', '001.08']);

// ---------------------------------------------------------------------------------------------
// MT940 / MT942

/** A physical line (SWIFT allows 65; real exports write a whole :86: on one line). */
export const MT940_LINE = 4096;

/**
 * A field's content (its lines' characters, without the tag and the line breaks), by tag. SWIFT
 * field formats, except :86:, which German DFÜ/DK exports fill well past SWIFT's 6*65 (the
 * sample files reach 446).
 */
export const MT940_FIELDS: Readonly<Record<string, number>> = Object.freeze({
  '20': 16, // 16x
  '21': 16, // 16x
  '25': 35, // 35x
  '25P': 46, // 35x + BIC
  '28': 5, // 5n
  '28C': 11, // 5n[/5n]
  '60F': 25, // 1!a6!n3!a15d
  '60M': 25,
  '62F': 25,
  '62M': 25,
  '64': 25,
  '65': 25,
  '34F': 19, // 3!a[1!a]15d
  '13D': 15, // 6!n4!n1!x4!n
  '61': 100, // 6!n[4!n]2a[1!a]15d1!a3!c16x[//16x] (66) + [34x]
  '86': 2048,
  '90D': 23, // 5n3!a15d
  '90C': 23,
});

/** Any other tag (rejected anyway, but only once the field is complete). */
export const MT940_FIELD_DEFAULT = 2048;

/** Subfields: SWIFT amounts are 15d (digits and the decimal comma); the :61: subfields. */
export const MT940_SUBFIELDS = Object.freeze({
  amount: 15,
  customerReference: 16,
  bankReference: 16,
  supplementaryDetails: 34,
});

// ---------------------------------------------------------------------------------------------
// BAI2

export const BAI2_LIMITS = Object.freeze({
  /** A physical line (several records may share one). */
  line: 4096,
  /** A logical record: the record and its 88 continuations. */
  record: 16384,
  /** A 16 record's text, across its continuations. */
  text: 4096,
  /** Any other field (sender, receiver, account number, bank and customer references, ids): one default 80-character physical record. */
  field: 80,
  /** Amounts: 18 digits after an optional sign. */
  amountDigits: 18,
  /** Counts (records, groups, accounts, items, distributions). */
  countDigits: 9,
});

// ---------------------------------------------------------------------------------------------
// CSV (through a column-mapping profile)

export const CSV_LIMITS = Object.freeze({
  /** A physical line. */
  line: 65536,
  /** A record (a quoted field may span lines). */
  record: 65536,
  /** Any field whose column the profile does not map. */
  field: 4096,
});

/** Mapped columns, by the StatementLine field (or amount part) they feed. */
export const CSV_FIELDS: Readonly<Record<string, number>> = Object.freeze({
  account: 35,
  currency: 3,
  amount: 32,
  indicator: 16,
  bookingDate: 10,
  valueDate: 10,
  endToEndId: 35,
  bankReference: 140,
  customerReference: 140,
  counterparty: 140,
  description: 1024,
  typeCode: 35,
  status: 35,
});

// ---------------------------------------------------------------------------------------------
// Every format: the normalised StatementLine (defence in depth after the format's own bounds)

/** remittanceInformation may join several source fields (camt Ustrd lines, BAI2 88 text). */
export const LINE_FIELDS: Readonly<Record<string, number>> = Object.freeze({
  statementId: 256,
  accountId: 140,
  endToEndId: 140,
  bankReference: 140,
  customerReference: 140,
  counterparty: 256,
  typeCode: 64,
  status: 35,
  remittanceInformation: 4096,
});

/** An amount handed to the decimal parser, whatever the format (the formats' own bounds are tighter). */
export const AMOUNT_TEXT = 40;
