/**
 * A command from Salesforce as the outbound function receives it: the EventBridge event that
 * Event Relay puts on the partner bus for a `Stripe_Command__e` (`detail-type` the event's API
 * name, fields under `detail.payload`, system fields as the Pub/Sub API renders them), or, for
 * compatibility, a `Stripe_Payment_Request__e`, which is the `invoice` / `payment_link` command
 * on an Opportunity.
 *
 * Parsing refuses only what makes the event unusable as a command at all (no identity, another
 * detail-type). A missing command name, record id or a malformed option is carried through so
 * the dispatcher can refuse it with a reason the requester sees in Stripe_Sync_Log__c.
 */
import * as z from 'zod/mini';
import { InvalidPayloadError } from '../errors.js';
import { COMMAND_EVENT, instant, numeric, PARTNER_SOURCE, parsePaymentRequest, PAYMENT_REQUEST_EVENT, text } from '../outbound/payment-request.js';

export { COMMAND_EVENT };


/** What an admin may put in `Options__c` (JSON). Unknown keys are ignored; a wrong type is refused. */
export interface CommandOptions {
  /** invoice: days until the invoice is due (else STRIPE_DAYS_UNTIL_DUE). */
  readonly daysUntilDue?: number | undefined;
  /** checkout: hours until the Checkout Session expires (Stripe: 0.5 to 24; default 24). */
  readonly expiresInHours?: number | undefined;
  /** checkout: where Stripe sends the payer after paying (else Stripe's own confirmation page). */
  readonly successUrl?: string | undefined;
  /** checkout: where the Checkout page's back button leads (else no back button). */
  readonly cancelUrl?: string | undefined;
  /** subscription: `send_invoice` or `charge_automatically` (else the Opportunity's field, else send_invoice). */
  readonly collectionMethod?: string | undefined;
  /** cancel_subscription: `period_end` (default) or `now`. */
  readonly at?: string | undefined;
  /** cancel_subscription now: credit the unused time (Stripe's `prorate`; default false). */
  readonly prorate?: boolean | undefined;
  /** cancel_subscription now: a final invoice of pending usage and prorations (Stripe's `invoice_now`; default false). */
  readonly invoiceNow?: boolean | undefined;
  /** pause_subscription: `keep_as_draft` (default), `mark_uncollectible` or `void`. */
  readonly behavior?: string | undefined;
  /** pause_subscription: when collection resumes by itself (ISO 8601 date or date-time, UTC). */
  readonly resumesAt?: string | undefined;
}

export interface CommandRequest {
  /** Dedup identity: `sf:<EventUuid>` (or Event Relay's id / replay id, or the EventBridge id). */
  readonly eventId: string;
  /** `Stripe_Command__e` or `Stripe_Payment_Request__e`. */
  readonly detailType: string;
  /** `Command__c` as sent (lower-cased, trimmed); undefined when blank. */
  readonly command: string | undefined;
  readonly recordId: string | undefined;
  /** `Amount__c` in major units of the record's currency (commands that take an amount). */
  readonly amount: number | undefined;
  readonly reason: string | undefined;
  readonly options: CommandOptions;
  /** Why `Options__c` could not be read; the dispatcher refuses the command with it. */
  readonly optionsError: string | undefined;
  /** `Requested_By__c`, else the publishing user (`CreatedById`). */
  readonly requestedBy: string | undefined;
  /** Seconds since the epoch: when Salesforce asked. */
  readonly requestedAt: number | undefined;
  readonly sourceOrgId: string | undefined;
  /**
   * The legacy event without `Mode__c`: the Opportunity's `Stripe_Payment_Mode__c` picks
   * `invoice` or `payment_link`.
   */
  readonly modeFromRecord: boolean;
}

/** The payload fields read from a `Stripe_Command__e` (custom fields, then system fields); the package test checks the event has them. */
export const COMMAND_PAYLOAD_FIELDS = {
  Command__c: text,
  Record_Id__c: text,
  Amount__c: numeric,
  Reason__c: text,
  Options__c: text,
  Requested_By__c: text,
  CreatedById: text,
  EventUuid: text,
  CreatedDate: instant,
};

const payloadSchema = z.object(COMMAND_PAYLOAD_FIELDS);

