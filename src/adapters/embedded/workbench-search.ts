/**
 * The workbench's reference search index (WB-1), one definition: the contentless FTS5 trigram
 * table `case_search` (see SEARCH_TABLES in workbench-store.ts) and, for a big first import
 * (REC-PERF-1), the same index built apart: on its own thread (./search-index.thread.ts) in an
 * in-memory database, handed back as the rows of its shadow tables, which the import writes into
 * the store's empty index in its own transaction. FTS5 keeps an index only in those tables, so
 * the same documents under the same rowids give the same index, and every search the same answer.
 *
 * The rows travel lean (REC-PERF-1: the import runs at the run's memory peak): the index's pages
 * (its data blocks, most of its bytes) as one buffer that is moved, not copied, to the importing
 * thread; the other tables as one JSON text each, blobs in hex, read into SQLite by json_each.
 */
import Database from 'better-sqlite3';
import type { StateDatabase } from './database';

/** The search index's definition (trigram, case-sensitive over text that is lower-case already, detail=full: a term is one exact substring). */
export const CASE_SEARCH_TABLE = "CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5(search_text, content='', contentless_delete=1, tokenize='trigram case_sensitive 1', detail=full)";

/** The index's shadow tables: all FTS5 keeps of a contentless table. */
export const CASE_SEARCH_SHADOWS = ['case_search_data', 'case_search_idx', 'case_search_docsize', 'case_search_config'] as const;

/** A built index's shadow tables: the data blocks' ids and their bytes back to back, the rest as JSON rows (blobs in hex). */
export interface SearchIndexRows {
  dataIds: Float64Array;
  /** Where each data block ends in `dataBytes`. */
  dataEnds: Float64Array;
  dataBytes: Uint8Array;
  /** JSON [[segid, hex(term), pgno], …]. */
  idx: string;
  /** JSON [[id, hex(sz), origin], …]. */
  docsize: string;
  /** JSON [[k, v], …]. */
  config: string;
}

/** The index of `texts` (rowids first + 0, first + 1, …) built in an in-memory database, as its shadow tables' rows. */
export function buildSearchIndexRows(texts: readonly string[], first: number): SearchIndexRows {
  const db = new Database(':memory:');
  try {
    db.exec(CASE_SEARCH_TABLE);
    const insert = db.prepare<[number, string]>('INSERT INTO case_search (rowid, search_text) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < texts.length; i += 1) insert.run(first + i, texts[i]!);
    })();
    const blocks = db.prepare<[], [number, Buffer | null]>('SELECT id, block FROM case_search_data ORDER BY id').raw().all();
    const dataIds = new Float64Array(blocks.length);
    const dataEnds = new Float64Array(blocks.length);
    let size = 0;
    for (const [, block] of blocks) {
      // FTS5 writes every block with its bytes; one without could not travel as bytes: the import then fills the index itself.
      if (!block) throw new Error('the search index has a data block without bytes');
      size += block.length;
    }
    const dataBytes = new Uint8Array(size);
    let end = 0;
    blocks.forEach(([id, block], i) => {
      dataIds[i] = id;
      dataBytes.set(block!, end);
      end += block!.length;
      dataEnds[i] = end;
    });
    const json = (sql: string): string => db.prepare<[], string>(sql).pluck().get() ?? '[]';
    return {
      dataIds,
      dataEnds,
      dataBytes,
      idx: json('SELECT json_group_array(json_array(segid, hex(term), pgno)) FROM case_search_idx'),
      docsize: json('SELECT json_group_array(json_array(id, hex(sz), origin)) FROM case_search_docsize'),
      config: json('SELECT json_group_array(json_array(k, v)) FROM case_search_config'),
    };
  } finally {
    db.close();
  }
}

/**
 * Writes a built index into `db`'s search index, replacing what its shadow tables hold (an empty
 * index). The caller holds the write transaction and has turned defensive mode off (the shadow
 * tables are read-only to SQL otherwise).
 */
export function writeSearchIndexRows(db: StateDatabase, rows: SearchIndexRows): void {
  for (const table of CASE_SEARCH_SHADOWS) db.exec(`DELETE FROM ${table}`);
  const insertBlock = db.prepare<[number, Buffer]>('INSERT INTO case_search_data (id, block) VALUES (?, ?)');
  // A view of the bytes (no copy): SQLite binds Buffers.
  const bytes = Buffer.from(rows.dataBytes.buffer, rows.dataBytes.byteOffset, rows.dataBytes.byteLength);
  let start = 0;
  for (let i = 0; i < rows.dataIds.length; i += 1) {
    const end = rows.dataEnds[i]!;
    insertBlock.run(rows.dataIds[i]!, bytes.subarray(start, end));
    start = end;
  }
  db.prepare('INSERT INTO case_search_idx (segid, term, pgno) SELECT value->>0, unhex(value->>1), value->>2 FROM json_each(?)').run(rows.idx);
  db.prepare('INSERT INTO case_search_docsize (id, sz, origin) SELECT value->>0, unhex(value->>1), value->>2 FROM json_each(?)').run(rows.docsize);
  db.prepare('INSERT INTO case_search_config (k, v) SELECT value->>0, value->>1 FROM json_each(?)').run(rows.config);
}
