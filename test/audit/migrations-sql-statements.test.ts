/**
 * Cutting a PostgreSQL script into single statements (AUDIT-1: the Data API runs one per call):
 * generated scripts whose semicolons and placeholders hide in strings, identifiers, comments and
 * dollar-quoted bodies split back into exactly the statements they were made of; every class of
 * malformed script is refused naming the file and line.
 */
import fc from 'fast-check';
import { readAuditMigrations } from '../../src/adapters/postgres/audit-migrations';
import { renamePlaceholders, splitSqlStatements, SqlScriptError } from '../../src/use-cases/migrate-audit-store/sql-statements';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

/** Text that may hold anything a lexer must not mistake for code: ; $1 :p1 quotes of the other kinds, newlines. */
const tricky = fc.array(fc.constantFrom(';', '$1', ':p1', '"', "'", '$$', '--', '/*', '*/', 'a', ' ', '\n', 'é', '\\', 'x$y'), { maxLength: 8 }).map((parts) => parts.join(''));

/** One piece of a statement that hides its content from the splitter, and the content. */
const hidden: fc.Arbitrary<string> = fc.oneof(
  tricky.map((t) => `'${t.replace(/'/g, "''")}'`),
  tricky.map((t) => `E'${t.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`),
  tricky.map((t) => `"${t.replace(/"/g, '""')}"`),
  tricky.filter((t) => !t.includes('$body$')).map((t) => `$body$${t}$body$`),
  tricky.filter((t) => !t.includes('$$')).map((t) => `$$${t}$$`),
  tricky.map((t) => `/* ${t.replace(/\/\*|\*\//g, '')} /* nested ${t.replace(/\/\*|\*\//g, '')} */ */`),
  tricky.map((t) => `-- ${t.replace(/\n/g, ' ')}\n`),
);
const word = fc.constantFrom('SELECT', 'x', 'a$b', 'CAST(1 AS int)', '1', '(', ')', ',', '=', 'e', 'E');
const statementArb = fc
  .tuple(fc.constantFrom('SELECT', 'CREATE TABLE t', 'INSERT INTO t VALUES', 'DO', 'GRANT SELECT ON t TO r'), fc.array(fc.oneof(word, hidden), { maxLength: 6 }))
  // Not trimmed at the end: a statement ending in a line comment keeps the comment's newline.
  .map(([head, rest]) => [head, ...rest].join(' '));
const gap = fc.constantFrom('', ' ', '\n', '\n\n  ', ' -- note; with semicolon\n', ' /* ; */ ');

describe('splitSqlStatements', () => {
  it('splits any generated script back into the statements it was joined from, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(statementArb, gap, gap), { minLength: 1, maxLength: 6 }), fc.boolean(), (parts, finalSemicolon) => {
        const script = parts.map(([statement, before, after], i) => `${before}${statement}${after}${i < parts.length - 1 || finalSemicolon ? ';' : ''}`).join('');
        const split = splitSqlStatements(script, 'gen.sql');
        // Trailing comments stay with their statement; compare without them.
        const strip = (s: string) => s.replace(/(\s*(--[^\n]*\n?|\/\* ; \*\/))+\s*$/g, '').trim();
        expect(split.map((s) => strip(s.text))).toEqual(parts.map(([statement]) => strip(statement)));
        for (const s of split) expect(script.split('\n')[s.line - 1]).toContain(s.text.split('\n')[0]);
      }),
      { numRuns: fuzzRuns(400), seed: fuzzSeed(61_206) },
    );
  });

  it('drops statements of only comments and whitespace', () => {
    expect(splitSqlStatements('-- a;\n/* b; */ ;\n  ;SELECT 1;;', 'x.sql')).toEqual([{ text: 'SELECT 1', line: 3 }]);
    expect(splitSqlStatements('', 'x.sql')).toEqual([]);
  });

  it('cuts the shipped audit migrations into statements that each hold one command', () => {
    for (const migration of readAuditMigrations()) {
      const statements = splitSqlStatements(migration.sql, migration.file);
      expect(statements.length).toBeGreaterThan(10);
      // The dollar-quoted bodies stay whole: each function/DO statement ends with its closing $$.
      for (const s of statements.filter((st) => /^(CREATE FUNCTION|DO)\b/.test(st.text))) expect(s.text).toMatch(/\$\$$/);
      expect(statements.map((s) => s.text).join(';\n')).not.toMatch(/^\s*;/m);
    }
  });

  const refused: [string, string, RegExp][] = [
    ['unterminated string', "SELECT 1;\nSELECT 'abc", /bad\.sql line 2: unterminated string literal/],
    ['unterminated E string (backslash-escaped quote)', "SELECT E'it\\'s", /bad\.sql line 1: unterminated string literal/],
    ['unterminated quoted identifier', 'SELECT "abc', /bad\.sql line 1: unterminated quoted identifier/],
    ['unterminated block comment', 'SELECT 1 /* a /* b */', /bad\.sql line 1: unterminated \/\* comment/],
    ['unterminated dollar quote', 'SELECT 1;\n\nDO $fn$ BEGIN END; $$', /bad\.sql line 3: unterminated dollar-quoted text \(\$fn\$\)/],
    ['BEGIN', 'BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;', /bad\.sql line 1: transaction control \(BEGIN\)/],
    ['COMMIT', 'CREATE TABLE t (a int);\ncommit;', /bad\.sql line 2: transaction control \(commit\)/],
    ['START TRANSACTION', 'START TRANSACTION;', /transaction control \(START\)/],
    ['SAVEPOINT', 'SAVEPOINT a;', /transaction control \(SAVEPOINT\)/],
    ['ROLLBACK', '-- x\nROLLBACK', /bad\.sql line 2: transaction control \(ROLLBACK\)/],
    ['BEGIN ATOMIC body', 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;', /bad\.sql line 1: a BEGIN ATOMIC body cannot be cut/],
  ];
  it.each(refused)('refuses %s, naming the file and line', (_name, script, message) => {
    expect(() => splitSqlStatements(script, 'bad.sql')).toThrow(SqlScriptError);
    expect(() => splitSqlStatements(script, 'bad.sql')).toThrow(message);
  });

  it('does not take BEGIN inside a dollar-quoted body or an identifier for transaction control', () => {
    expect(splitSqlStatements('DO $$ BEGIN PERFORM 1; END; $$;\nSELECT "begin";', 'ok.sql').map((s) => s.text)).toEqual(['DO $$ BEGIN PERFORM 1; END; $$', 'SELECT "begin"']);
  });
});

describe('renamePlaceholders', () => {
  it('renames $n in code only, never inside quotes, comments or dollar bodies, nor in identifiers like a$1', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(hidden, fc.constantFrom(' $1 ', ' $2', ' $10 ', ' a$1 ', ' x ', ' = ')), { maxLength: 10 }), (parts) => {
        const sql = parts.join(' ');
        const renamed = renamePlaceholders(sql, (n) => `:p${n}`);
        const expected = parts.map((part) => (/^ \$\d+/.test(part) ? part.replace(/\$(\d+)/, ':p$1') : part)).join(' ');
        expect(renamed).toBe(expected);
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(61_207) },
    );
  });

  it('renames each placeholder of an ordinary statement', () => {
    expect(renamePlaceholders("INSERT INTO t VALUES ($1, $2, '$1', $12) -- $3", (n) => `:p${n}`)).toBe("INSERT INTO t VALUES (:p1, :p2, '$1', :p12) -- $3");
  });
});
