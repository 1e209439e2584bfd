/**
 * Stripe's list endpoints through stripe-node's auto-pagination (`for await` over a list pages
 * through it with `starting_after`), paced: a page is requested only when the pacer allows, so a
 * backfill stays under the account's read rate limit (Stripe: 100 requests per second per account
 * in live mode, 25 per endpoint; https://docs.stripe.com/rate-limits). stripe-node retries 429s.
 */
import type Stripe from 'stripe';
import { classifyStripeError } from '../stripe/client.js';
import type { StripeCall } from '../stripe/keyed-client.js';
import type { BackfillPorts } from './backfill.js';
import type { KindSpec, StripeObject } from './stripe-objects.js';

export const PAGE_SIZE = 100;

type Lister = (stripe: Stripe, params: Record<string, unknown>) => AsyncIterable<unknown>;

/** stripe-node's list methods by resource (each returns an auto-paginating list). */
const LISTERS: Readonly<Record<NonNullable<KindSpec['resource']>, Lister>> = {
  customers: (s, p) => s.customers.list(p),
  subscriptions: (s, p) => s.subscriptions.list(p),
  invoices: (s, p) => s.invoices.list(p),
  payment_intents: (s, p) => s.paymentIntents.list(p),
  refunds: (s, p) => s.refunds.list(p),
  disputes: (s, p) => s.disputes.list(p),
};

export function stripeObjectLister(stripe: StripeCall, pace: () => Promise<void>): BackfillPorts['list'] {
  return (spec, { createdGte, startingAfter, onListCall }) => ({
    async *[Symbol.asyncIterator]() {
      const resource = spec.resource;
      if (resource === undefined) return;
      const params = {
        ...spec.listParams,
        limit: PAGE_SIZE,
        created: { gte: createdGte },
        ...(startingAfter === undefined ? {} : { starting_after: startingAfter }),
      };
      // The client (with its key) is fetched once; the iterator requests each page lazily.
      const iterator = await stripe(`${resource}.list`, async (client) => LISTERS[resource](client, params)[Symbol.asyncIterator]());
      for (let index = 0; ; index++) {
        // The next item may need the next page: wait for the pacer first.
        if (index % PAGE_SIZE === 0) {
          await pace();
          onListCall();
        }
        let next: IteratorResult<unknown>;
        try {
          next = await iterator.next();
        } catch (err) {
          throw classifyStripeError(err, `${resource}.list`);
        }
        if (next.done === true) return;
        yield next.value as StripeObject;
      }
    },
  });
}
