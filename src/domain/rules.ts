/**
 * The rules stage: rule sets are versioned DATA (config/rules/*.json, schema
 * schemas/rule-set.schema.json) whose conditions are CEL expressions (@marcbachmann/cel-js).
 *
 * `compileRuleSet` validates a rule-set document, then parses and type-checks every
 * expression ONCE against a typed environment. `evaluateRules` runs the parsed expressions
 * against the facts of one payment. Amounts are CEL ints (bigint minor units of the account
 * currency), so comparisons are exact.
 *
 * CEL variables available to rules:
 *   payment.amountMinor          int     amount debited, account-currency minor units (excl. fee)
 *   payment.feeMinor             int     foreign-transaction fee, account-currency minor units (0 if none)
 *   payment.currency             string  account currency (ISO 4217)
 *   payment.sourceCurrency       string  the authorised (merchant) currency
 *   payment.mcc                  string  merchant category code, 4 digits
 *   payment.merchantCountry      string  ISO 3166 alpha-2
 *   payment.hasConversion        bool    a currency conversion was applied
 *   payment.network              string  card network, e.g. "VISA"
 *   payment.velocityCount        int     the card's payments in the velocity window, this one included
 *   card.status                  string  ACTIVE | BLOCKED | EXPIRED (reference data at enrichment)
 *   account.status               string  OPEN | CLOSED | FROZEN | DORMANT
 *   account.country              string  ISO 3166 alpha-2, from the IBAN
 *   account.currency             string
 *   account.productType          string
 *   product.productType          string
 *   product.perTransactionLimitMinor int limit in account-currency minor units
 *   product.velocityLimit        int
 *   product.foreignTransactionsAllowed bool
 *   params.<name>                the rule set's parameters (bool | int | string | list<string>)
 *   fraud.<name>                 FRAUD-1 streaming features (src/domain/fraud.ts, docs/fraud-signals.md);
 *                                neutral values when the stage computes none
 */
import Ajv, { type ErrorObject } from 'ajv';
import { Environment } from '@marcbachmann/cel-js';
import type { ParseResult } from '@marcbachmann/cel-js';
import ruleSetSchema from '../../schemas/rule-set.schema.json';
import type { EnrichedData, RuleOutcome, RulesDecision } from './events';
import { toMinorUnits } from './money';
import { FRAUD_FIELDS, fraudReason, neutralFraudFeatures, type FraudFeatures } from './fraud';

// ---------------------------------------------------------------------------
// The rule-set document

export type RuleParameterValue = boolean | number | string | string[];

export interface RuleDocument {
  id: string;
  description: string;
  /** A CEL expression of type bool. */
  when: string;
  outcome: Exclude<RuleOutcome, 'approve'>;
}

export interface RuleSetDocument {
  ruleSetId: string;
  version: string;
  description: string;
  parameters: Record<string, RuleParameterValue>;
  rules: RuleDocument[];
}

export interface CompiledRule {
  readonly id: string;
  readonly description: string;
  readonly when: string;
  readonly outcome: Exclude<RuleOutcome, 'approve'>;
  /** The parsed, type-checked expression. */
  readonly test: (facts: RuleFacts) => boolean;
}

export interface CompiledRuleSet {
  readonly ruleSetId: string;
  readonly version: string;
  readonly description: string;
  readonly rules: readonly CompiledRule[];
}

/** A rule set that fails its schema, has duplicate ids, or has an expression that fails to parse or type-check. */
export class RuleSetError extends Error {
  override name = 'RuleSetError';
  constructor(
    readonly problems: string[],
    /** The first offending rule, when the fault is in a rule. */
    readonly ruleId?: string,
  ) {
    super(`invalid rule set: ${problems.join('; ')}`);
  }
}

/** An expression that failed while evaluating (e.g. int64 overflow). The record fails; it is never approved. */
export class RuleEvaluationError extends Error {
  override name = 'RuleEvaluationError';
  constructor(
    readonly ruleId: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(`rule ${ruleId} failed to evaluate: ${message}`);
  }
}

/** Facts that cannot be built (inconsistent currencies, bad counts). */
export class RuleFactsError extends Error {
  override name = 'RuleFactsError';
}

// ---------------------------------------------------------------------------
// Facts: class instances, so CEL checks them against declared field types.

