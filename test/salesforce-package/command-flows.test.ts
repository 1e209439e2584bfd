/**
 * The quote-to-cash Flows the package ships inactive (issue 11): Quote accepted → `checkout`,
 * Order activated → `invoice`, Contract activated → `subscription`, the Checkout link emailed to
 * the Quote's Email, the Opportunity closed won when its Quote is paid. Admins activate them.
 *
 * Element names and shapes: Flow in the Metadata API Developer Guide
 * (https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_visual_workflow.htm):
 * `status` Active | Draft (Draft is an inactive version), FlowStart recordTriggerType /
 * triggerType RecordAfterSave / doesRequireRecordChangedToMeetCriteria, faultConnector on data
 * elements and actions, $Permission.<custom permission>. The Send Email action is the standard
 * invocable action `emailSimple` with `emailAddresses`, `emailSubject`, `emailBody` (Actions
 * Developer Guide, "Simple Email Actions", API 32.0 and later). Fields are checked against the data
 * model the bridge ships and reads (src/salesforce/data-model.ts), the event fields against the
 * platform event in the package and what the bridge reads from it (COMMAND_PAYLOAD_FIELDS).
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/catalog.js';
import { COMMAND_PAYLOAD_FIELDS } from '../../src/commands/command-request.js';
import { childNamed, childrenNamed, textOf, type XmlElement } from '../../src/local/standins/xml.js';
import { DATA_MODEL, OPPORTUNITY_PAYMENT_STATUSES } from '../../src/salesforce/data-model.js';
import { BYPASS_AUTOMATION_PERMISSION } from '../../src/salesforce/permission-sets.js';
import { loadPackage, readProject } from './sfdx-package.js';

const pkg = loadPackage();
const flows = pkg.members('flow');
const COMMAND_EVENT = 'Stripe_Command__e';
const NONE = {} as XmlElement;

/** Fields a Flow may name on each object: the data model's, plus system fields Flows filter on. */
const fieldsOf = (object: string): Set<string> => new Set([...Object.keys(DATA_MODEL[object] ?? {}), ...(object === 'Opportunity' ? ['IsWon'] : [])]);

function flow(name: string): XmlElement {
  const found = flows.get(name);
  if (found === undefined) throw new Error(`flow ${name} is not in the package`);
  return found;
}

const target = (element: XmlElement, connector: string): string | undefined => {
  const c = childNamed(element, connector);
  return c === undefined ? undefined : textOf(c, 'targetReference');
};

function elementsOf(f: XmlElement): Map<string, XmlElement> {
  return new Map(f.children.filter((c) => childNamed(c, 'name') !== undefined && c.name !== 'processMetadataValues').map((c) => [textOf(c, 'name') ?? '', c]));
}

function descendants(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((c) => [...(c.name === name ? [c] : []), ...descendants(c, name)]);
}

function valueOf(assignment: XmlElement): { kind: string; text: string } {
  const value = childNamed(assignment, 'value') ?? NONE;
  const [first] = value.children;
  return { kind: first?.name ?? '', text: first?.text.trim() ?? '' };
}

const COMMAND_FLOWS = [
  ['Stripe_Checkout_On_Quote_Accepted', 'Quote', 'checkout', ['Status', 'EqualTo', 'stringValue:Accepted']],
  ['Stripe_Invoice_On_Order_Activated', 'Order', 'invoice', ['StatusCode', 'EqualTo', 'stringValue:Activated']],
  ['Stripe_Subscription_On_Contract_Activated', 'Contract', 'subscription', ['StatusCode', 'EqualTo', 'stringValue:Activated']],
] as const;

/** Every shipped quote-to-cash Flow and the object it runs on. */
const SHIPPED = [...COMMAND_FLOWS.map(([name, object]) => [name, object] as const), ['Stripe_Email_Checkout_Link_To_Quote_Contact', 'Quote'], ['Stripe_Close_Won_On_Quote_Paid', 'Quote']] as const;

const filtersOf = (start: XmlElement) =>
  childrenNamed(start, 'filters').map((f) => [textOf(f, 'field'), textOf(f, 'operator'), valueOf(f).kind + ':' + valueOf(f).text] as const);

