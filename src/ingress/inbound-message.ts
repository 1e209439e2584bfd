/**
 * The inbound SQS message: one definition shared by the ingress (producer), the consumer, the
 * local stack and the ops CLI (replay). The body is the verified event JSON verbatim; an event
 * too large for SQS travels as a reference and the consumer fetches it from Stripe's API.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { InvalidPayloadError } from '../errors.js';

export const ATTR = {
  eventId: 'stripe_event_id',
  eventType: 'stripe_event_type',
  eventCreated: 'stripe_event_created',
  livemode: 'stripe_livemode',
  apiVersion: 'stripe_api_version',
  payload: 'stripe_payload',
  /** Set by the consumer when it dead-letters a message itself. */
  failureCode: 'failure_code',
  failureReason: 'failure_reason',
  failedAt: 'failed_at',
  receiveCount: 'receive_count',
} as const;

export type PayloadKind = 'inline' | 'reference';

export interface StripeEventSummary {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly livemode: boolean;
  readonly apiVersion: string | undefined;
}

export interface OutgoingInboundMessage {
  readonly MessageBody: string;
  readonly MessageAttributes: Record<string, MessageAttributeValue>;
  readonly kind: PayloadKind;
}

export type InboundMessage =
  | ({ readonly kind: 'inline'; readonly eventJson: string } & { readonly event: StripeEventSummary })
  | ({ readonly kind: 'reference' } & { readonly event: StripeEventSummary });

const str = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

function attributesFor(event: StripeEventSummary, kind: PayloadKind): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    [ATTR.eventId]: str(event.id),
    [ATTR.eventType]: str(event.type),
    [ATTR.eventCreated]: { DataType: 'Number', StringValue: String(event.created) },
    [ATTR.livemode]: str(String(event.livemode)),
    [ATTR.payload]: str(kind),
  };
  if (event.apiVersion !== undefined) attributes[ATTR.apiVersion] = str(event.apiVersion);
  return attributes;
}

/** SQS counts the body plus each attribute's name, type and value against the message size. */
export function messageSize(body: string, attributes: Record<string, MessageAttributeValue>): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8');
    size += Buffer.byteLength(value.DataType ?? '', 'utf8');
    size += Buffer.byteLength(value.StringValue ?? '', 'utf8');
  }
  return size;
}

/** Inline when it fits in `maxMessageBytes`, else a reference to fetch from Stripe's API. */
/**
 * True when the message certainly fits: at most 3 UTF-8 bytes per UTF-16 code unit. Spares the
 * typical event (a few kB against 256 KiB) a byte count of the whole body.
 */
function fitsWithoutCounting(body: string, attributes: Record<string, MessageAttributeValue>, maxBytes: number): boolean {
  let units = body.length;
  for (const name in attributes) {
    const value = attributes[name];
    units += name.length + (value?.DataType?.length ?? 0) + (value?.StringValue?.length ?? 0);
  }
  return units * 3 <= maxBytes;
}

export function buildInboundMessage(
  eventJson: string,
  event: StripeEventSummary,
  maxMessageBytes: number,
): OutgoingInboundMessage {
  const inline = attributesFor(event, 'inline');
  if (fitsWithoutCounting(eventJson, inline, maxMessageBytes) || messageSize(eventJson, inline) <= maxMessageBytes) {
    return { MessageBody: eventJson, MessageAttributes: inline, kind: 'inline' };
  }
  return {
    MessageBody: JSON.stringify({ stripe_event_reference: event.id }),
    MessageAttributes: attributesFor(event, 'reference'),
    kind: 'reference',
  };
}

/** Attribute shape as the Lambda SQS event and the SQS API deliver them. */
export interface ReceivedAttribute {
  readonly stringValue?: string | undefined;
  readonly StringValue?: string | undefined;
  readonly dataType?: string | undefined;
  readonly DataType?: string | undefined;
}

export function attributeValue(
  attributes: Readonly<Record<string, ReceivedAttribute | undefined>> | undefined,
  name: string,
): string | undefined {
  const attribute = attributes?.[name];
  return attribute?.stringValue ?? attribute?.StringValue;
}

/**
 * Reads a received message. Attributes are a hint only: an inline body is the source of truth
 * and is validated by the consumer's schema.
 */
export function readInboundMessage(
  body: string,
  attributes: Readonly<Record<string, ReceivedAttribute | undefined>> | undefined,
): InboundMessage {
  const kind = attributeValue(attributes, ATTR.payload);
  if (kind === 'reference') {
    let reference: unknown;
    try {
      reference = JSON.parse(body);
    } catch (err) {
      throw new InvalidPayloadError('Reference message body is not JSON', { code: 'MESSAGE_INVALID', cause: err });
    }
    const id = (reference as { stripe_event_reference?: unknown } | null)?.stripe_event_reference;
    if (typeof id !== 'string' || !id.startsWith('evt_')) {
      throw new InvalidPayloadError('Reference message names no Stripe event id', { code: 'MESSAGE_INVALID' });
    }
    return { kind: 'reference', event: summaryFromAttributes(attributes, id) };
  }
  return { kind: 'inline', eventJson: body, event: summaryFromAttributes(attributes, undefined) };
}

function summaryFromAttributes(
  attributes: Readonly<Record<string, ReceivedAttribute | undefined>> | undefined,
  fallbackId: string | undefined,
): StripeEventSummary {
  const created = Number(attributeValue(attributes, ATTR.eventCreated));
  return {
    id: attributeValue(attributes, ATTR.eventId) ?? fallbackId ?? '',
    type: attributeValue(attributes, ATTR.eventType) ?? '',
    created: Number.isFinite(created) ? created : 0,
    livemode: attributeValue(attributes, ATTR.livemode) === 'true',
    apiVersion: attributeValue(attributes, ATTR.apiVersion),
  };
}

/** Why a message was dead-lettered: what `failureAttributes` records on it. */
export interface MessageFailure {
  readonly code: string;
  readonly reason: string;
  readonly failedAt: Date;
  readonly receiveCount: number;
}

/** Attributes the consumer (and the roll-up writer) adds when it dead-letters a message itself. */
export function failureAttributes(failure: MessageFailure): Record<string, MessageAttributeValue> {
  return {
    [ATTR.failureCode]: str(failure.code),
    // SQS attribute values are limited in size only by the message; keep the reason short anyway.
    [ATTR.failureReason]: str(failure.reason.slice(0, 1000)),
    [ATTR.failedAt]: str(failure.failedAt.toISOString()),
    [ATTR.receiveCount]: { DataType: 'Number', StringValue: String(failure.receiveCount) },
  };
}
