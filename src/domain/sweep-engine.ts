/**
 * The sweep engine (SWEEP-1/2, HOOK-2): the one sweeper pattern every sweeper configures.
 *
 * A sweep reads one page of candidates (due or RETRYING items of a sparse index), and for each:
 *  - decides by the threshold: under the limit (and re-drivable) it is re-driven under its
 *    deterministic name; past it, it is marked FAILED with the reason (the dead letter);
 *  - re-drives it under that name (a name already used starts nothing: the outcome is `already`),
 *    then settles its state (e.g. RUNNING with one more attempt);
 *  - isolates its errors: a store error at any step defers that item alone (it stays in the index,
 *    for the next sweep) and the rest of the page goes on (CHAOS-1).
 *
 * Every examined item ends in exactly one bucket of the tally: a re-drive outcome, `already`,
 * `failed`, `superseded` (another process moved it on first: nothing marked) or `deferred`. A name
 * is re-driven at most once per sweep (a second candidate under a name seen in the page counts as
 * `already` without a call); across sweeps the name stays the same until the item's state is
 * settled, so a deferred item found again is re-driven under the name already used and starts
 * nothing twice.
 *
 * Pure: no AWS, storage or file-system import; each sweeper supplies its ports as the spec.
 */

/** The threshold decision for one candidate. */
export type SweepDecision = { kind: 'redrive'; name: string } | { kind: 'fail'; reason: string };

/** Why a candidate is past the threshold. */
export type FailCause = 'exhausted' | 'not-redrivable';

/** What a re-drive under an already-used name yields: nothing was started. */
export const ALREADY = 'already';
export type Already = typeof ALREADY;

export interface SweepSpec<Item, Outcome extends string> {
  /** One page of candidates (what "due" is for this sweeper), read from its sparse index. */
  page(): Promise<readonly Item[]>;
  /** The re-drives already made of `item` (the attempts its deterministic name counts). */
  attempts(item: Item): number;
  /**
   * Re-drives allowed per item before it is marked FAILED. `Infinity` when the item's own policy
   * decides its dead letter after each attempt (the webhook delivery policy): then the re-drive
   * outcome names it.
   */
  limit: number;
  /** Whether `item` can be re-driven at all (e.g. it holds the event to re-drive); default yes. */
  redrivable?(item: Item): boolean;
  /** The deterministic re-drive name of `item`'s next attempt: the same item and attempt, the same name. */
  nameOf(item: Item): string;
  /** The reason a past-threshold `item` is marked FAILED with. */
  reasonOf(item: Item, cause: FailCause): string;
  /** Re-drives `item` under `name`; resolves to its outcome, or `already` when the name was used. */
  redrive(item: Item, name: string): Promise<Outcome | Already>;
  /** After a re-drive (started or found already started): moves the item's state on. */
  settle?(item: Item, outcome: Outcome | Already): Promise<void>;
  /** Marks `item` FAILED with `reason`: true when this sweep marked it, false when another process had moved it on. */
  markFailed(item: Item, reason: string): Promise<boolean>;
}

export type SweepBucket<Outcome extends string> = Outcome | Already | 'failed' | 'superseded' | 'deferred';

/** Where one examined item ended. */
export interface SweptItem<Item, Outcome extends string> {
  item: Item;
  /** Absent only when the decision itself threw (the item is deferred). */
  decision?: SweepDecision;
  bucket: SweepBucket<Outcome>;
  /** For a deferred item whose re-drive returned before the store error: that outcome (its name is used). */
  redrive?: Outcome | Already;
  /** For a deferred item: the store error that deferred it. */
  error?: unknown;
}

export interface SweepTally<Item, Outcome extends string> {
  examined: number;
  /** Items per bucket: the buckets add up to `examined`. */
  buckets: Partial<Record<SweepBucket<Outcome>, number>>;
  /** Every examined item, in page order, with its bucket. */
  items: SweptItem<Item, Outcome>[];
}

/** The threshold decision: pure, the one rule of every sweeper. */
export function decide<Item, Outcome extends string>(spec: SweepSpec<Item, Outcome>, item: Item): SweepDecision {
  if (spec.redrivable && !spec.redrivable(item)) return { kind: 'fail', reason: spec.reasonOf(item, 'not-redrivable') };
  if (spec.attempts(item) >= spec.limit) return { kind: 'fail', reason: spec.reasonOf(item, 'exhausted') };
  return { kind: 'redrive', name: spec.nameOf(item) };
}

/** The count of `bucket` in `tally` (0 when none). */
export function countOf<Item, Outcome extends string>(tally: SweepTally<Item, Outcome>, bucket: SweepBucket<Outcome>): number {
  return tally.buckets[bucket] ?? 0;
}

/** One sweep of one page. Rejects only when the page itself cannot be read. */
export async function runSweep<Item, Outcome extends string>(spec: SweepSpec<Item, Outcome>): Promise<SweepTally<Item, Outcome>> {
  const candidates = await spec.page();
  const tally: SweepTally<Item, Outcome> = { examined: 0, buckets: {}, items: [] };
  const namesThisSweep = new Set<string>();
  const end = (swept: SweptItem<Item, Outcome>) => {
    tally.examined += 1;
    tally.buckets[swept.bucket] = (tally.buckets[swept.bucket] ?? 0) + 1;
    tally.items.push(swept);
  };
  for (const item of candidates) {
    let decision: SweepDecision | undefined;
    let redriven: Outcome | Already | undefined;
    try {
      decision = decide(spec, item);
      if (decision.kind === 'fail') {
        end({ item, decision, bucket: (await spec.markFailed(item, decision.reason)) ? 'failed' : 'superseded' });
        continue;
      }
      // A name re-driven earlier in this page starts nothing again (two listings of one item).
      if (namesThisSweep.has(decision.name)) redriven = ALREADY;
      else {
        redriven = await spec.redrive(item, decision.name);
        namesThisSweep.add(decision.name);
      }
      if (spec.settle) await spec.settle(item, redriven);
      end({ item, decision, bucket: redriven });
    } catch (error) {
      end({
        item,
        ...(decision ? { decision } : {}),
        bucket: 'deferred',
        ...(redriven !== undefined ? { redrive: redriven } : {}),
        error,
      });
    }
  }
  return tally;
}
