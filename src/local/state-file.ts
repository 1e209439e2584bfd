/** What `npm start` writes to its state file (format and lookup: ops/local-state.ts). */
import { EMBEDDED_STRIPE_KEY } from './environment.js';
import { STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET } from './standins/salesforce-standin.js';
import type { LocalStack } from './stack.js';
import type { LocalStackState } from '../ops/local-state.js';

export { findRunningStacks, readStateFile, removeStateFile, stateFilePath, writeStateFile, type LocalStackState } from '../ops/local-state.js';

export function stateOf(stack: LocalStack, pid: number): LocalStackState {
  const queue = (q: { url: string; arn: string }) => ({ url: q.url, arn: q.arn });
  return {
    url: stack.url,
    port: stack.port,
    webhookSecret: stack.webhookSecret,
    pid,
    queues: {
      inbound: queue(stack.queues.inbound),
      inboundDlq: queue(stack.queues.inboundDlq),
      outboundDlq: queue(stack.queues.outboundDlq),
      rollups: queue(stack.queues.rollups),
      rollupsDlq: queue(stack.queues.rollupsDlq),
    },
    outboundFunctionName: stack.outboundFunctionName,
    ...(stack.stripe === undefined ? {} : { embeddedStripe: { apiUrl: stack.stripe.url, secretKey: EMBEDDED_STRIPE_KEY } }),
    ...(stack.salesforce === undefined
      ? {}
      : { embeddedSalesforce: { url: stack.salesforce.url, clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET } }),
    dynamo: { endpoint: stack.services.dynamo.url, table: stack.services.dynamo.table },
  };
}

