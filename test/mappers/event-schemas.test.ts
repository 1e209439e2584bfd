import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { InvalidPayloadError, isPermanent } from '../../src/errors.js';
import { SAMPLE_EVENT_TYPES, sampleEvent } from '../../src/local/sample-events.js';
import { interpretStripeEvent } from '../../src/inbound/interpret.js';
import {
  hasForeignApiVersion,
  MAPPED_EVENT_TYPES,
  parseStripeEnvelope,
  parseStripeEvent,
  STRIPE_API_VERSION,
} from '../../src/stripe/event-schemas.js';
import { outOfScope, stripeKeyMode } from '../../src/stripe/event-scope.js';
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
    // invoice.upcoming is a preview: "The received Invoice object will not have an invoice ID".
    expect(typeof event.data.object.id).toBe(type === 'invoice.upcoming' ? 'undefined' : 'string');
  });

  it('drops fields the mappers do not read (emails stay behind)', () => {
    const event = parseStripeEvent(wire(sampleEvent('invoice.paid')));
    expect(JSON.stringify(event)).not.toContain('@');
    expect(event.data.object).not.toHaveProperty('customer_email');
    // Lines are read for the usage of metered items: their quantity, item and period, not their text.
    const lines = (event.data.object as { lines?: { data: Array<Record<string, unknown>> } }).lines?.data ?? [];
    for (const line of lines) expect(line).not.toHaveProperty('description');
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

describe('event scope (src/stripe/event-scope.ts)', () => {
  it.each([
    ['sk_test_fake123', 'test'],
    ['rk_test_fake123', 'test'],
    ['sk_live_fake123', 'live'],
    ['rk_live_fake123', 'live'],
    ['pk_test_fake123', undefined],
    ['whsec_fake123', undefined],
  ] as const)('the key %s is a %s key', (key, mode) => {
    expect(stripeKeyMode(key)).toBe(mode);
  });

  it('skips the other mode and Connect events; applies both modes when the mode is unknown', () => {
    expect(outOfScope({ livemode: true }, 'test')).toContain('live-mode event in a test-mode deployment');
    expect(outOfScope({ livemode: false }, 'live')).toContain('test-mode event in a live-mode deployment');
    expect(outOfScope({ livemode: false }, 'test')).toBeUndefined();
    expect(outOfScope({ livemode: true }, undefined)).toBeUndefined();
    expect(outOfScope({ livemode: false, account: 'acct_test_1' }, 'test')).toContain('Connect event');
    expect(outOfScope({ livemode: false, account: 'acct_test_1' }, undefined)).toContain('Connect event');
  });

  it('reads the Connect account from the envelope, and nothing when it is absent', () => {
    const json = wire(sampleEvent('customer.updated'));
    expect(parseStripeEnvelope(json)).not.toHaveProperty('account');
    expect(parseStripeEnvelope({ ...json, account: 'acct_test_1' }).account).toBe('acct_test_1');
    expect(parseStripeEnvelope({ ...json, account: null })).not.toHaveProperty('account');
  });

  it('a foreign event is skipped before its object is looked at', () => {
    const json = wire(sampleEvent('payment_intent.succeeded'));
    json.livemode = true;
    delete json.data.object.amount;
    expect(interpretStripeEvent(json, 'test').result).toEqual({
      outcome: 'skipped',
      reason: 'live-mode event in a test-mode deployment (mode of STRIPE_SECRET_KEY)',
    });
    expect(() => interpretStripeEvent(json, 'live')).toThrow(InvalidPayloadError);
  });
});
