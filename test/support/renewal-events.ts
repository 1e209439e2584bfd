/**
 * An `invoice.upcoming` event previewing a subscription renewal, built on the local sample, whose one
 * line is a subscription line as Stripe's fixture renders one (openapi fixtures3.json `line_item`:
 * `period` — "For subscription line items, this is the subscription period", API reference,
 * Invoice Line Item — and basil's `parent.subscription_item_details`). The term is the line's period.
 */
import type Stripe from 'stripe';
import { sampleEvent } from '../../src/local/sample-events.js';

const DAY = 86_400;

export interface UpcomingRenewal {
  readonly id: string;
  /** When Stripe announced it (seconds since the epoch). */
  readonly created: number;
  readonly customer: string;
  readonly subscription: string;
  readonly subscriptionItem: string;
  /** The renewal: the end of the current period (seconds since the epoch). */
  readonly renewal: number;
  /** How long the renewed term lasts (default 365 days). */
  readonly termDays?: number;
  /** Minor units of USD (default 1,200,000: 12,000.00 USD). */
  readonly amount?: number;
  readonly customerName?: string;
}

export function upcomingRenewal(options: UpcomingRenewal): Stripe.Event {
  const amount = options.amount ?? 1_200_000;
  const { renewal, subscription } = options;
  return sampleEvent('invoice.upcoming', {
    id: options.id,
    created: options.created,
    customer: options.customer,
    subscription,
    metadata: {},
    amount,
    currency: 'usd',
    objectOverrides: {
      period_end: renewal,
      ...(options.customerName === undefined ? {} : { customer_name: options.customerName }),
      lines: {
        object: 'list',
        has_more: false,
        url: '/v1/invoices/upcoming/lines',
        data: [
          {
            object: 'line_item',
            amount,
            currency: 'usd',
            period: { start: renewal, end: renewal + (options.termDays ?? 365) * DAY },
            quantity: 1,
            parent: { type: 'subscription_item_details', subscription_item_details: { proration: false, subscription, subscription_item: options.subscriptionItem } },
          },
        ],
      },
    },
  });
}
