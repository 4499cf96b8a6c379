/**
 * In-process recording of AWS SDK v3 calls (jest): every SDK v3 client extends the one smithy
 * `Client` class (`@smithy/core/client` in this SDK generation; `@smithy/smithy-client` in older
 * ones), so wrapping its `send` sees every command any client sends. Each command becomes an
 * ApiRequest (service = the client's signing name, operation = the command's class name without
 * `Command`, input = the command's input) handed to the sink; a responder may answer it with a
 * canned output instead of the network (services without a local stand-in). `dispose()` restores
 * the original `send`.
 *
 * Under `jest.isolateModules` a handler gets its own copy of the SDK: install the recorder from
 * inside the same isolated registry (require this module there) so it patches that copy.
 */
import type { ApiRequest } from './contract';

interface SmithyClient {
  config?: { defaultSigningName?: string; serviceId?: string };
}

type Send = (this: SmithyClient, command: { input?: unknown; constructor: { name: string } }, ...rest: unknown[]) => unknown;

interface ClientModule {
  Client: { prototype: { send: Send } };
}

export interface SdkRecorderOptions {
  /** Receives every request, in the order the code sends them. */
  sink(request: ApiRequest): void;
  /** A canned output for a request (resolved without a network call), or undefined to send it. A throw rejects the send. */
  respond?(request: ApiRequest): unknown;
  /** The smithy client module to patch (default: the one this module resolves). */
  clientModule?: ClientModule;
}

export interface SdkRecorder {
  readonly requests: readonly ApiRequest[];
  dispose(): void;
}

const SERVICE_IDS: Readonly<Record<string, string>> = {
  DynamoDB: 'dynamodb',
  S3: 's3',
  EventBridge: 'events',
  SFN: 'states',
  'Secrets Manager': 'secretsmanager',
  SSM: 'ssm',
  SQS: 'sqs',
  SNS: 'sns',
  'Redshift Data': 'redshift-data',
  Glue: 'glue',
  Lambda: 'lambda',
  KMS: 'kms',
};

function loadClientModule(): ClientModule {
  for (const name of ['@smithy/core/client', '@smithy/smithy-client']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const candidate = require(name) as Partial<ClientModule>;
      if (candidate.Client?.prototype?.send) return candidate as ClientModule;
    } catch {
      // try the next generation's module
    }
  }
  throw new Error('no smithy Client class found (@smithy/core/client or @smithy/smithy-client)');
}

/** The signing name of a client: its config's default signing name, else its service id mapped. */
export function serviceOf(client: SmithyClient, commandName: string): string {
  const signing = client.config?.defaultSigningName;
  if (signing) return signing;
  const id = client.config?.serviceId;
  if (id && SERVICE_IDS[id]) return SERVICE_IDS[id];
  throw new Error(`cannot tell the service of ${commandName} (client serviceId ${id ?? 'unknown'})`);
}

export function recordSdkCalls(options: SdkRecorderOptions): SdkRecorder {
  const module = options.clientModule ?? loadClientModule();
  const prototype = module.Client.prototype;
  const original = prototype.send;
  const requests: ApiRequest[] = [];
  prototype.send = function recordedSend(this: SmithyClient, command, ...rest) {
    const commandName = command.constructor.name;
    const request: ApiRequest = {
      service: serviceOf(this, commandName),
      operation: commandName.replace(/Command$/, ''),
      input: { ...((command.input as Record<string, unknown> | undefined) ?? {}) },
    };
    requests.push(request);
    options.sink(request);
    const callback = rest.find((arg) => typeof arg === 'function') as ((error: unknown, output?: unknown) => void) | undefined;
    let canned: unknown;
    try {
      canned = options.respond?.(request);
    } catch (error) {
      if (callback) return callback(error);
      return Promise.reject(error);
    }
    if (canned === undefined) return original.call(this, command, ...rest);
    if (callback) return callback(null, canned);
    return Promise.resolve(canned);
  };
  return {
    requests,
    dispose: () => {
      prototype.send = original;
    },
  };
}
