/**
 * MODE-1: the source configuration is validated (every class of bad input is refused with the
 * document, the field and the fault named), resolved per environment, and read by the routes and
 * the stacks: change the configuration, synthesize, and the Terraform JSON carries the change.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import shipped from '../../config/sources.json';
import { resolveSources, sourceConfig, sourceNamed, SourceConfigError, streamSource, type SourcesDocument } from '../../src/modes/source-config';
import { routesFor, TOPOLOGIES } from '../../src/routes';
import { withPlainStacks } from '../support/plain-stacks';

const clone = (): SourcesDocument => JSON.parse(JSON.stringify(shipped)) as SourcesDocument;

describe('MODE-1: the source configuration', () => {
  test('the shipped configuration is valid and names one source per mode', () => {
    const config = sourceConfig();
    expect(new Set(config.sources.map((source) => source.mode))).toEqual(new Set(['batch', 'near-real-time', 'real-time']));
    expect(streamSource().mode).toBe('near-real-time');
  });

  test('every route of every topology takes its queue settings from the configuration, never a constant', () => {
    const queue = sourceConfig().queues['hot-path'];
    for (const topology of TOPOLOGIES) {
      for (const route of routesFor(topology)) {
        expect(route.queue).toEqual({ batchSize: queue.batchSize, maxBatchingWindowSeconds: queue.batchingWindowSeconds, maxReceiveCount: queue.maxReceiveCount });
      }
    }
  });

  test('an environment override changes only what it names, for that environment only', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10000 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 10000 }), (streamBatch, window, queueBatch) => {
        const document = clone();
        document.environments = { prod: { sources: { 'card-stream': { batchSize: streamBatch } }, queues: { 'hot-path': { batchSize: queueBatch, batchingWindowSeconds: window } } } };
        const prod = resolveSources(document, 'prod');
        const dev = resolveSources(document, 'dev');
        const base = resolveSources(document, undefined);
        expect(prod.sources.find((s) => s.name === 'card-stream')).toMatchObject({
          batchSize: streamBatch,
          batchingWindowSeconds: document.sources['card-stream']!.batchingWindowSeconds,
          mode: 'near-real-time',
        });
        expect(prod.queues['hot-path']).toEqual({ batchSize: queueBatch, batchingWindowSeconds: window, maxReceiveCount: document.queues['hot-path'].maxReceiveCount });
        expect(dev.sources).toEqual(base.sources);
        expect(dev.queues).toEqual(base.queues);
      }),
      { numRuns: 50 },
    );
  });

  const bad: [string, (doc: SourcesDocument & Record<string, unknown>) => void, RegExp][] = [
    ['not an object', (doc) => Object.assign(doc, { sources: 'x' }), /\/sources must be object/],
    ['an unknown top-level field', (doc) => Object.assign(doc, { extra: 1 }), /must NOT have additional properties \(extra\)/],
    ['no sources', (doc) => Object.assign(doc, { sources: {} }), /\/sources must NOT have fewer than 1 properties/],
    ['an unknown mode', (doc) => Object.assign(doc.sources['card-files']!, { mode: 'hourly' }), /\/sources\/card-files\/mode must be equal to one of the allowed values/],
    ['a zero batch size', (doc) => Object.assign(doc.sources['card-files']!, { batchSize: 0 }), /\/sources\/card-files\/batchSize must be >= 1/],
    ['a fractional batch size', (doc) => Object.assign(doc.sources['card-files']!, { batchSize: 2.5 }), /\/sources\/card-files\/batchSize must be integer/],
    ['a string window', (doc) => Object.assign(doc.sources['card-stream']!, { batchingWindowSeconds: '1' }), /batchingWindowSeconds must be integer/],
    ['a window beyond 300 s', (doc) => Object.assign(doc.sources['card-stream']!, { batchingWindowSeconds: 301 }), /batchingWindowSeconds must be <= 300/],
    ['a missing batch size', (doc) => delete (doc.sources['card-files'] as Partial<SourcesDocument['sources'][string]>).batchSize, /must have required property 'batchSize'/],
    ['a bad source name', (doc) => Object.assign(doc.sources, { 'Card Files': doc.sources['card-files'] }), /property name must be valid/],
    ['a real-time source with a batch', (doc) => Object.assign(doc.sources['payments-api']!, { batchSize: 5 }), /payments-api: a real-time source answers one authorisation at a time/],
    ['two near-real-time sources', (doc) => Object.assign(doc.sources['card-files']!, { mode: 'near-real-time' }), /exactly one near-real-time source .* found 2 \(card-stream, card-files\)/],
    ['no near-real-time source', (doc) => Object.assign(doc.sources['card-stream']!, { mode: 'batch' }), /found 0 \(none\)/],
    [
      'an SQS batch over 10 with no window',
      (doc) => Object.assign(doc.queues['hot-path'], { batchSize: 11, batchingWindowSeconds: 0 }),
      /\/queues\/hot-path: batchSize 11 > 10 needs batchingWindowSeconds >= 1/,
    ],
    ['no maxReceiveCount', (doc) => delete (doc.queues['hot-path'] as Partial<SourcesDocument['queues']['hot-path']>).maxReceiveCount, /must have required property 'maxReceiveCount'/],
    ['an unknown environment', (doc) => Object.assign(doc, { environments: { qa: {} } }), /property name must be valid/],
    [
      'an override of an unknown source',
      (doc) => Object.assign(doc, { environments: { prod: { sources: { 'card-ftp': { batchSize: 5 } } } } }),
      /\/environments\/prod\/sources\/card-ftp overrides a source that is not configured/,
    ],
    ['an override of a mode', (doc) => Object.assign(doc, { environments: { prod: { sources: { 'card-files': { mode: 'real-time' } } } } }), /must NOT have additional properties \(mode\)/],
    ['an empty override', (doc) => Object.assign(doc, { environments: { prod: { sources: { 'card-files': {} } } } }), /must NOT have fewer than 1 properties/],
  ];
  test.each(bad)('refuses %s, naming the document and the fault', (_name, mutate, message) => {
    const document = clone() as SourcesDocument & Record<string, unknown>;
    mutate(document);
    expect(() => resolveSources(document, 'prod', 'sources-under-test.json')).toThrow(SourceConfigError);
    expect(() => resolveSources(document, 'prod', 'sources-under-test.json')).toThrow(/^sources-under-test\.json: /);
    expect(() => resolveSources(document, 'prod', 'sources-under-test.json')).toThrow(message);
  });

  test('an override that breaks a limit is refused for its environment, naming the override', () => {
    const document = clone();
    document.environments = { staging: { queues: { 'hot-path': { batchingWindowSeconds: 0 } } } };
    expect(() => resolveSources(document, 'dev')).not.toThrow();
    expect(() => resolveSources(document, 'staging')).toThrow(/\/queues\/hot-path \(with staging's override\): batchSize 100 > 10 needs batchingWindowSeconds >= 1/);
  });

  test('an unknown source name is refused, listing the configured ones', () => {
    expect(() => sourceNamed('card-ftp')).toThrow(
      /source "card-ftp" is not configured in config\/sources.json \(configured: card-stream \(near-real-time\), card-files \(batch\), payments-api \(real-time\)\)/,
    );
  });
});

describe('MODE-1: synth reflects the source configuration', () => {
  let outdir: string;
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test('changed batch sizes and windows (and a prod override) reach the SQS event-source mappings and the Pipe', () => {
    const document = clone();
    document.sources['card-stream'] = { ...document.sources['card-stream']!, batchSize: 37, batchingWindowSeconds: 4 };
    document.queues['hot-path'] = { batchSize: 250, batchingWindowSeconds: 3, maxReceiveCount: 7 };
    document.environments = { prod: { sources: { 'card-stream': { batchSize: 64 } }, queues: { 'hot-path': { batchSize: 500 } } } };
    outdir = mkdtempSync(join(tmpdir(), 'ledgerline-modes-synth-'));
    jest.isolateModules(() => {
      jest.doMock('../../config/sources.json', () => document);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { synthesizeLedgerline } = require('../../stacks/ledgerline') as typeof import('../../stacks/ledgerline');
      withPlainStacks(() => synthesizeLedgerline({ assetMode: 'placeholder', outdir }));
    });
    const stacks = readdirSync(join(outdir, 'stacks'));
    const resources = (suffix: string, type: string): Record<string, Record<string, unknown>> => {
      const stack = stacks.find((name) => name.endsWith(suffix));
      if (!stack) throw new Error(`no stack ending ${suffix} in ${stacks.join(', ')}`);
      const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as { resource?: Record<string, Record<string, Record<string, unknown>>> };
      return json.resource?.[type] ?? {};
    };
    const expected = {
      dev: { stream: 37, window: 4, queue: 250 },
      staging: { stream: 37, window: 4, queue: 250 },
      prod: { stream: 64, window: 4, queue: 500 },
    };
    for (const [env, want] of Object.entries(expected)) {
      const appStack = `${env}-app`;
      const mappings = Object.values(resources(appStack, 'aws_lambda_event_source_mapping')).filter((mapping) => String(mapping.event_source_arn).includes(':sqs:'));
      expect(mappings.length).toBeGreaterThan(0);
      for (const mapping of mappings) {
        expect({ env, batch: mapping.batch_size, window: mapping.maximum_batching_window_in_seconds }).toEqual({ env, batch: want.queue, window: 3 });
      }
      const pipes = Object.values(resources(appStack, 'aws_pipes_pipe'));
      expect(pipes).toHaveLength(1);
      const stream = (pipes[0]!.source_parameters as { dynamodb_stream_parameters: Record<string, unknown> }).dynamodb_stream_parameters;
      expect({ env, batch: stream.batch_size, window: stream.maximum_batching_window_in_seconds }).toEqual({ env, batch: want.stream, window: want.window });
    }
  });
});
