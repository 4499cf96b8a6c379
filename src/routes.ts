/**
 * THE routes of the event bus: the hot path's edges, which of them are fused (FUSE-1), and
 * event pattern → consumer. Written once.
 * - The embedded runtime (src/runtime) routes every published event with `matchingRoutes`, and
 *   runs the fused stages with `crossesBus` deciding what leaves the hot path.
 * - The infrastructure (stacks/) turns each route of the configured topology into one
 *   EventBridge rule whose target is the route's SQS queue, consumed by
 *   `functions/<consumer>/index.ts`.
 */
import type { EventType } from './domain/events';
import { EventTypes } from './domain/events';
import { sourceConfig } from './modes/source-config';
import { NOTIFICATION_ROUTES } from './notify/mapping';

/** The stages of the hot path, in order. Each has its own handler in `functions/<stage>/`. */
export const HOT_PATH_STAGES = ['dedup', 'standardise', 'enrich', 'rules', 'posting', 'assembler'] as const;
export type StageName = (typeof HOT_PATH_STAGES)[number];

/** The function that runs the stages fused (FUSE-1): `functions/hot-path/`. */
export const FUSED_CONSUMER = 'hot-path';

/** The Lambda functions that consume routed events; each lives in `functions/<name>/`. */
export type ConsumerName = StageName | typeof FUSED_CONSUMER;

/**
 * How the hot path's edges are carried (FUSE-1), chosen by configuration:
 * - fused: one invocation takes a batch from the source and runs every stage in process; only
 *   outward events (FUSE-2) cross the bus;
 * - staged: every edge crosses the bus, one rule, queue and function per stage.
 */
export type Topology = 'fused' | 'staged';
export const TOPOLOGIES: readonly Topology[] = ['fused', 'staged'];
export const DEFAULT_TOPOLOGY: Topology = 'fused';

/** An EventBridge event pattern (the subset we use: exact-value lists, nested under detail, top-level $or). */
export interface EventPattern {
  source?: string[];
  'detail-type'?: EventType[];
  detail?: PatternObject;
  /** Matches when any alternative matches (EventBridge's `$or`). */
  $or?: EventPattern[];
}
export interface PatternObject {
  [field: string]: string[] | PatternObject;
}

export interface QueueSettings {
  /** SQS → Lambda batch size (the embedded runtime's micro-batch size too). */
  batchSize: number;
  /** SQS event-source batching window. */
  maxBatchingWindowSeconds: number;
  /** Deliveries before a message goes to the dead-letter queue. */
  maxReceiveCount: number;
}

export interface Route {
  /** Stable name: the EventBridge rule is `<env>-<name>`, the queue `<env>-<name>-queue`. */
  name: string;
  description: string;
  eventPattern: EventPattern;
  consumer: ConsumerName;
  queue: QueueSettings;
}

/** One edge of the hot path: the events a stage consumes (FUSE-1). */
export interface Edge {
  /** The route's name when the edge crosses the bus (staged topology). */
  name: string;
  description: string;
  eventPattern: EventPattern & { 'detail-type': EventType[] };
  stage: StageName;
}

/**
 * MODE-1: the hot path's queue settings come from the source configuration (config/sources.json,
 * src/modes/source-config.ts), with an environment's overrides when one is named; never constants.
 */
export function hotPathQueue(environment?: string): QueueSettings {
  const queue = sourceConfig(environment).queues['hot-path'];
  return Object.freeze({ batchSize: queue.batchSize, maxBatchingWindowSeconds: queue.batchingWindowSeconds, maxReceiveCount: queue.maxReceiveCount });
}

const HOT_PATH: QueueSettings = hotPathQueue();

/** THE edges of the hot path, in stage order. Written once; both topologies derive from them. */
export const EDGES: readonly Edge[] = Object.freeze([
  {
    name: 'authorised-to-dedup',
    description: 'FR2: every post-authorisation event is checked for duplicates',
    eventPattern: { 'detail-type': [EventTypes.authorised] },
    stage: 'dedup',
  },
  {
    name: 'deduplicated-to-standardise',
    description: 'FR5: unique payments are standardised to ISO 20022 pacs.008',
    eventPattern: { 'detail-type': [EventTypes.deduplicated] },
    stage: 'standardise',
  },
  {
    name: 'standardised-to-enrich',
    description: 'FR6: standardised payments are enriched from reference data',
    eventPattern: { 'detail-type': [EventTypes.standardised] },
    stage: 'enrich',
  },
  {
    name: 'enriched-to-rules',
    description: 'Rules engine: approve, decline or review each enriched payment',
    eventPattern: { 'detail-type': [EventTypes.enriched] },
    stage: 'rules',
  },
  {
    name: 'approved-to-posting',
    description: 'FR7: approved payments become balanced double-entry postings, recorded whole',
    eventPattern: { 'detail-type': [EventTypes.rulesDecided], detail: { data: { decision: { outcome: ['approve'] } } } },
    stage: 'posting',
  },
  {
    name: 'recorded-to-assembler',
    description: 'FR8: recorded sequences are assembled into the core-banking posting record',
    eventPattern: { 'detail-type': [EventTypes.recorded] },
    stage: 'assembler',
  },
]);

