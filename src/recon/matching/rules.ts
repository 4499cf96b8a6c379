/**
 * Matching rule sets: plain JSON config (config/recon/*.rules.json) validated by
 * schemas/recon-rules.schema.json (ajv, compiled once, on first use), then compiled into the
 * internal form the engine runs (integers only: confidence in 1/10000 units, tolerances as
 * exact ratios, dates in days).
 *
 * A bad rule set throws RuleSetError naming the rule (id and index) and the fault.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../../schemas/recon-rules.schema.json';
import defaultRulesDocument from '../../../config/recon/default.rules.json';
import { currencyExponent, isKnownCurrency } from '../../domain/money';

/** Statement reference fields. `batchReference` is set on the item lines of a split batch (REC-IN-6). */
export type ReferenceField = 'endToEndId' | 'bankReference' | 'customerReference' | 'batchReference';
export type DateField = 'bookingDate' | 'valueDate' | 'either';

export interface ToleranceConfig {
  /** Decimal amount in the partition's currency, e.g. "0.50" (truncated to the currency's minor units). */
  absolute?: string;
  /** Per-currency override of `absolute`, e.g. { "JPY": "50" }. */
  absoluteByCurrency?: Record<string, string>;
  /** Percent of the larger of the two absolute amounts, e.g. "0.5". */
  percent?: string;
}

interface RuleCommon {
  id: string;
  priority: number;
  description?: string;
  /** 0..1: the confidence of a perfect match by this rule, before penalties. */
  baseConfidence: number;
  dateWindowDays?: number;
  dateField?: DateField;
  /** Subtracted per day of date distance. */
  datePenaltyPerDay?: number;
  /** Subtracted when an equally good, distinguishable alternative existed (a tie). */
  ambiguityPenalty?: number;
}

export interface ExactReferenceRule extends RuleCommon {
  kind: 'exactReference';
  /** Statement fields compared with the ledger `reference` (default: all three). */
  fields?: ReferenceField[];
  /** Without it the amounts must be equal. */
  tolerance?: ToleranceConfig;
  /** Subtracted in proportion to amount difference / allowed difference. */
  amountPenalty?: number;
}

export interface AmountDateRule extends RuleCommon {
  kind: 'amountDate';
  dateWindowDays: number;
}

export interface ToleranceRule extends RuleCommon {
  kind: 'tolerance';
  dateWindowDays: number;
  tolerance: ToleranceConfig;
  amountPenalty?: number;
}

export interface GroupRule extends RuleCommon {
  /** oneToMany: one statement line vs several ledger entries; manyToOne: several statement lines vs one ledger entry. */
  kind: 'oneToMany' | 'manyToOne';
  /**
   * reference: items carry the head's reference plus an item suffix (itemReferencePattern);
   * sharedReference (REC-MATCH-1): items carry the very same reference as the head (a payment-run
   * id), all of them summing exactly; amount: bounded exact-sum search.
   */
  match: 'reference' | 'sharedReference' | 'amount';
  /** Statement reference fields used (default: endToEndId, bankReference, customerReference). */
  fields?: ReferenceField[];
  dateWindowDays: number;
  minGroupSize?: number;
  maxGroupSize: number;
  /** amount mode: candidate items considered per head (nearest by date). */
  maxCandidates?: number;
  /** reference modes: when the keyed items do not sum exactly, search their subsets if there are at most this many. */
  maxSubsetItems?: number;
  subsetPenalty?: number;
  /** reference modes, oneToMany: the statement's batchItemCount differs from the group size. */
  countMismatchPenalty?: number;
  /** Subtracted per item beyond two. */
  groupSizePenalty?: number;
}

export type MatchingRule = ExactReferenceRule | AmountDateRule | ToleranceRule | GroupRule;

/** The JSON document (schemas/recon-rules.schema.json). */
export interface RuleSet {
  $schema?: string;
  ruleSetId: string;
  version: number;
  description?: string;
  /** Matches with confidence >= this are 'confirmed', below 'proposed'. */
  confirmThreshold: number;
  /** Unmatched rows older than this (relative to as-of) are STALE. */
  staleAfterDays: number;
  ignoreReferences?: string[];
  /** One capture group: the batch reference inside an item reference. */
  itemReferencePattern?: string;
  maxCandidatesPerRow?: number;
  amountMismatch?: { dateWindowDays: number; maxDifferencePercent: string };
  rules: MatchingRule[];
}

export class RuleSetError extends Error {
  override name = 'RuleSetError';
  constructor(
    readonly fault: string,
    readonly ruleId?: string,
  ) {
    super(fault);
  }
}

