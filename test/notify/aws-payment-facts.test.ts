/**
 * The deployed notifier's payment facts (NOTIFY-2; MODE-2, MODE-4) on dynalite: an authorisation
 * by id from the authorisations table (the near-real-time intake), else from the flow journal's
 * `FLOW#PAYMENT#<id>` item that the real-time and batch modes write beside their ingestion
 * (src/adapters/aws/flow-facts.ts DynamoFlowJournal.recordIngested), else nothing. Generated
 * authorisations of several seeds, each placed in one of the stores (or none), are read back
 * exactly; the journal's item keeps the first ingestion, carries the ingestion's TTL and no card
 * number (PCI-3); a broken journal item or an unreachable table is an error naming the item.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Authorisation } from '../../src/domain/events';
import { isApproved } from '../../src/domain/ingest';
import { containsPan } from '../../src/domain/pan';
import { DynamoFlowJournal } from '../../src/adapters/aws/flow-facts';
import { DynamoPaymentFacts } from '../../src/adapters/aws/notify-directory';
import { FLOW_KEYS } from '../../src/adapters/aws/tables';
import { authorisationLines } from '../../src/generator/authorisations';
import { referenceData } from '../support/runtime';
import { closedPortClient, startDynalite, type Dynalite } from '../adapters/aws/support/dynalite';

let db: Dynalite;
let facts: DynamoPaymentFacts;
let journal: DynamoFlowJournal;

beforeAll(async () => {
  db = await startDynalite();
  facts = new DynamoPaymentFacts({ client: db.client, authorisationsTable: db.tableNames.authorisations, rulesStateTable: db.tableNames.rulesState });
  journal = new DynamoFlowJournal({ client: db.client, transactionsTable: db.tableNames.transactions, rulesStateTable: db.tableNames.rulesState });
}, 60_000);

afterAll(async () => {
  await db?.stop();
});

function generated(seed: number, count: number): Authorisation[] {
  return [...authorisationLines({ count, seed, duplicateRate: 0, referenceData: referenceData() })].map((line) => JSON.parse(line) as Authorisation);
}

/** A declined twin of an authorisation (another id, the issuer's refusal). */
function declined(authorisation: Authorisation, suffix: string): Authorisation {
  return { ...authorisation, authorizationId: `${authorisation.authorizationId}-${suffix}`, responseCode: '05' };
}

async function putIntake(authorisation: Authorisation): Promise<void> {
  await db.client.send(new PutItemCommand({ TableName: db.tableNames.authorisations, Item: marshall(authorisation, { removeUndefinedValues: true }) }));
}

async function journalItem(authorizationId: string) {
  return (
    await db.client.send(new GetItemCommand({ TableName: db.tableNames.rulesState, Key: { pk: { S: FLOW_KEYS.payment(authorizationId) }, sk: { S: FLOW_KEYS.paymentSort } }, ConsistentRead: true }))
  ).Item;
}

