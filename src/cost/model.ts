/**
 * COST-1: the AWS list-price bill per 1M posted payments, from three inputs and nothing else:
 * - the synthesized configuration of the environment (src/cost/deployment-config.ts): memory,
 *   architecture, batch sizes and windows, table modes, keys, bucket keys, log retention, region;
 * - the counts a deployment rehearsal measured (src/cost/counts.ts), each divided by the payments
 *   that run posted;
 * - the ONE dated price file (src/cost/prices.ts), which also holds the default quotas.
 * Each line keeps its arithmetic (count per payment × payments × unit price = dollars), computed
 * exactly (src/cost/exact.ts) and rounded once to micro-dollars; the total is the sum of the
 * rounded lines. The quotas are checked at the seed's sustained rate (1,111 payments/s), with
 * the headroom (quota ÷ need) and the highest sustainable payment rate (quota ÷ need per payment).
 * Pure: no file system, no AWS.
 */
import type { MeasuredCounts } from './counts';
import type { DeploymentConfig } from './deployment-config';
import { Exact } from './exact';
import { quotaIn, type PriceKey, type PriceList, type QuotaKey } from './prices';

export const REPORT_FORMAT = 'ledgerline-cost/1';
/** The seed's sustained rate: 1,111 payments a second (4M an hour). */
export const SEED_RATE_PER_SECOND = 1111;
export const PAYMENTS_BILLED = 1_000_000;

const GIB = 1024n ** 3n;
const MB_PER_GB = 1024n;
const DAYS_PER_MONTH = Exact.of(365n, 12n);

export class CostModelError extends Error {
  override name = 'CostModelError';
}

export interface Breakdown {
  name: string;
  perPayment: Exact;
}

export interface CostLine {
  id: string;
  service: string;
  item: string;
  unit: string;
  priceKey: PriceKey;
  /** Units per posted payment (measured count ÷ posted). */
  perPayment: Exact;
  /** Units for the billed payments (perPayment × payments). */
  quantity: Exact;
  unitPrice: Exact;
  /** quantity × unitPrice, exact. */
  dollars: Exact;
  /** Rounded to micro-dollars (half away from zero): what the total adds up. */
  microDollars: bigint;
  /** Where the count comes from. */
  basis: string;
  breakdown: Breakdown[];
}

export interface QuotaCheck {
  id: string;
  name: string;
  quotaKey: QuotaKey;
  quota: Exact;
  unit: string;
  /** The quota's regional value (true) or its default for regions AWS does not list apart. */
  regional: boolean;
  needPerPayment: Exact;
  needAtRate: Exact;
  /** quota ÷ need at the rate; undefined when nothing is needed. */
  headroom?: Exact;
  /** quota ÷ need per payment: the highest payment rate the quota sustains. */
  maxPaymentsPerSecond?: Exact;
  source: string;
  basis: string;
}

export interface CostReport {
  env: string;
  region: string;
  payments: number;
  ratePerSecond: number;
  priceRegion: string;
  pricesAsOf: string;
  lines: CostLine[];
  totalMicroDollars: bigint;
  quotas: QuotaCheck[];
  /** What the bill leaves out, and why. */
  notCounted: string[];
  /** Caveats on the figures (how they were measured). */
  caveats: string[];
}

export interface CostOptions {
  payments?: number;
  ratePerSecond?: number;
}

function sumOf<T>(items: Iterable<T>, value: (item: T) => Exact | number | bigint): Exact {
  let total = Exact.ZERO;
  for (const item of items) {
    const v = value(item);
    total = total.plus(v instanceof Exact ? v : Exact.of(v));
  }
  return total;
}

