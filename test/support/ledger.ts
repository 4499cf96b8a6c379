import { EmbeddedRuntime } from '../../src/runtime/embedded-runtime';
import { partitionDirs } from '../../src/runtime/state-layout';
import { toMinorUnits } from '../../src/domain/money';

/** The balances of a state, summed over partitions and shards, as `ledger` reports them: "account currency minor-units", sorted. */
export async function summedBalances(stateDir: string): Promise<string[]> {
  const sums = new Map<string, bigint>();
  for (const dir of partitionDirs(stateDir)) {
    const partition = new EmbeddedRuntime({ stateDir: dir });
    try {
      for (const b of await partition.ledger.balances()) sums.set(`${b.accountId} ${b.currency}`, (sums.get(`${b.accountId} ${b.currency}`) ?? 0n) + toMinorUnits(b.balance, b.currency));
    } finally {
      partition.close();
    }
  }
  return [...sums].map(([key, minor]) => `${key} ${minor}`).sort();
}
