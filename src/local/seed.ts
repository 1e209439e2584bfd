/**
 * The records a newcomer's first events link to: the Account and the Closed Won Opportunity whose
 * ids the sample events carry in their metadata, and the Stripe customer they name.
 */
import type { SalesforceStandIn } from './standins/salesforce-standin.js';
import type Stripe from 'stripe';
import type { StripeStandIn } from './standins/stripe-standin.js';
import {
  sampleEvent,
  SAMPLE_ACCOUNT_ID,
  SAMPLE_ACCOUNT_OWNER_ID,
  SAMPLE_ACTION_INVOICES,
  SAMPLE_ACTIVE_SUBSCRIPTION,
  SAMPLE_PAUSED_SUBSCRIPTION,
  SAMPLE_CONTRACT_ID,
  SAMPLE_CUSTOMER_ID,
  SAMPLE_JPY_OPPORTUNITY_ID,
  SAMPLE_OPPORTUNITY_ID,
  SAMPLE_ORDER_ID,
  SAMPLE_QUOTE_ID,
  SAMPLE_REFUNDABLE_PAYMENT_ID,
  SAMPLE_REFUNDABLE_PAYMENT_INTENT_ID,
  SAMPLE_REP_ID,
  SAMPLE_SUBSCRIPTION_OPPORTUNITY_ID,
  SAMPLE_CATALOGUE,
  SAMPLE_PRICEBOOK_ID,
} from './sample-events.js';

export interface SeededSalesforce {
  readonly accountId: string;
  readonly opportunityId: string;
  /** Billed in JPY: the embedded org is multi-currency, so the currency comes from the record. */
  readonly jpyOpportunityId: string;
  readonly lineItemIds: readonly string[];
}

/**
 * `linkedCustomer`: give the Account the sample Stripe customer. Only with the embedded Stripe,
 * which knows that customer; a real Stripe account does not, so the outbound flow creates one.
 */
