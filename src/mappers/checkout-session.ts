/**
 * checkout.session.* → Stripe_Payment__c (keyed by the session's PaymentIntent, when it has
 * one), Opportunity/Order, and a Case when an asynchronous payment failed.
 */
import type { OpportunityPaymentStatus, PaymentStatus } from '../contracts/statuses.js';
import type { StripeCheckoutSession, StripeEventOf } from '../stripe/event-schemas.js';
import { paymentFailureCase } from './case.js';
import { customRecordLinks, idOf, linksFrom, type SalesforceLinks } from './links.js';
import { guardOf, type MapResult, type SalesforceMutation } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, money, opportunityAndOrder, stripeRecordFields, upsert, type Fields } from './records.js';
import { isoDateTime } from './time.js';

export type CheckoutSessionEventType =
  | 'checkout.session.completed'
  | 'checkout.session.async_payment_succeeded'
  | 'checkout.session.async_payment_failed'
  | 'checkout.session.expired';

interface Outcome {
  /** Undefined: the event says nothing new about the payment record. */
  readonly payment: PaymentStatus | undefined;
  /** Undefined: the Opportunity is left as it is. */
  readonly opportunity: OpportunityPaymentStatus | undefined;
  readonly rank: number;
}

const PAID: Outcome = { payment: 'Succeeded', opportunity: 'Paid', rank: RANK.SETTLED };
/** Completed, but an asynchronous method (bank debit, voucher) has not settled yet. */
const PENDING: Outcome = { payment: 'Processing', opportunity: 'Awaiting Payment', rank: RANK.OPEN };
const FAILED: Outcome = { payment: 'Failed', opportunity: 'Payment Failed', rank: RANK.FAILED };

function outcomeOf(type: CheckoutSessionEventType, session: StripeCheckoutSession): Outcome {
  switch (type) {
    case 'checkout.session.completed':
      return session.payment_status === 'unpaid' ? PENDING : PAID;
    case 'checkout.session.async_payment_succeeded':
      return PAID;
    case 'checkout.session.async_payment_failed':
      return FAILED;
    case 'checkout.session.expired':
      // A payment link stays payable: a new session opens on the next visit.
      return {
        payment: undefined,
        opportunity: session.payment_link === null ? 'Canceled' : undefined,
        rank: RANK.OPEN,
      };
  }
}

export function mapCheckoutSessionEvent(event: StripeEventOf<CheckoutSessionEventType>): MapResult {
  const session = event.data.object;
  if (session.mode === 'setup') return { outcome: 'skipped', reason: 'setup-mode session carries no payment' };
  const outcome = outcomeOf(event.type, session);
  const links = linksFrom(session.customer, session.metadata);
  const paymentIntentId = idOf(session.payment_intent);
  const invoiceId = idOf(session.invoice);

  const mutations: SalesforceMutation[] = [];
  if (paymentIntentId !== undefined && outcome.payment !== undefined) {
    mutations.push(paymentRecord(event, session, paymentIntentId, outcome.payment, links));
  }
  mutations.push(...opportunityAndOrder(links, outcome.opportunity, { id: invoiceId }));
  if (event.type === 'checkout.session.async_payment_failed') {
    const failureCase = sessionFailureCase(event.id, session, links, paymentIntentId, invoiceId);
    if (failureCase !== undefined) mutations.push(failureCase);
  }
  return effect(event, outcome.rank, mutations, 'session names no payment and no Salesforce record');
}

function paymentRecord(
  event: StripeEventOf<CheckoutSessionEventType>,
  session: StripeCheckoutSession,
  paymentIntentId: string,
  status: PaymentStatus,
  links: SalesforceLinks,
): SalesforceMutation {
  const recordLinks = customRecordLinks(links, { order: true });
  const fields: Fields = {
    ...stripeRecordFields(event, paymentIntentId),
    Status__c: status,
    Stripe_Checkout_Session_Id__c: session.id,
    Stripe_Invoice_Id__c: idOf(session.invoice),
    Stripe_Customer_Id__c: links.customerId,
    ...recordLinks.fields,
  };
  if (session.amount_total !== null && session.currency !== null) {
    const { amount, Currency_Code__c } = money(session.amount_total, session.currency);
    fields.Amount__c = amount;
    fields.Currency_Code__c = Currency_Code__c;
  }
  if (status === 'Succeeded') fields.Paid_At__c = isoDateTime(event.created);
  return upsert('Stripe_Payment__c', { field: 'Stripe_Id__c', value: paymentIntentId }, fields, recordLinks.optionalReferences);
}

function sessionFailureCase(
  eventId: string,
  session: StripeCheckoutSession,
  links: SalesforceLinks,
  paymentIntentId: string | undefined,
  invoiceId: string | undefined,
): SalesforceMutation | undefined {
  // The Case follows the record whose failure it reports, so a settled payment opens none.
  const guard =
    paymentIntentId !== undefined
      ? guardOf('Stripe_Payment__c', paymentIntentId)
      : invoiceId !== undefined
        ? guardOf('Stripe_Invoice__c', invoiceId)
        : undefined;
  if (guard === undefined || session.payment_status === 'paid') return undefined;
  return paymentFailureCase({
    eventId,
    what: 'checkout payment',
    amount:
      session.amount_total !== null && session.currency !== null
        ? { minor: session.amount_total, currency: session.currency }
        : undefined,
    objectId: session.id,
    ids: {
      'Checkout Session': session.id,
      PaymentIntent: paymentIntentId,
      Invoice: invoiceId,
      Customer: links.customerId,
      'Payment Link': idOf(session.payment_link),
    },
    links,
    guard,
  });
}
