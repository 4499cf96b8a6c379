/**
 * Named CSV column-mapping profiles shipped with Ledgerline. A caller may pass its own
 * CsvProfile instead; these cover the common export shapes.
 */
import { CsvProfileError, validateCsvProfile, type CsvProfile } from './csv';

/** ISO dates, '.' decimals, one signed amount column; account and currency per line. */
export const GENERIC_SIGNED: CsvProfile = Object.freeze({
  name: 'generic-signed',
  delimiter: ',',
  quote: '"',
  header: true,
  encoding: 'utf8',
  dateFormat: 'YYYY-MM-DD',
  decimalSeparator: '.',
  thousandsSeparator: '',
  amount: { kind: 'signed', column: 'amount' },
  columns: {
    account: 'account',
    currency: 'currency',
    bookingDate: 'booking_date',
    valueDate: 'value_date',
    endToEndId: 'end_to_end_id',
    bankReference: 'bank_reference',
    customerReference: 'customer_reference',
    description: 'description',
    counterparty: 'counterparty',
  },
}) as CsvProfile;

/** As generic-signed, with money out in "debit" and money in in "credit". */
export const GENERIC_DEBIT_CREDIT: CsvProfile = Object.freeze({
  ...GENERIC_SIGNED,
  name: 'generic-debit-credit',
  amount: { kind: 'debitCredit', debit: 'debit', credit: 'credit' },
}) as CsvProfile;

/**
 * A UK high-street bank export: cp1252 (so "£" and accented payee names arrive as single bytes),
 * DD/MM/YYYY, "Paid out" / "Paid in" columns with "," thousands separators, fixed currency GBP.
 */
export const UK_BANK_EXPORT: CsvProfile = Object.freeze({
  name: 'uk-bank-export',
  delimiter: ',',
  quote: '"',
  header: true,
  encoding: 'cp1252',
  dateFormat: 'DD/MM/YYYY',
  decimalSeparator: '.',
  thousandsSeparator: ',',
  amount: { kind: 'debitCredit', debit: 'Paid out', credit: 'Paid in' },
  columns: {
    account: 'Account',
    bookingDate: 'Date',
    typeCode: 'Type',
    description: 'Description',
    bankReference: 'Reference',
  },
  currency: 'GBP',
}) as CsvProfile;

/**
 * A continental (German-style) export: ';' delimiter, DD.MM.YYYY, decimal comma, '.' thousands,
 * signed "Betrag", IBAN and currency per line, UTF-8 (a BOM is common and removed).
 */
export const EU_BANK_EXPORT: CsvProfile = Object.freeze({
  name: 'eu-bank-export',
  delimiter: ';',
  quote: '"',
  header: true,
  encoding: 'utf8',
  dateFormat: 'DD.MM.YYYY',
  decimalSeparator: ',',
  thousandsSeparator: '.',
  amount: { kind: 'signed', column: 'Betrag' },
  columns: {
    account: 'IBAN',
    currency: 'Währung',
    bookingDate: 'Buchungstag',
    valueDate: 'Valuta',
    counterparty: 'Auftraggeber/Empfänger',
    description: 'Verwendungszweck',
    endToEndId: 'End-to-End-Referenz',
    customerReference: 'Kundenreferenz',
    bankReference: 'Bankreferenz',
  },
}) as CsvProfile;

/** A US export: MM/DD/YYYY, amount + "DR"/"CR" indicator, USD unless a Currency column is present. */
export const US_BANK_EXPORT: CsvProfile = Object.freeze({
  name: 'us-bank-export',
  delimiter: ',',
  quote: '"',
  header: true,
  encoding: 'utf8',
  dateFormat: 'MM/DD/YYYY',
  decimalSeparator: '.',
  thousandsSeparator: ',',
  amount: { kind: 'indicator', column: 'Amount', indicator: 'DR/CR', debitValues: ['DR', 'D', 'DEBIT'], creditValues: ['CR', 'C', 'CREDIT'] },
  columns: {
    account: 'Account Number',
    bookingDate: 'Posting Date',
    valueDate: 'Value Date',
    description: 'Description',
    bankReference: 'Bank Reference',
    customerReference: 'Customer Reference',
    typeCode: 'Type',
  },
  currency: 'USD',
}) as CsvProfile;

export const CSV_PROFILES: Readonly<Record<string, CsvProfile>> = Object.freeze({
  [GENERIC_SIGNED.name]: GENERIC_SIGNED,
  [GENERIC_DEBIT_CREDIT.name]: GENERIC_DEBIT_CREDIT,
  [UK_BANK_EXPORT.name]: UK_BANK_EXPORT,
  [EU_BANK_EXPORT.name]: EU_BANK_EXPORT,
  [US_BANK_EXPORT.name]: US_BANK_EXPORT,
});

for (const profile of Object.values(CSV_PROFILES)) validateCsvProfile(profile);

/** A profile by name, or the given profile after validation. */
export function resolveCsvProfile(profile: CsvProfile | string): CsvProfile {
  if (typeof profile !== 'string') {
    validateCsvProfile(profile);
    return profile;
  }
  const found = CSV_PROFILES[profile];
  if (!found) throw new CsvProfileError(`unknown CSV profile "${profile}"; known: ${Object.keys(CSV_PROFILES).join(', ')}`);
  return found;
}
