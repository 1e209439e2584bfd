import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { classifyStripeError, createStripeClient } from '../../src/stripe/client.js';
import { isInactiveCatalogRefusal } from '../../src/stripe/catalog-refusal.js';
import { parseStripeForm, startStripeStandIn, type StripeStandIn } from '../../src/local/standins/stripe-standin.js';

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

  it('an invoice item at an archived price, or at an active price of an archived product, is a catalogue refusal; another refusal on the price is not', async () => {
    const product = await stripe.products.create({ name: 'Archived later' });
    const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500 });
    const customer = await stripe.customers.create({ name: 'E' });
    const item = (priceId: string, currency = 'usd') =>
      stripe.invoiceItems.create({ customer: customer.id, currency, pricing: { price: priceId } } as Stripe.InvoiceItemCreateParams).catch((e: unknown) => classifyStripeError(e, 'invoiceItems.create'));

    await stripe.prices.update(price.id, { active: false });
    expect(isInactiveCatalogRefusal(await item(price.id))).toBe(true);
    await stripe.prices.update(price.id, { active: true });
    await stripe.products.update(product.id, { active: false });
    expect(isInactiveCatalogRefusal(await item(price.id))).toBe(true);
    await stripe.products.update(product.id, { active: true });
    const otherRefusal = await item(price.id, 'eur');
    expect(otherRefusal).toMatchObject({ kind: 'permanent' });
    expect(isInactiveCatalogRefusal(otherRefusal)).toBe(false);
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

  it('lists a customer\'s invoices newest first in pages, as stripe-node auto-pagination reads them', async () => {
    const customer = await stripe.customers.create({ email: 'pages@example.com' });
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const invoice = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 10, metadata: { n: String(i) } });
      created.push(invoice.id as string);
    }

    const first = await stripe.invoices.list({ customer: customer.id, limit: 2 });
    const all = await stripe.invoices.list({ customer: customer.id, limit: 2 }).autoPagingToArray({ limit: 100 });

    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/invoices' });
    expect(first.data.map((i) => i.id)).toEqual(created.slice(-2).reverse());
    expect(all.map((i) => i.id)).toEqual([...created].reverse());
    expect(standIn.requests.filter((r) => r.method === 'GET' && r.path === '/v1/invoices').length).toBe(1 + 3);
  });

  it('lists the items of one invoice, voids an open invoice and deletes a draft', async () => {
    const customer = await stripe.customers.create({ email: 'items@example.com' });
    const draft = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 10 });
    const other = await stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', days_until_due: 10 });
    const item = await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, currency: 'usd', quantity: 1, unit_amount_decimal: Stripe.Decimal.from(100) });
    await stripe.invoiceItems.create({ customer: customer.id, invoice: other.id, currency: 'usd', quantity: 1, unit_amount_decimal: Stripe.Decimal.from(200) });

    const items = await stripe.invoiceItems.list({ invoice: draft.id as string, limit: 100 });
    await stripe.invoices.finalizeInvoice(other.id as string);
    const voided = await stripe.invoices.voidInvoice(other.id as string);
    const deleted = await stripe.invoices.del(draft.id as string);

    expect(items.data.map((i) => i.id)).toEqual([item.id]);
    expect([voided.status, voided.status_transitions.voided_at]).toEqual(['void', expect.any(Number)]);
    expect(deleted).toMatchObject({ id: draft.id, deleted: true });
    expect(standIn.invoices().some((i) => i.id === draft.id)).toBe(false);
  });

  it('forgets idempotency keys when told they expired', async () => {
    const first = await stripe.customers.create({ name: 'E' }, { idempotencyKey: 'standin-test:expire' });
    standIn.expireIdempotencyKeys();
    const second = await stripe.customers.create({ name: 'E' }, { idempotencyKey: 'standin-test:expire' });

    expect(second.id).not.toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });

  it('fails only the request whose idempotency key matches', async () => {
    standIn.failNextRequests(1, 500, { idempotencyKey: /:second$/ });
    const ok = await stripe.customers.create({ name: 'F' }, { idempotencyKey: 'standin-test:first' });
    const err = await stripe.customers.create({ name: 'G' }, { idempotencyKey: 'standin-test:second' }).catch((e: unknown) => e);

    expect(ok.id).toMatch(/^cus_/);
    expect(classifyStripeError(err, 'customers.create').kind).toBe('transient');
  });

  it('prices invoice items and Checkout lines with the one price builder, as the pinned API version documents', async () => {
    // Invoice items: `pricing[price]` or `price_data` {currency, product, unit_amount}; the
    // top-level `price` is gone since 2025-03-31.basil
    // (https://docs.stripe.com/changelog/basil/2025-03-31/invoice-pricing-configurations).
    const customer = await stripe.customers.create({ name: 'Priced', email: 'p@example.com' });
    const invoice = await stripe.invoices.create({ customer: customer.id, currency: 'usd', collection_method: 'send_invoice', days_until_due: 30 });
    const product = await stripe.products.create({ id: 'sfprod_standin_kit', name: 'Kit' });
    const listPrice = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 2000 });
    const monthly = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500, recurring: { interval: 'month' } });

    const atList = await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, currency: 'usd', quantity: 2, pricing: { price: listPrice.id } });
    const inline = await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, currency: 'usd', quantity: 1, price_data: { currency: 'usd', product: product.id, unit_amount: 1500 } });
    expect(atList).toMatchObject({ amount: 4000, pricing: { price_details: { price: listPrice.id, product: product.id } } });
    expect(inline).toMatchObject({ amount: 1500, pricing: { price_details: { product: product.id } } });
    // The inline price is the line's alone: Stripe does not sell it on its own.
    expect(standIn.prices().find((p) => p.id === (inline.pricing?.price_details?.price as unknown))).toMatchObject({ active: false, unit_amount: 1500 });
    const removed = await stripe.rawRequest('POST', '/v1/invoiceitems', { customer: customer.id, invoice: invoice.id, currency: 'usd', price: listPrice.id }).catch((e: unknown) => e);
    expect(removed).toMatchObject({ code: 'parameter_unknown', param: 'price' });
    const recurring = await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, currency: 'usd', pricing: { price: monthly.id } }).catch((e: unknown) => e);
    expect(recurring).toMatchObject({ param: 'pricing[price]' });
    const noProduct = await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, currency: 'usd', price_data: { currency: 'usd', unit_amount: 100 } as Stripe.InvoiceItemCreateParams.PriceData }).catch((e: unknown) => e);
    expect(noProduct).toMatchObject({ code: 'parameter_missing', param: 'price_data[product]' });

    // Checkout, payment mode: one-time prices only ("You specified `payment` mode but passed a recurring price").
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer: customer.id,
      line_items: [
        { price: listPrice.id, quantity: 1, metadata: { line: 'a' } },
        { price_data: { currency: 'usd', product: product.id, unit_amount: 700 }, quantity: 3 },
      ],
    });
    expect(session.amount_subtotal).toBe(2000 + 2100);
    const withRecurring = await stripe.checkout.sessions.create({ mode: 'payment', customer: customer.id, line_items: [{ price: monthly.id, quantity: 1 }] }).catch((e: unknown) => e);
    expect(withRecurring).toMatchObject({ param: 'line_items[0]' });
    const archived = await stripe.prices.update(listPrice.id, { active: false });
    const inactive = await stripe.checkout.sessions.create({ mode: 'payment', customer: customer.id, line_items: [{ price: archived.id, quantity: 1 }] }).catch((e: unknown) => e);
    expect(inactive).toMatchObject({ param: 'line_items[0][price]' });
    // A payment link refuses it the same way (https://docs.stripe.com/api/payment-link/create: line_items.price).
    const link = await stripe.paymentLinks.create({ line_items: [{ price: archived.id, quantity: 1 }] }).catch((e: unknown) => e);
    expect(link).toMatchObject({ param: 'line_items[0][price]', message: expect.stringContaining('inactive') });
  });

  it('keeps a payment link single use (restrictions[completed_sessions][limit]) and lists its sessions and line items', async () => {
    // https://docs.stripe.com/api/payment-link/create: restrictions.completed_sessions.limit.
    const price = await stripe.prices.create({ currency: 'usd', unit_amount: 1999, product_data: { name: 'Widget' } });
    const link = await stripe.paymentLinks.create({ line_items: [{ price: price.id, quantity: 3 }], restrictions: { completed_sessions: { limit: 1 } }, metadata: { k: 'v' } });
    expect(link.restrictions).toEqual({ completed_sessions: { limit: 1, count: 0 } });

    const paid = standIn.completeCheckout(link.id);
    expect(paid.session).toMatchObject({ payment_link: link.id, payment_intent: paid.paymentIntent.id, amount_total: 5997, payment_status: 'paid', metadata: { k: 'v' } });
    expect(paid.sessionCompleted.type).toBe('checkout.session.completed');
    expect(() => standIn.completeCheckout(link.id)).toThrow(/restriction/);
    expect((await stripe.paymentLinks.retrieve(link.id)).restrictions?.completed_sessions.count).toBe(1);

    const sessions = await stripe.checkout.sessions.list({ payment_link: link.id, status: 'complete' });
    expect(sessions.data.map((cs) => cs.id)).toEqual([paid.session.id]);
    expect((await stripe.checkout.sessions.list({ payment_intent: paid.paymentIntent.id as string })).data).toHaveLength(1);
    const items = await stripe.paymentLinks.listLineItems(link.id);
    expect(items.data.map((i) => [i.quantity, i.amount_total, i.currency])).toEqual([[3, 5997, 'usd']]);

    const inactive = await stripe.paymentLinks.update(link.id, { active: false });
    expect(inactive.active).toBe(false);
    expect((await stripe.paymentLinks.list({ active: true, limit: 100 })).data.map((l) => l.id)).not.toContain(link.id);
  });

  it('carries out a request whose answer it then loses, and stores no result for a refused parameter', async () => {
    standIn.failNextRequests(1, 500, { idempotencyKey: /^standin-test:lost$/, afterExecuting: true });
    const lost = await stripe.customers.create({ name: 'Lost' }, { idempotencyKey: 'standin-test:lost' }).catch((e: unknown) => e);
    expect(classifyStripeError(lost, 'customers.create').kind).toBe('transient');
    const replay = await stripe.customers.create({ name: 'Lost' }, { idempotencyKey: 'standin-test:lost' });
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(standIn.customers().filter((c) => c.name === 'Lost')).toHaveLength(1);

    // "If incoming parameters failed validation […] no idempotent result is saved" (https://docs.stripe.com/api/idempotent_requests).
    const refused = await stripe.prices.create({ currency: 'xau', unit_amount: 1, product_data: { name: 'Gold' } }, { idempotencyKey: 'standin-test:currency' }).catch((e: unknown) => e);
    expect(classifyStripeError(refused, 'prices.create').kind).toBe('permanent');
    const fixed = await stripe.prices.create({ currency: 'eur', unit_amount: 1, product_data: { name: 'Gold' } }, { idempotencyKey: 'standin-test:currency' });
    expect(fixed.currency).toBe('eur');
  });
});
