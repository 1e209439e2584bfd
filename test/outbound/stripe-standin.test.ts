import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { classifyStripeError, createStripeClient } from '../../src/stripe/client.js';
import { parseStripeForm, startStripeStandIn, type StripeStandIn } from '../support/stripe-standin.js';

let standIn: StripeStandIn;
let stripe: Stripe;

beforeAll(async () => {
  standIn = await startStripeStandIn();
  stripe = createStripeClient('sk_test_fake_standin', { apiUrl: standIn.url, maxNetworkRetries: 0 });
});
afterAll(async () => {
  await standIn.close();
});

describe('Stripe stand-in', () => {
  it('parses Stripe form nesting', () => {
    expect(parseStripeForm('a[b][0][c]=1&a[b][1][c]=2&m[k]=v&x=y')).toEqual({ a: { b: [{ c: '1' }, { c: '2' }] }, m: { k: 'v' }, x: 'y' });
  });

  it('replays the stored answer for a repeated key with the same params', async () => {
    const first = await stripe.customers.create({ name: 'A', metadata: { k: 'v' } }, { idempotencyKey: 'standin-test:1' });
    const second = await stripe.customers.create({ name: 'A', metadata: { k: 'v' } }, { idempotencyKey: 'standin-test:1' });

    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(standIn.customers().filter((c) => c.id === first.id)).toHaveLength(1);
    expect(standIn.requests.filter((r) => r.idempotencyKey === 'standin-test:1').map((r) => r.replayed)).toEqual([false, true]);
  });

  it('refuses the same key with other params as a permanent idempotency_error', async () => {
    await stripe.customers.create({ name: 'B' }, { idempotencyKey: 'standin-test:2' });
    const err = await stripe.customers.create({ name: 'C' }, { idempotencyKey: 'standin-test:2' }).catch((e: unknown) => e);

    expect((err as Stripe.errors.StripeError).type).toBe('StripeIdempotencyError');
    expect(classifyStripeError(err, 'customers.create').kind).toBe('permanent');
  });

  it('fails injected requests with Stripe errors that classify as transient', async () => {
    standIn.failNextRequests(1, 429);
    const err = await stripe.customers.create({ name: 'D' }).catch((e: unknown) => e);
    expect(classifyStripeError(err, 'customers.create')).toMatchObject({ kind: 'transient', code: 'STRIPE_StripeRateLimitError' });
  });

  it('moves an invoice through finalize and send, and serves the invoice.paid event', async () => {
    const customer = await stripe.customers.create({ email: 'payer@example.com' });
    const draft = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 10, currency: 'eur' });
    await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, currency: 'eur', quantity: 2, unit_amount_decimal: Stripe.Decimal.from(250) });
    const open = await stripe.invoices.finalizeInvoice(draft.id as string);

    expect([draft.status, open.status, open.amount_due, open.hosted_invoice_url]).toEqual(['draft', 'open', 500, expect.stringContaining(open.id as string)]);
    const event = standIn.payInvoice(open.id as string);
    const fetched = await stripe.events.retrieve(event.id);
    expect(fetched).toMatchObject({ type: 'invoice.paid', data: { object: { id: open.id, status: 'paid', amount_paid: 500 } } });
  });
});
