/**
 * The outbound path inside Salesforce: Closed Won → Flow → Stripe_Payment_Request__e →
 * channel → Event Relay → the AWS account of the named credential. The Flow fires only on the
 * transition to Closed Won, honours a bypass for data loads and leaves its errors on the
 * Opportunity; a redeploy of the package never touches the running relay.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/catalog.js';
import { COMMAND_PAYLOAD_FIELDS } from '../../src/commands/command-request.js';
import { DATA_MODEL, PAYMENT_MODES } from '../../src/salesforce/data-model.js';
import { BYPASS_AUTOMATION_PERMISSION } from '../../src/salesforce/permission-sets.js';
import { loadPackage, METADATA_NAMESPACE, metadataFiles, PROJECT_ROOT, readProject } from './sfdx-package.js';
import { childNamed, childrenNamed, parseXml, textOf } from '../../src/local/standins/xml.js';
import type { XmlElement } from '../../src/local/standins/xml.js';

const pkg = loadPackage();
const EVENT = 'Stripe_Payment_Request__e';
const CHANNEL = 'Stripe_Bridge__chn';
/** The Event Relay, in Metadata API format, outside every package directory (created once). */
const RELAY_SETUP_DIR = 'event-relay-setup';
const COMMAND_EVENT = 'Stripe_Command__e';


describe('platform event Stripe_Command__e', () => {
  const event = pkg.objects.get(COMMAND_EVENT);
  const fields = pkg.fields.get(COMMAND_EVENT) ?? new Map<string, XmlElement>();

  it('is a high-volume event published when the transaction commits', () => {
    expect(event && textOf(event, 'eventType')).toBe('HighVolume');
    expect(event && textOf(event, 'publishBehavior')).toBe('PublishAfterCommit');
  });

  it('has exactly the fields the bridge reads (src/commands/command-request.ts)', () => {
    const read = Object.keys(COMMAND_PAYLOAD_FIELDS).filter((f) => f.endsWith('__c'));
    expect([...fields.keys()].sort()).toEqual(read.sort());
  });

  it.each([
    ['Command__c', 'Text'],
    ['Record_Id__c', 'Text'],
    ['Amount__c', 'Number'],
    ['Reason__c', 'Text'],
    ['Options__c', 'LongTextArea'],
    ['Requested_By__c', 'Text'],
  ] as const)('has %s (%s)', (name, type) => {
    expect(textOf(fields.get(name) ?? ({} as XmlElement), 'type')).toBe(type);
  });

  it('holds every command name and a full record id', () => {
    const length = Number(textOf(fields.get('Command__c') ?? ({} as XmlElement), 'length'));
    for (const name of COMMANDS.keys()) expect(name.length).toBeLessThanOrEqual(length);
    expect(Number(textOf(fields.get('Record_Id__c') ?? ({} as XmlElement), 'length'))).toBe(18);
    // Amounts in major units of 0-, 2- and 3-decimal currencies.
    expect(Number(textOf(fields.get('Amount__c') ?? ({} as XmlElement), 'scale'))).toBe(3);
  });
});

describe('platform event Stripe_Payment_Request__e', () => {
  const event = pkg.objects.get(EVENT);
  const fields = pkg.fields.get(EVENT) ?? new Map<string, XmlElement>();

  it('is a high-volume event published only when the transaction commits', () => {
    expect(event).toBeDefined();
    if (event === undefined) return;
    // Custom channels (and so Event Relay) carry high-volume events only.
    expect(textOf(event, 'eventType')).toBe('HighVolume');
    expect(textOf(event, 'publishBehavior')).toBe('PublishAfterCommit');
    expect(textOf(event, 'deploymentStatus')).toBe('Deployed');
  });

  it.each([
    ['Opportunity_Id__c', 'Text', { length: 18 }],
    ['Mode__c', 'Text', { length: 20 }],
    ['Days_Until_Due__c', 'Number', { precision: 3, scale: 0 }],
    ['Requested_By__c', 'Text', { length: 18 }],
  ] as const)('has %s (%s)', (name, type, size) => {
    const field = fields.get(name);
    expect(field).toBeDefined();
    if (field === undefined) return;
    expect(textOf(field, 'type')).toBe(type);
    for (const [key, value] of Object.entries(size)) expect(Number(textOf(field, key)), key).toBe(value);
  });

  it('has room in Mode__c for every payment mode', () => {
    const length = Number(textOf(fields.get('Mode__c') ?? ({} as XmlElement), 'length'));
    for (const mode of PAYMENT_MODES) expect(mode.length).toBeLessThanOrEqual(length);
  });
});

