/**
 * The agent's two clicks: the Refund quick action on a Stripe Payment runs the screen flow
 * Stripe_Refund_Payment, which publishes the `refund` command with the amount and reason entered.
 * Metadata shapes: QuickAction `type` Flow with `flowDefinition` naming the flow (Metadata API,
 * QuickAction); a screen flow's `recordId` input variable receives the record the action runs on;
 * a Layout's `platformActionList` puts the action on the record page.
 */
import { describe, expect, it } from 'vitest';
import { childNamed, childrenNamed, textOf, type XmlElement } from '../../src/local/standins/xml.js';
import { REFUND_REASONS } from '../../src/stripe/refunds.js';
import { loadPackage } from './sfdx-package.js';

const pkg = loadPackage();
const FLOW = 'Stripe_Refund_Payment';
const flow = pkg.members('flow').get(FLOW) ?? ({ name: 'Flow', attributes: {}, children: [] } as unknown as XmlElement);
const valueOf = (assignment: XmlElement): string | undefined => {
  const value = childNamed(assignment, 'value') ?? ({} as XmlElement);
  return textOf(value, 'elementReference') ?? textOf(value, 'stringValue');
};

describe('Refund quick action on Stripe_Payment__c', () => {
  it('runs the refund screen flow and sits on the payment page', () => {
    const action = pkg.members('quickAction').get('Stripe_Payment__c.Stripe_Refund');
    expect(action).toBeDefined();
    expect(action && textOf(action, 'type')).toBe('Flow');
    expect(action && textOf(action, 'flowDefinition')).toBe(FLOW);
    const layout = pkg.members('layout').get('Stripe_Payment__c-Stripe Payment Layout');
    const actions = childrenNamed(childNamed(layout ?? ({} as XmlElement), 'platformActionList') ?? ({} as XmlElement), 'platformActionListItems');
    expect(actions.map((a) => textOf(a, 'actionName'))).toContain('Stripe_Payment__c.Stripe_Refund');
  });

  it('is an active screen flow taking the record id', () => {
    expect(textOf(flow, 'processType')).toBe('Flow');
    expect(textOf(flow, 'status')).toBe('Active');
    const recordId = childrenNamed(flow, 'variables').find((v) => textOf(v, 'name') === 'recordId');
    expect(recordId && textOf(recordId, 'isInput')).toBe('true');
  });

  it('publishes the refund command for the record, the amount and reason entered, and the user', () => {
    const publish = childrenNamed(flow, 'recordCreates').find((c) => textOf(c, 'object') === 'Stripe_Command__e');
    expect(publish).toBeDefined();
    const assigned = Object.fromEntries(childrenNamed(publish ?? ({} as XmlElement), 'inputAssignments').map((a) => [textOf(a, 'field'), valueOf(a)]));
    expect(assigned).toEqual({ Command__c: 'refund', Record_Id__c: 'recordId', Amount__c: 'Refund_Amount', Reason__c: 'Refund_Reason', Requested_By__c: '$User.Id' });
    expect(publish && childNamed(publish, 'faultConnector')).toBeDefined();
  });

  it('offers exactly the reasons Stripe accepts, with an amount of up to three decimals (KWD)', () => {
    const choices = childrenNamed(flow, 'choices').map((c) => textOf(childNamed(c, 'value') ?? ({} as XmlElement), 'stringValue'));
    expect([...choices].sort()).toEqual([...REFUND_REASONS].sort());
    const fields = childrenNamed(flow, 'screens').flatMap((s) => childrenNamed(s, 'fields'));
    const amount = fields.find((f) => textOf(f, 'name') === 'Refund_Amount');
    expect(amount && textOf(amount, 'scale')).toBe('3');
    expect(amount && textOf(amount, 'isRequired')).toBe('false');
  });
});
