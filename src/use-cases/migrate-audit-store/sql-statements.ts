/**
 * PostgreSQL scripts cut into single statements (AUDIT-1): the RDS Data API runs ONE statement
 * per call, so the audit migrations are applied statement by statement, locally as on AWS.
 *
 * A lexer, not a parser. It knows what can hide a semicolon or a `$n` placeholder: `--` and
 * (nested) `/* … *\/` comments, '…' strings ('' inside), E'…' strings (backslash escapes),
 * "…" identifiers and dollar-quoted bodies ($$ … $$, $tag$ … $tag$). A top-level `;` ends a
 * statement. Statements the runner must own are refused, naming the file and line: transaction
 * control (the runner holds one transaction) and BEGIN ATOMIC bodies (semicolons at top level).
 */

export class SqlScriptError extends Error {
  override name = 'SqlScriptError';
}

export interface SqlStatement {
  /** The statement without its terminating semicolon, trimmed; comments inside kept. */
  text: string;
  /** 1-based line of its first character in the script. */
  line: number;
}

type Piece = { kind: 'code' | 'quoted' | 'comment'; text: string; offset: number };

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i += 1) if (source.charCodeAt(i) === 10) line += 1;
  return line;
}

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** The script as code, quoted text and comments; an unterminated quote or comment is an error naming `where` and the line. */
function lex(source: string, where: string): Piece[] {
  const pieces: Piece[] = [];
  const fail = (offset: number, fault: string): never => {
    throw new SqlScriptError(`${where} line ${lineOf(source, offset)}: ${fault}`);
  };
  let code = 0;
  const flushCode = (end: number): void => {
    if (end > code) pieces.push({ kind: 'code', text: source.slice(code, end), offset: code });
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    let end = -1;
    let kind: Piece['kind'] = 'quoted';
    if (c === '-' && next === '-') {
      kind = 'comment';
      end = source.indexOf('\n', i);
      if (end < 0) end = source.length;
    } else if (c === '/' && next === '*') {
      kind = 'comment';
      let depth = 1;
      let j = i + 2;
      while (depth > 0) {
        if (j >= source.length) fail(i, 'unterminated /* comment');
        if (source[j] === '/' && source[j + 1] === '*') {
          depth += 1;
          j += 2;
        } else if (source[j] === '*' && source[j + 1] === '/') {
          depth -= 1;
          j += 2;
        } else j += 1;
      }
      end = j;
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(source[i - 1]!) && (i < 2 || !IDENT_CHAR.test(source[i - 2]!));
      let j = i + 1;
      for (;;) {
        if (j >= source.length) fail(i, 'unterminated string literal');
        if (escapes && source[j] === '\\') j += 2;
        else if (source[j] === "'" && source[j + 1] === "'") j += 2;
        else if (source[j] === "'") break;
        else j += 1;
      }
      end = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= source.length) fail(i, 'unterminated quoted identifier');
        if (source[j] === '"' && source[j + 1] === '"') j += 2;
        else if (source[j] === '"') break;
        else j += 1;
      }
      end = j + 1;
    } else if (c === '$' && (i === 0 || !IDENT_CHAR.test(source[i - 1]!))) {
      const tag = DOLLAR_TAG.exec(source.slice(i, i + 200));
      if (tag) {
        const close = source.indexOf(tag[0], i + tag[0].length);
        if (close < 0) fail(i, `unterminated dollar-quoted text (${tag[0]})`);
        end = close + tag[0].length;
      }
    }
    if (end < 0) {
      i += 1;
      continue;
    }
    flushCode(i);
    pieces.push({ kind, text: source.slice(i, end), offset: i });
    i = end;
    code = end;
  }
  flushCode(source.length);
  return pieces;
}

const TRANSACTION_CONTROL = /^(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b/i;

/**
 * The statements of a script, in order, each with its line. Statements holding only comments
 * and whitespace are dropped; the last semicolon is optional.
 */
export function splitSqlStatements(source: string, where = 'SQL'): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let parts: Piece[] = [];
  const close = (): void => {
    const first = parts.findIndex((piece) => piece.kind !== 'comment' && piece.text.trim() !== '');
    if (first >= 0) {
      const text = parts
        .slice(first)
        .map((piece) => piece.text)
        .join('')
        .trim();
      const lead = parts[first]!;
      const offset = lead.offset + (lead.text.length - lead.text.trimStart().length);
      const line = lineOf(source, offset);
      const code = parts
        .filter((piece) => piece.kind === 'code')
        .map((piece) => piece.text)
        .join(' ');
      if (TRANSACTION_CONTROL.test(text)) throw new SqlScriptError(`${where} line ${line}: transaction control (${/^\S+/.exec(text)![0]}) is the migration runner's, not a migration's`);
      if (/\bBEGIN\s+ATOMIC\b/i.test(code)) throw new SqlScriptError(`${where} line ${line}: a BEGIN ATOMIC body cannot be cut into statements; use a dollar-quoted body`);
      statements.push({ text, line });
    }
    parts = [];
  };
  for (const piece of lex(source, where)) {
    if (piece.kind !== 'code') {
      parts.push(piece);
      continue;
    }
    let from = 0;
    for (let k = piece.text.indexOf(';'); k >= 0; k = piece.text.indexOf(';', from)) {
      if (k > from) parts.push({ kind: 'code', text: piece.text.slice(from, k), offset: piece.offset + from });
      close();
      from = k + 1;
    }
    if (from < piece.text.length) parts.push({ kind: 'code', text: piece.text.slice(from), offset: piece.offset + from });
  }
  close();
  return statements;
}

/**
 * `sql` with each positional placeholder `$n` outside quotes and comments replaced by
 * `rename(n)` (the Data API names its parameters: `:p1`).
 */
export function renamePlaceholders(sql: string, rename: (n: number) => string): string {
  return lex(sql, 'SQL')
    .map((piece) => (piece.kind === 'code' ? piece.text.replace(/(?<![A-Za-z0-9_$\u0080-\uffff])\$([1-9][0-9]*)/g, (_m, n: string) => rename(Number(n))) : piece.text))
    .join('');
}
