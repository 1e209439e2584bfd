/**
 * The `Stripe_Payment_Request__e` platform event as Salesforce Event Relay delivers it through
 * EventBridge: `detail-type` is the platform event's API name, the event fields are under
 * `detail.payload`, Event Relay adds `detail.schemaId` and `detail.id`. Only the fields the
 * outbound flow reads are validated; anything else Salesforce adds passes untouched.
 */
import * as z from 'zod';
import { InvalidPayloadError } from '../errors.js';

export const PAYMENT_REQUEST_EVENT = 'Stripe_Payment_Request__e';

/** Record ids are 15 (case-sensitive) or 18 (case-insensitive) alphanumerics; Opportunities start 006. */
const OPPORTUNITY_ID = /^006[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/;

const blankToUndefined = (value: unknown): unknown =>
  value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value;

const payloadSchema = z.object({
  Opportunity_Id__c: z.string().trim().regex(OPPORTUNITY_ID, 'must be an Opportunity id (006…)'),
  Mode__c: z.preprocess(blankToUndefined, z.string().trim().optional()),
  Days_Until_Due__c: z.preprocess(blankToUndefined, z.number().optional()),
  /** A system field of every platform event (API 52.0+): the event's own identity. */
  EventUuid: z.preprocess(blankToUndefined, z.string().optional()),
  /** A system field of every platform event: when the Flow published it. */
  CreatedDate: z.preprocess(blankToUndefined, z.string().optional()),
});

const envelopeSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().optional(),
  time: z.string().optional(),
  detail: z.object({
    payload: payloadSchema,
    schemaId: z.string().optional(),
    /** Event Relay's id of the relayed event message. */
    id: z.preprocess(blankToUndefined, z.string().optional()),
  }),
});

export interface PaymentRequest {
  /** Dedup identity: `sf:<EventUuid>` (or Event Relay's id, or the EventBridge id as a last resort). */
  readonly eventId: string;
  readonly detailType: string;
  readonly opportunityId: string;
  /** As sent; blank means "the Opportunity decides". Validated by the planner, which can tell the rep. */
  readonly mode: string | undefined;
  readonly daysUntilDue: number | undefined;
  /**
   * When Salesforce asked (seconds): every payment for this request happens after it, so the
   * write-back is ordered against the webhooks by this time.
   */
  readonly requestedAt: number | undefined;
}

function epochSeconds(iso: string | undefined): number | undefined {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

export function parsePaymentRequest(event: unknown): PaymentRequest {
  const result = envelopeSchema.safeParse(event);
  if (!result.success) {
    // Paths and expectations only: a payload value never reaches a log line or the DLQ reason.
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(event)'} (${i.message})`).join('; ');
    throw new InvalidPayloadError(`Not a ${PAYMENT_REQUEST_EVENT} EventBridge event: ${issues}`, { code: 'PAYMENT_REQUEST_INVALID' });
  }
  const { detail } = result.data;
  const detailType = result.data['detail-type'];
  if (detailType !== PAYMENT_REQUEST_EVENT) {
    throw new InvalidPayloadError(`Unexpected detail-type ${detailType}; the outbound flow handles ${PAYMENT_REQUEST_EVENT}`, {
      code: 'PAYMENT_REQUEST_UNEXPECTED_TYPE',
    });
  }
  // The same platform event relayed twice keeps its EventUuid; EventBridge ids differ per put.
  const identity = detail.payload.EventUuid ?? detail.id ?? result.data.id;
  return {
    eventId: `sf:${identity}`,
    detailType,
    opportunityId: detail.payload.Opportunity_Id__c,
    mode: detail.payload.Mode__c,
    daysUntilDue: detail.payload.Days_Until_Due__c,
    requestedAt: epochSeconds(detail.payload.CreatedDate) ?? epochSeconds(result.data.time),
  };
}