export function seedSalesforce(salesforce: SalesforceStandIn, options: { readonly linkedCustomer: boolean }): SeededSalesforce {
  salesforce.insert('User', { Id: SAMPLE_ACCOUNT_OWNER_ID, Name: 'Sam Sample (account manager)' });
  const accountId = salesforce.insert('Account', {
    Id: SAMPLE_ACCOUNT_ID,
    Name: 'Sample Customer Ltd',
    OwnerId: SAMPLE_ACCOUNT_OWNER_ID,
    ...(options.linkedCustomer ? { Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID } : {}),
    Stripe_Billing_Email__c: 'billing@example.com',
    BillingStreet: '1 Market St',
    BillingCity: 'San Francisco',
    BillingState: 'CA',
    BillingPostalCode: '94105',
    BillingCountry: 'US',
  });
  const opportunityId = salesforce.insert('Opportunity', {
    Id: SAMPLE_OPPORTUNITY_ID,
    Name: 'Sample Customer Ltd — annual plan',
    AccountId: accountId,
    StageName: 'Closed Won',
    CloseDate: '2026-11-01',
    Amount: 49.99,
    CurrencyIsoCode: 'USD',
    Stripe_Payment_Mode__c: 'invoice',
  });
  const lineItemIds = [
    salesforce.insert('OpportunityLineItem', {
      OpportunityId: opportunityId,
      Name: 'Annual plan',
      Description: 'Annual plan, 1 seat',
      Quantity: 1,
      UnitPrice: 39.99,
      TotalPrice: 39.99,
      CurrencyIsoCode: 'USD',
    }),
    salesforce.insert('OpportunityLineItem', {
      OpportunityId: opportunityId,
      Name: 'Onboarding',
      Description: 'Onboarding session',
      Quantity: 1,
      UnitPrice: 10,
      TotalPrice: 10,
      CurrencyIsoCode: 'USD',
    }),
  ];
  const jpyOpportunityId = salesforce.insert('Opportunity', {
    Id: SAMPLE_JPY_OPPORTUNITY_ID,
    Name: 'Sample Customer Ltd — Tokyo office',
    AccountId: accountId,
    StageName: 'Closed Won',
    CloseDate: '2026-11-01',
    Amount: 15000,
    CurrencyIsoCode: 'JPY',
    Stripe_Payment_Mode__c: 'invoice',
  });
  salesforce.insert('OpportunityLineItem', {
    OpportunityId: jpyOpportunityId,
    Name: 'Annual plan',
    Description: 'Annual plan, 3 seats',
    Quantity: 3,
    UnitPrice: 5000,
    TotalPrice: 15000,
    CurrencyIsoCode: 'JPY',
  });
  seedQuoteToCash(salesforce, accountId, opportunityId);
  seedCatalogue(salesforce);
  seedSubscriptionDeal(salesforce, accountId);
  // The rep who publishes the sample commands holds the permission the bridge checks.
  salesforce.grantCustomPermission(SAMPLE_REP_ID, 'Stripe_Request_Payment');
  salesforce.grantCustomPermission(SAMPLE_REP_ID, 'Stripe_Issue_Refunds', 'Stripe_Bridge_Finance');
  salesforce.grantCustomPermission(SAMPLE_REP_ID, 'Stripe_Manage_Billing', 'Stripe_Bridge_Finance');
  // A paid payment for the `refund` sample (its PaymentIntent is in the embedded Stripe: seedStripe).
  salesforce.insert('Stripe_Payment__c', {
    Id: SAMPLE_REFUNDABLE_PAYMENT_ID,
    Name: SAMPLE_REFUNDABLE_PAYMENT_INTENT_ID,
    Stripe_Id__c: SAMPLE_REFUNDABLE_PAYMENT_INTENT_ID,
    Status__c: 'Succeeded',
    Amount__c: 120,
    Amount_Refunded__c: 0,
    Currency_Code__c: 'USD',
    Account__c: accountId,
    Opportunity__c: opportunityId,
  });
  if (options.linkedCustomer) seedServiceRecords(salesforce, accountId);
  return { accountId, opportunityId, jpyOpportunityId, lineItemIds };
}

/** The invoices and subscriptions the local invoice and subscription actions act on (embedded Stripe only: seedStripe holds them). */
function seedServiceRecords(salesforce: SalesforceStandIn, accountId: string): void {
  for (const [action, invoice] of Object.entries(SAMPLE_ACTION_INVOICES)) {
    salesforce.insert('Stripe_Invoice__c', {
      Id: invoice.recordId,
      Name: invoice.stripeId,
      Stripe_Id__c: invoice.stripeId,
      Status__c: 'Open',
      Number__c: `SAMPLE-${action.toUpperCase()}`,
      Amount_Due__c: 250,
      Amount_Remaining__c: 250,
      Currency_Code__c: 'USD',
      Account__c: accountId,
    });
  }
  for (const subscription of [SAMPLE_ACTIVE_SUBSCRIPTION, SAMPLE_PAUSED_SUBSCRIPTION]) {
    salesforce.insert('Stripe_Subscription__c', { Id: subscription.recordId, Name: subscription.stripeId, Stripe_Id__c: subscription.stripeId, Status__c: 'Active', Account__c: accountId });
  }
}

/**
 * The standard price book with one product of each kind, as a Salesforce admin sets them up for
 * the bridge (docs/subscriptions.md, "The catalogue"): the Stripe fields on Product2 say how it
 * recurs, each PricebookEntry is a list price in one currency. Nothing is in Stripe yet: the
 * first billing or `sync-product` creates the products and prices and writes their ids back.
 */
