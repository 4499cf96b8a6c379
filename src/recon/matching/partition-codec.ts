/**
 * Partitions' rows and their results as compact columns (REC-PERF-1): what the run's thread hands
 * another thread to match (partition.ts matchAllShared) and what comes back. Plain data only: text
 * columns are one joined string with each value's length, numbers typed arrays (their buffers
 * listed in `transfer`, moved rather than copied). Pure: no thread, no I/O.
 *
 * Rows carry only what the matcher reads of them (rows.ts statementSide / ledgerSide): ids, amount,
 * dates, references and the batch fields, the partition's account and currency once. A row with a
 * field the columns cannot carry exactly (a number where a text belongs) makes the encoder answer
 * null: such a run is matched on one thread, where it fails as it always has.
 *
 * Results name rows by their PLACE in the partition's rows as given (not by id): the receiving
 * thread builds Match and UnmatchedItem objects from its own rows' ids, with no second copy of
 * them crossing over.
 */
import type { LedgerEntry, Match, MatchResult, StatementLine, UnmatchedItem } from '../types';

/** Values joined into `text`; lengths[i] is the i-th value's length, -1 for an absent one. */
export interface TextColumn {
  text: string;
  lengths: Int32Array;
}

/**
 * Collects a TextColumn. REC-PERF-1: joining the values once they are all collected cost less, on
 * the run's thread at 1M rows, than copying each value's code units into a typed array as it comes.
 */
class TextWriter {
  private readonly parts: string[] = [];
  private n = 0;
  private lengths: Int32Array;

  /** `capacity`: how many values (more grow the column). */
  constructor(capacity: number) {
    this.lengths = new Int32Array(Math.max(16, capacity));
  }

  /** False when `value` is neither text nor absent. */
  add(value: unknown): boolean {
    let length: number;
    if (typeof value === 'string') {
      this.parts.push(value);
      length = value.length;
    } else if (value === undefined || value === null) length = -1;
    else return false;
    if (this.n === this.lengths.length) {
      const grown = new Int32Array(2 * this.lengths.length);
      grown.set(this.lengths);
      this.lengths = grown;
    }
    this.lengths[this.n++] = length;
    return true;
  }

  done(): TextColumn {
    return { text: this.parts.join(''), lengths: this.lengths.slice(0, this.n) };
  }
}

/** The values of a TextColumn, in order. */
class TextReader {
  private readonly text: string;
  private readonly lengths: Int32Array;
  private at = 0;
  private i = 0;

  constructor(column: TextColumn) {
    this.text = column.text;
    this.lengths = column.lengths;
  }

  next(): string | undefined {
    const length = this.lengths[this.i++]!;
    if (length < 0) return undefined;
    const start = this.at;
    this.at = start + length;
    return this.text.slice(start, this.at);
  }
}

/** The statement line fields the matcher reads, as text, in column order. */
const LINE_TEXT = 8;
/** The ledger entry fields the matcher reads, as text, in column order. */
const ENTRY_TEXT = 5;

/** Some partitions' rows, for a matcher on another thread, with the rule set (its JSON) and as-of date. */
export interface EncodedPartitions {
  ruleSet: string;
  asOf: string;
  partitions: number;
  /** Per partition: account, currency. */
  keys: TextColumn;
  lineCounts: Int32Array;
  entryCounts: Int32Array;
  /** Per line, LINE_TEXT values: statementLineId, amount, bookingDate, valueDate, endToEndId, bankReference, customerReference, batchReference. */
  lineText: TextColumn;
  /** Per line, as statementSide reads them: batchItemCount (0: none) and batchItem.index (0: none). */
  batchCount: Int32Array;
  batchItem: Int32Array;
  /** Per entry, ENTRY_TEXT values: entryId, amount, bookingDate, valueDate, reference. */
  entryText: TextColumn;
}

