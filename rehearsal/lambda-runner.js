'use strict';
/**
 * One Lambda execution environment of the rehearsal: loads a function's deployed bundle (its
 * handler, e.g. `index.handler`, from the unpacked zip in the working directory) once, like a
 * cold start, then runs one invocation at a time as the parent asks over IPC, with a Lambda
 * context whose remaining time counts down from the synthesized timeout.
 *
 * Plain JavaScript on purpose: the bundle runs on node alone, as on Lambda (no tsx, no repo
 * node_modules on the resolution path: the working directory is outside the repository).
 */
const path = require('node:path');

const [handlerSpec] = process.argv.slice(2);

// The rehearsal's network emulation (rehearsal/lambda-host.ts `runtime`): TCP connections to a
// synthesized endpoint go to its local stand-in; the TLS server name stays the endpoint's.
const redirects = new Map(
  String(process.env.REHEARSAL_CONNECT || '')
    .split(',')
    .filter(Boolean)
    .map((entry) => entry.split('=')),
);
delete process.env.REHEARSAL_CONNECT;
if (redirects.size > 0) {
  const net = require('node:net');
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function redirected(...args) {
    const options =
      args[0] !== null && typeof args[0] === 'object'
        ? args[0]
        : typeof args[0] === 'number' || typeof args[0] === 'string'
          ? { port: args[0], host: typeof args[1] === 'string' ? args[1] : 'localhost' }
          : undefined;
    const target = options && options.path === undefined ? redirects.get(`${options.host}:${options.port}`) : undefined;
    if (!target) return connect.apply(this, args);
    const at = target.lastIndexOf(':');
    const rest = args.slice(args[0] !== null && typeof args[0] === 'object' ? 1 : typeof args[1] === 'string' ? 2 : 1);
    return connect.call(this, { ...(typeof args[0] === 'object' ? args[0] : {}), host: target.slice(0, at), port: Number(target.slice(at + 1)) }, ...rest);
  };
}
const taskRoot = process.cwd();
let handler;
let initError;

function describe(error) {
  if (error instanceof Error)
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      stack: String(error.stack || '')
        .split('\n')
        .slice(0, 8),
    };
  return { errorType: 'Error', errorMessage: String(error), stack: [] };
}

try {
  const dot = handlerSpec.lastIndexOf('.');
  const moduleName = handlerSpec.slice(0, dot);
  const exportName = handlerSpec.slice(dot + 1);
  const loaded = require(path.join(taskRoot, moduleName));
  handler = loaded[exportName];
  if (typeof handler !== 'function') throw new Error(`${handlerSpec} is not a function in ${moduleName}.js`);
} catch (error) {
  initError = describe(error);
  initError.errorType = `Runtime.InitError: ${initError.errorType}`;
}

process.send({ type: 'ready', initError });

process.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  if (initError) {
    process.send({ type: 'result', id: message.id, error: initError });
    return;
  }
  const deadline = message.deadlineMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await handler(message.event, context);
    process.send({ type: 'result', id: message.id, result: result === undefined ? null : result });
  } catch (error) {
    process.send({ type: 'result', id: message.id, error: describe(error) });
  }
});
process.on('disconnect', () => process.exit(0));
