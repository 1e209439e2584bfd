/** `GET /v1/events` through stripe-node, as the catch-up reads it (one page per call). */
import type Stripe from 'stripe';
import { classifyStripeError } from '../stripe/client.js';
import { CursorGoneError, type EventsPage, type ListEvents } from './catch-up.js';

export function stripeEventLister(stripe: Stripe): ListEvents {
  return async (params) => {
    try {
      const page = await stripe.events.list({
        types: [...params.types],
        limit: params.limit,
        created: params.created,
        ...(params.endingBefore === undefined ? {} : { ending_before: params.endingBefore }),
        ...(params.startingAfter === undefined ? {} : { starting_after: params.startingAfter }),
      });
      return { data: page.data, has_more: page.has_more } satisfies EventsPage;
    } catch (err) {
      const cursor = params.endingBefore ?? params.startingAfter;
      const stripeError = err as { type?: string; code?: string; param?: string };
      if (cursor !== undefined && stripeError.code === 'resource_missing') {
        throw new CursorGoneError(`Stripe no longer lists event ${cursor}`);
      }
      throw classifyStripeError(err, 'events.list');
    }
  };
}
