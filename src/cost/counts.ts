/**
 * The measured counts file (COST-1): what one deployment rehearsal (`npm run rehearse -- --counts
 * FILE`, rehearsal/metering.ts) counted while it posted its payments. Every figure of the bill is
 * a count from here divided by `posted`; nothing is estimated by hand. Capacity units are decimal
 * strings (an eventually consistent read is half a unit); everything else is a whole number.
 * Durations and latencies are whole microseconds or milliseconds.
 */
import type { Exact } from './exact';
import { FieldReader } from './read';

export const COUNTS_FORMAT = 'ledgerline-cost-counts/1';

export interface LambdaCounts {
  invocations: number;
  errors: number;
  /** Σ per invocation of its wall time rounded up to the millisecond (Lambda bills per 1 ms). */
  billedMs: number;
  /** Σ measured wall time of the handler invocations (µs). */
  durationMicros: number;
  coldStarts: number;
  /** Σ measured init (module load) time of the cold starts (ms). */
  initMs: number;
  /** Records delivered in the invocations' events (SQS messages, stream records). */
  records: number;
  /** Bytes and lines the function wrote to stdout/stderr: its CloudWatch Logs ingestion. */
  logBytes: number;
  logEvents: number;
}

export interface EventSourceMappingCounts {
  queue: string;
  function: string;
  batches: number;
  messages: number;
  /** Σ measured wall time of the batch invocations (µs). */
  durationMicros: number;
}

export interface BusCounts {
  /** PutEvents API calls (each entry of a call is one event). */
  putEventsRequests: number;
  /** Custom events ingested and their billed 64 KB chunks. */
  customEvents: number;
  customChunks: number;
  /** AWS service events opted in (S3 Object Created on the default bus) and their chunks. */
  awsServiceEvents: number;
  awsServiceChunks: number;
  /** Rule target deliveries ("invocations") by target kind. */
  deliveries: Record<string, number>;
}

export interface ArchiveCounts {
  events: number;
  bytes: number;
}

export interface PipeCounts {
  records: number;
  filteredOut: number;
  batches: number;
  /** Billed requests: events after filtering, each 64 KB chunk one request. */
  requests: number;
}

export interface QueueCounts {
  /** Billed requests (each 64 KB chunk of a request one request), by kind. */
  sendRequests: number;
  receiveRequests: number;
  deleteRequests: number;
  otherRequests: number;
  sentMessages: number;
  receivedMessages: number;
  deletedMessages: number;
  /** Distinct principals that sent to / received from the queue (SSE-KMS data keys are per principal). */
  producers: string[];
  consumers: string[];
}

export interface TableCounts {
  readUnits: Exact;
  writeUnits: Exact;
  requests: Record<string, number>;
  conditionalFailures: number;
  transactionsCancelled: number;
  principals: string[];
}

export interface HotItemCounts {
  table: string;
  key: string;
  /** Successful writes of the item. */
  writes: number;
  /** Write attempts (conditional failures and cancelled transactions included). */
  attempts: number;
  /** Attempts that carried a condition on the item (optimistic locking). */
  conditionalAttempts: number;
  writeUnits: Exact;
  /** Σ measured latency of the attempts' requests (µs). */
  latencyMicros: number;
  /** The fastest attempt (µs): the update without waiting behind others (the stand-in runs a table's transactions one at a time). */
  minLatencyMicros: number;
}

export interface BucketCounts {
  putClass: number;
  getClass: number;
  free: number;
  bytesPut: number;
  principals: string[];
}

export interface StateMachineCounts {
  executions: number;
  transitions: number;
}

export interface LogGroupCounts {
  bytes: number;
  events: number;
}

export interface MeasuredCounts {
  format: typeof COUNTS_FORMAT;
  env: string;
  region: string;
  /** Authorisations the run generated. */
  count: number;
  /** Payments it posted: the divisor of every per-payment figure. */
  posted: number;
  seed: number;
  date: string;
  gitCommit: string;
  gitDirty: boolean;
  /** The rehearsal was EQUAL to the embedded run, with no denial, finding or unexpected dead letter. */
  clean: boolean;
  /** What the counts cover (which phases of the rehearsal). */
  window: string;
  /** The deployment the run measured: functions, routes (rule → queue → function), pipes. */
  topology: { functions: string[]; routes: { rule: string; queue: string; function: string }[]; pipes: { name: string; source: string; target: string }[] };
  /** At-least-once faults the rehearsal injected into the counted window (counted like real traffic). */
  injected: { duplicateDeliveries: number; visibilityExpiries: number; transientFaults: number };
  lambda: Record<string, LambdaCounts>;
  eventSourceMappings: EventSourceMappingCounts[];
  eventBridge: { buses: Record<string, BusCounts>; archives: Record<string, ArchiveCounts>; rules: Record<string, number> };
  pipes: Record<string, PipeCounts>;
  sqs: Record<string, QueueCounts>;
  dynamodb: Record<string, TableCounts>;
  hotItems: HotItemCounts[];
  s3: Record<string, BucketCounts>;
  stepFunctions: Record<string, StateMachineCounts>;
  logs: Record<string, LogGroupCounts>;
  /** SDK requests per caller and service:Operation (informational). */
  requests: Record<string, Record<string, number>>;
}