/** The partitions' rows as the encoder reads them: each partition's account, currency and rows. */
export interface PartitionRows {
  accountId: string;
  currency: string;
  statementLines: readonly StatementLine[];
  ledgerEntries: readonly LedgerEntry[];
}

/** How many rows (lines + entries) the encoded partitions hold. */
export function rowsOf(encoded: EncodedPartitions): number {
  let rows = 0;
  for (let p = 0; p < encoded.partitions; p += 1) rows += encoded.lineCounts[p]! + encoded.entryCounts[p]!;
  return rows;
}

export function transferOf(encoded: EncodedPartitions): ArrayBuffer[] {
  return [encoded.keys.lengths, encoded.lineCounts, encoded.entryCounts, encoded.lineText.lengths, encoded.batchCount, encoded.batchItem, encoded.entryText.lengths].map(
    (array) => array.buffer as ArrayBuffer,
  );
}

/** batchItemCount as statementSide takes it. */
function batchCountOf(line: StatementLine): number {
  const count = line.batchItemCount;
  return typeof count === 'number' && Number.isInteger(count) && count > 0 && count <= 2147483647 ? count : 0;
}

/** batchItem.index as statementSide takes it. */
function batchItemOf(line: StatementLine): number {
  const index = line.batchItem?.index;
  return typeof index === 'number' && Number.isInteger(index) && index > 0 && index <= 2147483647 ? index : 0;
}

/**
 * The partitions' rows as columns, or null when a row holds a field the columns cannot carry
 * exactly (an id or amount that is not text, another field neither text nor absent, a batch count
 * beyond 32 bits).
 */
export function encodePartitions(partitions: readonly PartitionRows[], ruleSet: string, asOf: string): EncodedPartitions | null {
  let lines = 0;
  let entries = 0;
  for (const p of partitions) {
    lines += p.statementLines.length;
    entries += p.ledgerEntries.length;
  }
  const keys = new TextWriter(partitions.length * 2);
  const lineCounts = new Int32Array(partitions.length);
  const entryCounts = new Int32Array(partitions.length);
  const lineText = new TextWriter(lines * LINE_TEXT);
  const batchCount = new Int32Array(lines);
  const batchItem = new Int32Array(lines);
  const entryText = new TextWriter(entries * ENTRY_TEXT);
  let row = 0;
  for (let p = 0; p < partitions.length; p += 1) {
    const partition = partitions[p]!;
    keys.add(partition.accountId);
    keys.add(partition.currency);
    lineCounts[p] = partition.statementLines.length;
    entryCounts[p] = partition.ledgerEntries.length;
    for (const line of partition.statementLines) {
      const count = line.batchItemCount;
      // A count statementSide would read as a number but 32 bits cannot hold.
      if (typeof count === 'number' && Number.isInteger(count) && count > 2147483647) return null;
      if (typeof line.statementLineId !== 'string' || typeof line.amount !== 'string') return null;
      if (!(
        lineText.add(line.statementLineId) &&
        lineText.add(line.amount) &&
        lineText.add(line.bookingDate) &&
        lineText.add(line.valueDate) &&
        lineText.add(line.endToEndId) &&
        lineText.add(line.bankReference) &&
        lineText.add(line.customerReference) &&
        lineText.add(line.batchReference)
      ))
        return null;
      batchCount[row] = batchCountOf(line);
      batchItem[row] = batchItemOf(line);
      row += 1;
    }
    for (const entry of partition.ledgerEntries) {
      if (typeof entry.entryId !== 'string' || typeof entry.amount !== 'string') return null;
      if (!(entryText.add(entry.entryId) && entryText.add(entry.amount) && entryText.add(entry.bookingDate) && entryText.add(entry.valueDate) && entryText.add(entry.reference))) return null;
    }
  }
  return {
    ruleSet,
    asOf,
    partitions: partitions.length,
    keys: keys.done(),
    lineCounts,
    entryCounts,
    lineText: lineText.done(),
    batchCount,
    batchItem,
    entryText: entryText.done(),
  };
}

