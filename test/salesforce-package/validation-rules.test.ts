/**
 * The package's precedence rules: every versioned object rejects a save whose Stripe event key is
 * lower than the one it holds, and a Case is not opened for a failure its payment or invoice has
 * moved past. The stand-in enforces the same rules with the same message and error location
 * (src/local/standins/salesforce-standin.ts); the writer recognises them by both.
 *
 * Formula functions as documented: PRIORVALUE and ISNEW in validation rules
 * (https://help.salesforce.com/s/articleView?id=sf.customize_functions.htm), the error location
 * as `errorDisplayField` (ValidationRule metadata type).
 */
import { describe, expect, it } from 'vitest';
import { VERSIONED_OBJECTS } from '../../src/contracts/precedence.js';
import { OLDER_EVENT_RULE, SUPERSEDED_FAILURE_RULE, VERSION_FIELD, type ValidationRuleSpec } from '../../src/salesforce/data-model.js';
import { loadPackage } from './sfdx-package.js';
import { textOf, type XmlElement } from './xml.js';

const pkg = loadPackage();
const rules = pkg.members('validationRule');

/** The formula without layout whitespace, for comparison. */
const compact = (formula: string | undefined): string => (formula ?? '').replace(/\s+/g, '');

function expectRule(rule: XmlElement | undefined, spec: ValidationRuleSpec, formula: string): void {
  expect(rule).toBeDefined();
  if (rule === undefined) return;
  expect(textOf(rule, 'fullName')).toBe(spec.fullName);
  expect(textOf(rule, 'active')).toBe('true');
  expect(textOf(rule, 'errorDisplayField')).toBe(spec.errorDisplayField);
  expect(textOf(rule, 'errorMessage')).toBe(spec.errorMessage);
  expect(compact(textOf(rule, 'errorConditionFormula'))).toBe(compact(formula));
}

describe('precedence validation rules', () => {
  it.each(VERSIONED_OBJECTS)('%s rejects a save with a lower Stripe event key than the record holds', (object) => {
    expectRule(
      rules.get(`${object}.${OLDER_EVENT_RULE.fullName}`),
      OLDER_EVENT_RULE,
      `AND(NOT(ISNEW()), NOT(ISBLANK(${VERSION_FIELD})), NOT(ISBLANK(PRIORVALUE(${VERSION_FIELD}))), ${VERSION_FIELD} < PRIORVALUE(${VERSION_FIELD}))`,
    );
    expect(pkg.field(object, VERSION_FIELD), `${object}.${VERSION_FIELD}`).toBeDefined();
  });

  it('opens no Case whose payment or invoice already shows a newer state', () => {
    const parent = (relationship: string) =>
      `AND(NOT(ISBLANK(${relationship}.${VERSION_FIELD})), ${relationship}.${VERSION_FIELD} > ${VERSION_FIELD})`;
    expectRule(
      rules.get(`Case.${SUPERSEDED_FAILURE_RULE.fullName}`),
      SUPERSEDED_FAILURE_RULE,
      `AND(ISNEW(), NOT(ISBLANK(${VERSION_FIELD})), OR(${parent('Stripe_Payment__r')}, ${parent('Stripe_Invoice__r')}))`,
    );
    // Restrict makes Salesforce lock the payment or invoice while the Case is saved.
    for (const lookup of ['Stripe_Payment__c', 'Stripe_Invoice__c']) expect(textOf(pkg.field('Case', lookup) as XmlElement, 'deleteConstraint')).toBe('Restrict');
  });

  it('has no other validation rule, so no rejection is mistaken for a stale event', () => {
    expect([...rules.keys()].sort()).toEqual(
      [...VERSIONED_OBJECTS.map((o) => `${o}.${OLDER_EVENT_RULE.fullName}`), `Case.${SUPERSEDED_FAILURE_RULE.fullName}`].sort(),
    );
  });

  it('compares formulas exactly (the check itself can fail)', () => {
    const rule = rules.get(`Opportunity.${OLDER_EVENT_RULE.fullName}`);
    expect(() => expectRule(rule, OLDER_EVENT_RULE, `${VERSION_FIELD} <= PRIORVALUE(${VERSION_FIELD})`)).toThrow();
  });
});