describe('DynamoPaymentFacts: the intake table, then the flow journal (NOTIFY-2, MODE-2, MODE-4)', () => {
  it.each([11, 29, 4242])('finds every generated authorisation where its mode put it, and nothing for one no mode ingested (seed %i)', async (seed) => {
    const pool = generated(seed, 24);
    expect(pool.filter(isApproved).length).toBeGreaterThan(4);
    // Each authorisation goes to one place by its position: intake table, journal (batch/real-time), nowhere.
    const placed = pool.map((authorisation, index) => ({
      authorisation: { ...authorisation, authorizationId: `${authorisation.authorizationId}-s${seed}` },
      where: (['intake', 'journal', 'nowhere'] as const)[index % 3]!,
    }));
    // The journal also sees issuer-declined payments: it keeps them for the audit, never as payment facts.
    const refused = placed.filter((entry) => entry.where === 'journal').map((entry) => declined(entry.authorisation, 'declined'));
    for (const { authorisation, where } of placed) {
      if (where === 'intake') await putIntake(authorisation);
      if (where === 'journal') await journal.recordIngested(authorisation, '2026-11-02T10:15:00.000Z');
    }
    for (const authorisation of refused) await journal.recordIngested(authorisation, '2026-11-02T10:16:00.000Z');

    for (const { authorisation, where } of placed) {
      const found = await facts.authorisation(authorisation.authorizationId);
      const expected = where === 'intake' || (where === 'journal' && isApproved(authorisation)) ? authorisation : undefined;
      expect({ id: authorisation.authorizationId, where, found }).toEqual({ id: authorisation.authorizationId, where, found: expected });
    }
    for (const authorisation of refused) expect(await facts.authorisation(authorisation.authorizationId)).toBeUndefined();
    expect(await facts.authorisation(`AUTH-NEVER-INGESTED-${seed}`)).toBeUndefined();
  });

  it('prefers the intake table when an id is in both (the near-real-time record is the original)', async () => {
    const [authorisation] = generated(77, 8).filter(isApproved);
    const id = `${authorisation!.authorizationId}-both`;
    const intake = { ...authorisation!, authorizationId: id };
    const journaled = { ...intake, merchant: { ...intake.merchant, name: 'JOURNALED COPY' } };
    await putIntake(intake);
    await journal.recordIngested(journaled, '2026-11-02T11:00:00.000Z');
    expect(await facts.authorisation(id)).toEqual(intake);
  });

  it('the journal keeps the first ingestion (a re-run file, a retried call) with the ingestion TTL, card token only', async () => {
    const approved = generated(5150, 12).filter(isApproved);
    expect(approved.length).toBeGreaterThan(2);
    for (const [index, original] of approved.entries()) {
      const authorisation = { ...original, authorizationId: `${original.authorizationId}-first` };
      const first = `2026-11-0${1 + (index % 7)}T0${index % 10}:30:00.000Z`;
      await journal.recordIngested(authorisation, first);
      await journal.recordIngested({ ...authorisation, merchant: { ...authorisation.merchant, name: 'SECOND SIGHT' } }, '2026-12-01T00:00:00.000Z');
      expect(await facts.authorisation(authorisation.authorizationId)).toEqual(authorisation);
      const item = (await journalItem(authorisation.authorizationId))!;
      expect(item.ingestedAt?.S).toBe(first);
      expect(Number(item.expiresAt?.N)).toBe(Math.floor(Date.parse(first) / 1000) + FLOW_KEYS.ingestedRetentionDays * 86_400);
      expect(containsPan(JSON.stringify(item))).toBe(false);
    }
  });

  it.each([
    ['without the authorisation', {}, /has no string attribute "authorisation"/],
    ['whose authorisation is not JSON', { [FLOW_KEYS.paymentAttribute]: { S: '{"authorizationId":' } }, /attribute "authorisation" is not JSON/],
    ['holding another authorisation', { [FLOW_KEYS.paymentAttribute]: { S: JSON.stringify({ authorizationId: 'AUTH-SOMEONE-ELSE' }) } }, /holds authorisation "AUTH-SOMEONE-ELSE", not AUTH-BROKEN-/],
    ['holding JSON null', { [FLOW_KEYS.paymentAttribute]: { S: 'null' } }, /holds authorisation undefined, not AUTH-BROKEN-/],
  ])('a journal item %s is an error naming the item, never a silent miss', async (name, attributes, message) => {
    const id = `AUTH-BROKEN-${name.replace(/\W+/g, '-')}`;
    await db.client.send(
      new PutItemCommand({ TableName: db.tableNames.rulesState, Item: { pk: { S: FLOW_KEYS.payment(id) }, sk: { S: FLOW_KEYS.paymentSort }, kind: { S: 'payment' }, ...attributes } }),
    );
    await expect(facts.authorisation(id)).rejects.toThrow(message);
    await expect(facts.authorisation(id)).rejects.toThrow(`${db.tableNames.rulesState} item ${FLOW_KEYS.payment(id)}/${FLOW_KEYS.paymentSort}`);
  });

  it('an unreachable table is an error naming the authorisation looked up', async () => {
    const broken = new DynamoPaymentFacts({ client: await closedPortClient(), authorisationsTable: 'a', rulesStateTable: 'r' });
    await expect(broken.authorisation('AUTH-UNREACHABLE')).rejects.toThrow(/AUTH-UNREACHABLE/);
  });
});