/** Checks that the counts were measured on this configuration (same env, region, functions). */
function checkCompatible(config: DeploymentConfig, counts: MeasuredCounts): void {
  const rerun = `re-measure with \`npm run rehearse -- --env ${config.env} --count 2000 --counts cost/measured/${config.env}.counts.json\``;
  if (counts.env !== config.env) throw new CostModelError(`the counts were measured on environment "${counts.env}", not "${config.env}": ${rerun}`);
  if (counts.region !== config.region) throw new CostModelError(`the counts were measured in ${counts.region}, the synthesized ${config.env} is in ${config.region}: ${rerun}`);
  const unknown = Object.keys(counts.lambda).filter((name) => !config.functions[name]);
  if (unknown.length > 0)
    throw new CostModelError(
      `the counts name functions the synthesized ${config.env} does not deploy (${unknown.join(', ')}): the synth and the counts are of different topologies; synthesize afresh with \`npm run synth\`, or ${rerun}`,
    );
  const queues = Object.keys(counts.sqs).filter((name) => !config.queues[name]);
  if (queues.length > 0) throw new CostModelError(`the counts name queues the synthesized ${config.env} does not deploy (${queues.join(', ')}): ${rerun}`);
  const tables = Object.keys(counts.dynamodb).filter((name) => !config.tables[name]);
  if (tables.length > 0) throw new CostModelError(`the counts name tables the synthesized ${config.env} does not deploy (${tables.join(', ')}): ${rerun}`);
}

