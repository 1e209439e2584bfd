import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { InvalidPayloadError, isPermanent } from '../../src/errors.js';
import { SAMPLE_EVENT_TYPES, sampleEvent } from '../../src/local/sample-events.js';
import {
  hasForeignApiVersion,
  MAPPED_EVENT_TYPES,
  parseStripeEvent,
  STRIPE_API_VERSION,
} from '../../src/stripe/event-schemas.js';
import { HANDLED_EVENT_TYPES } from '../../src/stripe/event-types.js';

const wire = (event: unknown): Record<string, any> => JSON.parse(JSON.stringify(event));

function rejection(json: unknown): InvalidPayloadError {
  try {
    parseStripeEvent(json);
  } catch (err) {
    if (err instanceof InvalidPayloadError) return err;
    throw err;
  }
  throw new Error('expected the event to be rejected');
}

describe('STRIPE_API_VERSION', () => {
  it('is the version the stripe package is pinned to', () => {
    expect(STRIPE_API_VERSION).toBe(Stripe.API_VERSION);
    expect(STRIPE_API_VERSION).toBe('2026-10-28.endive');
  });

  it('hasForeignApiVersion flags other versions only', () => {
    expect(hasForeignApiVersion({ api_version: STRIPE_API_VERSION })).toBe(false);
    expect(hasForeignApiVersion({ api_version: '2024-06-20' })).toBe(true);
    expect(hasForeignApiVersion({ api_version: null })).toBe(false);
  });
});

describe('parseStripeEvent', () => {
  it('has a schema for exactly the handled event types', () => {
    expect([...MAPPED_EVENT_TYPES].sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
    expect([...SAMPLE_EVENT_TYPES].sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
  });

  it.each(HANDLED_EVENT_TYPES)('accepts the sample %s and narrows it', (type) => {
    const event = parseStripeEvent(wire(sampleEvent(type, { id: 'evt_test_schema01' })));
    expect(event.handled).toBe(true);
    expect(event.type).toBe(type);
    expect(event.id).toBe('evt_test_schema01');
    expect(event.api_version).toBe(STRIPE_API_VERSION);
    expect(typeof event.data.object.id).toBe('string');
  });

  it('drops fields the mappers do not read (emails stay behind)', () => {
    const event = parseStripeEvent(wire(sampleEvent('invoice.paid')));
    expect(JSON.stringify(event)).not.toContain('@');
    expect(event.data.object).not.toHaveProperty('customer_email');
    expect(event.data.object).not.toHaveProperty('lines');
  });

  it('returns other event types unvalidated, marked unhandled', () => {
    const json = wire(sampleEvent('customer.updated'));
    json.type = 'plan.created';
    json.data.object = { id: 'plan_test_1', object: 'plan', amount: 'not checked' };
    const event = parseStripeEvent(json);
    expect(event.handled).toBe(false);
    expect(event.type).toBe('plan.created');
  });

  it('names the offending path, never the value', () => {
    const json = wire(sampleEvent('payment_intent.succeeded', { id: 'evt_test_bad00001' }));
    json.data.object.amount = 'forty-nine ninety-nine';
    delete json.data.object.currency;
    const err = rejection(json);
    expect(err.code).toBe('EVENT_SCHEMA_INVALID');
    expect(isPermanent(err)).toBe(true);
    expect(err.message).toContain('data.object.amount');
    expect(err.message).toContain('data.object.currency');
    expect(err.message).toContain('evt_test_bad00001');
    expect(err.message).not.toContain('forty-nine');
    expect(err.cause).toBeDefined();
  });

  it('names nested paths inside the object', () => {
    const json = wire(sampleEvent('invoice.paid'));
    json.data.object.status_transitions.paid_at = 'yesterday';
    expect(rejection(json).message).toContain('data.object.status_transitions.paid_at');
  });

  it('rejects a body that is not a Stripe event, naming the envelope fields', () => {
    const err = rejection({ hello: 'world' });
    expect(err.code).toBe('EVENT_SCHEMA_INVALID');
    for (const path of ['id', 'type', 'created', 'livemode', 'data']) expect(err.message).toContain(path);
    expect(rejection(null).message).toContain('(root)');
    expect(rejection('evt_test').code).toBe('EVENT_SCHEMA_INVALID');
  });

  it('rejects an object of the wrong kind for the event type', () => {
    const json = wire(sampleEvent('invoice.paid'));
    json.type = 'payment_intent.succeeded';
    expect(rejection(json).message).toContain('data.object.object');
  });

  it('accepts expanded references and nullable fields', () => {
    const json = wire(sampleEvent('checkout.session.completed', { customer: null }));
    json.data.object.payment_intent = { id: 'pi_test_expanded1', object: 'payment_intent' };
    json.data.object.metadata = null;
    json.data.object.amount_total = null;
    const event = parseStripeEvent(json);
    expect(event.handled && event.type === 'checkout.session.completed' && event.data.object.payment_intent).toEqual({
      id: 'pi_test_expanded1',
    });
  });
});
