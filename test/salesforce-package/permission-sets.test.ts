/**
 * Who may see and change the bridge's data: the integration user writes every bridge field,
 * sales and support read them, only the payment mode is editable by sales.
 */
import { describe, expect, it } from 'vitest';
import { DATA_MODEL } from '../../src/salesforce/data-model.js';
import { fieldPermissions, loadPackage, objectPermissions } from './sfdx-package.js';
import type { FieldPermission, ObjectPermission } from './sfdx-package.js';
import { childrenNamed, textOf } from './xml.js';
import type { XmlElement } from './xml.js';

const pkg = loadPackage();
const CUSTOM_OBJECTS = ['Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Subscription__c', 'Stripe_Sync_Log__c'];
/** Formula fields are read-only by nature: field-level security grants them read only. */
const FORMULA_FIELDS = new Set(['Stripe_Sync_Log__c.Is_Mine__c']);

/** Every custom field of the package on a record object (platform event fields have no FLS). */
const packageFields = [...pkg.fields]
  .filter(([object]) => !object.endsWith('__e'))
  .flatMap(([object, fields]) => [...fields.keys()].map((field) => `${object}.${field}`))
  .sort();
const dataModelFields = Object.entries(DATA_MODEL).flatMap(([object, fields]) =>
  Object.keys(fields)
    .filter((f) => f.endsWith('__c'))
    .map((f) => `${object}.${f}`),
);

function permissionSet(name: string): XmlElement {
  const set = pkg.members('permissionset').get(name);
  if (set === undefined) throw new Error(`permission set ${name} is missing`);
  return set;
}

function byField(set: XmlElement): Map<string, FieldPermission> {
  return new Map(fieldPermissions(set).map((p) => [p.field, p]));
}

function byObject(set: XmlElement): Map<string, ObjectPermission> {
  return new Map(objectPermissions(set).map((p) => [p.object, p]));
}

describe('permission sets', () => {
  it.each([...pkg.members('permissionset').keys()])('%s lists each field and object once, all defined in the package', (name) => {
    const set = permissionSet(name);
    const fields = fieldPermissions(set).map((p) => p.field);
    expect(new Set(fields).size).toBe(fields.length);
    for (const field of fields) expect(packageFields, field).toContain(field);
    const objects = objectPermissions(set).map((p) => p.object);
    expect(new Set(objects).size).toBe(objects.length);
    for (const p of fieldPermissions(set)) expect(p.readable || !p.editable, `${p.field} editable but not readable`).toBe(true);
    expect(textOf(set, 'label')).toMatch(/^Stripe Bridge /);
    expect((textOf(set, 'description') ?? '').length).toBeLessThanOrEqual(255);
  });

  it('cover every custom field of the data model', () => {
    expect(dataModelFields.length).toBeGreaterThan(50);
    for (const field of dataModelFields) expect(packageFields).toContain(field);
  });
});

describe('Stripe_Bridge_Integration', () => {
  const set = permissionSet('Stripe_Bridge_Integration');
  const fields = byField(set);
  const objects = byObject(set);

  it.each(packageFields)('can read and edit %s', (field) => {
    expect(fields.get(field)).toEqual({ field, readable: true, editable: !FORMULA_FIELDS.has(field) });
  });

  it.each(CUSTOM_OBJECTS)('reads, creates and edits %s, never deletes', (object) => {
    expect(objects.get(object)).toMatchObject({
      allowRead: true,
      allowCreate: true,
      allowEdit: true,
      allowDelete: false,
      modifyAllRecords: false,
    });
  });

  it('opens Cases and updates Accounts, Opportunities and Orders without creating or deleting them', () => {
    expect(objects.get('Case')).toMatchObject({ allowRead: true, allowCreate: true, allowEdit: true, allowDelete: false });
    for (const object of ['Account', 'Opportunity', 'Order', 'Quote', 'Contract']) {
      expect(objects.get(object), object).toMatchObject({ allowRead: true, allowCreate: false, allowEdit: true, allowDelete: false });
    }
    for (const p of objects.values()) expect(p.modifyAllRecords, p.object).toBe(false);
  });

  it('grants View Setup and Configuration only: the command permission check reads CustomPermission, SetupEntityAccess and PermissionSetAssignment (API Enabled comes with the integration user license and profile)', () => {
    // CustomPermission, "Special Access Rules": View Setup and Configuration since Summer '20
    // (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_custompermission.htm).
    expect(childrenNamed(set, 'userPermissions').map((p) => textOf(p, 'name'))).toEqual(['ViewSetup']);
  });
});

describe('Stripe_Bridge_Read_Only', () => {
  const set = permissionSet('Stripe_Bridge_Read_Only');
  const fields = byField(set);
  const objects = byObject(set);

  it.each(packageFields)('can read but not edit %s', (field) => {
    expect(fields.get(field)).toEqual({ field, readable: true, editable: false });
  });

  it('reads the bridge objects and changes nothing', () => {
    expect([...objects.keys()].sort()).toEqual([...CUSTOM_OBJECTS].sort());
    for (const p of objects.values()) {
      expect(p).toMatchObject({ allowRead: true, allowCreate: false, allowEdit: false, allowDelete: false, modifyAllRecords: false });
    }
  });
});

describe('Stripe_Bridge_Sales', () => {
  it('lets sales request payments, publish commands and choose the payment mode, and nothing else', () => {
    const set = permissionSet('Stripe_Bridge_Sales');
    expect(fieldPermissions(set)).toEqual([{ field: 'Opportunity.Stripe_Payment_Mode__c', readable: true, editable: true }]);
    expect(objectPermissions(set)).toEqual([
      expect.objectContaining({ object: 'Stripe_Command__e', allowCreate: true, allowRead: true, allowEdit: false, allowDelete: false }),
    ]);
    expect(childrenNamed(set, 'customPermissions').map((p) => textOf(p, 'name'))).toEqual(['Stripe_Request_Payment']);
  });
});
