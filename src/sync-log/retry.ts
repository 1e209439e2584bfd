/**
 * Retrying an event that ended in the inbound DLQ, once its cause is fixed: re-fetch it from
 * Stripe's Events API (the real event, even if the DLQ copy is gone; Stripe keeps events 30 days),
 * enqueue it exactly as the ingress would, mark its sync log Pending (the consumer's outcome then
 * shows as Succeeded, or Failed again with the new reason), and remove its copies from the DLQ.
 *
 * The core of the `retry` command; the CLI calls it today, and the Salesforce → Stripe command
 * channel's `retry` command (a Stripe_Command__e naming the Stripe_Sync_Log__c record) is meant to
 * call it the same way (see docs/reconcile.md).
 */
import { errorCode, errorReason, isPermanent } from '../errors.js';
import type { StripeEventSummary } from '../ingress/inbound-message.js';
import type { DeadLetterLog } from './dead-letter-log.js';

export interface RetryPorts {
  /** The event from Stripe's Events API, as JSON text and its envelope facts. */
  readonly fetchEvent: (eventId: string) => Promise<{ readonly json: string; readonly summary: StripeEventSummary }>;
  /** Sends it to the inbound queue as the ingress would. */
  readonly enqueue: (json: string, summary: StripeEventSummary) => Promise<void>;
  /** Deletes the event's copies from the inbound DLQ; resolves to how many. */
  readonly removeDlqCopies: (eventId: string) => Promise<number>;
  readonly log: DeadLetterLog;
}

export interface RetryResult {
  readonly eventId: string;
  readonly eventType: string | undefined;
  readonly outcome: 'enqueued' | 'failed';
  readonly dlqCopiesRemoved?: number;
  /** False when no dead-letter log record existed (the event was not dead-lettered, or long ago). */
  readonly logged?: boolean;
  readonly error?: string;
  /** A failure worth trying again later (Stripe or SQS unavailable), not a refusal. */
  readonly transient?: boolean;
  readonly warning?: string;
}

export async function retryDeadLetteredEvent(ports: RetryPorts, eventId: string, options: { readonly requestedBy?: string } = {}): Promise<RetryResult> {
  let fetched: Awaited<ReturnType<RetryPorts['fetchEvent']>>;
  try {
    fetched = await ports.fetchEvent(eventId);
  } catch (err) {
    const missing = /resource_missing|INVALID_REQUEST/.test(errorCode(err)) || (err as { details?: { stripeCode?: string } }).details?.stripeCode === 'resource_missing';
    return {
      eventId,
      eventType: undefined,
      outcome: 'failed',
      transient: !missing && !isPermanent(err),
      error: missing
        ? `Stripe does not know ${eventId} (it keeps events 30 days): replay the DLQ copy instead (stripe-sf-bridge dlq replay --event-id ${eventId})`
        : `${errorCode(err)}: ${errorReason(err, 200)}`,
    };
  }
  try {
    await ports.enqueue(fetched.json, fetched.summary);
  } catch (err) {
    return { eventId, eventType: fetched.summary.type, outcome: 'failed', transient: true, error: `could not enqueue: ${errorCode(err)}: ${errorReason(err, 200)}` };
  }
  // Enqueued: from here on a failure only leaves a harmless extra copy or a stale log status.
  const warnings: string[] = [];
  let logged: boolean | undefined;
  try {
    logged = await ports.log.markRetried(eventId, options.requestedBy === undefined ? {} : { requestedBy: options.requestedBy });
  } catch (err) {
    warnings.push(`sync log not marked Pending (${errorCode(err)})`);
  }
  let removed: number | undefined;
  try {
    removed = await ports.removeDlqCopies(eventId);
  } catch (err) {
    warnings.push(`DLQ copy not removed (${errorCode(err)}): a later replay of it is harmless`);
  }
  return {
    eventId,
    eventType: fetched.summary.type,
    outcome: 'enqueued',
    ...(removed === undefined ? {} : { dlqCopiesRemoved: removed }),
    ...(logged === undefined ? {} : { logged }),
    ...(warnings.length === 0 ? {} : { warning: warnings.join('; ') }),
  };
}
