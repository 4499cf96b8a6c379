/**
 * dynalite has no TransactWriteItems, so the ledger store is tested against aws-sdk-client-mock
 * with this in-memory table behind it. It implements the DynamoDB semantics the store relies
 * on: all-or-nothing transactions, per-item conditions reported as CancellationReasons (in
 * item order), ≤100 items and one operation per item per transaction, consistent GetItem, and
 * a paginated Scan of the sparse balances index.
 */
import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient, GetItemCommand, ScanCommand, TransactionCanceledException, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { TEST_AWS } from './dynalite';

type Item = Record<string, AttributeValue>;

export class FakeLedgerTable {
  readonly items = new Map<string, Item>();
  readonly client = new DynamoDBClient(TEST_AWS);
  readonly mock = mockClient(this.client);
  /** Runs before each TransactWriteItems is evaluated (to inject concurrent writers). */
  beforeTransact: (items: TransactWriteItem[], call: number) => void | Error = () => undefined;
  transactCalls = 0;

  constructor(private readonly scanPageSize = 2) {
    this.mock.on(GetItemCommand).callsFake((input: { Key: Item }) => {
      const item = this.items.get(input.Key.pk?.S ?? '');
      return { Item: item ? structuredClone(item) : undefined };
    });
    this.mock.on(TransactWriteItemsCommand).callsFake((input: { TransactItems: TransactWriteItem[] }) => this.transact(input.TransactItems));
    this.mock.on(ScanCommand).callsFake((input: { IndexName?: string; ExclusiveStartKey?: Item }) => {
      if (input.IndexName !== 'balances') throw new Error('the ledger store must scan the balances index');
      const balances = [...this.items.values()].filter((item) => item.balanceAccountId).sort((a, b) => (a.pk!.S! < b.pk!.S! ? -1 : 1));
      const start = input.ExclusiveStartKey ? balances.findIndex((item) => item.pk!.S === input.ExclusiveStartKey!.pk!.S) + 1 : 0;
      const page = balances.slice(start, start + this.scanPageSize);
      const more = start + this.scanPageSize < balances.length;
      return { Items: page.map((item) => structuredClone(item)), LastEvaluatedKey: more ? { pk: page[page.length - 1]!.pk! } : undefined };
    });
  }

  restore(): void {
    this.mock.restore();
  }

  /** Another writer applies `deltaMinor` to a balance shard (a version bump the store did not see). */
  bump(balanceKey: string, deltaMinor: bigint): void {
    const item = this.items.get(balanceKey);
    if (!item) throw new Error(`no balance ${balanceKey}`);
    item.balanceMinor = { N: (BigInt(item.balanceMinor!.N!) + deltaMinor).toString() };
    item.version = { N: String(Number(item.version!.N) + 1) };
  }

  legs(): Item[] {
    return [...this.items.values()].filter((item) => item.pk?.S?.startsWith('LEG#'));
  }

  private transact(transactItems: TransactWriteItem[]) {
    this.transactCalls += 1;
    const injected = this.beforeTransact(transactItems, this.transactCalls);
    if (injected) throw injected;
    if (transactItems.length > 100) throw Object.assign(new Error('Member must have length less than or equal to 100'), { name: 'ValidationException' });
    const keys = transactItems.map((entry) => (entry.Put ? entry.Put.Item!.pk!.S! : entry.Update!.Key!.pk!.S!));
    if (new Set(keys).size !== keys.length) {
      throw Object.assign(new Error('Transaction request cannot include multiple operations on one item'), { name: 'ValidationException' });
    }
    const reasons = transactItems.map((entry) => (this.conditionHolds(entry) ? { Code: 'None' } : { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }));
    if (reasons.some((reason) => reason.Code !== 'None')) {
      throw new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: { httpStatusCode: 400 }, CancellationReasons: reasons });
    }
    for (const entry of transactItems) this.apply(entry);
    return {};
  }

  private conditionHolds(entry: TransactWriteItem): boolean {
    if (entry.Put) {
      if (entry.Put.ConditionExpression !== 'attribute_not_exists(#pk)') throw new Error(`unexpected condition ${entry.Put.ConditionExpression}`);
      return !this.items.has(entry.Put.Item!.pk!.S!);
    }
    const update = entry.Update!;
    const existing = this.items.get(update.Key!.pk!.S!);
    if (update.ConditionExpression === 'attribute_not_exists(#pk)') return !existing;
    if (update.ConditionExpression === '#version = :expected') return existing?.version?.N === update.ExpressionAttributeValues![':expected']!.N;
    throw new Error(`unexpected condition ${update.ConditionExpression}`);
  }

  private apply(entry: TransactWriteItem): void {
    if (entry.Put) {
      this.items.set(entry.Put.Item!.pk!.S!, structuredClone(entry.Put.Item!));
      return;
    }
    const update = entry.Update!;
    if (!update.UpdateExpression?.startsWith('SET #balance = if_not_exists(#balance, :zero) + :delta, #version = if_not_exists(#version, :zero) + :one')) {
      throw new Error(`unexpected update ${update.UpdateExpression}`);
    }
    const values = update.ExpressionAttributeValues!;
    const key = update.Key!.pk!.S!;
    const existing = this.items.get(key);
    this.items.set(key, {
      pk: { S: key },
      balanceMinor: { N: (BigInt(existing?.balanceMinor?.N ?? '0') + BigInt(values[':delta']!.N!)).toString() },
      version: { N: String(Number(existing?.version?.N ?? '0') + 1) },
      accountId: values[':account']!,
      balanceAccountId: values[':account']!,
      shard: values[':shard']!,
      currency: values[':currency']!,
    });
  }
}
