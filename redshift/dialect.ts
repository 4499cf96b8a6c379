/**
 * The Redshift → PostgreSQL dialect layer (REC-2): the migrations and the load SQL are written in
 * Redshift SQL; the PostgreSQL stand-in runs them after exactly these deliberate substitutions
 * (redshift/README.md lists them with what each leaves uncovered):
 *
 *   D1  ENCODE <encoding>                          (column compression)         removed
 *   D2  DISTSTYLE {AUTO|EVEN|KEY|ALL}              (table distribution)         removed
 *   D3  DISTKEY (<column>) / column DISTKEY        (distribution key)           removed
 *   D4  [COMPOUND|INTERLEAVED] SORTKEY (<cols>) / SORTKEY AUTO / column SORTKEY  removed
 *   D5  BACKUP {YES|NO}                            (snapshot inclusion)         removed
 *   D6  COPY <table> FROM 's3://…' IAM_ROLE … FORMAT AS CSV   →  COPY <table> FROM STDIN WITH
 *       (FORMAT csv, FORCE_NOT_NULL (<text columns>)) fed with the S3 object's content
 *       (rehearsal/redshift/load.ts; only there — a migration may not COPY)
 *
 * Anything else Redshift-only that survives the substitutions is refused (REDSHIFT_ONLY), and so is
 * SQL that PostgreSQL would accept but Redshift would reject or read differently
 * (redshiftCompatibilityFaults), so a migration the PostgreSQL test passes is one Redshift parses
 * the same way — as far as a keyword-level check can tell (it is not a Redshift parser).
 */
import { isWord, significant, splitStatements, type Token } from './sql';

export class DialectError extends Error {
  override name = 'DialectError';
}

/** Words that are Redshift-only: none may reach PostgreSQL after the substitutions D1–D5. */
export const REDSHIFT_ONLY = [
  'ENCODE',
  'DISTSTYLE',
  'DISTKEY',
  'SORTKEY',
  'INTERLEAVED',
  'COMPOUND',
  'BACKUP',
  'IAM_ROLE',
  'CREDENTIALS',
  'UNLOAD',
  'SUPER',
  'GETDATE',
  'SYSDATE',
  'EMPTYASNULL',
  'BLANKSASNULL',
  'MANIFEST',
  'GZIP',
] as const;

/**
 * What PostgreSQL accepts but Redshift rejects, reads differently, or only pretends to enforce:
 * refused in a migration, so the PostgreSQL test never passes SQL that Redshift would not run
 * the same way.
 */
export const NOT_PORTABLE: readonly { words: readonly string[]; why: string }[] = [
  { words: ['TEXT'], why: 'Redshift reads TEXT as VARCHAR(256) (silent truncation risk): give VARCHAR(n)' },
  { words: ['SERIAL', 'BIGSERIAL', 'SMALLSERIAL', 'JSON', 'JSONB', 'UUID', 'BYTEA', 'ARRAY', 'INTERVAL'], why: 'not a Redshift column type' },
  { words: ['REAL', 'FLOAT', 'FLOAT4', 'FLOAT8', 'DOUBLE'], why: 'money is exact: use DECIMAL(38,6) or integer minor units, never floating point' },
  { words: ['INDEX'], why: 'Redshift has no indexes (sort keys instead)' },
  {
    words: ['PRIMARY', 'UNIQUE', 'REFERENCES', 'FOREIGN', 'CHECK', 'EXCLUDE'],
    why: 'Redshift does not enforce key or check constraints; PostgreSQL would, so the test would prove a guarantee Redshift does not give',
  },
  { words: ['CONFLICT', 'RETURNING', 'GENERATED', 'EXTENSION', 'DOMAIN', 'TRIGGER', 'FUNCTION', 'PROCEDURE'], why: 'PostgreSQL-only or different in Redshift' },
  { words: ['TYPE'], why: 'CREATE TYPE is PostgreSQL-only, and ALTER COLUMN … TYPE cannot run inside a Redshift transaction block' },
  { words: ['VACUUM', 'DATABASE', 'EXTERNAL', 'APPEND'], why: 'cannot run inside a Redshift transaction block (each migration is one transaction)' },
  { words: ['TRUNCATE'], why: 'TRUNCATE commits the open transaction in Redshift (the migration would no longer be atomic): use DELETE' },
  { words: ['COPY'], why: 'a migration may not COPY data (the load step does)' },
];