/** Reads and checks a counts document (parsed JSON) from `file`; refuses naming the field. */
export function parseCounts(json: unknown, file: string): MeasuredCounts {
  const r = new FieldReader(file);
  const doc = r.object(json, '(document)');
  if (doc.format !== COUNTS_FORMAT) r.fail('format', `expected "${COUNTS_FORMAT}", got ${JSON.stringify(doc.format)}`);
  const posted = r.positive(doc.posted, 'posted');
  const count = r.positive(doc.count, 'count');
  if (posted > count) r.fail('posted', `${posted} payments posted from ${count} authorisations`);
  const topology = r.object(doc.topology, 'topology');
  const injected = r.object(doc.injected, 'injected');
  const eventBridge = r.object(doc.eventBridge, 'eventBridge');
  return {
    format: COUNTS_FORMAT,
    env: r.string(doc.env, 'env'),
    region: r.string(doc.region, 'region'),
    count,
    posted,
    seed: r.count(doc.seed, 'seed'),
    date: r.date(doc.date, 'date'),
    gitCommit: r.string(doc.gitCommit, 'gitCommit'),
    gitDirty: r.boolean(doc.gitDirty, 'gitDirty'),
    clean: r.boolean(doc.clean, 'clean'),
    window: r.string(doc.window, 'window'),
    topology: {
      functions: r.strings(topology.functions, 'topology.functions'),
      routes: r.array(topology.routes, 'topology.routes').map((item, i) => {
        const route = r.object(item, `topology.routes[${i}]`);
        return {
          rule: r.string(route.rule, `topology.routes[${i}].rule`),
          queue: r.string(route.queue, `topology.routes[${i}].queue`),
          function: r.string(route.function, `topology.routes[${i}].function`),
        };
      }),
      pipes: r.array(topology.pipes, 'topology.pipes').map((item, i) => {
        const pipe = r.object(item, `topology.pipes[${i}]`);
        return { name: r.string(pipe.name, `topology.pipes[${i}].name`), source: r.string(pipe.source, `topology.pipes[${i}].source`), target: r.string(pipe.target, `topology.pipes[${i}].target`) };
      }),
    },
    injected: {
      duplicateDeliveries: r.count(injected.duplicateDeliveries, 'injected.duplicateDeliveries'),
      visibilityExpiries: r.count(injected.visibilityExpiries, 'injected.visibilityExpiries'),
      transientFaults: r.count(injected.transientFaults, 'injected.transientFaults'),
    },
    lambda: r.record(doc.lambda, 'lambda', (value, field) => {
      const o = r.object(value, field);
      return {
        invocations: r.count(o.invocations, `${field}.invocations`),
        errors: r.count(o.errors, `${field}.errors`),
        billedMs: r.count(o.billedMs, `${field}.billedMs`),
        durationMicros: r.count(o.durationMicros, `${field}.durationMicros`),
        coldStarts: r.count(o.coldStarts, `${field}.coldStarts`),
        initMs: r.count(o.initMs, `${field}.initMs`),
        records: r.count(o.records, `${field}.records`),
        logBytes: r.count(o.logBytes, `${field}.logBytes`),
        logEvents: r.count(o.logEvents, `${field}.logEvents`),
      };
    }),
    eventSourceMappings: r.array(doc.eventSourceMappings, 'eventSourceMappings').map((item, i) => {
      const field = `eventSourceMappings[${i}]`;
      const o = r.object(item, field);
      return {
        queue: r.string(o.queue, `${field}.queue`),
        function: r.string(o.function, `${field}.function`),
        batches: r.count(o.batches, `${field}.batches`),
        messages: r.count(o.messages, `${field}.messages`),
        durationMicros: r.count(o.durationMicros, `${field}.durationMicros`),
      };
    }),
    eventBridge: {
      buses: r.record(eventBridge.buses, 'eventBridge.buses', (value, field) => {
        const o = r.object(value, field);
        return {
          putEventsRequests: r.count(o.putEventsRequests, `${field}.putEventsRequests`),
          customEvents: r.count(o.customEvents, `${field}.customEvents`),
          customChunks: r.count(o.customChunks, `${field}.customChunks`),
          awsServiceEvents: r.count(o.awsServiceEvents, `${field}.awsServiceEvents`),
          awsServiceChunks: r.count(o.awsServiceChunks, `${field}.awsServiceChunks`),
          deliveries: r.record(o.deliveries, `${field}.deliveries`, (n, f) => r.count(n, f)),
        };
      }),
      archives: r.record(eventBridge.archives, 'eventBridge.archives', (value, field) => {
        const o = r.object(value, field);
        return { events: r.count(o.events, `${field}.events`), bytes: r.count(o.bytes, `${field}.bytes`) };
      }),
      rules: r.record(eventBridge.rules, 'eventBridge.rules', (n, f) => r.count(n, f)),
    },
    pipes: r.record(doc.pipes, 'pipes', (value, field) => {
      const o = r.object(value, field);
      return {
        records: r.count(o.records, `${field}.records`),
        filteredOut: r.count(o.filteredOut, `${field}.filteredOut`),
        batches: r.count(o.batches, `${field}.batches`),
        requests: r.count(o.requests, `${field}.requests`),
      };
    }),
    sqs: r.record(doc.sqs, 'sqs', (value, field) => {
      const o = r.object(value, field);
      return {
        sendRequests: r.count(o.sendRequests, `${field}.sendRequests`),
        receiveRequests: r.count(o.receiveRequests, `${field}.receiveRequests`),
        deleteRequests: r.count(o.deleteRequests, `${field}.deleteRequests`),
        otherRequests: r.count(o.otherRequests, `${field}.otherRequests`),
        sentMessages: r.count(o.sentMessages, `${field}.sentMessages`),
        receivedMessages: r.count(o.receivedMessages, `${field}.receivedMessages`),
        deletedMessages: r.count(o.deletedMessages, `${field}.deletedMessages`),
        producers: r.strings(o.producers, `${field}.producers`),
        consumers: r.strings(o.consumers, `${field}.consumers`),
      };
    }),
    dynamodb: r.record(doc.dynamodb, 'dynamodb', (value, field) => {
      const o = r.object(value, field);
      return {
        readUnits: r.decimal(o.readUnits, `${field}.readUnits`),
        writeUnits: r.decimal(o.writeUnits, `${field}.writeUnits`),
        requests: r.record(o.requests, `${field}.requests`, (n, f) => r.count(n, f)),
        conditionalFailures: r.count(o.conditionalFailures, `${field}.conditionalFailures`),
        transactionsCancelled: r.count(o.transactionsCancelled, `${field}.transactionsCancelled`),
        principals: r.strings(o.principals, `${field}.principals`),
      };
    }),
    hotItems: r.array(doc.hotItems, 'hotItems').map((item, i) => {
      const field = `hotItems[${i}]`;
      const o = r.object(item, field);
      return {
        table: r.string(o.table, `${field}.table`),
        key: r.string(o.key, `${field}.key`),
        writes: r.count(o.writes, `${field}.writes`),
        attempts: r.count(o.attempts, `${field}.attempts`),
        conditionalAttempts: r.count(o.conditionalAttempts, `${field}.conditionalAttempts`),
        writeUnits: r.decimal(o.writeUnits, `${field}.writeUnits`),
        latencyMicros: r.count(o.latencyMicros, `${field}.latencyMicros`),
        minLatencyMicros: r.count(o.minLatencyMicros, `${field}.minLatencyMicros`),
      };
    }),
    s3: r.record(doc.s3, 's3', (value, field) => {
      const o = r.object(value, field);
      return {
        putClass: r.count(o.putClass, `${field}.putClass`),
        getClass: r.count(o.getClass, `${field}.getClass`),
        free: r.count(o.free, `${field}.free`),
        bytesPut: r.count(o.bytesPut, `${field}.bytesPut`),
        principals: r.strings(o.principals, `${field}.principals`),
      };
    }),
    stepFunctions: r.record(doc.stepFunctions, 'stepFunctions', (value, field) => {
      const o = r.object(value, field);
      return { executions: r.count(o.executions, `${field}.executions`), transitions: r.count(o.transitions, `${field}.transitions`) };
    }),
    logs: r.record(doc.logs, 'logs', (value, field) => {
      const o = r.object(value, field);
      return { bytes: r.count(o.bytes, `${field}.bytes`), events: r.count(o.events, `${field}.events`) };
    }),
    requests: r.record(doc.requests, 'requests', (value, field) => r.record(value, field, (n, f) => r.count(n, f))),
  };
}

/** The JSON form of a counts document (capacity units as decimal strings). */
export function countsToJson(counts: MeasuredCounts): Record<string, unknown> {
  return JSON.parse(JSON.stringify(counts)) as Record<string, unknown>;
}