/**
 * The one route of the fused topology: a batch of authorisations enters the hot path, and a
 * re-driven event (the sweeper puts it back on the bus) enters at the stage that consumes it
 * (FUSE-2). Its pattern is the `$or` of the edges' patterns.
 */
export const FUSED_ROUTE: Route = Object.freeze({
  name: 'payments-to-hot-path',
  description: 'FUSE-1: authorisations (and re-driven hot-path events) run dedup → standardise → enrich → rules → posting → assembly in one invocation',
  eventPattern: { $or: EDGES.map((edge) => edge.eventPattern) },
  consumer: FUSED_CONSUMER,
  queue: HOT_PATH,
});

/**
 * The routes of each topology: what the stacks turn into rules and queues, and the embedded bus
 * routes. With an environment, each route's queue settings carry that environment's overrides
 * of the source configuration (MODE-1); without one, the base settings.
 */
export function routesFor(topology: Topology, environment?: string): readonly Route[] {
  if (environment === undefined) return topology === 'fused' ? FUSED_ROUTES : STAGED_ROUTES;
  const key = `${topology}\u0000${environment}`;
  let routes = environmentRoutes.get(key);
  if (!routes) environmentRoutes.set(key, (routes = buildRoutes(topology, hotPathQueue(environment))));
  return routes;
}

function buildRoutes(topology: Topology, queue: QueueSettings): readonly Route[] {
  if (topology === 'fused') return Object.freeze([Object.freeze({ ...FUSED_ROUTE, queue })]);
  return Object.freeze(EDGES.map((edge): Route => Object.freeze({ name: edge.name, description: edge.description, eventPattern: edge.eventPattern, consumer: edge.stage, queue })));
}

const STAGED_ROUTES: readonly Route[] = buildRoutes('staged', HOT_PATH);
const FUSED_ROUTES: readonly Route[] = Object.freeze([FUSED_ROUTE]);
const environmentRoutes = new Map<string, readonly Route[]>();

/**
 * Where the authorisation Pipe (FR1) delivers its `payment.authorised` events: in the fused
 * topology straight onto the hot path's queue (no bus hop, no rule delivery per payment); in the
 * staged topology onto the bus, where the first edge's rule picks them up.
 */
export function authorisationEntry(topology: Topology): { kind: 'queue'; route: Route } | { kind: 'bus' } {
  return topology === 'fused' ? { kind: 'queue', route: FUSED_ROUTE } : { kind: 'bus' };
}

/** The routes of the default topology. */
export const ROUTES: readonly Route[] = routesFor(DEFAULT_TOPOLOGY);

/**
 * Which events leave the hot path (FUSE-2): in the fused topology only these are put on the bus;
 * an event that feeds the next stage is handed over in process. A rules decision crosses only
 * when it is not an approval (declines and reviews); postings cross when completed or failed.
 */
export function crossesBus(event: { type: string; data: unknown }): boolean {
  switch (event.type) {
    case EventTypes.duplicateParked:
    case EventTypes.rejected:
    case EventTypes.postingCompleted:
    case EventTypes.postingFailed:
      return true;
    case EventTypes.rulesDecided:
      return (event.data as { decision?: { outcome?: string } }).decision?.outcome !== 'approve';
    default:
      return false;
  }
}

const edgesByType = new Map<string, Edge[]>();
for (const edge of EDGES) for (const type of edge.eventPattern['detail-type']) edgesByType.set(type, [...(edgesByType.get(type) ?? []), edge]);

/** The hot-path stage that consumes `event`, if any (the edge whose pattern it matches). */
export function stageFor(event: BusEvent): StageName | undefined {
  for (const edge of edgesByType.get(event['detail-type']) ?? []) if (matchesPattern(edge.eventPattern, event)) return edge.stage;
  return undefined;
}

/** EventBridge's view of an event: detail-type = envelope type, detail = the envelope. */
export interface BusEvent {
  source: string;
  'detail-type': string;
  detail: unknown;
}

function matchesObject(pattern: PatternObject, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  for (const [field, expected] of Object.entries(pattern)) {
    const actual = record[field];
    if (Array.isArray(expected)) {
      if (!expected.includes(actual as string)) return false;
    } else if (!matchesObject(expected, actual)) {
      return false;
    }
  }
  return true;
}

