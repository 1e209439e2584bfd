/**
 * The admin's two clicks: the Retry quick action on a Stripe Sync Log record runs the screen flow
 * Stripe_Retry_Failed_Event, which publishes the `retry` command for a failed Stripe event.
 * Metadata shapes as for the Refund action (refund-action.test.ts): QuickAction `type` Flow with
 * `flowDefinition`; a screen flow's `recordId` input variable receives the record the action runs
 * on; a Layout's `platformActionList` puts the action on the record page. Decision operators
 * (EqualTo, StartsWith): Flow in the Metadata API Developer Guide, FlowCondition.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/catalog.js';
import { childNamed, childrenNamed, textOf } from '../../src/local/standins/xml.js';
import { DATA_MODEL } from '../../src/salesforce/data-model.js';
import { flowReader, loadPackage, NO_ELEMENT as NONE } from './sfdx-package.js';

const pkg = loadPackage();
const FLOW = 'Stripe_Retry_Failed_Event';
const { flow, named, valueOf } = flowReader(pkg, FLOW);

describe('Retry quick action on Stripe_Sync_Log__c', () => {
  it('runs the retry screen flow and sits on the sync log page', () => {
    const action = pkg.members('quickAction').get('Stripe_Sync_Log__c.Stripe_Retry');
    expect(action && textOf(action, 'type')).toBe('Flow');
    expect(action && textOf(action, 'flowDefinition')).toBe(FLOW);
    const layout = pkg.members('layout').get('Stripe_Sync_Log__c-Stripe Sync Log Layout');
    const actions = childrenNamed(childNamed(layout ?? NONE, 'platformActionList') ?? NONE, 'platformActionListItems');
    expect(actions.map((a) => [textOf(a, 'actionName'), textOf(a, 'actionType')])).toContainEqual(['Stripe_Sync_Log__c.Stripe_Retry', 'QuickAction']);
  });

  it('is an active screen flow taking the record id, reading only fields the log has', () => {
    expect(textOf(flow, 'processType')).toBe('Flow');
    expect(textOf(flow, 'status')).toBe('Active');
    const recordId = childrenNamed(flow, 'variables').find((v) => textOf(v, 'name') === 'recordId');
    expect(recordId && textOf(recordId, 'isInput')).toBe('true');
    const lookup = childrenNamed(flow, 'recordLookups')[0] ?? NONE;
    expect(textOf(lookup, 'object')).toBe('Stripe_Sync_Log__c');
    const referenced = [...JSON.stringify(flow).matchAll(/Get_Log\.(\w+)/g)].map((m) => m[1] as string);
    expect(referenced.length).toBeGreaterThan(0);
    for (const field of referenced) expect(Object.keys(DATA_MODEL['Stripe_Sync_Log__c'] ?? {}), field).toContain(field);
  });

  it('offers the retry only for a Failed log of a Stripe event', () => {
    const decision = childrenNamed(flow, 'decisions')[0] ?? NONE;
    const rule = childrenNamed(decision, 'rules')[0] ?? NONE;
    const conditions = childrenNamed(rule, 'conditions').map((c) => [textOf(c, 'leftValueReference'), textOf(c, 'operator'), valueOf(c, 'rightValue')]);
    expect(conditions).toEqual([
      ['Get_Log.Status__c', 'EqualTo', 'Failed'],
      ['Get_Log.Event_Id__c', 'StartsWith', 'evt_'],
    ]);
    expect(textOf(rule, 'conditionLogic')).toBe('and');
    expect(named(textOf(childNamed(rule, 'connector') ?? NONE, 'targetReference') ?? '')?.name).toBe('screens');
    expect(textOf(childNamed(decision, 'defaultConnector') ?? NONE, 'targetReference')).toBe('Nothing_To_Retry');
  });

  it('publishes the retry command for the record and the user, with a fault path', () => {
    const publish = childrenNamed(flow, 'recordCreates').find((c) => textOf(c, 'object') === 'Stripe_Command__e');
    const assigned = Object.fromEntries(childrenNamed(publish ?? NONE, 'inputAssignments').map((a) => [textOf(a, 'field'), valueOf(a)]));
    expect(assigned).toEqual({ Command__c: 'retry', Record_Id__c: 'recordId', Requested_By__c: '$User.Id' });
    expect(COMMANDS.get('retry')?.recordTypes.map((t) => t.sobject)).toEqual(['Stripe_Sync_Log__c']);
    expect(named(textOf(childNamed(publish ?? NONE, 'faultConnector') ?? NONE, 'targetReference') ?? '')).toBeDefined();
  });
});
