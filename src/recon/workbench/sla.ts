/**
 * Case SLAs (WB-1), pure: each case is due a number of days after its item's date, by the first
 * rule of config/recon/sla.json that fits its reason and amount. The rules are data, validated
 * here (every fault names the file, the rule and the field): a reason must be one of the domain's
 * (CASE_REASONS), as written, once per rule, and a rule that an earlier one leaves no case to is
 * refused, since a typo there would never match and silently give its cases another rule's days; amounts are compared exactly (decimal strings
 * scaled to integers, never floats); dates are UTC calendar days "YYYY-MM-DD" (no time zone).
 *
 * The workbench's list sorts by urgency with them and the dashboard's ageing chart buckets by
 * them (one definition): `dueDate(caseLike, rules)` and `slaBucket(dueDate, now)`.
 */
import slaDocument from '../../../config/recon/sla.json';
import { dayNumber } from '../matching/rows';
import { CASE_REASONS } from './cases';

/** What a due date is computed from: any case (or a dashboard's row) with these fields. */
export interface SlaCase {
  /** An ExceptionReason (UNMATCHED, AMOUNT_MISMATCH, …) or PROPOSED_MATCH. */
  reason: string;
  /** Signed exact decimal string ('' when unknown: no amount threshold applies). */
  amount: string;
  currency: string;
  /** YYYY-MM-DD: the day the SLA counts from (the item's date: the run's as-of date minus the case's age). */
  openedOn: string;
}

export interface SlaRule {
  /** Names the rule (shown beside the due date). */
  id: string;
  /** The rule fits only these reasons (absent: any reason). */
  reasons?: readonly string[];
  /**
   * The rule fits only a case whose absolute amount is at least the threshold of its currency
   * (exact decimal strings); a currency not listed does not fit (absent: any amount).
   */
  atLeast?: Readonly<Record<string, string>>;
  /** Calendar days from `openedOn` to the due date (0: due the same day). */
  days: number;
}

export interface SlaRules {
  /** In order: the first that fits decides. The last fits every case (it has no condition). */
  rules: readonly SlaRule[];
  /** A case due within this many days (and not today) is "due-soon"; default 2. */
  soonDays: number;
}

/** How urgent a case is, most urgent first. */
export const SLA_BUCKETS = ['overdue', 'due-today', 'due-soon', 'on-track'] as const;
export type SlaBucket = (typeof SLA_BUCKETS)[number];

export class SlaRulesError extends Error {
  override name = 'SlaRulesError';
}

