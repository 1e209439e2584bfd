/**
 * The outbound path inside Salesforce: Closed Won → Flow → Stripe_Payment_Request__e →
 * channel → Event Relay → the AWS account of the named credential.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/catalog.js';
import { COMMAND_PAYLOAD_FIELDS } from '../../src/commands/command-request.js';
import { DATA_MODEL, PAYMENT_MODES } from '../../src/salesforce/data-model.js';
import { loadPackage, metadataFiles, readProject } from './sfdx-package.js';
import { childNamed, childrenNamed, textOf } from './xml.js';
import type { XmlElement } from './xml.js';

const pkg = loadPackage();
const EVENT = 'Stripe_Payment_Request__e';
const CHANNEL = 'Stripe_Bridge__chn';
const COMMAND_EVENT = 'Stripe_Command__e';

function only<T>(map: ReadonlyMap<string, T>, what: string): [string, T] {
  const entries = [...map];
  if (entries.length !== 1) throw new Error(`expected exactly one ${what}, found ${entries.length}`);
  return entries[0] as [string, T];
}

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
  const [flowName, flow] = only(pkg.members('flow'), 'flow');
  const start = childNamed(flow, 'start') ?? ({} as XmlElement);
  const creates = childrenNamed(flow, 'recordCreates');
  const formulas = new Map(childrenNamed(flow, 'formulas').map((f) => [textOf(f, 'name') ?? '', f]));
  const opportunityFields = new Set([...Object.keys(DATA_MODEL.Opportunity ?? {}), 'IsWon']);

  it(`${flowName} is an active record-triggered flow after save on Opportunity`, () => {
    expect(textOf(flow, 'status')).toBe('Active');
    expect(textOf(flow, 'processType')).toBe('AutoLaunchedFlow');
    expect(textOf(flow, 'apiVersion')).toBe(readProject().sourceApiVersion);
    expect(textOf(start, 'object')).toBe('Opportunity');
    expect(textOf(start, 'triggerType')).toBe('RecordAfterSave');
    expect(['Create', 'Update', 'CreateAndUpdate']).toContain(textOf(start, 'recordTriggerType'));
  });

  it('runs once, when the Opportunity becomes won without a Stripe invoice or payment link', () => {
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
    expect(filters).toContainEqual({ field: 'Stripe_Invoice_Id__c', operator: 'IsNull', value: 'booleanValue:true' });
    expect(filters).toContainEqual({ field: 'Stripe_Payment_Link_Url__c', operator: 'IsNull', value: 'booleanValue:true' });
    for (const f of filters) expect(opportunityFields, `filter field ${f.field}`).toContain(f.field);
  });

  it('publishes Stripe_Payment_Request__e as its first step', () => {
    const target = textOf(childNamed(start, 'connector') ?? ({} as XmlElement), 'targetReference');
    const create = creates.find((c) => textOf(c, 'name') === target);
    expect(create, `recordCreates ${target}`).toBeDefined();
    expect(create && textOf(create, 'object')).toBe(EVENT);
  });

  it('sets the event fields from the Opportunity, its payment mode and the user', () => {
    const create = creates.find((c) => textOf(c, 'object') === EVENT) ?? ({} as XmlElement);
    const assignments = new Map(
      childrenNamed(create, 'inputAssignments').map((a) => [
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

  it('references only fields and elements that exist', () => {
    const references = JSON.stringify(flow).match(/\$Record\.[A-Za-z0-9_]+/g) ?? [];
    expect(references.length).toBeGreaterThan(0);
    for (const ref of references) expect(opportunityFields, ref).toContain(ref.slice('$Record.'.length));
    const create = creates.find((c) => textOf(c, 'object') === EVENT) ?? ({} as XmlElement);
    for (const a of childrenNamed(create, 'inputAssignments')) {
      const ref = textOf(childNamed(a, 'value') ?? ({} as XmlElement), 'elementReference') ?? '';
      expect(ref.startsWith('$Record.') || ref.startsWith('$User.') || formulas.has(ref), ref).toBe(true);
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

  it('relays the channel through the Stripe_Bridge_AWS named credential, created stopped', () => {
    const [, relay] = only(pkg.members('eventRelay'), 'event relay');
    expect(textOf(relay, 'eventChannel')).toBe(CHANNEL);
    expect(textOf(relay, 'destinationResourceName')).toBe('callout:Stripe_Bridge_AWS');
    // STOP is the only state Salesforce accepts when it creates a relay.
    expect(textOf(relay, 'state')).toBe('STOP');
    const option = JSON.parse(textOf(relay, 'relayOption') ?? '{}') as { ReplayRecovery?: string };
    expect(['LATEST', 'EARLIEST']).toContain(option.ReplayRecovery);
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
    const awsFiles = metadataFiles().filter((f) => /\.(namedCredential|eventRelay)-meta\.xml$/.test(f.path));
    expect(awsFiles).toHaveLength(2);
    for (const file of awsFiles) expect(file.path.startsWith(`${defaultDir}/`), file.path).toBe(false);
  });
});
