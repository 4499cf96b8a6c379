/**
 * What the deployed notifier looks up (NOTIFY-2, HOOK-1):
 * - DynamoPaymentFacts: an authorisation by id from the authorisations table (FR1 intake; the
 *   record's field names are its contract; card token only, PCI-3), else from the flow journal's
 *   `FLOW#PAYMENT#<authorizationId>` item in the rules-state table, where the real-time and batch
 *   modes (MODE-4, MODE-2), which never write the authorisations table, keep each approved one
 *   (src/adapters/aws/flow-facts.ts recordIngested; keys in tables.ts FLOW_KEYS).
 * - DynamoRecipientDirectory: contacts in the notifications table: `CONTACT#token:<panToken>` or
 *   `CONTACT#account:<accountId>` / `CONTACT` for customers, `CONTACTS` / `OPERATIONS#<id>` for
 *   the operations recipients (each item's `body` the CustomerContact JSON).
 * - SecretsManagerSigningKeyStore: each webhook signing secret is one Secrets Manager secret named
 *   `<prefix><keyId>` (SecretString = the secret), cached for the invocation's lifetime.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Authorisation } from '../../domain/events';
import type { CustomerRef } from '../../notify/mapping';
import type { SigningKey } from '../../notify/signing';
import type { CustomerContact, PaymentFacts, RecipientDirectory, SigningKeyStore } from '../../ports/notify';
import { awsCall, errorName } from './errors';
import { FLOW_KEYS } from './tables';

export class DynamoPaymentFacts implements PaymentFacts {
  constructor(private readonly options: { client: DynamoDBClient; authorisationsTable: string; rulesStateTable: string }) {}

  async authorisation(authorizationId: string): Promise<Authorisation | undefined> {
    const response = await awsCall(`DynamoDB GetItem (authorisation ${authorizationId})`, () =>
      this.options.client.send(new GetItemCommand({ TableName: this.options.authorisationsTable, Key: { authorizationId: { S: authorizationId } }, ConsistentRead: true })),
    );
    if (response.Item) return unmarshall(response.Item) as Authorisation;
    return this.journaled(authorizationId);
  }

  /** The real-time and batch modes' approved authorisation, kept by the flow journal under its id. */
  private async journaled(authorizationId: string): Promise<Authorisation | undefined> {
    const { rulesStateTable } = this.options;
    const response = await awsCall(`DynamoDB GetItem (journaled payment ${authorizationId})`, () =>
      this.options.client.send(new GetItemCommand({ TableName: rulesStateTable, Key: { pk: { S: FLOW_KEYS.payment(authorizationId) }, sk: { S: FLOW_KEYS.paymentSort } }, ConsistentRead: true })),
    );
    if (!response.Item) return undefined;
    const text = response.Item[FLOW_KEYS.paymentAttribute]?.S;
    const where = `${rulesStateTable} item ${FLOW_KEYS.payment(authorizationId)}/${FLOW_KEYS.paymentSort}`;
    if (!text) throw new Error(`payment facts: ${where} has no string attribute "${FLOW_KEYS.paymentAttribute}" (the authorisation)`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`payment facts: ${where}: attribute "${FLOW_KEYS.paymentAttribute}" is not JSON`, { cause: error });
    }
    const found = (parsed as { authorizationId?: unknown } | null)?.authorizationId;
    if (found !== authorizationId) throw new Error(`payment facts: ${where} holds authorisation ${JSON.stringify(found)}, not ${authorizationId}`);
    return parsed as Authorisation;
  }
}

export const CONTACT_KEYS = Object.freeze({
  byToken: (panToken: string) => `CONTACT#token:${panToken}`,
  byAccount: (accountId: string) => `CONTACT#account:${accountId}`,
  contact: 'CONTACT',
  operations: 'CONTACTS',
  operationsPrefix: 'OPERATIONS#',
});

