/**
 * Recovering a webhook that never arrived: fetch the event from Stripe's API by id and enqueue it
 * exactly as the ingress would have. The consumer dedups by event id, so a second copy is harmless.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type Stripe from 'stripe';
import { buildInboundMessage, type PayloadKind, type StripeEventSummary } from '../ingress/inbound-message.js';
import { errorCode, errorReason } from '../errors.js';

export interface FetchedEvent {
  readonly json: string;
  readonly summary: StripeEventSummary;
}

export type FetchStripeEvent = (eventId: string) => Promise<FetchedEvent>;

/** Same default as the ingress (`SQS_MAX_MESSAGE_BYTES`): larger events travel as a reference. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

export function stripeEventFetcher(stripe: Stripe): FetchStripeEvent {
  return async (eventId) => {
    const event = await stripe.events.retrieve(eventId);
    return {
      // `lastResponse` is non-enumerable, so this is the event as Stripe's API returned it.
      json: JSON.stringify(event),
      summary: {
        id: event.id,
        type: event.type,
        created: event.created,
        livemode: event.livemode,
        apiVersion: event.api_version ?? undefined,
      },
    };
  };
}

export interface ReplayEventResult {
  readonly eventId: string;
  readonly eventType: string | undefined;
  readonly outcome: 'enqueued' | 'would-enqueue' | 'failed';
  readonly kind?: PayloadKind;
  readonly sqsMessageId?: string | undefined;
  readonly error?: string;
}

export interface ReplayEventOptions {
  readonly queueUrl: string;
  readonly eventIds: readonly string[];
  readonly dryRun: boolean;
  readonly maxMessageBytes?: number;
}

export async function replayStripeEvents(
  deps: { readonly sqs: SQSClient; readonly fetchEvent: FetchStripeEvent },
  options: ReplayEventOptions,
): Promise<ReplayEventResult[]> {
  const results: ReplayEventResult[] = [];
  for (const eventId of options.eventIds) {
    let eventType: string | undefined;
    try {
      const fetched = await deps.fetchEvent(eventId);
      eventType = fetched.summary.type;
      const message = buildInboundMessage(fetched.json, fetched.summary, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
      if (options.dryRun) {
        results.push({ eventId, eventType, outcome: 'would-enqueue', kind: message.kind });
        continue;
      }
      const sent = await deps.sqs.send(
        new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: message.MessageBody, MessageAttributes: message.MessageAttributes }),
      );
      results.push({ eventId, eventType, outcome: 'enqueued', kind: message.kind, sqsMessageId: sent.MessageId });
    } catch (err) {
      results.push({ eventId, eventType, outcome: 'failed', error: `${errorCode(err)}: ${errorReason(err, 200)}` });
    }
  }
  return results;
}