export function computeCost(prices: PriceList, config: DeploymentConfig, counts: MeasuredCounts, options: CostOptions = {}): CostReport {
  checkCompatible(config, counts);
  const payments = options.payments ?? PAYMENTS_BILLED;
  const rate = options.ratePerSecond ?? SEED_RATE_PER_SECOND;
  const posted = Exact.of(counts.posted);
  const per = (value: Exact | number | bigint) => (value instanceof Exact ? value : Exact.of(value)).dividedBy(posted);
  const lines: CostLine[] = [];
  const notCounted: string[] = [];
  const caveats: string[] = [];

  const line = (id: string, service: string, item: string, unit: string, priceKey: PriceKey, perPayment: Exact, basis: string, breakdown: Breakdown[] = []) => {
    const unitPrice = prices.prices[priceKey].usd;
    const quantity = perPayment.times(payments);
    const dollars = quantity.times(unitPrice);
    lines.push({
      id,
      service,
      item,
      unit,
      priceKey,
      perPayment,
      quantity,
      unitPrice,
      dollars,
      microDollars: dollars.scaled(6),
      basis,
      breakdown: breakdown.filter((part) => !part.perPayment.isZero()),
    });
  };

  // EventBridge: events ingested by the buses, each 64 KB chunk one event.
  const buses = Object.entries(counts.eventBridge.buses);
  line(
    'eventbridge.events',
    'EventBridge',
    'events published (custom + S3 opt-in), 64 KB chunks',
    'events',
    'eventbridge.customEvent',
    per(sumOf(buses, ([, bus]) => bus.customChunks + bus.awsServiceChunks)),
    'eventBridge.buses.*.customChunks + awsServiceChunks',
    buses.flatMap(([name, bus]) => [
      { name: `${name} custom`, perPayment: per(bus.customChunks) },
      { name: `${name} S3 events`, perPayment: per(bus.awsServiceChunks) },
    ]),
  );
  const archives = Object.entries(counts.eventBridge.archives);
  if (archives.length > 0)
    line(
      'eventbridge.archive',
      'EventBridge',
      'archive: events processed (GB)',
      'GB',
      'eventbridge.archiveProcessingGb',
      per(sumOf(archives, ([, archive]) => archive.bytes)).dividedBy(GIB),
      'eventBridge.archives.*.bytes ÷ 2^30',
      archives.map(([name, archive]) => ({ name, perPayment: per(archive.bytes).dividedBy(GIB) })),
    );

  const pipes = Object.entries(counts.pipes);
  if (pipes.length > 0)
    line(
      'pipes.requests',
      'EventBridge Pipes',
      'requests (events after filtering, 64 KB chunks)',
      'requests',
      'pipes.request',
      per(sumOf(pipes, ([, pipe]) => pipe.requests)),
      'pipes.*.requests',
      pipes.map(([name, pipe]) => ({ name, perPayment: per(pipe.requests) })),
    );

  // SQS: every request (send, receive, delete, change visibility), each 64 KB chunk one request.
  const queues = Object.entries(counts.sqs);
  for (const [name] of queues) if (config.queues[name]?.fifo) throw new CostModelError(`queue ${name} is FIFO: the price file has standard-queue prices only`);
  const queueRequests = (queue: (typeof queues)[number][1]) => queue.sendRequests + queue.receiveRequests + queue.deleteRequests + queue.otherRequests;
  line(
    'sqs.requests',
    'SQS',
    'standard queue requests (send, receive, delete), 64 KB chunks',
    'requests',
    'sqs.standardRequest',
    per(sumOf(queues, ([, queue]) => queueRequests(queue))),
    'sqs.*.sendRequests + receiveRequests + deleteRequests + otherRequests',
    queues.map(([name, queue]) => ({ name, perPayment: per(queueRequests(queue)) })),
  );

  // DynamoDB: request units of on-demand tables.
  const tables = Object.entries(counts.dynamodb);
  const provisioned = tables.filter(([name]) => config.tables[name]?.billingMode === 'PROVISIONED');
  if (provisioned.length > 0) notCounted.push(`DynamoDB provisioned tables (${provisioned.map(([name]) => name).join(', ')}): billed per provisioned capacity-hour, not per request`);
  const onDemand = tables.filter(([name]) => config.tables[name]?.billingMode === 'PAY_PER_REQUEST');
  line(
    'dynamodb.writes',
    'DynamoDB',
    'on-demand write request units',
    'WRU',
    'dynamodb.onDemandWriteRequestUnit',
    per(sumOf(onDemand, ([, table]) => table.writeUnits)),
    'dynamodb.*.writeUnits (1 per KB written, ×2 in transactions, index writes, failed conditions)',
    onDemand.map(([name, table]) => ({ name, perPayment: per(table.writeUnits) })),
  );
  line(
    'dynamodb.reads',
    'DynamoDB',
    'on-demand read request units',
    'RRU',
    'dynamodb.onDemandReadRequestUnit',
    per(sumOf(onDemand, ([, table]) => table.readUnits)),
    'dynamodb.*.readUnits (1 per 4 KB strongly consistent, ½ eventually, ×2 transactional)',
    onDemand.map(([name, table]) => ({ name, perPayment: per(table.readUnits) })),
  );

  // S3 requests.
  const buckets = Object.entries(counts.s3);
  line(
    's3.put',
    'S3',
    'PUT, COPY, POST, LIST requests',
    'requests',
    's3.putClassRequest',
    per(sumOf(buckets, ([, bucket]) => bucket.putClass)),
    's3.*.putClass',
    buckets.map(([name, bucket]) => ({ name, perPayment: per(bucket.putClass) })),
  );
  line(
    's3.get',
    'S3',
    'GET and other requests',
    'requests',
    's3.getClassRequest',
    per(sumOf(buckets, ([, bucket]) => bucket.getClass)),
    's3.*.getClass',
    buckets.map(([name, bucket]) => ({ name, perPayment: per(bucket.getClass) })),
  );

  // Lambda: requests, and GB-seconds per architecture from the configured memory.
  const functions = Object.entries(counts.lambda);
  line(
    'lambda.requests',
    'Lambda',
    'requests (invocations)',
    'requests',
    'lambda.request',
    per(sumOf(functions, ([, fn]) => fn.invocations)),
    'lambda.*.invocations',
    functions.map(([name, fn]) => ({ name, perPayment: per(fn.invocations) })),
  );
  for (const architecture of ['arm64', 'x86_64'] as const) {
    const of = functions.filter(([name]) => config.functions[name]!.architecture === architecture);
    if (of.length === 0) continue;
    const gbSeconds = (name: string, billedMs: number) => Exact.of(BigInt(config.functions[name]!.memoryMb) * BigInt(billedMs), MB_PER_GB * 1000n);
    line(
      `lambda.compute.${architecture}`,
      'Lambda',
      `compute, ${architecture} (configured memory × billed duration)`,
      'GB-s',
      architecture === 'arm64' ? 'lambda.gbSecond.arm64' : 'lambda.gbSecond.x86_64',
      per(sumOf(of, ([name, fn]) => gbSeconds(name, fn.billedMs))),
      'Σ memory_size ÷ 1024 × lambda.*.billedMs ÷ 1000',
      of.map(([name, fn]) => ({ name: `${name} (${config.functions[name]!.memoryMb} MB)`, perPayment: per(gbSeconds(name, fn.billedMs)) })),
    );
  }
  const coldStarts = sumOf(functions, ([, fn]) => fn.coldStarts);
  if (!coldStarts.isZero())
    notCounted.push(
      `Lambda init (cold starts): ${coldStarts} measured in the run (${sumOf(functions, ([, fn]) => fn.initMs)} ms); at the seed's rate an execution environment serves many thousands of payments, so init is per environment, not per payment`,
    );

  // KMS: SSE-KMS queues call KMS per principal per data key reuse period (time, not traffic):
  // R = B / D × (2P + C) per queue (SQS developer guide), B = the time the payments take at the rate.
  const seconds = Exact.of(payments, rate);
  const kmsParts: Breakdown[] = [];
  for (const [name, queue] of queues) {
    const q = config.queues[name];
    if (!q?.kmsKey || queue.sentMessages + queue.receivedMessages === 0) continue;
    const requests = seconds.dividedBy(q.kmsDataKeyReusePeriodSeconds).times(2 * queue.producers.length + queue.consumers.length);
    kmsParts.push({
      name: `SQS ${name} (${queue.producers.length} producer, ${queue.consumers.length} consumer principals, ${q.kmsDataKeyReusePeriodSeconds} s reuse)`,
      perPayment: requests.dividedBy(payments),
    });
  }
  for (const [name, bucket] of buckets) {
    const b = config.buckets[name];
    if (!b?.kmsKey) continue;
    if (b.bucketKey) continue;
    kmsParts.push({ name: `S3 ${name} (no bucket key: one KMS call per PUT and per GET)`, perPayment: per(bucket.putClass + bucket.getClass) });
  }
  line(
    'kms.requests',
    'KMS',
    'requests on customer managed keys',
    'requests',
    'kms.request',
    sumOf(kmsParts, (part) => part.perPayment),
    'SQS: B/D × (2P + C) per CMK queue; S3 without bucket key: per request',
    kmsParts,
  );
  const bucketKeys = buckets.filter(([name]) => config.buckets[name]?.kmsKey && config.buckets[name]?.bucketKey).map(([name]) => name);
  if (bucketKeys.length > 0) notCounted.push(`KMS for S3 bucket keys (${bucketKeys.join(', ')}): one call per bucket-level key period per requester, a period AWS does not publish`);
  const cmkTables = onDemand.filter(([name]) => config.tables[name]?.kmsKey).map(([name]) => name);
  if (cmkTables.length > 0) notCounted.push(`KMS for DynamoDB tables on a CMK (${cmkTables.length}): the table key is cached per caller and re-verified over time, not per request`);
  const cmkBuses = Object.values(config.buses).filter((bus) => bus.kmsKey);
  if (cmkBuses.length > 0)
    notCounted.push(`KMS for event buses on a CMK (${cmkBuses.map((bus) => bus.name).join(', ')}): AWS documents no per-event call rate; verify with CloudTrail on the first deploy`);
  const cmkLogs = Object.values(config.logGroups).filter((group) => group.kmsKey).length;
  if (cmkLogs > 0) notCounted.push(`KMS for ${cmkLogs} log groups on a CMK and Lambda environments on a CMK (one Decrypt per cold start): per key period or environment, not per payment`);

  // Step Functions standard workflows: state transitions.
  const machines = Object.entries(counts.stepFunctions).filter(([name]) => (config.stateMachines[name]?.type ?? 'STANDARD') === 'STANDARD');
  line(
    'stepfunctions.transitions',
    'Step Functions',
    'standard workflow state transitions',
    'transitions',
    'stepFunctions.standardTransition',
    per(sumOf(machines, ([, machine]) => machine.transitions)),
    'stepFunctions.*.transitions',
    machines.map(([name, machine]) => ({ name, perPayment: per(machine.transitions) })),
  );

  // CloudWatch Logs: ingestion, and storage over each group's retention.
  const groups = Object.entries(counts.logs);
  line(
    'logs.ingestion',
    'CloudWatch Logs',
    'ingestion (GB)',
    'GB',
    'logs.ingestionGb',
    per(sumOf(groups, ([, group]) => group.bytes)).dividedBy(GIB),
    'logs.*.bytes ÷ 2^30',
    groups.map(([name, group]) => ({ name, perPayment: per(group.bytes).dividedBy(GIB) })),
  );
  const retained = groups.filter(([name]) => config.logGroups[name]?.retentionDays !== undefined);
  const forever = groups.filter(([name, group]) => group.bytes > 0 && config.logGroups[name] && config.logGroups[name]!.retentionDays === undefined).map(([name]) => name);
  if (forever.length > 0) notCounted.push(`log storage of groups that never expire (${forever.join(', ')}): grows without bound`);
  const unconfigured = groups.filter(([name, group]) => group.bytes > 0 && !config.logGroups[name]).map(([name]) => name);
  if (unconfigured.length > 0) notCounted.push(`log storage of groups the synth does not create (${unconfigured.join(', ')})`);
  line(
    'logs.storage',
    'CloudWatch Logs',
    'storage over the retention (GB-months, uncompressed: an upper bound)',
    'GB-months',
    'logs.storageGbMonth',
    per(sumOf(retained, ([name, group]) => Exact.of(group.bytes).times(Exact.of(config.logGroups[name]!.retentionDays!).dividedBy(DAYS_PER_MONTH)))).dividedBy(GIB),
    'logs.*.bytes ÷ 2^30 × retention_in_days ÷ (365/12)',
    retained.map(([name, group]) => ({
      name: `${name} (${config.logGroups[name]!.retentionDays} d)`,
      perPayment: per(group.bytes).dividedBy(GIB).times(Exact.of(config.logGroups[name]!.retentionDays!).dividedBy(DAYS_PER_MONTH)),
    })),
  );

  notCounted.push(
    'time-based charges that do not scale with payments: SQS empty receives of idle pollers, DynamoDB Streams reads by the Pipe (GetRecords per shard), KMS keys ($/key-month), CloudWatch alarms, dashboards and custom metrics, X-Ray traces, NAT gateways, VPC endpoints, the ALB, Redshift, Glue, EMR',
    'storage that accrues per month: DynamoDB items, S3 objects, the EventBridge archive',
    'execution logs of the Pipe (level ERROR) and the state machines (level ALL, off the hot path), which the rehearsal does not produce',
    "the Pipe's own concurrency (stream shards × parallelization factor): DynamoDB decides the shard count",
    'Secrets Manager and SSM reads (per cold start), SNS publications (failures only), data transfer',
  );
  if (counts.injected.duplicateDeliveries + counts.injected.visibilityExpiries + counts.injected.transientFaults > 0)
    caveats.push(
      `the counted run includes the rehearsal's injected at-least-once faults (${counts.injected.duplicateDeliveries} duplicate deliveries, ${counts.injected.visibilityExpiries} visibility expiries, ${counts.injected.transientFaults} transient faults): the SQS, Lambda and DynamoDB figures are an upper bound`,
    );
  caveats.push(
    'Lambda durations, batch durations and DynamoDB latencies were measured on the rehearsal (every call through one IAM-checking gateway in front of dynalite), not on AWS: compute, concurrency and serial-update figures are pessimistic',
  );
  if (prices.region !== config.region)
    caveats.push(`prices are ${prices.region} list prices (as of ${prices.asOf}); ${config.env} deploys to ${config.region}, whose list prices differ; quotas are ${config.region}'s`);
  if (!counts.clean) caveats.push('the measured run was NOT clean (differences, denials or findings): re-measure before relying on these figures');

  const quotas = quotaChecks(prices, config, counts, rate);
  return {
    env: config.env,
    region: config.region,
    payments,
    ratePerSecond: rate,
    priceRegion: prices.region,
    pricesAsOf: prices.asOf,
    lines,
    totalMicroDollars: lines.reduce((total, entry) => total + entry.microDollars, 0n),
    quotas,
    notCounted,
    caveats,
  };
}

