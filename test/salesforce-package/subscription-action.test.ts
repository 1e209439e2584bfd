/**
 * A support agent's clicks on a Stripe Subscription: the quick action Subscription Action runs the
 * screen flow Stripe_Subscription_Action, which publishes cancel_subscription (at period end or
 * now), pause_subscription or resume_subscription. Metadata shapes as for the Refund and Retry
 * actions (refund-action.test.ts, retry-action.test.ts): QuickAction `type` Flow with
 * `flowDefinition`; a screen flow's `recordId` input variable receives the record the action runs
 * on; a Layout's `platformActionList` puts the action on the record page; a Decision's rule
 * compares the screen's choice (FlowCondition EqualTo) in the Metadata API Developer Guide, Flow.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/catalog.js';
import { COMMAND_PAYLOAD_FIELDS, parseCommandRequest } from '../../src/commands/command-request.js';
import { childNamed, childrenNamed, textOf, type XmlElement } from '../../src/local/standins/xml.js';
import { DATA_MODEL } from '../../src/salesforce/data-model.js';
import { commandEvent } from '../commands/support.js';
import { flowReader, loadPackage, NO_ELEMENT as NONE } from './sfdx-package.js';

const pkg = loadPackage();
const FLOW = 'Stripe_Subscription_Action';
const ACTION = 'Stripe_Subscription__c.Stripe_Subscription_Action';
const { flow, named, valueOf } = flowReader(pkg, FLOW);
const target = (element: XmlElement, connector: string): string | undefined => textOf(childNamed(element, connector) ?? NONE, 'targetReference');

/** What each choice publishes: the command and its Options__c as the commands parse them. */
const EXPECTED = {
  cancel_at_period_end: { command: 'cancel_subscription', options: { at: 'period_end' } },
  cancel_now: { command: 'cancel_subscription', options: { at: 'now' } },
  pause: { command: 'pause_subscription', options: { behavior: 'keep_as_draft' } },
  resume: { command: 'resume_subscription', options: {} },
} as const;

/** Choice value → the Stripe_Command__e the decision routes it to. */
function publishedFor(): Map<string, XmlElement | undefined> {
  const decision = childrenNamed(flow, 'decisions').find((d) => textOf(d, 'name') === 'Which_Action') ?? NONE;
  return new Map(
    childrenNamed(decision, 'rules').map((rule) => {
      const [condition, ...more] = childrenNamed(rule, 'conditions');
      expect(more).toEqual([]);
      expect([textOf(condition ?? NONE, 'leftValueReference'), textOf(condition ?? NONE, 'operator')]).toEqual(['Subscription_Action', 'EqualTo']);
      return [valueOf(condition ?? NONE, 'rightValue') ?? '', named(target(rule, 'connector') ?? '')];
    }),
  );
}

const assignmentsOf = (publish: XmlElement | undefined): Record<string, string | undefined> =>
  Object.fromEntries(childrenNamed(publish ?? NONE, 'inputAssignments').map((a) => [textOf(a, 'field') ?? '', valueOf(a)]));

describe('Subscription Action quick action on Stripe_Subscription__c', () => {
  it('runs the subscription screen flow and sits on the subscription page', () => {
    const action = pkg.members('quickAction').get(ACTION);
    expect(action && textOf(action, 'type')).toBe('Flow');
    expect(action && textOf(action, 'flowDefinition')).toBe(FLOW);
    const layout = pkg.members('layout').get('Stripe_Subscription__c-Stripe Subscription Layout');
    const actions = childrenNamed(childNamed(layout ?? NONE, 'platformActionList') ?? NONE, 'platformActionListItems');
    expect(actions.map((a) => [textOf(a, 'actionName'), textOf(a, 'actionType')])).toContainEqual([ACTION, 'QuickAction']);
  });

  it('is an active screen flow taking the record id, reading only fields the subscription has', () => {
    expect(textOf(flow, 'processType')).toBe('Flow');
    expect(textOf(flow, 'status')).toBe('Active');
    expect(textOf(flow, 'apiVersion')).toBe(textOf(pkg.members('flow').get('Stripe_Retry_Failed_Event') ?? NONE, 'apiVersion'));
    const recordId = childrenNamed(flow, 'variables').find((v) => textOf(v, 'name') === 'recordId');
    expect(recordId && textOf(recordId, 'isInput')).toBe('true');
    expect(textOf(childrenNamed(flow, 'recordLookups')[0] ?? NONE, 'object')).toBe('Stripe_Subscription__c');
    const referenced = [...JSON.stringify(flow).matchAll(/Get_Subscription\.(\w+)/g)].map((m) => m[1] as string);
    expect(referenced.length).toBeGreaterThan(0);
    for (const field of referenced) expect(Object.keys(DATA_MODEL['Stripe_Subscription__c'] ?? {}), field).toContain(field);
  });

  it('offers the four actions, cancel at period end by default', () => {
    const choices = new Map(childrenNamed(flow, 'choices').map((c) => [textOf(c, 'name'), valueOf(c)]));
    const screen = childrenNamed(flow, 'screens').find((s) => textOf(s, 'name') === 'Choose_Action') ?? NONE;
    const field = childrenNamed(screen, 'fields').find((f) => textOf(f, 'name') === 'Subscription_Action') ?? NONE;
    expect(childrenNamed(field, 'choiceReferences').map((c) => choices.get(c.text.trim()))).toEqual(Object.keys(EXPECTED));
    expect(choices.get(textOf(field, 'defaultSelectedChoiceReference'))).toBe('cancel_at_period_end');
    expect(textOf(field, 'isRequired')).toBe('true');
    expect(target(screen, 'connector')).toBe('Which_Action');
  });

  it.each(Object.entries(EXPECTED))('choice %s publishes the command the bridge parses, for the record and the user, with a fault path', (choice, expected) => {
    const publish = publishedFor().get(choice);
    expect(publish && textOf(publish, 'object')).toBe('Stripe_Command__e');
    const assigned = assignmentsOf(publish);
    for (const field of Object.keys(assigned)) expect(Object.keys(COMMAND_PAYLOAD_FIELDS), field).toContain(field);
    expect(assigned).toMatchObject({ Command__c: expected.command, Record_Id__c: 'recordId', Requested_By__c: '$User.Id' });
    expect(COMMANDS.get(expected.command)?.recordTypes.map((t) => t.sobject)).toEqual(['Stripe_Subscription__c']);

    // The Options__c string through the bridge's own parser: read without error, as documented,
    // and needing no more than the support agent's Stripe_Manage_Billing.
    const request = parseCommandRequest(commandEvent(expected.command, 'a0BAb0000000001AAA', { options: assigned['Options__c'] ?? null }));
    expect(request.optionsError).toBeUndefined();
    expect(request.options).toEqual(expected.options);
    const command = COMMANDS.get(expected.command);
    expect(command?.permission).toBe('Stripe_Manage_Billing');
    expect(command?.permissionFor?.(request)).toBeUndefined();

    expect(target(publish ?? NONE, 'connector')).toBe('Action_Requested');
    expect(target(publish ?? NONE, 'faultConnector')).toBe('Action_Not_Sent');
    expect(JSON.stringify(named('Action_Not_Sent') ?? NONE)).toContain('$Flow.FaultMessage');
  });
});