/**
 * The rows back from the columns, one partition at a time (REC-PERF-1: a partition's rows are
 * garbage once it is matched, never all held at once): each partition's account, currency and rows
 * holding what the matcher reads of them, read by it exactly as the encoded rows are (an absent
 * value and null alike: the matcher takes both as absent).
 */
export class PartitionReader {
  private readonly keys: TextReader;
  private readonly lineText: TextReader;
  private readonly entryText: TextReader;
  private p = 0;
  private row = 0;

  constructor(private readonly encoded: EncodedPartitions) {
    this.keys = new TextReader(encoded.keys);
    this.lineText = new TextReader(encoded.lineText);
    this.entryText = new TextReader(encoded.entryText);
  }

  get count(): number {
    return this.encoded.partitions;
  }

  /** The next partition's rows. */
  next(): PartitionRows {
    const { encoded, keys, lineText, entryText } = this;
    const p = this.p++;
    const accountId = keys.next()!;
    const currency = keys.next()!;
    const statementLines = new Array<StatementLine>(encoded.lineCounts[p]!);
    for (let i = 0; i < statementLines.length; i += 1) {
      const statementLineId = lineText.next()!;
      const amount = lineText.next()!;
      const bookingDate = lineText.next() ?? null;
      const valueDate = lineText.next() ?? null;
      const endToEndId = lineText.next();
      const bankReference = lineText.next();
      const customerReference = lineText.next();
      const batchReference = lineText.next();
      const count = encoded.batchCount[this.row]!;
      const index = encoded.batchItem[this.row]!;
      this.row += 1;
      // Only the fields the matcher reads (rows.ts statementSide).
      statementLines[i] = {
        statementLineId,
        accountId,
        currency,
        amount,
        bookingDate,
        valueDate,
        endToEndId,
        bankReference,
        customerReference,
        batchReference,
        batchItemCount: count > 0 ? count : undefined,
        batchItem: index > 0 ? { index, of: 0 } : undefined,
      } as unknown as StatementLine;
    }
    const ledgerEntries = new Array<LedgerEntry>(encoded.entryCounts[p]!);
    for (let i = 0; i < ledgerEntries.length; i += 1) {
      const entryId = entryText.next()!;
      const amount = entryText.next()!;
      const bookingDate = entryText.next();
      const valueDate = entryText.next();
      const reference = entryText.next();
      // Only the fields the matcher reads (rows.ts ledgerSide).
      ledgerEntries[i] = { entryId, accountId, currency, amount, bookingDate, valueDate, reference } as unknown as LedgerEntry;
    }
    return { accountId, currency, statementLines, ledgerEntries };
  }
}

// ---------------------------------------------------------------------------------------------
// Results

/** Partitions' match results, their rows named by place in each partition's rows. */
export interface EncodedResults {
  partitions: number;
  matchCounts: Int32Array;
  /** Per match: its rule (a place in ruleIds), confidence, 1 when confirmed, and its numbers of lines and entries. */
  ruleIds: string[];
  rule: Int32Array;
  confidence: Float64Array;
  confirmed: Uint8Array;
  sizes: Int32Array;
  /** Per match, its lines' places then its entries' places. */
  places: Int32Array;
  matchIds: TextColumn;
  unmatchedCounts: Int32Array;
  /** Per unmatched item: 1 for the ledger side, its place, reason (a place in reasons), age, its candidate's place (-1: none), detail, group. */
  ledgerSide: Uint8Array;
  place: Int32Array;
  reasons: string[];
  reason: Int32Array;
  age: Float64Array;
  candidate: Int32Array;
  detail: TextColumn;
  group: TextColumn;
}

export function resultsTransferOf(encoded: EncodedResults): ArrayBuffer[] {
  return [
    encoded.matchCounts,
    encoded.rule,
    encoded.confidence,
    encoded.confirmed,
    encoded.sizes,
    encoded.places,
    encoded.matchIds.lengths,
    encoded.unmatchedCounts,
    encoded.ledgerSide,
    encoded.place,
    encoded.reason,
    encoded.age,
    encoded.candidate,
    encoded.detail.lengths,
    encoded.group.lengths,
  ].map((array) => array.buffer as ArrayBuffer);
}

