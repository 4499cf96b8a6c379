'use strict';
/**
 * The rehearsal's DynamoDB stand-in process: dynalite (in memory) on a free local port, reported
 * to the parent over IPC. Started by rehearsal/dynamo.ts.
 */
const dynalite = require('dynalite');

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
// Never close an idle keep-alive connection: the gateway reuses them (a close racing a reuse is a "socket hang up").
server.keepAliveTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  process.send({ port: server.address().port });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
