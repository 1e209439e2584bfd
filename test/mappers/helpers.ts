import { precedenceKey, precedenceOf, type VersionedObject } from '../../src/contracts/precedence.js';
import { sampleEvent, type SampleEventOptions } from '../../src/local/sample-events.js';
import { mapStripeEvent } from '../../src/mappers/map-stripe-event.js';
import type { EventEffect, MapResult, SalesforceMutation, SObjectName } from '../../src/mappers/mutation.js';
import { parseStripeEvent } from '../../src/stripe/event-schemas.js';

/** What the consumer does: JSON off the wire → schema → mapper. */
export function mapSample(type: string, options: SampleEventOptions = {}): MapResult {
  return mapJson(JSON.parse(JSON.stringify(sampleEvent(type, { id: 'evt_test_fixed0001', ...options }))));
}

export function mapJson(json: unknown): MapResult {
  return mapStripeEvent(parseStripeEvent(json));
}

export function mapped(result: MapResult): EventEffect {
  if (result.outcome !== 'mapped') throw new Error(`expected a mapped event, got skipped: ${result.reason}`);
  return result.effect;
}

export function only(effect: EventEffect, sobject: SObjectName): SalesforceMutation {
  const matches = effect.mutations.filter((m) => m.sobject === sobject);
  if (matches.length !== 1) throw new Error(`expected exactly one ${sobject} mutation, found ${matches.length}`);
  return matches[0]!;
}

export function sobjects(effect: EventEffect): string[] {
  return effect.mutations.map((m) => m.sobject).sort();
}

/** The precedence key a write of `status` by this event carries (contracts/precedence). */
export function versionFor(effect: EventEffect, sobject: VersionedObject, status: string): number {
  return precedenceKey(precedenceOf(sobject, status, { id: effect.eventId, created: effect.created }, effect.rank));
}

/** A Case's key: the failure it reports, an unsettled state of its payment or invoice. */
export function failureVersion(effect: EventEffect): number {
  return precedenceKey({ settled: false, created: effect.created, rank: effect.rank, eventId: effect.eventId });
}

/** 2025-12-02T08:00:00Z: when the renewal tests' `invoice.upcoming` is announced. */
export const UPCOMING_CREATED = 1_764_662_400;
export const UPCOMING_SUBSCRIPTION = 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw';

/**
 * An `invoice.upcoming` event a week before its renewal, with the invoice fields as Stripe's
 * reference fixture renders them (openapi fixtures3.json `invoice`: amount_due, currency, customer
 * `cus_QXg1o8vcGmoR32`, collection_method, next_payment_attempt, period_end, and since
 * 2025-03-31.basil the subscription under `parent.subscription_details`) and no invoice id; `invoice`
 * overrides or adds fields (`undefined` removes one).
 */
export function upcomingInvoiceEvent(invoice: Record<string, unknown>, apiVersion = '2025-03-31.basil'): Record<string, unknown> {
  const renewal = UPCOMING_CREATED + 7 * 86_400;
  return {
    id: 'evt_test_upcoming01',
    object: 'event',
    api_version: apiVersion,
    created: UPCOMING_CREATED,
    livemode: false,
    type: 'invoice.upcoming',
    data: {
      object: {
        object: 'invoice',
        amount_due: 120_000,
        currency: 'eur',
        customer: 'cus_QXg1o8vcGmoR32',
        collection_method: 'charge_automatically',
        metadata: {},
        next_payment_attempt: renewal + 3600,
        period_end: renewal,
        parent: { type: 'subscription_details', subscription_details: { metadata: { salesforce_account_id: '001000000000001AAA' }, subscription: UPCOMING_SUBSCRIPTION } },
        ...invoice,
      },
    },
  };
}
