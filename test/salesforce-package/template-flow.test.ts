/**
 * The record-triggered Flow template on Stripe_Payment__c (issue 14): shipped inactive, it shows an
 * admin where automation on the bridge's records goes. Flow metadata (Metadata API Developer Guide,
 * "Flow"): `status` is a FlowVersionStatus, Active | Draft | Obsolete | InvalidDraft, and a Draft
 * version is inactive wherever it is deployed; a faultConnector takes an element's fault, so the
 * record save that triggered the flow goes on.
 */
import { describe, expect, it } from 'vitest';
import { childNamed, childrenNamed, textOf, type XmlElement } from '../../src/local/standins/xml.js';
import { DATA_MODEL } from '../../src/salesforce/data-model.js';
import { BYPASS_AUTOMATION_PERMISSION } from '../../src/salesforce/permission-sets.js';
import { fieldExists } from './report-references.js';
import { loadPackage, readProject } from './sfdx-package.js';

const pkg = loadPackage();
const NONE = {} as XmlElement;
const flow = pkg.members('flow').get('Stripe_Payment_Automation_Template') ?? NONE;
const start = childNamed(flow, 'start') ?? NONE;
const elements = new Map(flow.children.filter((c) => c.name !== 'processMetadataValues' && childNamed(c, 'name') !== undefined).map((c) => [textOf(c, 'name') ?? '', c]));
const target = (element: XmlElement, connector: string): string | undefined => {
  const c = childNamed(element, connector);
  return c === undefined ? undefined : textOf(c, 'targetReference');
};
const descendants = (element: XmlElement, name: string): XmlElement[] => element.children.flatMap((c) => [...(c.name === name ? [c] : []), ...descendants(c, name)]);

describe('flow Stripe_Payment_Automation_Template', () => {
  it('is shipped inactive (Draft), record-triggered after save on Stripe_Payment__c when it becomes Succeeded', () => {
    expect(flow).not.toBe(NONE);
    expect(textOf(flow, 'status')).toBe('Draft');
    expect(textOf(flow, 'processType')).toBe('AutoLaunchedFlow');
    expect(textOf(flow, 'apiVersion')).toBe(readProject().sourceApiVersion);
    expect(textOf(start, 'object')).toBe('Stripe_Payment__c');
    expect(textOf(start, 'triggerType')).toBe('RecordAfterSave');
    expect(textOf(start, 'recordTriggerType')).toBe('CreateAndUpdate');
    expect(textOf(start, 'doesRequireRecordChangedToMeetCriteria')).toBe('true');
    const filters = childrenNamed(start, 'filters').map((f) => [textOf(f, 'field'), textOf(f, 'operator'), textOf(childNamed(f, 'value') ?? NONE, 'stringValue')]);
    expect(filters).toEqual([['Status__c', 'EqualTo', 'Succeeded']]);
  });

  it('does nothing for users with the bypass permission, then applies its example rule', () => {
    const bypass = elements.get(target(start, 'connector') ?? '') ?? NONE;
    expect(bypass.name).toBe('decisions');
    const [rule] = childrenNamed(bypass, 'rules');
    expect(textOf(childNamed(rule ?? NONE, 'conditions') ?? NONE, 'leftValueReference')).toBe(`$Permission.${BYPASS_AUTOMATION_PERMISSION}`);
    expect(childNamed(rule ?? NONE, 'connector'), 'the bypass outcome ends the flow').toBeUndefined();
    expect(elements.get(target(bypass, 'defaultConnector') ?? '')?.name).toBe('decisions');
  });

  it('catches the fault of its action, so it never fails the bridge write that triggered it', () => {
    const actions = [...childrenNamed(flow, 'recordCreates'), ...childrenNamed(flow, 'recordUpdates'), ...childrenNamed(flow, 'actionCalls')];
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(elements.has(target(action, 'faultConnector') ?? ''), textOf(action, 'name')).toBe(true);
  });

  it('references only fields, globals and elements that exist', () => {
    const json = JSON.stringify(flow);
    const records = [...json.matchAll(/\$Record\.([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? '');
    expect(records.length).toBeGreaterThan(0);
    for (const field of records) expect(Object.keys(DATA_MODEL.Stripe_Payment__c ?? {}), `$Record.${field}`).toContain(field.replace(/__r$/, '__c'));
    for (const create of childrenNamed(flow, 'recordCreates')) {
      const object = textOf(create, 'object') ?? '';
      for (const a of childrenNamed(create, 'inputAssignments')) expect(fieldExists(pkg, object, textOf(a, 'field') ?? ''), `${object}.${textOf(a, 'field')}`).toBe(true);
    }
    const names = new Set([...elements.keys(), ...childrenNamed(flow, 'formulas').map((f) => textOf(f, 'name')), ...childrenNamed(flow, 'constants').map((f) => textOf(f, 'name'))]);
    for (const ref of descendants(flow, 'elementReference').map((e) => e.text.trim())) expect(/^\$(Record|User|Flow)\./.test(ref) || names.has(ref), ref).toBe(true);
    for (const ref of descendants(flow, 'assignToReference').map((e) => e.text.trim())) expect(names.has(ref), ref).toBe(true);
    const connectors = [start, ...elements.values()].flatMap((e) => ['connector', 'defaultConnector', 'faultConnector'].flatMap((c) => target(e, c) ?? []));
    for (const c of connectors) expect(elements.has(c), `connector to ${c}`).toBe(true);
  });
});
