/**
 * A small SQL lexer for the Redshift migrations and the load SQL (REC-2): enough to split a
 * migration file into statements (the Data API runs one statement per SQL string), to find the
 * Redshift-only clauses the PostgreSQL dialect removes (redshift/dialect.ts), and to never mistake
 * a keyword inside a string literal, a quoted identifier or a comment for SQL.
 *
 * Not a parser: it knows words, numbers, '…' literals, "…" identifiers, comments and punctuation.
 * Two things both engines read differently are refused outright (with the offset named):
 * dollar quoting ($$ … $$, PostgreSQL only) and a backslash inside a string literal (an escape in
 * Redshift, a plain character in PostgreSQL's standard strings).
 */

export type TokenKind = 'word' | 'number' | 'string' | 'identifier' | 'punct' | 'space' | 'comment';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the token's first character in the source. */
  offset: number;
}

export class SqlSyntaxError extends Error {
  override name = 'SqlSyntaxError';
}

/** 1-based line and column of an offset, for error messages. */
export function lineAndColumn(source: string, offset: number): string {
  const before = source.slice(0, offset).split('\n');
  return `line ${before.length} column ${before[before.length - 1]!.length + 1}`;
}

export function tokenize(source: string, where = 'SQL'): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (offset: number, fault: string): never => {
    throw new SqlSyntaxError(`${where} ${lineAndColumn(source, offset)}: ${fault}`);
  };
  while (i < source.length) {
    const start = i;
    const c = source[i]!;
    if (/\s/.test(c)) {
      while (i < source.length && /\s/.test(source[i]!)) i += 1;
      tokens.push({ kind: 'space', text: source.slice(start, i), offset: start });
    } else if (c === '-' && source[i + 1] === '-') {
      while (i < source.length && source[i] !== '\n') i += 1;
      tokens.push({ kind: 'comment', text: source.slice(start, i), offset: start });
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) fail(start, 'unterminated /* comment');
      if (source.slice(i + 2, end).includes('/*')) fail(start, 'nested /* comments are read differently by Redshift and PostgreSQL');
      i = end + 2;
      tokens.push({ kind: 'comment', text: source.slice(start, i), offset: start });
    } else if (c === "'") {
      i += 1;
      for (;;) {
        if (i >= source.length) fail(start, 'unterminated string literal');
        if (source[i] === '\\') fail(i, 'a backslash in a string literal is an escape in Redshift but not in PostgreSQL');
        if (source[i] === "'") {
          if (source[i + 1] === "'") {
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        i += 1;
      }
      tokens.push({ kind: 'string', text: source.slice(start, i), offset: start });
    } else if (c === '"') {
      i += 1;
      for (;;) {
        if (i >= source.length) fail(start, 'unterminated quoted identifier');
        if (source[i] === '"') {
          if (source[i + 1] === '"') {
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        i += 1;
      }
      tokens.push({ kind: 'identifier', text: source.slice(start, i), offset: start });
    } else if (c === '$') {
      fail(start, 'dollar quoting ($…$) is PostgreSQL-only');
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < source.length && /[A-Za-z0-9_$]/.test(source[i]!)) i += 1;
      tokens.push({ kind: 'word', text: source.slice(start, i), offset: start });
    } else if (/[0-9]/.test(c)) {
      while (i < source.length && /[0-9.]/.test(source[i]!)) i += 1;
      tokens.push({ kind: 'number', text: source.slice(start, i), offset: start });
    } else {
      i += 1;
      tokens.push({ kind: 'punct', text: c, offset: start });
    }
  }
  return tokens;
}

/** Tokens that carry meaning (no whitespace, no comments). */
export function significant(tokens: readonly Token[]): Token[] {
  return tokens.filter((token) => token.kind !== 'space' && token.kind !== 'comment');
}

/** A word token, compared case-insensitively. */
export function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token !== undefined && token.kind === 'word' && words.includes(token.text.toUpperCase());
}

export interface Statement {
  /** The statement's text without its terminating semicolon, trimmed (comments inside kept). */
  text: string;
  tokens: Token[];
  /** Offset of the statement's first significant token in the source. */
  offset: number;
}

/**
 * Splits a script into statements at top-level semicolons. Statements that hold only comments
 * and whitespace are dropped; the last statement's semicolon is optional.
 */
export function splitStatements(source: string, where = 'SQL'): Statement[] {
  const tokens = tokenize(source, where);
  const statements: Statement[] = [];
  let current: Token[] = [];
  const close = (): void => {
    const first = current.findIndex((token) => token.kind !== 'space' && token.kind !== 'comment');
    if (first >= 0) {
      let last = current.length - 1;
      while (current[last]!.kind === 'space') last -= 1;
      const body = current.slice(first, last + 1);
      statements.push({ text: body.map((token) => token.text).join(''), tokens: body, offset: body[0]!.offset });
    }
    current = [];
  };
  for (const token of tokens) {
    if (token.kind === 'punct' && token.text === ';') close();
    else current.push(token);
  }
  close();
  return statements;
}
