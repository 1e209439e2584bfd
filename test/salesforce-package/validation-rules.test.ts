/**
 * The package's validation rules say what the Salesforce stand-in models (src/local/standins), so the
 * consumer tests that rely on a rule's refusal run against the rule an admin deploys.
 * Validation rule metadata: fullName, active, errorConditionFormula, errorDisplayField,
 * errorMessage ("ValidationRule", Metadata API Developer Guide).
 */
import { describe, expect, it } from 'vitest';
import { STANDIN_VALIDATION_RULES } from '../../src/local/standins/salesforce-standin.js';
import { loadPackage } from './sfdx-package.js';
import { textOf } from './xml.js';

const rules = loadPackage().members('validationRule');

describe('validation rules', () => {
  it('are exactly the ones the Salesforce stand-in models, active, with the same field and message', () => {
    expect([...rules.keys()].sort()).toEqual(Object.keys(STANDIN_VALIDATION_RULES).sort());
    for (const [name, rule] of rules) {
      const modeled = STANDIN_VALIDATION_RULES[name];
      expect(textOf(rule, 'fullName')).toBe(name);
      expect(textOf(rule, 'active')).toBe('true');
      expect(textOf(rule, 'errorDisplayField')).toBe(modeled?.errorDisplayField);
      expect(textOf(rule, 'errorMessage')).toBe(modeled?.errorMessage);
    }
  });

  it('Stripe_Customer_Id_Set_Once refuses only replacing one Stripe customer by another', () => {
    const formula = (textOf(rules.get('Stripe_Customer_Id_Set_Once')!, 'errorConditionFormula') ?? '').replace(/\s+/g, '');
    // Filling a blank field and clearing a filled one stay allowed; inserts are never refused.
    expect(formula).toBe(
      'AND(NOT(ISNEW()),ISCHANGED(Stripe_Customer_Id__c),NOT(ISBLANK(PRIORVALUE(Stripe_Customer_Id__c))),NOT(ISBLANK(Stripe_Customer_Id__c)))',
    );
  });
});