/** EventBridge pattern semantics for exact-value matching: every listed field must match one value. */
export function matchesPattern(pattern: EventPattern, event: BusEvent): boolean {
  if (pattern.$or && !pattern.$or.some((alternative) => matchesPattern(alternative, event))) return false;
  if (pattern['detail-type'] && !pattern['detail-type'].includes(event['detail-type'] as EventType)) return false;
  if (pattern.source && !pattern.source.includes(event.source)) return false;
  return pattern.detail ? matchesObject(pattern.detail, event.detail) : true;
}

/** Every detail-type a pattern can match (each pattern we route names its detail-types). */
export function detailTypesOf(pattern: EventPattern): EventType[] {
  const own = pattern['detail-type'] ?? [];
  const alternatives = (pattern.$or ?? []).flatMap(detailTypesOf);
  if (own.length === 0 && alternatives.length === 0) throw new Error('a routed event pattern must name its detail-types');
  return [...new Set([...own, ...alternatives])];
}

const routesByType = new WeakMap<readonly Route[], Map<string, Route[]>>();

function candidates(routes: readonly Route[], detailType: string): readonly Route[] {
  let index = routesByType.get(routes);
  if (!index) {
    index = new Map();
    for (const route of routes) for (const type of detailTypesOf(route.eventPattern)) index.set(type, [...(index.get(type) ?? []), route]);
    routesByType.set(routes, index);
  }
  return index.get(detailType) ?? [];
}

export function matchingRoutes(event: BusEvent, routes: readonly Route[] = ROUTES): Route[] {
  return candidates(routes, event['detail-type']).filter((route) => matchesPattern(route.eventPattern, event));
}

export function routeFor(consumer: ConsumerName, topology: Topology = consumer === FUSED_CONSUMER ? 'fused' : 'staged'): Route {
  const route = routesFor(topology).find((candidate) => candidate.consumer === consumer);
  if (!route) throw new Error(`no route targets consumer "${consumer}"`);
  return route;
}

/**
 * NOTIFY-1, HOOK-2: the bus rule feeding the notifier's own queue (stacks/lib/notify.ts) with the
 * outward events it turns into notifications and webhooks. Its pattern is read off the one
 * definition of which event notifies whom (src/notify/mapping.ts NOTIFICATION_ROUTES): an event
 * routed only for some outcomes (`when: 'decision.outcome = decline'`) is matched on those
 * outcomes only. Not a hot-path route (not in `routesFor`): the embedded runtime notifies through
 * its own round (`ledgerline notify`, `ledgerline serve`).
 */
export const OUTWARD_NOTIFY_ROUTE: Readonly<{ name: string; description: string; eventPattern: EventPattern }> = Object.freeze({
  name: 'outward-to-notify',
  description: 'NOTIFY-1, HOOK-2: outward lifecycle events the notifier maps to a purpose → the notify queue',
  eventPattern: notifyPattern(NOTIFICATION_ROUTES),
});

/** The EventBridge pattern matching exactly the events (and outcomes) `routes` notify; a condition it cannot express is an error naming it. */
export function notifyPattern(routes: readonly { event: string; when?: string }[]): EventPattern {
  const always = new Set<string>();
  const conditional = new Map<string, Map<string, Set<string>>>();
  for (const route of routes) {
    if (route.when === undefined) {
      always.add(route.event);
      continue;
    }
    const match = /^([A-Za-z]+(?:\.[A-Za-z]+)*) = ([A-Za-z0-9_-]+)$/.exec(route.when);
    if (!match) throw new Error(`notification route ${route.event}: condition ${JSON.stringify(route.when)} is not "<field.path> = <value>"`);
    const byPath = conditional.get(route.event) ?? new Map<string, Set<string>>();
    byPath.set(match[1]!, (byPath.get(match[1]!) ?? new Set()).add(match[2]!));
    conditional.set(route.event, byPath);
  }
  const alternatives: EventPattern[] = [];
  if (always.size > 0) alternatives.push({ 'detail-type': [...always].sort() as EventType[] });
  for (const [event, byPath] of [...conditional].sort(([a], [b]) => a.localeCompare(b))) {
    if (always.has(event)) continue;
    if (byPath.size !== 1) throw new Error(`notification route ${event}: conditions on several fields (${[...byPath.keys()].join(', ')}) cannot be one pattern`);
    const [path, values] = [...byPath][0]!;
    const detail = path
      .split('.')
      .reverse()
      .reduce<PatternObject | string[]>((inner: PatternObject | string[], field: string) => ({ [field]: inner }), [...values].sort());
    alternatives.push({ 'detail-type': [event as EventType], detail: { data: detail as PatternObject } });
  }
  return alternatives.length === 1 ? alternatives[0]! : { $or: alternatives };
}