export class DynamoRecipientDirectory implements RecipientDirectory {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  private async contactAt(pk: string): Promise<CustomerContact | undefined> {
    const response = await awsCall('DynamoDB GetItem (contact)', () =>
      this.options.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: pk }, sk: { S: CONTACT_KEYS.contact } } })),
    );
    return response.Item?.body?.S ? (JSON.parse(response.Item.body.S) as CustomerContact) : undefined;
  }

  async customer(ref: CustomerRef): Promise<CustomerContact | undefined> {
    return (ref.panToken ? await this.contactAt(CONTACT_KEYS.byToken(ref.panToken)) : undefined) ?? (ref.accountId ? await this.contactAt(CONTACT_KEYS.byAccount(ref.accountId)) : undefined);
  }

  async operations(): Promise<readonly CustomerContact[]> {
    const response = await awsCall('DynamoDB Query (operations contacts)', () =>
      this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': { S: CONTACT_KEYS.operations }, ':prefix': { S: CONTACT_KEYS.operationsPrefix } },
        }),
      ),
    );
    return (response.Items ?? []).map((item) => JSON.parse(item.body!.S!) as CustomerContact);
  }

  /** Stores a customer's contact under each of its card tokens and accounts. */
  async putCustomer(contact: CustomerContact, refs: { panTokens?: readonly string[]; accountIds?: readonly string[] }): Promise<void> {
    const keys = [...(refs.panTokens ?? []).map(CONTACT_KEYS.byToken), ...(refs.accountIds ?? []).map(CONTACT_KEYS.byAccount)];
    for (const pk of keys) {
      await awsCall('DynamoDB PutItem (contact)', () =>
        this.options.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: { pk: { S: pk }, sk: { S: CONTACT_KEYS.contact }, body: { S: JSON.stringify(contact) } } })),
      );
    }
  }

  async putOperations(contact: CustomerContact): Promise<void> {
    await awsCall('DynamoDB PutItem (operations contact)', () =>
      this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: { pk: { S: CONTACT_KEYS.operations }, sk: { S: `${CONTACT_KEYS.operationsPrefix}${contact.recipientId}` }, body: { S: JSON.stringify(contact) } },
        }),
      ),
    );
  }
}

export class SecretsManagerSigningKeyStore implements SigningKeyStore {
  private readonly client: SecretsManagerClient;
  private readonly cache = new Map<string, string>();

  constructor(private readonly options: { client?: SecretsManagerClient; prefix: string }) {
    this.client = options.client ?? new SecretsManagerClient({});
  }

  private name(keyId: string): string {
    return `${this.options.prefix}${keyId}`;
  }

  async keys(keyIds: readonly string[]): Promise<SigningKey[]> {
    const keys: SigningKey[] = [];
    for (const keyId of keyIds) {
      let secret = this.cache.get(keyId);
      if (secret === undefined) {
        try {
          const response = await awsCall('Secrets Manager GetSecretValue', () => this.client.send(new GetSecretValueCommand({ SecretId: this.name(keyId) })));
          secret = response.SecretString;
        } catch (error) {
          if (errorName(error) === 'ResourceNotFoundException') throw new Error(`signing key ${keyId} is not known (no secret ${this.name(keyId)})`, { cause: error });
          throw error;
        }
        if (!secret) throw new Error(`signing key ${keyId}: secret ${this.name(keyId)} has no string value`);
        this.cache.set(keyId, secret);
      }
      keys.push({ keyId, secret });
    }
    return keys;
  }

  async put(key: SigningKey): Promise<void> {
    try {
      await awsCall('Secrets Manager PutSecretValue', () => this.client.send(new PutSecretValueCommand({ SecretId: this.name(key.keyId), SecretString: key.secret })));
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
      await awsCall('Secrets Manager CreateSecret', () => this.client.send(new CreateSecretCommand({ Name: this.name(key.keyId), SecretString: key.secret })));
    }
    this.cache.set(key.keyId, key.secret);
  }
}
