/**
 * HOT-1: hot accounts spread their balance over shards named by configuration
 * (`hotAccountShards: { accountId: shards }`); a balance is the sum of its shards. Pure.
 *
 * - `knownAccounts` lists the accounts the reference data implies: its customer and settlement
 *   accounts, and the FX position (`FXPOS-<ccy>`) and FX fee income (`FXFEE-<ccy>`) accounts that
 *   posting (src/domain/posting.ts) can name from the currencies in use.
 * - `hotAccountFaults` checks a configured map against them and returns one readable line per
 *   fault (naming the account and what is wrong); `assertHotAccounts` throws them all at once.
 * - `hotShard` is the shard a ledger adapter writes: an anchor (a sequence id) hashed onto the
 *   shards, plus an offset, so concurrent batches land on different shards and a call's chunks of
 *   one hot account go to consecutive, distinct shards.
 * - `requiredShards` is the sizing rule the environments' shard counts are checked against.
 */
import { fnv1a32 } from './fnv';
import { fxFeeIncomeAccount, fxPositionAccount } from './posting';

/** Most shards one account may have (a balance read sums them all). */
export const MAX_HOT_ACCOUNT_SHARDS = 256;

export type AccountKind = 'customer' | 'settlement' | 'fx-position' | 'fx-fee-income';

/** The kinds HOT-1 shards: settlement, FX position and fee income accounts. */
export const HOT_ACCOUNT_KINDS: ReadonlySet<AccountKind> = new Set<AccountKind>(['settlement', 'fx-position', 'fx-fee-income']);

/** What `knownAccounts` reads from reference data (the embedded reference data has it all). */
export interface HotAccountReference {
  /** Customer accounts (the ones cards belong to). */
  readonly accounts: readonly { accountId: string; currency: string }[];
  /** The bank's merchant settlement accounts. */
  readonly settlementAccounts: readonly { accountId: string; currency: string }[];
  readonly merchants: readonly { settlementAccountId: string; currency: string }[];
  readonly fxRates: readonly { from: string; to: string }[];
}

/** Account id → its kind, for every account the reference data implies. */
export type KnownAccounts = ReadonlyMap<string, AccountKind>;

/**
 * Every account posting can name from this reference data. FX legs are in the customer's account
 * currency and the transaction (merchant) currency; a network-supplied billing amount converts
 * without a reference rate, so every currency in use implies its FX position account, and every
 * customer account currency (the currency a fee is charged in) its fee income account.
 */
export function knownAccounts(reference: HotAccountReference): KnownAccounts {
  const known = new Map<string, AccountKind>();
  for (const account of reference.accounts) known.set(account.accountId, 'customer');
  for (const account of reference.settlementAccounts) known.set(account.accountId, 'settlement');
  const currencies = new Set<string>();
  for (const account of [...reference.accounts, ...reference.settlementAccounts]) currencies.add(account.currency);
  for (const merchant of reference.merchants) currencies.add(merchant.currency);
  for (const rate of reference.fxRates) {
    currencies.add(rate.from);
    currencies.add(rate.to);
  }
  for (const currency of currencies) known.set(fxPositionAccount(currency), 'fx-position');
  for (const account of reference.accounts) known.set(fxFeeIncomeAccount(account.currency), 'fx-fee-income');
  return known;
}

const KIND_NAMES: Readonly<Record<AccountKind, string>> = {
  customer: 'a customer account',
  settlement: 'a settlement account',
  'fx-position': 'an FX position account',
  'fx-fee-income': 'an FX fee income account',
};

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The known account an unknown id most likely meant (same letters ignoring case, spaces and punctuation). */
function suggestion(accountId: string, known: KnownAccounts): string | undefined {
  const fold = (id: string) => id.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const wanted = fold(accountId);
  if (wanted.length === 0) return undefined;
  for (const candidate of known.keys()) if (fold(candidate) === wanted) return candidate;
  return undefined;
}

