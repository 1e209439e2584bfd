/**
 * The code touches only what the package's permission set grants the integration user (whose
 * Minimum Access – API Only Integrations profile grants nothing): every field any mapper writes,
 * and the outbound flow's query and write-back, run against the stand-in acting as that user.
 * Each check is shown to fail on a permission set that lacks one grant.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_ORDER_ID, type SampleEventOptions } from '../../src/local/sample-events.js';
import { INTEGRATION_PERMISSION_SET_FILE, integrationUserAccess, type UserAccess } from '../../src/local/standins/salesforce-access.js';
import { startSalesforceStandIn, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET, type SalesforceStandIn } from '../../src/local/standins/salesforce-standin.js';
import type { SalesforceMutation } from '../../src/mappers/mutation.js';
import { salesforceOpportunityRecords } from '../../src/outbound/salesforce-records.js';
import { DATA_MODEL } from '../../src/salesforce/data-model.js';
import { allows, INTEGRATION_OBJECTS } from '../../src/salesforce/integration-access.js';
import { createSalesforceSession } from '../../src/salesforce/session.js';
import { HANDLED_EVENT_TYPES } from '../../src/stripe/event-types.js';
import { mapSample } from '../mappers/helpers.js';
import { settingsFor } from '../salesforce/helpers.js';
import { readOnlyGrant, withoutGrant } from '../support/permission-set-edits.js';

const PACKAGE_XML = readFileSync(INTEGRATION_PERMISSION_SET_FILE, 'utf8');

const VARIANTS: readonly SampleEventOptions[] = [
  {},
  { metadata: {} },
  { metadata: {}, customer: null },
  { metadata: { salesforce_order_id: SAMPLE_ORDER_ID, salesforce_opportunity_id: '006Ab00000Sample01' } },
  { amountRefunded: 100, subscription: 'sub_test_sample0001', paymentLink: 'plink_test_sample0001' },
];

const mutations: SalesforceMutation[] = HANDLED_EVENT_TYPES.flatMap((type) =>
  VARIANTS.flatMap((options) => {
    const result = mapSample(type, options);
    return result.outcome === 'mapped' ? result.effect.mutations : [];
  }),
);

/** Why the integration user could not write these mutations; empty when it can. */
function accessProblems(access: UserAccess, written: readonly SalesforceMutation[]): string[] {
  const problems = new Set<string>();
  for (const m of written) {
    // An upsert on an external id creates the record when it is missing; an update by Id never does.
    const needed = m.key.field === 'Id' ? 'edit' : 'create';
    if (!allows(INTEGRATION_OBJECTS[m.sobject]?.access, needed)) problems.add(`${m.sobject}: object access ${needed} not in the catalogue`);
    if (!access.objectEditable(m.sobject)) problems.add(`${m.sobject}: object not editable`);
    const spec = DATA_MODEL[m.sobject] ?? {};
    const fields = m.key.field === 'Id' ? Object.entries(m.fields) : [...Object.entries(m.fields), [m.key.field, m.key.value] as const];
    for (const [field, value] of fields) {
      const lookup = Object.entries(spec).find(([, f]) => f.relationshipName === field);
      if (lookup === undefined) {
        if (!access.fieldEditable(m.sobject, field)) problems.add(`${m.sobject}.${field}: not editable`);
        continue;
      }
      // `Account__r: { Stripe_Customer_Id__c }` writes the lookup and reads the parent's key.
      const [lookupField, lookupSpec] = lookup;
      if (!access.fieldEditable(m.sobject, lookupField)) problems.add(`${m.sobject}.${lookupField}: not editable`);
      for (const key of Object.keys(value as object)) {
        if (!access.fieldReadable(lookupSpec.referenceTo ?? '', key)) problems.add(`${lookupSpec.referenceTo}.${key}: not readable`);
      }
    }
  }
  return [...problems].sort();
}

describe('mappers write only what the integration user may edit', () => {
  it('covers every object and a relationship written by external id', () => {
    expect(new Set(mutations.map((m) => m.sobject))).toEqual(
      new Set(['Account', 'Opportunity', 'Order', 'Case', 'Task', 'Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Subscription__c', 'Stripe_Subscription_Change__c', 'Stripe_Subscription_Item__c', 'Stripe_Refund__c']),
    );
    expect(mutations.some((m) => 'Account__r' in m.fields)).toBe(true);
    expect(mutations.some((m) => m.sobject === 'Stripe_Subscription_Change__c' && 'Stripe_Subscription__r' in m.fields)).toBe(true);
    expect(mutations.some((m) => m.sobject === 'Stripe_Refund__c' && 'Payment__r' in m.fields)).toBe(true);
    expect(mutations.some((m) => m.sobject === 'Stripe_Subscription_Item__c' && 'Subscription__r' in m.fields)).toBe(true);
    expect(mutations.some((m) => m.sobject === 'Case' && 'Account' in m.fields)).toBe(true);
  });

  it('writes every field through the package permission set', () => {
    expect(accessProblems(integrationUserAccess(), mutations)).toEqual([]);
  });

  it.each([
    ['a standard field of a Case', withoutGrant(PACKAGE_XML, 'fieldPermissions', 'Case.Subject'), 'Case.Subject: not editable'],
    ['a field granted read only', readOnlyGrant(PACKAGE_XML, 'Opportunity.Stripe_Payment_Status__c'), 'Opportunity.Stripe_Payment_Status__c: not editable'],
    ['the parent key of a relationship', withoutGrant(PACKAGE_XML, 'fieldPermissions', 'Account.Stripe_Customer_Id__c'), 'Account.Stripe_Customer_Id__c: not readable'],
    ['an object', withoutGrant(PACKAGE_XML, 'objectPermissions', 'Order'), 'Order: object not editable'],
  ])('fails when the permission set lacks %s', (_what, xml, problem) => {
    expect(accessProblems(integrationUserAccess(xml), mutations)).toContain(problem);
  });
});

