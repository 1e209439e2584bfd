/**
 * `npm run send-event -- story <name>`: coherent sequences played against the embedded services,
 * each on an Opportunity of its own, using the ids the bridge wrote back (the invoice or payment
 * link on the Opportunity after Closed Won), with Stripe events built from the same objects and
 * delivered signed through the real webhook, as Stripe would deliver them. Each story states
 * what must be true at its end, and checks it.
 */
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { closedWonEvent } from './platform-event.js';
import { SAMPLE_ACCOUNT_ID, SAMPLE_ACCOUNT_OWNER_ID, SAMPLE_CUSTOMER_ID, sampleEvent } from './sample-events.js';
import type { SalesforceStandIn } from './standins/salesforce-standin.js';
import type { StripeStandIn } from './standins/stripe-standin.js';

export interface StoryStep {
  readonly what: string;
  readonly id: string;
  readonly type: string;
  readonly status: string;
  readonly note?: string | undefined;
}

export interface StoryPromise {
  readonly promise: string;
  readonly ok: boolean;
  readonly actual: string;
}

export interface StoryResult {
  readonly story: string;
  readonly description: string;
  readonly opportunityId: string | undefined;
  readonly steps: readonly StoryStep[];
  readonly promises: readonly StoryPromise[];
  readonly ok: boolean;
}