describe.each(SHIPPED)('flow %s', (name, object) => {
  const f = flow(name);
  const start = childNamed(f, 'start') ?? NONE;
  const elements = elementsOf(f);
  const formulas = new Set(childrenNamed(f, 'formulas').map((x) => textOf(x, 'name')));
  const constants = new Set(childrenNamed(f, 'constants').map((x) => textOf(x, 'name')));

  it(`is shipped inactive, record-triggered after save on ${object} updates`, () => {
    expect(textOf(f, 'status')).toBe('Draft');
    expect(textOf(f, 'processType')).toBe('AutoLaunchedFlow');
    expect(textOf(f, 'apiVersion')).toBe(readProject().sourceApiVersion);
    expect(textOf(start, 'object')).toBe(object);
    expect(textOf(start, 'triggerType')).toBe('RecordAfterSave');
    // Not on insert: a data load creates records in their final state and must bill nothing.
    expect(textOf(start, 'recordTriggerType')).toBe('Update');
  });

  it('does nothing for a user with the bypass permission', () => {
    const decision = elements.get(target(start, 'connector') ?? '');
    expect(decision?.name).toBe('decisions');
    const rules = childrenNamed(decision ?? NONE, 'rules');
    expect(rules).toHaveLength(1);
    const [bypass] = rules;
    const condition = childNamed(bypass ?? NONE, 'conditions') ?? NONE;
    expect(textOf(condition, 'leftValueReference')).toBe(`$Permission.${BYPASS_AUTOMATION_PERMISSION}`);
    expect(textOf(childNamed(condition, 'rightValue') ?? NONE, 'booleanValue')).toBe('true');
    expect(childNamed(bypass ?? NONE, 'connector'), 'the bypass outcome ends the flow').toBeUndefined();
    expect(target(decision ?? NONE, 'defaultConnector')).toBeDefined();
  });

  it('has a fault path that leaves $Flow.FaultMessage in Stripe_Sync_Error__c of the triggering record', () => {
    const work = elements.get(target(elements.get(target(start, 'connector') ?? '') ?? NONE, 'defaultConnector') ?? '') ?? NONE;
    const handler = elements.get(target(work, 'faultConnector') ?? '');
    expect(handler?.name).toBe('recordUpdates');
    expect(textOf(handler ?? NONE, 'object')).toBe(object);
    expect(childrenNamed(handler ?? NONE, 'filters').map((x) => [textOf(x, 'field'), valueOf(x).text])).toEqual([['Id', '$Record.Id']]);
    const [assignment] = childrenNamed(handler ?? NONE, 'inputAssignments');
    expect(textOf(assignment ?? NONE, 'field')).toBe('Stripe_Sync_Error__c');
    const formula = childrenNamed(f, 'formulas').find((x) => textOf(x, 'name') === valueOf(assignment ?? NONE).text);
    expect(textOf(formula ?? NONE, 'expression')).toContain('{!$Flow.FaultMessage}');
  });

  it('references only fields, permissions and elements that exist', () => {
    const json = JSON.stringify(f);
    const fields = fieldsOf(object);
    const records = [...json.matchAll(/\$Record\.([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? '');
    expect(records.length).toBeGreaterThan(0);
    for (const field of records) expect(fields, `$Record.${field}`).toContain(field);
    for (const [field] of filtersOf(start)) expect(fields, `start filter ${field}`).toContain(field);
    for (const m of json.matchAll(/\$Permission\.([A-Za-z0-9_]+)/g)) expect(pkg.members('customPermission').has(m[1] ?? ''), m[0]).toBe(true);
    for (const update of childrenNamed(f, 'recordUpdates')) {
      const updated = fieldsOf(textOf(update, 'object') ?? '');
      for (const a of childrenNamed(update, 'inputAssignments')) expect(updated, `${textOf(update, 'object')}.${textOf(a, 'field')}`).toContain(textOf(a, 'field'));
      for (const x of childrenNamed(update, 'filters')) expect(updated).toContain(textOf(x, 'field'));
    }
    for (const create of childrenNamed(f, 'recordCreates')) {
      for (const a of childrenNamed(create, 'inputAssignments')) expect(pkg.field(textOf(create, 'object') ?? '', textOf(a, 'field') ?? ''), textOf(a, 'field')).toBeDefined();
    }
    // Every element reference is a global ($Record, $User, $Flow) or an element of the flow.
    const references = descendants(f, 'elementReference').map((e) => e.text.trim());
    expect(references.length).toBeGreaterThan(0);
    for (const ref of references) {
      expect(/^\$(Record|User|Flow)\./.test(ref) || formulas.has(ref) || constants.has(ref) || elements.has(ref), ref).toBe(true);
    }
    const connectors = [start, ...elements.values()].flatMap((e) => ['connector', 'defaultConnector', 'faultConnector'].flatMap((c) => target(e, c) ?? []));
    expect(connectors.length).toBeGreaterThanOrEqual(3);
    for (const c of connectors) expect(elements.has(c), `connector to ${c}`).toBe(true);
  });
});

describe.each(COMMAND_FLOWS)('flow %s publishes the command', (name, object, command, trigger) => {
  const f = flow(name);
  const start = childNamed(f, 'start') ?? NONE;
  const [publish] = childrenNamed(f, 'recordCreates');
  const assignments = new Map(childrenNamed(publish ?? NONE, 'inputAssignments').map((a) => [textOf(a, 'field') ?? '', valueOf(a)]));

  it(`fires once, when the ${object} changes to meet ${trigger[0]} = ${trigger[2]}`, () => {
    expect(textOf(start, 'doesRequireRecordChangedToMeetCriteria')).toBe('true');
    expect(filtersOf(start)).toEqual([trigger]);
  });

  it(`publishes Stripe_Command__e ${command} for the record, as the user`, () => {
    expect(textOf(publish ?? NONE, 'object')).toBe(COMMAND_EVENT);
    expect(COMMANDS.has(command)).toBe(true);
    expect(assignments.get('Command__c')).toEqual({ kind: 'stringValue', text: command });
    expect(assignments.get('Record_Id__c')).toEqual({ kind: 'elementReference', text: '$Record.Id' });
    expect(assignments.get('Requested_By__c')).toEqual({ kind: 'elementReference', text: '$User.Id' });
    // The bridge reads every field the Flow sets.
    for (const field of assignments.keys()) expect(Object.keys(COMMAND_PAYLOAD_FIELDS)).toContain(field);
    // The command takes this object.
    expect(COMMANDS.get(command)?.recordTypes.map((t) => t.sobject)).toContain(object);
  });
});

describe('flow Stripe_Email_Checkout_Link_To_Quote_Contact', () => {
  const f = flow('Stripe_Email_Checkout_Link_To_Quote_Contact');
  const [action] = childrenNamed(f, 'actionCalls');
  const params = new Map(childrenNamed(action ?? NONE, 'inputParameters').map((p) => [textOf(p, 'name') ?? '', valueOf(p)]));
  const formula = (name: string) => textOf(childrenNamed(f, 'formulas').find((x) => textOf(x, 'name') === name) ?? NONE, 'expression') ?? '';

  it('runs whenever the bridge writes a new Checkout link on a Quote that has an Email', () => {
    expect(filtersOf(childNamed(f, 'start') ?? NONE)).toEqual([
      ['Stripe_Checkout_Session_Id__c', 'IsChanged', 'booleanValue:true'],
      ['Email', 'IsNull', 'booleanValue:false'],
    ]);
  });

  it('sends the link through Salesforce (emailSimple) to the Quote’s Email', () => {
    expect(textOf(action ?? NONE, 'actionType')).toBe('emailSimple');
    expect(textOf(action ?? NONE, 'actionName')).toBe('emailSimple');
    expect(params.get('emailAddresses')).toEqual({ kind: 'elementReference', text: '$Record.Email' });
    expect(formula(params.get('emailBody')?.text ?? '')).toContain('{!$Record.Stripe_Checkout_Url__c}');
    expect(formula(params.get('emailSubject')?.text ?? '')).not.toBe('');
  });
});

describe('flow Stripe_Close_Won_On_Quote_Paid', () => {
  const f = flow('Stripe_Close_Won_On_Quote_Paid');
  const close = childrenNamed(f, 'recordUpdates').find((u) => textOf(u, 'object') === 'Opportunity') ?? NONE;
  const assignments = new Map(childrenNamed(close, 'inputAssignments').map((a) => [textOf(a, 'field') ?? '', valueOf(a)]));

  it('fires when the Quote becomes Paid', () => {
    expect(textOf(childNamed(f, 'start') ?? NONE, 'doesRequireRecordChangedToMeetCriteria')).toBe('true');
    expect(filtersOf(childNamed(f, 'start') ?? NONE)).toEqual([['Stripe_Payment_Status__c', 'EqualTo', 'stringValue:Paid']]);
  });

  it("sets the Quote's Opportunity to the won stage and Paid in one save (so the Closed Won Flow, which needs a blank status, does not fire)", () => {
    expect(childrenNamed(close, 'filters').map((x) => [textOf(x, 'field'), valueOf(x).text])).toEqual([['Id', '$Record.OpportunityId']]);
    const stage = childrenNamed(f, 'constants').find((c) => textOf(c, 'name') === assignments.get('StageName')?.text);
    expect(valueOf(stage ?? NONE)).toEqual({ kind: 'stringValue', text: 'Closed Won' });
    expect(assignments.get('Stripe_Payment_Status__c')).toEqual({ kind: 'stringValue', text: 'Paid' });
    expect(OPPORTUNITY_PAYMENT_STATUSES).toContain('Paid');
    const closedWon = flow('Stripe_Request_Payment_On_Closed_Won');
    const blank = childrenNamed(childNamed(closedWon, 'start') ?? NONE, 'filters').find((x) => textOf(x, 'field') === 'Stripe_Payment_Status__c');
    expect(textOf(blank ?? NONE, 'operator')).toBe('IsNull');
  });
});
