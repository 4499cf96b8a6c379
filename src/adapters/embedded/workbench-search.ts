/**
 * The workbench's reference search index (WB-1), one definition: the contentless FTS5 trigram
 * table `case_search` (see SEARCH_TABLES in workbench-store.ts) and, for a big first import
 * (REC-PERF-1), the same index built apart: on its own thread (./search-index.thread.ts) in an
 * in-memory database, handed back as the rows of its shadow tables, which the import writes into
 * the store's empty index in its own transaction. FTS5 keeps an index only in those tables, so
 * the same documents under the same rowids give the same index, and every search the same answer.
 */
import Database from 'better-sqlite3';

/** The search index's definition (trigram, case-sensitive over text that is lower-case already, detail=full: a term is one exact substring). */
export const CASE_SEARCH_TABLE = "CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5(search_text, content='', contentless_delete=1, tokenize='trigram case_sensitive 1', detail=full)";

/** The index's shadow tables and their columns: all FTS5 keeps of a contentless table. */
export const CASE_SEARCH_SHADOWS = {
  case_search_data: ['id', 'block'],
  case_search_idx: ['segid', 'term', 'pgno'],
  case_search_docsize: ['id', 'sz', 'origin'],
  case_search_config: ['k', 'v'],
} as const;

export type SearchShadowTable = keyof typeof CASE_SEARCH_SHADOWS;
/** The rows of each shadow table, in the order of its columns. */
export type SearchIndexRows = Record<SearchShadowTable, unknown[][]>;

/** The index of `texts` (rowids first + 0, first + 1, …) built in an in-memory database, as its shadow tables' rows. */
export function buildSearchIndexRows(texts: readonly string[], first: number): SearchIndexRows {
  const db = new Database(':memory:');
  try {
    db.exec(CASE_SEARCH_TABLE);
    const insert = db.prepare<[number, string]>('INSERT INTO case_search (rowid, search_text) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < texts.length; i += 1) insert.run(first + i, texts[i]!);
    })();
    const rows = {} as SearchIndexRows;
    for (const [table, columns] of Object.entries(CASE_SEARCH_SHADOWS) as [SearchShadowTable, readonly string[]][]) {
      rows[table] = db
        .prepare(`SELECT ${columns.join(', ')} FROM ${table}`)
        .raw()
        .all() as unknown[][];
    }
    return rows;
  } finally {
    db.close();
  }
}
