/**
 * The reconciler against the stand-ins: Stripe's event log (stand-in, read with a restricted key
 * that may only read events), the consumer and its dedup table (dynalite) and Salesforce
 * (stand-in), and an inbound queue that keeps what was enqueued.
 */
import type { SendMessageCommand} from '@aws-sdk/client-sqs';
import { type SendMessageCommandOutput } from '@aws-sdk/client-sqs';
import type Stripe from 'stripe';
import { enqueueEvent, type MessageSender } from '../../src/ingress/enqueue.js';
import type { InboundRecord } from '../../src/inbound/ports.js';
import { createLogger } from '../../src/logging.js';
import { catchUp, type CatchUpOptions, type CatchUpPorts, type CatchUpResult } from '../../src/reconcile/catch-up.js';
import { dynamoCheckpointStore } from '../../src/reconcile/checkpoint.js';
import { dynamoEventLedger } from '../../src/reconcile/event-ledger.js';
import { stripeEventFetcher, stripeEventLister } from '../../src/reconcile/stripe-events.js';
import { typeGroups } from '../../src/reconcile/type-groups.js';
import { createStripeClient } from '../../src/stripe/client.js';
import { HANDLED_EVENT_TYPES } from '../../src/stripe/event-types.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';
import { LogCapture } from '../support/log-capture.js';
import { startStripeStandIn, type StripeStandIn } from '../../src/local/standins/stripe-standin.js';

export interface SentMessage {
  readonly body: string;
  readonly attributes: NonNullable<SendMessageCommand['input']['MessageAttributes']>;
}

export interface ReconcileHarness {
  readonly consumer: ConsumerHarness;
  readonly stripe: StripeStandIn;
  readonly stripeClient: Stripe;
  /** What the reconciler enqueued, in order. */
  readonly sent: SentMessage[];
  readonly logs: LogCapture;
  /** Makes the next sends fail (after `after` successful ones) as SQS would when unavailable. */
  failSends(after: number): void;
  ports(overrides?: Partial<CatchUpPorts>): CatchUpPorts;
  run(options?: Partial<CatchUpOptions>, overrides?: Partial<CatchUpPorts>): Promise<CatchUpResult>;
  /** Delivers events to the consumer as the webhook path would have. */
  deliver(events: readonly Stripe.Event[]): Promise<void>;
  /** Hands the reconciler's messages to the consumer, as the inbound queue would. */
  consumeSent(): Promise<void>;
  close(): Promise<void>;
}

export const SETTLE_SECONDS = 600;

export async function startReconcileHarness(): Promise<ReconcileHarness> {
  const consumer = await startConsumerHarness();
  const stripe = await startStripeStandIn({ now: () => Math.floor(consumer.nowMs / 1000) });
  // A read-only restricted key: the reconciler needs nothing but reading events.
  const stripeClient = createStripeClient(stripe.restrictedKey({ event: 'read' }), { apiUrl: stripe.url, maxNetworkRetries: 0 });
  const sent: SentMessage[] = [];
  const logs = new LogCapture();
  let sendsBeforeFailure = Number.POSITIVE_INFINITY;
  let consumed = 0;
  const sqs: MessageSender = {
    async send(command: SendMessageCommand): Promise<SendMessageCommandOutput> {
      if (sendsBeforeFailure <= 0) {
        throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $fault: 'server' });
      }
      sendsBeforeFailure -= 1;
      sent.push({ body: command.input.MessageBody ?? '', attributes: command.input.MessageAttributes ?? {} });
      return { MessageId: `m-${sent.length}`, $metadata: {} };
    },
  };
  const harness: ReconcileHarness = {
    consumer,
    stripe,
    stripeClient,
    sent,
    logs,
    failSends(after) {
      sendsBeforeFailure = after;
    },
    ports(overrides = {}) {
      return {
        listEvents: stripeEventLister(stripeClient),
        fetchEvent: stripeEventFetcher(stripeClient),
        ledger: dynamoEventLedger(consumer.dynamo.client, consumer.dynamo.tableName, () => consumer.nowMs),
        enqueue: async (json, summary) => {
          await enqueueEvent({ sqs, queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/inbound', maxMessageBytes: 256 * 1024 }, json, summary);
        },
        checkpoints: dynamoCheckpointStore(consumer.dynamo.client, consumer.dynamo.tableName),
        now: () => consumer.nowMs,
        logger: createLogger({ service: 'reconciler', level: 'debug', destination: logs }),
        ...overrides,
      };
    },
    run(options = {}, overrides = {}) {
      return catchUp(harness.ports(overrides), {
        groups: typeGroups(HANDLED_EVENT_TYPES),
        settleSeconds: SETTLE_SECONDS,
        initialLookbackSeconds: 86_400,
        maxPages: 50,
        deadline: consumer.nowMs + 60_000,
        ...options,
      });
    },
    async deliver(events) {
      await consumer.app.handle(events.map((e) => inboundRecord(e)));
    },
    async consumeSent() {
      const records: InboundRecord[] = sent.slice(consumed).map((m, i) => ({
        messageId: `reconciled-${consumed + i}`,
        body: m.body,
        receiveCount: 1,
        messageAttributes: Object.fromEntries(
          Object.entries(m.attributes).map(([name, value]) => [name, { stringValue: value.StringValue, dataType: value.DataType }]),
        ),
      }));
      consumed = sent.length;
      if (records.length > 0) await consumer.app.handle(records);
    },
    async close() {
      await Promise.all([consumer.close(), stripe.close()]);
    },
  };
  return harness;
}

/** Ids of the events the reconciler enqueued, in order. */
export function sentIds(sent: readonly SentMessage[]): string[] {
  return sent.map((m) => m.attributes['stripe_event_id']?.StringValue ?? '?');
}