describe('flow: request payment on Closed Won', () => {
  // Element names and shapes: Flow in the Metadata API Developer Guide
  // (https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_visual_workflow.htm):
  // FlowStart recordTriggerType Create | Update | CreateAndUpdate | Delete,
  // doesRequireRecordChangedToMeetCriteria ("only when a record is updated to meet the condition
  // requirements"), faultConnector on data elements, $Permission.<custom permission> as a global
  // variable (https://admin.salesforce.com/blog/2021/limit-access-within-your-flow-using-custom-permissions).
  const flowName = 'Stripe_Request_Payment_On_Closed_Won';
  const flow = pkg.members('flow').get(flowName) ?? ({ name: 'Flow', attributes: {}, children: [] } as unknown as XmlElement);
  const start = childNamed(flow, 'start') ?? ({} as XmlElement);
  const creates = childrenNamed(flow, 'recordCreates');
  const updates = childrenNamed(flow, 'recordUpdates');
  const decisions = childrenNamed(flow, 'decisions');
  const formulas = new Map(childrenNamed(flow, 'formulas').map((f) => [textOf(f, 'name') ?? '', f]));
  const opportunityFields = new Set([...Object.keys(DATA_MODEL.Opportunity ?? {}), 'IsWon']);
  /** Every named element of the flow (what connectors can target). */
  const elements = new Map(
    flow.children.filter((c) => childNamed(c, 'name') !== undefined && c.name !== 'processMetadataValues').map((c) => [textOf(c, 'name') ?? '', c]),
  );
  const target = (element: XmlElement, connector: string): string | undefined => {
    const c = childNamed(element, connector);
    return c === undefined ? undefined : textOf(c, 'targetReference');
  };
  const publish = creates.find((c) => textOf(c, 'object') === EVENT) ?? ({} as XmlElement);

  it(`${flowName} is an active record-triggered flow after save on Opportunity, on update only`, () => {
    expect(textOf(flow, 'status')).toBe('Active');
    expect(textOf(flow, 'processType')).toBe('AutoLaunchedFlow');
    expect(textOf(flow, 'apiVersion')).toBe(readProject().sourceApiVersion);
    expect(textOf(start, 'object')).toBe('Opportunity');
    expect(textOf(start, 'triggerType')).toBe('RecordAfterSave');
    // Not on insert: a data load of historical Closed Won Opportunities must bill nothing.
    expect(textOf(start, 'recordTriggerType')).toBe('Update');
  });

  it('runs once, on the transition to won, for an Opportunity not yet billed or paid', () => {
    // Only when the record changes to meet the criteria: later edits of a won deal publish nothing.
    expect(textOf(start, 'doesRequireRecordChangedToMeetCriteria')).toBe('true');
    expect(textOf(start, 'filterLogic')).toBe('and');
    const filters = childrenNamed(start, 'filters').map((f) => ({
      field: textOf(f, 'field'),
      operator: textOf(f, 'operator'),
      value: (childNamed(f, 'value')?.children ?? []).map((v) => `${v.name}:${v.text.trim()}`).join(),
    }));
    const won = filters.some(
      (f) =>
        (f.field === 'IsWon' && f.operator === 'EqualTo' && f.value === 'booleanValue:true') ||
        (f.field === 'StageName' && f.operator === 'EqualTo' && f.value === 'stringValue:Closed Won'),
    );
    expect(won, 'filter on IsWon = true or StageName = Closed Won').toBe(true);
    for (const field of ['Stripe_Invoice_Id__c', 'Stripe_Payment_Link_Url__c', 'Stripe_Payment_Status__c']) {
      expect(filters).toContainEqual({ field, operator: 'IsNull', value: 'booleanValue:true' });
    }
    for (const f of filters) expect(opportunityFields, `filter field ${f.field}`).toContain(f.field);
  });

  it('publishes nothing for a user with the bypass permission, and requests payment otherwise', () => {
    const decision = elements.get(target(start, 'connector') ?? '');
    expect(decision?.name, 'the start leads to the bypass decision').toBe('decisions');
    if (decision === undefined) return;
    const rules = childrenNamed(decision, 'rules');
    const bypass = rules.find((r) =>
      childrenNamed(r, 'conditions').some(
        (c) =>
          textOf(c, 'leftValueReference') === `$Permission.${BYPASS_AUTOMATION_PERMISSION}` &&
          textOf(c, 'operator') === 'EqualTo' &&
          textOf(childNamed(c, 'rightValue') ?? ({} as XmlElement), 'booleanValue') === 'true',
      ),
    );
    expect(bypass, `a rule on $Permission.${BYPASS_AUTOMATION_PERMISSION} = true`).toBeDefined();
    // The bypass outcome ends the flow; only the default outcome publishes.
    expect(bypass && childNamed(bypass, 'connector')).toBeUndefined();
    expect(rules).toHaveLength(1);
    expect(target(decision, 'defaultConnector')).toBe(textOf(publish, 'name'));
    // The permission the flow checks is shipped with the package and granted by a permission set.
    expect(pkg.members('customPermission').has(BYPASS_AUTOMATION_PERMISSION)).toBe(true);
    expect(decisions).toHaveLength(1);
  });

  it('publishes Stripe_Payment_Request__e', () => {
    expect(creates).toHaveLength(1);
    expect(textOf(publish, 'object')).toBe(EVENT);
  });

  it('sets the event fields from the Opportunity, its payment mode and the user', () => {
    const assignments = new Map(
      childrenNamed(publish, 'inputAssignments').map((a) => [
        textOf(a, 'field') ?? '',
        textOf(childNamed(a, 'value') ?? ({} as XmlElement), 'elementReference') ?? '',
      ]),
    );
    for (const field of assignments.keys()) expect(pkg.field(EVENT, field), `${EVENT}.${field}`).toBeDefined();
    expect(assignments.get('Opportunity_Id__c')).toBe('$Record.Id');
    const mode = formulas.get(assignments.get('Mode__c') ?? '');
    expect(mode, 'Mode__c comes from a formula').toBeDefined();
    expect(mode && textOf(mode, 'dataType')).toBe('String');
    const expression = (mode && textOf(mode, 'expression')) ?? '';
    expect(expression).toContain('{!$Record.Stripe_Payment_Mode__c}');
    // Blank mode falls back to invoice; every literal the formula can yield is a mode the bridge knows.
    expect(expression).toMatch(/ISBLANK\(TEXT\(\{!\$Record\.Stripe_Payment_Mode__c\}\)\),\s*"invoice"/);
    const literals = [...expression.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    expect(literals.length).toBeGreaterThan(0);
    for (const literal of literals) expect(PAYMENT_MODES).toContain(literal);
  });

  it('leaves the fault message in Stripe_Sync_Error__c of the Opportunity when publishing fails', () => {
    const handler = elements.get(target(publish, 'faultConnector') ?? '');
    expect(handler?.name, 'the publish step has a fault path to an Update Records element').toBe('recordUpdates');
    if (handler === undefined) return;
    expect(updates).toEqual([handler]);
    expect(textOf(handler, 'object')).toBe('Opportunity');
    // The triggering Opportunity, and only it.
    const filters = childrenNamed(handler, 'filters').map((f) => [
      textOf(f, 'field'),
      textOf(f, 'operator'),
      textOf(childNamed(f, 'value') ?? ({} as XmlElement), 'elementReference'),
    ]);
    expect(filters).toEqual([['Id', 'EqualTo', '$Record.Id']]);
    const assignments = childrenNamed(handler, 'inputAssignments');
    expect(assignments.map((a) => textOf(a, 'field'))).toEqual(['Stripe_Sync_Error__c']);
    expect(DATA_MODEL.Opportunity?.Stripe_Sync_Error__c?.type).toBe('textarea');
    const value = textOf(childNamed(assignments[0] ?? ({} as XmlElement), 'value') ?? ({} as XmlElement), 'elementReference') ?? '';
    const message = value === '$Flow.FaultMessage' ? value : (formulas.get(value) && textOf(formulas.get(value) as XmlElement, 'expression'));
    expect(message, 'the value carries $Flow.FaultMessage').toContain('$Flow.FaultMessage');
  });

  it('references only fields, permissions and elements that exist', () => {
    const json = JSON.stringify(flow);
    const records = json.match(/\$Record\.[A-Za-z0-9_]+/g) ?? [];
    expect(records.length).toBeGreaterThan(0);
    for (const ref of records) expect(opportunityFields, ref).toContain(ref.slice('$Record.'.length));
    for (const ref of json.match(/\$Permission\.[A-Za-z0-9_]+/g) ?? []) {
      expect(pkg.members('customPermission').has(ref.slice('$Permission.'.length)), ref).toBe(true);
    }
    for (const update of updates) {
      const object = textOf(update, 'object') ?? '';
      for (const a of childrenNamed(update, 'inputAssignments')) expect(DATA_MODEL[object]?.[textOf(a, 'field') ?? ''], `${object}.${textOf(a, 'field')}`).toBeDefined();
    }
    const connectors = [start, ...elements.values()].flatMap((e) =>
      ['connector', 'defaultConnector', 'faultConnector'].flatMap((c) => target(e, c) ?? []),
    );
    for (const decision of decisions) for (const rule of childrenNamed(decision, 'rules')) connectors.push(...(target(rule, 'connector') ?? []));
    expect(connectors.length).toBeGreaterThanOrEqual(3);
    for (const name of connectors) expect(elements.has(name), `connector to ${name}`).toBe(true);
    for (const a of [...childrenNamed(publish, 'inputAssignments'), ...updates.flatMap((u) => childrenNamed(u, 'inputAssignments'))]) {
      const ref = textOf(childNamed(a, 'value') ?? ({} as XmlElement), 'elementReference') ?? '';
      expect(/^\$(Record|User|Flow)\./.test(ref) || formulas.has(ref), ref).toBe(true);
    }
  });
});

describe('Event Relay', () => {
  it('puts the platform event on the custom channel Stripe_Bridge__chn', () => {
    const channel = pkg.members('platformEventChannel').get(CHANNEL);
    expect(channel).toBeDefined();
    expect(channel && textOf(channel, 'channelType')).toBe('event');
    // The legacy payment request and the command channel ride the same channel.
    const members = [...pkg.members('platformEventChannelMember')];
    expect(members.map(([, m]) => textOf(m, 'selectedEntity')).sort()).toEqual([COMMAND_EVENT, EVENT].sort());
    for (const [memberName, member] of members) {
      expect(textOf(member, 'eventChannel')).toBe(CHANNEL);
      // Member names are Channel_Event with double underscores collapsed.
      expect(memberName).toBe(`${CHANNEL}_${textOf(member, 'selectedEntity') ?? ''}`.replace(/__/g, '_'));
    }
  });

  it('creates the relay from a one-time folder that no package deploy includes, so a redeploy never stops it', () => {
    // EventRelayConfig: state RUN | PAUSE | STOP, "STOP — (Default)"; only state and relayOption
    // can be updated (https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_eventrelayconfig.htm).
    // A relay deployed with every package would be written back to STOP, which discards its
    // position, so it lives outside the package directories and is deployed once with
    // `sf project deploy start --metadata-dir event-relay-setup`.
    expect(metadataFiles().filter((f) => /eventRelay/.test(f.path))).toEqual([]);
    for (const dir of readProject().packageDirectories) expect(RELAY_SETUP_DIR.startsWith(`${dir.path}/`), dir.path).toBe(false);
    const relay = parseXml(readFileSync(join(PROJECT_ROOT, RELAY_SETUP_DIR, 'eventRelays', 'Stripe_Bridge_Relay.eventRelay'), 'utf8'));
    expect(relay.name).toBe('EventRelayConfig');
    expect(relay.attributes.xmlns).toBe(METADATA_NAMESPACE);
    expect(textOf(relay, 'eventChannel')).toBe(CHANNEL);
    expect(textOf(relay, 'destinationResourceName')).toBe('callout:Stripe_Bridge_AWS');
    // No state: Salesforce creates it stopped; it is started in Setup once AWS is connected.
    expect(childNamed(relay, 'state')).toBeUndefined();
    const option = JSON.parse(textOf(relay, 'relayOption') ?? '{}') as { ReplayRecovery?: string };
    expect(['LATEST', 'EARLIEST']).toContain(option.ReplayRecovery);
    // Metadata API format: a package.xml naming exactly this relay.
    const manifest = parseXml(readFileSync(join(PROJECT_ROOT, RELAY_SETUP_DIR, 'package.xml'), 'utf8'));
    expect(manifest.name).toBe('Package');
    expect(childrenNamed(manifest, 'types').map((t) => [textOf(t, 'name'), childrenNamed(t, 'members').map((m) => m.text.trim())])).toEqual([
      ['EventRelayConfig', ['Stripe_Bridge_Relay']],
    ]);
    expect(textOf(manifest, 'version')).toBe(readProject().sourceApiVersion);
  });

  it('names the AWS account and region in the form Event Relay expects', () => {
    const credential = pkg.members('namedCredential').get('Stripe_Bridge_AWS');
    expect(credential).toBeDefined();
    if (credential === undefined) return;
    // arn:aws:<REGION in capitals>:<12-digit account id>, e.g. arn:aws:US-EAST-1:000000000000.
    expect(textOf(credential, 'endpoint')).toMatch(/^arn:aws:[A-Z]{2}(-[A-Z]+)+-\d:\d{12}$/);
    expect(textOf(credential, 'namedCredentialType')).toBe('Legacy');
    expect(textOf(credential, 'protocol')).toBe('NoAuthentication');
  });

  it('keeps the AWS-specific pieces out of the default package directory', () => {
    // So that `--source-dir force-app` deploys the data model and Flow without touching AWS.
    const defaultDir = readProject().packageDirectories.find((d) => d.default === true)?.path ?? '';
    const awsFiles = metadataFiles().filter((f) => /\.namedCredential-meta\.xml$/.test(f.path));
    expect(awsFiles).toHaveLength(1);
    for (const file of awsFiles) expect(file.path.startsWith(`${defaultDir}/`), file.path).toBe(false);
  });
});
