/**
 * The outbound function as the local stack runs it, for `POST /salesforce/events` (what
 * EventBridge would deliver) and for Lambda's Invoke API (an outbound DLQ replay). A return is
 * delivered (200 with the outcome); a permanent error ends in the outbound DLQ with the
 * attributes Lambda's asynchronous-invocation DLQ carries (RequestID, ErrorCode, ErrorMessage)
 * and answers 400; a transient one is retried by Lambda in AWS (here: 503, send it again; an
 * asynchronous invocation, which has no caller to answer, is dead-lettered).
 */
import { randomUUID } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { errorCode, errorReason, isPermanent } from '../errors.js';
import { PAYMENT_REQUEST_EVENT } from '../outbound/payment-request.js';
import type { OutboundResult } from '../outbound/process-request.js';
import type { ActivityLog } from './activity.js';
import type { LocalQueue } from './local-queue.js';
import type { JsonReply } from './routes.js';

export interface OutboundRunnerDeps {
  readonly outbound: { handle(event: unknown): Promise<OutboundResult> };
  readonly activity: ActivityLog;
  readonly outboundDlq: LocalQueue;
}

export interface OutboundRunner {
  /** Runs the outbound flow; rejects with its error after recording and dead-lettering it. */
  run(event: unknown, options?: { readonly asynchronous?: boolean }): Promise<OutboundResult>;
  /** `POST /salesforce/events`: the outcome as an HTTP answer. */
  route(event: unknown): Promise<JsonReply>;
}

/** What Lambda puts on a message it sends to a function's dead-letter queue. */
export function lambdaDlqAttributes(err: unknown, requestId: string): Record<string, MessageAttributeValue> {
  return {
    RequestID: { DataType: 'String', StringValue: requestId },
    ErrorCode: { DataType: 'Number', StringValue: '200' },
    // Lambda keeps the first 1 KB of the function's error message.
    ErrorMessage: { DataType: 'String', StringValue: `${errorCode(err)}: ${errorReason(err)}`.slice(0, 1024) },
  };
}

export function createOutboundRunner(deps: OutboundRunnerDeps): OutboundRunner {
  const run: OutboundRunner['run'] = async (event, options = {}) => {
    const relayedId = eventIdOf(event);
    try {
      const result = await deps.outbound.handle(event);
      deps.activity.record(result.eventId, {
        source: 'salesforce',
        type: PAYMENT_REQUEST_EVENT,
        status: result.outcome,
        note: result.reason,
        digest: {
          // 006 is the Opportunity key prefix; commands may name a Quote, Order or Contract.
          opportunityId: result.recordId.startsWith('006') ? result.recordId : undefined,
          objectId: result.invoiceId ?? result.paymentLinkId ?? result.checkoutSessionId,
          hostedUrl: result.invoiceUrl ?? result.paymentLinkUrl ?? result.checkoutUrl,
        },
      });
      return result;
    } catch (err) {
      const permanent = isPermanent(err);
      const dead = permanent || options.asynchronous === true;
      deps.activity.record(relayedId, {
        source: 'salesforce',
        type: PAYMENT_REQUEST_EVENT,
        status: dead ? 'dead_lettered' : 'retry',
        note: `${errorCode(err)}: ${errorReason(err, 200)}`,
        digest: { opportunityId: opportunityIdOf(event) },
      });
      if (dead) deps.outboundDlq.enqueue(JSON.stringify(event), lambdaDlqAttributes(err, randomUUID()));
      throw err;
    }
  };
  return {
    run,
    async route(event) {
      try {
        return { status: 200, body: await run(event) };
      } catch (err) {
        const failure = { code: errorCode(err), reason: errorReason(err) };
        if (isPermanent(err)) return { status: 400, body: { error: 'Payment request failed permanently (outbound DLQ)', ...failure } };
        return { status: 503, body: { error: 'Payment request failed; send it again (Lambda would retry)', ...failure } };
      }
    },
  };
}

function opportunityIdOf(event: unknown): string | undefined {
  const payload = (event as { detail?: { payload?: { Opportunity_Id__c?: unknown; Record_Id__c?: unknown } } } | null)?.detail?.payload;
  const id = payload?.Opportunity_Id__c ?? payload?.Record_Id__c;
  return typeof id === 'string' && id.startsWith('006') ? id : undefined;
}

/** The id the outbound flow dedups on, read loosely: the event may be malformed. */
function eventIdOf(event: unknown): string {
  const detail = (event as { detail?: { payload?: { EventUuid?: unknown }; id?: unknown } } | null)?.detail;
  const id = detail?.payload?.EventUuid ?? detail?.id ?? (event as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? `sf:${id}` : `sf:${randomUUID()}`;
}
