/**
 * Every mutation any mapper emits, over many variants of every sample: fields exist in the
 * data model, picklist values are allowed, and nothing personal or card-like leaks.
 */
import { describe, expect, it } from 'vitest';
import { SAMPLE_ORDER_ID, type SampleEventOptions } from '../../src/local/sample-events.js';
import { isVersionedObject, STATUS_FIELD } from '../../src/contracts/precedence.js';
import type { SalesforceMutation } from '../../src/mappers/mutation.js';
import { DATA_MODEL } from '../../src/salesforce/data-model.js';
import { HANDLED_EVENT_TYPES } from '../../src/stripe/event-types.js';
import { mapSample } from './helpers.js';

const VARIANTS: readonly SampleEventOptions[] = [
  {},
  { metadata: {} },
  { metadata: {}, customer: null },
  { metadata: { salesforce_order_id: SAMPLE_ORDER_ID, salesforce_opportunity_id: '006Ab00000Sample01' } },
  { amount: 5000, currency: 'jpy' },
  { amount: 12345, currency: 'kwd' },
  { amountRefunded: 100, subscription: 'sub_test_sample0001', paymentLink: 'plink_test_sample0001' },
  // A subscription-mode checkout; on other objects the same fields read as their pre-2025 shapes.
  {
    metadata: { salesforce_opportunity_id: '006Ab00000Sample01', salesforce_order_id: SAMPLE_ORDER_ID },
    objectOverrides: { mode: 'subscription', subscription: 'sub_test_sample0001', invoice: 'in_test_sample0001', payment_intent: null },
  },
];

function allMutations(): SalesforceMutation[] {
  const mutations: SalesforceMutation[] = [];
  for (const type of HANDLED_EVENT_TYPES) {
    for (const options of VARIANTS) {
      const result = mapSample(type, options);
      if (result.outcome === 'mapped') mutations.push(...result.effect.mutations);
    }
  }
  return mutations;
}

const mutations = allMutations();

describe('mapper output contract', () => {
  it('covers every Salesforce object the bridge writes', () => {
    const seen = new Set(mutations.map((m) => m.sobject));
    for (const sobject of ['Account', 'Opportunity', 'Order', 'Case', 'Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Subscription__c']) {
      expect(seen).toContain(sobject);
    }
  });

  it('uses only fields of the data model, with allowed picklist values and writable fields', () => {
    const problems: string[] = [];
    for (const m of mutations) {
      const spec = DATA_MODEL[m.sobject];
      if (spec === undefined) {
        problems.push(`${m.sobject}: not in DATA_MODEL`);
        continue;
      }
      const keySpec = spec[m.key.field];
      if (m.key.field !== 'Id' && keySpec?.externalId !== true) problems.push(`${m.sobject}.${m.key.field}: not an external id`);
      for (const [field, value] of Object.entries(m.fields)) {
        const reference = Object.values(spec).find((f) => f.relationshipName === field);
        if (reference !== undefined) {
          if (typeof value !== 'object' || value === null) problems.push(`${m.sobject}.${field}: relationship without a reference`);
          else for (const refField of Object.keys(value)) {
            if (DATA_MODEL[reference.referenceTo ?? '']?.[refField]?.externalId !== true) {
              problems.push(`${m.sobject}.${field}.${refField}: not an external id of ${reference.referenceTo}`);
            }
          }
          continue;
        }
        const fieldSpec = spec[field];
        if (fieldSpec === undefined) problems.push(`${m.sobject}.${field}: unknown field`);
        else if (fieldSpec.readOnly) problems.push(`${m.sobject}.${field}: read-only`);
        else if (fieldSpec.values !== undefined && value !== null && !fieldSpec.values.includes(String(value))) {
          problems.push(`${m.sobject}.${field}: ${String(value)} is not an allowed value`);
        } else if (typeof value === 'string' && fieldSpec.length !== undefined && value.length > fieldSpec.length) {
          problems.push(`${m.sobject}.${field}: longer than ${fieldSpec.length}`);
        }
      }
      for (const optional of m.optionalReferences ?? []) {
        if (!(optional in m.fields)) problems.push(`${m.sobject}: optional reference ${optional} not among the fields`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('writes datetimes and dates in ISO 8601', () => {
    for (const m of mutations) {
      for (const [field, value] of Object.entries(m.fields)) {
        const type = DATA_MODEL[m.sobject]?.[field]?.type;
        if (type === 'datetime' && value !== null) expect(value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        if (type === 'date' && value !== null) expect(value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }
  });

  it('versions every write of a record state, every Case by the record it reports on; write-once facts carry no key', () => {
    for (const m of mutations) {
      if (m.sobject === 'Case') {
        expect(m.version).toBeGreaterThan(0);
        expect(Object.keys(m.fields).filter((f) => /^Stripe_(Payment|Invoice)__r$/.test(f))).toHaveLength(1);
      } else if (isVersionedObject(m.sobject) && STATUS_FIELD[m.sobject] in m.fields) {
        expect(Number.isSafeInteger(m.version), `${m.sobject} ${JSON.stringify(m.fields)}`).toBe(true);
      } else {
        expect(m.version).toBeUndefined();
        // Facts never carry the state fields that the record's key orders.
        if (isVersionedObject(m.sobject)) {
          for (const stateField of ['Name', 'Last_Stripe_Event_At__c', 'Amount__c']) expect(m.fields).not.toHaveProperty(stateField);
        }
      }
    }
    expect(mutations.filter((m) => m.version !== undefined).length).toBeGreaterThan(10);
  });

  it('carries no email, card number or raw payload', () => {
    // Precedence keys are 16-digit numbers by design; card numbers would sit in the fields.
    const json = JSON.stringify(mutations.map(({ version: _version, ...m }) => m));
    expect(json.length).toBeGreaterThan(1000);
    expect(json).not.toContain('@');
    expect(json).not.toMatch(/\d{13,19}/);
    for (const leaked of ['customer@example.com', 'Sample Customer', 'fingerprint', 'exp_month', 'billing_details', '"object"']) {
      expect(json).not.toContain(leaked);
    }
  });
});