/** CEL field types of each fact object; must match the classes below. */
const PAYMENT_FIELDS = {
  amountMinor: 'int',
  feeMinor: 'int',
  currency: 'string',
  sourceCurrency: 'string',
  mcc: 'string',
  merchantCountry: 'string',
  hasConversion: 'bool',
  network: 'string',
  velocityCount: 'int',
} as const;

const CARD_FIELDS = {
  status: 'string',
} as const;

const ACCOUNT_FIELDS = {
  status: 'string',
  country: 'string',
  currency: 'string',
  productType: 'string',
} as const;

const PRODUCT_FIELDS = {
  productType: 'string',
  perTransactionLimitMinor: 'int',
  velocityLimit: 'int',
  foreignTransactionsAllowed: 'bool',
} as const;

type CelField = 'int' | 'string' | 'bool';
type FieldValue<T extends CelField> = T extends 'int' ? bigint : T extends 'string' ? string : boolean;
type FieldsOf<M extends Record<string, CelField>> = { readonly [K in keyof M]: FieldValue<M[K]> };

export type PaymentFactsFields = FieldsOf<typeof PAYMENT_FIELDS>;
export type CardFactsFields = FieldsOf<typeof CARD_FIELDS>;
export type AccountFactsFields = FieldsOf<typeof ACCOUNT_FIELDS>;
export type ProductFactsFields = FieldsOf<typeof PRODUCT_FIELDS>;

type FactsClass<M extends Record<string, CelField>> = new (fields: FieldsOf<M>) => FieldsOf<M>;

