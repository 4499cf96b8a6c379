/**
 * PART-1: which partition of a state partitioned by card a line goes to. Pure: the durable routing
 * table that remembers earlier decisions is src/runtime/state-layout.ts (PartitionRoutes).
 *
 * A line is routed by what it means, never by how it is spelled: the card token, authorisation id
 * and business key come from the classified (parsed, strict, validated) authorisation, so an
 * escaped token, an escaped member name or a re-ordered line lands where the plain line does.
 * Replays and duplicates are recognised inside one partition, so a line goes, in this order:
 * 1. where its authorisation id went first (a replay, whatever card it names now);
 * 2. where its business key went first (a duplicate re-sent with another card token), for an
 *    approved authorisation (only those claim a business key, FR2);
 * 3. else to its card's partition: FNV-1a of the card token, modulo the partition count.
 * A line that is not a valid authorisation goes to partition 0, where it is dead-lettered under
 * its line number in the input.
 */
import type { Authorisation } from './events';
import { businessKey } from './dedup';
import { fnv1a32 } from './fnv';
import { isApproved } from './ingest';

export interface RoutingKeys {
  authorizationId: string;
  /** Present for an approved authorisation only. */
  businessKey?: string;
  panToken: string;
}

/** What earlier lines decided (durably, before any line was dispatched). */
export interface KnownRoutes {
  byAuthorisation(authorizationId: string): number | undefined;
  byBusinessKey(businessKey: string): number | undefined;
}

export interface RouteDecision {
  partition: number;
  /** The routes this line establishes (absent when the key already had one). */
  remember: { authorizationId?: string; businessKey?: string };
}

export function routingKeys(authorisation: Authorisation): RoutingKeys {
  return {
    authorizationId: authorisation.authorizationId,
    panToken: authorisation.panToken,
    ...(isApproved(authorisation) ? { businessKey: businessKey(authorisation) } : {}),
  };
}

/** A card's home partition. */
export function cardPartition(panToken: string, partitions: number): number {
  return partitions <= 1 ? 0 : fnv1a32(panToken) % partitions;
}

/**
 * The partition of one line (undefined keys: not a valid authorisation), and the routes it sets.
 * A replay (known authorisation id) sets no business-key route: it claims no key, and the key's
 * route should lead to the line that claims it, so that a unique payment is only ever routed away
 * from its card's partition when it is a duplicate (velocity per card stays whole).
 */
export function routeLine(keys: RoutingKeys | undefined, known: KnownRoutes, partitions: number): RouteDecision {
  if (!keys || partitions <= 1) return { partition: 0, remember: {} };
  const byId = known.byAuthorisation(keys.authorizationId);
  if (byId !== undefined) return { partition: byId, remember: {} };
  const byKey = keys.businessKey === undefined ? undefined : known.byBusinessKey(keys.businessKey);
  if (byKey !== undefined) return { partition: byKey, remember: { authorizationId: keys.authorizationId } };
  return {
    partition: cardPartition(keys.panToken, partitions),
    remember: { authorizationId: keys.authorizationId, ...(keys.businessKey === undefined ? {} : { businessKey: keys.businessKey }) },
  };
}
