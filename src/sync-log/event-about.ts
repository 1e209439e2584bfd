/**
 * What a dead-lettered message was about, for the admin who reads its Stripe_Sync_Log__c record:
 * the event, the Stripe object, and the Salesforce records its mapping would have written (the
 * same pure mappers as the consumer). Best effort: an event that does not even parse still gets
 * its id and type from the message.
 */
import { attributeValue, ATTR, readInboundMessage, type ReceivedAttribute } from '../ingress/inbound-message.js';
import { mapStripeEvent } from '../mappers/index.js';
import { parseStripeEvent } from '../stripe/event-schemas.js';

export interface EventAbout {
  readonly eventId: string;
  readonly eventType: string;
  /** Seconds since the epoch (0 when unknown). */
  readonly created: number;
  readonly livemode: boolean;
  readonly objectId: string | undefined;
  /** The Salesforce record it names (Opportunity, Order or Account), when it names one. */
  readonly recordId: string | undefined;
  /** `Stripe_Invoice__c in_…`, `Opportunity 006…`: what the event would have written. */
  readonly records: readonly string[];
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Salesforce record ids by the prefix of their object (only those an admin opens from a log). */
const RECORD_ID = /^(006|801|001)[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/;

export function eventAbout(body: string, attributes: Readonly<Record<string, ReceivedAttribute | undefined>>): EventAbout {
  const fromAttributes = {
    eventId: attributeValue(attributes, ATTR.eventId) ?? '',
    eventType: attributeValue(attributes, ATTR.eventType) ?? '',
    created: Number(attributeValue(attributes, ATTR.eventCreated) ?? 0) || 0,
    livemode: attributeValue(attributes, ATTR.livemode) === 'true',
  };
  let json: unknown;
  try {
    const message = readInboundMessage(body, attributes);
    if (message.kind === 'reference') return { ...fromAttributes, eventId: message.event.id, objectId: undefined, recordId: undefined, records: [] };
    json = JSON.parse(message.eventJson);
  } catch {
    return { ...fromAttributes, objectId: undefined, recordId: undefined, records: [] };
  }
  const raw = isRecord(json) ? json : {};
  const data = isRecord(raw['data']) ? raw['data'] : {};
  const object = isRecord(data['object']) ? data['object'] : {};
  const base = {
    eventId: typeof raw['id'] === 'string' ? raw['id'] : fromAttributes.eventId,
    eventType: typeof raw['type'] === 'string' ? raw['type'] : fromAttributes.eventType,
    created: typeof raw['created'] === 'number' ? raw['created'] : fromAttributes.created,
    livemode: typeof raw['livemode'] === 'boolean' ? raw['livemode'] : fromAttributes.livemode,
    objectId: typeof object['id'] === 'string' ? object['id'] : undefined,
  };
  try {
    const result = mapStripeEvent(parseStripeEvent(json));
    if (result.outcome !== 'mapped') return { ...base, recordId: undefined, records: [] };
    const mutations = result.effect.mutations;
    const linked = mutations.flatMap((m) => [m.key.field === 'Id' ? m.key.value : undefined, ...Object.values(m.fields)]);
    const recordId = linked.find((v): v is string => typeof v === 'string' && RECORD_ID.test(v));
    return { ...base, recordId, records: [...new Set(mutations.map((m) => `${m.sobject} ${m.key.value}`))] };
  } catch {
    // An invalid event (often the very reason it failed) still names its id, type and object.
    return { ...base, recordId: undefined, records: [] };
  }
}