describe('the outbound flow as the integration user', () => {
  const standIns: SalesforceStandIn[] = [];
  let opportunityId = '';
  let accountId = '';

  async function recordsFor(permissionSetXml: string | undefined, multiCurrency: boolean) {
    const sf = await startSalesforceStandIn({ organization: { multiCurrency }, ...(permissionSetXml === undefined ? {} : { permissionSetXml }) });
    standIns.push(sf);
    accountId = sf.insert('Account', {
      Name: 'Acme',
      Stripe_Billing_Email__c: 'billing@example.com',
      BillingStreet: '1 Main St',
      BillingCity: 'Berlin',
      BillingPostalCode: '10115',
      BillingCountry: 'DE',
    });
    opportunityId = sf.insert('Opportunity', {
      Name: 'Acme deal',
      AccountId: accountId,
      Amount: 300,
      CurrencyIsoCode: 'EUR',
      StageName: 'Closed Won',
      Stripe_Payment_Mode__c: 'invoice',
    });
    sf.insert('OpportunityLineItem', { OpportunityId: opportunityId, Name: 'Seats', Quantity: 3, UnitPrice: 100, Description: 'Annual seats' });
    const session = createSalesforceSession(settingsFor(sf.url, { clientId: STANDIN_CLIENT_ID, clientSecret: STANDIN_CLIENT_SECRET }));
    const currencyOverrides = { defaultCurrency: undefined, multiCurrency: undefined };
    return { sf, records: salesforceOpportunityRecords(session, { currencyOverrides, now: () => Date.UTC(2026, 10, 1) }) };
  }

  afterAll(async () => {
    await Promise.all(standIns.map((s) => s.close()));
  });

  it.each([false, true])('reads the org, the Opportunity, its Account and line items (multi-currency: %s)', async (multiCurrency) => {
    const { records } = await recordsFor(undefined, multiCurrency);
    // Organization and the Opportunity describe, as the integration user sees them.
    expect(await records.orgProfile()).toMatchObject({ multiCurrency, corporateCurrency: 'usd' });
    const opportunity = await records.read('Opportunity', opportunityId, { multiCurrency });
    expect(opportunity).toMatchObject({
      amount: 300,
      accountId,
      paymentMode: 'invoice',
      currencyIsoCode: multiCurrency ? 'EUR' : undefined,
      account: { name: 'Acme', billingEmail: 'billing@example.com', billingAddress: { city: 'Berlin', country: 'DE' } },
      lineItems: [{ name: 'Seats', description: 'Annual seats', quantity: 3, unitPrice: 100 }],
    });
  });

  it('writes the customer id, the invoice, the payment status and sync errors back', async () => {
    const { sf, records } = await recordsFor(undefined, false);
    await records.saveCustomerId(accountId, 'cus_test_acme');
    await records.recordBilled('Opportunity', opportunityId, {
      invoiceId: 'in_test_1',
      invoiceUrl: 'https://invoice.stripe.com/i/test',
      paymentLinkId: 'plink_test_1',
      paymentLinkUrl: 'https://buy.stripe.com/test',
      paymentStatus: { status: 'Awaiting Payment', version: 1 },
      syncError: undefined,
    });
    await records.recordSyncError('Opportunity', opportunityId, 'Stripe said no');
    expect(sf.records('Account')[0]?.Stripe_Customer_Id__c).toBe('cus_test_acme');
    expect(sf.records('Opportunity')[0]).toMatchObject({
      Stripe_Invoice_Id__c: 'in_test_1',
      Stripe_Payment_Link_Url__c: 'https://buy.stripe.com/test',
      Stripe_Payment_Status__c: 'Awaiting Payment',
      Stripe_Sync_Error__c: 'Stripe said no',
    });
  });

  it('fails to read when the permission set lacks a standard field the query selects', async () => {
    const { records } = await recordsFor(withoutGrant(PACKAGE_XML, 'fieldPermissions', 'Opportunity.Amount'), false);
    await expect(records.read('Opportunity', opportunityId, { multiCurrency: false })).rejects.toMatchObject({
      code: 'SALESFORCE_INVALID_FIELD',
      message: expect.stringContaining("No such column 'Amount' on entity 'Opportunity'"),
    });
  });

  it('fails to write back when a field it writes is granted read only', async () => {
    const { records } = await recordsFor(readOnlyGrant(PACKAGE_XML, 'Opportunity.Stripe_Sync_Error__c'), false);
    await expect(records.recordSyncError('Opportunity', opportunityId, 'x')).rejects.toMatchObject({ code: 'SALESFORCE_INVALID_FIELD_FOR_INSERT_UPDATE' });
  });
});
