/**
 * What can be notified (NOTIFY-1): the purposes, the channels and, per purpose, the variables a
 * template may use with their kinds. One definition: the template loader refuses a template that
 * names a variable its purpose does not declare, the renderer formats each variable by its kind,
 * and the event mapping (./mapping.ts) fills exactly these variables.
 */

export const CHANNELS = ['email', 'sms', 'push', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * - text: free text (a merchant or holder name, a reason): card numbers withheld, HTML escaped in HTML;
 * - money: an exact `{ value, currency }`, formatted for the locale from its decimal string;
 * - card: a card token, shown only as the last four characters of the token;
 * - datetime: an ISO 8601 instant, formatted for the locale in the recipient's time zone;
 * - count: a non-negative integer, formatted for the locale.
 */
/**
 * How a variable is rendered. `identifier` is an id the system or a bank made (an authorisation id,
 * a run id, an account id, a case id): card numbers in it are judged with identifier evidence
 * (PCI-2, src/domain/pan.ts), so a Luhn-valid reference or a run id's date and hex digits stay
 * readable while a card number standing alone in it is still withheld.
 */
export type VariableKind = 'text' | 'identifier' | 'money' | 'card' | 'datetime' | 'count';

export interface PurposeDefinition {
  description: string;
  variables: Readonly<Record<string, VariableKind>>;
}

export const PURPOSES = {
  'payment.posted': {
    description: 'A card payment was posted to the customer account',
    variables: { customerName: 'text', amount: 'money', merchant: 'text', card: 'card', postedAt: 'datetime', reference: 'identifier' },
  },
  'payment.declined': {
    description: 'The rules declined a card payment',
    variables: { customerName: 'text', amount: 'money', merchant: 'text', card: 'card', at: 'datetime', reason: 'text', reference: 'identifier', fraudReasons: 'text' },
  },
  'payment.held-for-review': {
    description: 'The rules held a card payment for review',
    variables: { customerName: 'text', amount: 'money', merchant: 'text', card: 'card', at: 'datetime', reason: 'text', reference: 'identifier', fraudReasons: 'text' },
  },
  'payment.rejected': {
    description: 'Enrichment rejected a payment (unknown card or account, closed account, no FX rate …)',
    variables: { amount: 'money', merchant: 'text', card: 'card', at: 'datetime', reason: 'text', reference: 'identifier' },
  },
  'payment.failed': {
    description: 'Posting gave up on a payment after its retries (the sweeper marked it FAILED)',
    variables: { stage: 'text', reason: 'text', attempts: 'count', at: 'datetime', reference: 'identifier' },
  },
  'reconciliation.summary': {
    description: 'A reconciliation run finished: what matched and what is left for the workbench',
    variables: { accountId: 'identifier', runId: 'identifier', statementDate: 'datetime', matched: 'count', exceptions: 'count', unmatchedTotal: 'money' },
  },
  'write-off.approved': {
    description: 'A write-off on a reconciliation case was approved and posted',
    variables: { caseId: 'identifier', amount: 'money', approvedBy: 'text', at: 'datetime', note: 'text' },
  },
} as const satisfies Readonly<Record<string, PurposeDefinition>>;

export type Purpose = keyof typeof PURPOSES;
export const PURPOSE_NAMES = Object.keys(PURPOSES) as Purpose[];

export function isPurpose(value: string): value is Purpose {
  return Object.prototype.hasOwnProperty.call(PURPOSES, value);
}

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

/** The variables of `purpose`: name → kind. */
export function variablesOf(purpose: Purpose): Readonly<Record<string, VariableKind>> {
  return PURPOSES[purpose].variables;
}
