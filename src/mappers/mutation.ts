/**
 * What a mapper produces: Salesforce mutations, pure data (their type is a contract shared with
 * the Salesforce writer, in src/contracts). The consumer core writes them through the writer.
 */
import type { SalesforceMutation } from '../contracts/salesforce-mutation.js';

export {
  type ExternalIdReference,
  type SalesforceFieldValue,
  type SalesforceMutation,
  type SObjectName,
} from '../contracts/salesforce-mutation.js';

/** The effect of one Stripe event. */
export interface EventEffect {
  readonly eventId: string;
  readonly eventType: string;
  /** `event.created`, seconds since the epoch: the ordering clock. */
  readonly created: number;
  /**
   * Tie-breaker between events of the same second on the same record: the higher rank wins
   * (e.g. a refund outranks a success, a payment outranks a failure). See contracts/precedence.
   */
  readonly rank: number;
  readonly mutations: readonly SalesforceMutation[];
  /** What the mapper passed over and why (e.g. a metadata id of the wrong object): logged, not fatal. */
  readonly warnings?: readonly string[];
  /**
   * What the event says about money owed on a Stripe invoice or PaymentIntent, for the Cases
   * opened for its failures (src/inbound/case-follow-up.ts): a failure whose Case this event
   * opens, or a payment that settles those objects (their open Cases are then closed).
   */
  readonly owed?: OwedMoney;
  /**
   * A renewal or trial-end reminder the event announces: the consumer turns it into a Task for the
   * Account owner once per subscription period (src/inbound/renewal-tasks.ts).
   */
  readonly reminder?: RenewalReminder;
}

/** What a renewal Task says and whom it concerns; pure data, the owner is looked up by the consumer. */
export interface RenewalReminder {
  /** Once per subscription period: `renewal:<sub_…>:<period end>` or `trial:<sub_…>:<trial end>`. */
  readonly key: string;
  readonly kind: 'renewal' | 'trial_end';
  /** When it happens (seconds since the epoch), and how far ahead the event announced it. */
  readonly dueAt: number;
  readonly daysAhead: number;
  readonly subject: string;
  readonly description: string;
  readonly subscriptionId: string;
  /** The Account, by metadata id or through the customer's `Stripe_Customer_Id__c`. */
  readonly accountId?: string;
  readonly customerId?: string;
  /** A renewal (invoice.upcoming): what its renewal Opportunity says (src/mappers/renewal-opportunity.ts). */
  readonly renewal?: UpcomingRenewal;
}

export interface UpcomingRenewal {
  /** The upcoming invoice's amount due. */
  readonly amountDue: MinorAmount;
  /** The term it renews is a year or longer (interval year, or month × 12 or more). */
  readonly annualTerm: boolean;
  readonly customerName?: string;
  /** Live or test mode data: which Stripe Dashboard shows the subscription. */
  readonly livemode: boolean;
}

/** Money as Stripe sends it: integer minor units and a lower-case ISO 4217 code. */
export interface MinorAmount {
  readonly minor: number;
  readonly currency: string;
}

export type OwedMoney =
  /** The event's Case reports this invoice's or PaymentIntent's failure. */
  | { readonly kind: 'failed'; readonly stripeId: string }
  | {
      readonly kind: 'paid';
      /** Every invoice and PaymentIntent the payment settles (a Case may report on either). */
      readonly stripeIds: readonly string[];
      /** What was paid, as a rep reads it: `invoice in_123`, `payment pi_123`. */
      readonly what: string;
      readonly amount: MinorAmount | undefined;
      /** When it was paid, seconds since the epoch. */
      readonly paidAt: number;
    };

export type MapResult =
  | { readonly outcome: 'mapped'; readonly effect: EventEffect }
  | { readonly outcome: 'skipped'; readonly reason: string };
