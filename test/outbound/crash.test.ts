/**
 * A crash at every step of the outbound flow, then the same payment request again 25 hours later
 * (a DLQ replay, after Stripe forgot every idempotency key): the Opportunity is billed once.
 *
 * A crash is the process dying right after a step took effect: Stripe carried out the request
 * but its answer is lost (the stand-in's `afterExecuting` failure), a DynamoDB or Salesforce
 * write landed but the code never continued; and the dedup claim is never given back (it expires
 * with its lease). Everything runs through the real code paths: dynalite, stripe-node over HTTP,
 * jsforce over HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BillingRecordsPort } from '../../src/outbound/billing-claim.js';
import type { OpportunityRecords } from '../../src/outbound/salesforce-records.js';
import { TransientError } from '../../src/errors.js';
import { paymentRequestEvent, seedOpportunity, startOutboundHarness, type ColdStartOptions, type OutboundHarness } from './harness.js';

let h: OutboundHarness;

beforeAll(async () => {
  h = await startOutboundHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.reset();
});

const died = (): TransientError => new TransientError('The process died here (simulated)', { code: 'SIMULATED_CRASH' });

/** Calls through to `target`, except the named methods, which get `wrap(original)`. */
function intercept<T extends object>(target: T, overrides: Partial<Record<keyof T, (original: (...args: never[]) => Promise<unknown>) => unknown>>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      const original = (value as (...args: never[]) => Promise<unknown>).bind(object);
      const override = overrides[property as keyof T];
      return override === undefined ? original : override(original);
    },
  });
}

/** The crash points of one flow: each arms the fault and says where the process dies. */
interface CrashPoint {
  readonly after: string;
  arm(): ColdStartOptions;
}

/** The dedup claim of a dead process is never released: it expires with its lease. */
const noRelease: ColdStartOptions = { wrapStore: (store) => intercept(store, { release: () => async () => {} }) };

function afterBillingWrite(n: number, after: string): CrashPoint {
  return {
    after,
    arm: () => {
      let writes = 0;
      const dieOnNth = (original: (...args: never[]) => Promise<unknown>) => async (...args: never[]) => {
        const result = await original(...args);
        writes += 1;
        if (writes === n) throw died();
        return result;
      };
      return { ...noRelease, wrapBillings: (b: BillingRecordsPort) => intercept(b, { create: dieOnNth, update: dieOnNth, remove: dieOnNth }) };
    },
  };
}

function afterStripe(idempotencyKey: RegExp, after: string): CrashPoint {
  return {
    after,
    arm: () => {
      h.stripe.failNextRequests(1, 500, { idempotencyKey, afterExecuting: true });
      return noRelease;
    },
  };
}

function afterSalesforce(method: 'saveCustomerId' | 'recordBilled', after: string): CrashPoint {
  return {
    after,
    arm: () => ({
      ...noRelease,
      wrapRecords: (records: OpportunityRecords) =>
        intercept(records, {
          [method]: (original: (...args: never[]) => Promise<unknown>) => async (...args: never[]) => {
            await original(...args);
            throw died();
          },
        }),
    }),
  };
}

const INVOICE_CRASHES: readonly CrashPoint[] = [
  afterBillingWrite(1, 'the billing record was taken'),
  afterStripe(/:customer$/, 'Stripe created the customer'),
  afterSalesforce('saveCustomerId', "the customer id reached the Account"),
  afterStripe(/:invoice$/, 'Stripe created the draft invoice'),
  afterBillingWrite(2, 'the invoice was attached to the billing record'),
  afterStripe(/:item:/, 'Stripe added the invoice item'),
  afterStripe(/:finalize$/, 'Stripe finalized the invoice'),
  afterStripe(/:send$/, 'Stripe emailed the invoice'),
  afterBillingWrite(3, 'the billing record was marked billed'),
  afterSalesforce('recordBilled', 'the write-back reached the Opportunity'),
];

const LINK_CRASHES: readonly CrashPoint[] = [
  afterBillingWrite(1, 'the billing record was taken'),
  afterStripe(/:price:/, 'Stripe created the price'),
  afterStripe(/:payment_link$/, 'Stripe created the payment link'),
  afterBillingWrite(2, 'the link was attached to the billing record'),
  afterBillingWrite(3, 'the billing record was marked billed'),
  afterSalesforce('recordBilled', 'the write-back reached the Opportunity'),
];

const opportunity = (id: string) => h.salesforce.records('Opportunity').find((o) => o.Id === id) ?? {};

/** Crash once, wait 25 hours (Stripe's keys expire after 24), deliver the same event again. */
async function crashThenReplay(point: CrashPoint, mode: 'invoice' | 'payment_link') {
  const { opportunityId } = seedOpportunity(h.salesforce, { lines: [{ Name: 'Widget', Quantity: 3, UnitPrice: 19.99 }] });
  const event = paymentRequestEvent(opportunityId, { mode });
  h.coldStart({}, point.arm());
  await expect(h.app.handle(event), `dies after ${point.after}`).rejects.toMatchObject({ kind: 'transient' });

  h.nowMs += 25 * 3600 * 1000;
  h.stripe.expireIdempotencyKeys();
  h.coldStart();
  const replay = await h.app.handle(structuredClone(event));
  return { opportunityId, replay };
}

describe('a crash at every step of the outbound flow, then a replay 25 hours later', () => {
  it.each(INVOICE_CRASHES.map((p) => [p.after, p] as const))('invoice mode, dies after %s: one invoice, emailed at most once', async (_after, point) => {
    const { opportunityId, replay } = await crashThenReplay(point, 'invoice');

    expect(replay.outcome).toBe('invoiced');
    const invoices = h.stripe.invoices().filter((i) => i.metadata.salesforce_opportunity_id === opportunityId && i.status !== 'void');
    expect(invoices.map((i) => [i.id, i.status, i.amount_due])).toEqual([[replay.invoiceId, 'open', 5997]]);
    const sends = h.stripe.requests.filter((r) => r.path === `/v1/invoices/${replay.invoiceId}/send` && !r.replayed && (r.status < 300 || r.lostAnswer === true));
    expect(sends.length).toBeLessThanOrEqual(1);
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Invoice_Id__c: replay.invoiceId, Stripe_Payment_Status__c: 'Awaiting Payment' });
    expect(await h.billings.get('Opportunity', opportunityId)).toMatchObject({ state: 'billed', mode: 'invoice', stripeObjectId: replay.invoiceId, amount: 5997, currency: 'usd' });
  });

  it.each(LINK_CRASHES.map((p) => [p.after, p] as const))('payment link mode, dies after %s: one payable link', async (_after, point) => {
    const { opportunityId, replay } = await crashThenReplay(point, 'payment_link');

    expect(replay.outcome).toBe('payment_link_created');
    const active = h.stripe.paymentLinks().filter((l) => l.metadata.salesforce_opportunity_id === opportunityId && l.active === true);
    expect(active.map((l) => l.id)).toEqual([replay.paymentLinkId]);
    expect(active[0]?.restrictions).toMatchObject({ completed_sessions: { limit: 1 } });
    expect(opportunity(opportunityId)).toMatchObject({ Stripe_Payment_Link_Id__c: replay.paymentLinkId, Stripe_Payment_Link_Url__c: active[0]?.url });
    expect(await h.billings.get('Opportunity', opportunityId)).toMatchObject({ state: 'billed', mode: 'payment_link', stripeObjectId: replay.paymentLinkId });
  });
});