const envelopeSchema = z.object({
  id: text,
  'detail-type': z.string().check(z.minLength(1)),
  source: text,
  time: instant,
  detail: z.object({ payload: payloadSchema, id: text, replayId: text }),
});

/** An absolute http(s) URL, as Stripe takes for success_url and cancel_url. */
const pageUrl = z.optional(z.string().check(z.regex(/^https?:\/\/[^\s/?#]+[^\s]*$/, 'must be an absolute http(s) URL')));

const optionsSchema = z.object({
  daysUntilDue: z.optional(z.number()),
  expiresInHours: z.optional(z.number()),
  successUrl: pageUrl,
  cancelUrl: pageUrl,
  collectionMethod: z.optional(z.string()),
  at: z.optional(z.enum(['period_end', 'now'])),
  prorate: z.optional(z.boolean()),
  invoiceNow: z.optional(z.boolean()),
  behavior: z.optional(z.enum(['keep_as_draft', 'mark_uncollectible', 'void'])),
  resumesAt: z.optional(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/, 'must be an ISO 8601 date or date-time'))),
});

function readOptions(raw: string | undefined): { options: CommandOptions; error: string | undefined } {
  if (raw === undefined) return { options: {}, error: undefined };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { options: {}, error: 'Options__c is not valid JSON' };
  }
  const parsed = optionsSchema.safeParse(json);
  if (!parsed.success) {
    return { options: {}, error: `Options__c: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(value)'} ${i.message}`).join('; ')}` };
  }
  return { options: parsed.data, error: undefined };
}

function fromPaymentRequest(event: unknown): CommandRequest {
  const legacy = parsePaymentRequest(event);
  return {
    eventId: legacy.eventId,
    detailType: legacy.detailType,
    command: legacy.mode?.toLowerCase() ?? 'invoice',
    recordId: legacy.opportunityId,
    amount: undefined,
    reason: undefined,
    options: { daysUntilDue: legacy.daysUntilDue },
    optionsError: undefined,
    requestedBy: legacy.requestedBy,
    requestedAt: legacy.requestedAt,
    sourceOrgId: legacy.sourceOrgId,
    modeFromRecord: legacy.mode === undefined,
  };
}

export function parseCommandRequest(event: unknown): CommandRequest {
  const detailType = (event as { 'detail-type'?: unknown } | null)?.['detail-type'];
  if (detailType === PAYMENT_REQUEST_EVENT) return fromPaymentRequest(event);
  const result = envelopeSchema.safeParse(event);
  if (!result.success) {
    // Paths and expectations only: a payload value never reaches a log line or the DLQ reason.
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(event)'} (${i.message})`).join('; ');
    throw new InvalidPayloadError(`Not a ${COMMAND_EVENT} EventBridge event: ${issues}`, { code: 'COMMAND_INVALID' });
  }
  if (result.data['detail-type'] !== COMMAND_EVENT) {
    throw new InvalidPayloadError(`Unexpected detail-type ${result.data['detail-type']}; the outbound function handles ${COMMAND_EVENT} and ${PAYMENT_REQUEST_EVENT}`, {
      code: 'COMMAND_UNEXPECTED_TYPE',
    });
  }
  const { detail } = result.data;
  const { payload } = detail;
  // The same platform event relayed twice keeps its EventUuid (and replay id); EventBridge ids differ per put.
  const identity = payload.EventUuid ?? detail.id ?? (detail.replayId === undefined ? undefined : `replay:${detail.replayId}`) ?? result.data.id;
  if (identity === undefined) {
    throw new InvalidPayloadError(`A ${COMMAND_EVENT} without any identity (EventUuid, detail.id, detail.replayId or id)`, { code: 'COMMAND_INVALID' });
  }
  const { options, error } = readOptions(payload.Options__c);
  return {
    eventId: `sf:${identity}`,
    detailType: COMMAND_EVENT,
    command: payload.Command__c?.toLowerCase(),
    recordId: payload.Record_Id__c,
    amount: payload.Amount__c,
    reason: payload.Reason__c,
    options,
    optionsError: error,
    requestedBy: payload.Requested_By__c ?? payload.CreatedById,
    requestedAt: payload.CreatedDate ?? result.data.time,
    sourceOrgId: PARTNER_SOURCE.exec(result.data.source ?? '')?.[1],
    modeFromRecord: false,
  };
}