/** A plain class per fact object: cel-js checks a variable's value by its constructor. */
function factsClass<M extends Record<string, CelField>>(name: string): FactsClass<M> {
  const cls = class {
    constructor(fields: FieldsOf<M>) {
      Object.assign(this, fields);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls as unknown as FactsClass<M>;
}

export type PaymentFacts = PaymentFactsFields;
export const PaymentFacts = factsClass<typeof PAYMENT_FIELDS>('PaymentFacts');
export type CardFacts = CardFactsFields;
export const CardFacts = factsClass<typeof CARD_FIELDS>('CardFacts');
export type AccountFacts = AccountFactsFields;
export const AccountFacts = factsClass<typeof ACCOUNT_FIELDS>('AccountFacts');
export type FraudFacts = FieldsOf<typeof FRAUD_FIELDS>;
export const FraudFacts = factsClass<typeof FRAUD_FIELDS>('FraudFacts');
export type ProductFacts = ProductFactsFields;
export const ProductFacts = factsClass<typeof PRODUCT_FIELDS>('ProductFacts');

/** The CEL evaluation context of one payment. */
export interface RuleFacts {
  readonly payment: PaymentFacts;
  readonly card: CardFacts;
  readonly account: AccountFacts;
  readonly product: ProductFacts;
  readonly fraud: FraudFacts;
}

/**
 * Pure: the facts of one enriched payment. Amounts become exact bigint minor units of the
 * account currency; the product limit must be in that currency too.
 */
export function buildFacts(data: EnrichedData, velocityCount: number, fraud: FraudFeatures = neutralFraudFeatures()): RuleFacts {
  const { enrichment, authorisation } = data;
  const { account, product } = enrichment;
  if (!Number.isSafeInteger(velocityCount) || velocityCount < 0) {
    throw new RuleFactsError(`velocity count ${velocityCount} is not a non-negative integer`);
  }
  if (enrichment.accountAmount.currency !== account.currency) {
    throw new RuleFactsError(`account amount is in ${enrichment.accountAmount.currency} but account ${account.accountId} is in ${account.currency}`);
  }
  if (product.perTransactionLimit.currency !== account.currency) {
    throw new RuleFactsError(`product ${product.productType} limit is in ${product.perTransactionLimit.currency} but account ${account.accountId} is in ${account.currency}`);
  }
  const conversion = enrichment.conversion;
  let feeMinor = 0n;
  if (conversion) {
    if (conversion.fee.currency !== account.currency) {
      throw new RuleFactsError(`conversion fee is in ${conversion.fee.currency} but the account is in ${account.currency}`);
    }
    feeMinor = toMinorUnits(conversion.fee.value, conversion.fee.currency);
  }
  return {
    payment: new PaymentFacts({
      amountMinor: toMinorUnits(enrichment.accountAmount.value, enrichment.accountAmount.currency),
      feeMinor,
      currency: account.currency,
      sourceCurrency: authorisation.amount.currency,
      mcc: enrichment.merchant.mcc,
      merchantCountry: enrichment.merchant.country,
      hasConversion: conversion !== undefined,
      network: authorisation.network,
      velocityCount: BigInt(velocityCount),
    }),
    card: new CardFacts({ status: enrichment.card.status }),
    account: new AccountFacts({
      status: account.status,
      country: account.iban.slice(0, 2),
      currency: account.currency,
      productType: account.productType,
    }),
    product: new ProductFacts({
      productType: product.productType,
      perTransactionLimitMinor: toMinorUnits(product.perTransactionLimit.value, product.perTransactionLimit.currency),
      velocityLimit: BigInt(product.velocityLimit),
      foreignTransactionsAllowed: product.foreignTransactionsAllowed,
    }),
    fraud: new FraudFacts(fraud),
  };
}

// ---------------------------------------------------------------------------
// Compilation

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateDocument = ajv.compile<RuleSetDocument>(ruleSetSchema);

/** The fact types, registered once; each rule set clones it and adds its own `params`. */
const baseEnvironment = new Environment({ unlistedVariablesAreDyn: false })
  .registerType('PaymentFacts', { ctor: PaymentFacts, fields: { ...PAYMENT_FIELDS } })
  .registerType('CardFacts', { ctor: CardFacts, fields: { ...CARD_FIELDS } })
  .registerType('AccountFacts', { ctor: AccountFacts, fields: { ...ACCOUNT_FIELDS } })
  .registerType('ProductFacts', { ctor: ProductFacts, fields: { ...PRODUCT_FIELDS } })
  .registerVariable('payment', 'PaymentFacts')
  .registerVariable('card', 'CardFacts')
  .registerVariable('account', 'AccountFacts')
  .registerType('FraudFacts', { ctor: FraudFacts, fields: { ...FRAUD_FIELDS } })
  .registerVariable('product', 'ProductFacts')
  .registerVariable('fraud', 'FraudFacts');

class RuleParameters {
  constructor(values: Record<string, unknown>) {
    Object.assign(this, values);
  }
}

function celTypeOf(value: RuleParameterValue): string {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'int';
  if (typeof value === 'string') return 'string';
  return 'list<string>';
}

function describeSchemaErrors(doc: unknown, errors: ErrorObject[] | null | undefined): { problems: string[]; ruleId?: string } {
  const rules = (doc as { rules?: unknown } | null)?.rules;
  let firstRuleId: string | undefined;
  const problems = (errors ?? []).map((error) => {
    let where = error.instancePath || '(root)';
    const ruleMatch = /^\/rules\/(\d+)(\/.*)?$/.exec(error.instancePath);
    if (ruleMatch && Array.isArray(rules)) {
      const index = Number(ruleMatch[1]);
      const id = (rules[index] as { id?: unknown } | undefined)?.id;
      const name = typeof id === 'string' ? `rule ${id} (rules[${index}])` : `rules[${index}]`;
      if (typeof id === 'string') firstRuleId ??= id;
      where = ruleMatch[2] ? `${name} ${ruleMatch[2].slice(1)}` : name;
    }
    if (error.keyword === 'additionalProperties') {
      return `${where}: unexpected field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
    }
    if (error.keyword === 'required') {
      return `${where}: missing required field "${(error.params as { missingProperty: string }).missingProperty}"`;
    }
    if (error.keyword === 'enum') {
      return `${where}: must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`;
    }
    return `${where}: ${error.message ?? error.keyword}`;
  });
  return { problems, ruleId: firstRuleId };
}

interface AstNode {
  op: string;
  args: unknown;
  start?: number;
  end?: number;
}

function isAstNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { op?: unknown }).op === 'string' && 'args' in value;
}

/**
 * Money is exact, so rule expressions may not use floating point: no double literal and no
 * double() conversion. (CEL would otherwise allow `int > double` comparisons.)
 */
function findFloatingPoint(node: unknown, source: string): string | undefined {
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = findFloatingPoint(child, source);
      if (found) return found;
    }
    return undefined;
  }
  if (!isAstNode(node)) return undefined;
  if (node.op === 'value' && typeof node.args === 'number') {
    return `double literal ${source.slice(node.start ?? 0, node.end ?? source.length)} at position ${node.start ?? '?'}`;
  }
  if ((node.op === 'call' || node.op === 'rcall') && Array.isArray(node.args) && node.args[0] === 'double') {
    return `double() conversion at position ${node.start ?? '?'}`;
  }
  return findFloatingPoint(node.args, source);
}

function celMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Validates a rule-set document and compiles it: every `when` is parsed and type-checked
 * exactly once and must be of type bool. Throws RuleSetError naming the rule and the fault.
 */
export function compileRuleSet(doc: unknown): CompiledRuleSet {
  if (!validateDocument(doc)) {
    const { problems, ruleId } = describeSchemaErrors(doc, validateDocument.errors);
    throw new RuleSetError(problems, ruleId);
  }
  const seen = new Set<string>();
  for (const rule of doc.rules) {
    if (seen.has(rule.id)) throw new RuleSetError([`rule ${rule.id}: duplicate rule id`], rule.id);
    seen.add(rule.id);
  }

  const params = doc.parameters;
  const paramFields: Record<string, string> = {};
  const paramValues: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    paramFields[name] = celTypeOf(value);
    paramValues[name] = typeof value === 'number' ? BigInt(value) : Array.isArray(value) ? Object.freeze([...value]) : value;
  }
  const environment = baseEnvironment
    .clone()
    .registerType('RuleParameters', { ctor: RuleParameters, fields: paramFields })
    .registerConstant('params', 'RuleParameters', Object.freeze(new RuleParameters(paramValues)));

  const rules: CompiledRule[] = doc.rules.map((rule) => {
    const label = `rule ${rule.id} (${rule.outcome})`;
    let parsed: ParseResult;
    try {
      parsed = environment.parse(rule.when);
    } catch (error) {
      throw new RuleSetError([`${label}: "when" does not parse: ${celMessage(error)}`], rule.id);
    }
    const checked = parsed.check();
    if (!checked.valid) {
      throw new RuleSetError([`${label}: "when" does not type-check: ${celMessage(checked.error)}`], rule.id);
    }
    const floating = findFloatingPoint(parsed.ast, rule.when);
    if (floating) {
      throw new RuleSetError([`${label}: "when" uses floating point: ${floating}; amounts are exact ints in minor units`], rule.id);
    }
    if (checked.type !== 'bool') {
      throw new RuleSetError([`${label}: "when" must be a bool expression but is of type ${String(checked.type)}`], rule.id);
    }
    return Object.freeze({
      id: rule.id,
      description: rule.description,
      when: rule.when,
      outcome: rule.outcome,
      test: (facts: RuleFacts): boolean => parsed(facts as unknown as Record<string, unknown>) === true,
    });
  });

  return Object.freeze({
    ruleSetId: doc.ruleSetId,
    version: doc.version,
    description: doc.description,
    rules: Object.freeze(rules),
  });
}

// ---------------------------------------------------------------------------
// Evaluation

/**
 * Runs every rule (none short-circuits, so `firedRules` is complete, in rule-set order).
 * Outcome: decline if any decline rule fired, else review if any review rule fired, else approve.
 */
export function evaluateRules(ruleSet: CompiledRuleSet, facts: RuleFacts): RulesDecision {
  const firedRules: string[] = [];
  let declined = false;
  let reviewed = false;
  for (const rule of ruleSet.rules) {
    let fired: boolean;
    try {
      fired = rule.test(facts);
    } catch (error) {
      throw new RuleEvaluationError(rule.id, celMessage(error), error);
    }
    if (!fired) continue;
    firedRules.push(rule.id);
    if (rule.outcome === 'decline') declined = true;
    else reviewed = true;
  }
  return {
    outcome: declined ? 'decline' : reviewed ? 'review' : 'approve',
    firedRules,
    ruleSetId: ruleSet.ruleSetId,
    ruleSetVersion: ruleSet.version,
    velocityCount: Number(facts.payment.velocityCount),
  };
}

/**
 * FRAUD-1: the reasons of a decision's fired rules that read fraud features, each naming the
 * features and their values (e.g. "FRAUD_COUNTRY_HOP: fraud.countriesInWindow=3").
 */
export function fraudReasons(ruleSet: CompiledRuleSet, decision: RulesDecision, facts: RuleFacts): string[] {
  const reasons: string[] = [];
  for (const rule of ruleSet.rules) {
    if (!decision.firedRules.includes(rule.id)) continue;
    const reason = fraudReason(rule.id, rule.when, facts.fraud);
    if (reason) reasons.push(reason);
  }
  return reasons;
}
