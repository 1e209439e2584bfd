/**
 * checkout.session.* → Stripe_Payment__c (keyed by the session's PaymentIntent, when one is
 * known), Opportunity/Order, the links of a subscription-mode session's subscription and first
 * invoice, and a Case when an asynchronous payment failed.
 */
import type { OpportunityPaymentStatus, PaymentStatus } from '../contracts/statuses.js';
import { invoicePaymentIntentId } from '../stripe/api-versions.js';
import type { StripeCheckoutSession, StripeEventOf } from '../stripe/event-schemas.js';
import { paymentFailureCase } from './case.js';
import { customRecordLinks, idOf, linksFrom, type SalesforceLinks } from './links.js';
import type { MapResult, OwedMoney, SalesforceMutation } from './mutation.js';
import { RANK } from './ranks.js';
import { effect, factsUpsert, money, revenueRecords, stripeRecordFields, upsert, type Fields } from './records.js';
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
/**
 * Completed without a payment (`no_payment_required`: a free trial, a 100 % discount): nothing was
 * paid and nothing failed, so the Opportunity keeps its status; the links are still written.
 */
const NOTHING_PAID: Outcome = { payment: undefined, opportunity: undefined, rank: RANK.OPEN };

function outcomeOf(type: CheckoutSessionEventType, session: StripeCheckoutSession): Outcome {
  switch (type) {
    case 'checkout.session.completed':
      if (session.payment_status === 'paid') return PAID;
      if (session.payment_status === 'unpaid') return PENDING;
      return NOTHING_PAID;
    case 'checkout.session.async_payment_succeeded':
      return PAID;
    case 'checkout.session.async_payment_failed':
      return FAILED;
    case 'checkout.session.expired':
      // A payment link stays payable: a new session opens on the next visit.
      return {
        payment: undefined,
        opportunity: idOf(session.payment_link) === undefined ? 'Canceled' : undefined,
        rank: RANK.OPEN,
      };
  }
}

/**
 * The session's PaymentIntent: its own in payment mode; in subscription mode the one that paid
 * its first invoice, known only when the consumer expanded the invoice (webhooks name it by id).
 */
function paymentIntentOf(session: StripeCheckoutSession): string | undefined {
  const own = idOf(session.payment_intent);
  if (own !== undefined) return own;
  return typeof session.invoice === 'object' && session.invoice !== null ? invoicePaymentIntentId(session.invoice) : undefined;
}

export function mapCheckoutSessionEvent(event: StripeEventOf<CheckoutSessionEventType>): MapResult {
  const session = event.data.object;
  if (session.mode === 'setup') return { outcome: 'skipped', reason: 'setup-mode session carries no payment' };
  const outcome = outcomeOf(event.type, session);
  const links = linksFrom(session.customer, session.metadata);
  const paymentIntentId = paymentIntentOf(session);
  const invoiceId = idOf(session.invoice);

  const mutations: SalesforceMutation[] = [];
  if (paymentIntentId !== undefined && outcome.payment !== undefined) {
    mutations.push(paymentRecord(event, session, paymentIntentId, outcome.payment, links));
  }
  mutations.push(...revenueRecords(links, outcome.opportunity, { id: invoiceId }));
  if (event.type !== 'checkout.session.expired') mutations.push(...subscriptionLinks(session, links, invoiceId));
  let owed: OwedMoney | undefined = outcome === PAID ? paidSession(event, session, [paymentIntentId, invoiceId]) : undefined;
  if (event.type === 'checkout.session.async_payment_failed') {
    const failure = sessionFailureCase(event.id, session, links, paymentIntentId, invoiceId);
    if (failure !== undefined) {
      mutations.push(failure.mutation);
      owed = { kind: 'failed', stripeId: failure.reportsOn };
    }
  }
  return effect(event, outcome.rank, mutations, 'session names no payment and no Salesforce record', links, owed);
}

/** A paid session settles its PaymentIntent and its invoice (a Case reports on one of them). */
function paidSession(
  event: StripeEventOf<CheckoutSessionEventType>,
  session: StripeCheckoutSession,
  ids: ReadonlyArray<string | undefined>,
): OwedMoney | undefined {
  const stripeIds = ids.filter((id): id is string => id !== undefined);
  if (stripeIds.length === 0) return undefined;
  return {
    kind: 'paid',
    stripeIds,
    what: `checkout payment ${session.id}`,
    amount: typeof session.amount_total === 'number' && typeof session.currency === 'string' ? { minor: session.amount_total, currency: session.currency } : undefined,
    paidAt: event.created,
  };
}

/**
 * A subscription-mode session names the Opportunity (and Order) it sells; the subscription it
 * created and its first invoice usually do not (their metadata is the subscription's own). The
 * session links both records to them, as facts next to their state, so that neither a later
 * subscription update nor an earlier invoice event can undo or block the link.
 */
function subscriptionLinks(session: StripeCheckoutSession, links: SalesforceLinks, invoiceId: string | undefined): SalesforceMutation[] {
  const mutations: SalesforceMutation[] = [];
  const subscriptionId = idOf(session.subscription);
  if (subscriptionId !== undefined && links.opportunityId !== undefined) {
    mutations.push(
      factsUpsert('Stripe_Subscription__c', { field: 'Stripe_Id__c', value: subscriptionId }, 'checkout', { Opportunity__c: links.opportunityId }, ['Opportunity__c']),
    );
  }
  if (invoiceId !== undefined && (links.opportunityId !== undefined || links.orderId !== undefined)) {
    const fields: Fields = { Opportunity__c: links.opportunityId, Order__c: links.orderId };
    const references = Object.keys(fields).filter((name) => fields[name] !== undefined);
    mutations.push(factsUpsert('Stripe_Invoice__c', { field: 'Stripe_Id__c', value: invoiceId }, 'checkout', fields, references));
  }
  return mutations;
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
  if (typeof session.amount_total === 'number' && typeof session.currency === 'string') {
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
): { readonly mutation: SalesforceMutation; readonly reportsOn: string } | undefined {
  // The Case follows the record whose failure it reports, so a settled payment opens none.
  const reportsOn =
    paymentIntentId !== undefined
      ? ({ sobject: 'Stripe_Payment__c', stripeId: paymentIntentId } as const)
      : invoiceId !== undefined
        ? ({ sobject: 'Stripe_Invoice__c', stripeId: invoiceId } as const)
        : undefined;
  if (reportsOn === undefined || session.payment_status === 'paid') return undefined;
  const mutation = paymentFailureCase({
    eventId,
    what: 'checkout payment',
    amount:
      typeof session.amount_total === 'number' && typeof session.currency === 'string'
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
    reportsOn,
  });
  return { mutation, reportsOn: reportsOn.stripeId };
}
