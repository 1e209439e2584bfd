/**
 * The code touches only what the package's permission set grants the integration user (whose
 * Minimum Access – API Only Integrations profile grants nothing): every field any mapper writes,
 * and the outbound flow's query and write-back, run against the stand-in acting as that user.
 * Each check is shown to fail on a permission set that lacks one grant.
 */
import { readdirSync, readFileSync } from 'node:fs';
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
import { objectPermissionFlags, readOnlyGrant, withoutGrant } from '../support/permission-set-edits.js';

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
    // Salesforce decides per record whether an upsert inserts (Create) or updates (Edit): it needs both.
    if (!access.objectEditable(m.sobject)) problems.add(`${m.sobject}: object not editable`);
    if (needed === 'create' && !access.objectCreatable(m.sobject)) problems.add(`${m.sobject}: object not creatable`);
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
    ['Create on an object it upserts', objectPermissionFlags(PACKAGE_XML, 'Stripe_Payment__c', { allowCreate: false }), 'Stripe_Payment__c: object not creatable'],
    ['Edit on an object it upserts', objectPermissionFlags(PACKAGE_XML, 'Case', { allowEdit: false }), 'Case: object not editable'],
  ])('fails when the permission set lacks %s', (_what, xml, problem) => {
    expect(accessProblems(integrationUserAccess(xml), mutations)).toContain(problem);
  });
});

/** What the integration user may do on each object, as the catalogue asks (read, edit, create) and the permission set grants. */
function objectGaps(access: UserAccess): string[] {
  return Object.entries(INTEGRATION_OBJECTS).flatMap(([object, { access: level, grantedThrough }]) => [
    ...(access.objectReadable(object) ? [] : [`${object}: Read`]),
    ...(allows(level, 'edit') && !access.objectEditable(object) ? [`${object}: Edit`] : []),
    ...(allows(level, 'create') && !access.objectCreatable(object) ? [`${object}: Create`] : []),
    // Least privilege: the bridge never deletes (children such as line items follow their parent's Edit; no grant of ours).
    ...(grantedThrough === undefined && access.objectDeletable(object) ? [`${object}: Delete granted`] : []),
  ]);
}

/**
 * The objects the code writes, read from the source: mutations (`sobject: 'X'`), record-port and
 * jsforce writes (`.update('X'`, `.upsert('X'`, `.create('X'`), Collections records (`type: 'X'`).
 */
function objectsWrittenBySource(): Map<string, string[]> {
  const written = new Map<string, string[]>();
  const root = new URL('../../src/', import.meta.url);
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.startsWith('local/'));
  const pattern = /sobject: '(\w+)'|\.(?:update|upsert|create)\('(\w+)'|attributes: \{ type: '(\w+)' \}/g;
  for (const file of files) {
    for (const match of readFileSync(new URL(file, root), 'utf8').matchAll(pattern)) {
      const object = match[1] ?? match[2] ?? match[3] ?? '';
      written.set(object, [...(written.get(object) ?? []), file]);
    }
  }
  return written;
}

describe('the package grants every object operation the code performs', () => {
  it('grants Read, Edit and Create as the catalogue asks, and Delete on nothing', () => {
    expect(objectGaps(integrationUserAccess())).toEqual([]);
  });

  it.each([
    ['Create on a custom object', objectPermissionFlags(PACKAGE_XML, 'Stripe_Sync_Log__c', { allowCreate: false }), 'Stripe_Sync_Log__c: Create'],
    ['Create on Opportunity (renewal Opportunities)', objectPermissionFlags(PACKAGE_XML, 'Opportunity', { allowCreate: false }), 'Opportunity: Create'],
    ['Edit on Account', objectPermissionFlags(PACKAGE_XML, 'Account', { allowEdit: false }), 'Account: Edit'],
    ['Edit Tasks (Tasks take no object permission)', PACKAGE_XML.replace(/\s*<userPermissions>\s*<enabled>true<\/enabled>\s*<name>EditTask<\/name>\s*<\/userPermissions>/, ''), 'Task: Create'],
    ['Edit on Case (CaseComments follow it)', objectPermissionFlags(PACKAGE_XML, 'Case', { allowEdit: false }), 'CaseComment: Create'],
    ['Delete granted', objectPermissionFlags(PACKAGE_XML, 'Case', { allowDelete: true }), 'Case: Delete granted'],
  ])('fails without %s', (_what, xml, gap) => {
    expect(xml).not.toBe(PACKAGE_XML);
    expect(objectGaps(integrationUserAccess(xml))).toContain(gap);
  });

  it('covers every object the source writes, at Edit or more', () => {
    const written = objectsWrittenBySource();
    // The scan finds the writers it is meant to find (mappers, case closer, sync log, catalogue sync, commands).
    expect([...written.keys()]).toEqual(expect.arrayContaining(['Account', 'Case', 'CaseComment', 'Task', 'Stripe_Sync_Log__c', 'Product2', 'PricebookEntry', 'Opportunity']));
    const missing = [...written].filter(([object]) => !allows(INTEGRATION_OBJECTS[object]?.access, 'edit')).map(([object, files]) => `${object} (${files.join(', ')})`);
    expect(missing).toEqual([]);
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
