/**
 * What an operator needs to know about one dead-lettered message, read without ever printing the
 * body: ids, type, ages, receive count, the recorded failure. Bodies may hold personal data.
 */
import type { Message, MessageAttributeValue, MessageSystemAttributeName } from '@aws-sdk/client-sqs';
import { ATTR, attributeValue, readInboundMessage } from '../ingress/inbound-message.js';
import type { DlqKind } from './targets.js';

export const NO_REASON_INBOUND = 'retries exhausted; no reason recorded';
export const NO_REASON_OUTBOUND = 'no reason recorded';
export const NO_REASON_ROLLUP = 'not written within the retry horizon, or unreadable without ROLLUP_DLQ_URL (see the rollup-writer log)';

export interface DlqEntry {
  readonly messageId: string;
  readonly receiptHandle: string;
  /** Stripe event id (inbound) or EventBridge event id (outbound). */
  readonly eventId: string | undefined;
  /** Stripe event type (inbound) or EventBridge detail-type (outbound). */
  readonly eventType: string | undefined;
  /** When SQS first enqueued the message (ms): the DLQ keeps a redriven message's original time. */
  readonly sentAt: number | undefined;
  /** When the failure happened (ms), as precisely as the message tells. */
  readonly failedAt: number | undefined;
  readonly receiveCount: number | undefined;
  readonly failureCode: string | undefined;
  readonly failureReason: string;
  /** Outbound only: the Opportunity the payment request is for (a record id, not personal data). */
  readonly opportunityId?: string | undefined;
}

/** Attributes the CLI asks SQS for on every receive. */
export const RECEIVE_ATTRIBUTES: { MessageSystemAttributeNames: MessageSystemAttributeName[]; MessageAttributeNames: string[] } = {
  MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
  MessageAttributeNames: ['All'],
};

/**
 * What a failure added to a message: the bridge's own attributes, and those EventBridge writes on
 * an event it could not deliver to its target (ERROR_CODE, ERROR_MESSAGE, RULE_ARN, TARGET_ARN).
 */
const FAILURE_ATTRIBUTES: ReadonlySet<string> = new Set([
  ATTR.failureCode,
  ATTR.failureReason,
  ATTR.failedAt,
  ATTR.receiveCount,
  'ERROR_CODE',
  'ERROR_MESSAGE',
  'RULE_ARN',
  'TARGET_ARN',
]);

function numberOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function timeOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Date.parse(text);
  return Number.isNaN(value) ? undefined : value;
}