/** What a story needs from the running stack. */
export interface StoryWorld {
  readonly salesforce: SalesforceStandIn;
  readonly stripe: StripeStandIn;
  readonly accountId: string;
  /** Delivers a Stripe event through the webhook, signed, and waits until the consumer is done. */
  deliver(event: Stripe.Event): Promise<{ readonly status: string; readonly note?: string | undefined }>;
  /** Runs the outbound flow for a Closed Won platform event and waits for its outcome. */
  closedWon(event: ReturnType<typeof closedWonEvent>): Promise<{ readonly status: string; readonly note?: string | undefined }>;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

interface Story {
  readonly description: string;
  /** Plays the story; returns the Opportunity it is about. */
  play(ctx: StoryContext): Promise<string | undefined>;
  /** What must hold at the end, checked against the embedded Salesforce. */
  promises(ctx: StoryContext, opportunityId: string | undefined): Array<[string, boolean, string]>;
}

interface StoryContext {
  readonly world: StoryWorld;
  readonly steps: StoryStep[];
  readonly suffix: string;
  /** A `created` that increases with each event, so the story's order is the events' order. */
  readonly tick: () => number;
  /** Ids a story's promises need (e.g. the subscription it started). */
  readonly ids: Record<string, string>;
  record(sobject: string, predicate: (r: Record<string, unknown>) => boolean): Record<string, unknown> | undefined;
}

const AMOUNT = 4999;
const CURRENCY = 'usd';

function fresh(prefix: string, suffix: string): string {
  return `${prefix}_local_${suffix}${randomBytes(3).toString('hex')}`;
}

/** An Opportunity of the sample Account (or `accountId`) with one product, Closed Won, ready to bill. */
function newOpportunity(ctx: StoryContext, mode: 'invoice' | 'payment_link', accountId = ctx.world.accountId): string {
  const { salesforce } = ctx.world;
  const opportunityId = salesforce.insert('Opportunity', {
    Name: `Story ${ctx.suffix}`,
    AccountId: accountId,
    StageName: 'Closed Won',
    CloseDate: new Date(ctx.world.now() * 1000).toISOString().slice(0, 10),
    Amount: AMOUNT / 100,
    CurrencyIsoCode: CURRENCY.toUpperCase(),
    Stripe_Payment_Mode__c: mode,
  });
  salesforce.insert('OpportunityLineItem', {
    OpportunityId: opportunityId,
    Name: 'Annual plan',
    Description: 'Annual plan, 1 seat',
    Quantity: 1,
    UnitPrice: AMOUNT / 100,
    TotalPrice: AMOUNT / 100,
    CurrencyIsoCode: CURRENCY.toUpperCase(),
  });
  return opportunityId;
}

async function bill(ctx: StoryContext, opportunityId: string, mode: 'invoice' | 'payment_link'): Promise<Record<string, unknown>> {
  const outcome = await ctx.world.closedWon(closedWonEvent({ opportunityId, mode, now: new Date(ctx.tick() * 1000) }));
  ctx.steps.push({ what: `Closed Won → ${mode === 'invoice' ? 'invoice' : 'payment link'} requested`, id: opportunityId, type: 'Stripe_Payment_Request__e', ...outcome });
  const opportunity = ctx.record('Opportunity', (o) => o.Id === opportunityId);
  if (opportunity === undefined) throw new Error(`Opportunity ${opportunityId} vanished`);
  return opportunity;
}

async function send(ctx: StoryContext, what: string, event: Stripe.Event): Promise<void> {
  const outcome = await ctx.world.deliver(event);
  ctx.steps.push({ what, id: event.id, type: event.type, ...outcome });
}

const links = (opportunityId: string) => ({ salesforce_opportunity_id: opportunityId, salesforce_account_id: SAMPLE_ACCOUNT_ID });

/** The invoice the bridge wrote back onto the Opportunity, as the embedded Stripe holds it. */
function writtenBackInvoice(ctx: StoryContext, opportunity: Record<string, unknown>): Record<string, unknown> {
  const invoiceId = opportunity.Stripe_Invoice_Id__c;
  const invoice = ctx.world.stripe.invoices().find((i) => i.id === invoiceId);
  if (typeof invoiceId !== 'string' || invoice === undefined) throw new Error(`Closed Won wrote no invoice back (Stripe_Invoice_Id__c: ${String(invoiceId)})`);
  return invoice;
}

function invoiceEvent(ctx: StoryContext, type: 'invoice.finalized' | 'invoice.payment_failed' | 'invoice.paid', invoice: Record<string, unknown>, opportunityId: string): Stripe.Event {
  return sampleEvent(type, {
    id: fresh('evt', ctx.suffix),
    created: ctx.tick(),
    objectId: invoice.id as string,
    amount: invoice.amount_due as number,
    currency: invoice.currency as string,
    customer: invoice.customer as string,
    paymentIntent: fresh('pi', ctx.suffix),
    metadata: links(opportunityId),
    objectOverrides: { number: invoice.number, hosted_invoice_url: invoice.hosted_invoice_url, invoice_pdf: invoice.invoice_pdf },
  });
}

/** A checkout through the payment link the bridge wrote back: the session and its payment. */
async function payThroughLink(ctx: StoryContext, opportunity: Record<string, unknown>): Promise<{ paymentIntent: string; charge: string }> {
  const opportunityId = opportunity.Id as string;
  const linkId = opportunity.Stripe_Payment_Link_Id__c;
  const link = ctx.world.stripe.paymentLinks().find((l) => l.id === linkId);
  if (typeof linkId !== 'string' || link === undefined) throw new Error(`Closed Won wrote no payment link back (Stripe_Payment_Link_Id__c: ${String(linkId)})`);
  const paymentIntent = fresh('pi', ctx.suffix);
  const charge = fresh('ch', ctx.suffix);
  const common = { amount: AMOUNT, currency: CURRENCY, customer: SAMPLE_CUSTOMER_ID, paymentIntent, metadata: links(opportunityId) };
  const session = sampleEvent('checkout.session.completed', { ...common, id: fresh('evt', ctx.suffix), created: ctx.tick(), objectId: fresh('cs', ctx.suffix), paymentLink: linkId });
  // Stripe keeps the completed session: the consumer asks it which link a PaymentIntent came from.
  ctx.world.stripe.seedCheckoutSession(session.data.object as unknown as Record<string, unknown>);
  await send(ctx, 'Customer paid through the payment link', session);
  await send(ctx, 'Card charged', sampleEvent('payment_intent.succeeded', { ...common, id: fresh('evt', ctx.suffix), created: ctx.tick(), objectId: paymentIntent, objectOverrides: { latest_charge: charge } }));
  // The charge as Stripe's API returns it (the consumer reads a disputed charge's links from it).
  const chargeObject = sampleEvent('charge.refunded', { ...common, objectId: charge, amountRefunded: 0, objectOverrides: { refunded: false, refunds: null } }).data.object as Stripe.Charge;
  ctx.world.stripe.registerCharge(chargeObject);
  return { paymentIntent, charge };
}

const status = (record: Record<string, unknown> | undefined, field: string): string => String(record?.[field] ?? '(none)');

/** The Opportunity's payment status and its Stripe Payment record's status at the end. */
function paymentPromises(ctx: StoryContext, opportunityId: string | undefined, opportunityStatus: string, paymentStatus: string): Array<[string, boolean, string]> {
  const opportunity = ctx.record('Opportunity', (o) => o.Id === opportunityId);
  const payment = ctx.record('Stripe_Payment__c', (p) => p.Opportunity__c === opportunityId);
  const expected = opportunityStatus.split(' (')[0];
  return [
    [`Opportunity payment status is ${opportunityStatus}`, status(opportunity, 'Stripe_Payment_Status__c') === expected, status(opportunity, 'Stripe_Payment_Status__c')],
    [`the Stripe Payment record is ${paymentStatus}`, status(payment, 'Status__c') === paymentStatus, status(payment, 'Status__c')],
  ];
}

const STORIES: Readonly<Record<string, Story>> = {
  'invoice-paid': {
    description: 'Closed Won bills an invoice; Stripe finalizes it; the customer pays it. Ends Paid.',
    async play(ctx) {
      const opportunityId = newOpportunity(ctx, 'invoice');
      const invoice = writtenBackInvoice(ctx, await bill(ctx, opportunityId, 'invoice'));
      await send(ctx, `Invoice ${String(invoice.number)} finalized`, invoiceEvent(ctx, 'invoice.finalized', invoice, opportunityId));
      ctx.world.stripe.payInvoice(invoice.id as string);
      await send(ctx, `Invoice ${String(invoice.number)} paid`, invoiceEvent(ctx, 'invoice.paid', invoice, opportunityId));
      return opportunityId;
    },
    promises(ctx, opportunityId) {
      const opportunity = ctx.record('Opportunity', (o) => o.Id === opportunityId);
      const invoice = ctx.record('Stripe_Invoice__c', (i) => i.Stripe_Id__c === opportunity?.Stripe_Invoice_Id__c);
      return [
        ['Opportunity payment status is Paid', status(opportunity, 'Stripe_Payment_Status__c') === 'Paid', status(opportunity, 'Stripe_Payment_Status__c')],
        ['the Stripe Invoice record is Paid', status(invoice, 'Status__c') === 'Paid', status(invoice, 'Status__c')],
      ];
    },
  },
  'card-declined-then-paid': {
    description: 'Closed Won bills an invoice; the card is declined (a Case opens); the customer pays. Ends Paid, with the Case closed.',
    async play(ctx) {
      const opportunityId = newOpportunity(ctx, 'invoice');
      const invoice = writtenBackInvoice(ctx, await bill(ctx, opportunityId, 'invoice'));
      await send(ctx, `Invoice ${String(invoice.number)} finalized`, invoiceEvent(ctx, 'invoice.finalized', invoice, opportunityId));
      await send(ctx, 'Payment failed: card declined', invoiceEvent(ctx, 'invoice.payment_failed', invoice, opportunityId));
      ctx.world.stripe.payInvoice(invoice.id as string);
      await send(ctx, `Invoice ${String(invoice.number)} paid with another card`, invoiceEvent(ctx, 'invoice.paid', invoice, opportunityId));
      return opportunityId;
    },
    promises(ctx, opportunityId) {
      const opportunity = ctx.record('Opportunity', (o) => o.Id === opportunityId);
      const failed = ctx.steps.find((s) => s.type === 'invoice.payment_failed');
      const caseRecord = ctx.record('Case', (c) => c.Stripe_Event_Id__c === failed?.id);
      return [
        ['Opportunity payment status is Paid', status(opportunity, 'Stripe_Payment_Status__c') === 'Paid', status(opportunity, 'Stripe_Payment_Status__c')],
        ['a Case was opened for the declined card', caseRecord !== undefined, caseRecord === undefined ? 'no Case' : `Case ${String(caseRecord.Id)}`],
        ['the Case was closed once the invoice was paid', caseRecord?.IsClosed === true, caseRecord === undefined ? 'no Case' : `Status ${String(caseRecord.Status)}`],
      ];
    },
  },
  refund: {
    description: 'Closed Won creates a payment link; the customer pays through it; the payment is refunded. Ends Refunded.',
    async play(ctx) {
      const opportunityId = newOpportunity(ctx, 'payment_link');
      const { paymentIntent, charge } = await payThroughLink(ctx, await bill(ctx, opportunityId, 'payment_link'));
      await send(
        ctx,
        'Payment refunded in full',
        sampleEvent('charge.refunded', { id: fresh('evt', ctx.suffix), created: ctx.tick(), objectId: charge, paymentIntent, amount: AMOUNT, currency: CURRENCY, metadata: links(opportunityId) }),
      );
      return opportunityId;
    },
    promises: (ctx, opportunityId) => paymentPromises(ctx, opportunityId, 'Refunded', 'Refunded'),
  },
  'dispute-lost': {
    description: 'Closed Won creates a payment link; the customer pays; the cardholder disputes the charge and wins. Ends Refunded (dispute lost).',
    async play(ctx) {
      const opportunityId = newOpportunity(ctx, 'payment_link');
      const { paymentIntent, charge } = await payThroughLink(ctx, await bill(ctx, opportunityId, 'payment_link'));
      const dispute = fresh('dp', ctx.suffix);
      const common = { objectId: dispute, paymentIntent, amount: AMOUNT, currency: CURRENCY };
      await send(ctx, 'Charge disputed (fraudulent)', sampleEvent('charge.dispute.created', { ...common, id: fresh('evt', ctx.suffix), created: ctx.tick(), objectOverrides: { charge } }));
      await send(ctx, 'Dispute closed: lost', sampleEvent('charge.dispute.closed', { ...common, id: fresh('evt', ctx.suffix), created: ctx.tick(), objectOverrides: { charge, status: 'lost' } }));
      return opportunityId;
    },
    promises: (ctx, opportunityId) => paymentPromises(ctx, opportunityId, 'Refunded (the dispute took the money back)', 'Dispute Lost'),
  },
  'failed-payment-recovery': {
    description:
      "Closed Won bills an invoice of an Account of its own; two days past due, the card is declined: a Case, a Task for the account manager, the Account At Risk; the customer pays: Case closed, Task completed, the Account Good.",
    async play(ctx) {
      // An Account of its own, so the health it ends with is this story's alone.
      const customerId = fresh('cus', ctx.suffix);
      ctx.world.stripe.seedCustomer({ id: customerId, name: 'Recovery Customer Ltd', email: 'ap@example.com' });
      const accountId = ctx.world.salesforce.insert('Account', { Name: `Story ${ctx.suffix}`, OwnerId: SAMPLE_ACCOUNT_OWNER_ID, Stripe_Customer_Id__c: customerId, BillingCountry: 'US' });
      ctx.ids.account = accountId;
      const opportunityId = newOpportunity(ctx, 'invoice', accountId);
      const invoice = writtenBackInvoice(ctx, await bill(ctx, opportunityId, 'invoice'));
      ctx.ids.invoice = invoice.id as string;
      const event = (type: 'invoice.payment_failed' | 'invoice.paid'): Stripe.Event =>
        sampleEvent(type, {
          id: fresh('evt', ctx.suffix),
          created: ctx.tick(),
          objectId: invoice.id as string,
          amount: invoice.amount_due as number,
          currency: invoice.currency as string,
          customer: customerId,
          paymentIntent: fresh('pi', ctx.suffix),
          metadata: { salesforce_opportunity_id: opportunityId, salesforce_account_id: accountId },
          objectOverrides: { number: invoice.number, hosted_invoice_url: invoice.hosted_invoice_url, invoice_pdf: invoice.invoice_pdf, due_date: ctx.world.now() - 2 * 86_400 },
        });
      await send(ctx, 'Payment failed: card declined, the invoice two days past due', event('invoice.payment_failed'));
      ctx.ids.healthAfterFailure = String(ctx.record('Account', (a) => a.Id === accountId)?.Stripe_Payment_Health__c ?? '(none)');
      ctx.world.stripe.payInvoice(invoice.id as string);
      await send(ctx, `Invoice ${String(invoice.number)} paid with another card`, event('invoice.paid'));
      return opportunityId;
    },
    promises(ctx) {
      const failed = ctx.steps.find((s) => s.type === 'invoice.payment_failed');
      const caseRecord = ctx.record('Case', (c) => c.Stripe_Event_Id__c === failed?.id);
      const task = ctx.record('Task', (t) => t.Stripe_Object_Id__c === ctx.ids.invoice);
      const account = ctx.record('Account', (a) => a.Id === ctx.ids.account);
      return [
        ['a Case was opened for the declined card', caseRecord !== undefined, caseRecord === undefined ? 'no Case' : `Case ${String(caseRecord.Id)}`],
        ['a Task told the account manager', task?.OwnerId === SAMPLE_ACCOUNT_OWNER_ID, task === undefined ? 'no Task' : `${String(task.Subject)} (owner ${String(task.OwnerId)})`],
        ['the Account was At Risk after the failure', ctx.ids.healthAfterFailure === 'At Risk', ctx.ids.healthAfterFailure ?? '(none)'],
        ['the Case was closed once the invoice was paid', caseRecord?.IsClosed === true, caseRecord === undefined ? 'no Case' : `Status ${String(caseRecord.Status)}`],
        ['the Task was completed', task?.Status === 'Completed', task === undefined ? 'no Task' : `Status ${String(task.Status)}`],
        ['the Account is Good again', account?.Stripe_Payment_Health__c === 'Good', String(account?.Stripe_Payment_Health__c ?? '(none)')],
      ];
    },
  },
  'subscription-renewal': {
    description: 'A subscription starts and its first invoice is paid; a month later it renews and the next invoice is paid. Ends Active, two invoices Paid.',
    async play(ctx) {
      const subscription = fresh('sub', ctx.suffix);
      ctx.ids.subscription = subscription;
      const metadata = { salesforce_account_id: SAMPLE_ACCOUNT_ID };
      const start = ctx.tick();
      const month = 30 * 24 * 3600;
      const subscriptionEvent = (type: 'customer.subscription.created' | 'customer.subscription.updated', at: number): Stripe.Event => ({
        // An active subscription whose period starts at `at`: at renewal Stripe sends it as updated.
        ...sampleEvent('customer.subscription.created', { id: fresh('evt', ctx.suffix), created: at, objectId: subscription, metadata }),
        type,
      }) as Stripe.Event;
      const invoice = (at: number, reason: string): Stripe.Event =>
        sampleEvent('invoice.paid', {
          id: fresh('evt', ctx.suffix),
          created: at,
          objectId: fresh('in', ctx.suffix),
          subscription,
          metadata,
          paymentIntent: fresh('pi', ctx.suffix),
          objectOverrides: { billing_reason: reason },
        });
      await send(ctx, 'Subscription started', subscriptionEvent('customer.subscription.created', start));
      await send(ctx, 'First invoice paid', invoice(start + 1, 'subscription_create'));
      await send(ctx, 'Renewed for the next month', subscriptionEvent('customer.subscription.updated', start + month));
      await send(ctx, 'Renewal invoice paid', invoice(start + month + 1, 'subscription_cycle'));
      return undefined;
    },
    promises(ctx) {
      const subscription = ctx.record('Stripe_Subscription__c', (r) => r.Stripe_Id__c === ctx.ids.subscription);
      const invoices = ctx.world.salesforce.records('Stripe_Invoice__c').filter((i) => i.Stripe_Subscription_Id__c === ctx.ids.subscription);
      // The renewal moved the period on: it now ends about two months after the story started.
      const periodEnd = Date.parse(String(subscription?.Current_Period_End__c ?? ''));
      return [
        ['the Stripe Subscription record is Active', status(subscription, 'Status__c') === 'Active', status(subscription, 'Status__c')],
        ['its current period is the renewed one', periodEnd - ctx.world.now() * 1000 > 45 * 24 * 3600 * 1000, String(subscription?.Current_Period_End__c ?? '(none)')],
        ['both invoices are Paid', invoices.length === 2 && invoices.every((i) => i.Status__c === 'Paid'), invoices.map((i) => String(i.Status__c)).join(', ') || 'no invoices'],
      ];
    },
  },
};

export const STORY_NAMES = Object.keys(STORIES);

export function storyDescription(name: string): string | undefined {
  return STORIES[name]?.description;
}

export async function playStory(name: string, world: StoryWorld): Promise<StoryResult> {
  const story = STORIES[name];
  if (story === undefined) throw new Error(`No story "${name}"`);
  let clock = world.now();
  const steps: StoryStep[] = [];
  const ctx: StoryContext = {
    world,
    steps,
    suffix: name.replace(/[^a-z]/g, '').slice(0, 6),
    tick: () => (clock += 1),
    ids: {},
    record: (sobject, predicate) => world.salesforce.records(sobject).find(predicate),
  };
  const opportunityId = await story.play(ctx);
  const promises = story.promises(ctx, opportunityId).map(([promise, ok, actual]) => ({ promise, ok, actual }));
  const failedStep = steps.some((s) => ['dead_lettered', 'retry', 'rejected', 'failed'].includes(s.status));
  return { story: name, description: story.description, opportunityId, steps, promises, ok: !failedStep && promises.every((p) => p.ok) };
}
