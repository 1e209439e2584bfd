/**
 * Recognising a Stripe (snapshot) event envelope in a verified body. Only the envelope is
 * checked here; the consumer validates `data.object` against its own schemas.
 */
import { InvalidPayloadError } from '../errors.js';
import type { StripeEventSummary } from './inbound-message.js';

// Fatal: a body that is not valid UTF-8 was not written by Stripe, and replacing bytes would
// break "the body is forwarded verbatim". BOM kept so that it fails JSON.parse instead of vanishing.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export interface ParsedStripeEvent {
  /** The body text exactly as received. */
  readonly json: string;
  readonly summary: StripeEventSummary;
}

function invalid(message: string, cause?: unknown): never {
  throw new InvalidPayloadError(message, { code: 'EVENT_INVALID', cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseStripeEvent(body: Buffer | string): ParsedStripeEvent {
  let json: string;
  try {
    json = typeof body === 'string' ? body : utf8.decode(body);
  } catch (err) {
    invalid('Body is not UTF-8 text', err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    invalid('Body is not JSON', err);
  }
  if (!isRecord(parsed)) invalid('Body is not a JSON object');
  if (parsed.object !== 'event') invalid('Body is not a Stripe event (object is not "event")');
  const { id, type, created, livemode, data } = parsed;
  const apiVersion = parsed.api_version;
  if (typeof id !== 'string' || !/^evt_\w+$/.test(id)) invalid('Stripe event has no evt_ id');
  if (typeof type !== 'string' || type === '') invalid('Stripe event has no type');
  if (typeof created !== 'number' || !Number.isSafeInteger(created)) invalid('Stripe event has no integer created');
  if (typeof livemode !== 'boolean') invalid('Stripe event has no boolean livemode');
  if (!isRecord(data) || !isRecord(data.object)) invalid('Stripe event has no data.object');
  if (apiVersion !== undefined && apiVersion !== null && typeof apiVersion !== 'string') {
    invalid('Stripe event api_version is not a string');
  }
  return {
    json,
    summary: { id, type, created, livemode, apiVersion: typeof apiVersion === 'string' ? apiVersion : undefined },
  };
}