const upper = (token: Token | undefined): string => (token?.kind === 'word' ? token.text.toUpperCase() : '');

/** Amazon Redshift's reserved words (AWS "Reserved words", r_pg_keywords): not usable as bare column names there. */
export const REDSHIFT_RESERVED = new Set(
  (
    'AES128 AES256 ALL ALLOWOVERWRITE ANALYSE ANALYZE AND ANY ARRAY AS ASC AUTHORIZATION AZ64 BACKUP BETWEEN BINARY BLANKSASNULL BOTH BYTEDICT BZIP2 CASE CAST CHECK ' +
    'COLLATE COLUMN CONSTRAINT CREATE CREDENTIALS CROSS CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURRENT_USER_ID DEFAULT DEFERRABLE DEFLATE DEFRAG ' +
    'DELTA DELTA32K DESC DISABLE DISTINCT DO ELSE EMPTYASNULL ENABLE ENCODE ENCRYPT ENCRYPTION END EXCEPT EXPLICIT FALSE FOR FOREIGN FREEZE FROM FULL GLOBALDICT256 ' +
    'GLOBALDICT64K GRANT GROUP GZIP HAVING IDENTITY IGNORE ILIKE IN INITIALLY INNER INTERSECT INTERVAL INTO IS ISNULL JOIN LEADING LEFT LIKE LIMIT LOCALTIME ' +
    'LOCALTIMESTAMP LUN LUNS LZO LZOP MINUS MOSTLY16 MOSTLY32 MOSTLY8 NATURAL NEW NOT NOTNULL NULL NULLS OFF OFFLINE OFFSET OID OLD ON ONLY OPEN OR ORDER OUTER ' +
    'OVERLAPS PARALLEL PARTITION PERCENT PERMISSIONS PIVOT PLACING PRIMARY RAW READRATIO RECOVER REFERENCES REJECTLOG RESORT RESPECT RESTORE RIGHT SELECT ' +
    'SESSION_USER SIMILAR SNAPSHOT SOME SYSDATE SYSTEM TABLE TAG TDES TEXT255 TEXT32K THEN TIMESTAMP TO TOP TRAILING TRUE TRUNCATECOLUMNS UNION UNIQUE UNNEST ' +
    'UNPIVOT USER USING VERBOSE WALLET WHEN WHERE WITH WITHOUT'
  ).split(' '),
);

/** The bare column names a CREATE TABLE defines (the first word of each top-level element of its column list). */
function createdColumns(tokens: readonly Token[]): Token[] {
  if (!isWord(tokens[0], 'CREATE') || !isWord(tokens[1], 'TABLE')) return [];
  const open = tokens.findIndex((token) => token.text === '(');
  if (open < 0) return [];
  const columns: Token[] = [];
  let depth = 0;
  for (let i = open; i < tokens.length; i += 1) {
    const text = tokens[i]!.text;
    if (text === '(') depth += 1;
    else if (text === ')') {
      depth -= 1;
      if (depth === 0) break;
    }
    if (depth === 1 && (text === '(' || text === ',') && tokens[i + 1]?.kind === 'word') columns.push(tokens[i + 1]!);
  }
  return columns;
}

/**
 * The faults that make a Redshift statement non-portable (see NOT_PORTABLE), plus type forms whose
 * defaults differ: DECIMAL/NUMERIC without (precision, scale) is DECIMAL(18,0) in Redshift, and
 * VARCHAR/CHAR without a length is 256/1 bytes there.
 */
