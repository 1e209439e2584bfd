import { describe, expect, it } from 'vitest';
import type { BillableOpportunity } from '../../src/outbound/opportunity.js';
import { forBillingGeneration, planBilling, resumeBilling, SEND_KEY_REPLAYABLE_SECONDS, shownBilling, type BillingPlan, type FoundInvoice, type PlanSettings, type StripeStep } from '../../src/outbound/plan.js';

const OPP = '006Ab00000PlanT01A';
const ACC = '001Ab00000PlanT01A';
const settings: PlanSettings = { daysUntilDue: 30, multiCurrency: false, corporateCurrency: 'usd' };

function opportunity(overrides: Partial<BillableOpportunity> = {}): BillableOpportunity {
  return {
    id: OPP,
    name: 'Acme renewal',
    accountId: ACC,
    amount: 1200,
    currencyIsoCode: undefined,
    paymentMode: undefined,
    stripeInvoiceId: undefined,
    stripePaymentLinkId: undefined,
    stripePaymentLinkUrl: undefined,
    stripePaymentStatus: undefined,
    account: {
      id: ACC,
      name: 'Acme Corp',
      stripeCustomerId: undefined,
      billingEmail: 'billing@example.com',
      billingAddress: { street: '1 Market St\nSuite 100', city: 'San Francisco', state: 'CA', postalCode: '94105', country: 'US' },
    },
    lineItems: [],
    ...overrides,
    sobject: 'Opportunity',
  };
}

const line = (id: string, name: string, quantity: number, unitPrice: number) => ({ id, name, description: undefined, quantity, unitPrice });

function billed(plan: BillingPlan): Extract<BillingPlan, { kind: 'bill' }> {
  if (plan.kind !== 'bill') throw new Error(`expected a bill plan, got ${plan.kind}: ${JSON.stringify(plan)}`);
  return plan;
}

const items = (steps: readonly StripeStep[]) => steps.flatMap((s) => (s.kind === 'create_invoice_item' ? [s] : []));

