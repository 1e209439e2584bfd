/**
 * The package's validation rules say what the Salesforce stand-in models (src/local/standins), so the
 * consumer tests that rely on a rule's refusal run against the rule an admin deploys.
 * Validation rule metadata: fullName, active, errorConditionFormula, errorDisplayField,
 * errorMessage ("ValidationRule", Metadata API Developer Guide). Formula functions as documented:
 * PRIORVALUE and ISNEW in validation rules (https://help.salesforce.com/s/articleView?id=sf.customize_functions.htm).
 *
 * The precedence rules: every versioned object rejects a save whose Stripe event key is lower
 * than the one it holds, and a Case is not opened for a failure its payment or invoice has moved
 * past. The stand-in enforces them with the same message and error location; the writer
 * recognises them by both.
 */
import { describe, expect, it } from 'vitest';
import { VERSIONED_OBJECTS } from '../../src/contracts/precedence.js';
import { STANDIN_VALIDATION_RULES } from '../../src/local/standins/salesforce-standin.js';
import {
  OLDER_EVENT_RULE,
  OLDER_ROLLUP_RULE,
  ROLLUP_VERSION_FIELD,
  SUPERSEDED_FAILURE_RULE,
  VERSION_FIELD,
  type ValidationRuleSpec,
} from '../../src/salesforce/data-model.js';
import { loadPackage } from './sfdx-package.js';
import { textOf, type XmlElement } from './xml.js';

const pkg = loadPackage();
/** Keyed `Object.Rule`, as in package.xml. */
const rules = pkg.members('validationRule');

/** The formula without layout whitespace, for comparison. */
const compact = (formula: string | undefined): string => (formula ?? '').replace(/\s+/g, '');

const precedenceRules = [...VERSIONED_OBJECTS.map((o) => `${o}.${OLDER_EVENT_RULE.fullName}`), `Case.${SUPERSEDED_FAILURE_RULE.fullName}`];
const rollupRule = `Account.${OLDER_ROLLUP_RULE.fullName}`;

describe('validation rules', () => {
  it('are exactly the ones the Salesforce stand-in models, active, with the same field and message', () => {
    const modeled = Object.entries(STANDIN_VALIDATION_RULES).map(([name, rule]) => `${rule.sobject}.${name}`);
    expect([...rules.keys()].sort()).toEqual([...modeled, ...precedenceRules, rollupRule].sort());
    for (const [name, rule] of Object.entries(STANDIN_VALIDATION_RULES)) {
      const deployed = rules.get(`${rule.sobject}.${name}`) as XmlElement;
      expect(textOf(deployed, 'fullName')).toBe(name);
      expect(textOf(deployed, 'active')).toBe('true');
      expect(textOf(deployed, 'errorDisplayField')).toBe(rule.errorDisplayField);
      expect(textOf(deployed, 'errorMessage')).toBe(rule.errorMessage);
    }
  });

  it('Stripe_Customer_Id_Set_Once refuses only replacing one Stripe customer by another', () => {
    const formula = compact(textOf(rules.get('Account.Stripe_Customer_Id_Set_Once')!, 'errorConditionFormula'));
    // Filling a blank field and clearing a filled one stay allowed; inserts are never refused.
    expect(formula).toBe(
      'AND(NOT(ISNEW()),ISCHANGED(Stripe_Customer_Id__c),NOT(ISBLANK(PRIORVALUE(Stripe_Customer_Id__c))),NOT(ISBLANK(Stripe_Customer_Id__c)))',
    );
  });

  it('no other rule reports on the precedence key, so no rejection is mistaken for a stale event', () => {
    const onKey = [...rules].filter(([, rule]) => textOf(rule, 'errorDisplayField') === VERSION_FIELD).map(([name]) => name);
    expect(onKey.sort()).toEqual([...precedenceRules].sort());
  });
});

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

  it('keeps the newest Account roll-up: a lower roll-up version is refused, as the stand-in models it', () => {
    expectRule(
      rules.get(rollupRule),
      OLDER_ROLLUP_RULE,
      `AND(NOT(ISNEW()), NOT(ISBLANK(${ROLLUP_VERSION_FIELD})), NOT(ISBLANK(PRIORVALUE(${ROLLUP_VERSION_FIELD}))), ${ROLLUP_VERSION_FIELD} < PRIORVALUE(${ROLLUP_VERSION_FIELD}))`,
    );
    expect(pkg.field('Account', ROLLUP_VERSION_FIELD)).toBeDefined();
  });

  it('compares formulas exactly (the check itself can fail)', () => {
    const rule = rules.get(`Opportunity.${OLDER_EVENT_RULE.fullName}`);
    expect(() => expectRule(rule, OLDER_EVENT_RULE, `${VERSION_FIELD} <= PRIORVALUE(${VERSION_FIELD})`)).toThrow();
  });
});
