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
