/**
 * Cases only for money still owed (issue 10, finding 6), through the real paths: dynalite for the
 * dedup table and the Case ledger, jsforce over HTTP to the Salesforce stand-in (which enforces
 * the package's permission set and validation rules). A failure Case is not opened when the same
 * batch or an earlier one shows its invoice or payment paid; one opened before the payment is
 * closed with exactly one internal comment, in every arrival order, under redelivery and with
 * several consumers at once.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseLedger } from '../../src/dedup/case-ledger.js';
import type { ConsumerApp } from '../../src/inbound/consumer-app.js';
import { sampleEvent } from '../../src/local/sample-events.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';

let h: ConsumerHarness;
let seq = 0;
const id = (prefix: string) => `${prefix}_test_cases${(seq += 1)}`;
const T = 1_767_225_600;

beforeAll(async () => {
  // Counts the calls of the events' own writes: Account roll-ups are tested in test/rollups.
  h = await startConsumerHarness({ env: { ACCOUNT_ROLLUPS: 'off' } });
});
afterAll(async () => h.close());

const casesOf = (stripeObjectId: string) => h.salesforce.records('Case').filter((c) => c['Stripe_Object_Id__c'] === stripeObjectId);
const commentsOn = (caseId: unknown) => h.salesforce.records('CaseComment').filter((c) => c['ParentId'] === caseId);

function invoiceEvents(invoice: string, amount = 125_000) {
  return {
    failed: sampleEvent('invoice.payment_failed', { id: id('evt'), created: T, objectId: invoice, metadata: {}, amount }),
    paid: sampleEvent('invoice.paid', { id: id('evt'), created: T + 3600, objectId: invoice, metadata: {}, amount }),
  };
}

/** Every Case of the object closed, each with exactly one comment; returns the Cases. */
function expectClosedWithOneComment(stripeObjectId: string) {
  const cases = casesOf(stripeObjectId);
  for (const c of cases) {
    expect(c).toMatchObject({ Status: 'Closed', IsClosed: true });
    expect(commentsOn(c['Id'])).toHaveLength(1);
  }
  return cases;
}

async function deliver(app: ConsumerApp, events: readonly Stripe.Event[]): Promise<string[]> {
  const summary = await app.handle(events.map((e) => inboundRecord(e)));
  expect(summary.response.batchItemFailures).toEqual([]);
  return [...summary.outcomes.values()];
}

describe('a failure Case, then the payment', () => {
  it('closes the Case with one internal comment a rep can read (amount, currency, what, when)', async () => {
    const invoice = id('in');
    const { failed, paid } = invoiceEvents(invoice);

    await deliver(h.app, [failed]);
    expect(casesOf(invoice)).toHaveLength(1);
    expect(casesOf(invoice)[0]).toMatchObject({ IsClosed: false });

    await deliver(h.app, [paid]);

    const [closed] = expectClosedWithOneComment(invoice);
    const [comment] = commentsOn(closed?.['Id']);
    expect(comment).toMatchObject({ IsPublished: false });
    const body = String(comment?.['CommentBody']);
    expect(body).toContain('1250.00 USD');
    expect(body).toContain(`invoice`);
    expect(body).toContain(paid.id);
    expect(body).toContain('2026-01-01 01:00 UTC');
    // No emails or names (the sample invoice carries both).
    expect(body).not.toMatch(/@|Sample Customer/);
  });

  it('closes a PaymentIntent failure Case on payment_intent.succeeded, in a zero-decimal currency', async () => {
    const pi = id('pi');
    const opportunityId = h.salesforce.insert('Opportunity', { Name: 'Case deal', StageName: 'Closed Won', Amount: 5000 });
    const metadata = { salesforce_opportunity_id: opportunityId };
    const failed = sampleEvent('payment_intent.payment_failed', { id: id('evt'), created: T, objectId: pi, metadata, amount: 5000, currency: 'jpy' });
    const succeeded = sampleEvent('payment_intent.succeeded', { id: id('evt'), created: T + 60, objectId: pi, metadata, amount: 5000, currency: 'jpy' });

    await deliver(h.app, [failed]);
    expect(casesOf(pi)).toHaveLength(1);
    await deliver(h.app, [succeeded]);

    const [closed] = expectClosedWithOneComment(pi);
    expect(String(commentsOn(closed?.['Id'])[0]?.['CommentBody'])).toContain('5000 JPY');
  });
});