describe('planBilling: invoice mode', () => {
  it('creates the customer, a send_invoice draft, one item per line, then finalizes and sends, with deterministic keys', () => {
    const plan = billed(
      planBilling(opportunity({ lineItems: [line('00kAb00000Line01AA', 'Widget', 3, 19.99), line('00kAb00000Line02AA', 'Setup', 1, 250)] }), { mode: 'invoice', daysUntilDue: undefined }, settings),
    );
    expect(plan.steps.map((s) => [s.kind, s.idempotencyKey])).toEqual([
      ['create_customer', `sfbridge:${ACC}:customer`],
      ['create_invoice', `sfbridge:${OPP}:invoice`],
      ['create_invoice_item', `sfbridge:${OPP}:item:00kAb00000Line01AA`],
      ['create_invoice_item', `sfbridge:${OPP}:item:00kAb00000Line02AA`],
      ['finalize_invoice', `sfbridge:${OPP}:finalize`],
      ['send_invoice', `sfbridge:${OPP}:send`],
    ]);
    expect(items(plan.steps).map((s) => [s.line.quantity, s.line.unitAmount])).toEqual([
      [3, 1999],
      [1, 25000],
    ]);
    expect(plan.total).toBe(5997 + 25000);
    const invoice = plan.steps[1];
    expect(invoice?.kind === 'create_invoice' && invoice.params).toMatchObject({
      currency: 'usd',
      collection_method: 'send_invoice',
      days_until_due: 30,
      pending_invoice_items_behavior: 'exclude',
      auto_advance: false,
      metadata: { salesforce_opportunity_id: OPP, salesforce_account_id: ACC },
    });
    const customer = plan.steps[0];
    expect(customer?.kind === 'create_customer' && customer.params).toEqual({
      name: 'Acme Corp',
      email: 'billing@example.com',
      address: { line1: '1 Market St', line2: 'Suite 100', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' },
      metadata: { salesforce_account_id: ACC },
    });
  });

  it('plans the same requests for the same Opportunity every time', () => {
    const input = opportunity({ lineItems: [line('00kAb00000Line01AA', 'Widget', 2, 10)] });
    expect(planBilling(input, { mode: 'invoice', daysUntilDue: 14 }, settings)).toEqual(planBilling(input, { mode: 'invoice', daysUntilDue: 14 }, settings));
  });

  it('uses the Account’s Stripe customer instead of creating one', () => {
    const base = opportunity();
    const plan = billed(planBilling({ ...base, account: { ...base.account!, stripeCustomerId: 'cus_existing' } }, { mode: undefined, daysUntilDue: undefined }, settings));
    expect(plan.existingCustomerId).toBe('cus_existing');
    expect(plan.steps.some((s) => s.kind === 'create_customer')).toBe(false);
  });

  it('bills the Opportunity amount as one line when it has no products', () => {
    const plan = billed(planBilling(opportunity({ amount: 1234.5 }), { mode: 'invoice', daysUntilDue: 7 }, settings));
    expect(items(plan.steps).map((s) => [s.line.lineId, s.line.description, s.line.quantity, s.line.unitAmount])).toEqual([['amount', 'Acme renewal', 1, 123450]]);
    const invoice = plan.steps.find((s) => s.kind === 'create_invoice');
    expect(invoice?.kind === 'create_invoice' && invoice.params.days_until_due).toBe(7);
  });

  it('converts exactly in zero- and three-decimal currencies', () => {
    const multi = { ...settings, multiCurrency: true };
    const jpy = billed(planBilling(opportunity({ currencyIsoCode: 'JPY', lineItems: [line('00kAb00000Line01AA', 'Widget', 3, 1500)] }), { mode: 'invoice', daysUntilDue: undefined }, multi));
    expect([jpy.currency, jpy.total, items(jpy.steps)[0]?.line.unitAmount]).toEqual(['jpy', 4500, 1500]);
    const kwd = billed(planBilling(opportunity({ currencyIsoCode: 'KWD', amount: 12.345 }), { mode: 'invoice', daysUntilDue: undefined }, multi));
    expect([kwd.currency, kwd.total]).toEqual(['kwd', 12345]);
  });

  it('bills a single-currency org in its corporate currency, whatever CurrencyIsoCode says', () => {
    const plan = billed(planBilling(opportunity({ currencyIsoCode: 'EUR' }), { mode: 'invoice', daysUntilDue: undefined }, { ...settings, corporateCurrency: 'gbp' }));
    expect(plan.currency).toBe('gbp');
  });

  it('bills a multi-currency record without CurrencyIsoCode in the corporate currency', () => {
    const plan = billed(planBilling(opportunity(), { mode: 'invoice', daysUntilDue: undefined }, { ...settings, multiCurrency: true, corporateCurrency: 'jpy', }));
    expect(plan.currency).toBe('jpy');
  });

  it('tells the rep when Days_Until_Due__c was not a number', () => {
    expect(planBilling(opportunity(), { mode: 'invoice', daysUntilDue: Number.NaN }, settings)).toMatchObject({
      kind: 'cannot_bill',
      code: 'DAYS_UNTIL_DUE_INVALID',
      reason: expect.stringMatching(/not a number/),
    });
  });

  it('folds a fractional quantity into one line for the exact total', () => {
    const plan = billed(planBilling(opportunity({ lineItems: [line('00kAb00000Line01AA', 'Consulting hours', 2.5, 19.99)] }), { mode: 'invoice', daysUntilDue: undefined }, settings));
    // 2.5 × 1999 = 4997.5 minor units, rounded half away from zero like Salesforce's TotalPrice.
    expect(items(plan.steps).map((s) => [s.line.description, s.line.quantity, s.line.unitAmount])).toEqual([['2.5 × Consulting hours', 1, 4998]]);
  });
});

describe('planBilling: payment link mode', () => {
  it('creates one price per line and a single-use payment link with metadata on the link and its PaymentIntents', () => {
    const plan = billed(
      planBilling(opportunity({ paymentMode: 'payment_link', lineItems: [line('00kAb00000Line01AA', 'Widget', 3, 19.99)] }), { mode: undefined, daysUntilDue: undefined }, settings),
    );
    expect(plan.mode).toBe('payment_link');
    expect(plan.steps.map((s) => [s.kind, s.idempotencyKey])).toEqual([
      ['create_price', `sfbridge:${OPP}:price:00kAb00000Line01AA`],
      ['create_payment_link', `sfbridge:${OPP}:payment_link`],
    ]);
    const [price, link] = plan.steps;
    expect(price?.kind === 'create_price' && price.params).toMatchObject({ currency: 'usd', unit_amount: 1999, product_data: { name: 'Widget' } });
    expect(link?.kind === 'create_payment_link' && link).toMatchObject({
      lines: [{ lineId: '00kAb00000Line01AA', quantity: 3 }],
      params: {
        metadata: { salesforce_opportunity_id: OPP, salesforce_account_id: ACC },
        payment_intent_data: { metadata: { salesforce_opportunity_id: OPP } },
        // Single use: https://docs.stripe.com/api/payment-link/create (restrictions.completed_sessions.limit).
        restrictions: { completed_sessions: { limit: 1 } },
      },
    });
  });

  it('refuses a discount line, which a payment link cannot carry', () => {
    const plan = planBilling(
      opportunity({ lineItems: [line('00kAb00000Line01AA', 'Widget', 1, 100), line('00kAb00000Line02AA', 'Discount', 1, -10)] }),
      { mode: 'payment_link', daysUntilDue: undefined },
      settings,
    );
    expect(plan).toMatchObject({ kind: 'cannot_bill', code: 'NEGATIVE_LINE' });
  });
});

describe('planBilling: what the rep has to fix', () => {
  it.each([
    ['no amount and no products', opportunity({ amount: undefined }), 'NOTHING_TO_BILL'],
    ['no Account', opportunity({ account: undefined, accountId: undefined }), 'ACCOUNT_MISSING'],
    ['more decimals than the currency has', opportunity({ amount: 10.005 }), 'AMOUNT_INVALID'],
    ['a product without quantity', opportunity({ lineItems: [{ id: '00kAb00000Line01AA', name: 'Widget', description: undefined, quantity: 0, unitPrice: 5 }] }), 'QUANTITY_INVALID'],
  ])('%s', (_label, input, code) => {
    expect(planBilling(input, { mode: 'invoice', daysUntilDue: undefined }, settings)).toMatchObject({ kind: 'cannot_bill', code });
  });

  it('rejects an unknown mode and a malformed currency', () => {
    expect(planBilling(opportunity(), { mode: 'cash', daysUntilDue: undefined }, settings)).toMatchObject({ kind: 'cannot_bill', code: 'MODE_UNSUPPORTED' });
    expect(planBilling(opportunity({ currencyIsoCode: 'US$' }), { mode: 'invoice', daysUntilDue: undefined }, { ...settings, multiCurrency: true })).toMatchObject({
      kind: 'cannot_bill',
      code: 'CURRENCY_UNSUPPORTED',
    });
  });

  it('plans whatever the Opportunity shows: whether it is billed already is for the billing record to say', () => {
    expect(planBilling(opportunity({ stripeInvoiceId: 'in_123', stripePaymentStatus: 'Paid' }), { mode: 'invoice', daysUntilDue: undefined }, settings)).toMatchObject({ kind: 'bill' });
  });
});

describe('forBillingGeneration: a re-bill gets keys of its own', () => {
  it('keeps the first billing\'s keys and prefixes the Opportunity\'s keys of later ones, not the Account\'s customer key', () => {
    const plan = billed(planBilling(opportunity(), { mode: 'invoice', daysUntilDue: undefined }, settings));
    expect(forBillingGeneration(plan, 0)).toBe(plan);
    expect(forBillingGeneration(plan, 2).steps.map((s) => s.idempotencyKey)).toEqual([
      `sfbridge:${ACC}:customer`,
      `sfbridge:${OPP}:b2:invoice`,
      `sfbridge:${OPP}:b2:item:amount`,
      `sfbridge:${OPP}:b2:finalize`,
      `sfbridge:${OPP}:b2:send`,
    ]);
  });
});

describe('shownBilling: what an Opportunity billed before billing records shows', () => {
  it('names its invoice, else its payment link', () => {
    expect(shownBilling(opportunity({ stripeInvoiceId: 'in_123', stripePaymentLinkId: 'plink_1' }))).toEqual({ stripeObjectId: 'in_123', settledStatus: undefined });
    expect(shownBilling(opportunity({ stripePaymentLinkId: 'plink_1', stripePaymentLinkUrl: 'https://buy.stripe.com/x' }))).toEqual({ stripeObjectId: 'plink_1', settledStatus: undefined });
  });

  it('says the money arrived when a webhook settled it some other way', () => {
    for (const status of ['Paid', 'Partially Paid', 'Partially Refunded', 'Refunded', 'Disputed']) {
      expect(shownBilling(opportunity({ stripePaymentStatus: status }))).toEqual({ stripeObjectId: undefined, settledStatus: status });
    }
    for (const status of ['Awaiting Payment', 'Payment Failed', 'Canceled', undefined]) {
      expect(shownBilling(opportunity({ stripePaymentStatus: status }))).toBeUndefined();
    }
  });
});

describe('resumeBilling: what an earlier run left in Stripe', () => {
  const NOW = 1_800_000_000;
  const L1 = '00kAb00000Line01AA';
  const L2 = '00kAb00000Line02AA';
  const withCustomer = () => {
    const base = opportunity({ lineItems: [line(L1, 'Widget', 3, 19.99), line(L2, 'Setup', 1, 250)] });
    return billed(planBilling({ ...base, account: { ...base.account!, stripeCustomerId: 'cus_fake_1' } }, { mode: 'invoice', daysUntilDue: undefined }, settings));
  };
  const found = (overrides: Partial<FoundInvoice>): FoundInvoice => ({
    id: 'in_fake_1',
    status: 'open',
    currency: 'usd',
    hostedInvoiceUrl: 'https://invoice.example/in_fake_1',
    finalizedAt: NOW - 60,
    items: [],
    ...overrides,
  });
  const kinds = (plan: BillingPlan) => billed(plan).steps.map((s) => s.kind);

  it('keeps the plan when nothing, or only void invoices, were found', () => {
    const plan = withCustomer();
    expect(resumeBilling(plan, [], NOW)).toBe(plan);
    expect(resumeBilling(plan, [found({ status: 'void' })], NOW)).toBe(plan);
  });

  it('only sends a recently finalized open invoice again, with the same send key', () => {
    const plan = resumeBilling(withCustomer(), [found({})], NOW);
    expect(billed(plan).steps.map((s) => [s.kind, s.idempotencyKey])).toEqual([['send_invoice', `sfbridge:${OPP}:send`]]);
    expect(billed(plan).resumedInvoice).toMatchObject({ id: 'in_fake_1', status: 'open' });
    expect(billed(plan).notice).toBeUndefined();
  });

  it('sends nothing once the send key may have expired, and tells the rep', () => {
    const plan = billed(resumeBilling(withCustomer(), [found({ finalizedAt: NOW - SEND_KEY_REPLAYABLE_SECONDS })], NOW));
    expect(plan.steps).toEqual([]);
    expect(plan.notice).toMatch(/in_fake_1 .*cannot tell whether Stripe emailed it/);
  });

  it('writes back paid and uncollectible invoices without any step, preferring them to a draft', () => {
    for (const status of ['paid', 'uncollectible'] as const) {
      const plan = billed(resumeBilling(withCustomer(), [found({ id: 'in_draft', status: 'draft', finalizedAt: undefined }), found({ status })], NOW));
      expect([plan.steps, plan.resumedInvoice?.id, plan.notice]).toEqual([[], 'in_fake_1', undefined]);
    }
  });

  it('adds only the missing items to a draft, then finalizes and sends', () => {
    const draft = found({ status: 'draft', finalizedAt: undefined, hostedInvoiceUrl: undefined, items: [{ lineId: L1, quantity: 3, amount: 5997 }] });
    const plan = resumeBilling(withCustomer(), [draft], NOW);
    expect(kinds(plan)).toEqual(['create_invoice_item', 'finalize_invoice', 'send_invoice']);
    expect(items(billed(plan).steps).map((s) => s.idempotencyKey)).toEqual([`sfbridge:${OPP}:item:${L2}`]);
  });

  it.each([
    ['an item the bridge did not add', [{ lineId: undefined, quantity: 1, amount: 100 }], 'usd'],
    ['an item for a product no longer on the Opportunity', [{ lineId: '00kAb00000Gone01AA', quantity: 1, amount: 100 }], 'usd'],
    ['an item with another price', [{ lineId: L1, quantity: 3, amount: 6000 }], 'usd'],
    ['the same item twice', [{ lineId: L1, quantity: 3, amount: 5997 }, { lineId: L1, quantity: 3, amount: 5997 }], 'usd'],
    ['another currency', [], 'eur'],
  ])('refuses a draft with %s', (_what, draftItems, currency) => {
    const plan = resumeBilling(withCustomer(), [found({ status: 'draft', finalizedAt: undefined, currency, items: draftItems })], NOW);
    expect(plan).toMatchObject({ kind: 'cannot_bill', code: 'DRAFT_INVOICE_MISMATCH', reason: expect.stringMatching(/in_fake_1.*Delete that draft/) });
  });

  it('leaves payment-link plans alone', () => {
    const plan = billed(planBilling(opportunity(), { mode: 'payment_link', daysUntilDue: undefined }, settings));
    expect(resumeBilling(plan, [found({})], NOW)).toBe(plan);
  });
});

describe('lines sold from the catalogue (BillingLine.catalog)', () => {
  const catalogPrice = (unitAmount: number, oneTime = true) => ({ priceId: 'price_list', productId: 'sfprod_01tAb00000PlanT01', unitAmount, usageType: oneTime ? undefined : ('licensed' as const), oneTime });
  const cases: ReadonlyArray<{ what: string; quantity: number; unitPrice: number; price: ReturnType<typeof catalogPrice> | undefined; expected: unknown }> = [
    { what: 'at the one-time list price', quantity: 2, unitPrice: 100, price: catalogPrice(10_000), expected: { productId: 'sfprod_01tAb00000PlanT01', priceId: 'price_list' } },
    { what: "a rep's discount", quantity: 2, unitPrice: 80, price: catalogPrice(10_000), expected: { productId: 'sfprod_01tAb00000PlanT01', priceId: undefined } },
    { what: 'above the list price', quantity: 1, unitPrice: 120, price: catalogPrice(10_000), expected: { productId: 'sfprod_01tAb00000PlanT01', priceId: undefined } },
    { what: 'a fractional quantity whose total equals the list price', quantity: 0.5, unitPrice: 200, price: catalogPrice(10_000), expected: { productId: 'sfprod_01tAb00000PlanT01', priceId: undefined } },
    { what: 'a recurring product billed once', quantity: 1, unitPrice: 100, price: catalogPrice(10_000, false), expected: { productId: 'sfprod_01tAb00000PlanT01', priceId: undefined } },
    { what: 'a negative line', quantity: 1, unitPrice: -5, price: catalogPrice(10_000), expected: undefined },
    { what: 'no price book entry', quantity: 1, unitPrice: 100, price: undefined, expected: undefined },
  ];
  it.each(cases)('$what', ({ quantity, unitPrice, price, expected }) => {
    const plan = billed(planBilling(opportunity({ lineItems: [{ ...line('00kAb00000PlanL01A', 'Kit', quantity, unitPrice), catalogPrice: price }, line('00kAb00000PlanL02A', 'Fee', 1, 50)] }), { mode: 'invoice', daysUntilDue: undefined }, settings));
    const [item] = items(plan.steps);
    expect(item?.line.catalog).toEqual(expected);
    // Whatever the price used, the money is the line's.
    expect(item!.line.unitAmount * item!.line.quantity).toBe(Math.round(unitPrice * quantity * 100));
  });
});