function codeOf(codes: Map<string, number>, list: string[], value: string): number {
  let code = codes.get(value);
  if (code === undefined) {
    code = list.length;
    list.push(value);
    codes.set(value, code);
  }
  return code;
}

function placesOf(ids: readonly string[]): Map<string, number> {
  const places = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 1) places.set(ids[i]!, i);
  return places;
}

/** A growing column of numbers. */
class Numbers<T extends Int32Array | Float64Array | Uint8Array> {
  private at = 0;
  constructor(private array: T) {}

  push(value: number): void {
    if (this.at === this.array.length) {
      const grown = new (this.array.constructor as new (length: number) => T)(2 * this.array.length);
      grown.set(this.array);
      this.array = grown;
    }
    this.array[this.at++] = value;
  }

  done(): T {
    return this.array.subarray(0, this.at) as T;
  }
}

/**
 * Partitions' results as columns, added one partition at a time (each with the rows it was matched
 * from, whose ids are unique, as the matcher checked).
 */
export class ResultsWriter {
  private partitions = 0;
  private readonly matchCounts = new Numbers(new Int32Array(64));
  private readonly ruleIds: string[] = [];
  private readonly ruleCodes = new Map<string, number>();
  private readonly rule = new Numbers(new Int32Array(1024));
  private readonly confidence = new Numbers(new Float64Array(1024));
  private readonly confirmed = new Numbers(new Uint8Array(1024));
  private readonly sizes = new Numbers(new Int32Array(2048));
  private readonly places = new Numbers(new Int32Array(4096));
  private readonly matchIds = new TextWriter(0);
  private readonly unmatchedCounts = new Numbers(new Int32Array(64));
  private readonly ledgerSide = new Numbers(new Uint8Array(1024));
  private readonly place = new Numbers(new Int32Array(1024));
  private readonly reasons: string[] = [];
  private readonly reasonCodes = new Map<string, number>();
  private readonly reason = new Numbers(new Int32Array(1024));
  private readonly age = new Numbers(new Float64Array(1024));
  private readonly candidate = new Numbers(new Int32Array(1024));
  private readonly detail = new TextWriter(0);
  private readonly group = new TextWriter(0);

  add(partition: PartitionRows, result: MatchResult): void {
    this.partitions += 1;
    const linePlaces = placesOf(partition.statementLines.map((line) => line.statementLineId));
    const entryPlaces = placesOf(partition.ledgerEntries.map((entry) => entry.entryId));
    this.matchCounts.push(result.matches.length);
    for (const m of result.matches) {
      this.rule.push(codeOf(this.ruleCodes, this.ruleIds, m.ruleId));
      this.confidence.push(m.confidence);
      this.confirmed.push(m.status === 'confirmed' ? 1 : 0);
      this.sizes.push(m.statementLineIds.length);
      this.sizes.push(m.ledgerEntryIds.length);
      for (const id of m.statementLineIds) this.places.push(linePlaces.get(id)!);
      for (const id of m.ledgerEntryIds) this.places.push(entryPlaces.get(id)!);
      this.matchIds.add(m.matchId);
    }
    this.unmatchedCounts.push(result.unmatched.length);
    for (const item of result.unmatched) {
      const ledger = item.side === 'ledger';
      this.ledgerSide.push(ledger ? 1 : 0);
      this.place.push((ledger ? entryPlaces : linePlaces).get(item.id)!);
      this.reason.push(codeOf(this.reasonCodes, this.reasons, item.reason));
      this.age.push(item.ageDays);
      this.candidate.push(item.candidateId === undefined ? -1 : (ledger ? linePlaces : entryPlaces).get(item.candidateId)!);
      this.detail.add(item.detail);
      this.group.add(item.group);
    }
  }

