/**
 * npm run bench:domain: the domain CPU of one authorisation across all posting stages, with no
 * storage and no bus. Each generated authorisation goes through exactly the pure code and the
 * consume-side schema validation that the stage handlers run:
 *
 *   ingest (parse, schema, PAN guard) → dedup (business key, outcome) → standardise (pacs.008)
 *   → enrich (from reference data) → rules (facts + CEL) → posting (balanced legs)
 *   → assembler (fixed-width record) → posting.completed
 *
 * It prints µs per authorisation and per lifecycle event (p50 / p99 / p99.9 / max) and per stage.
 * A benchmark, not a test: it asserts nothing.
 *
 *   npm run bench:domain                      # 200,000 authorisations
 *   npm run bench:domain -- --count 1000000
 */
import { cpus } from 'node:os';
import { authorisationLines } from '../src/generator/authorisations';
import { loadReferenceData } from '../src/adapters/embedded/reference-data';
import { loadRuleSetFile } from '../src/adapters/embedded/rule-set-file';
import { classifyLine, authorisedEvent, isApproved } from '../src/domain/ingest';
import { DEFAULT_DEDUP_CONFIG, decideDuplicate, dedupClaim } from '../src/domain/dedup';
import { standardisedEvent } from '../functions/standardise/standardise';
import { enrichmentEvent } from '../src/domain/enrichment';
import type { ResolvedReference } from '../src/domain/enrichment';
import { buildFacts, evaluateRules } from '../src/domain/rules';
import { buildPostingLegs } from '../src/domain/posting';
import { assembleSequence } from '../src/domain/posting-record';
import { EventTypes, nextEvent } from '../src/domain/events';
import type { LedgerEvent } from '../src/domain/events';
import { validateAuthorisation, validateEvent } from '../schemas';
import { calibrate, calibrationLine } from './calibrate';

const STAGES = ['ingest', 'dedup', 'standardise', 'enrich', 'rules', 'posting', 'assembler'] as const;
type Stage = (typeof STAGES)[number];

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The consume side of every handler: the event is schema-validated against its type. */
function consume<T extends LedgerEvent['type']>(event: LedgerEvent, type: T): LedgerEvent<T> {
  return validateEvent(event, [type]);
}

