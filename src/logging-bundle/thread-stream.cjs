'use strict';
/**
 * `thread-stream` in the Lambda bundles (aliased in infra/bundling.ts): pino needs it only for
 * transports (`pino.transport()`, a worker thread per destination), which the bridge never uses:
 * every function writes its JSON lines to stdout, where Lambda sends them to CloudWatch (and in an
 * ESM bundle `pino.transport()` fails before it gets here anyway: it needs `__dirname`). pino
 * requires it when it loads, so without this stand-in its 10 KiB are compiled on every cold start.
 * CommonJS because pino requires it and calls the export itself as a constructor.
 */
module.exports = class ThreadStream {
  constructor() {
    throw new Error('pino transports are not part of the Lambda bundles (log to stdout): src/logging-bundle/thread-stream.cjs');
  }
};
