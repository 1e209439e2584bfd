/**
 * The package defines every custom field the code reads or writes (src/salesforce/data-model.ts)
 * with a type that accepts what the code sends: a deploy of salesforce/ is all an admin needs.
 */
import { describe, expect, it } from 'vitest';
import { DATA_MODEL } from '../../src/salesforce/data-model.js';
import type { FieldSpec } from '../../src/salesforce/data-model.js';
import { loadPackage, picklistValues } from './sfdx-package.js';
import { childNamed, textOf } from '../../src/local/standins/xml.js';
import type { XmlElement } from '../../src/local/standins/xml.js';

const pkg = loadPackage();

const customFields = Object.entries(DATA_MODEL).flatMap(([object, fields]) =>
  Object.entries(fields)
    .filter(([field]) => field.endsWith('__c'))
    .map(([field, spec]) => [object, field, spec] as const),
);
const customObjects = Object.keys(DATA_MODEL).filter((object) => object.endsWith('__c'));

const TYPES: Readonly<Record<FieldSpec['type'], readonly string[]>> = {
  id: [],
  string: ['Text', 'TextArea', 'LongTextArea'],
  textarea: ['TextArea', 'LongTextArea'],
  picklist: ['Picklist'],
  email: ['Email'],
  url: ['Url'],
  double: ['Number', 'Currency'],
  integer: ['Number'],
  currency: ['Currency', 'Number'],
  boolean: ['Checkbox'],
  date: ['Date'],
  datetime: ['DateTime'],
  reference: ['Lookup', 'MasterDetail'],
};

/** Longest text each type holds when the field file gives no length. */
const FIXED_LENGTH: Readonly<Record<string, number>> = { TextArea: 255 };

function num(field: XmlElement, name: string): number {
  return Number(textOf(field, name));
}

/** Why `field` cannot hold what the code writes under `spec`; empty when it can. */
function incompatibilities(name: string, spec: FieldSpec, field: XmlElement): string[] {
  const problems: string[] = [];
  const type = textOf(field, 'type') ?? '';
  if (!TYPES[spec.type].includes(type)) problems.push(`type ${type} cannot hold a ${spec.type}`);

  if (spec.length !== undefined && TYPES.string.includes(type)) {
    const length = FIXED_LENGTH[type] ?? num(field, 'length');
    if (!(length >= spec.length)) problems.push(`length ${length} < ${spec.length}`);
  }
  if (spec.type === 'integer') {
    // A precedence key has up to 16 digits (src/contracts/precedence.ts).
    if (textOf(field, 'scale') !== '0') problems.push(`scale ${textOf(field, 'scale')} is not 0`);
    if (!(num(field, 'precision') >= 16)) problems.push(`precision ${textOf(field, 'precision')} < 16`);
  }
  if (spec.type === 'double' || spec.type === 'currency') {
    const minimumScale = name.startsWith('Amount') ? 3 : 2;
    if (!(num(field, 'scale') >= minimumScale)) problems.push(`scale ${textOf(field, 'scale')} < ${minimumScale}`);
    if (!(num(field, 'precision') - num(field, 'scale') >= 12)) problems.push('fewer than 12 integer digits');
  }
  if (spec.type === 'picklist' && spec.values !== undefined) {
    const values = picklistValues(field);
    if (textOf(childNamed(field, 'valueSet') ?? field, 'restricted') !== 'true') problems.push('picklist is not restricted');
    if (new Set(values).size !== values.length) problems.push('duplicate picklist values');
    const missing = spec.values.filter((v) => !values.includes(v));
    const extra = values.filter((v) => !spec.values?.includes(v));
    if (missing.length > 0) problems.push(`picklist lacks ${missing.join(', ')}`);
    if (extra.length > 0) problems.push(`picklist has values the code never writes: ${extra.join(', ')}`);
  }
  // A formula checkbox (read-only) has no default.
  if (spec.type === 'boolean' && spec.readOnly !== true && textOf(field, 'defaultValue') !== 'false') problems.push('checkbox must default to false');
  if (spec.type === 'reference') {
    if (textOf(field, 'referenceTo') !== spec.referenceTo) problems.push(`looks up ${textOf(field, 'referenceTo')}, not ${spec.referenceTo}`);
    // The code addresses the parent as `<Field>__r`, which Salesforce derives from the field name.
    if (spec.relationshipName !== name.replace(/__c$/, '__r')) problems.push(`relationship ${spec.relationshipName} is not ${name}'s`);
    // A lookup clears itself when its target is deleted, unless it must lock its target while saved.
    const constraint = spec.restrictDelete === true ? 'Restrict' : 'SetNull';
    if (type === 'Lookup' && textOf(field, 'deleteConstraint') !== constraint) problems.push(`lookup must be ${constraint} on delete`);
  }

  const externalId = textOf(field, 'externalId') === 'true';
  if (externalId !== (spec.externalId === true)) problems.push(`externalId is ${externalId}, the code expects ${spec.externalId === true}`);
  if (spec.externalId === true) {
    if (textOf(field, 'unique') !== 'true') problems.push('an upsert key must be unique');
    if (textOf(field, 'caseSensitive') !== 'true') problems.push('Stripe ids are case-sensitive');
  }
  return problems;
}