function parseJsonObject(body: string | undefined): Record<string, unknown> | undefined {
  if (body === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    // Not JSON: the entry shows no id/type, the operator sees the message id and the reason.
    return undefined;
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function base(message: Message): Pick<DlqEntry, 'messageId' | 'receiptHandle' | 'sentAt'> & { approximateReceiveCount: number | undefined } {
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    sentAt: numberOrUndefined(message.Attributes?.SentTimestamp),
    approximateReceiveCount: numberOrUndefined(message.Attributes?.ApproximateReceiveCount),
  };
}

/**
 * Inbound DLQ: either dead-lettered by the consumer (failure attributes present) or moved by the
 * redrive policy after the last failed receive (no reason recorded).
 */
export function describeInbound(message: Message): DlqEntry {
  const { approximateReceiveCount, ...common } = base(message);
  const attributes = message.MessageAttributes;
  const body = message.Body ?? '';
  let eventId = attributeValue(attributes, ATTR.eventId);
  let eventType = attributeValue(attributes, ATTR.eventType);
  if (eventId === undefined || eventType === undefined) {
    try {
      const inbound = readInboundMessage(body, attributes);
      eventId ??= text(inbound.event.id);
      eventType ??= text(inbound.event.type);
    } catch {
      // A malformed reference body: fall through to the body's own fields, if any.
    }
    const parsed = parseJsonObject(body);
    eventId ??= text(parsed?.id);
    eventType ??= text(parsed?.type);
  }
  const failureCode = attributeValue(attributes, ATTR.failureCode);
  return {
    ...common,
    eventId,
    eventType,
    failedAt: timeOrUndefined(attributeValue(attributes, ATTR.failedAt)) ?? common.sentAt,
    receiveCount: numberOrUndefined(attributeValue(attributes, ATTR.receiveCount)) ?? approximateReceiveCount,
    failureCode,
    failureReason: attributeValue(attributes, ATTR.failureReason) ?? (failureCode === undefined ? NO_REASON_INBOUND : failureCode),
  };
}

/**
 * Outbound DLQ: EventBridge events the outbound function dead-lettered with its reason (the
 * bridge's failure attributes), that the rule could not deliver to the outbound queue
 * (ERROR_CODE/ERROR_MESSAGE), or that older versions' asynchronous invocations gave up on
 * (ErrorCode/ErrorMessage); or moved by the redrive policy without a reason.
 */
export function describeOutbound(message: Message): DlqEntry {
  const { approximateReceiveCount, ...common } = base(message);
  const attributes = message.MessageAttributes;
  const event = parseJsonObject(message.Body);
  const detail = event?.detail as { payload?: Record<string, unknown> } | undefined;
  const failureCode = attributeValue(attributes, ATTR.failureCode) ?? attributeValue(attributes, 'ERROR_CODE') ?? attributeValue(attributes, 'ErrorCode');
  const failureMessage =
    attributeValue(attributes, ATTR.failureReason) ?? attributeValue(attributes, 'ERROR_MESSAGE') ?? attributeValue(attributes, 'ErrorMessage');
  return {
    ...common,
    eventId: text(event?.id),
    eventType: text(event?.['detail-type']),
    failedAt: timeOrUndefined(attributeValue(attributes, ATTR.failedAt)) ?? common.sentAt,
    receiveCount: numberOrUndefined(attributeValue(attributes, ATTR.receiveCount)) ?? approximateReceiveCount,
    failureCode,
    failureReason: failureMessage ?? failureCode ?? NO_REASON_OUTBOUND,
    opportunityId: text(detail?.payload?.Opportunity_Id__c),
  };
}

/**
 * Roll-up DLQ: a roll-up queue message the writer could not read, sent there at once with its
 * reason (the failure attributes), or one it could not write for the whole retry horizon, moved
 * there by the redrive policy without a reason of its own. Identified by its message id; its type
 * says how many Accounts it carries (their figures are not printed).
 */
export function describeRollup(message: Message): DlqEntry {
  const { approximateReceiveCount, ...common } = base(message);
  const attributes = message.MessageAttributes;
  const failureCode = attributeValue(attributes, ATTR.failureCode);
  const body = parseJsonObject(message.Body);
  const mutations = Array.isArray(body?.['mutations']) ? (body['mutations'] as unknown[]) : [];
  const accounts = mutations.filter((m) => typeof m === 'object' && m !== null && (m as { sobject?: unknown }).sobject === 'Account').length;
  return {
    ...common,
    eventId: message.MessageId,
    eventType: body?.['kind'] === 'account-rollups' ? `account-rollups (${accounts} Account${accounts === 1 ? '' : 's'})` : undefined,
    failedAt: timeOrUndefined(attributeValue(attributes, ATTR.failedAt)) ?? common.sentAt,
    receiveCount: numberOrUndefined(attributeValue(attributes, ATTR.receiveCount)) ?? approximateReceiveCount,
    failureCode,
    failureReason: attributeValue(attributes, ATTR.failureReason) ?? failureCode ?? NO_REASON_ROLLUP,
  };
}

export function describe(kind: DlqKind, message: Message): DlqEntry {
  if (kind === 'rollups') return describeRollup(message);
  return kind === 'inbound' ? describeInbound(message) : describeOutbound(message);
}

/** The message as the ingress sent it: original attributes, without the consumer's failure notes. */
export function originalAttributes(message: Message): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (FAILURE_ATTRIBUTES.has(name)) continue;
    attributes[name] =
      value.BinaryValue === undefined
        ? { DataType: value.DataType, StringValue: value.StringValue }
        : { DataType: value.DataType, BinaryValue: value.BinaryValue };
  }
  return attributes;
}
