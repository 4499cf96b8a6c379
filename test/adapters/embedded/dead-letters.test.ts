/**
 * PCI-3: a dead letter never stores a card number's digits, whatever the caller hands over
 * (content, reason or source), and the store stays idempotent. The database files themselves
 * (SQLite file, WAL) are scanned for every PAN spelling's digits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDurableDatabase } from '../../../src/adapters/embedded/database';
import { SqliteDeadLetterStore } from '../../../src/adapters/embedded/dead-letters';
import { redactPans } from '../../../src/domain/pan';
import { filesContainingDigitsOf, panSpellingList } from '../../support/pan-spellings';

describe('dead letters (PCI-3)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dead-letters-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores no digits of any PAN spelling, in content, reason or source', () => {
    const spellings = panSpellingList();
    const db = openDurableDatabase(dir, 'state.db');
    const store = new SqliteDeadLetterStore(db);
    spellings.forEach((spelling, i) => {
      store.add({ source: `input-${i}.ndjson`, position: i + 1, reason: `not JSON near ${spelling.text}`, content: spelling.text });
      store.add({ source: `feed ${spelling.text}`, position: 0, reason: 'queue message', content: `{"line":${JSON.stringify(spelling.text)}}` });
    });
    const letters = store.all();
    // One letter per (source, position, redacted content): every numbered line is kept.
    expect(letters.filter((letter) => letter.position > 0)).toHaveLength(spellings.length);
    expect(letters.filter((letter) => !letter.content.includes('[REDACTED-PAN]'))).toEqual([]);
    expect(letters.filter((letter) => letter.position > 0 && !letter.reason.includes('[REDACTED-PAN]'))).toEqual([]);
    db.close();
    const pans = [...new Set(spellings.map((spelling) => spelling.pan))];
    expect(filesContainingDigitsOf(dir, pans)).toEqual([]);
    // The scan itself sees a PAN the store was never asked to redact.
    const control = openDurableDatabase(dir, 'control.db');
    control.exec('CREATE TABLE t (x TEXT)');
    control.prepare('INSERT INTO t VALUES (?)').run(spellings[0]!.text);
    control.close();
    expect(filesContainingDigitsOf(dir, pans).map((hit) => hit.pan)).toEqual([spellings[0]!.pan]);
  });

  it('keeps one letter per line however often it is added, redacted by the caller or not', () => {
    const db = openDurableDatabase(dir, 'state.db');
    const store = new SqliteDeadLetterStore(db);
    const line = '{"note":"card 4111 1111 1111 1111 12 25"';
    store.add({ source: 'in.ndjson', position: 3, reason: 'not JSON', content: line });
    store.add({ source: 'in.ndjson', position: 3, reason: 'not JSON', content: line });
    store.add({ source: 'in.ndjson', position: 3, reason: 'not JSON', content: redactPans(line) });
    expect(store.all()).toEqual([{ source: 'in.ndjson', position: 3, reason: 'not JSON', content: '{"note":"card [REDACTED-PAN] 12 25"' }]);
    db.close();
  });
});
