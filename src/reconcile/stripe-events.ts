/** `GET /v1/events` through stripe-node, as the catch-up reads it (one page per call), and one event by id. */
import type Stripe from 'stripe';
import type { StripeCall } from '../stripe/keyed-client.js';
import { CursorGoneError, type EventsPage, type ListedEvent, type ListEvents } from './catch-up.js';

export function stripeEventLister(stripe: Stripe | StripeCall): ListEvents {
  const call: StripeCall = typeof stripe === 'function' ? stripe : (_action, op) => op(stripe);
  return (params) =>
    call('events.list', async (client) => {
      try {
        const page = await client.events.list({
          types: [...params.types],
          limit: params.limit,
          created: params.created,
          ...(params.endingBefore === undefined ? {} : { ending_before: params.endingBefore }),
          ...(params.startingAfter === undefined ? {} : { starting_after: params.startingAfter }),
        });
        return { data: page.data, has_more: page.has_more } satisfies EventsPage;
      } catch (err) {
        const cursor = params.endingBefore ?? params.startingAfter;
        if (cursor !== undefined && (err as { code?: string }).code === 'resource_missing') {
          throw new CursorGoneError(`Stripe no longer lists event ${cursor}`);
        }
        const { classifyStripeError } = await import('../stripe/client.js');
        throw classifyStripeError(err, 'events.list');
      }
    });
}

/** `GET /v1/events/:id` (Events: Read); undefined when Stripe no longer has it (it keeps 30 days). */
export function stripeEventFetcher(stripe: Stripe | StripeCall): (eventId: string) => Promise<ListedEvent | undefined> {
  const call: StripeCall = typeof stripe === 'function' ? stripe : (_action, op) => op(stripe);
  return (eventId) =>
    call('events.retrieve', async (client) => {
      try {
        return await client.events.retrieve(eventId);
      } catch (err) {
        if ((err as { code?: string }).code === 'resource_missing') return undefined;
        const { classifyStripeError } = await import('../stripe/client.js');
        throw classifyStripeError(err, 'events.retrieve');
      }
    });
}
