/** The labels an admin sees in Salesforce for the objects and fields the local views mention. */
export const SOBJECT_LABELS: Readonly<Record<string, string>> = {
  Account: 'Account',
  Opportunity: 'Opportunity',
  OpportunityLineItem: 'Opportunity Product',
  Order: 'Order',
  Product2: 'Product',
  Pricebook2: 'Price Book',
  PricebookEntry: 'Price Book Entry',
  Case: 'Case',
  Stripe_Payment__c: 'Stripe Payment',
  Stripe_Invoice__c: 'Stripe Invoice',
  Stripe_Subscription__c: 'Stripe Subscription',
  Stripe_Refund__c: 'Stripe Refund',
  Stripe_Subscription_Change__c: 'Stripe Subscription Change',
};