// ---------------------------------------------------------------------------------------------
// Compiled form

/** An exact ratio num / den (den > 0), used for percentages: "0.5" % → 5 / 1000. */
export interface Ratio {
  num: number;
  den: number;
}

export interface CompiledTolerance {
  /** Absolute tolerance in minor units for a currency (falls back to `absolute` truncated). */
  absoluteFor(currency: string): number;
  /** Fraction of max(|a|, |b|), or null. */
  percent: Ratio | null;
}

export const SCALE = 10_000;

interface CompiledCommon {
  id: string;
  priority: number;
  base: number;
  window: number;
  dateField: DateField;
  datePenalty: number;
  ambiguityPenalty: number;
}

export interface CompiledExactReference extends CompiledCommon {
  kind: 'exactReference';
  fields: ReferenceField[];
  /** -1 = no date constraint. */
  tolerance: CompiledTolerance | null;
  amountPenalty: number;
}
export interface CompiledAmountDate extends CompiledCommon {
  kind: 'amountDate';
}
export interface CompiledToleranceRule extends CompiledCommon {
  kind: 'tolerance';
  tolerance: CompiledTolerance;
  amountPenalty: number;
}
export interface CompiledGroupRule extends CompiledCommon {
  kind: 'oneToMany' | 'manyToOne';
  match: 'reference' | 'sharedReference' | 'amount';
  fields: ReferenceField[];
  minGroupSize: number;
  maxGroupSize: number;
  maxCandidates: number;
  maxSubsetItems: number;
  subsetPenalty: number;
  countMismatchPenalty: number;
  groupSizePenalty: number;
}
export type CompiledRule = CompiledExactReference | CompiledAmountDate | CompiledToleranceRule | CompiledGroupRule;

export interface CompiledRuleSet {
  ruleSetId: string;
  threshold: number;
  staleAfterDays: number;
  ignoreReferences: ReadonlySet<string>;
  itemPattern: RegExp | null;
  maxCandidatesPerRow: number;
  mismatchWindow: number;
  mismatchPercent: Ratio;
  rules: CompiledRule[];
}

const ALL_FIELDS: ReferenceField[] = ['endToEndId', 'bankReference', 'customerReference'];
/** amount-mode grouping searches sizes 2..4 only (pair-sum hashing: O(candidates²) per head). */
export const MAX_AMOUNT_GROUP_SIZE = 4;

/** The schema's validator, compiled on first use: a module that only imports the matcher pays nothing (about 1.7 s of ajv). */
let documentValidator: ValidateFunction<RuleSet> | undefined;
function validateDocument(): ValidateFunction<RuleSet> {
  documentValidator ??= new Ajv({ allErrors: false, strict: true, strictTypes: false, discriminator: true }).compile<RuleSet>(schema);
  return documentValidator;
}

function units(value: number | undefined, fallback = 0): number {
  return Math.round((value ?? fallback) * SCALE);
}

/** "0.5" → { num: 5, den: 1000 } as a fraction of 1 (i.e. percent / 100). */
export function parsePercent(text: string): Ratio {
  const [whole = '0', fraction = ''] = text.split('.');
  return { num: Number.parseInt(whole + fraction, 10), den: 100 * 10 ** fraction.length };
}

/** Truncates a non-negative decimal string to minor units of `currency`. */
function truncatedMinor(text: string, currency: string): number {
  const exponent = currencyExponent(currency);
  const [whole = '0', fraction = ''] = text.split('.');
  return Number.parseInt(whole + fraction.padEnd(exponent, '0').slice(0, exponent), 10);
}