  done(): EncodedResults {
    // Each column its own buffer (they are transferred).
    const own = <T extends Int32Array | Float64Array | Uint8Array>(column: Numbers<T>): T => column.done().slice() as T;
    return {
      partitions: this.partitions,
      matchCounts: own(this.matchCounts),
      ruleIds: this.ruleIds,
      rule: own(this.rule),
      confidence: own(this.confidence),
      confirmed: own(this.confirmed),
      sizes: own(this.sizes),
      places: own(this.places),
      matchIds: this.matchIds.done(),
      unmatchedCounts: own(this.unmatchedCounts),
      ledgerSide: own(this.ledgerSide),
      place: own(this.place),
      reasons: this.reasons,
      reason: own(this.reason),
      age: own(this.age),
      candidate: own(this.candidate),
      detail: this.detail.done(),
      group: this.group.done(),
    };
  }
}

/**
 * The partitions' results from their columns, ids read from `partitions` (the rows the encoded
 * ones were made from, in the same order): equal to the results a ResultsWriter was given, their
 * objects' fields in the same order; firstLinePlaces[k] is the place of the k-th match's first line.
 */
export function decodeResults(encoded: EncodedResults, partitions: readonly PartitionRows[]): { results: MatchResult[]; firstLinePlaces: Int32Array } {
  const matchIds = new TextReader(encoded.matchIds);
  const detail = new TextReader(encoded.detail);
  const group = new TextReader(encoded.group);
  const results: MatchResult[] = [];
  const firstLinePlaces = new Int32Array(encoded.rule.length);
  let k = 0;
  let at = 0;
  let u = 0;
  for (let p = 0; p < encoded.partitions; p += 1) {
    const { statementLines, ledgerEntries } = partitions[p]!;
    const matches = new Array<Match>(encoded.matchCounts[p]!);
    for (let j = 0; j < matches.length; j += 1) {
      firstLinePlaces[k] = encoded.places[at]!;
      const statementLineIds = new Array<string>(encoded.sizes[2 * k]!);
      for (let i = 0; i < statementLineIds.length; i += 1) statementLineIds[i] = statementLines[encoded.places[at++]!]!.statementLineId;
      const ledgerEntryIds = new Array<string>(encoded.sizes[2 * k + 1]!);
      for (let i = 0; i < ledgerEntryIds.length; i += 1) ledgerEntryIds[i] = ledgerEntries[encoded.places[at++]!]!.entryId;
      matches[j] = {
        matchId: matchIds.next()!,
        ruleId: encoded.ruleIds[encoded.rule[k]!]!,
        confidence: encoded.confidence[k]!,
        status: encoded.confirmed[k] === 1 ? 'confirmed' : 'proposed',
        statementLineIds,
        ledgerEntryIds,
      };
      k += 1;
    }
    const unmatched = new Array<UnmatchedItem>(encoded.unmatchedCounts[p]!);
    for (let j = 0; j < unmatched.length; j += 1) {
      const ledger = encoded.ledgerSide[u] === 1;
      const place = encoded.place[u]!;
      const item: UnmatchedItem = {
        side: ledger ? 'ledger' : 'statement',
        id: ledger ? ledgerEntries[place]!.entryId : statementLines[place]!.statementLineId,
        reason: encoded.reasons[encoded.reason[u]!]! as UnmatchedItem['reason'],
        ageDays: encoded.age[u]!,
      };
      const candidate = encoded.candidate[u]!;
      if (candidate >= 0) item.candidateId = ledger ? statementLines[candidate]!.statementLineId : ledgerEntries[candidate]!.entryId;
      const text = detail.next();
      if (text !== undefined) item.detail = text;
      const key = group.next();
      if (key !== undefined) item.group = key;
      unmatched[j] = item;
      u += 1;
    }
    results.push({ matches, unmatched });
  }
  return { results, firstLinePlaces };
}
