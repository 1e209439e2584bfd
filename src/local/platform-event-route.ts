/**
 * `POST /salesforce/events`: what EventBridge and Lambda would do with the outbound flow's result.
 * A return is delivered (200 with the outcome); a permanent error ends in the outbound DLQ (here:
 * the local dead-letter list, 400); a transient one is retried by Lambda (here: 503, send it again).
 */
import { randomUUID } from 'node:crypto';
import { errorCode, errorReason, isPermanent } from '../errors.js';
import { ATTR } from '../ingress/inbound-message.js';
import { PAYMENT_REQUEST_EVENT } from '../outbound/payment-request.js';
import type { OutboundResult } from '../outbound/process-request.js';
import type { ActivityLog } from './activity.js';
import type { LocalQueue } from './local-queue.js';
import type { JsonReply } from './routes.js';

export interface PlatformEventDeps {
  readonly outbound: { handle(event: unknown): Promise<OutboundResult> };
  readonly activity: ActivityLog;
  readonly queue: LocalQueue;
}

export async function handlePlatformEvent(event: unknown, deps: PlatformEventDeps): Promise<JsonReply> {
  const relayedId = eventIdOf(event);
  try {
    const result = await deps.outbound.handle(event);
    deps.activity.record(result.eventId, {
      source: 'salesforce',
      type: PAYMENT_REQUEST_EVENT,
      status: result.outcome,
      note: result.reason ?? result.invoiceId ?? result.paymentLinkUrl,
    });
    return { status: 200, body: result };
  } catch (err) {
    const permanent = isPermanent(err);
    const failure = { code: errorCode(err), reason: errorReason(err) };
    deps.activity.record(relayedId, { source: 'salesforce', type: PAYMENT_REQUEST_EVENT, status: permanent ? 'dead_lettered' : 'retry', note: failure.code });
    if (permanent) {
      deps.queue.deadLetter(
        { messageId: relayedId, body: JSON.stringify(event), receiveCount: 1, messageAttributes: {} },
        failure,
        { source: 'outbound', attributes: { [ATTR.eventType]: { DataType: 'String', StringValue: PAYMENT_REQUEST_EVENT } } },
      );
      return { status: 400, body: { error: 'Payment request failed permanently (outbound DLQ)', ...failure } };
    }
    return { status: 503, body: { error: 'Payment request failed; send it again (Lambda would retry)', ...failure } };
  }
}

/** The id the outbound flow dedups on, read loosely: the event may be malformed. */
function eventIdOf(event: unknown): string {
  const detail = (event as { detail?: { payload?: { EventUuid?: unknown }; id?: unknown } } | null)?.detail;
  const id = detail?.payload?.EventUuid ?? detail?.id ?? (event as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? `sf:${id}` : `sf:${randomUUID()}`;
}