function seedCatalogue(salesforce: SalesforceStandIn): void {
  salesforce.insert('Pricebook2', { Id: SAMPLE_PRICEBOOK_ID, Name: 'Standard Price Book', IsStandard: true, IsActive: true });
  const products: ReadonlyArray<{ id: string; name: string; fields: Record<string, unknown>; entries: ReadonlyArray<{ id: string; unitPrice: number; currency: string }> }> = [
    { id: SAMPLE_CATALOGUE.seats.productId, name: 'Pro plan seat', fields: { Stripe_Billing_Interval__c: 'month', Stripe_Interval_Count__c: 1 }, entries: [{ id: SAMPLE_CATALOGUE.seats.entryId, unitPrice: 50, currency: 'USD' }] },
    {
      id: SAMPLE_CATALOGUE.annual.productId,
      name: 'Pro plan (annual)',
      fields: { Stripe_Billing_Interval__c: 'year', Stripe_Interval_Count__c: 1 },
      entries: [
        { id: SAMPLE_CATALOGUE.annual.entryId, unitPrice: 500, currency: 'USD' },
        { id: SAMPLE_CATALOGUE.annual.eurEntryId, unitPrice: 460, currency: 'EUR' },
      ],
    },
    { id: SAMPLE_CATALOGUE.onboarding.productId, name: 'Onboarding', fields: {}, entries: [{ id: SAMPLE_CATALOGUE.onboarding.entryId, unitPrice: 200, currency: 'USD' }] },
    {
      id: SAMPLE_CATALOGUE.apiCalls.productId,
      name: 'API calls',
      fields: { Stripe_Billing_Interval__c: 'month', Stripe_Interval_Count__c: 1, Stripe_Usage_Type__c: 'metered' },
      entries: [{ id: SAMPLE_CATALOGUE.apiCalls.entryId, unitPrice: 0.02, currency: 'USD' }],
    },
  ];
  for (const product of products) {
    salesforce.insert('Product2', { Id: product.id, Name: product.name, IsActive: true, ...product.fields });
    for (const entry of product.entries) {
      salesforce.insert('PricebookEntry', { Id: entry.id, Pricebook2Id: SAMPLE_PRICEBOOK_ID, Product2Id: product.id, UnitPrice: entry.unitPrice, CurrencyIsoCode: entry.currency, IsActive: true, UseStandardPrice: false });
    }
  }
}

/** 3 monthly seats and the one-time onboarding fee from the local catalogue, at list price: what `closed-won-subscription` subscribes. */
function seedSubscriptionDeal(salesforce: SalesforceStandIn, accountId: string): void {
  const opportunityId = salesforce.insert('Opportunity', {
    Id: SAMPLE_SUBSCRIPTION_OPPORTUNITY_ID,
    Name: 'Sample Customer Ltd — Pro plan',
    AccountId: accountId,
    StageName: 'Closed Won',
    CloseDate: '2026-11-01',
    Amount: 350,
    CurrencyIsoCode: 'USD',
    Stripe_Payment_Mode__c: 'subscription',
  });
  const { seats, onboarding } = SAMPLE_CATALOGUE;
  salesforce.insert('OpportunityLineItem', { OpportunityId: opportunityId, Product2Id: seats.productId, PricebookEntryId: seats.entryId, Name: 'Pro plan seat', Quantity: 3, UnitPrice: 50, TotalPrice: 150, CurrencyIsoCode: 'USD' });
  salesforce.insert('OpportunityLineItem', { OpportunityId: opportunityId, Product2Id: onboarding.productId, PricebookEntryId: onboarding.entryId, Name: 'Onboarding', Quantity: 1, UnitPrice: 200, TotalPrice: 200, CurrencyIsoCode: 'USD' });
}

/**
 * An accepted Quote (a discounted line, tax, shipping), an activated Order and an activated
 * Contract with its Order: the records `quote-accepted`, `order-activated` and
 * `contract-activated` bill.
 */
