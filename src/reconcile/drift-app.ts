/**
 * Wires the drift report to Stripe's lists, Salesforce (SOQL), the billing records (the consumer's
 * trust step, so drift expects only what the consumer would believe) and, for --fix, the inbound
 * queue.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { enqueueEvent, type MessageSender } from '../ingress/enqueue.js';
import type { Logger } from '../logging.js';
import type { SalesforceSession } from '../salesforce/session.js';
import type { StripeCall } from '../stripe/keyed-client.js';
import type { DriftPorts } from './drift.js';
import { salesforceRecordReader } from './salesforce-reads.js';
import { stripeObjectLister } from './stripe-lists.js';
import { trustedReading } from './trusted-reading.js';

export interface DriftAppDeps {
  readonly stripe: StripeCall;
  readonly pace: () => Promise<void>;
  readonly salesforce: SalesforceSession;
  /** The dedup table, where the billing records are. */
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  readonly logger: Logger;
  readonly now: () => number;
  /** The inbound queue, for --fix. */
  readonly queue?: { readonly sqs: MessageSender; readonly queueUrl: string; readonly maxMessageBytes?: number };
}

export function createDriftPorts(deps: DriftAppDeps): DriftPorts {
  const queue = deps.queue;
  return {
    list: stripeObjectLister(deps.stripe, deps.pace),
    interpret: trustedReading(deps).read,
    readRecords: salesforceRecordReader(deps.salesforce),
    now: deps.now,
    ...(queue === undefined
      ? {}
      : {
          enqueue: async (event: Record<string, unknown>) => {
            const json = JSON.stringify(event);
            await enqueueEvent({ sqs: queue.sqs, queueUrl: queue.queueUrl, maxMessageBytes: queue.maxMessageBytes ?? 256 * 1024 }, json, {
              id: String(event['id']),
              type: String(event['type']),
              created: Number(event['created']),
              livemode: event['livemode'] === true,
              apiVersion: typeof event['api_version'] === 'string' ? event['api_version'] : undefined,
            });
          },
        }),
  };
}