/**
 * The faults of a hot-account map, one readable line each (empty when it is valid): not an
 * object; an empty or padded account id; an account the reference data lacks; an account of a
 * kind that is not sharded (customer accounts); a shard count that is not an integer 1..256.
 */
export function hotAccountFaults(config: unknown, known: KnownAccounts): string[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return [`hot-account shards must be an object { "<accountId>": <shards> }, got ${shown(config)}`];
  }
  const faults: string[] = [];
  for (const accountId of Object.keys(config)) {
    const shards = (config as Record<string, unknown>)[accountId];
    const label = `hot account ${shown(accountId)}`;
    if (accountId.trim().length === 0) faults.push(`${label}: the account id is empty`);
    else if (accountId !== accountId.trim()) faults.push(`${label}: the account id has leading or trailing spaces`);
    else {
      const kind = known.get(accountId);
      if (kind === undefined) {
        const meant = suggestion(accountId, known);
        faults.push(`${label}: no such account in the reference data${meant ? ` (did you mean ${shown(meant)}?)` : ''}`);
      } else if (!HOT_ACCOUNT_KINDS.has(kind)) {
        faults.push(`${label}: is ${KIND_NAMES[kind]}; only settlement, FX position and FX fee income accounts are sharded (HOT-1)`);
      }
    }
    if (typeof shards !== 'number' || !Number.isInteger(shards) || shards < 1 || shards > MAX_HOT_ACCOUNT_SHARDS) {
      faults.push(`${label}: shard count ${shown(shards)} is not an integer from 1 to ${MAX_HOT_ACCOUNT_SHARDS}`);
    }
  }
  return faults;
}

export class HotAccountConfigError extends Error {
  override name = 'HotAccountConfigError';
  constructor(
    readonly faults: readonly string[],
    where: string,
  ) {
    super(`${where}: ${faults.length} hot-account fault${faults.length === 1 ? '' : 's'}:\n  ${faults.join('\n  ')}`);
  }
}

/** Refuses (HOT-1) a hot-account map with any fault, listing every fault. */
export function assertHotAccounts(config: unknown, known: KnownAccounts, where = 'hot-account shards'): void {
  const faults = hotAccountFaults(config, known);
  if (faults.length > 0) throw new HotAccountConfigError(faults, where);
}

/** The shard count of `accountId` (1 = not hot). */
export function shardCount(hotAccountShards: Readonly<Record<string, number>> | undefined, accountId: string): number {
  const configured = hotAccountShards && Object.prototype.hasOwnProperty.call(hotAccountShards, accountId) ? hotAccountShards[accountId] : undefined;
  return configured !== undefined && Number.isInteger(configured) && configured > 1 ? Math.min(configured, MAX_HOT_ACCOUNT_SHARDS) : 1;
}

/**
 * The shard of a hot account's `offset`-th chunk in one ledger call: hash(anchor) mod shards,
 * then consecutive shards. The anchor is the call's smallest sequence id touching the account, so
 * concurrent calls start on different shards and a re-delivered batch picks the same ones.
 */
export function hotShard(anchor: string, shards: number, offset = 0): number {
  if (shards <= 1) return 0;
  return (fnv1a32(anchor) + offset) % shards;
}

export interface ShardSizing {
  /** Sustained posted payments per second. */
  paymentsPerSecond: number;
  /** Multiplier on the sustained rate (3 = 3× headroom). */
  headroom: number;
  /** Share (0..1) of payments with a leg on the account. */
  share: number;
  /** The slowest serial conditional update of one item, in milliseconds. */
  updateMs: number;
}

/**
 * Shards one account needs: one DynamoDB item takes serial conditional updates only, so a shard
 * serves 1000 / updateMs updates a second. Sized as if every payment were its own update (a batch
 * of one: a re-drive, a thin queue), so batching is margin, never a requirement.
 */
export function requiredShards(sizing: ShardSizing): number {
  const updatesPerSecond = sizing.paymentsPerSecond * sizing.headroom * sizing.share;
  return Math.max(1, Math.ceil((updatesPerSecond * sizing.updateMs) / 1000));
}
