/**
 * The `Stripe_Payment_Request__e` platform event as Salesforce Event Relay delivers it through
 * EventBridge: `source` is the partner event source `aws.partner/salesforce.com/<orgId>/<channelId>`,
 * `detail-type` the platform event's API name, the event fields are under `detail.payload`, and
 * Event Relay adds `detail.schemaId` and the event's position (`detail.replayId` or `detail.id`).
 * System fields are rendered as the Pub/Sub API renders them: `CreatedDate` is epoch
 * milliseconds (a number); ISO 8601 strings are accepted too.
 *
 * Only what the outbound flow needs is validated (the Opportunity id). A field in another format
 * than expected never rejects the event: it is read as absent, and what depends on it says so
 * (a bad `Days_Until_Due__c` reaches the rep as a sync error). Fields Salesforce adds pass.
 */
import * as z from 'zod/mini';
import { InvalidPayloadError } from '../errors.js';

export const PAYMENT_REQUEST_EVENT = 'Stripe_Payment_Request__e';

/** The platform events (EventBridge detail-types) the outbound function handles; the rule matches these. */
/** The command channel's platform event (src/commands); the legacy payment request is the `invoice` / `payment_link` command. */
export const COMMAND_EVENT = 'Stripe_Command__e';
export const HANDLED_DETAIL_TYPES: readonly string[] = [COMMAND_EVENT, PAYMENT_REQUEST_EVENT];

/** Record ids are 15 (case-sensitive) or 18 (case-insensitive) alphanumerics; Opportunities start 006. */
const OPPORTUNITY_ID = /^006[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/;
/** `aws.partner/salesforce.com/<orgId>/<channelId>` (Salesforce, EventRelayFeedback.RemoteResource). */
export const PARTNER_SOURCE = /^aws\.partner\/salesforce\.com\/(00D[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?)\/([^/]+)$/;

const blank = (value: unknown): boolean => value === null || value === undefined || (typeof value === 'string' && value.trim() === '');

/** A value read leniently: anything unexpected is "absent", never a rejection. */
export const lenient = <T>(read: (value: unknown) => T | undefined) => z.pipe(z.optional(z.unknown()), z.transform((value) => (blank(value) ? undefined : read(value))));

export const text = lenient((v) => (typeof v === 'string' ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined));

/** A number, or a numeric string; anything else stays visible as NaN so the planner can explain it. */
export const numeric = lenient((v) => (typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : Number.NaN));

/** Epoch milliseconds (number or digits) or an ISO 8601 string → seconds; undefined when unreadable. */
export const instant = lenient((v) => {
  const ms = typeof v === 'number' ? v : typeof v === 'string' && /^\d{10,}$/.test(v.trim()) ? Number(v) : typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : undefined;
});

const payloadSchema = z.object({
  Opportunity_Id__c: z.string().check(z.trim(), z.regex(OPPORTUNITY_ID, 'must be an Opportunity id (006…)')),
  Mode__c: text,
  Days_Until_Due__c: numeric,
  /** The user the Flow acted for (`$User.Id`); older Flows leave it blank. */
  Requested_By__c: text,
  /** A system field of every platform event: the user whose transaction published it. */
  CreatedById: text,
  /** A system field of every platform event (API 52.0+): the event's own identity. */
  EventUuid: text,
  /** A system field of every platform event: when the Flow published it. */
  CreatedDate: instant,
});

const envelopeSchema = z.object({
  id: text,
  'detail-type': z.string().check(z.minLength(1)),
  source: text,
  time: instant,
  detail: z.object({
    payload: payloadSchema,
    schemaId: text,
    /** Event Relay's identity of the relayed event message. */
    id: text,
    /** The event's position in the Salesforce event bus (stable across redeliveries of one event). */
    replayId: text,
  }),
});

export interface PaymentRequest {
  /** Dedup identity: `sf:<EventUuid>` (or Event Relay's id or replay id, or the EventBridge id as a last resort). */
  readonly eventId: string;
  readonly detailType: string;
  readonly opportunityId: string;
  /** As sent; blank means "the Opportunity decides". Validated by the planner, which can tell the rep. */
  readonly mode: string | undefined;
  /** NaN when Salesforce sent something that is not a number (the planner tells the rep). */
  readonly daysUntilDue: number | undefined;
  /**
   * When Salesforce asked (seconds): every payment for this request happens after it, so the
   * write-back is ordered against the webhooks by this time.
   */
  readonly requestedAt: number | undefined;
  /** The org that published the event, from the partner event source; undefined when `source` is not one. */
  readonly sourceOrgId: string | undefined;
  /** Whose request it is: `Requested_By__c`, else the publishing user (`CreatedById`). */
  readonly requestedBy: string | undefined;
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
  // The same platform event relayed twice keeps its EventUuid (and its replay id); EventBridge ids differ per put.
  const identity = detail.payload.EventUuid ?? detail.id ?? (detail.replayId === undefined ? undefined : `replay:${detail.replayId}`) ?? result.data.id;
  if (identity === undefined) {
    throw new InvalidPayloadError(`A ${PAYMENT_REQUEST_EVENT} without any identity (EventUuid, detail.id, detail.replayId or id)`, {
      code: 'PAYMENT_REQUEST_INVALID',
    });
  }
  return {
    eventId: `sf:${identity}`,
    detailType,
    opportunityId: detail.payload.Opportunity_Id__c,
    mode: detail.payload.Mode__c,
    daysUntilDue: detail.payload.Days_Until_Due__c,
    requestedAt: detail.payload.CreatedDate ?? result.data.time,
    sourceOrgId: PARTNER_SOURCE.exec(result.data.source ?? '')?.[1],
    requestedBy: detail.payload.Requested_By__c ?? detail.payload.CreatedById,
  };
}