const MAX_DAYS = 3650;
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const SIGNED_DECIMAL = /^[+-]?(\d+)(?:\.(\d+))?$/;
const CURRENCY = /^[A-Z]{3}$/;
const RULE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const RULE_FIELDS = new Set(['id', 'reasons', 'atLeast', 'days', 'description']);
const TOP_FIELDS = new Set(['$schema', 'description', 'version', 'soonDays', 'rules']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validDays(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_DAYS;
}

/** A reason that is not one of CASE_REASONS as a message shows it (JSON-quoted, shortened), with the reason it differs from only in case. */
function unknownReason(reason: string): string {
  const shown = JSON.stringify(reason.length > 64 ? `${reason.slice(0, 64)}…` : reason);
  const like = CASE_REASONS.find((one) => one.toLowerCase() === reason.toLowerCase());
  return like ? `${shown} (did you mean ${like}?)` : shown;
}

/**
 * Whether every case `later` fits is fitted by `earlier` too (so `later`, after it, never decides):
 * `earlier` takes every reason `later` takes, and every amount: no threshold, or for each currency
 * of `later`'s thresholds one no higher.
 */
function covers(earlier: SlaRule, later: SlaRule): boolean {
  if (earlier.reasons && !(later.reasons ?? CASE_REASONS).every((reason) => earlier.reasons!.includes(reason))) return false;
  if (!earlier.atLeast) return true;
  if (!later.atLeast) return false;
  return Object.entries(later.atLeast).every(([currency, threshold]) => {
    const own = earlier.atLeast![currency];
    return own !== undefined && absAtLeast(threshold, own);
  });
}

/** Validates SLA rules read from JSON (config/recon/sla.json); throws SlaRulesError naming the rule and field. */
export function parseSlaRules(json: unknown, source = 'SLA rules'): SlaRules {
  if (!isObject(json)) throw new SlaRulesError(`${source}: must be an object with "rules"`);
  for (const key of Object.keys(json)) if (!TOP_FIELDS.has(key)) throw new SlaRulesError(`${source}: unknown field "${key}" (allowed: ${[...TOP_FIELDS].join(', ')})`);
  const soonDays = json.soonDays ?? 2;
  if (!validDays(soonDays)) throw new SlaRulesError(`${source}: field "soonDays" must be an integer of days 0..${MAX_DAYS}; got ${JSON.stringify(json.soonDays)}`);
  if (!Array.isArray(json.rules) || json.rules.length === 0) throw new SlaRulesError(`${source}: field "rules" must be a non-empty array`);
  const ids = new Set<string>();
  const rules: SlaRule[] = json.rules.map((raw: unknown, index: number) => {
    const where = `${source}: rules[${index}]`;
    if (!isObject(raw)) throw new SlaRulesError(`${where} must be an object`);
    for (const key of Object.keys(raw)) if (!RULE_FIELDS.has(key)) throw new SlaRulesError(`${where}: unknown field "${key}" (allowed: ${[...RULE_FIELDS].join(', ')})`);
    const { id, reasons, atLeast, days } = raw;
    if (typeof id !== 'string' || !RULE_ID.test(id)) throw new SlaRulesError(`${where}: field "id" must be 1-64 letters, digits, '.', '_' or '-'; got ${JSON.stringify(id ?? null)}`);
    if (ids.has(id)) throw new SlaRulesError(`${where}: id "${id}" is used by an earlier rule`);
    ids.add(id);
    if (!validDays(days)) throw new SlaRulesError(`${where} ("${id}"): field "days" must be an integer of days 0..${MAX_DAYS}; got ${JSON.stringify(days ?? null)}`);
    const rule: SlaRule = { id, days };
    if (reasons !== undefined) {
      if (!Array.isArray(reasons) || reasons.length === 0 || reasons.some((reason) => typeof reason !== 'string')) {
        throw new SlaRulesError(`${where} ("${id}"): field "reasons" must be a non-empty array of reasons (${CASE_REASONS.join(', ')})`);
      }
      const seen = new Set<string>();
      for (const reason of reasons as string[]) {
        if (!CASE_REASONS.includes(reason)) throw new SlaRulesError(`${where} ("${id}"): reason ${unknownReason(reason)} is not a case reason; the reasons are ${CASE_REASONS.join(', ')}`);
        if (seen.has(reason)) throw new SlaRulesError(`${where} ("${id}"): reason "${reason}" is listed twice`);
        seen.add(reason);
      }
      rule.reasons = [...seen];
    }
    if (atLeast !== undefined) {
      if (!isObject(atLeast) || Object.keys(atLeast).length === 0) throw new SlaRulesError(`${where} ("${id}"): field "atLeast" must map currencies to amounts, e.g. {"EUR": "10000.00"}`);
      for (const [currency, amount] of Object.entries(atLeast)) {
        if (!CURRENCY.test(currency)) throw new SlaRulesError(`${where} ("${id}"): atLeast currency "${currency}" is not an ISO 4217 code`);
        if (typeof amount !== 'string' || !DECIMAL.test(amount)) {
          throw new SlaRulesError(`${where} ("${id}"): atLeast.${currency} must be a non-negative decimal string such as "10000.00"; got ${JSON.stringify(amount)}`);
        }
      }
      rule.atLeast = { ...(atLeast as Record<string, string>) };
    }
    return rule;
  });
  const last = rules[rules.length - 1]!;
  if (last.reasons || last.atLeast) throw new SlaRulesError(`${source}: the last rule ("${last.id}") must have no "reasons" and no "atLeast", so that every case has a due date`);
  rules.forEach((rule, index) => {
    const earlier = rules.slice(0, index).find((before) => covers(before, rule));
    if (earlier) throw new SlaRulesError(`${source}: rules[${index}] ("${rule.id}") never fits a case: the earlier rule "${earlier.id}" fits every case it would (the first rule that fits decides)`);
  });
  return { rules, soonDays };
}

/** |a| >= b for decimal strings, exactly; false when `a` is not a decimal. */
function absAtLeast(amount: string, threshold: string): boolean {
  const a = SIGNED_DECIMAL.exec(amount.trim());
  const b = DECIMAL.exec(threshold);
  if (!a || !b) return false;
  return decimalDigitsAtLeast(a[1]!, a[2] ?? '', b[1]!, b[2] ?? '');
}

/** The index of the first digit of `whole` that is not a leading zero (its last digit at most). */
function significantFrom(whole: string): number {
  let at = 0;
  while (at < whole.length - 1 && whole.charCodeAt(at) === 48) at += 1;
  return at;
}

/**
 * whole.fraction >= otherWhole.otherFraction for unsigned digit strings, exactly, by their digits
 * (REC-PERF-1: no BigInt per case): the whole parts by length without leading zeros, then digit by
 * digit, then the fractions digit by digit with missing digits read as 0.
 */
function decimalDigitsAtLeast(whole: string, fraction: string, otherWhole: string, otherFraction: string): boolean {
  const from = significantFrom(whole);
  const otherFrom = significantFrom(otherWhole);
  const length = whole.length - from;
  const otherLength = otherWhole.length - otherFrom;
  if (length !== otherLength) return length > otherLength;
  for (let at = 0; at < length; at += 1) {
    const digit = whole.charCodeAt(from + at);
    const otherDigit = otherWhole.charCodeAt(otherFrom + at);
    if (digit !== otherDigit) return digit > otherDigit;
  }
  const digits = Math.max(fraction.length, otherFraction.length);
  for (let at = 0; at < digits; at += 1) {
    const digit = at < fraction.length ? fraction.charCodeAt(at) : 48;
    const otherDigit = at < otherFraction.length ? otherFraction.charCodeAt(at) : 48;
    if (digit !== otherDigit) return digit > otherDigit;
  }
  return true;
}

/** Whether `rule` fits the case. */
export function ruleFits(rule: SlaRule, c: Pick<SlaCase, 'reason' | 'amount' | 'currency'>): boolean {
  if (rule.reasons && !rule.reasons.includes(c.reason)) return false;
  if (rule.atLeast) {
    const threshold = rule.atLeast[c.currency];
    if (threshold === undefined || !absAtLeast(c.amount, threshold)) return false;
  }
  return true;
}

/** The first rule that fits the case (the rules' last fits every case). */
export function slaRuleOf(c: Pick<SlaCase, 'reason' | 'amount' | 'currency'>, rules: SlaRules): SlaRule {
  for (const rule of rules.rules) if (ruleFits(rule, c)) return rule;
  // parseSlaRules guarantees an unconditional last rule; rules built by hand may not have one.
  throw new SlaRulesError(`no SLA rule fits reason ${c.reason}, amount ${c.amount} ${c.currency}: the last rule must have no condition`);
}

/**
 * The texts of the days asked for, by day number (REC-PERF-1: a run's 10^5 cases fall on a few
 * hundred days, each formatted once). Bounded: emptied when full.
 */
const dayTexts = new Map<number, string>();
const DAY_TEXTS_MAX = 8_192;

/** YYYY-MM-DD of a day number (days since 1970-01-01). */
export function dayText(day: number): string {
  let text = dayTexts.get(day);
  if (text === undefined) {
    text = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (dayTexts.size >= DAY_TEXTS_MAX) dayTexts.clear();
    dayTexts.set(day, text);
  }
  return text;
}

function dayOf(value: string | Date, what: string): number {
  if (value instanceof Date) {
    const time = value.getTime();
    if (!Number.isFinite(time)) throw new SlaRulesError(`${what} is not a valid date`);
    return Math.floor(time / 86_400_000);
  }
  const day = dayNumber(value.length > 10 && value[10] === 'T' ? value.slice(0, 10) : value);
  if (!Number.isFinite(day)) throw new SlaRulesError(`${what} "${value}" is not a date YYYY-MM-DD`);
  return day;
}

/** The day an exception's SLA counts from: the run's as-of date minus the case's age in days. */
export function openedOn(asOf: string, ageDays: number): string {
  return dayText(dayOf(asOf, 'as-of date') - (Number.isSafeInteger(ageDays) && ageDays > 0 ? ageDays : 0));
}

/** YYYY-MM-DD: the day the case is due (its opening day plus the days of the first rule that fits it). */
export function dueDate(c: SlaCase, rules: SlaRules): string {
  return dayText(dayOf(c.openedOn, 'openedOn') + slaRuleOf(c, rules).days);
}

/** Days from `now`'s UTC day to the due date: negative when overdue, 0 when due today. */
export function daysUntilDue(due: string, now: Date | string): number {
  return dayOf(due, 'due date') - dayOf(now, 'now');
}

/** How urgent a case due on `due` is at `now`: overdue (past its due day), due-today, due-soon (within the rules' soonDays), on-track. */
export function slaBucket(due: string, now: Date | string, soonDays = 2): SlaBucket {
  const left = daysUntilDue(due, now);
  if (left < 0) return 'overdue';
  if (left === 0) return 'due-today';
  return left <= soonDays ? 'due-soon' : 'on-track';
}

let shipped: SlaRules | undefined;
/** The rules of config/recon/sla.json (validated once). */
export function defaultSlaRules(): SlaRules {
  shipped ??= parseSlaRules(slaDocument, 'config/recon/sla.json');
  return shipped;
}

/**
 * The day a workbench case's SLA counts from: its run's as-of date minus its age; for a case
 * stored before cases carried the as-of date, the day it was last written minus its age.
 */
export function caseOpenedOn(c: { asOf?: string; updatedAt: string; ageDays: number }): string {
  const anchor = c.asOf && Number.isFinite(dayNumber(c.asOf)) ? c.asOf : c.updatedAt.slice(0, 10);
  return Number.isFinite(dayNumber(anchor)) ? openedOn(anchor, c.ageDays) : '1970-01-01';
}

/**
 * The due dates of the opening days and rule lengths asked for (REC-PERF-1: a run's cases share a
 * few hundred opening days and a handful of rules): opening day → days → due date, as dueDate
 * computes it. Bounded: emptied when full.
 */
const dueDays = new Map<string, { day: number; due: Map<number, string> }>();
const DUE_DAYS_MAX = 4_096;

/** A workbench case's due date by the rules (dueDate of its caseOpenedOn, in dueDate's order). */
export function caseDueDate(c: { reason: string; amount: string; currency: string; asOf?: string; updatedAt: string; ageDays: number }, rules: SlaRules = defaultSlaRules()): string {
  const opened = caseOpenedOn(c);
  let known = dueDays.get(opened);
  if (!known) {
    known = { day: dayOf(opened, 'openedOn'), due: new Map() };
    if (dueDays.size >= DUE_DAYS_MAX) dueDays.clear();
    dueDays.set(opened, known);
  }
  const days = slaRuleOf(c, rules).days;
  let due = known.due.get(days);
  if (due === undefined) {
    due = dayText(known.day + days);
    known.due.set(days, due);
  }
  return due;
}