describe('data model coverage', () => {
  it('covers custom fields on every object the bridge touches', () => {
    expect(new Set(customFields.map(([object]) => object))).toEqual(
      new Set(['Account', 'Opportunity', 'Order', 'Quote', 'Contract', 'Product2', 'PricebookEntry', 'Case', 'Task', 'Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Subscription__c', 'Stripe_Subscription_Change__c', 'Stripe_Subscription_Item__c', 'Stripe_Refund__c', 'Stripe_Sync_Log__c']),
    );
  });

  it.each(customFields)('%s.%s exists with a compatible type', (object, name, spec) => {
    const field = pkg.field(object, name);
    expect(field, `objects/${object}/fields/${name}.field-meta.xml`).toBeDefined();
    if (field === undefined) return;
    expect(textOf(field, 'fullName')).toBe(name);
    expect(incompatibilities(name, spec, field)).toEqual([]);
  });

  it('rejects a field whose type cannot hold the value (the check itself can fail)', () => {
    const text = pkg.field('Stripe_Payment__c', 'Currency_Code__c');
    const amount = pkg.field('Stripe_Payment__c', 'Amount__c');
    const status = pkg.field('Stripe_Payment__c', 'Status__c');
    if (text === undefined || amount === undefined || status === undefined) throw new Error('fixture fields missing');
    expect(incompatibilities('Amount__c', { type: 'double' }, text)).toContain('type Text cannot hold a double');
    expect(incompatibilities('Currency_Code__c', { type: 'string', length: 4 }, text)).toContain('length 3 < 4');
    expect(incompatibilities('Amount__c', { type: 'double', externalId: true }, amount)).toContain(
      'externalId is false, the code expects true',
    );
    expect(incompatibilities('Status__c', { type: 'picklist', values: ['Succeeded', 'Settled'] }, status)).toContain(
      'picklist lacks Settled',
    );
  });
});

describe('custom objects', () => {
  it.each(customObjects)('%s is a reportable, searchable object with a text (or, for the log, auto-number) Name', (object) => {
    const definition = pkg.objects.get(object);
    expect(definition).toBeDefined();
    if (definition === undefined) return;
    expect(textOf(definition, 'deploymentStatus')).toBe('Deployed');
    expect(['ReadWrite', 'ControlledByParent']).toContain(textOf(definition, 'sharingModel'));
    expect(textOf(definition, 'enableReports')).toBe('true');
    expect(textOf(definition, 'enableSearch')).toBe('true');
    const nameField = childNamed(definition, 'nameField');
    // A log entry is numbered (SSL-000123); the records mirrored from Stripe are named by the bridge.
    expect(nameField && textOf(nameField, 'type')).toBe(object === 'Stripe_Sync_Log__c' ? 'AutoNumber' : 'Text');
    expect(textOf(definition, 'label')).toMatch(/^Stripe /);
  });

  it('defines only fields that can be left blank, so partial upserts and field permissions work', () => {
    const required = [...pkg.fields].flatMap(([object, fields]) =>
      [...fields].filter(([, f]) => textOf(f, 'required') === 'true').map(([name]) => `${object}.${name}`),
    );
    expect(required).toEqual([]);
  });

  it('gives every lookup a child relationship name unique on its parent object', () => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const [object, fields] of pkg.fields) {
      for (const [name, field] of fields) {
        if (textOf(field, 'type') !== 'Lookup') continue;
        const key = `${textOf(field, 'referenceTo')}.${textOf(field, 'relationshipName')}`;
        expect(textOf(field, 'relationshipName'), `${object}.${name}`).toMatch(/^[A-Za-z][A-Za-z0-9_]*[A-Za-z0-9]$/);
        const other = seen.get(key);
        if (other !== undefined) clashes.push(`${key}: ${other} and ${object}.${name}`);
        seen.set(key, `${object}.${name}`);
      }
    }
    expect(clashes).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(9);
  });

  it('puts every field of a bridge object on its page layout, and nothing that does not exist', () => {
    const layouts = pkg.members('layout');
    for (const object of customObjects) {
      const layout = [...layouts].find(([name]) => name.startsWith(`${object}-`))?.[1];
      expect(layout, `layout of ${object}`).toBeDefined();
      if (layout === undefined) continue;
      const placed = layout.children
        .filter((c) => c.name === 'layoutSections')
        .flatMap((s) => s.children.filter((c) => c.name === 'layoutColumns'))
        .flatMap((c) => c.children.filter((i) => i.name === 'layoutItems'))
        .map((i) => textOf(i, 'field') ?? '');
      const fields = [...(pkg.fields.get(object)?.keys() ?? [])];
      expect(placed.filter((f) => f.endsWith('__c')).sort()).toEqual([...fields].sort());
      expect(placed).toContain('Name');
    }
  });
});