function quotaChecks(prices: PriceList, config: DeploymentConfig, counts: MeasuredCounts, rate: number): QuotaCheck[] {
  const posted = Exact.of(counts.posted);
  const checks: QuotaCheck[] = [];
  const check = (id: string, name: string, key: QuotaKey, needPerPayment: Exact, basis: string, override?: { value: Exact; unit: string; source: string }) => {
    const spec = prices.quotas[key];
    const found = override ? { value: override.value, regional: true } : quotaIn(spec, config.region);
    if (!found) throw new CostModelError(`the price file has no value of quota ${key} for ${config.region} and no default`);
    const needAtRate = needPerPayment.times(rate);
    checks.push({
      id,
      name,
      quotaKey: key,
      quota: found.value,
      unit: override?.unit ?? spec.unit,
      regional: found.regional,
      needPerPayment,
      needAtRate,
      headroom: needAtRate.isZero() ? undefined : found.value.dividedBy(needAtRate),
      maxPaymentsPerSecond: needPerPayment.isZero() ? undefined : found.value.dividedBy(needPerPayment),
      source: override?.source ?? spec.source,
      basis,
    });
  };
  const buses = Object.values(counts.eventBridge.buses);
  check(
    'eventbridge.putEvents',
    'EventBridge PutEvents requests',
    'eventbridge.putEventsRequestsPerSecond',
    sumOf(buses, (bus) => bus.putEventsRequests).dividedBy(posted),
    'eventBridge.buses.*.putEventsRequests',
  );
  check(
    'eventbridge.invocations',
    'EventBridge rule target invocations',
    'eventbridge.invocationsPerSecond',
    sumOf(buses, (bus) => sumOf(Object.values(bus.deliveries), (n) => n)).dividedBy(posted),
    'eventBridge.buses.*.deliveries',
  );
  // Little's law: concurrent executions = invocations per second × mean duration.
  const functions = Object.entries(counts.lambda);
  const concurrency = (durationMicros: number) => Exact.of(durationMicros, 1_000_000).dividedBy(posted);
  check(
    'lambda.concurrency',
    'Lambda concurrent executions (account)',
    'lambda.concurrentExecutions',
    sumOf(functions, ([, fn]) => concurrency(fn.durationMicros)),
    'Σ lambda.*.durationMicros ÷ posted × rate',
  );
  for (const [name, fn] of functions) {
    const reserved = config.functions[name]?.reservedConcurrency;
    if (reserved === undefined || fn.durationMicros === 0) continue;
    if (reserved === 0) continue;
    check(`lambda.reserved.${name}`, `${name} concurrency`, 'lambda.concurrentExecutions', concurrency(fn.durationMicros), `lambda.${name}.durationMicros ÷ posted × rate`, {
      value: Exact.of(reserved),
      unit: 'reserved executions',
      source: 'the synthesized reserved_concurrent_executions of each function',
    });
  }
  // Each event-source mapping's maximum concurrency: its batches per second × their duration.
  for (const mapping of counts.eventSourceMappings) {
    const configured = config.eventSourceMappings.find((candidate) => candidate.queue === mapping.queue && candidate.functionName === mapping.function);
    if (configured?.maximumConcurrency === undefined || mapping.durationMicros === 0) continue;
    check(
      `sqs.esm.${mapping.queue}`,
      `${mapping.queue} → ${mapping.function} mapping concurrency`,
      'lambda.concurrentExecutions',
      concurrency(mapping.durationMicros),
      `eventSourceMappings[${mapping.queue}].durationMicros ÷ posted × rate`,
      {
        value: Exact.of(configured.maximumConcurrency),
        unit: 'concurrent batches',
        source: "the synthesized event-source mapping's scaling_config.maximum_concurrency",
      },
    );
  }
  // The hottest item: its write units per second against one partition, and its serial conditional updates.
  const hottest = [...counts.hotItems].sort((a, b) => b.writes - a.writes || a.key.localeCompare(b.key))[0];
  if (hottest && hottest.writes > 0) {
    const group = hottest.key.replace(/#[0-9]+(?=["\]}]*$)/, '#<shard>');
    const shards = counts.hotItems.filter((item) => item.table === hottest.table && item.key.replace(/#[0-9]+(?=["\]}]*$)/, '#<shard>') === group).length;
    check(
      'dynamodb.hotItem.wcu',
      `hottest item (${hottest.table} ${hottest.key}, 1 of ${shards} shard${shards === 1 ? '' : 's'} seen): write units`,
      'dynamodb.partitionWriteUnitsPerSecond',
      hottest.writeUnits.dividedBy(posted),
      'hotItems[hottest].writeUnits ÷ posted × rate',
    );
    if (hottest.conditionalAttempts > 0 && hottest.attempts > 0 && hottest.minLatencyMicros > 0) {
      // Each update is conditional on the version read just before it, so one item takes one update
      // at a time: at most 1 s ÷ (one update's latency) a second. The fastest measured update is
      // used: the mean also holds the waits behind other transactions (the stand-in runs a table's
      // transactions one at a time, DynamoDB does not).
      const serialPerSecond = Exact.of(1_000_000, hottest.minLatencyMicros);
      const ms = (micros: Exact) => micros.dividedBy(1000).toFixed(1);
      check(
        'dynamodb.hotItem.serial',
        `hottest item: conditional updates one at a time (fastest ${ms(Exact.of(hottest.minLatencyMicros))} ms, mean ${ms(Exact.of(hottest.latencyMicros, hottest.attempts))} ms in the rehearsal)`,
        'dynamodb.partitionWriteUnitsPerSecond',
        Exact.of(hottest.attempts).dividedBy(posted),
        'hotItems[hottest].attempts ÷ posted × rate vs 1 s ÷ minLatencyMicros',
        {
          value: serialPerSecond,
          unit: 'updates/s',
          source: 'measured: 1 s ÷ hotItems[hottest].minLatencyMicros (each update is conditional on the version read before it; the balance read before each update is not included)',
        },
      );
    }
  }
  const tables = Object.entries(counts.dynamodb).filter(([name]) => config.tables[name]?.billingMode === 'PAY_PER_REQUEST');
  const busiest = tables.sort((a, b) => b[1].writeUnits.compare(a[1].writeUnits) || a[0].localeCompare(b[0]))[0];
  if (busiest && !busiest[1].writeUnits.isZero())
    check(
      'dynamodb.table.wru',
      `busiest table (${busiest[0]}): write units`,
      'dynamodb.tableOnDemandWriteUnitsPerSecond',
      busiest[1].writeUnits.dividedBy(posted),
      `dynamodb.${busiest[0]}.writeUnits ÷ posted × rate`,
    );
  // SQS in flight: messages received and not yet deleted = receive rate × (batching window + batch duration).
  let fullest: { queue: string; need: Exact; window: number } | undefined;
  for (const mapping of counts.eventSourceMappings) {
    if (mapping.batches === 0) continue;
    const configured = config.eventSourceMappings.find((candidate) => candidate.queue === mapping.queue && candidate.functionName === mapping.function);
    const window = configured?.maximumBatchingWindowSeconds ?? 0;
    const holdSeconds = Exact.of(window).plus(Exact.of(mapping.durationMicros, 1_000_000 * mapping.batches));
    const need = Exact.of(mapping.messages).dividedBy(posted).times(holdSeconds);
    if (!fullest || need.compare(fullest.need) > 0) fullest = { queue: mapping.queue, need, window };
  }
  if (fullest)
    check(
      'sqs.inFlight',
      `SQS in flight on ${fullest.queue} (${fullest.window} s window + batch duration)`,
      'sqs.standardInFlightMessages',
      fullest.need,
      'eventSourceMappings[].messages ÷ posted × rate × (window + durationMicros ÷ batches)',
    );
  const buckets = Object.entries(counts.s3).sort((a, b) => b[1].putClass - a[1].putClass || a[0].localeCompare(b[0]));
  if (buckets[0] && buckets[0][1].putClass > 0)
    check(
      's3.put',
      `S3 PUTs on ${buckets[0][0]} (as one prefix)`,
      's3.putRequestsPerPrefixPerSecond',
      Exact.of(buckets[0][1].putClass).dividedBy(posted),
      `s3.${buckets[0][0]}.putClass ÷ posted × rate`,
    );
  return checks;
}