describe('the payment first', () => {
  it('opens no Case for an older failure that arrives after the payment', async () => {
    const invoice = id('in');
    const { failed, paid } = invoiceEvents(invoice);
    await deliver(h.app, [paid]);
    await deliver(h.app, [failed]);
    expect(casesOf(invoice)).toHaveLength(0);
  });

  it('opens no Case when the failure and the payment arrive in one batch, in either order', async () => {
    for (const order of ['failed first', 'paid first'] as const) {
      const invoice = id('in');
      const { failed, paid } = invoiceEvents(invoice);
      const calls = h.salesforce.apiCalls;
      const outcomes = await deliver(h.app, order === 'failed first' ? [failed, paid] : [paid, failed]);
      expect(outcomes).toEqual(['applied', 'applied']);
      expect(casesOf(invoice)).toHaveLength(0);
      // The batch's one Composite: nothing opened, nothing to close.
      expect(h.salesforce.apiCalls - calls).toBe(1);
    }
  });

  it('closes a Case opened while the payment was being recorded (the race, from the failure side)', async () => {
    // The payment reached the ledger, but not yet Salesforce, when the failure's Case was opened:
    // the failure's consumer then finds the payment and closes its own Case.
    const invoice = id('in');
    const { failed, paid } = invoiceEvents(invoice);
    const ledger = new CaseLedger(h.dynamo.client, { tableName: h.dynamo.tableName, now: () => h.nowMs });
    await ledger.exchange([], [{ stripeId: invoice, eventId: paid.id, what: `invoice ${invoice}`, amount: { minor: 125_000, currency: 'usd' }, paidAt: T + 3600 }]);

    await deliver(h.app, [failed]);
    expect(expectClosedWithOneComment(invoice)).toHaveLength(1);

    // The payment's own event then finds the Case closed and commented: nothing more.
    await deliver(h.app, [paid]);
    expect(expectClosedWithOneComment(invoice)).toHaveLength(1);
  });
});

describe('redelivery', () => {
  it('adds no second comment for a redelivered payment or a second event of the same payment', async () => {
    const invoice = id('in');
    const { failed, paid } = invoiceEvents(invoice);
    await deliver(h.app, [failed]);
    await deliver(h.app, [paid]);
    expect(await deliver(h.app, [paid])).toEqual(['duplicate']);
    // Another event that pays the same invoice (Stripe sends several), processed in full.
    const again = sampleEvent('invoice.paid', { id: id('evt'), created: T + 3700, objectId: invoice, metadata: {}, amount: 125_000 });
    await deliver(h.app, [again]);
    expect(expectClosedWithOneComment(invoice)).toHaveLength(1);
  });

  it('adds no second comment when the event marker was lost after the Case was closed (crash before commit)', async () => {
    const invoice = id('in');
    const { failed, paid } = invoiceEvents(invoice);
    await deliver(h.app, [failed]);
    // A cold start whose event commits are lost: the paid event will be processed twice in full.
    const app = h.coldStart({ wrapStore: (store) => ({ ...store, claim: store.claim.bind(store), release: store.release.bind(store), commit: async (c) => store.commit(c.filter((x) => !x.key.startsWith('evt_'))) }) });
    await deliver(app, [paid]);
    // The crashed attempt's lease runs out; the redelivery claims the event again.
    h.nowMs += 120_000;
    expect(await deliver(app, [paid])).toEqual(['applied']);
    h.coldStart();
    expect(expectClosedWithOneComment(invoice)).toHaveLength(1);
  });

  it('retries the payment when Salesforce fails the close, and comments once when it is back', async () => {
    const invoice = id('in');
    const { failed, paid } = invoiceEvents(invoice);
    await deliver(h.app, [failed]);
    const [opened] = casesOf(invoice);
    h.salesforce.failRecord('Case', String(opened?.['Id']), 'UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record', 1);

    const first = await h.app.handle([inboundRecord(paid)]);
    expect([...first.outcomes.values()]).toEqual(['retry']);
    expect(await deliver(h.app, [paid])).toEqual(['applied']);
    expect(expectClosedWithOneComment(invoice)).toHaveLength(1);
  });
});

describe('several consumers at once', () => {
  it('ends with every failure Case of a paid invoice closed, each with exactly one comment', async () => {
    const invoices = Array.from({ length: 8 }, () => id('in'));
    const events = invoices.flatMap((invoice) => {
      const { failed, paid } = invoiceEvents(invoice);
      // A second failure (a retry of the charge) and a second event of the same payment.
      const failedAgain = sampleEvent('invoice.payment_failed', { id: id('evt'), created: T + 1800, objectId: invoice, metadata: {}, amount: 125_000 });
      const paidAgain = sampleEvent('invoice.paid', { id: id('evt'), created: T + 3601, objectId: invoice, metadata: {}, amount: 125_000 });
      return [failed, failedAgain, paid, paidAgain];
    });
    // Each consumer gets one event of each invoice, in a rotated order, all four run at once, and
    // the stand-in answers with seeded random latency so requests interleave.
    const apps = Array.from({ length: 4 }, () => h.coldStart());
    h.salesforce.jitter = { seed: 4242, maxMs: 8 };
    try {
      await Promise.all(
        apps.map(async (app, k) => {
          for (const [i, invoice] of invoices.entries()) {
            const event = events.filter((e) => (e.data.object as { id: string }).id === invoice)[(k + i) % 4] as Stripe.Event;
            let receiveCount = 1;
            for (;;) {
              const summary = await app.handle([inboundRecord(event, { receiveCount })]);
              if (summary.response.batchItemFailures.length === 0) break;
              receiveCount += 1;
            }
          }
        }),
      );
    } finally {
      h.salesforce.jitter = undefined;
      h.coldStart();
    }
    for (const invoice of invoices) {
      const cases = expectClosedWithOneComment(invoice);
      expect(cases.length).toBeLessThanOrEqual(2);
    }
  });
});
