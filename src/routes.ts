/**
 * THE routes of the event bus: event pattern → consumer. Written once.
 * - The embedded runtime (src/runtime) routes every published event with `matchingRoutes`.
 * - The infrastructure (stacks/) turns each route into one EventBridge rule whose target is
 *   the route's SQS queue, consumed by `functions/<consumer>/handler.ts`.
 */
import type { EventType } from './domain/events';
import { EventTypes } from './domain/events';

/** The Lambda functions that consume routed events; each lives in `functions/<name>/`. */
export type ConsumerName = 'dedup' | 'standardise' | 'enrich' | 'rules' | 'posting' | 'assembler';

/** An EventBridge event pattern (the subset we use: exact-value lists, nested under detail). */
export interface EventPattern {
  source?: string[];
  'detail-type': EventType[];
  detail?: PatternObject;
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

const HOT_PATH: QueueSettings = { batchSize: 100, maxBatchingWindowSeconds: 1, maxReceiveCount: 5 };

export const ROUTES: readonly Route[] = Object.freeze([
  {
    name: 'authorised-to-dedup',
    description: 'FR2: every post-authorisation event is checked for duplicates',
    eventPattern: { 'detail-type': [EventTypes.authorised] },
    consumer: 'dedup',
    queue: HOT_PATH,
  },
  {
    name: 'deduplicated-to-standardise',
    description: 'FR5: unique payments are standardised to ISO 20022 pacs.008',
    eventPattern: { 'detail-type': [EventTypes.deduplicated] },
    consumer: 'standardise',
    queue: HOT_PATH,
  },
  {
    name: 'standardised-to-enrich',
    description: 'FR6: standardised payments are enriched from reference data',
    eventPattern: { 'detail-type': [EventTypes.standardised] },
    consumer: 'enrich',
    queue: HOT_PATH,
  },
  {
    name: 'enriched-to-rules',
    description: 'Rules engine: approve, decline or review each enriched payment',
    eventPattern: { 'detail-type': [EventTypes.enriched] },
    consumer: 'rules',
    queue: HOT_PATH,
  },
  {
    name: 'approved-to-posting',
    description: 'FR7: approved payments become balanced double-entry posting legs',
    eventPattern: { 'detail-type': [EventTypes.rulesDecided], detail: { data: { decision: { outcome: ['approve'] } } } },
    consumer: 'posting',
    queue: HOT_PATH,
  },
  {
    name: 'legs-to-assembler',
    description: 'FR8: complete leg sequences are assembled into the core-banking posting record',
    eventPattern: { 'detail-type': [EventTypes.legRecorded] },
    consumer: 'assembler',
    queue: HOT_PATH,
  },
]);

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
  if (!pattern['detail-type'].includes(event['detail-type'] as EventType)) return false;
  if (pattern.source && !pattern.source.includes(event.source)) return false;
  return pattern.detail ? matchesObject(pattern.detail, event.detail) : true;
}

const routesByType = new WeakMap<readonly Route[], Map<string, Route[]>>();

function candidates(routes: readonly Route[], detailType: string): readonly Route[] {
  let index = routesByType.get(routes);
  if (!index) {
    index = new Map();
    for (const route of routes) for (const type of route.eventPattern['detail-type']) index.set(type, [...(index.get(type) ?? []), route]);
    routesByType.set(routes, index);
  }
  return index.get(detailType) ?? [];
}

export function matchingRoutes(event: BusEvent, routes: readonly Route[] = ROUTES): Route[] {
  return candidates(routes, event['detail-type']).filter((route) => matchesPattern(route.eventPattern, event));
}

export function routeFor(consumer: ConsumerName): Route {
  const route = ROUTES.find((candidate) => candidate.consumer === consumer);
  if (!route) throw new Error(`no route targets consumer "${consumer}"`);
  return route;
}