export function redshiftCompatibilityFaults(statementText: string, where = 'SQL'): string[] {
  const faults: string[] = [];
  const tokens = significant(splitStatements(statementText, where).flatMap((statement) => statement.tokens));
  tokens.forEach((token, i) => {
    const word = upper(token);
    if (!word) return;
    for (const rule of NOT_PORTABLE) if (rule.words.includes(word)) faults.push(`${word}: ${rule.why}`);
    if (['DECIMAL', 'NUMERIC'].includes(word) && tokens[i + 1]?.text !== '(') faults.push(`${word} without (precision, scale) is DECIMAL(18,0) in Redshift: write DECIMAL(38,6)`);
    if (['VARCHAR', 'CHAR', 'CHARACTER', 'NVARCHAR', 'BPCHAR'].includes(word)) {
      const next = upper(tokens[i + 1]) === 'VARYING' ? tokens[i + 2] : tokens[i + 1];
      if (next?.text !== '(') faults.push(`${word} without a length is 256 bytes (VARCHAR) or 1 byte (CHAR) in Redshift: give the length`);
    }
  });
  for (const column of createdColumns(tokens)) {
    const word = column.text.toUpperCase();
    if (REDSHIFT_RESERVED.has(word) && !NOT_PORTABLE.some((rule) => rule.words.includes(word))) faults.push(`column ${column.text} is a Redshift reserved word: rename it`);
  }
  return [...new Set(faults)];
}

/** One statement in PostgreSQL form, with the substitutions applied (by their ids, D1–D5). */
export interface PostgresStatement {
  text: string;
  substitutions: string[];
}

/**
 * D1–D5 on one Redshift statement. A Redshift-only word left over (in a position the
 * substitutions do not cover) is an error naming it; so is a COPY (D6 is load.ts's).
 */
export function toPostgres(redshiftSql: string, where = 'SQL'): PostgresStatement {
  const statements = splitStatements(redshiftSql, where);
  if (statements.length !== 1) throw new DialectError(`${where}: expected one statement, found ${statements.length}`);
  const tokens = statements[0]!.tokens;
  const out: Token[] = [];
  const substitutions: string[] = [];
  const nextSignificant = (from: number): number => {
    let j = from;
    while (j < tokens.length && (tokens[j]!.kind === 'space' || tokens[j]!.kind === 'comment')) j += 1;
    return j;
  };
  /** Index just after a parenthesised list starting at significant index `open`, or -1. */
  const afterParens = (open: number): number => {
    if (tokens[open]?.text !== '(') return -1;
    let depth = 0;
    for (let j = open; j < tokens.length; j += 1) {
      if (tokens[j]!.text === '(') depth += 1;
      if (tokens[j]!.text === ')') {
        depth -= 1;
        if (depth === 0) return j + 1;
      }
    }
    throw new DialectError(`${where}: unbalanced parentheses after ${tokens[open - 1]?.text ?? 'a clause'}`);
  };
  if (isWord(significant(tokens)[0], 'COPY')) throw new DialectError(`${where}: COPY is substituted by the load emulation (rehearsal/redshift/load.ts), not by the dialect`);
  /** A removed clause takes the whitespace before it along. */
  const dropTrailingSpace = (): void => {
    while (out.length > 0 && out[out.length - 1]!.kind === 'space') out.pop();
  };
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    const word = upper(token);
    if (['ENCODE', 'DISTSTYLE', 'BACKUP', 'DISTKEY', 'SORTKEY', 'COMPOUND', 'INTERLEAVED'].includes(word)) dropTrailingSpace();
    if (word === 'ENCODE') {
      const value = nextSignificant(i + 1);
      if (tokens[value]?.kind !== 'word') throw new DialectError(`${where}: ENCODE without an encoding`);
      substitutions.push('D1');
      i = value + 1;
      continue;
    }
    if (word === 'DISTSTYLE' || word === 'BACKUP') {
      const value = nextSignificant(i + 1);
      if (tokens[value]?.kind !== 'word') throw new DialectError(`${where}: ${word} without a value`);
      substitutions.push(word === 'DISTSTYLE' ? 'D2' : 'D5');
      i = value + 1;
      continue;
    }
    if (word === 'DISTKEY' || word === 'SORTKEY' || ((word === 'COMPOUND' || word === 'INTERLEAVED') && isWord(tokens[nextSignificant(i + 1)], 'SORTKEY'))) {
      const keyword = word === 'DISTKEY' ? i : word === 'SORTKEY' ? i : nextSignificant(i + 1);
      const value = nextSignificant(keyword + 1);
      let end = afterParens(value);
      if (end < 0 && upper(tokens[keyword]) === 'SORTKEY' && isWord(tokens[value], 'AUTO')) end = value + 1;
      if (end < 0) end = keyword + 1; // the column attribute form: `col INT DISTKEY`
      substitutions.push(upper(tokens[keyword]) === 'DISTKEY' ? 'D3' : 'D4');
      i = end;
      continue;
    }
    out.push(token);
    i += 1;
  }
  const leftover = significant(out).find((token) => (REDSHIFT_ONLY as readonly string[]).includes(upper(token)));
  if (leftover) throw new DialectError(`${where}: Redshift-only ${leftover.text} is not covered by the PostgreSQL dialect (substitutions D1-D6 in redshift/dialect.ts)`);
  const text = out
    .map((token) => token.text)
    .join('')
    .replace(/[ \t]+\n/g, '\n')
    .trimEnd();
  return { text, substitutions };
}