function compileTolerance(config: ToleranceConfig, fail: (fault: string) => never): CompiledTolerance {
  if (config.absolute === undefined && config.percent === undefined && config.absoluteByCurrency === undefined) {
    fail('tolerance needs "absolute", "absoluteByCurrency" or "percent"');
  }
  const overrides = new Map<string, number>();
  for (const [currency, amount] of Object.entries(config.absoluteByCurrency ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!isKnownCurrency(currency)) fail(`tolerance.absoluteByCurrency: unknown currency "${currency}"`);
    const exponent = currencyExponent(currency);
    const decimals = amount.split('.')[1]?.length ?? 0;
    if (decimals > exponent) fail(`tolerance.absoluteByCurrency.${currency}: "${amount}" has ${decimals} decimal places; ${currency} allows ${exponent}`);
    overrides.set(currency, truncatedMinor(amount, currency));
  }
  const cache = new Map<string, number>();
  const absolute = config.absolute;
  return {
    absoluteFor(currency: string): number {
      const override = overrides.get(currency);
      if (override !== undefined) return override;
      let value = cache.get(currency);
      if (value === undefined) {
        value = absolute === undefined ? 0 : truncatedMinor(absolute, currency);
        cache.set(currency, value);
      }
      return value;
    },
    percent: config.percent === undefined ? null : parsePercent(config.percent),
  };
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || '(root)';
  if (error.keyword === 'additionalProperties') {
    return `${where}: unexpected field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (error.keyword === 'required') {
    return `${where}: missing required field "${(error.params as { missingProperty: string }).missingProperty}"`;
  }
  if (error.keyword === 'enum') {
    return `${where}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((value) => JSON.stringify(value)).join(', ')}`;
  }
  if (error.keyword === 'discriminator') {
    return `${where}: "kind" must be one of exactReference, amountDate, tolerance, oneToMany, manyToOne`;
  }
  return `${where}: ${error.message ?? error.keyword}`;
}

function ruleLabel(document: unknown, index: number): { label: string; id?: string } {
  const rules = (document as { rules?: unknown }).rules;
  const rule = Array.isArray(rules) ? (rules[index] as { id?: unknown } | undefined) : undefined;
  const id = rule && typeof rule.id === 'string' ? rule.id : undefined;
  return { label: id === undefined ? `rules[${index}]` : `rule "${id}" (rules[${index}])`, id };
}

/**
 * Validates a rule-set document against the schema and the semantic checks (unique ids and
 * priorities, a valid item pattern, known currencies, bounded amount grouping).
 * Returns the same document, typed. Throws RuleSetError naming the rule and the fault.
 */
export function validateRuleSet(document: unknown): RuleSet {
  const setName = (document as { ruleSetId?: unknown } | null)?.ruleSetId;
  const prefix = `rule set${typeof setName === 'string' ? ` "${setName}"` : ''}`;
  const validate = validateDocument();
  if (!validate(document)) {
    const error = validate.errors?.[0];
    if (!error) throw new RuleSetError(`${prefix}: invalid`);
    const ruleMatch = /^\/rules\/(\d+)(\/.*)?$/.exec(error.instancePath);
    if (ruleMatch) {
      const { label, id } = ruleLabel(document, Number.parseInt(ruleMatch[1]!, 10));
      const field = ruleMatch[2] ? ruleMatch[2].slice(1).replace(/\//g, '.') : '';
      const message = describe({ ...error, instancePath: '' }).replace(/^\(root\): /, '');
      throw new RuleSetError(`${prefix}: ${label}: ${field ? `${field}: ` : ''}${message}`, id);
    }
    throw new RuleSetError(`${prefix}: ${describe(error)}`);
  }
  const ruleSet = document;
  const ids = new Map<string, number>();
  const priorities = new Map<number, string>();
  ruleSet.rules.forEach((rule, index) => {
    const fail = (fault: string): never => {
      throw new RuleSetError(`${prefix}: rule "${rule.id}" (rules[${index}]): ${fault}`, rule.id);
    };
    if (ids.has(rule.id)) fail(`duplicate rule id (also rules[${ids.get(rule.id)}])`);
    ids.set(rule.id, index);
    const other = priorities.get(rule.priority);
    if (other !== undefined) fail(`priority ${rule.priority} is also used by rule "${other}"; priorities must be unique so the order is defined`);
    priorities.set(rule.priority, rule.id);
    if (rule.kind === 'exactReference' || rule.kind === 'tolerance') {
      if (rule.tolerance) compileTolerance(rule.tolerance, (fault) => fail(fault));
    }
    if (rule.kind === 'oneToMany' || rule.kind === 'manyToOne') {
      const min = rule.minGroupSize ?? 2;
      if (min > rule.maxGroupSize) fail(`minGroupSize ${min} exceeds maxGroupSize ${rule.maxGroupSize}`);
      if (rule.match === 'amount') {
        if (rule.maxGroupSize > MAX_AMOUNT_GROUP_SIZE) {
          fail(`maxGroupSize ${rule.maxGroupSize} is too large for match "amount" (at most ${MAX_AMOUNT_GROUP_SIZE}: an unkeyed exact-sum search must stay bounded)`);
        }
        if (rule.maxSubsetItems !== undefined) fail('maxSubsetItems applies to match "reference" only');
      } else if (rule.maxCandidates !== undefined) {
        fail('maxCandidates applies to match "amount" only');
      }
      if (rule.match === 'reference' && !ruleSet.itemReferencePattern) {
        fail('match "reference" needs the rule set\'s itemReferencePattern');
      }
    }
  });
  if (ruleSet.itemReferencePattern !== undefined) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(ruleSet.itemReferencePattern);
    } catch (error) {
      throw new RuleSetError(`${prefix}: itemReferencePattern is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`);
    }
    const groups = new RegExp(`${pattern.source}|`).exec('')!.length - 1;
    if (groups < 1) throw new RuleSetError(`${prefix}: itemReferencePattern needs one capture group (the batch reference)`);
  }
  return ruleSet;
}

const compiledCache = new WeakMap<object, CompiledRuleSet>();

/** Validates (once per object) and compiles a rule set into the engine's integer form. */
export function compileRuleSet(document: RuleSet | unknown): CompiledRuleSet {
  if (document !== null && typeof document === 'object') {
    const cached = compiledCache.get(document);
    if (cached) return cached;
  }
  const ruleSet = validateRuleSet(document);
  const rules = [...ruleSet.rules]
    .sort((a, b) => a.priority - b.priority)
    .map((rule): CompiledRule => {
      const common: CompiledCommon = {
        id: rule.id,
        priority: rule.priority,
        base: units(rule.baseConfidence),
        window: rule.dateWindowDays ?? -1,
        dateField: rule.dateField ?? 'either',
        datePenalty: units(rule.datePenaltyPerDay),
        ambiguityPenalty: units(rule.ambiguityPenalty),
      };
      const fail = (fault: string): never => {
        throw new RuleSetError(`rule "${rule.id}": ${fault}`, rule.id);
      };
      switch (rule.kind) {
        case 'exactReference':
          return {
            ...common,
            kind: rule.kind,
            fields: rule.fields ?? ALL_FIELDS,
            tolerance: rule.tolerance ? compileTolerance(rule.tolerance, fail) : null,
            amountPenalty: units(rule.amountPenalty),
          };
        case 'amountDate':
          return { ...common, kind: rule.kind };
        case 'tolerance':
          return { ...common, kind: rule.kind, tolerance: compileTolerance(rule.tolerance, fail), amountPenalty: units(rule.amountPenalty) };
        case 'oneToMany':
        case 'manyToOne':
          return {
            ...common,
            kind: rule.kind,
            match: rule.match,
            fields: rule.fields ?? ALL_FIELDS,
            minGroupSize: rule.minGroupSize ?? 2,
            maxGroupSize: rule.maxGroupSize,
            maxCandidates: rule.maxCandidates ?? 16,
            maxSubsetItems: rule.maxSubsetItems ?? 0,
            subsetPenalty: units(rule.subsetPenalty),
            countMismatchPenalty: units(rule.countMismatchPenalty),
            groupSizePenalty: units(rule.groupSizePenalty),
          };
      }
    });
  const compiled: CompiledRuleSet = {
    ruleSetId: ruleSet.ruleSetId,
    threshold: units(ruleSet.confirmThreshold),
    staleAfterDays: ruleSet.staleAfterDays,
    ignoreReferences: new Set((ruleSet.ignoreReferences ?? []).map((value) => value.replace(/\s+/g, '').toUpperCase())),
    itemPattern: ruleSet.itemReferencePattern ? new RegExp(ruleSet.itemReferencePattern) : null,
    maxCandidatesPerRow: ruleSet.maxCandidatesPerRow ?? 32,
    mismatchWindow: ruleSet.amountMismatch?.dateWindowDays ?? 0,
    mismatchPercent: parsePercent(ruleSet.amountMismatch?.maxDifferencePercent ?? '10'),
    rules,
  };
  if (document !== null && typeof document === 'object') compiledCache.set(document, compiled);
  return compiled;
}

/** Parses JSON text of a rule set and validates it; `source` (e.g. the file path) prefixes errors. */
export function parseRuleSet(text: string, source = 'rule set'): RuleSet {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new RuleSetError(`${source}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return validateRuleSet(document);
  } catch (error) {
    if (error instanceof RuleSetError) throw new RuleSetError(`${source}: ${error.fault}`, error.ruleId);
    throw error;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

let defaultSet: RuleSet | undefined;

/** The repository's default rule set (config/recon/default.rules.json), validated once, frozen. */
export function defaultRuleSet(): RuleSet {
  defaultSet ??= deepFreeze(validateRuleSet(structuredClone(defaultRulesDocument)));
  return defaultSet;
}