function seedQuoteToCash(salesforce: SalesforceStandIn, accountId: string, opportunityId: string): void {
  const product = (name: string): string => salesforce.insert('Product2', { Name: name });
  salesforce.insert('Quote', {
    Id: SAMPLE_QUOTE_ID,
    Name: 'Sample Customer Ltd — Q-0001',
    OpportunityId: opportunityId,
    AccountId: accountId,
    Status: 'Accepted',
    CurrencyIsoCode: 'USD',
    Subtotal: 500,
    TotalPrice: 450,
    Tax: 36,
    ShippingHandling: 15,
    GrandTotal: 501,
  });
  salesforce.insert('QuoteLineItem', { QuoteId: SAMPLE_QUOTE_ID, Product2Id: product('Team plan'), Quantity: 5, UnitPrice: 100, Discount: 10, TotalPrice: 450, CurrencyIsoCode: 'USD' });
  salesforce.insert('Contract', { Id: SAMPLE_CONTRACT_ID, AccountId: accountId, Status: 'Activated', StatusCode: 'Activated', ContractNumber: '00000001', CurrencyIsoCode: 'USD' });
  salesforce.insert('Order', { Id: SAMPLE_ORDER_ID, Name: 'Sample order', AccountId: accountId, Status: 'Activated', StatusCode: 'Activated', CurrencyIsoCode: 'USD' });
  salesforce.insert('OrderItem', { OrderId: SAMPLE_ORDER_ID, Product2Id: product('Hardware kit'), Quantity: 2, UnitPrice: 149.5, TotalPrice: 299, CurrencyIsoCode: 'USD' });
  const contractOrder = salesforce.insert('Order', { Name: 'Contract order', AccountId: accountId, ContractId: SAMPLE_CONTRACT_ID, Status: 'Activated', StatusCode: 'Activated', CurrencyIsoCode: 'USD' });
  salesforce.insert('OrderItem', { OrderId: contractOrder, Product2Id: product('Annual support'), Quantity: 1, UnitPrice: 1200, TotalPrice: 1200, CurrencyIsoCode: 'USD' });
}

/**
 * The objects the sample events name: the customer, and the sample payment's charge (a dispute
 * names only its charge; the consumer reads it to find the Opportunity, as from Stripe's API).
 */
export function seedStripe(stripe: StripeStandIn): void {
  stripe.seedCustomer({ id: SAMPLE_CUSTOMER_ID, name: 'Sample Customer Ltd', email: 'billing@example.com' });
  stripe.service.seedPayment({ id: SAMPLE_REFUNDABLE_PAYMENT_INTENT_ID, amount: 12_000, currency: 'usd', customer: SAMPLE_CUSTOMER_ID, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID, salesforce_opportunity_id: SAMPLE_OPPORTUNITY_ID } });
  const charge = sampleEvent('charge.refunded', { amountRefunded: 0, objectOverrides: { refunded: false, refunds: null } }).data.object as Stripe.Charge;
  stripe.registerCharge(charge);
  for (const [action, invoice] of Object.entries(SAMPLE_ACTION_INVOICES)) {
    stripe.seedInvoice({
      id: invoice.stripeId,
      customer: SAMPLE_CUSTOMER_ID,
      status: 'open',
      collection_method: 'send_invoice',
      number: `SAMPLE-${action.toUpperCase()}`,
      amount_due: 25_000,
      amount_paid: 0,
      amount_remaining: 25_000,
      currency: 'usd',
      hosted_invoice_url: `https://invoice.stripe.com/i/acct_test_fake/test_fake_${invoice.stripeId}`,
      metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID },
      status_transitions: {},
    });
  }
  stripe.service.seedSubscription({ id: SAMPLE_ACTIVE_SUBSCRIPTION.stripeId, customer: SAMPLE_CUSTOMER_ID, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } });
  stripe.service.seedSubscription({
    id: SAMPLE_PAUSED_SUBSCRIPTION.stripeId,
    customer: SAMPLE_CUSTOMER_ID,
    metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID },
    pause_collection: { behavior: 'keep_as_draft', resumes_at: null },
  });
}