/** A Redshift COPY of a CSV object, as the load SQL writes it (the form D6 emulates). */
export interface RedshiftCopy {
  /** schema.table as written. */
  table: string;
  /** s3://bucket/key */
  source: string;
  /** Redshift options present, upper-case (IAM_ROLE, FORMAT AS CSV, EMPTYASNULL). */
  options: string[];
  /** EMPTYASNULL: empty text cells load as NULL instead of ''. */
  emptyAsNull: boolean;
}

/**
 * Reads `COPY <schema>.<table> FROM 's3://…' <options>`; the options D6 emulates are IAM_ROLE
 * (DEFAULT or an ARN: credentials, nothing to emulate), FORMAT [AS] CSV / CSV and EMPTYASNULL. Any
 * other option is an error naming it: the emulation would not be faithful.
 */
export function parseRedshiftCopy(sql: string, where = 'SQL'): RedshiftCopy | undefined {
  const tokens = significant(splitStatements(sql, where).flatMap((statement) => statement.tokens));
  if (!isWord(tokens[0], 'COPY')) return undefined;
  const isName = (token: Token | undefined): boolean => token !== undefined && (token.kind === 'identifier' || (token.kind === 'word' && !isWord(token, 'FROM')));
  if (!isName(tokens[1])) throw new DialectError(`${where}: COPY without a table`);
  const name = [tokens[1]!.text];
  let i = 2;
  if (tokens[i]?.text === '.' && isName(tokens[i + 1])) {
    name.push('.', tokens[i + 1]!.text);
    i += 2;
  }
  if (tokens[i]?.text === '(') throw new DialectError(`${where}: COPY with a column list is not emulated (the load files carry every column in table order)`);
  if (!isWord(tokens[i], 'FROM') || tokens[i + 1]?.kind !== 'string') throw new DialectError(`${where}: expected COPY <table> FROM 's3://…'`);
  const source = tokens[i + 1]!.text.slice(1, -1).replace(/''/g, "'");
  if (!source.startsWith('s3://')) throw new DialectError(`${where}: COPY source ${source} is not an s3:// URI`);
  i += 2;
  const options: string[] = [];
  let csv = false;
  let emptyAsNull = false;
  while (i < tokens.length) {
    const word = upper(tokens[i]);
    if (word === 'IAM_ROLE') {
      const value = tokens[i + 1];
      if (!(isWord(value, 'DEFAULT') || value?.kind === 'string')) throw new DialectError(`${where}: IAM_ROLE needs DEFAULT or a role ARN`);
      options.push('IAM_ROLE');
      i += 2;
    } else if (word === 'FORMAT') {
      const at = isWord(tokens[i + 1], 'AS') ? i + 2 : i + 1;
      if (!isWord(tokens[at], 'CSV')) throw new DialectError(`${where}: COPY FORMAT ${tokens[at]?.text ?? '(nothing)'} is not emulated (only CSV)`);
      options.push('FORMAT AS CSV');
      csv = true;
      i = at + 1;
    } else if (word === 'CSV') {
      options.push('FORMAT AS CSV');
      csv = true;
      i += 1;
    } else if (word === 'EMPTYASNULL') {
      options.push('EMPTYASNULL');
      emptyAsNull = true;
      i += 1;
    } else {
      throw new DialectError(`${where}: COPY option ${tokens[i]!.text} is not emulated by the PostgreSQL stand-in (D6 covers IAM_ROLE, FORMAT AS CSV, EMPTYASNULL)`);
    }
  }
  if (!csv) throw new DialectError(`${where}: only COPY … FORMAT AS CSV is emulated`);
  return { table: name.join(''), source, options, emptyAsNull };
}