function main(): void {
  const count = arg('count', 200_000);
  const staged = process.argv.includes('--staged');
  const referenceData = loadReferenceData();
  const ruleSet = loadRuleSetFile();
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; node ${process.version}`);
  const lines = [...authorisationLines({ count, seed: 2026, duplicateRate: 0, referenceData })];
  const occurredAt = '2026-11-01T00:00:00.000Z';
  const nowSeconds = Date.parse(occurredAt) / 1000;

  const perAuth = new Float64Array(count);
  const perEvent = new Float64Array(count);
  const perStage = new Map<Stage, Float64Array>(STAGES.map((stage) => [stage, new Float64Array(count)]));
  const stageSamples = new Map<Stage, number>(STAGES.map((stage) => [stage, 0]));
  let measured = 0;
  let posted = 0;
  let events = 0;

  const run = (line: string, record: boolean): void => {
    const started = performance.now();
    let mark = started;
    const lap = (stage: Stage): void => {
      const now = performance.now();
      if (record) {
        const n = stageSamples.get(stage)!;
        perStage.get(stage)![n] = (now - mark) * 1000;
        stageSamples.set(stage, n + 1);
      }
      mark = now;
    };
    const classified = classifyLine(line, validateAuthorisation);
    if (classified.kind !== 'valid' || !isApproved(classified.authorisation)) return;
    const authorised = authorisedEvent(classified.authorisation, occurredAt);
    lap('ingest');

    // The fused hot path (FUSE-1) validates an event once, where it enters (the hot path's queue);
    // later stages take their input in process. --staged validates at every stage, as the staged
    // topology's per-stage consumers do.
    const handOver = <T extends LedgerEvent['type']>(event: LedgerEvent, type: T): LedgerEvent<T> => (staged ? consume(event, type) : (event as LedgerEvent<T>));
    const inDedup = consume(authorised, EventTypes.authorised);
    const claim = dedupClaim(inDedup, nowSeconds, DEFAULT_DEDUP_CONFIG);
    const deduplicated = decideDuplicate(inDedup, claim, { claimed: true }, occurredAt).event as LedgerEvent<'payment.deduplicated'>;
    lap('dedup');

    const standardised = standardisedEvent(handOver(deduplicated, EventTypes.deduplicated), occurredAt);
    lap('standardise');

    const inEnrich = handOver(standardised, EventTypes.standardised);
    const auth = inEnrich.data.authorisation;
    const card = referenceData.cardSync(auth.panToken);
    const account = card ? referenceData.accountSync(card.accountId) : undefined;
    const resolved: ResolvedReference = {
      version: referenceData.version,
      card,
      account,
      product: account ? referenceData.productSync(account.productType) : undefined,
      merchant: referenceData.merchantSync(auth.merchant.id),
      fxRate: account && account.currency !== auth.amount.currency ? referenceData.fxRateSync(auth.amount.currency, account.currency) : undefined,
    };
    const enriched = enrichmentEvent(inEnrich, resolved, occurredAt);
    lap('enrich');
    if (enriched.type !== EventTypes.enriched) return;

    const inRules = handOver(enriched, EventTypes.enriched);
    const decision = evaluateRules(ruleSet, buildFacts(inRules.data, 1));
    const decided = nextEvent(inRules, EventTypes.rulesDecided, 'ledgerline.rules', { ...inRules.data, decision }, occurredAt);
    lap('rules');
    if (decision.outcome !== 'approve') return;

    const inPosting = handOver(decided, EventTypes.rulesDecided);
    const legs = buildPostingLegs(inPosting.correlationId, inPosting.data);
    const recorded = nextEvent(inPosting, EventTypes.recorded, 'ledgerline.posting', { sequenceId: legs[0]!.sequenceId, authorizationId: auth.authorizationId, legs }, occurredAt);
    lap('posting');

    const inAssembler = handOver(recorded, EventTypes.recorded);
    const assembly = assembleSequence(inAssembler.data.legs);
    if (!assembly.complete) throw new Error(`sequence ${legs[0]!.sequenceId} did not assemble`);
    nextEvent(
      { id: `${legs[0]!.sequenceId}:assembled`, correlationId: inAssembler.correlationId },
      EventTypes.postingCompleted,
      'ledgerline.assembler',
      { sequenceId: legs[0]!.sequenceId, authorizationId: inAssembler.data.authorizationId, legCount: legs.length, postingRecordId: assembly.record.recordId },
      occurredAt,
    );
    lap('assembler');
    // authorised, deduplicated, standardised, enriched, rules-decided, recorded, completed
    const eventCount = 7;
    if (record) {
      const micros = (performance.now() - started) * 1000;
      perAuth[measured] = micros;
      perEvent[measured] = micros / eventCount;
      measured += 1;
      posted += 1;
      events += eventCount;
    }
  };

  // Warm up (JIT, caches) on the first 10%, then measure every line.
  const warmup = Math.min(lines.length, Math.max(1000, Math.floor(count / 10)));
  for (let i = 0; i < warmup; i += 1) run(lines[i]!, false);
  const wall = performance.now();
  for (const line of lines) run(line, true);
  const seconds = (performance.now() - wall) / 1000;

  const sorted = (values: Float64Array, n: number): Float64Array => values.slice(0, n).sort();
  const auths = sorted(perAuth, measured);
  const perEv = sorted(perEvent, measured);
  const row = (label: string, values: Float64Array): string =>
    `${label.padEnd(26)} ${[50, 99, 99.9].map((p) => percentile(values, p).toFixed(1).padStart(7)).join(' ')} ${values[values.length - 1]!.toFixed(1).padStart(8)}`;
  console.log(`topology: ${staged ? 'staged (every stage validates its input)' : 'fused (one validation, at entry)'}`);
  console.log(`\n${count} authorisations in ${seconds.toFixed(1)} s of domain CPU (one thread); ${posted} reached a posting record, ${events} lifecycle events`);
  console.log(`${'µs'.padEnd(26)} ${['p50', 'p99', 'p99.9'].map((h) => h.padStart(7)).join(' ')} ${'max'.padStart(8)}`);
  console.log(row('per posted authorisation', auths));
  console.log(row('per lifecycle event', perEv));
  for (const stage of STAGES) console.log(row(`  ${stage}`, sorted(perStage.get(stage)!, stageSamples.get(stage)!)));
  console.log('(posted authorisations only: the longest path; stage rows are per stage visit)');
  console.log(calibrationLine(calibrate()));
}

main();
