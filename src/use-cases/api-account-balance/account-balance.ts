/**
 * API-1: GET /v1/accounts/{accountId}/balance. A hot account's balance is several shards (HOT-1)
 * and a partitioned state's account several partitions' rows (PART-1): the port hands every row it
 * holds for the account and the balance is their exact sum per currency (minor units, bigint).
 */
import { fromMinorUnits, toMinorUnits } from '../../domain/money';
import type { BalanceView } from '../../ports';
import type { ApiAnswer } from '../../api/answer';

export interface AccountBalanceRows {
  /** Every balance row (shard, partition) held for the account; [] when it has none. */
  rowsOf(accountId: string): Promise<BalanceView[]>;
}

export function sumBalances(rows: readonly BalanceView[]): { value: string; currency: string; updates: number }[] {
  const totals = new Map<string, { minor: bigint; updates: number }>();
  for (const row of rows) {
    const total = totals.get(row.currency) ?? { minor: 0n, updates: 0 };
    total.minor += toMinorUnits(row.balance, row.currency);
    total.updates += row.version;
    totals.set(row.currency, total);
  }
  return [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, total]) => ({ value: fromMinorUnits(total.minor, currency), currency, updates: total.updates }));
}

export function createAccountBalance(balances: AccountBalanceRows): (accountId: string) => Promise<ApiAnswer> {
  return async (accountId) => {
    const rows = (await balances.rowsOf(accountId)).filter((row) => row.accountId === accountId);
    if (rows.length === 0) return { kind: 'not-found', detail: `account ${accountId} has no balance in the ledger` };
    return { kind: 'ok', status: 200, body: { accountId, balances: sumBalances(rows) } };
  };
}
